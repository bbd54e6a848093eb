/**
 * The WebGPU walk path: DeepWalk, node2vec and PPR with one invocation per walk (kernels-wgsl/walk.wgsl)
 * over a copy of the graph's u32 pool in a storage buffer. The copy is re-uploaded only after the graph
 * changed. Walk w draws Philox(seed, stream w) exactly as the ts and wasm backends do, so the walks are
 * bit-identical to theirs.
 *
 * Updates are not done on the GPU: they run on the host (wasm kernels, else the ts engine) and the next
 * walk uploads the changed pool.
 *
 * On a machine without a GPU the adapter is a CPU rasterizer (llvmpipe): results are right, speed is not a
 * GPU's.
 *
 * @module
 */
import { BackendUnavailableError } from "../core/errors.ts";
import {
  BufferUsage,
  getGpu,
  gpuUnavailableReason,
  loadShaderWith,
  requireBindable,
} from "../runtime/gpu.ts";
import type { GpuContext } from "../runtime/gpu.ts";
import { H_TOP } from "./layout.ts";

/** Samplers whose draws the WGSL kernel reproduces (integer draws only; the others compare float64). */
export const GPU_SAMPLERS: readonly string[] = ["bingo", "alias", "rejection", "uniform"];

const TWO26 = 67108864;
const TWO53 = 9007199254740992;
const INV53 = 1.1102230246251565e-16;

/**
 * The smallest 53-bit X with fl(X 2^-53 c) >= t, or 2^53 when there is none: the engine's float64 test
 * `uniform() * c < t` (uniform() = X 2^-53) holds exactly when X is below it. Returned as [X >> 26, X mod 2^26].
 *
 * @example
 * ```ts
 * import { uniformThreshold } from "./webgpu.ts";
 * uniformThreshold(1, 0.5); // [2^26, 0]: u < 0.5 exactly when X < 2^52
 * ```
 */
export function uniformThreshold(c: number, t: number): [number, number] {
  let lo = 0, hi = TWO53;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2); // (lo + hi) could round above 2^53
    if ((mid * INV53) * c >= t) hi = mid;
    else lo = mid + 1;
  }
  return [Math.floor(lo / TWO26), lo % TWO26];
}

/** Why the WebGPU walk path cannot run here (null when it can). */
export async function walkGpuUnavailable(): Promise<string | null> {
  return await gpuUnavailableReason();
}

/** The walk kinds of the WGSL kernel. */
export type GpuWalkKind = "deepwalk" | "node2vec" | "ppr";

/**
 * A graph's pool on the GPU, re-uploaded when its version changes.
 *
 * @example
 * ```ts
 * import { GpuWalker } from "./webgpu.ts";
 * const walker = new GpuWalker();
 * // const out = await walker.walk(pool, version, "deepwalk", starts, 10, lo, hi, {}); walker.free();
 * ```
 */
export class GpuWalker {
  #gpu: GpuContext | null = null;
  #pool: GPUBuffer | null = null;
  #poolBytes = 0;
  #version = -1;

  async #context(): Promise<GpuContext> {
    if (this.#gpu) return this.#gpu;
    const why = await gpuUnavailableReason();
    if (why !== null) throw new BackendUnavailableError("webgpu", why, ["ts", "wasm"]);
    this.#gpu = await getGpu();
    return this.#gpu;
  }

  /**
   * Runs `n = starts.length` walks of `kind` on the GPU; returns n x length vertices (deepwalk, node2vec)
   * or n endpoints (ppr). `m` is the pool; `version` changes whenever the pool changed.
   */
  async walk(
    m: Uint32Array,
    version: number,
    kind: GpuWalkKind,
    starts: Uint32Array,
    length: number,
    seedLo: number,
    seedHi: number,
    extra: { ip?: number; iq?: number; alpha?: number },
  ): Promise<Uint32Array> {
    const gpu = await this.#context();
    const n = starts.length;
    const outLen = kind === "ppr" ? n : n * length;
    const out = new Uint32Array(outLen);
    if (n === 0) return out;
    const words = m[H_TOP];
    requireBindable(gpu, `the graph's pool (${words} u32 words)`, 4 * words);
    requireBindable(gpu, `the walks (${outLen} u32)`, 4 * outLen);
    if (this.#version !== version || this.#pool === null) {
      if (this.#pool) gpu.release(this.#pool);
      this.#pool = null;
      // a copy: the pool may live in shared wasm memory, which writeBuffer does not take everywhere
      this.#pool = gpu.upload(m.slice(0, words));
      this.#poolBytes = 4 * words;
      this.#version = version;
    }
    const p = new Uint32Array(16);
    p[0] = seedLo;
    p[1] = seedHi;
    p[2] = length;
    p[3] = n;
    if (kind === "ppr") [p[5], p[6]] = uniformThreshold(1, extra.alpha!);
    if (kind === "node2vec") {
      const ip = extra.ip!, iq = extra.iq!, bound = Math.max(ip, 1, iq);
      [p[8], p[9]] = uniformThreshold(bound, ip);
      [p[10], p[11]] = uniformThreshold(bound, 1);
      [p[12], p[13]] = uniformThreshold(bound, iq);
    }
    const groups = Math.ceil(n / 64);
    const maxWg = gpu.limits.maxComputeWorkgroupsPerDimension;
    const gx = Math.min(groups, maxWg), gy = Math.ceil(groups / gx);
    const pipeline = await gpu.pipeline(
      "walk.wgsl",
      await loadShaderWith("walk.wgsl", ["philox_lib.wgsl"]),
      kind,
    );
    const params = gpu.upload(p, BufferUsage.UNIFORM);
    const sbuf = gpu.upload(starts);
    const obuf = gpu.acquire(4 * outLen, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
    try {
      await gpu.run(pipeline, [
        params,
        { buffer: this.#pool, size: this.#poolBytes },
        { buffer: sbuf, size: 4 * n },
        { buffer: obuf, size: 4 * outLen },
      ], [gx, gy]);
      out.set(new Uint32Array(await gpu.readback(obuf, 4 * outLen)));
      return out;
    } finally {
      gpu.release(params, sbuf, obuf);
    }
  }

  /** Gives the pool's GPU buffer back. */
  free(): void {
    if (this.#gpu && this.#pool) this.#gpu.release(this.#pool);
    this.#pool = null;
    this.#version = -1;
  }
}
