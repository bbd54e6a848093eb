/**
 * Exact colour-refinement oracles, run jointly on a family of graphs so colours are comparable across
 * graphs: each round a vertex's new colour is the integer id of its exact signature (old colour and the
 * sorted multiset of (relation label, neighbour colour)); rounds stop when the joint partition stops
 * splitting. No hashing into floats, no thresholds, no randomness: the same input gives the same ids.
 *
 * Methods:
 * - "1-WL": the edges.
 * - "SPD": pairs at shortest-path distance d = 1..k, labelled by d.
 * - "KP": SPD-k with each pair also labelled by its number of shortest paths, and each vertex starting
 *   from its peripheral description (per hop d: the sizes and edge counts of the connected components of
 *   the subgraph induced by the vertices at distance d), as KP-GNN adds.
 * - "CS": the edges plus CSGNN's chordless-cycle pairs P_d (cycle distance d, cycles of length <=
 *   maxLength), and with `complement` (default true) the complement's P'_d.
 * - "CS+SPD": "CS" plus SPD-k (shortest paths are chordless paths; k = 2 by default).
 *
 * @module
 */
import { describe, InvalidArgumentError, requireInt } from "../core/errors.ts";
import { chordlessPairs } from "./chordless.ts";
import { Graph } from "./graph.ts";

/** Colour-refinement methods. */
export type RefinementMethod = "1-WL" | "SPD" | "KP" | "CS" | "CS+SPD";

/** Options of `colorRefinement`. */
export interface ColorRefinementOptions {
  method: RefinementMethod;
  /** Hops for SPD / KP / CS+SPD. Default 2. */
  k?: number;
  /** Longest chordless cycle for CS / CS+SPD (>= 3). Default 8. */
  maxLength?: number;
  /** CS: add the complement graph's pairs P'_d. Default true. */
  complement?: boolean;
  /** Enumerate cycles with "ts" (default) or "wasm" (after loadGraphKernels()). */
  backend?: "ts" | "wasm";
}

const METHODS: RefinementMethod[] = ["1-WL", "SPD", "KP", "CS", "CS+SPD"];

interface Relations {
  /** For each vertex, flat (labelId, u) pairs: u's colour is aggregated into v's signature. */
  adj: number[][];
  /** Initial colour key of each vertex. */
  init: string[];
}

/** BFS distances and shortest-path counts from s up to depth k. */
function bfs(g: Graph, s: number, k: number): { dist: Int32Array; count: number[] } {
  const dist = new Int32Array(g.n).fill(-1), count = new Array<number>(g.n).fill(0);
  dist[s] = 0;
  count[s] = 1;
  let frontier = [s];
  for (let d = 1; d <= k && frontier.length; d++) {
    const next: number[] = [];
    for (const x of frontier) {
      for (const y of g.neighbors(x)) {
        if (dist[y] === -1) {
          dist[y] = d;
          next.push(y);
        }
        if (dist[y] === d) count[y] += count[x];
      }
    }
    frontier = next;
  }
  return { dist, count };
}

/** Sizes and edge counts of the components of the subgraph induced by `ring`, sorted. */
function ringComponents(g: Graph, ring: number[]): string {
  const inRing = new Set(ring), seen = new Set<number>();
  const comps: Array<[number, number]> = [];
  for (const r of ring) {
    if (seen.has(r)) continue;
    let size = 0, deg = 0;
    const stack = [r];
    seen.add(r);
    while (stack.length) {
      const x = stack.pop()!;
      size++;
      for (const y of g.neighbors(x)) {
        if (!inRing.has(y)) continue;
        deg++;
        if (!seen.has(y)) {
          seen.add(y);
          stack.push(y);
        }
      }
    }
    comps.push([size, deg / 2]);
  }
  comps.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return comps.map((c) => `${c[0]}/${c[1]}`).join(",");
}

function relationsOf(
  g: Graph,
  o: Required<Omit<ColorRefinementOptions, "backend">> & { backend: "ts" | "wasm" },
  label: (s: string) => number,
): Relations {
  const n = g.n;
  const adj: number[][] = Array.from({ length: n }, () => []);
  const init = new Array<string>(n).fill("");
  const add = (lab: string, src: ArrayLike<number>, dst: ArrayLike<number>) => {
    const id = label(lab);
    for (let i = 0; i < src.length; i++) adj[dst[i]].push(id, src[i]);
  };
  const m = o.method;
  if (m === "1-WL" || m === "CS" || m === "CS+SPD") {
    const e = g.arcs();
    add("E", e.src, e.dst);
  }
  if (m === "SPD" || m === "KP" || m === "CS+SPD") {
    for (let v = 0; v < n; v++) {
      const { dist, count } = bfs(g, v, o.k);
      const rings: number[][] = Array.from({ length: o.k + 1 }, () => []);
      for (let u = 0; u < n; u++) {
        const d = dist[u];
        if (d < 1) continue;
        rings[d].push(u);
        adj[v].push(label(m === "KP" ? `S${d}#${count[u]}` : `S${d}`), u);
      }
      if (m === "KP") {
        init[v] = rings.slice(1).map((r, i) => `${i + 1}:${ringComponents(g, r)}`).join(";");
      }
    }
  }
  if (m === "CS" || m === "CS+SPD") {
    const p = chordlessPairs(g, { maxLength: o.maxLength, backend: o.backend });
    p.pairs.forEach((r, d) => add(`P${d}`, r.src, r.dst));
    if (o.complement) {
      const q = chordlessPairs(g, { maxLength: o.maxLength, backend: o.backend, complement: true });
      q.pairs.forEach((r, d) => add(`Q${d}`, r.src, r.dst));
    }
  }
  return { adj, init };
}

