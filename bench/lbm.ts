/**
 * LBM benchmark: million lattice updates per second (MLUPS) of the two-component Shan-Chen step for each
 * backend (ts, wasm scalar, wasm simd, wasm simd on 2 threads, webgpu when an adapter exists) at 256^2,
 * 512^2 and 1024^2 (ts at 256^2 only), each as a fraction of the bandwidth bound
 * MLUPS_max = triad GB/s / bytes per update, with the triad bandwidth of the matching backend measured in
 * this process (bench/machine.ts). Bytes per update count what the kernels move per cell and step:
 * density pass 18 f32 reads + 2 writes + mask, collide pass 18 reads + 18 writes + mask + the two
 * densities (stencil neighbours hit cache): 4 * (18 + 2 + 1 + 36 + 1 + 2) = 240 B.
 *
 * Run: `bun bench/lbm.ts [--quick]` (or `deno run -A bench/lbm.ts`). Timing is best of a few runs of
 * `steps` steps on a droplet state (wall clock, the whole step including list passes and pool dispatch).
 *
 * @module
 */
import { MultiComponentLBM } from "../lib/lbm/mod.ts";
import { gpuUnavailableReason, releaseGpu } from "../lib/runtime/gpu.ts";
import { shutdownPools } from "../lib/runtime/pool.ts";
import { benchArgs, machinePeaks, printMachineHeader, printTable, ratio } from "./machine.ts";

const BYTES_PER_UPDATE = 240;
const args = benchArgs();
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const SIZES = args.quick ? [256, 512] : [256, 512, 1024];

await printMachineHeader("lbm: two-component Shan-Chen D2Q9 step (E4, tau 1, G 0.9)", args);
const peaks = await machinePeaks({ quick: args.quick, threads: 2 });
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

interface Row {
  size: string;
  backend: string;
  steps: number;
  "ms/step": number;
  MLUPS: number;
  "bound MLUPS": number;
  "fraction of bound": number;
}
const rows: Row[] = [];

async function measure(
  n: number,
  label: string,
  opts: Record<string, unknown>,
  steps: number,
  reps: number,
  bw: number,
) {
  const sim = new MultiComponentLBM({ nx: n, ny: n, tau: [1, 1], G: 0.9, stencil: "E4", ...opts });
  sim.setDensities(...droplet(n));
  await sim.run(2); // warm-up: compile, allocate, spawn workers
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await sim.run(steps);
    if (opts.backend === "webgpu") await sim.mass(); // wait for the device
    best = Math.min(best, (performance.now() - t0) / steps);
  }
  sim.dispose();
  const mlups = (n * n) / best / 1e3, bound = (bw * 1e9) / BYTES_PER_UPDATE / 1e6;
  rows.push({
    size: `${n}^2`,
    backend: label,
    steps,
    "ms/step": best,
    MLUPS: mlups,
    "bound MLUPS": bound,
    "fraction of bound": mlups / bound,
  });
}

try {
  for (const n of SIZES) {
    const steps = Math.max(4, Math.round((args.quick ? 2e6 : 8e6) / (n * n)));
    if (n === 256) await measure(n, "ts", { backend: "ts" }, 2, 2, triad("ts (f64 numbers)"));
    await measure(
      n,
      "wasm scalar",
      { backend: "wasm", variant: "scalar", threads: 1 },
      Math.max(2, steps >> 2),
      2,
      triad("wasm scalar"),
    );
    await measure(
      n,
      "wasm simd",
      { backend: "wasm", variant: "simd", threads: 1 },
      steps,
      3,
      triad("wasm simd"),
    );
    await measure(
      n,
      "wasm simd x2",
      { backend: "wasm", variant: "simd", threads: 2 },
      steps,
      3,
      triad("wasm simd", 2),
    );
    if (gpuWhy === null && !(isBun && n > 512)) {
      await measure(n, "webgpu", { backend: "webgpu", stepsPerSubmit: 32 }, Math.max(4, steps >> 2), 2, NaN);
    }
  }
  printTable(
    "MLUPS per backend (fraction of the bandwidth bound at 240 B per update)",
    rows as unknown as Record<string, unknown>[],
  );
  const get = (size: string, b: string) => rows.find((r) => r.size === size && r.backend === b)?.MLUPS;
  const ratios = SIZES.map((n) => ({
    size: `${n}^2`,
    "simd / ts": n === 256 ? ratio(get("256^2", "wasm simd"), get("256^2", "ts")) : NaN,
    "simd / scalar": ratio(get(`${n}^2`, "wasm simd"), get(`${n}^2`, "wasm scalar")),
    "2 threads / 1": ratio(get(`${n}^2`, "wasm simd x2"), get(`${n}^2`, "wasm simd")),
  }));
  printTable("Ratios measured side by side in this run", ratios);
  if (gpuWhy !== null) console.log(`webgpu rows skipped: ${gpuWhy}`);
  else {console.log(
      "webgpu rows: on a CPU rasterizer (llvmpipe) these are a correctness path, not GPU performance.",
    );}
} finally {
  await shutdownPools();
  await releaseGpu();
}
