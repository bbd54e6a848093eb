/**
 * Linear algebra: dot, axpy and f32 matmul on every backend.
 *
 * @example
 * ```ts
 * import { matmul } from "./mod.ts";
 * const c = await matmul(new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]), 2, 2, 2, { backend: "wasm" });
 * // c = [19, 22, 43, 50]
 * ```
 *
 * @module
 */
import { describe, InvalidArgumentError, requireFinite, requireInt, requireLength } from "../core/errors.ts";
import { type BackendOptions, type BackendProbe, selectBackend } from "../runtime/backend.ts";
import { getGpu, gpuAvailable } from "../runtime/gpu.ts";
import { wasmAvailable, WasmF32 } from "../runtime/wasm.ts";
import { axpyTs, dotTs, matmulTs } from "./reference.ts";
import { axpyWasm, dotWasm, type F32Input, matmulWasm, type WasmKernelOptions } from "./wasm.ts";
import { matmulWebGPU } from "./webgpu.ts";

export { axpyTs, dotTs, matmulTs } from "./reference.ts";
export { MATMUL_PARALLEL_MIN_FLOPS } from "./wasm.ts";
export type { F32Input, WasmKernelOptions } from "./wasm.ts";

/** Options of linalg operations: the backend, and wasm tuning. */
export type LinalgOptions = BackendOptions & WasmKernelOptions;

const probe: BackendProbe = { wasm: wasmAvailable, webgpu: gpuAvailable };

function requireF32(name: string, x: unknown): F32Input {
  if (x instanceof Float32Array || x instanceof WasmF32) return x;
  throw new InvalidArgumentError(`${name} must be a Float32Array or WasmF32, got ${describe(x)}`);
}

function plain(x: F32Input): Float32Array {
  return x instanceof WasmF32 ? x.array : x;
}

/**
 * C = A B for row-major f32 matrices A (m x k) and B (k x n); returns C (m x n, row-major).
 *
 * Backends: `ts` (float64 accumulation, the reference), `wasm` (blocked f32x4 kernel, rows split over
 * the worker pool above MATMUL_PARALLEL_MIN_FLOPS), `webgpu` (tiled WGSL with workgroup memory).
 * `auto` takes webgpu on a hardware adapter for large products, wasm otherwise.
 *
 * @example
 * ```ts
 * import { matmul } from "./mod.ts";
 * const a = new Float32Array([1, 2, 3]); // 1 x 3
 * const b = new Float32Array([1, 0, 0, 1, 1, 1]); // 3 x 2
 * const c = await matmul(a, b, 1, 3, 2); // [4, 5]
 * ```
 */
export async function matmul(
  a: F32Input,
  b: F32Input,
  m: number,
  k: number,
  n: number,
  options: LinalgOptions = {},
): Promise<Float32Array> {
  requireF32("a", a);
  requireF32("b", b);
  requireInt("m", m, 0);
  requireInt("k", k, 0);
  requireInt("n", n, 0);
  requireLength("a", a, m * k, `m * k = ${m} * ${k}`);
  requireLength("b", b, k * n, `k * n = ${k} * ${n}`);
  if (options.variant !== undefined && options.variant !== "simd" && options.variant !== "scalar") {
    throw new InvalidArgumentError(`variant must be "simd" or "scalar", got ${describe(options.variant)}`);
  }
  if (options.threads !== undefined) requireInt("threads", options.threads, 1, 256);
  const big = m * k * n >= 1 << 24;
  let preference: Array<"ts" | "wasm" | "webgpu"> = ["wasm", "ts"];
  if (big && options.backend === "auto" && (await gpuAvailable())) {
    const gpu = await getGpu();
    if (!gpu.adapterInfo.isFallbackAdapter) preference = ["webgpu", "wasm", "ts"];
  }
  const choice = await selectBackend(options.backend, probe, { op: "matmul", preference });
  options.onBackend?.(choice);
  if (m === 0 || n === 0) return new Float32Array(m * n);
  if (k === 0) return new Float32Array(m * n);
  switch (choice.backend) {
    case "ts":
      return matmulTs(plain(a), plain(b), m, k, n);
    case "wasm":
      return await matmulWasm(a, b, m, k, n, options);
    case "webgpu":
      return await matmulWebGPU(plain(a), plain(b), m, k, n);
  }
}

/**
 * Σ x[i] y[i]. The ts backend accumulates in float64; wasm accumulates f32 in four f32x4 lanes.
 *
 * @example
 * ```ts
 * import { dot } from "./mod.ts";
 * await dot(new Float32Array([1, 2]), new Float32Array([3, 4])); // 11
 * ```
 */
export async function dot(x: F32Input, y: F32Input, options: LinalgOptions = {}): Promise<number> {
  requireF32("x", x);
  requireF32("y", y);
  requireLength("y", y, x.length, "dot needs equal lengths");
  const choice = await selectBackend(options.backend, probe, { op: "dot", supported: ["ts", "wasm"] });
  options.onBackend?.(choice);
  return choice.backend === "ts" ? dotTs(plain(x), plain(y)) : await dotWasm(x, y, options);
}

/**
 * y += alpha x, in place; returns y (for a WasmF32 y, a view of it).
 *
 * @example
 * ```ts
 * import { axpy } from "./mod.ts";
 * const y = new Float32Array([1, 1]);
 * await axpy(2, new Float32Array([1, 2]), y); // y = [3, 5]
 * ```
 */
export async function axpy(
  alpha: number,
  x: F32Input,
  y: F32Input,
  options: LinalgOptions = {},
): Promise<Float32Array> {
  requireFinite("alpha", alpha);
  requireF32("x", x);
  requireF32("y", y);
  requireLength("x", x, y.length, "axpy needs equal lengths");
  const choice = await selectBackend(options.backend, probe, { op: "axpy", supported: ["ts", "wasm"] });
  options.onBackend?.(choice);
  if (choice.backend === "ts") {
    const out = plain(y);
    axpyTs(alpha, plain(x), out);
    return out;
  }
  return await axpyWasm(alpha, x, y, options);
}
