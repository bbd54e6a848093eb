/**
 * The WebGPU walk path: DeepWalk, node2vec and PPR with one invocation per walk (kernels-wgsl/walk.wgsl)
 * over a copy of the graph's u32 pool in a storage buffer. The copy is re-uploaded only after the graph
 * changed. Walk w draws Philox(seed, stream w) exactly as the ts and wasm backends do, so the walks are
 * bit-identical to theirs.
 *
 * The pool buffer is shared with the GPU batch updates of lib/walk/webgpu_update.ts (`applyBatch` on the
 * webgpu backend), which keep it equal to the host's pool word for word, so walks after GPU batches need no
 * upload. Updates made on the host (the synchronous `insertEdges` / `deleteEdges`) change the graph's
 * version, and the next GPU use uploads the whole pool again.
 *
 * A walk runs over several dispatches of at most a few hundred steps each (its state kept in a buffer
 * between them), so that no invocation loops for long: llvmpipe stops an invocation's loops after 65535
 * iterations in all and carries on, which once ended long walks (thousands of steps) early without an
 * error. The kernel flags a walk whose loop was left early; such a pass runs again with 16 times fewer
 * steps per dispatch, and GpuWalkCutShortError is thrown if even one step per dispatch is cut short.
 *
 * On a machine without a GPU the adapter is a CPU rasterizer (llvmpipe): results are right, speed is not a
 * GPU's.
 *
 * @module
 */
import { BackendUnavailableError, InvalidArgumentError, TesseraError } from "../core/errors.ts";
import { BufferUsage, getGpu, gpuUnavailableReason, loadShaderWith } from "../runtime/gpu.ts";
import type { GpuContext } from "../runtime/gpu.ts";
import { H_TOP } from "./layout.ts";

/** Steps per dispatch of a GPU walk (kernels-wgsl/walk.wgsl: walks run over several dispatches). */
const WALK_CHUNK: Record<GpuWalkKind, number> = { deepwalk: 1024, node2vec: 256, ppr: 1024 };
/** Flags in a walk's state word 3 (kernels-wgsl/walk.wgsl DONE, ERR). */
const WALK_DONE = 0x80000000, WALK_ERR = 0x40000000;

function describeAdapter(gpu: GpuContext): string {
  return `WebGPU adapter (${gpu.describe()})`;
}

/**
 * A GPU walk whose invocations the adapter stopped early even at one step per dispatch (the walks are
 * not returned).
 *
 * @example
 * ```ts
 * import { GpuWalkCutShortError } from "./webgpu.ts";
 * new GpuWalkCutShortError("cut short") instanceof Error; // true
 * ```
 */
