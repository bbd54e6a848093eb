/**
 * Measures what this machine's WebGPU device can do: memory bandwidth with STREAM-style copy and triad
 * (kernels-wgsl/stream.wgsl) and f32 arithmetic peak with independent FMA chains
 * (kernels-wgsl/peak.wgsl). The machine-roofline experiment and the benchmarks use these as the
 * ceilings that kernels are compared against.
 *
 * Times come from GPU timestamp queries when the device has them (`method: "timestamp"`), otherwise
 * from the wall clock around submit and completion (`method: "wall"`, which includes submission
 * overhead and so reads low for small sizes). Each figure is the best of `reps` runs after one warm-up.
 * On llvmpipe (no GPU) these measure the CPU rasterizer: report them as such. llvmpipe also stops an
 * invocation's loops after 65535 iterations in all (GpuContext.loopIterationLimit), silently: the
 * bandwidth kernels loop ceil(n / invocations) <= 2 times, and the peak kernel's trips are split over
 * dispatches that stay under the limit ({@link gpuPeakPlan}), so the flops counted are the flops run.
 *
 * @module
 */
import { InvalidArgumentError, requireInt, TesseraError } from "../core/errors.ts";
import { BufferUsage, getGpu, type GpuContext, loadShader } from "./gpu.ts";

/** How a time was measured. */
export type GpuTimingMethod = "timestamp" | "wall";

/** Options of {@link measureGpuBandwidth}. */
export interface GpuBandwidthOptions {
  /** Bytes of each array (a multiple of 16); default 8 MiB. */
  bytes?: number;
  /** Timed runs per kernel (the best is reported); default 5. */
  reps?: number;
}

/** Result of {@link measureGpuBandwidth}. GB/s are 1e9 bytes per second. */
export interface GpuBandwidth {
  /** a = b: 2 x bytes moved per run. */
  copyGBs: number;
  /** a = b + s c: 3 x bytes moved per run. */
  triadGBs: number;
  method: GpuTimingMethod;
  bytes: number;
  reps: number;
  /** The adapter, as {@link GpuContext.describe} says it. */
  adapter: string;
}

/** Options of {@link measureGpuPeak}. */
export interface GpuPeakOptions {
  /** Workgroups of 256 invocations; default 64. */
  workgroups?: number;
  /**
   * Loop trips per invocation, 64 flops each; default 2048. Where the adapter caps an invocation's loop
   * iterations (llvmpipe) more trips than 3/4 of the cap run as several dispatches ({@link gpuPeakPlan}).
   */
  iterations?: number;
  /** Timed runs (the best is reported); default 3. */
  reps?: number;
}

/** Result of {@link measureGpuPeak}. */
export interface GpuPeak {
  gflops: number;
  method: GpuTimingMethod;
  /** Flops of one run. */
  flops: number;
  adapter: string;
}

/** How {@link measureGpuPeak} runs its trips: `dispatches` dispatches of `trips` loop trips each. */
export interface GpuPeakPlan {
  dispatches: number;
  trips: number;
}

/**
 * The dispatches that run `iterations` peak-loop trips per invocation on `gpu`: one dispatch of all of
 * them, except where the adapter stops an invocation's loops after GpuContext.loopIterationLimit
 * iterations (llvmpipe: 65535), where each dispatch runs at most 3/4 of that and the total is rounded up
 * to a multiple of the dispatch count (dispatches x trips >= iterations; the flops reported are those).
 *
 * @example
 * ```ts
 * import { getGpu } from "./gpu.ts";
 * import { gpuPeakPlan } from "./gpu_measure.ts";
 * gpuPeakPlan(await getGpu(), 100_000); // { dispatches: 1, trips: 100000 } on a GPU; 3 x 33334 on llvmpipe
 * ```
 */
export function gpuPeakPlan(gpu: GpuContext, iterations: number): GpuPeakPlan {
  requireInt("iterations", iterations, 1, 0xffffffff);
  const cap = Math.max(1, Math.floor(0.75 * gpu.loopIterationLimit));
  if (iterations <= cap) return { dispatches: 1, trips: iterations };
  const dispatches = Math.ceil(iterations / cap);
  return { dispatches, trips: Math.ceil(iterations / dispatches) };
}

/** Runs `once` `reps` times (after one untimed warm-up) and returns the shortest time in seconds. */
async function bestSeconds(
  gpu: GpuContext,
  reps: number,
  once: (timestamps: boolean) => Promise<number | null>,
): Promise<{ seconds: number; method: GpuTimingMethod }> {
  await once(false);
  await gpu.sync();
  let best = Infinity;
  let method: GpuTimingMethod = gpu.hasTimestamps ? "timestamp" : "wall";
  for (let r = 0; r < reps; r++) {
    let seconds: number;
    if (method === "timestamp") {
      const ns = await once(true);
      if (ns === null) {
        // Timestamps advertised but unusable (zero or backwards): fall back for the rest.
        method = "wall";
        r--;
        continue;
      }
      seconds = ns * 1e-9;
    } else {
      const t0 = performance.now();
      await once(false);
      await gpu.sync();
      seconds = (performance.now() - t0) * 1e-3;
    }
    best = Math.min(best, seconds);
  }
  return { seconds: best, method };
}

/**
 * Memory bandwidth of the WebGPU device with vec4 copy and triad over arrays of `bytes` bytes.
 * The triad result is checked once against the CPU, so a broken kernel cannot report a speed.
 *
 * @example
 * ```ts
 * import { measureGpuBandwidth } from "./gpu_measure.ts";
 * const bw = await measureGpuBandwidth({ bytes: 4 << 20, reps: 3 });
 * console.log(`${bw.adapter}: copy ${bw.copyGBs.toFixed(1)} GB/s, triad ${bw.triadGBs.toFixed(1)} GB/s (${bw.method})`);
 * ```
 */
