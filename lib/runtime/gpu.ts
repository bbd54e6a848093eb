/**
 * The WebGPU runtime: one device per process, a pipeline cache, a buffer pool, shader loading by URL,
 * dispatch with optional GPU timestamps.
 *
 * Where the device comes from:
 * - Deno and browsers: `navigator.gpu`. On a machine without a GPU, Deno's adapter is Mesa's llvmpipe
 *   (a CPU rasterizer): right answers, not GPU speed.
 * - Node and Bun: the npm `webgpu` package (dawn). Dawn's default backend is tried first; then OpenGL in
 *   "compatibility" mode with `EGL_PLATFORM=surfaceless`, which is what works on a Linux machine without
 *   a GPU (Mesa llvmpipe through EGL). Under Bun this path is opt-in (`TESSERA_BUN_WEBGPU=1`), because Bun
 *   has crashed with dawn on large buffers; without it `getGpu` throws BackendUnavailableError.
 * - `TESSERA_DAWN_BACKEND=opengl|opengles|vulkan|metal|d3d12` (Node/Bun) picks dawn's backend explicitly.
 *
 * No adapter means BackendUnavailableError("webgpu", why, ["ts", "wasm"]), never a crash.
 *
 * Kernel code follows one pattern: load the WGSL text with {@link loadShader}, get a cached pipeline with
 * {@link GpuContext.pipeline}, take buffers from the pool ({@link GpuContext.upload},
 * {@link GpuContext.acquire}), {@link GpuContext.run} the dispatch, {@link GpuContext.readback} the result
 * and release the buffers.
 *
 * @example
 * ```ts
 * import { getGpu, gpuAvailable, loadShader } from "./gpu.ts";
 * if (await gpuAvailable()) {
 *   const gpu = await getGpu();
 *   console.log(gpu.describe()); // e.g. "llvmpipe (fallback adapter), navigator.gpu"
 *   const code = await loadShader("stream.wgsl");
 *   const pipeline = await gpu.pipeline("stream.copy", code, "copy");
 * }
 * ```
 *
 * @module
 */
import { BackendUnavailableError, InvalidArgumentError, KernelLoadError } from "../core/errors.ts";

/** GPUBufferUsage flags as plain numbers (dawn under Node/Bun does not define the GPU* globals). */
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  INDEX: 0x0010,
  VERTEX: 0x0020,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  INDIRECT: 0x0100,
  QUERY_RESOLVE: 0x0200,
} as const;

const MAP_MODE_READ = 0x0001;

/** The loop limit of Mesa's software rasterizers (see {@link GpuContext.loopIterationLimit}). */
const SOFTWARE_LOOP_LIMIT = 65535;

/** Backends to name when WebGPU is missing (they never need a GPU). */
const OTHER_BACKENDS: readonly string[] = ["ts", "wasm"];

/** What the adapter says about itself. Fields an implementation leaves out are empty strings. */
export interface GpuAdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for software adapters such as llvmpipe (Deno reports it; dawn's OpenGL path does not). */
  isFallbackAdapter: boolean;
}

/** A buffer to bind: the whole buffer, or a range of it. */
export type GpuBinding = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

/** Options of {@link GpuContext.run}. */
export interface GpuRunOptions {
  /** Measure the GPU time of the pass with timestamp queries when the device has them. */
  timestamps?: boolean;
  /** Dispatch this many times in the same compute pass (for measurements); default 1. */
  repeat?: number;
  /** Debug label for the encoder and pass. */
  label?: string;
}

/** Result of {@link GpuContext.run}. */
export interface GpuRunResult {
  /** GPU time of the whole pass in ns, or null when timestamps were not asked for or not available. */
  gpuNs: number | null;
}

/** Counters of the caches, for tests and reports. */
export interface GpuStats {
  pipelinesCompiled: number;
  pipelineHits: number;
  buffersCreated: number;
  buffersReused: number;
  pooledBuffers: number;
  pooledBytes: number;
}

/**
 * A source of `GPU` objects that replaces the real one in tests (see {@link _setGpuFactoryForTests}).
 * Returning null or undefined means "no WebGPU implementation here".
 */
export type GpuFactory = () => GPU | null | undefined | Promise<GPU | null | undefined>;

