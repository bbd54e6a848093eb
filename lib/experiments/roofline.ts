/**
 * The machine roofline: this machine's memory bandwidth (STREAM copy and triad) and peak f32
 * throughput for each way Tessera computes (TS, WASM scalar, WASM SIMD, WASM SIMD on every core,
 * WebGPU on whatever adapter exists), drawn as a roofline with measured matmul points on it.
 * Every benchmark quotes its kernels as a fraction of these numbers.
 *
 * @module
 */
import { environmentInfo, type Report, type ReportTable } from "../core/report.ts";
import { type RooflineCeiling, rooflineChart, type RooflinePoint } from "../core/figure.ts";
import { progress } from "../core/progress.ts";
import { median } from "../core/stats.ts";
import { Philox } from "../core/rng.ts";
import { requireInt } from "../core/errors.ts";
import { defaultThreads, getPool } from "../runtime/pool.ts";
import { loadKernel, WasmF32 } from "../runtime/wasm.ts";
import { getGpu, gpuUnavailableReason } from "../runtime/gpu.ts";
import { measureGpuBandwidth, measureGpuPeak } from "../runtime/gpu_measure.ts";
import { matmulWasm } from "../linalg/wasm.ts";
import { matmulTs } from "../linalg/reference.ts";

/** Options of the roofline experiment. */
export interface RooflineOptions {
  /** Quick mode: fewer repetitions and smaller matmuls (seconds, not minutes). Default true. */
  quick?: boolean;
  /** Seed of the matmul operands. Default 1. */
  seed?: number;
  /** Threads for the multi-threaded rows. Default: every core. */
  threads?: number;
  /** Measure WebGPU when an adapter exists. Default true. */
  webgpu?: boolean;
  /** Hide the progress display. */
  quiet?: boolean;
}

/** One row of the machine table. */
export interface CeilingRow {
  backend: string;
  threads: number;
  copyGBs: number;
  triadGBs: number;
  peakGFLOPs: number;
  /** Flop/byte where the triad bandwidth line meets the peak. */
  ridge: number;
  timing: string;
}

/** A measured matmul on the roofline. */
export interface MatmulPoint {
  backend: string;
  threads: number;
  n: number;
  gflops: number;
  /** Fraction of the same backend's measured peak. */
  fractionOfPeak: number;
}

/** The machine's measured roofline. */
export interface MachineRoofline {
  ceilings: CeilingRow[];
  matmul: MatmulPoint[];
  streamElements: number;
  gpu: string | null;
}

/** Shortest time in seconds of `reps` runs of `fn`, after one warm-up; also the median. */
export async function timeBest(fn: () => unknown, reps: number): Promise<{ best: number; median: number }> {
  await fn();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  return { best: Math.min(...times), median: median(times) };
}

function tsCopy(dst: Float32Array, src: Float32Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] = src[i];
}

function tsTriad(a: Float32Array, b: Float32Array, c: Float32Array, s: number): void {
  for (let i = 0; i < a.length; i++) a[i] = b[i] + s * c[i];
}

/** Eight independent multiply-add chains in JS numbers (float64): 16 flops per iteration. */
function tsPeak(iters: number): number {
  let x0 = 1, x1 = 1.1, x2 = 1.2, x3 = 1.3, x4 = 1.4, x5 = 1.5, x6 = 1.6, x7 = 1.7;
  const m = 0.999999, a = 1e-7;
  for (let t = 0; t < iters; t++) {
    x0 = x0 * m + a;
    x1 = x1 * m + a;
    x2 = x2 * m + a;
    x3 = x3 * m + a;
    x4 = x4 * m + a;
    x5 = x5 * m + a;
    x6 = x6 * m + a;
    x7 = x7 * m + a;
  }
  return x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7;
}

/**
 * Measures the machine. STREAM arrays hold 2^24 f32 (64 MiB) each, several times the last-level
 * cache; bytes count as STREAM does (copy 8 bytes per element, triad 12, no write-allocate traffic).
 */