export class GpuWalkCutShortError extends TesseraError {}

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
  #poolWords = 0;
  #version = -1;
  #uploads = 0;
  #grows = 0;

  /**
   * @internal A lower storage-binding limit in bytes than the device's maxStorageBufferBindingSize (null:
   * the device's), so that tests can make a batch too large for one binding on any adapter.
   */
  maxBindingBytes: number | null = null;

  /** @internal Steps per dispatch of the walks (null: WALK_CHUNK), so that tests can force a cut-short pass. */
  walkChunk: number | null = null;

  /**
   * @internal Makes the first pass of each walk leave out its second dispatch, so that the next dispatch
   * finds its walks at the wrong step, flags them and the pass runs again (tests of that path that do not
   * need an adapter to cut an invocation short).
   */
  skipDispatchForTests = false;

  /** @internal What the last walk did: its passes (a pass cut short runs again) and dispatches. */
  lastWalk: { passes: number; dispatches: number } = { passes: 0, dispatches: 0 };

  /**
   * @internal Makes the next GPU batch throw an injected failure at `step` of its sub-batch `part` (0 when
   * left out), once; for tests of the roll-back (see lib/walk/webgpu_update.ts). "result" instead spoils
   * the pass's result (one vertex's degree) before the host's checks, as a pass cut short would.
   */
  failAt: { step: "plan" | "apply" | "result" | "readback" | "finish"; part?: number } | null = null;

  /**
   * @internal What the last GPU batch did: its sub-batches, the pool words it saved for a roll-back and the
   * words it read back from the GPU.
   */
  lastBatch: { parts: number; savedWords: number; readWords: number } = {
    parts: 0,
    savedWords: 0,
    readWords: 0,
  };

  /** @internal The storage-binding limit in bytes: the device's, or `maxBindingBytes` when lower. */
  bindingLimit(gpu: GpuContext): number {
    const device = gpu.limits.maxStorageBufferBindingSize;
    return this.maxBindingBytes === null ? device : Math.min(device, this.maxBindingBytes);
  }

  /** @internal Throws InvalidArgumentError when `bytes` exceed bindingLimit (what, the numbers, what to do). */
  requireBindable(gpu: GpuContext, what: string, bytes: number): void {
    const limit = this.bindingLimit(gpu);
    if (bytes > limit) {
      const lowered = limit < gpu.limits.maxStorageBufferBindingSize ? " (lowered by maxBindingBytes)" : "";
      throw new InvalidArgumentError(
        `${what} needs ${bytes} bytes, more than one storage binding holds: the WebGPU device's ` +
          `maxStorageBufferBindingSize${lowered} is ${limit} bytes (${Math.floor(limit / 4)} u32 words); ` +
          `use the ts or wasm backend`,
      );
    }
  }

  /** @internal Times the buffer was enlarged by a copy on the GPU. */
  get grows(): number {
    return this.#grows;
  }

  /** @internal Whole-pool uploads so far (GPU batches keep the buffer current without one). */
  get uploads(): number {
    return this.#uploads;
  }

  /** @internal The device (BackendUnavailableError where WebGPU is missing). */
  async context(): Promise<GpuContext> {
    return await this.#context();
  }

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
    this.requireBindable(gpu, `the walks (${outLen} u32)`, 4 * outLen);
    const pool = await this.poolBuffer(m, version, m[H_TOP]);
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
    const sbuf = gpu.upload(starts);
    const obuf = gpu.acquire(4 * outLen, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
    const stbuf = gpu.acquire(16 * n, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
    const params: GPUBuffer[] = [];
    // One pass of dispatches of at most `chunk` steps each; returns the walks' state words.
    const pass = async (chunk: number): Promise<Uint32Array> => {
      const dispatch = async (s0: number, s1: number) => {
        p[4] = s0;
        p[7] = s1;
        const pb = gpu.upload(p, BufferUsage.UNIFORM);
        params.push(pb);
        this.lastWalk.dispatches++;
        await gpu.run(pipeline, [
          pb,
          pool,
          { buffer: sbuf, size: 4 * n },
          { buffer: obuf, size: 4 * outLen },
          { buffer: stbuf, size: 16 * n },
        ], [gx, gy]);
      };
      const state = async () => new Uint32Array(await gpu.readback(stbuf, 16 * n));
      if (kind === "ppr") {
        for (let s0 = 0;; s0 += chunk) {
          await dispatch(s0, s0 + chunk);
          const st = await state();
          let running = false;
          for (let w = 0; w < n && !running; w++) running = (st[4 * w + 3] & WALK_DONE) === 0;
          if (!running) return st;
        }
      }
      for (let s0 = 0; s0 === 0 || s0 < length; s0 = s0 === 0 ? chunk : s0 + chunk) {
        // test hook: the first pass leaves out its second dispatch, as if it had been cut short
        if (this.skipDispatchForTests && this.lastWalk.passes === 1 && s0 === chunk) continue;
        await dispatch(s0, Math.min(length, s0 === 0 ? chunk : s0 + chunk));
      }
      return await state();
    };
    try {
      // a few long walks would otherwise loop for long in one invocation (see kernels-wgsl/walk.wgsl):
      // some adapters cut that short (llvmpipe after 65535 loop iterations in all); a pass that was cut
      // short runs again in smaller steps
      this.lastWalk = { passes: 0, dispatches: 0 };
      for (let chunk = this.walkChunk ?? WALK_CHUNK[kind];; chunk = Math.max(1, Math.floor(chunk / 16))) {
        this.lastWalk.passes++;
        const st = await pass(chunk);
        let cut = -1;
        for (let w = 0; w < n && cut < 0; w++) if (st[4 * w + 3] & WALK_ERR) cut = w;
        if (cut < 0) break;
        if (chunk === 1) {
          throw new GpuWalkCutShortError(
            `the ${describeAdapter(gpu)} cut walk ${cut}'s invocation short even at one step per dispatch ` +
              `(some adapters, llvmpipe for one, stop an invocation's loops after a fixed number of ` +
              `iterations): run these walks on the ts or wasm backend`,
          );
        }
      }
      out.set(new Uint32Array(await gpu.readback(obuf, 4 * outLen)));
      return out;
    } finally {
      gpu.release(sbuf, obuf, stbuf, ...params);
    }
  }

  /**
   * @internal The pool's buffer binding, holding at least words [0, words) of `m` as of `version`: the
   * current buffer when it is, else a fresh whole upload of those words.
   */
  async poolBuffer(
    m: Uint32Array,
    version: number,
    words: number,
  ): Promise<{ buffer: GPUBuffer; size: number }> {
    const gpu = await this.#context();
    if (!this.isCurrent(version, words)) {
      this.requireBindable(gpu, `the graph's pool (${words} u32 words)`, 4 * words);
      if (this.#pool) gpu.release(this.#pool);
      this.#pool = null;
      this.#version = -1;
      // a copy: the pool may live in shared wasm memory, which writeBuffer does not take everywhere
      this.#pool = gpu.upload(m.slice(0, words), BufferUsage.STORAGE | BufferUsage.COPY_SRC);
      this.#poolWords = words;
      this.#version = version;
      this.#uploads++;
    }
    return { buffer: this.#pool!, size: 4 * this.#poolWords };
  }

  /**
   * @internal Makes a current buffer hold at least `words` words, copying the old one into one 1.5x larger
   * (or `words`, when more) on the GPU (the words past the old end are not initialised: the host's pool has nothing allocated there,
   * and whatever a batch allocates reaches the GPU whole).
   */
  async grow(words: number): Promise<void> {
    const gpu = await this.#context();
    if (this.#pool === null || this.#poolWords >= words) return;
    this.requireBindable(gpu, `the graph's pool (${words} u32 words)`, 4 * words);
    // 1.5x headroom (within the binding limit): a run of batches copies O(1) words per word on the GPU
    const limit = Math.floor(this.bindingLimit(gpu) / 4);
    words = Math.max(words, Math.min(limit, Math.ceil(1.5 * this.#poolWords)));
    const old = this.#pool, oldWords = this.#poolWords;
    const fresh = gpu.acquire(4 * words, BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST);
    const encoder = gpu.device.createCommandEncoder({ label: "walk pool grow" });
    encoder.copyBufferToBuffer(old, 0, fresh, 0, 4 * oldWords);
    gpu.device.queue.submit([encoder.finish()]);
    gpu.release(old);
    this.#pool = fresh;
    this.#poolWords = words;
    this.#grows++;
  }

  /** @internal The buffer as it is (whatever version it holds); throws when there is none. */
  binding(): { buffer: GPUBuffer; size: number } {
    if (this.#pool === null) throw new RangeError("the graph's pool has no GPU buffer");
    return { buffer: this.#pool, size: 4 * this.#poolWords };
  }

  /** @internal Whether the buffer holds at least `words` words of the pool as of `version`. */
  isCurrent(version: number, words: number): boolean {
    return this.#pool !== null && this.#version === version && this.#poolWords >= words;
  }

  /** @internal Declares the buffer equal to the pool as of `version` (after a GPU batch kept it in step). */
  markCurrent(version: number): void {
    this.#version = version;
  }

  /** @internal A copy of the buffer's first `words` words (for tests that compare it with the host's pool). */
  async readPool(words: number): Promise<Uint32Array> {
    const gpu = await this.#context();
    if (this.#pool === null || words > this.#poolWords) {
      throw new RangeError(`the GPU pool holds ${this.#pool ? this.#poolWords : 0} words, ${words} asked`);
    }
    return new Uint32Array(await gpu.readback(this.#pool, 4 * words));
  }

  /** @internal Forgets the buffer's contents (the next use uploads the pool whole). */
  invalidate(): void {
    this.#version = -1;
  }

  /** Gives the pool's GPU buffer back. */
  free(): void {
    if (this.#gpu && this.#pool) this.#gpu.release(this.#pool);
    this.#pool = null;
    this.#version = -1;
  }
}
