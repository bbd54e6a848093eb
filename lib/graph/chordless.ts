/**
 * Bounded-length chordless (induced) cycle enumeration, each cycle once (in the spirit of Dias et al.
 * 2013: grow chordless paths from a start vertex; never through a neighbour of the start except to
 * close), with a TypeScript reference and a wasm kernel (kernels-as/graph.ts) split over the worker
 * pool; and the chordless-cycle pair relations P_d (cycle distance d) of CSGNN.
 *
 * @module
 */
import { BackendUnavailableError, InvalidArgumentError, requireInt } from "../core/errors.ts";
import { getPool } from "../runtime/pool.ts";
import { getArena, kernelSync, loadKernel, wasmAvailable, type WasmBlock } from "../runtime/wasm.ts";
import { Graph } from "./graph.ts";

/** Options of the chordless-cycle functions. */
export interface ChordlessOptions {
  /** Longest cycle to report (>= 3). Default: n (every chordless cycle). */
  maxLength?: number;
  /** "ts" (reference, default) or "wasm" (needs `await loadGraphKernels()` first for the sync call). */
  backend?: "ts" | "wasm";
}

/**
 * Chordless cycles as a flat structure: cycle c is vertices[starts[c] .. starts[c] + lengths[c]),
 * beginning at its smallest vertex s, then s's smaller cycle neighbour, around to the larger one.
 */
export interface ChordlessCycleSet {
  lengths: Int32Array;
  starts: Int32Array;
  vertices: Int32Array;
}

function checkGraph(g: Graph, options: ChordlessOptions, op: string): number {
  if (!(g instanceof Graph)) throw new InvalidArgumentError(`${op}: expected a Graph`);
  if (g.directed) throw new InvalidArgumentError(`${op}: chordless cycles need an undirected graph`);
  for (let v = 0; v < g.n; v++) {
    if (g.hasEdge(v, v)) {
      throw new InvalidArgumentError(`${op}: the graph has a self-loop at ${v}; none allowed`);
    }
  }
  const maxLength = options.maxLength ?? Math.max(3, g.n);
  if (!Number.isInteger(maxLength) || maxLength < 3) {
    throw new InvalidArgumentError(
      `${op}: maxLength must be an integer >= 3 (the shortest cycle is a triangle), got ${maxLength}`,
    );
  }
  return maxLength;
}

/** The TypeScript reference (same search order as the wasm kernel, so the same output order). */
function chordlessCyclesTs(g: Graph, maxLen: number): ChordlessCycleSet {
  const n = g.n, off = g.offsets, tgt = g.targets;
  const cnt = new Int32Array(n), inPath = new Uint8Array(n), adjS = new Uint8Array(n);
  const path = new Int32Array(maxLen), pos = new Int32Array(maxLen);
  const lens: number[] = [], verts: number[] = [];
  const push = (y: number, depth: number) => {
    path[depth] = y;
    inPath[y] = 1;
    for (let a = off[y]; a < off[y + 1]; a++) cnt[tgt[a]]++;
    pos[depth] = off[y];
  };
  for (let s = 0; s < n; s++) {
    for (let k = off[s]; k < off[s + 1]; k++) if (tgt[k] > s) adjS[tgt[k]] = 1;
    for (let k0 = off[s]; k0 < off[s + 1]; k0++) {
      const u = tgt[k0];
      if (u <= s) continue;
      push(u, 0);
      let depth = 1;
      while (depth > 0) {
        const x = path[depth - 1], p = pos[depth - 1];
        if (p === off[x + 1]) {
          inPath[x] = 0;
          for (let a = off[x]; a < off[x + 1]; a++) cnt[tgt[a]]--;
          depth--;
          continue;
        }
        pos[depth - 1] = p + 1;
        const y = tgt[p];
        if (y <= s || inPath[y] || cnt[y] !== 1) continue;
        if (adjS[y]) {
          if (y > u && depth + 2 <= maxLen) {
            lens.push(depth + 2);
            verts.push(s, ...path.subarray(0, depth), y);
          }
          continue;
        }
        if (depth + 3 > maxLen) continue;
        push(y, depth);
        depth++;
      }
    }
    for (let k = off[s]; k < off[s + 1]; k++) adjS[tgt[k]] = 0;
  }
  return flat(Int32Array.from(lens), Int32Array.from(verts));
}

function flat(lengths: Int32Array, vertices: Int32Array): ChordlessCycleSet {
  const starts = new Int32Array(lengths.length);
  for (let c = 1; c < lengths.length; c++) starts[c] = starts[c - 1] + lengths[c - 1];
  return { lengths, starts, vertices };
}

/**
 * Loads the wasm graph kernels on this thread so the synchronous functions can use `backend: "wasm"`.
 *
 * @example
 * ```ts
 * import { loadGraphKernels } from "./chordless.ts";
 * await loadGraphKernels();
 * ```
 */
export async function loadGraphKernels(): Promise<void> {
  if (!wasmAvailable()) throw new BackendUnavailableError("wasm", "WebAssembly is unavailable here", ["ts"]);
  await loadKernel("graph");
}

