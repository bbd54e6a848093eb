/**
 * Random walks on dynamically changing graphs: Bingo's radix-factorised sampler (with group adaption)
 * and the baselines (alias with rebuild, inverse transform on a prefix array and on a Fenwick tree,
 * max-envelope rejection, reservoir, uniform) over one graph store and one RNG, with streaming and batched
 * updates, biased DeepWalk, node2vec and personalized PageRank, on the ts, wasm and webgpu backends.
 *
 * @example
 * ```ts
 * import { DynamicGraph } from "./mod.ts";
 * const g = new DynamicGraph({ numVertices: 4, sampler: "bingo" });
 * g.insertEdges(new Uint32Array([0, 1, 2]), new Uint32Array([1, 2, 0]), new Float64Array([1, 2, 3]));
 * const walks = await g.deepWalk({ starts: new Uint32Array([0]), length: 5, seed: 1 }); // [0, 1, 2, 0, 1]
 * ```
 *
 * @module
 */
export {
  DynamicGraph,
  type DynamicGraphOptions,
  type EdgeBatch,
  type MemoryStats,
  type WalkBackend,
  type WalkOptions,
  walkWasmAvailable,
} from "./graph.ts";
export { GROUP_KINDS, NO_VERTEX, type SamplerName, SAMPLERS } from "./layout.ts";
export { checkInvariants } from "./invariants.ts";
export { WalkRng } from "./engine.ts";
export { GpuBatchFailedError, GpuBatchTooLargeError } from "./webgpu_update.ts";
export { GpuWalkCutShortError } from "./webgpu.ts";
