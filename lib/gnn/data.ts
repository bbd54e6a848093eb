/**
 * Datasets and preprocessing for the GNNs: the molecule fixtures (heavy-atom graphs with element
 * one-hot features), the CSL 10-class task, the per-model relations (edges, CSGNN's P_i / P'_i,
 * k-hop rings, chordless-cycle flags) and batching into one disjoint graph.
 *
 * @module
 */
import { InvalidArgumentError, requireInt } from "../core/errors.ts";
import { Philox } from "../core/rng.ts";
import { chordlessCycleSet, cycleLists, pairsOfCycles } from "../graph/chordless.ts";
import { cslGraph } from "../graph/builders.ts";
import { Graph } from "../graph/graph.ts";

/** A graph with node features (rows of `x`, `dim` columns) and a target. */
export interface GraphSample {
  graph: Graph;
  x: Float32Array;
  dim: number;
  /** Regression value or class index. */
  y: number;
}

/** Elements with their own one-hot column; anything else falls in "other". */
export const ELEMENTS = ["C", "N", "O", "S", "F", "Cl", "Br", "I", "P"] as const;
/** Feature columns of a molecule atom: one-hot element (9 + other) and an aromatic flag. */
export const ATOM_FEATURES = ELEMENTS.length + 2;

/**
 * Parses molecule fixture lines "graph6 <TAB> atoms <TAB> target" (see tools/make-graph-fixtures.ts).
 *
 * @example
 * ```ts
 * import { parseMoleculeFixture } from "./data.ts";
 * parseMoleculeFixture("Bw\tC,C,O\t1.5\n")[0].y; // 1.5
 * ```
 */
export function parseMoleculeFixture(text: string): GraphSample[] {
  const out: GraphSample[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const parts = line.split("\t");
    if (parts.length !== 3) {
      throw new InvalidArgumentError(`molecule line ${i + 1}: expected 3 tab-separated fields`);
    }
    const graph = Graph.fromGraph6(parts[0]);
    const atoms = parts[1].split(",");
    if (atoms.length !== graph.n) {
      throw new InvalidArgumentError(`molecule line ${i + 1}: ${atoms.length} atoms for ${graph.n} vertices`);
    }
    const y = Number(parts[2]);
    if (!Number.isFinite(y)) {
      throw new InvalidArgumentError(`molecule line ${i + 1}: target ${parts[2]} is not a number`);
    }
    const x = new Float32Array(graph.n * ATOM_FEATURES);
    atoms.forEach((a, v) => {
      const sym = a[0].toUpperCase() + a.slice(1);
      const e = (ELEMENTS as readonly string[]).indexOf(sym);
      x[v * ATOM_FEATURES + (e < 0 ? ELEMENTS.length : e)] = 1;
      if (a[0] !== a[0].toUpperCase()) x[v * ATOM_FEATURES + ELEMENTS.length + 1] = 1;
    });
    out.push({ graph, x, dim: ATOM_FEATURES, y });
  });
  return out;
}

async function readFixture(name: string): Promise<string> {
  const url = new URL(`../../data/graphs/${name}`, import.meta.url);
  const res = await fetch(url);
  if (!res.ok) throw new InvalidArgumentError(`cannot read ${url.href}: HTTP ${res.status}`);
  return await res.text();
}

/**
 * NCI first-5K molecules (rdkit-data) with their TPSA as a regression target; `limit` takes the first ones.
 *
 * @example
 * ```ts
 * import { tpsaMolecules } from "./data.ts";
 * (await tpsaMolecules(100)).length; // 100
 * ```
 */
export async function tpsaMolecules(limit?: number): Promise<GraphSample[]> {
  const all = parseMoleculeFixture(await readFixture("tpsa_first5k.tsv"));
  return limit === undefined ? all : all.slice(0, requireInt("limit", limit, 1, all.length));
}

/**
 * The 163 BZR molecules of rdkit-data's bzr.sdf with their ACTIVITY value (regression).
 *
 * @example
 * ```ts
 * import { bzrMolecules } from "./data.ts";
 * (await bzrMolecules()).length; // 163
 * ```
 */
export async function bzrMolecules(): Promise<GraphSample[]> {
  return parseMoleculeFixture(await readFixture("bzr_activity.tsv"));
}

/** The skip lengths of the CSL benchmark's ten classes. */
export const CSL_SKIPS = [2, 3, 4, 5, 6, 9, 11, 12, 13, 16] as const;