/** The size a request of `bytes` is rounded up to, so that buffers of similar sizes are shared. */
export function bufferSizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const pow = 2 ** Math.ceil(Math.log2(bytes));
  if (pow <= 1 << 20) return pow;
  // Above 1 MiB round up to sixteenths of the enclosing power of two: at most 12.5% over the request.
  const step = pow / 16;
  return Math.ceil(bytes / step) * step;
}

const align4 = (n: number) => Math.ceil(n / 4) * 4;

/**
 * Pools GPU buffers by usage and size class, so repeated calls of a kernel reuse buffers instead of
 * allocating. Pooled buffers beyond `maxPooledBytes` are destroyed on release.
 *
 * @example
 * ```ts
 * import { BufferUsage, getGpu } from "./gpu.ts";
 * const gpu = await getGpu();
 * const buf = gpu.pool.acquire(4096, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
 * gpu.pool.release(buf); // the next acquire of the same class and usage gets it back
 * ```
 */
export class GpuBufferPool {
  readonly device: GPUDevice;
  readonly maxPooledBytes: number;
  #free = new Map<string, GPUBuffer[]>();
  #pooled = new Set<GPUBuffer>();
  #pooledBytes = 0;
  created = 0;
  reused = 0;

  constructor(device: GPUDevice, maxPooledBytes = 256 * 1024 * 1024) {
    this.device = device;
    this.maxPooledBytes = maxPooledBytes;
  }

  /** A buffer of at least `bytes` bytes with exactly `usage`; its `size` is the size class. */
  acquire(bytes: number, usage: number): GPUBuffer {
    if (!Number.isFinite(bytes) || bytes < 0) {
      throw new InvalidArgumentError(`buffer size must be a finite number >= 0, got ${bytes}`);
    }
    const limit = this.device.limits.maxBufferSize;
    if (bytes > limit) {
      throw new InvalidArgumentError(`buffer of ${bytes} bytes exceeds the device's maxBufferSize ${limit}`);
    }
    // Rounding up must not make a buffer that could be bound whole unbindable: past the binding
    // limit, buffers get their exact size.
    const cap = Math.min(limit, this.device.limits.maxStorageBufferBindingSize);
    let cls = bufferSizeClass(bytes);
    if (cls > cap) cls = Math.min(Math.max(256, align4(bytes)), Math.floor(limit / 4) * 4);
    const key = `${usage}:${cls}`;
    const list = this.#free.get(key);
    const hit = list?.pop();
    if (hit) {
      this.#pooled.delete(hit);
      this.#pooledBytes -= hit.size;
      this.reused++;
      return hit;
    }
    this.created++;
    return this.device.createBuffer({ size: cls, usage });
  }