function checkOptions(graphs: Graph[], options: ColorRefinementOptions) {
  if (!Array.isArray(graphs) || graphs.some((g) => !(g instanceof Graph))) {
    throw new InvalidArgumentError("colorRefinement: graphs must be an array of Graph");
  }
  if (!options || !METHODS.includes(options.method)) {
    throw new InvalidArgumentError(
      `colorRefinement: method must be one of ${METHODS.join(", ")}, got ${describe(options?.method)}`,
    );
  }
  for (const [i, g] of graphs.entries()) {
    if (g.directed) {
      throw new InvalidArgumentError(`colorRefinement: graph ${i} is directed; undirected needed`);
    }
    for (let v = 0; v < g.n; v++) {
      if (g.hasEdge(v, v)) {
        throw new InvalidArgumentError(`colorRefinement: graph ${i} has a self-loop at ${v}`);
      }
    }
  }
  const k = requireInt("k", options.k ?? 2, 1, 64);
  const maxLength = options.maxLength ?? 8;
  if (!Number.isInteger(maxLength) || maxLength < 3) {
    throw new InvalidArgumentError(
      `colorRefinement: maxLength must be an integer >= 3, got ${describe(maxLength)}`,
    );
  }
  const backend = options.backend ?? "ts";
  if (backend !== "ts" && backend !== "wasm") {
    throw new InvalidArgumentError(`backend must be "ts" or "wasm", got ${describe(backend)}`);
  }
  return { method: options.method, k, maxLength, complement: options.complement ?? true, backend };
}

/**
 * Runs colour refinement jointly on `graphs` and returns one class id per graph: graphs with equal ids
 * have equal final colour histograms (the method does not separate them). Ids are numbered in order of
 * first appearance, so the output is deterministic.
 *
 * @example
 * ```ts
 * import { bicyclopentyl, colorRefinement, decalin } from "./mod.ts";
 * colorRefinement([decalin(), bicyclopentyl()], { method: "1-WL" }); // [0, 0]
 * colorRefinement([decalin(), bicyclopentyl()], { method: "CS", maxLength: 6 }); // [0, 1]
 * ```
 */
export function colorRefinement(graphs: Graph[], options: ColorRefinementOptions): number[] {
  const o = checkOptions(graphs, options);
  const labels = new Map<string, number>();
  const label = (s: string) => {
    let id = labels.get(s);
    if (id === undefined) labels.set(s, id = labels.size);
    return id;
  };
  const rels = graphs.map((g) => relationsOf(g, o, label));
  // initial colours (shared dictionary)
  const dict0 = new Map<string, number>();
  let colors = rels.map((r) =>
    Int32Array.from(r.init, (s) => {
      let id = dict0.get(s);
      if (id === undefined) dict0.set(s, id = dict0.size);
      return id;
    })
  );
  let classes = dict0.size;
  const total = graphs.reduce((s, g) => s + g.n, 0);
  const M = 2 ** 26;
  for (let round = 0; round <= total; round++) {
    const dict = new Map<string, number>();
    const next = rels.map((r, gi) => {
      const c = colors[gi], out = new Int32Array(c.length);
      for (let v = 0; v < c.length; v++) {
        const a = r.adj[v], sig = new Array<number>(a.length / 2);
        for (let i = 0; i < a.length; i += 2) sig[i / 2] = a[i] * M + c[a[i + 1]];
        sig.sort((x, y) => x - y);
        const key = c[v] + "|" + sig.join(",");
        let id = dict.get(key);
        if (id === undefined) dict.set(key, id = dict.size);
        out[v] = id;
      }
      return out;
    });
    colors = next;
    if (dict.size === classes) break;
    classes = dict.size;
  }
  const hist = new Map<string, number>();
  return colors.map((c) => {
    const key = Array.from(c).sort((a, b) => a - b).join(",");
    let id = hist.get(key);
    if (id === undefined) hist.set(key, id = hist.size);
    return id;
  });
}

/**
 * Whether `method` separates two graphs (their refined colour histograms differ).
 *
 * @example
 * ```ts
 * import { cycleGraph, separated, twoTriangles } from "./mod.ts";
 * separated(cycleGraph(6), twoTriangles(), { method: "1-WL" }); // false
 * ```
 */
export function separated(a: Graph, b: Graph, options: ColorRefinementOptions): boolean {
  const [x, y] = colorRefinement([a, b], options);
  return x !== y;
}

/**
 * Into how many classes `method` splits a family of graphs (the family's size when it separates all).
 *
 * @example
 * ```ts
 * import { countClasses, cslGraph } from "./mod.ts";
 * countClasses([cslGraph(41, 2), cslGraph(41, 3)], { method: "1-WL" }); // 1
 * ```
 */
export function countClasses(graphs: Graph[], options: ColorRefinementOptions): number {
  return new Set(colorRefinement(graphs, options)).size;
}