interface WasmRun {
  blocks: WasmBlock[];
  off: number;
  tgt: number;
  scratch: number;
  cyc: number;
  vert: number;
}

function wasmSetup(g: Graph, maxLen: number, slots: number): WasmRun {
  const arena = getArena();
  const n = g.n, blocks: WasmBlock[] = [];
  const alloc = (words: number) => {
    const b = arena.alloc(Math.max(16, words * 4));
    blocks.push(b);
    return b.ptr;
  };
  const off = alloc(n + 1), tgt = alloc(g.targets.length);
  arena.u32(off, n + 1).set(g.offsets);
  arena.u32(tgt, g.targets.length).set(g.targets);
  const scratch = alloc(slots * (3 * n + 2 * maxLen));
  const cyc = alloc(n), vert = alloc(n);
  return { blocks, off, tgt, scratch, cyc, vert };
}

function wasmFinish(
  r: WasmRun,
  n: number,
): { total: number; totalVerts: number; lens: number; verts: number } {
  const arena = getArena();
  const cyc = arena.u32(r.cyc, n), vert = arena.u32(r.vert, n);
  let total = 0, totalVerts = 0;
  for (let s = 0; s < n; s++) {
    const c = cyc[s], v = vert[s];
    cyc[s] = total;
    vert[s] = totalVerts;
    total += c;
    totalVerts += v;
  }
  const lb = arena.alloc(Math.max(16, total * 4)), vb = arena.alloc(Math.max(16, totalVerts * 4));
  r.blocks.push(lb, vb);
  return { total, totalVerts, lens: lb.ptr, verts: vb.ptr };
}

function copyOut(total: number, totalVerts: number, lens: number, verts: number): ChordlessCycleSet {
  const arena = getArena();
  const l = Int32Array.from(arena.u32(lens, total)), v = Int32Array.from(arena.u32(verts, totalVerts));
  return flat(l, v);
}

function chordlessCyclesWasmSync(g: Graph, maxLen: number): ChordlessCycleSet {
  let kern;
  try {
    kern = kernelSync("graph");
  } catch {
    throw new BackendUnavailableError(
      "wasm",
      "the graph kernels are not loaded on this thread: await loadGraphKernels() first, or use chordlessCycleSet",
      ["ts"],
    );
  }
  const n = g.n;
  const r = wasmSetup(g, maxLen, 1);
  try {
    kern.chordless_cycles(r.off, r.tgt, n, maxLen, r.scratch, 1, 0, r.cyc, r.vert, 0, 0, 0, 1);
    const f = wasmFinish(r, n);
    kern.chordless_cycles(r.off, r.tgt, n, maxLen, r.scratch, 1, 1, r.cyc, r.vert, f.lens, f.verts, 0, 1);
    return copyOut(f.total, f.totalVerts, f.lens, f.verts);
  } finally {
    for (const b of r.blocks) getArena().free(b);
  }
}

/**
 * Every chordless (induced) cycle of length <= maxLength, each once, as a flat set; "wasm" runs the
 * kernel over `threads` threads of the worker pool (default 1).
 *
 * @example
 * ```ts
 * import { chordlessCycleSet } from "./chordless.ts";
 * import { cycleGraph } from "./builders.ts";
 * const set = await chordlessCycleSet(cycleGraph(6), { maxLength: 6, backend: "wasm" });
 * set.lengths; // Int32Array [6]
 * ```
 */
export async function chordlessCycleSet(
  g: Graph,
  options: ChordlessOptions & { threads?: number } = {},
): Promise<ChordlessCycleSet> {
  const maxLen = checkGraph(g, options, "chordlessCycleSet");
  const backend = options.backend ?? "ts";
  if (backend === "ts") return chordlessCyclesTs(g, maxLen);
  if (backend !== "wasm") {
    throw new InvalidArgumentError(`backend must be "ts" or "wasm", got ${JSON.stringify(backend)}`);
  }
  await loadGraphKernels();
  const threads = requireInt("threads", options.threads ?? 1, 1, 64);
  if (threads === 1) return chordlessCyclesWasmSync(g, maxLen);
  const n = g.n, slots = Math.min(Math.max(1, n), threads * 8);
  const r = wasmSetup(g, maxLen, slots);
  const pool = await getPool(threads);
  try {
    await pool.parallelFor(
      "graph",
      "chordless_cycles",
      [
        r.off,
        r.tgt,
        n,
        maxLen,
        r.scratch,
        slots,
        0,
        r.cyc,
        r.vert,
        0,
        0,
      ],
      0,
      slots,
    );
    const f = wasmFinish(r, n);
    await pool.parallelFor(
      "graph",
      "chordless_cycles",
      [
        r.off,
        r.tgt,
        n,
        maxLen,
        r.scratch,
        slots,
        1,
        r.cyc,
        r.vert,
        f.lens,
        f.verts,
      ],
      0,
      slots,
    );
    return copyOut(f.total, f.totalVerts, f.lens, f.verts);
  } finally {
    for (const b of r.blocks) getArena().free(b);
  }
}