export async function measureMachine(options: RooflineOptions = {}): Promise<MachineRoofline> {
  const quick = options.quick ?? true;
  const threads = requireInt("threads", options.threads ?? defaultThreads(), 1, 256);
  const reps = quick ? 3 : 10;
  const n = 1 << 24;
  const peakIters = quick ? 1 << 20 : 1 << 22;
  const gpuReason = options.webgpu === false ? "disabled" : await gpuUnavailableReason();
  const steps = 5 + (gpuReason === null ? 1 : 0);
  const bar = progress({ label: "roofline", total: steps, quiet: options.quiet });
  const ceilings: CeilingRow[] = [];
  const row = (
    backend: string,
    t: number,
    copy: number,
    triad: number,
    peak: number,
    timing = "best of " + reps,
  ) =>
    ceilings.push({
      backend,
      threads: t,
      copyGBs: copy,
      triadGBs: triad,
      peakGFLOPs: peak,
      ridge: peak / triad,
      timing,
    });

  // TS on plain typed arrays
  {
    const a = new Float32Array(n), b = new Float32Array(n).fill(1), c = new Float32Array(n).fill(2);
    const copy = await timeBest(() => tsCopy(a, b), reps);
    const triad = await timeBest(() => tsTriad(a, b, c, 3), reps);
    const peak = await timeBest(() => tsPeak(peakIters), reps);
    row(
      "ts (f64 numbers)",
      1,
      (8 * n) / copy.best / 1e9,
      (12 * n) / triad.best / 1e9,
      (16 * peakIters) / peak.best / 1e9,
    );
    bar.tick(1, "ts");
  }

  const a = new WasmF32(n), b = new WasmF32(n), c = new WasmF32(n);
  const out = new WasmF32(4 * 64);
  try {
    b.array.fill(1);
    c.array.fill(2);
    a.array.fill(0);
    const k = await loadKernel("roofline");
    for (const variant of ["scalar", "simd"] as const) {
      const copy = await timeBest(() => k[`copy_${variant}`](a.ptr, b.ptr, 0, n), reps);
      const triad = await timeBest(() => k[`triad_${variant}`](a.ptr, b.ptr, c.ptr, 3, 0, n), reps);
      const flopsPerIter = variant === "simd" ? 96 : 16;
      const peak = await timeBest(() => k[`peak_${variant}`](out.ptr, peakIters, 0.999999, 1e-7), reps);
      row(
        `wasm ${variant}`,
        1,
        (8 * n) / copy.best / 1e9,
        (12 * n) / triad.best / 1e9,
        (flopsPerIter * peakIters) / peak.best / 1e9,
      );
      bar.tick(1, `wasm ${variant}`);
    }
    if (threads > 1) {
      const pool = await getPool(threads);
      const copy = await timeBest(
        () => pool.parallelFor("roofline", "copy_simd", [a.ptr, b.ptr], 0, n, { align: 16 }),
        reps,
      );
      const triad = await timeBest(
        () => pool.parallelFor("roofline", "triad_simd", [a.ptr, b.ptr, c.ptr, 3], 0, n, { align: 16 }),
        reps,
      );
      const blocks = threads * 4;
      const iters = Math.ceil(peakIters / 4);
      const peak = await timeBest(
        () => pool.parallelFor("roofline", "peak_simd_blocks", [out.ptr, iters, 0.999999, 1e-7], 0, blocks),
        reps,
      );
      row(
        `wasm simd`,
        threads,
        (8 * n) / copy.best / 1e9,
        (12 * n) / triad.best / 1e9,
        (96 * iters * blocks) / peak.best / 1e9,
      );
    }
    bar.tick(1, `wasm simd x${threads}`);
  } finally {
    for (const w of [a, b, c, out]) w.free();
  }

  // measured matmul points, each against its own backend's peak
  const matmul: MatmulPoint[] = [];
  const rng = new Philox(options.seed ?? 1);
  const peakOf = (backend: string, t: number) =>
    ceilings.find((r) => r.backend === backend && r.threads === t)?.peakGFLOPs ?? NaN;
  for (const size of quick ? [256, 512] : [256, 512, 1024]) {
    const A = WasmF32.from(Float32Array.from({ length: size * size }, () => rng.uniform() - 0.5));
    const B = WasmF32.from(Float32Array.from({ length: size * size }, () => rng.uniform() - 0.5));
    const C = new WasmF32(size * size);
    try {
      const runs: Array<[string, number]> = [
        ["wasm simd", 1],
        ...(threads > 1 ? [["wasm simd", threads] as [string, number]] : []),
      ];
      for (const [backend, t] of runs) {
        const time = await timeBest(
          () => matmulWasm(A, B, size, size, size, { out: C, threads: t }),
          quick ? 2 : 5,
        );
        const gflops = (2 * size ** 3) / time.best / 1e9;
        matmul.push({ backend, threads: t, n: size, gflops, fractionOfPeak: gflops / peakOf(backend, t) });
      }
      if (size === 256) {
        const time = await timeBest(() => matmulTs(A.array, B.array, size, size, size), 1);
        const gflops = (2 * size ** 3) / time.best / 1e9;
        matmul.push({
          backend: "ts (f64 numbers)",
          threads: 1,
          n: size,
          gflops,
          fractionOfPeak: gflops / peakOf("ts (f64 numbers)", 1),
        });
      }
    } finally {
      for (const w of [A, B, C]) w.free();
    }
  }
  bar.tick(1, "matmul");

  let gpu: string | null = null;
  if (gpuReason === null) {
    const ctx = await getGpu();
    gpu = ctx.describe();
    const bw = await measureGpuBandwidth({ bytes: quick ? 8 << 20 : 64 << 20, reps: quick ? 3 : 10 });
    // Both controls stay under llvmpipe's cap on an invocation's loop iterations
    // (GpuContext.loopIterationLimit): the stream kernels loop at most twice per invocation, the peak
    // kernel's 2048 default trips run in one dispatch, and more would be split (gpuPeakPlan).
    const peak = await measureGpuPeak({ reps: quick ? 3 : 10 });
    row(
      `webgpu (${gpu})`,
      1,
      bw.copyGBs,
      bw.triadGBs,
      peak.gflops,
      `best of ${bw.reps}, ${bw.method} timing`,
    );
    bar.tick(1, "webgpu");
  }
  bar.done();
  return { ceilings, matmul, streamElements: n, gpu };
}