  /** Returns a buffer to the pool. Releasing the same buffer twice is an error. */
  release(buffer: GPUBuffer): void {
    if (this.#pooled.has(buffer)) throw new InvalidArgumentError("GPU buffer released twice");
    if (buffer.mapState !== "unmapped") buffer.unmap();
    if (this.#pooledBytes + buffer.size > this.maxPooledBytes) {
      buffer.destroy();
      return;
    }
    const key = `${buffer.usage}:${buffer.size}`;
    let list = this.#free.get(key);
    if (!list) this.#free.set(key, list = []);
    list.push(buffer);
    this.#pooled.add(buffer);
    this.#pooledBytes += buffer.size;
  }

  /** Number and total bytes of buffers waiting in the pool. */
  get pooled(): { buffers: number; bytes: number } {
    return { buffers: this.#pooled.size, bytes: this.#pooledBytes };
  }

  /** Destroys every pooled buffer. */
  clear(): void {
    for (const b of this.#pooled) b.destroy();
    this.#pooled.clear();
    this.#free.clear();
    this.#pooledBytes = 0;
  }
}

/**
 * A WebGPU device with the caches every kernel shares. Get it from {@link getGpu}.
 *
 * @example
 * ```ts
 * import { BufferUsage, getGpu, loadShader } from "./gpu.ts";
 * const gpu = await getGpu();
 * const code = await loadShader("stream.wgsl");
 * const copy = await gpu.pipeline("stream.wgsl", code, "copy");
 * const n4 = 256; // vec4 elements
 * const params = gpu.upload(new Uint32Array([n4, 0, 0, 0]), BufferUsage.UNIFORM);
 * const src = gpu.upload(new Float32Array(4 * n4).fill(1), BufferUsage.STORAGE);
 * const dst = gpu.acquire(16 * n4, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
 * await gpu.run(copy, [params, dst, src], Math.ceil(n4 / 256));
 * const out = new Float32Array(await gpu.readback(dst, 16 * n4));
 * gpu.release(params, src, dst);
 * ```
 */
export class GpuContext {
  readonly device: GPUDevice;
  readonly adapterInfo: GpuAdapterSummary;
  /** Whether the device has the "timestamp-query" feature. */
  readonly hasTimestamps: boolean;
  /** The device's limits (after the higher ones this runtime asks for). */
  readonly limits: GPUSupportedLimits;
  /** Where the device came from: "navigator.gpu", "dawn/opengl", "dawn/default" or "test factory". */
  readonly source: string;
  /** The GPU buffer pool. */
  readonly pool: GpuBufferPool;
  #modules = new Map<string, Promise<GPUShaderModule>>();
  #pipelines = new Map<string, Promise<GPUComputePipeline>>();
  #pipelinesCompiled = 0;
  #pipelineHits = 0;
  #querySet: GPUQuerySet | null = null;
  #queryResolve: GPUBuffer | null = null;
  /** The GPU object the adapter came from (held so that dawn's instance lives as long as the device). */
  readonly gpu: GPU;

  /** @internal Use {@link getGpu}. */
  constructor(gpu: GPU, device: GPUDevice, adapterInfo: GpuAdapterSummary, source: string) {
    this.gpu = gpu;
    this.device = device;
    this.adapterInfo = adapterInfo;
    this.source = source;
    this.limits = device.limits;
    this.hasTimestamps = device.features.has("timestamp-query");
    this.pool = new GpuBufferPool(device);
    const { vendor, architecture, device: dev, description } = adapterInfo;
    const software = /llvmpipe|lavapipe|softpipe/i.test(`${vendor} ${architecture} ${dev} ${description}`);
    this.loopIterationLimit = software ? SOFTWARE_LOOP_LIMIT : Infinity;
    this.software = software || adapterInfo.isFallbackAdapter;
  }

  /**
   * True when the adapter runs on the CPU (Mesa's llvmpipe, lavapipe or softpipe, or an adapter that says it
   * is a fallback adapter): its timings are a correctness path's, not a GPU's.
   */
  readonly software: boolean;

  /**
   * Loop iterations one invocation may run in all before the adapter stops its loops: Mesa's software
   * rasterizers (llvmpipe, lavapipe) end every loop of an invocation once 65535 iterations have run in
   * all, without an error, and the invocation carries on after them; Infinity for other adapters. Hosts
   * whose kernels loop in proportion to their input size their dispatches so that no invocation reaches it.
   * Tests lower it to run those split paths on any adapter (and restore it).
   */
  loopIterationLimit: number;

  /** A short description for reports, e.g. "llvmpipe (fallback adapter), navigator.gpu". */
  describe(): string {
    const { description, vendor, device, isFallbackAdapter } = this.adapterInfo;
    let name = description || [vendor, device].filter(Boolean).join(" ") || "unknown adapter";
    if (/llvmpipe/i.test(name)) name = "llvmpipe";
    return `${name.trim()}${isFallbackAdapter ? " (fallback adapter)" : ""}, ${this.source}`;
  }

  /**
   * A compute pipeline (layout "auto") for `entryPoint` of `code`, compiled once and cached under
   * `key` (plus the entry point and constants). `key` must identify the code: two different shaders
   * must not share a key. A WGSL error becomes KernelLoadError with the compiler's messages.
   */
  pipeline(
    key: string,
    code: string,
    entryPoint: string,
    constants?: Record<string, number>,
  ): Promise<GPUComputePipeline> {
    const fullKey = `${key}|${entryPoint}|${constants ? JSON.stringify(constants) : ""}`;
    const cached = this.#pipelines.get(fullKey);
    if (cached) {
      this.#pipelineHits++;
      return cached;
    }
    const made = this.#makePipeline(key, code, entryPoint, constants);
    this.#pipelines.set(fullKey, made);
    made.catch(() => {
      if (this.#pipelines.get(fullKey) === made) this.#pipelines.delete(fullKey);
    });
    return made;
  }

  #module(key: string, code: string): Promise<GPUShaderModule> {
    const cached = this.#modules.get(code);
    if (cached) return cached;
    const made = (async () => {
      // The error scope keeps a bad shader from also being reported as an uncaptured error.
      this.device.pushErrorScope("validation");
      const module = this.device.createShaderModule({ label: key, code });
      const scoped = await this.device.popErrorScope();
      if (typeof module.getCompilationInfo === "function") {
        const info = await module.getCompilationInfo();
        const errors = info.messages.filter((m) => m.type === "error");
        if (errors.length) {
          const text = errors.map((m) => `line ${m.lineNum}:${m.linePos}: ${firstLine(m.message)}`).join(
            "; ",
          );
          throw new KernelLoadError(`WGSL shader "${key}" does not compile: ${text}`);
        }
      }
      if (scoped) {
        throw new KernelLoadError(`WGSL shader "${key}" does not compile: ${firstLine(scoped.message)}`);
      }
      return module;
    })();
    this.#modules.set(code, made);
    made.catch(() => {
      if (this.#modules.get(code) === made) this.#modules.delete(code);
    });
    return made;
  }

  async #makePipeline(
    key: string,
    code: string,
    entryPoint: string,
    constants?: Record<string, number>,
  ): Promise<GPUComputePipeline> {
    const module = await this.#module(key, code);
    try {
      const pipeline = await this.device.createComputePipelineAsync({
        label: `${key}:${entryPoint}`,
        layout: "auto",
        compute: constants ? { module, entryPoint, constants } : { module, entryPoint },
      });
      this.#pipelinesCompiled++;
      return pipeline;
    } catch (e) {
      throw new KernelLoadError(
        `WGSL pipeline "${key}" entry point "${entryPoint}" cannot be created: ${firstLine(String(e))}`,
        { cause: e },
      );
    }
  }

  /** Takes a buffer of at least `bytes` bytes from the pool (see {@link GpuBufferPool.acquire}). */
  acquire(bytes: number, usage: number): GPUBuffer {
    return this.pool.acquire(bytes, usage);
  }

  /** Gives a buffer back to the pool. */
  release(...buffers: GPUBuffer[]): void {
    for (const b of buffers) this.pool.release(b);
  }

  /**
   * Copies `data` into a pooled buffer with `usage | COPY_DST` (default usage STORAGE) and returns it.
   * The buffer may be larger than the data (size classes): bind it with an explicit size when the
   * kernel reads `arrayLength`. Release it when done.
   */
  upload(data: ArrayBufferView, usage: number = BufferUsage.STORAGE): GPUBuffer {
    const buffer = this.pool.acquire(data.byteLength, usage | BufferUsage.COPY_DST);
    this.write(buffer, data);
    return buffer;
  }

  /** Writes `data` at `offset` bytes of `buffer` (padded to a multiple of 4 bytes). */
  write(buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    if (data.byteLength === 0) return;
    let bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength % 4 !== 0) {
      const padded = new Uint8Array(align4(bytes.byteLength));
      padded.set(bytes);
      bytes = padded;
    }
    this.device.queue.writeBuffer(
      buffer,
      offset,
      bytes.buffer as ArrayBuffer,
      bytes.byteOffset,
      bytes.byteLength,
    );
  }

  /** Copies `bytes` bytes from `offset` of `buffer` (which needs COPY_SRC usage) back to the CPU. */
  async readback(buffer: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
    if (bytes === 0) return new ArrayBuffer(0);
    const size = align4(bytes);
    if (offset % 4 !== 0 || offset + size > buffer.size) {
      throw new InvalidArgumentError(
        `readback of ${bytes} bytes at offset ${offset} does not fit a buffer of ${buffer.size} bytes ` +
          `(offset must be a multiple of 4)`,
      );
    }
    const staging = this.pool.acquire(size, BufferUsage.MAP_READ | BufferUsage.COPY_DST);
    try {
      const encoder = this.device.createCommandEncoder({ label: "readback" });
      encoder.copyBufferToBuffer(buffer, offset, staging, 0, size);
      this.device.queue.submit([encoder.finish()]);
      await staging.mapAsync(MAP_MODE_READ, 0, size);
      return staging.getMappedRange(0, size).slice(0, bytes);
    } finally {
      this.pool.release(staging);
    }
  }

  /**
   * Encodes one compute pass that binds `bindings` to group 0 (entry `i` at binding `i`; null or
   * undefined entries are skipped), dispatches `workgroups` (`repeat` times), and submits it.
   * Resolves right after submission, or, with `timestamps` on a device that has them, once the GPU
   * time of the pass is known. Reading a result back (or {@link sync}) waits for the work itself.
   */
  async run(
    pipeline: GPUComputePipeline,
    bindings: readonly (GpuBinding | null | undefined)[],
    workgroups: number | readonly [number, number?, number?],
    options: GpuRunOptions = {},
  ): Promise<GpuRunResult> {
    const [x, y = 1, z = 1] = typeof workgroups === "number" ? [workgroups] : workgroups;
    const maxWg = this.limits.maxComputeWorkgroupsPerDimension;
    for (const [name, v] of [["x", x], ["y", y], ["z", z]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > maxWg) {
        throw new InvalidArgumentError(
          `workgroup count ${name} must be an integer in [0, ${maxWg}], got ${v}`,
        );
      }
    }
    const repeat = options.repeat ?? 1;
    if (!Number.isInteger(repeat) || repeat < 1) {
      throw new InvalidArgumentError(`repeat must be an integer >= 1, got ${repeat}`);
    }
    const entries: GPUBindGroupEntry[] = [];
    bindings.forEach((b, i) => {
      if (!b) return;
      entries.push({ binding: i, resource: "buffer" in b ? b : { buffer: b } });
    });
    const bindGroup = this.device.createBindGroup({
      label: options.label,
      layout: pipeline.getBindGroupLayout(0),
      entries,
    });
    const timed = !!options.timestamps && this.hasTimestamps;
    const encoder = this.device.createCommandEncoder({ label: options.label });
    let querySet: GPUQuerySet | null = null;
    if (timed) {
      querySet = this.#querySet ??= this.device.createQuerySet({ type: "timestamp", count: 2 });
    }
    const pass = encoder.beginComputePass(
      querySet
        ? {
          label: options.label,
          timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
        }
        : { label: options.label },
    );
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    for (let r = 0; r < repeat; r++) pass.dispatchWorkgroups(x, y, z);
    pass.end();
    if (!querySet) {
      this.device.queue.submit([encoder.finish()]);
      return { gpuNs: null };
    }
    const resolve = this.#queryResolve ??= this.device.createBuffer({
      size: 16,
      usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC,
    });
    encoder.resolveQuerySet(querySet, 0, 2, resolve, 0);
    const staging = this.pool.acquire(16, BufferUsage.MAP_READ | BufferUsage.COPY_DST);
    encoder.copyBufferToBuffer(resolve, 0, staging, 0, 16);
    this.device.queue.submit([encoder.finish()]);
    try {
      await staging.mapAsync(MAP_MODE_READ, 0, 16);
      const t = new BigUint64Array(staging.getMappedRange(0, 16).slice(0));
      const ns = Number(t[1] - t[0]);
      return { gpuNs: t[1] > t[0] ? ns : null };
    } finally {
      this.pool.release(staging);
    }
  }