/**
 * Every chordless (induced) cycle of length <= maxLength, each exactly once, as a vertex list that starts
 * at the cycle's smallest vertex. maxLength < 3, directed graphs and self-loops are errors.
 *
 * @example
 * ```ts
 * import { chordlessCycles } from "./chordless.ts";
 * import { Graph } from "./graph.ts";
 * const g = Graph.fromEdges(4, [[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]]);
 * chordlessCycles(g, { maxLength: 4 }); // [[0, 1, 2], [0, 2, 3]]
 * ```
 */
export function chordlessCycles(g: Graph, options: ChordlessOptions = {}): number[][] {
  const maxLen = checkGraph(g, options, "chordlessCycles");
  const backend = options.backend ?? "ts";
  if (backend !== "ts" && backend !== "wasm") {
    throw new InvalidArgumentError(`backend must be "ts" or "wasm", got ${JSON.stringify(backend)}`);
  }
  const set = backend === "ts" ? chordlessCyclesTs(g, maxLen) : chordlessCyclesWasmSync(g, maxLen);
  return cycleLists(set);
}

/**
 * The cycles of a flat set as vertex lists.
 *
 * @example
 * ```ts
 * import { cycleLists } from "./chordless.ts";
 * cycleLists({ lengths: Int32Array.of(3), starts: Int32Array.of(0), vertices: Int32Array.of(0, 1, 2) }); // [[0, 1, 2]]
 * ```
 */
export function cycleLists(set: ChordlessCycleSet): number[][] {
  return Array.from(
    set.lengths,
    (l, c) => Array.from(set.vertices.subarray(set.starts[c], set.starts[c] + l)),
  );
}

/**
 * Histogram of cycle lengths: length -> count.
 *
 * @example
 * ```ts
 * import { cycleLengthHistogram } from "./chordless.ts";
 * cycleLengthHistogram([[0, 1, 2], [3, 4, 5]]); // Map { 3 => 2 }
 * ```
 */
export function cycleLengthHistogram(cycles: number[][]): Map<number, number> {
  const h = new Map<number, number>();
  for (const c of cycles) h.set(c.length, (h.get(c.length) ?? 0) + 1);
  return new Map([...h].sort((a, b) => a[0] - b[0]));
}

/** Pairs (v, u) by cycle distance: relation d holds messages src[i] = u -> dst[i] = v. */
export interface CyclePairs {
  /** pairs[d] for d = 0..maxDistance (d = 0: the self pair once per cycle through v). */
  pairs: Array<{ src: Int32Array; dst: Int32Array }>;
  /** Number of chordless cycles used. */
  cycles: number;
}

/**
 * The CSGNN relations P_d: for each chordless cycle c (length <= maxLength), each v on c and each u on c,
 * the pair (v, u) at cycle distance d = min(|i - j|, |c| - |i - j|), once per shared cycle. With
 * `complement: true` the same on the complement graph (P'_d).
 *
 * @example
 * ```ts
 * import { chordlessPairs } from "./chordless.ts";
 * import { cycleGraph } from "./builders.ts";
 * const p = chordlessPairs(cycleGraph(4), { maxLength: 4 });
 * p.pairs[2].src.length; // 4 (each vertex with its opposite)
 * ```
 */
export function chordlessPairs(
  g: Graph,
  options: ChordlessOptions & { complement?: boolean } = {},
): CyclePairs {
  const maxLen = checkGraph(g, options, "chordlessPairs");
  const h = options.complement ? g.complement() : g;
  const cycles = cycleLists(chordlessCycleSetSync(h, maxLen, options.backend ?? "ts"));
  return pairsOfCycles(cycles, Math.floor(maxLen / 2));
}

function chordlessCycleSetSync(g: Graph, maxLen: number, backend: "ts" | "wasm"): ChordlessCycleSet {
  return backend === "wasm" ? chordlessCyclesWasmSync(g, maxLen) : chordlessCyclesTs(g, maxLen);
}

/**
 * Pair relations of given cycles (see chordlessPairs), d = 0..maxDistance.
 *
 * @example
 * ```ts
 * import { pairsOfCycles } from "./chordless.ts";
 * pairsOfCycles([[0, 1, 2]], 1).pairs[1].src.length; // 6
 * ```
 */
export function pairsOfCycles(cycles: number[][], maxDistance: number): CyclePairs {
  const src: number[][] = Array.from({ length: maxDistance + 1 }, () => []);
  const dst: number[][] = Array.from({ length: maxDistance + 1 }, () => []);
  for (const c of cycles) {
    const L = c.length;
    for (let i = 0; i < L; i++) {
      for (let j = 0; j < L; j++) {
        const a = Math.abs(i - j), d = Math.min(a, L - a);
        if (d > maxDistance) continue;
        src[d].push(c[j]);
        dst[d].push(c[i]);
      }
    }
  }
  return {
    pairs: src.map((s, d) => ({ src: Int32Array.from(s), dst: Int32Array.from(dst[d]) })),
    cycles: cycles.length,
  };
}
