/**
 * LBM benchmark (mitata `measure`): million lattice updates per second (MLUPS) of the two-component
 * Shan-Chen D2Q9 step (E4, tau 1, G 0.9, a droplet) for each backend: ts (float64 reference), wasm scalar,
 * wasm simd, wasm simd with the MRT collision (1 thread), wasm simd on 2 threads, webgpu when an adapter
 * exists; at 256^2 and 512^2, and 1024^2 in full mode (ts at 256^2 only in quick mode).
 *
 * Each MLUPS figure is also quoted as a fraction of the bandwidth bound of its backend and thread count,
 * MLUPS_max = triad GB/s / bytes per update, with the STREAM triad measured in this process before the
 * kernels (bench/machine.ts, lib/experiments/roofline.ts measureMachine). Bytes per update: what one
 * fused step must move per cell, 4 * (18 + 18 + 2 + 2 + 1) = 164 B: both components' 9 populations read
 * and written once, the two densities written and read once (the interaction stencil's other neighbours
 * come from cache), and the solid mask.
 *
 * The wasm step is one fused sweep (collide, bounce links, next densities) over planes padded away from
 * 4 KiB multiples; on 2 threads the rows are claimed in blocks through an atomic counter (lib/lbm/wasm.ts).
 *
 * 2 workers vs 1: the two wasm simd runs and trivially parallel controls (the roofline triad and peak
 * loops on 1 and 2 threads of the same pool) are measured in interleaved rounds (x1, x2, triad x1, triad
 * x2, peak x1, peak x2, repeated), and each is reported as its best round and its median round, with the
 * median of the per-round ratios: on a machine shared with other processes, a control that does not
 * reach 2x says the second core (or the memory bus) was busy, not that the kernel scales badly.
 *
 * `--baseline=<file.wasm>`: also runs the 1-thread SIMD step of another build of the lbm kernel family
 * (e.g. the committed one: `git show HEAD:kernels-as/build/lbm.wasm > /tmp/lbm_base.wasm`) against the
 * current one, interleaved in this process on the same lattice (periodic droplet, no solid), and prints
 * both rates, their ratio and the largest difference of the populations after a few steps.
 *
 * Run: `bun bench/lbm.ts [--quick] [--baseline=<file.wasm>]` (or `deno run -A bench/lbm.ts`).
 *
 * @module
 */
import { measure } from "mitata";
import { MultiComponentLBM } from "../lib/lbm/mod.ts";
import { getGpu, gpuUnavailableReason, releaseGpu } from "../lib/runtime/gpu.ts";
import { getPool, shutdownPools } from "../lib/runtime/pool.ts";
import { planeStride } from "../lib/lbm/wasm.ts";
import { getArena, type KernelExports, loadKernel, WasmF32 } from "../lib/runtime/wasm.ts";
import { benchArgs, machinePeaks, printMachineHeader, printTable, ratio, scriptArgs } from "./machine.ts";

const BYTES_PER_UPDATE = 164;
const args = benchArgs();
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const SIZES = args.quick ? [256, 512] : [256, 512, 1024];
const THREADS = 2;
const BASELINE = scriptArgs().find((a) => a.startsWith("--baseline="))?.slice("--baseline=".length);
/** Interleaved rounds of the 2-worker comparison and of the baseline comparison. */
const ROUNDS = args.quick ? 5 : 11;

await printMachineHeader("lbm: two-component Shan-Chen D2Q9 step (E4, tau 1, G 0.9)", args);
const peaks = await machinePeaks({ quick: args.quick, threads: THREADS });
const triad = (backend: string, t = 1) => peaks.find(backend, t)?.triadGBs ?? NaN;
const gpuWhy = await gpuUnavailableReason();

function droplet(n: number): [Float32Array, Float32Array] {
  const a = new Float32Array(n * n), b = new Float32Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const inside = (x - n / 2) ** 2 + (y - n / 2) ** 2 < (n / 4) ** 2;
      a[y * n + x] = inside ? 1.02 : 0.076;
      b[y * n + x] = inside ? 0.076 : 1.02;
    }
  }
  return [a, b];
}

type Label = "ts" | "wasm scalar" | "wasm simd" | "wasm simd mrt" | "wasm simd x2" | "webgpu";
interface Result {
  n: number;
  label: Label;
  steps: number;
  /** MLUPS from mitata's minimum (best sample) and average. */
  best: number;
  avg: number;
  /** Bandwidth bound in MLUPS (NaN for webgpu: no GPU triad is measured). */
  bound: number;
}
const results: Result[] = [];

/** mitata options: a few samples of many steps each (one sample is a whole run of `steps`). */
const sampling = (quick: boolean, slow: boolean) => ({
  min_samples: slow ? 2 : quick ? 4 : 6,
  max_samples: slow ? 3 : quick ? 8 : 16,
  min_cpu_time: (slow ? 0.5 : quick ? 0.4 : 1) * 1e9,
});