  /** Waits until every submitted command has finished. */
  async sync(): Promise<void> {
    await this.device.queue.onSubmittedWorkDone();
  }

  /** Cache counters (pipelines compiled and reused, buffers created and reused, bytes pooled). */
  stats(): GpuStats {
    const p = this.pool.pooled;
    return {
      pipelinesCompiled: this.#pipelinesCompiled,
      pipelineHits: this.#pipelineHits,
      buffersCreated: this.pool.created,
      buffersReused: this.pool.reused,
      pooledBuffers: p.buffers,
      pooledBytes: p.bytes,
    };
  }

  /** Destroys the device and every pooled buffer. The next {@link getGpu} makes a new context. */
  destroy(): void {
    this.pool.clear();
    this.#querySet?.destroy();
    this.#queryResolve?.destroy();
    this.device.destroy();
  }
}

function firstLine(message: string): string {
  // Compilers put a one-line summary first and a source excerpt after it.
  const lines = message.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines[0] ?? message;
}

// ---------------------------------------------------------------------------------------------------------
// Acquiring the device

type ProcessLike = { env: Record<string, string | undefined>; versions?: Record<string, string | undefined> };
const proc = (globalThis as { process?: ProcessLike }).process;
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

function envGet(name: string): string | undefined {
  try {
    const v = proc?.env?.[name];
    if (v !== undefined) return v;
  } catch { /* no access */ }
  try {
    const deno = (globalThis as { Deno?: { env: { get(n: string): string | undefined } } }).Deno;
    return deno?.env.get(name);
  } catch {
    return undefined;
  }
}