/**
 * The CSL 10-class task: `perClass` random relabellings of CSL(41, R) per skip R (class = index of R),
 * constant node features (every node alike, so only structure can tell the classes apart).
 *
 * @example
 * ```ts
 * import { cslDataset } from "./data.ts";
 * cslDataset(15, 1).length; // 150
 * ```
 */
export function cslDataset(perClass: number, seed: number): GraphSample[] {
  requireInt("perClass", perClass, 1);
  const rng = new Philox(seed, 7);
  const out: GraphSample[] = [];
  CSL_SKIPS.forEach((r, cls) => {
    const base = cslGraph(41, r);
    for (let i = 0; i < perClass; i++) {
      const perm = Array.from({ length: 41 }, (_, k) => k);
      for (let k = 40; k > 0; k--) {
        const j = rng.int(k + 1);
        [perm[k], perm[j]] = [perm[j], perm[k]];
      }
      const graph = Graph.fromEdges(41, base.edges().map(([u, v]) => [perm[u], perm[v]] as [number, number]));
      out.push({ graph, x: new Float32Array(41).fill(1), dim: 1, y: cls });
    }
  });
  return out;
}

/** The models' structural inputs. */
export type ModelKind = "gin" | "gin-cycles" | "csgnn" | "csgnn-spd" | "khop";

/** Options of `prepareSample`. */
export interface PrepareOptions {
  kind: ModelKind;
  /** Message-passing layers. */
  layers: number;
  /** Longest chordless cycle (csgnn). Default 8. */
  maxLength?: number;
  /** Hops of the k-hop baseline. Default 3. */
  k?: number;
  /** Enumerate cycles with "ts" or "wasm". Default "ts". */
  backend?: "ts" | "wasm";
  /** csgnn: include the complement's P'_i. Default true (as in the notes). */
  complement?: boolean;
  /**
   * gin-cycles: the flagged cycle lengths [lo, hi] (one 0/1 column per length; cycles are enumerated up
   * to hi). Default [4, 11], the molecular variant of the notes.
   */
  flagLengths?: [number, number];
}

/** Message relations of one graph: relations[layer] is a list of (src -> dst) arc lists. */
export interface PreparedSample {
  n: number;
  x: Float32Array;
  dim: number;
  y: number;
  relations: Array<Array<{ src: Int32Array; dst: Int32Array }>>;
}

function hopRings(g: Graph, k: number): Array<{ src: Int32Array; dst: Int32Array }> {
  const src: number[][] = Array.from({ length: k + 1 }, () => []);
  const dst: number[][] = Array.from({ length: k + 1 }, () => []);
  const dist = new Int32Array(g.n);
  for (let v = 0; v < g.n; v++) {
    dist.fill(-1);
    dist[v] = 0;
    let frontier = [v];
    for (let d = 1; d <= k && frontier.length; d++) {
      const next: number[] = [];
      for (const x of frontier) {
        for (const y of g.neighbors(x)) {
          if (dist[y] !== -1) continue;
          dist[y] = d;
          next.push(y);
          src[d].push(y);
          dst[d].push(v);
        }
      }
      frontier = next;
    }
  }
  return src.slice(1).map((s, i) => ({ src: Int32Array.from(s), dst: Int32Array.from(dst[i + 1]) }));
}

/**
 * Precomputes one sample's relations for a model kind:
 * - gin: every layer [E];
 * - gin-cycles: [E], node features extended by flags "on a chordless cycle of length l" (l = 4..11 unless
 *   `flagLengths` says otherwise);
 * - csgnn: layer i: [E, P_i, P'_i] as in the notes (relations are kept even when empty so that batches
 *   line up; the model skips a relation only when it is empty for the whole batch);
 * - csgnn-spd: csgnn plus the distance-2 shortest-path ring in every layer;
 * - khop: every layer [ring 1 (= E), ring 2, ..., ring k] (KP-GNN-like hop aggregation, shared MLP).
 *
 * @example
 * ```ts
 * import { prepareSample } from "./data.ts";
 * import { cycleGraph } from "../graph/builders.ts";
 * const g = cycleGraph(6);
 * const p = await prepareSample({ graph: g, x: new Float32Array(6).fill(1), dim: 1, y: 0 }, { kind: "csgnn", layers: 2 });
 * p.relations[1].length; // 3: E, P_1, P'_1
 * ```
 */
