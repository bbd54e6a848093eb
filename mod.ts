/**
 * Tessera: scientific computing in TypeScript with WebAssembly (AssemblyScript, SIMD, worker pool)
 * and WebGPU kernels behind one typed API, and experiments that reproduce recent papers.
 *
 * @example
 * ```ts
 * import { matmul } from "./mod.ts";
 * const c = await matmul(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 0, 0, 1]), 2, 2, 2, { backend: "wasm" });
 * ```
 *
 * @module
 */
export * from "./lib/core/mod.ts";
export * from "./lib/runtime/mod.ts";
export * from "./lib/linalg/mod.ts";
export * from "./lib/attention/mod.ts";
export * from "./lib/graph/mod.ts";
export * from "./lib/gnn/mod.ts";
export * from "./lib/walk/mod.ts";
export * from "./lib/lbm/mod.ts";
/** The tensor and autodiff engine, as a namespace (its op names, e.g. `matmul`, would clash). */
export * as nn from "./lib/nn/mod.ts";