let factoryForTests: GpuFactory | null = null;
let cached: Promise<GpuContext> | null = null;
let cachedContext: GpuContext | null = null;

/**
 * The process-wide WebGPU context, created on first use and cached. Throws BackendUnavailableError
 * (backend "webgpu", naming "ts" and "wasm" as the backends that work) when there is no adapter.
 *
 * @example
 * ```ts
 * import { getGpu } from "./gpu.ts";
 * const gpu = await getGpu();
 * console.log(gpu.describe(), gpu.hasTimestamps, gpu.limits.maxStorageBufferBindingSize);
 * ```
 */
export function getGpu(): Promise<GpuContext> {
  return cached ??= acquire().then((ctx) => cachedContext = ctx);
}

/**
 * Whether a WebGPU device can be had here. Never throws.
 *
 * @example
 * ```ts
 * import { gpuAvailable } from "./gpu.ts";
 * const backend = (await gpuAvailable()) ? "webgpu" : "wasm";
 * ```
 */
export async function gpuAvailable(): Promise<boolean> {
  try {
    await getGpu();
    return true;
  } catch {
    return false;
  }
}

/**
 * Why {@link getGpu} fails here, or null when it succeeds. Never throws.
 *
 * @example
 * ```ts
 * import { gpuUnavailableReason } from "./gpu.ts";
 * const why = await gpuUnavailableReason();
 * if (why) console.log(`webgpu skipped: ${why}`);
 * ```
 */