export async function measureGpuBandwidth(options: GpuBandwidthOptions = {}): Promise<GpuBandwidth> {
  const bytes = requireInt("bytes", options.bytes ?? 8 << 20, 16);
  const reps = requireInt("reps", options.reps ?? 5, 1, 1000);
  if (bytes % 16 !== 0) {
    throw new InvalidArgumentError(`bytes must be a multiple of 16 (vec4<f32>), got ${bytes}`);
  }
  const gpu = await getGpu();
  const limit = gpu.limits.maxStorageBufferBindingSize;
  if (bytes > limit) {
    throw new InvalidArgumentError(
      `bytes must be at most the device's maxStorageBufferBindingSize ${limit}, got ${bytes}`,
    );
  }
  const code = await loadShader("stream.wgsl");
  const copy = await gpu.pipeline("stream.wgsl", code, "copy");
  const triad = await gpu.pipeline("stream.wgsl", code, "triad");
  const n4 = bytes / 16;
  const groups = Math.min(Math.ceil(n4 / 256), gpu.limits.maxComputeWorkgroupsPerDimension);
  const s = 3;
  const b = new Float32Array(4 * n4), c = new Float32Array(4 * n4);
  for (let i = 0; i < b.length; i++) {
    b[i] = i % 1000;
    c[i] = (i % 7) * 0.5;
  }
  const params = gpu.upload(new Uint32Array([n4, 0, groups * 256, 0]), BufferUsage.UNIFORM);
  gpu.write(params, new Float32Array([s]), 4);
  const bufA = gpu.acquire(bytes, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
  const bufB = gpu.upload(b), bufC = gpu.upload(c);
  const bind = (x: GPUBuffer) => ({ buffer: x, size: bytes });
  try {
    const copyBindings = [params, bind(bufA), bind(bufB)];
    const triadBindings = [params, bind(bufA), bind(bufB), bind(bufC)];
    const timeCopy = await bestSeconds(
      gpu,
      reps,
      async (ts) => (await gpu.run(copy, copyBindings, groups, { timestamps: ts })).gpuNs,
    );
    const timeTriad = await bestSeconds(
      gpu,
      reps,
      async (ts) => (await gpu.run(triad, triadBindings, groups, { timestamps: ts })).gpuNs,
    );
    const a = new Float32Array(await gpu.readback(bufA, bytes));
    for (const i of [0, 1, 4 * n4 >> 1, 4 * n4 - 1]) {
      if (a[i] !== Math.fround(b[i] + Math.fround(s * c[i]))) {
        throw new TesseraError(`triad kernel gave a[${i}] = ${a[i]}, expected ${b[i] + s * c[i]}`);
      }
    }
    return {
      copyGBs: (2 * bytes) / timeCopy.seconds / 1e9,
      triadGBs: (3 * bytes) / timeTriad.seconds / 1e9,
      method: timeCopy.method === "timestamp" && timeTriad.method === "timestamp" ? "timestamp" : "wall",
      bytes,
      reps,
      adapter: gpu.describe(),
    };
  } finally {
    gpu.release(params, bufA, bufB, bufC);
  }
}

/**
 * f32 arithmetic peak of the WebGPU device: `workgroups * 256` invocations each run 8 independent chains
 * of vec4 FMAs for `iterations` trips (64 flops per trip). On adapters that cap an invocation's loop
 * iterations (llvmpipe) the trips run as the dispatches of {@link gpuPeakPlan}, all in one timed pass.
 *
 * @example
 * ```ts
 * import { measureGpuPeak } from "./gpu_measure.ts";
 * const peak = await measureGpuPeak({ iterations: 1024 });
 * console.log(`${peak.adapter}: ${peak.gflops.toFixed(1)} GFLOP/s (${peak.method})`);
 * ```
 */
export async function measureGpuPeak(options: GpuPeakOptions = {}): Promise<GpuPeak> {
  const gpu = await getGpu();
  const maxWg = gpu.limits.maxComputeWorkgroupsPerDimension;
  const workgroups = requireInt("workgroups", options.workgroups ?? 64, 1, maxWg);
  const iterations = requireInt("iterations", options.iterations ?? 2048, 1, 0xffffffff);
  const reps = requireInt("reps", options.reps ?? 3, 1, 1000);
  const pipeline = await gpu.pipeline("peak.wgsl", await loadShader("peak.wgsl"), "peak");
  const invocations = workgroups * 256;
  const plan = gpuPeakPlan(gpu, iterations);
  const paramWords = new Uint32Array(4);
  paramWords[0] = plan.trips;
  new Float32Array(paramWords.buffer, 4, 2).set([1 - 2 ** -20, 2 ** -10]);
  const params = gpu.upload(paramWords, BufferUsage.UNIFORM);
  const out = gpu.acquire(4 * invocations, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
  try {
    const bindings = [params, { buffer: out, size: 4 * invocations }];
    const time = await bestSeconds(
      gpu,
      reps,
      async (ts) =>
        (await gpu.run(pipeline, bindings, workgroups, { timestamps: ts, repeat: plan.dispatches })).gpuNs,
    );
    const result = new Float32Array(await gpu.readback(out, 4 * invocations));
    if (!result.every(Number.isFinite)) throw new TesseraError("peak kernel produced non-finite values");
    const flops = invocations * plan.dispatches * plan.trips * 64;
    return { gflops: flops / time.seconds / 1e9, method: time.method, flops, adapter: gpu.describe() };
  } finally {
    gpu.release(params, out);
  }
}
