/**
 * The WebGPU backend of linalg: the f32 matrix product (kernels-wgsl/matmul.wgsl).
 *
 * These are the `webgpu` backends behind the public operations; they validate sizes, but backend
 * selection and the `ts` oracle live with the public functions. Each call uploads its inputs, runs one
 * dispatch and reads the result back, with buffers from the runtime's pool (no reallocation on repeat
 * calls of the same size). On a machine without a GPU the adapter is a CPU rasterizer (llvmpipe):
 * results are right, speed is not a GPU's. llvmpipe stops an invocation's loops after 65535 iterations in
 * all (GpuContext.loopIterationLimit); there the k dimension of a long product is walked over several
 * dispatches (see {@link matmulSlicesPerDispatch}), with the same result as one.
 *
 * @module
 */
import { InvalidArgumentError, requireInt, requireLength } from "../core/errors.ts";
import { BufferUsage, getGpu, type GpuContext, loadShader, requireBindable } from "../runtime/gpu.ts";

const MATMUL_TILE = 64;
const MATMUL_TK = 16;
/** Loop iterations of one matmul invocation, counting every loop: per k slice, and outside them. */
const ITERATIONS_PER_SLICE = 85, ITERATIONS_FIXED = 40;

/**
 * The most k slices (of 16) one matmul dispatch walks on `gpu`: unlimited (Infinity) on a hardware
 * adapter; on one that stops an invocation's loops after GpuContext.loopIterationLimit iterations
 * (llvmpipe: 65535) the slices whose loops stay within 3/4 of it (577 slices, k = 9232, on llvmpipe).
 * Longer products run one dispatch per group of slices, each continuing from the C of the last.
 *
 * @example
 * ```ts
 * import { getGpu } from "../runtime/gpu.ts";
 * import { matmulSlicesPerDispatch } from "./webgpu.ts";
 * matmulSlicesPerDispatch(await getGpu()); // Infinity on a GPU, 577 on llvmpipe
 * ```
 */
export function matmulSlicesPerDispatch(gpu: GpuContext): number {
  const limit = gpu.loopIterationLimit;
  if (!Number.isFinite(limit)) return Infinity;
  return Math.max(1, Math.floor((0.75 * limit - ITERATIONS_FIXED) / ITERATIONS_PER_SLICE));
}

/**
 * C = A B in f32 on WebGPU, all row-major: A is m x k, B is k x n, C is m x n.
 *
 * Tiled kernel (64x64 tiles of C per 16x16 workgroup, 4x4 per invocation, k staged in slices of 16 in
 * workgroup memory); correct for any sizes. Accumulation is f32 with fma, so it agrees with a float64
 * reference to about k * 2^-24 relative to max |C| (tests check max|C - ref| / max|ref| <= 1e-5 up to
 * k = 257). Throws InvalidArgumentError when a matrix is larger than the device can bind. Where the
 * adapter caps an invocation's loop iterations (llvmpipe), k is walked in groups of
 * {@link matmulSlicesPerDispatch} slices, one dispatch each, adding in the same order as one dispatch.
 *
 * @example
 * ```ts
 * import { matmulWebGPU } from "./webgpu.ts";
 * const a = new Float32Array([1, 2, 3, 4]); // 2x2
 * const b = new Float32Array([5, 6, 7, 8]); // 2x2
 * const c = await matmulWebGPU(a, b, 2, 2, 2); // Float32Array [19, 22, 43, 50]
 * ```
 */
export async function matmulWebGPU(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
): Promise<Float32Array> {
  requireInt("m", m, 0);
  requireInt("k", k, 0);
  requireInt("n", n, 0);
  const gpu = await getGpu();
  requireBindable(gpu, `A (${m} x ${k} f32)`, 4 * m * k);
  requireBindable(gpu, `B (${k} x ${n} f32)`, 4 * k * n);
  requireBindable(gpu, `C (${m} x ${n} f32)`, 4 * m * n);
  requireLength("a", a, m * k, `A is m x k = ${m} x ${k}`);
  requireLength("b", b, k * n, `B is k x n = ${k} x ${n}`);
  const out = new Float32Array(m * n);
  if (m === 0 || n === 0) return out;
  const gx = Math.ceil(n / MATMUL_TILE), gy = Math.ceil(m / MATMUL_TILE);
  const maxWg = gpu.limits.maxComputeWorkgroupsPerDimension;
  if (gx > maxWg || gy > maxWg) {
    throw new InvalidArgumentError(
      `matmul of ${m} x ${n} needs ${gy} x ${gx} workgroups; this device allows ${maxWg} per dimension`,
    );
  }
  if (k === 0) return out;

  const pipeline = await gpu.pipeline("matmul.wgsl", await loadShader("matmul.wgsl"), "main");
  const slices = Math.ceil(k / MATMUL_TK);
  const perDispatch = Math.min(slices, matmulSlicesPerDispatch(gpu));
  const held: GPUBuffer[] = [];
  try {
    const bufA = gpu.upload(a);
    held.push(bufA);
    const bufB = gpu.upload(b);
    held.push(bufB);
    const bufC = gpu.acquire(4 * m * n, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
    held.push(bufC);
    for (let s0 = 0; s0 < slices; s0 += perDispatch) {
      const dims = gpu.upload(
        new Uint32Array([m, k, n, s0, Math.min(slices, s0 + perDispatch), 0, 0, 0]),
        BufferUsage.UNIFORM,
      );
      held.push(dims);
      await gpu.run(pipeline, [
        dims,
        { buffer: bufA, size: 4 * m * k },
        { buffer: bufB, size: 4 * k * n },
        { buffer: bufC, size: 4 * m * n },
      ], [gx, gy]);
    }
    out.set(new Float32Array(await gpu.readback(bufC, 4 * m * n)));
    return out;
  } finally {
    gpu.release(...held);
  }
}