export async function gpuUnavailableReason(): Promise<string | null> {
  try {
    await getGpu();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Destroys the cached device (if any) and forgets it (and any cached failure); the next
 * {@link getGpu} tries again.
 *
 * @example
 * ```ts
 * import { releaseGpu } from "./gpu.ts";
 * await releaseGpu();
 * ```
 */
export async function releaseGpu(): Promise<void> {
  const current = cached;
  cached = null;
  cachedContext = null;
  if (!current) return;
  let ctx: GpuContext;
  try {
    ctx = await current;
  } catch {
    return; // it never existed
  }
  // let submitted work finish before the device goes: destroying it (or exiting) while a software
  // adapter's threads still run a dispatch has crashed the process
  try {
    await ctx.device.queue.onSubmittedWorkDone();
  } catch { /* the device is lost already */ }
  ctx.destroy();
}

/**
 * Test hook: replaces where `GPU` objects come from (null restores the real sources) and drops the
 * cached context. Not part of the public API.
 */
export async function _setGpuFactoryForTests(factory: GpuFactory | null): Promise<void> {
  await releaseGpu();
  factoryForTests = factory;
}

interface GpuSource {
  name: string;
  gpu: () => Promise<GPU | null | undefined>;
  adapterOptions?: GPURequestAdapterOptions;
}

async function acquire(): Promise<GpuContext> {
  const reasons: string[] = [];
  const sources: GpuSource[] = [];
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (factoryForTests) {
    const f = factoryForTests;
    sources.push({ name: "test factory", gpu: async () => await f() });
  } else if (nav?.gpu) {
    sources.push({ name: "navigator.gpu", gpu: () => Promise.resolve(nav.gpu) });
  } else if (isBun && envGet("TESSERA_BUN_WEBGPU") !== "1") {
    reasons.push(
      "Bun has no navigator.gpu, and WebGPU through the npm `webgpu` package (dawn) is opt-in under Bun " +
        "(Bun has crashed with dawn on large buffers): set TESSERA_BUN_WEBGPU=1 to use it",
    );
  } else if (proc) {
    sources.push(...dawnSources(reasons));
  } else {
    reasons.push("this runtime has no navigator.gpu");
  }
  for (const source of sources) {
    let gpu: GPU | null | undefined;
    try {
      gpu = await source.gpu();
    } catch (e) {
      reasons.push(`${source.name}: ${firstLine(e instanceof Error ? e.message : String(e))}`);
      continue;
    }
    if (!gpu) {
      reasons.push(`${source.name}: no WebGPU implementation`);
      continue;
    }
    let adapter: GPUAdapter | null = null;
    try {
      adapter = await gpu.requestAdapter(source.adapterOptions);
    } catch (e) {
      reasons.push(`${source.name}: requestAdapter failed: ${firstLine(String(e))}`);
      continue;
    }
    if (!adapter) {
      reasons.push(`${source.name}: no adapter`);
      continue;
    }
    try {
      return await makeContext(gpu, adapter, source.name);
    } catch (e) {
      reasons.push(`${source.name}: requestDevice failed: ${firstLine(String(e))}`);
    }
  }
  throw new BackendUnavailableError("webgpu", `no WebGPU adapter (${reasons.join("; ")})`, OTHER_BACKENDS);
}

/** Dawn (npm `webgpu`) for Node and Bun: the requested or default backend, then OpenGL compatibility. */
function dawnSources(reasons: string[]): GpuSource[] {
  let mod: Promise<{ create(options: string[]): GPU } | null> | null = null;
  const load = () =>
    mod ??= (async () => {
      await setSurfacelessEgl();
      try {
        return await import("webgpu");
      } catch (e) {
        reasons.push(`the npm package "webgpu" cannot be loaded: ${firstLine(String(e))}`);
        return null;
      }
    })();
  const wanted = envGet("TESSERA_DAWN_BACKEND");
  const make = (name: string, flags: string[], adapterOptions?: GPURequestAdapterOptions): GpuSource => ({
    name,
    adapterOptions,
    gpu: async () => (await load())?.create(flags) ?? null,
  });
  if (wanted) {
    const compat = /^opengl/.test(wanted)
      ? { featureLevel: "compatibility" } as GPURequestAdapterOptions
      : {};
    return [make(`dawn/${wanted}`, [`backend=${wanted}`], compat)];
  }
  return [
    make("dawn/default", []),
    make("dawn/opengl", ["backend=opengl"], { featureLevel: "compatibility" } as GPURequestAdapterOptions),
  ];
}

/**
 * Mesa's EGL needs EGL_PLATFORM=surfaceless without a display. Node's process.env reaches the C
 * environment; Bun's does not, so under Bun the variable is also set through libc's setenv.
 */
async function setSurfacelessEgl(): Promise<void> {
  if (!proc || envGet("EGL_PLATFORM")) return;
  try {
    proc.env.EGL_PLATFORM = "surfaceless";
  } catch { /* read-only env */ }
  if (isBun) await setenvBun("EGL_PLATFORM", "surfaceless");
}

async function setenvBun(name: string, value: string): Promise<void> {
  try {
    // A computed specifier keeps Deno's type checker away from Bun's built-in module.
    const spec = "bun:ffi";
    const ffi = await import(spec);
    const libc = ffi.dlopen("libc.so.6", {
      setenv: {
        args: [ffi.FFIType.cstring, ffi.FFIType.cstring, ffi.FFIType.i32],
        returns: ffi.FFIType.i32,
      },
    });
    const enc = new TextEncoder();
    const n = enc.encode(name + "\0"), v = enc.encode(value + "\0");
    libc.symbols.setenv(ffi.ptr(n), ffi.ptr(v), 1);
  } catch { /* not Linux/glibc: the user can set EGL_PLATFORM=surfaceless in the shell */ }
}

/** Limits worth raising to the adapter's maximum: big buffers and big workgroups. */
const RAISED_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBuffersPerShaderStage",
] as const;

async function makeContext(gpu: GPU, adapter: GPUAdapter, source: string): Promise<GpuContext> {
  const requiredLimits: Record<string, number> = {};
  const adapterLimits = adapter.limits as unknown as Record<string, number>;
  for (const name of RAISED_LIMITS) {
    const v = adapterLimits[name];
    if (typeof v === "number" && Number.isFinite(v)) requiredLimits[name] = v;
  }
  const requiredFeatures: GPUFeatureName[] = adapter.features.has("timestamp-query")
    ? ["timestamp-query"]
    : [];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  } catch {
    // Some implementations refuse a limit they advertise; the defaults are still useful.
    device = await adapter.requestDevice({ requiredFeatures });
  }
  const ctx = new GpuContext(gpu, device, adapterSummary(adapter), source);
  device.lost.then((info) => {
    if (cachedContext === ctx) {
      cached = null;
      cachedContext = null;
    }
    ctx.pool.clear();
    if (info.reason !== "destroyed") {
      console.warn(`tessera: WebGPU device lost (${info.reason ?? "unknown"}): ${info.message}`);
    }
  });
  device.addEventListener?.("uncapturederror", (ev) => {
    const error = (ev as GPUUncapturedErrorEvent).error;
    console.warn(`tessera: uncaptured WebGPU error: ${firstLine(error?.message ?? String(error))}`);
  });
  return ctx;
}

