/**
 * LBM benchmark (mitata `measure`): million lattice updates per second (MLUPS) of the two-component
 * Shan-Chen D2Q9 step (E4, tau 1, G 0.9, a droplet) for each backend: ts (float64 reference), wasm scalar,
 * wasm simd, wasm simd on 2 threads, webgpu when an adapter exists; at 256^2 and 512^2, and 1024^2 in
 * full mode (ts at 256^2 only in quick mode).
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
 * The 2-thread rows come with trivially parallel controls measured right beside them (the roofline triad
 * and peak loops on 1 and 2 threads of the same pool): on a machine shared with other processes, a
 * control that does not reach 2x either says the second core was busy (contention), not that the kernel
 * scales badly.
 *
 * Run: `bun bench/lbm.ts [--quick]` (or `deno run -A bench/lbm.ts`).
 *
 * @module
 */
import { measure } from "mitata";
import { MultiComponentLBM } from "../lib/lbm/mod.ts";
import { gpuUnavailableReason, releaseGpu } from "../lib/runtime/gpu.ts";
import { getPool, shutdownPools } from "../lib/runtime/pool.ts";
import { loadKernel, WasmF32 } from "../lib/runtime/wasm.ts";
import { benchArgs, machinePeaks, printMachineHeader, printTable, ratio } from "./machine.ts";

const BYTES_PER_UPDATE = 164;
const args = benchArgs();
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const SIZES = args.quick ? [256, 512] : [256, 512, 1024];
const THREADS = 2;

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

type Label = "ts" | "wasm scalar" | "wasm simd" | "wasm simd x2" | "webgpu";
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
const controls: Array<{ size: string; "triad x2 / x1": number; "peak x2 / x1": number }> = [];

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

/** Trivially parallel controls on the same pool: triad (memory) and peak (compute), x2 over x1. */
async function control(size: string) {
  const k = await loadKernel("roofline");
  const pool = await getPool(THREADS);
  const len = 1 << 22;
  const a = new WasmF32(len), b = new WasmF32(len), c = new WasmF32(len), out = new WasmF32(4 * 64);
  try {
    b.array.fill(1);
    c.array.fill(2);
    const opts = { min_samples: 8, max_samples: 32, min_cpu_time: 0.3e9 };
    const t1 = await measure(() => k.triad_simd(a.ptr, b.ptr, c.ptr, 3, 0, len), opts);
    const t2 = await measure(
      () => pool.parallelFor("roofline", "triad_simd", [a.ptr, b.ptr, c.ptr, 3], 0, len, { align: 16 }),
      opts,
    );
    const iters = 1 << 18, blocks = 4 * THREADS;
    const p1 = await measure(() => k.peak_simd_blocks(out.ptr, iters, 0.999999, 1e-7, 0, blocks), opts);
    const p2 = await measure(
      () => pool.parallelFor("roofline", "peak_simd_blocks", [out.ptr, iters, 0.999999, 1e-7], 0, blocks),
      opts,
    );
    controls.push({ size, "triad x2 / x1": t1.min / t2.min, "peak x2 / x1": p1.min / p2.min });
  } finally {
    for (const w of [a, b, c, out]) w.free();
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
      "wasm simd x2",
      { backend: "wasm", variant: "simd", threads: THREADS },
      steps,
      triad("wasm simd", THREADS),
    );
    await control(`${n}^2`);
    if (gpuWhy === null && !(isBun && n > 512)) {
      await lbm(n, "webgpu", { backend: "webgpu", stepsPerSubmit: 32 }, Math.max(4, steps >> 1), NaN);
    }
  }
  const get = (n: number, label: Label) => results.find((r) => r.n === n && r.label === label);
  const labels: Label[] = ["ts", "wasm scalar", "wasm simd", "wasm simd x2", "webgpu"];
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
    "Ratios measured side by side in this run (best samples), with the trivially parallel controls",
    SIZES.map((n, i) => ({
      size: `${n}^2`,
      "simd / ts": ratio(get(n, "wasm simd")?.best, get(n, "ts")?.best),
      "simd / scalar": ratio(get(n, "wasm simd")?.best, get(n, "wasm scalar")?.best),
      "lbm x2 / x1": ratio(get(n, "wasm simd x2")?.best, get(n, "wasm simd")?.best),
      "control triad x2 / x1": controls[i]?.["triad x2 / x1"],
      "control peak x2 / x1": controls[i]?.["peak x2 / x1"],
    })),
    {
      notes: [
        "lbm x2 / x1 near the peak control means the kernel scales as far as the machine lets it; a peak",
        "control well below 2 means the second core was busy with other processes during the run.",
      ],
    },
  );
  if (gpuWhy !== null) console.log(`webgpu rows skipped: ${gpuWhy}`);
  else {
    console.log(
      "webgpu rows: on a CPU rasterizer (llvmpipe) these are a correctness path, not GPU performance.",
    );
  }
} finally {
  await shutdownPools();
  await releaseGpu();
}