const r3 = (x: number) => Number.isFinite(x) ? Number(x.toPrecision(3)) : x;

/**
 * Runs the roofline experiment and returns its Report.
 *
 * @example
 * ```ts
 * import { run } from "./roofline.ts";
 * const report = await run({ quick: true });
 * console.log(report.tables[0].rows);
 * ```
 */
export async function run(options: RooflineOptions = {}): Promise<Report> {
  const startedAt = new Date();
  const quick = options.quick ?? true;
  const m = await measureMachine(options);
  const find = (b: string, t = 1) => m.ceilings.find((r) => r.backend === b && r.threads === t);
  const ts = find("ts (f64 numbers)")!, scalar = find("wasm scalar")!, simd = find("wasm simd")!;
  const multi = m.ceilings.find((r) => r.backend === "wasm simd" && r.threads > 1);

  const ceilingTable: ReportTable = {
    name: "ceilings",
    title: "Measured bandwidth and peak per backend",
    caption: "GB/s are 1e9 bytes/s counted as STREAM does; peak is register-resident multiply-add chains.",
    rows: m.ceilings.map((r) => ({
      backend: r.backend,
      threads: r.threads,
      "copy GB/s": r3(r.copyGBs),
      "triad GB/s": r3(r.triadGBs),
      "peak GFLOP/s": r3(r.peakGFLOPs),
      "ridge flop/byte": r3(r.ridge),
      timing: r.timing,
    })),
  };
  const ratios: ReportTable = {
    name: "ratios",
    title: "Ratios measured side by side in this run",
    rows: [
      { ratio: "wasm simd / wasm scalar, peak", value: r3(simd.peakGFLOPs / scalar.peakGFLOPs) },
      { ratio: "wasm simd / ts, triad", value: r3(simd.triadGBs / ts.triadGBs) },
      { ratio: "wasm simd / wasm scalar, triad", value: r3(simd.triadGBs / scalar.triadGBs) },
      ...(multi
        ? [
          {
            ratio: `wasm simd ${multi.threads} threads / 1, triad`,
            value: r3(multi.triadGBs / simd.triadGBs),
          },
          {
            ratio: `wasm simd ${multi.threads} threads / 1, peak`,
            value: r3(multi.peakGFLOPs / simd.peakGFLOPs),
          },
        ]
        : []),
    ],
  };
  const matmulTable: ReportTable = {
    name: "matmul",
    title: "f32 matmul (n x n x n) on the roofline",
    rows: m.matmul.map((p) => ({
      backend: p.backend,
      threads: p.threads,
      n: p.n,
      "GFLOP/s": r3(p.gflops),
      "fraction of peak": r3(p.fractionOfPeak),
    })),
  };
  const ceilings: RooflineCeiling[] = m.ceilings.map((r) => ({
    label: `${r.backend}${r.threads > 1 ? ` x${r.threads}` : ""}`,
    bandwidthGBs: r.triadGBs,
    peakGFLOPs: r.peakGFLOPs,
  }));
  const points: RooflinePoint[] = [
    ...m.matmul.map((p) => ({
      label: `matmul ${p.n} ${p.backend}${p.threads > 1 ? ` x${p.threads}` : ""}`,
      // compulsory traffic of an n^3 matmul: read A and B, write C, 4 bytes each
      intensity: (2 * p.n ** 3) / (12 * p.n ** 2),
      gflops: p.gflops,
    })),
    { label: "triad wasm simd", intensity: 2 / 12, gflops: (simd.triadGBs * 2) / 12 },
  ];
  const notes = [
    "Bandwidth rows use arrays of 2^24 f32 (64 MiB each, 192 MiB for triad), several times the 32 MiB last-level cache " +
    "of the machine the anchors were taken on; each number is the best of the repetitions, as STREAM reports.",
    "The ts peak is measured on JS numbers (float64): JavaScript has no f32 arithmetic; it is the ceiling of plain TS loops.",
    "WebAssembly SIMD here has no fused multiply-add (relaxed-simd is not used), so a peak multiply-add counts as 2 flops in 2 instructions.",
  ];
  if (m.gpu && /fallback|llvmpipe|swiftshader/i.test(m.gpu)) {
    notes.push(
      `The WebGPU row ran on ${m.gpu}, a CPU rasterizer: it checks that the path works, it is not GPU performance.`,
    );
  }
  if (!m.gpu) notes.push(`No WebGPU adapter: ${await gpuUnavailableReason() ?? "disabled by options"}.`);

  return {
    paper: "roofline",
    title: "Machine roofline: bandwidth and peak f32 throughput per backend",
    mode: quick ? "quick" : "full",
    seed: options.seed ?? 1,
    summary:
      "Measures this machine's STREAM copy and triad bandwidth and its peak f32 multiply-add throughput for " +
      "each Tessera backend, and places measured f32 matmuls on the resulting roofline. Later benchmarks quote their " +
      "kernels as fractions of these ceilings. The reference anchors below were measured separately on a machine of " +
      "the same kind with native code (gcc -O3 STREAM, numpy/OpenBLAS); they are not Tessera measurements.",
    tables: [ceilingTable, ratios, matmulTable],
    figures: [{
      name: "roofline",
      title: "Roofline of this machine",
      spec: rooflineChart({ ceilings, points, title: "Roofline of this machine (measured)" }),
      caption: "Lines: min(peak, triad bandwidth x intensity) per backend. Points: measured kernels.",
    }],
    claims: [
      {
        metric: "STREAM triad, 1 thread",
        paper: "15.7 (native C, gcc -O3)",
        ours: r3(simd.triadGBs),
        unit: "GB/s",
        note: "wasm simd vs a native C anchor on the same kind of machine",
      },
      ...(multi
        ? [{
          metric: `STREAM triad, ${multi.threads} threads`,
          paper: "-",
          ours: r3(multi.triadGBs),
          unit: "GB/s",
          note: "wasm simd over the worker pool",
        }]
        : []),
      {
        metric: "f32 matmul 512^3",
        paper: "115 (numpy/OpenBLAS, 2 threads); 15.3 (tfjs-backend-wasm XNNPACK, Node)",
        ours: r3(Math.max(...m.matmul.filter((p) => p.n === 512).map((p) => p.gflops))),
        unit: "GFLOP/s",
        note: "best Tessera wasm simd configuration",
      },
    ],
    notes,
    environment: environmentInfo({ threads: options.threads ?? defaultThreads(), adapter: m.gpu ?? "none" }),
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    data: { ...m },
  };
}