function adapterSummary(adapter: GPUAdapter): GpuAdapterSummary {
  const info = ((adapter as unknown as { info?: Record<string, unknown> }).info ?? {}) as Record<
    string,
    unknown
  >;
  const str = (
    v: unknown,
  ) => (typeof v === "string" ? v.trim() : v === undefined || v === null ? "" : String(v));
  const fallback = info.isFallbackAdapter ??
    (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: str(info.vendor),
    architecture: str(info.architecture),
    device: str(info.device),
    description: str(info.description),
    isFallbackAdapter: fallback === true,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Shaders by URL

const KERNELS_DIR = new URL("../../kernels-wgsl/", import.meta.url);
const shaderCache = new Map<string, Promise<string>>();

/**
 * The text of a WGSL file, fetched once and cached. A string is resolved against Tessera's
 * `kernels-wgsl/` folder (found relative to this module's `import.meta.url`, so it works from a
 * checkout, over https, in Deno, Bun and browsers); a URL is used as is. Failure is KernelLoadError.
 *
 * @example
 * ```ts
 * import { loadShader } from "./gpu.ts";
 * const code = await loadShader("matmul.wgsl");
 * ```
 */
export function loadShader(url: URL | string): Promise<string> {
  const href = (url instanceof URL ? url : new URL(url, KERNELS_DIR)).href;
  const hit = shaderCache.get(href);
  if (hit) return hit;
  const made = fetchText(new URL(href));
  shaderCache.set(href, made);
  made.catch(() => {
    if (shaderCache.get(href) === made) shaderCache.delete(href);
  });
  return made;
}

/**
 * Loads a shader with shared WGSL prepended (WGSL has no imports): `libraries` are loaded like `url` and
 * concatenated in order before it, e.g. the Philox round function of philox_lib.wgsl.
 *
 * @example
 * ```ts
 * import { loadShaderWith } from "./gpu.ts";
 * const code = await loadShaderWith("philox.wgsl", ["philox_lib.wgsl"]);
 * ```
 */
export async function loadShaderWith(url: URL | string, libraries: Array<URL | string>): Promise<string> {
  const parts = await Promise.all([...libraries, url].map((u) => loadShader(u)));
  return parts.join("\n");
}

async function fetchText(url: URL): Promise<string> {
  let fetchError: unknown;
  try {
    const res = await fetch(url);
    if (res.ok) return await res.text();
    fetchError = `HTTP ${res.status} ${res.statusText}`;
    await res.body?.cancel();
  } catch (e) {
    fetchError = e;
  }
  if (url.protocol === "file:") {
    // Node's fetch does not read file: URLs.
    try {
      const fs = await import("node:fs/promises");
      return await fs.readFile(url, "utf8");
    } catch { /* report the fetch error */ }
  }
  throw new KernelLoadError(`cannot load shader ${url.href}: ${firstLine(String(fetchError))}`);
}

/**
 * Throws InvalidArgumentError when `bytes` exceed the device's maxStorageBufferBindingSize, naming the
 * limit and the backends that have none.
 */
export function requireBindable(gpu: GpuContext, what: string, bytes: number): void {
  const limit = gpu.limits.maxStorageBufferBindingSize;
  if (bytes > limit) {
    throw new InvalidArgumentError(
      `${what} needs ${bytes} bytes, more than this WebGPU device's maxStorageBufferBindingSize ` +
        `(${limit} bytes, ${
          Math.floor(limit / 4)
        } f32 values); use the ts or wasm backend, or smaller blocks`,
    );
  }
}
