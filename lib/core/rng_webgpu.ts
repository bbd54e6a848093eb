/**
 * Philox-4x32-10 streams generated on WebGPU (kernels-wgsl/philox.wgsl): bit-identical to `fillU32`
 * and `fillUniformF32` of rng.ts.
 *
 * @module
 */
import { requireInt } from "./errors.ts";
import { seedKey } from "./rng.ts";
import { BufferUsage, getGpu, loadShaderWith, requireBindable } from "../runtime/gpu.ts";

const PHILOX_WORKGROUP = 256;

async function philoxFill(entry: string, n: number, seed: number, stream: number, offset: number) {
  const [k0, k1] = seedKey(seed);
  requireInt("n", n, 0);
  requireInt("stream", stream, 0, 0xffffffff);
  requireInt("offset", offset, 0);
  const gpu = await getGpu();
  requireBindable(gpu, `${n} random words`, 4 * n);
  const words = new Uint32Array(n);
  if (n === 0) return words;
  const block = Math.floor(offset / 4);
  const lane0 = offset % 4;
  const invocations = Math.ceil((lane0 + n) / 4);
  const groups = Math.ceil(invocations / PHILOX_WORKGROUP);
  const maxWg = gpu.limits.maxComputeWorkgroupsPerDimension;
  const gx = Math.min(groups, maxWg), gy = Math.ceil(groups / gx);
  const pipeline = await gpu.pipeline(
    "philox.wgsl",
    await loadShaderWith("philox.wgsl", ["philox_lib.wgsl"]),
    entry,
  );
  const params = gpu.upload(
    new Uint32Array([k0, k1, stream, n, block % 4294967296, Math.floor(block / 4294967296), lane0, 0]),
    BufferUsage.UNIFORM,
  );
  const out = gpu.acquire(4 * n, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
  try {
    await gpu.run(pipeline, [params, { buffer: out, size: 4 * n }], [gx, gy]);
    words.set(new Uint32Array(await gpu.readback(out, 4 * n)));
    return words;
  } finally {
    gpu.release(params, out);
  }
}

/**
 * Words `offset .. offset + n - 1` of Philox stream `stream` under `seed`, computed on WebGPU;
 * bit-identical to `fillU32(new Uint32Array(n), seed, stream, offset)` from lib/core/rng.ts.
 *
 * @example
 * ```ts
 * import { fillU32WebGPU } from "./rng_webgpu.ts";
 * const words = await fillU32WebGPU(1000, 42, 0, 3);
 * ```
 */
export function fillU32WebGPU(n: number, seed: number, stream = 0, offset = 0): Promise<Uint32Array> {
  return philoxFill("fill_u32", n, seed, stream, offset);
}

/**
 * Uniform f32 in [0, 1) from the same words, `(u >>> 8) * 2^-24`, computed on WebGPU; bit-identical
 * to `fillUniformF32(new Float32Array(n), seed, stream, offset)` from lib/core/rng.ts.
 *
 * @example
 * ```ts
 * import { fillUniformF32WebGPU } from "./rng_webgpu.ts";
 * const u = await fillUniformF32WebGPU(1000, 42);
 * ```
 */
export async function fillUniformF32WebGPU(
  n: number,
  seed: number,
  stream = 0,
  offset = 0,
): Promise<Float32Array> {
  const words = await philoxFill("fill_uniform_f32", n, seed, stream, offset);
  return new Float32Array(words.buffer, words.byteOffset, words.length);
}