export async function prepareSample(s: GraphSample, o: PrepareOptions): Promise<PreparedSample> {
  const layers = requireInt("layers", o.layers, 1, 64);
  const maxLength = o.maxLength ?? 8;
  const g = s.graph, e = g.arcs();
  const E = { src: e.src, dst: e.dst };
  let x = s.x, dim = s.dim;
  let relations: PreparedSample["relations"];
  if (o.kind === "gin") relations = Array.from({ length: layers }, () => [E]);
  else if (o.kind === "gin-cycles") {
    const [lo, hi] = o.flagLengths ?? [4, 11];
    requireInt("flagLengths[0]", lo, 3);
    requireInt("flagLengths[1]", hi, lo);
    const cyc = cycleLists(await chordlessCycleSet(g, { maxLength: hi, backend: o.backend }));
    const flags = hi - lo + 1;
    const nx = new Float32Array(g.n * (dim + flags));
    for (let v = 0; v < g.n; v++) nx.set(s.x.subarray(v * dim, (v + 1) * dim), v * (dim + flags));
    for (const c of cyc) {
      if (c.length < lo) continue;
      for (const v of c) nx[v * (dim + flags) + dim + c.length - lo] = 1;
    }
    x = nx;
    dim += flags;
    relations = Array.from({ length: layers }, () => [E]);
  } else if (o.kind === "csgnn" || o.kind === "csgnn-spd") {
    const half = Math.floor(maxLength / 2);
    const p = pairsOfCycles(cycleLists(await chordlessCycleSet(g, { maxLength, backend: o.backend })), half);
    const q = o.complement === false ? null : pairsOfCycles(
      cycleLists(await chordlessCycleSet(g.complement(), { maxLength, backend: o.backend })),
      half,
    );
    const ring2 = o.kind === "csgnn-spd" ? hopRings(g, 2)[1] : null;
    relations = Array.from({ length: layers }, (_, i) => {
      const r = [E];
      if (ring2) r.push(ring2);
      if (i <= half) r.push(p.pairs[i]);
      if (q && i <= half) r.push(q.pairs[i]);
      return r;
    });
  } else if (o.kind === "khop") {
    const rings = hopRings(g, requireInt("k", o.k ?? 3, 1, 16));
    relations = Array.from({ length: layers }, () => [E, ...rings.slice(1)]);
  } else throw new InvalidArgumentError(`unknown model kind ${JSON.stringify(o.kind)}`);
  return { n: g.n, x, dim, y: s.y, relations };
}

/** Several samples as one disjoint graph. */
export interface Batch {
  n: number;
  x: Float32Array;
  dim: number;
  /** Graph index of each node (for sum pooling). */
  graphOf: Int32Array;
  numGraphs: number;
  y: number[];
  relations: Array<Array<{ src: Int32Array; dst: Int32Array }>>;
}

/**
 * Concatenates prepared samples (vertex ids shifted; relation r of layer l concatenated across samples,
 * matched by position, so samples must come from the same kind and layer count).
 *
 * @example
 * ```ts
 * import { makeBatch, prepareSample } from "./data.ts";
 * import { cycleGraph } from "../graph/builders.ts";
 * const s = await prepareSample({ graph: cycleGraph(4), x: new Float32Array(4).fill(1), dim: 1, y: 1 }, { kind: "gin", layers: 1 });
 * makeBatch([s, s]).n; // 8
 * ```
 */
export function makeBatch(samples: PreparedSample[]): Batch {
  if (!samples.length) throw new InvalidArgumentError("makeBatch: no samples");
  const dim = samples[0].dim, layers = samples[0].relations.length;
  const n = samples.reduce((a, s) => a + s.n, 0);
  const x = new Float32Array(n * dim), graphOf = new Int32Array(n);
  // relation slots per layer: the union of positions; a sample may have fewer (empty relations dropped)
  const slots = Array.from(
    { length: layers },
    (_, l) => Math.max(...samples.map((s) => s.relations[l].length)),
  );
  const rel = slots.map((k) =>
    Array.from({ length: k }, () => ({ src: [] as number[], dst: [] as number[] }))
  );
  let base = 0;
  samples.forEach((s, gi) => {
    if (s.dim !== dim || s.relations.length !== layers) {
      throw new InvalidArgumentError("makeBatch: samples differ in feature size or layer count");
    }
    x.set(s.x, base * dim);
    graphOf.fill(gi, base, base + s.n);
    s.relations.forEach((rs, l) =>
      rs.forEach((r, k) => {
        for (let i = 0; i < r.src.length; i++) {
          rel[l][k].src.push(r.src[i] + base);
          rel[l][k].dst.push(r.dst[i] + base);
        }
      })
    );
    base += s.n;
  });
  return {
    n,
    x,
    dim,
    graphOf,
    numGraphs: samples.length,
    y: samples.map((s) => s.y),
    relations: rel.map((rs) => rs.map((r) => ({ src: Int32Array.from(r.src), dst: Int32Array.from(r.dst) }))),
  };
}