async function lbm(n: number, label: Label, opts: Record<string, unknown>, steps: number, bw: number) {
  const sim = new MultiComponentLBM({ nx: n, ny: n, tau: [1, 1], G: 0.9, stencil: "E4", ...opts });
  try {
    sim.setDensities(...droplet(n));
    await sim.run(2); // warm-up: compile, allocate, spawn workers
    const gpu = opts.backend === "webgpu";
    const stats = await measure(async () => {
      await sim.run(steps);
      if (gpu) await sim.mass(); // wait for the device
    }, sampling(args.quick, label === "ts"));
    const rate = (ns: number) => (n * n * steps) / (ns / 1e9) / 1e6;
    results.push({
      n,
      label,
      steps,
      best: rate(stats.min),
      avg: rate(stats.avg),
      bound: (bw * 1e9) / BYTES_PER_UPDATE / 1e6,
    });
  } finally {
    sim.dispose();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const seconds = async (fn: () => unknown) => {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1e3;
};

interface Scaling {
  n: number;
  /** MLUPS of the best and the median round, 1 and 2 workers. */
  best1: number;
  best2: number;
  med1: number;
  med2: number;
  /** Median over rounds of the per-round ratios x2 / x1 (lbm, triad control, peak control). */
  ratio: number;
  triad: number;
  peak: number;
  /** best-round x2 / x1 of the controls. */
  triadBest: number;
  peakBest: number;
}
const scalings: Scaling[] = [];

/**
 * 2 workers vs 1 in interleaved rounds: each round runs the wasm simd step on 1 thread, then on 2, then the
 * roofline triad and peak loops on 1 and 2 threads of the same pool, so that a busy spell of the machine
 * hits all of them alike.
 */
async function scaling(n: number, steps: number) {
  const k = await loadKernel("roofline");
  const pool = await getPool(THREADS);
  const len = 1 << 22, iters = 1 << 18, blocks = 4 * THREADS;
  const a = new WasmF32(len), b = new WasmF32(len), c = new WasmF32(len), out = new WasmF32(4 * 64);
  const sims = [1, THREADS].map((threads) =>
    new MultiComponentLBM({
      nx: n,
      ny: n,
      tau: [1, 1],
      G: 0.9,
      stencil: "E4",
      backend: "wasm",
      variant: "simd",
      threads,
    })
  );
  try {
    b.array.fill(1);
    c.array.fill(2);
    for (const sim of sims) {
      sim.setDensities(...droplet(n));
      await sim.run(2);
    }
    const triad1 = () => k.triad_simd(a.ptr, b.ptr, c.ptr, 3, 0, len);
    const triad2 = () =>
      pool.parallelFor("roofline", "triad_simd", [a.ptr, b.ptr, c.ptr, 3], 0, len, { align: 16 });
    const peak1 = () => k.peak_simd_blocks(out.ptr, iters, 0.999999, 1e-7, 0, blocks);
    const peak2 = () =>
      pool.parallelFor("roofline", "peak_simd_blocks", [out.ptr, iters, 0.999999, 1e-7], 0, blocks);
    const t: number[][] = [[], [], [], [], [], []];
    for (let r = 0; r < ROUNDS; r++) {
      t[0].push(await seconds(() => sims[0].run(steps)));
      t[1].push(await seconds(() => sims[1].run(steps)));
      t[2].push(await seconds(triad1));
      t[3].push(await seconds(triad2));
      t[4].push(await seconds(peak1));
      t[5].push(await seconds(peak2));
    }
    const rate = (s: number) => (n * n * steps) / s / 1e6;
    const per = (i: number, j: number) => median(t[i].map((s, r) => s / t[j][r]));
    scalings.push({
      n,
      best1: rate(Math.min(...t[0])),
      best2: rate(Math.min(...t[1])),
      med1: rate(median(t[0])),
      med2: rate(median(t[1])),
      ratio: per(0, 1),
      triad: per(2, 3),
      peak: per(4, 5),
      triadBest: Math.min(...t[2]) / Math.min(...t[3]),
      peakBest: Math.min(...t[4]) / Math.min(...t[5]),
    });
  } finally {
    for (const sim of sims) sim.dispose();
    for (const w of [a, b, c, out]) w.free();
  }
}

interface BaselineRow {
  n: number;
  baseBest: number;
  baseMed: number;
  curBest: number;
  curMed: number;
  /** Median over rounds of current / baseline. */
  ratio: number;
  maxDiff: number;
}
const baselineRows: BaselineRow[] = [];

/**
 * The 1-thread SIMD step of two builds of the lbm kernel family on the same lattice, interleaved: both
 * instances share the kernel memory, the lattice buffers and the parameters (laid out as lib/lbm/wasm.ts
 * does for a periodic lattice without solid nodes: no bounce links, no virtual densities). A step is
 * step_rows_simd over all rows plus the densities of the first and last row, as WasmLbm.run does on one
 * thread.
 */
async function baselineCompare(file: string, n: number, steps: number) {
  const { readFile } = await import("node:fs/promises");
  const arena = getArena();
  const cur = await loadKernel("lbm");
  const base = (await WebAssembly.instantiate(await readFile(file), { env: { memory: arena.memory } }))
    .instance.exports as unknown as KernelExports;
  for (const fn of ["step_rows_simd", "density_rows_simd"]) {
    if (typeof base[fn] !== "function") {
      throw new Error(`${file} has no export ${fn}: not an lbm kernel build`);
    }
  }
  const N = n * n, S = planeStride(N);
  const blocks: Array<{ ptr: number; bytes: number }> = [];
  const alloc = (bytes: number) => {
    const blk = arena.alloc(Math.max(16, bytes));
    blocks.push(blk);
    return blk.ptr;
  };
  try {
    const f = [alloc(72 * S), alloc(72 * S)], rho = [alloc(8 * S), alloc(8 * S)], mask = alloc(4 * N);
    const rowmin = alloc(4 * n), stn = alloc(16), params = alloc(64), brow = alloc(4 * (n + 1));
    const slot = typeof cur.fast_slot_bytes === "function" ? (cur.fast_slot_bytes() as number) : 0;
    const scratch = slot ? alloc(slot) : 0;
    arena.i32(mask, N).fill(0);
    arena.i32(brow, n + 1).fill(0);
    arena.i32(params, 16).set([S, scratch, 0, 0], 12); // stride, SIMD-row scratch, no row table (scan)
    arena.f32(params, 12).set([1, 1, 0.5, 0.5, 0.9, 0, 0, 0, 0, 1, 1 / 3, 1 / 12]);
    const W = [4 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 36, 1 / 36, 1 / 36, 1 / 36];
    const [d1, d2] = droplet(n);
    const init = () => {
      const a = arena.f32(f[0], 18 * S);
      for (let q = 0; q < 9; q++) {
        for (let c = 0; c < N; c++) {
          a[q * S + c] = W[q] * d1[c];
          a[(9 + q) * S + c] = W[q] * d2[c];
        }
      }
    };
    // returns the buffer holding the last populations
    const run = (k: KernelExports, s: number) => {
      let [f0, f1] = f, [r0, r1] = rho;
      k.density_rows_simd(f0, r0, mask, rowmin, n, n, S, 0, n);
      for (let i = 0; i < s; i++) {
        k.step_rows_simd(f0, f1, r0, r1, mask, 0, stn, 0, params, brow, brow, brow, rowmin, n, n, 0, n);
        k.density_rows_simd(f1, r1, mask, rowmin, n, n, S, 0, 1);
        k.density_rows_simd(f1, r1, mask, rowmin, n, n, S, n - 1, n);
        [f0, f1] = [f1, f0];
        [r0, r1] = [r1, r0];
      }
      return f0;
    };
    const outs = [base, cur].map((k) => {
      init();
      return arena.f32(run(k, 10), 18 * S).slice();
    });
    let maxDiff = 0;
    for (let i = 0; i < outs[0].length; i++) maxDiff = Math.max(maxDiff, Math.abs(outs[0][i] - outs[1][i]));
    const t: number[][] = [[], []];
    for (let r = 0; r < ROUNDS; r++) {
      for (const [j, k] of [base, cur].entries()) {
        init();
        t[j].push(await seconds(() => run(k, steps)));
      }
    }
    const rate = (s: number) => (N * steps) / s / 1e6;
    baselineRows.push({
      n,
      baseBest: rate(Math.min(...t[0])),
      baseMed: rate(median(t[0])),
      curBest: rate(Math.min(...t[1])),
      curMed: rate(median(t[1])),
      ratio: median(t[0].map((s, r) => s / t[1][r])),
      maxDiff,
    });
  } finally {
    for (const blk of blocks) arena.free(blk);
  }
}

try {
  for (const n of SIZES) {
    const steps = Math.max(2, Math.round((args.quick ? 1e6 : 2e6) / (n * n)));
    if (n === 256 || !args.quick) await lbm(n, "ts", { backend: "ts" }, 1, triad("ts (f64 numbers)"));
    await lbm(
      n,
      "wasm scalar",
      { backend: "wasm", variant: "scalar", threads: 1 },
      Math.max(1, steps >> 2),
      triad("wasm scalar"),
    );
    await lbm(n, "wasm simd", { backend: "wasm", variant: "simd", threads: 1 }, steps, triad("wasm simd"));
    await lbm(
      n,
      "wasm simd mrt",
      { backend: "wasm", variant: "simd", threads: 1, collision: "mrt" },
      steps,
      triad("wasm simd"),
    );
    await lbm(
      n,
      "wasm simd x2",
      { backend: "wasm", variant: "simd", threads: THREADS },
      steps,
      triad("wasm simd", THREADS),
    );
    await scaling(n, steps);
    if (BASELINE) await baselineCompare(BASELINE, n, steps);
    if (gpuWhy === null && !(isBun && n > 512)) {
      await lbm(n, "webgpu", { backend: "webgpu", stepsPerSubmit: 32 }, Math.max(4, steps >> 1), NaN);
    }
  }
  const get = (n: number, label: Label) => results.find((r) => r.n === n && r.label === label);
  const labels: Label[] = ["ts", "wasm scalar", "wasm simd", "wasm simd mrt", "wasm simd x2", "webgpu"];
  printTable(
    "MLUPS per backend (mitata minimum time: the best sample, least disturbed by other processes)",
    SIZES.map((n) => ({ size: `${n}^2`, ...Object.fromEntries(labels.map((l) => [l, get(n, l)?.best])) })),
  );
  printTable(
    "MLUPS per backend (mitata average time)",
    SIZES.map((n) => ({ size: `${n}^2`, ...Object.fromEntries(labels.map((l) => [l, get(n, l)?.avg])) })),
  );
  printTable(
    `Fraction of the bandwidth bound (triad GB/s of the same backend and threads / ${BYTES_PER_UPDATE} B ` +
      "per update; best sample)",
    SIZES.map((n) => ({
      size: `${n}^2`,
      ...Object.fromEntries(
        labels.filter((l) => l !== "webgpu").map((l) => {
          const r = get(n, l);
          return [l, r ? r.best / r.bound : undefined];
        }),
      ),
      "bound MLUPS (simd x1)": get(n, "wasm simd")?.bound,
      "bound MLUPS (simd x2)": get(n, "wasm simd x2")?.bound,
    })),
  );
  printTable(
    "Ratios measured side by side in this run (best samples)",
    SIZES.map((n) => ({
      size: `${n}^2`,
      "simd / ts": ratio(get(n, "wasm simd")?.best, get(n, "ts")?.best),
      "simd / scalar": ratio(get(n, "wasm simd")?.best, get(n, "wasm scalar")?.best),
      "simd x2 / x1": ratio(get(n, "wasm simd x2")?.best, get(n, "wasm simd")?.best),
      "simd mrt / bgk": ratio(get(n, "wasm simd mrt")?.best, get(n, "wasm simd")?.best),
    })),
  );
  printTable(
    `2 workers vs 1, wasm simd, ${ROUNDS} interleaved rounds (x1, x2, triad x1/x2, peak x1/x2 per round)`,
    scalings.map((s) => ({
      size: `${s.n}^2`,
      "x1 best": s.best1,
      "x2 best": s.best2,
      "x1 median": s.med1,
      "x2 median": s.med2,
      "x2/x1 best": s.best2 / s.best1,
      "x2/x1 median round": s.ratio,
      "triad x2/x1 (best, median)": `${s.triadBest.toFixed(2)}, ${s.triad.toFixed(2)}`,
      "peak x2/x1 (best, median)": `${s.peakBest.toFixed(2)}, ${s.peak.toFixed(2)}`,
      "x1 / bound": s.best1 / ((triad("wasm simd") * 1e9) / BYTES_PER_UPDATE / 1e6),
      "x2 / bound": s.best2 / ((triad("wasm simd", THREADS) * 1e9) / BYTES_PER_UPDATE / 1e6),
    })),
    {
      notes: [
        "MLUPS; x2/x1 near the peak control means the kernel scales as far as the machine lets it; a peak",
        "control well below 2 means the second core was busy with other processes during the run.",
      ],
    },
  );
  if (BASELINE) {
    printTable(
      `Current vs baseline ${BASELINE}: wasm simd, 1 thread, ${ROUNDS} interleaved rounds (MLUPS)`,
      baselineRows.map((r) => ({
        size: `${r.n}^2`,
        "baseline best": r.baseBest,
        "current best": r.curBest,
        "baseline median": r.baseMed,
        "current median": r.curMed,
        "current / baseline (median round)": r.ratio,
        "current best / bound": r.curBest / ((triad("wasm simd") * 1e9) / BYTES_PER_UPDATE / 1e6),
        "max |f diff| after 10 steps": r.maxDiff,
      })),
    );
  }
  if (gpuWhy !== null) console.log(`webgpu rows skipped: ${gpuWhy}`);
  else if ((await getGpu()).software) {
    console.log(
      "webgpu rows: on a CPU rasterizer (llvmpipe) these are a correctness path, not GPU performance.",
    );
  }
} finally {
  await shutdownPools();
  await releaseGpu();
}
