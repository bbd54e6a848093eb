/**
 * The machine roofline as a benchmark: STREAM copy and triad bandwidth and peak f32 multiply-add
 * throughput per backend (ts, wasm scalar, wasm simd on 1 thread and on N threads, WebGPU when an
 * adapter exists), the ratios between them measured side by side (N workers vs 1 on STREAM triad and on
 * peak, SIMD vs scalar, wasm vs ts), and the measured wasm matmuls as fractions of their peak.
 *
 * Quick mode is `measureMachine({ quick: true })` (best of 3, peak loops of 2^20 iterations, matmul 256
 * and 512); full mode is `quick: false` (best of 10, 2^22 iterations, matmul up to 1024).
 *
 * Run: `bun bench/roofline.ts [--quick]` (or `deno run -A bench/roofline.ts`).
 *
 * @module
 */
import { measureMachine } from "../lib/experiments/roofline.ts";
import { shutdownPools } from "../lib/runtime/pool.ts";
import { getGpu, releaseGpu } from "../lib/runtime/gpu.ts";
import { benchArgs, isSoftwareAdapter, printMachineHeader, printTable, ratio } from "./machine.ts";

/** Native-code anchors measured separately on a machine of the same kind (not Tessera numbers). */
const ANCHORS = {
  triadNativeC: 15.7,
  copyNativeC: 13.6,
  matmulOpenBLAS512: 115,
  matmulXnnpack512: 15.3,
};

const args = benchArgs();
await printMachineHeader("roofline: bandwidth and peak per backend", args);

try {
  const t0 = performance.now();
  const m = await measureMachine({ quick: args.quick, quiet: true });
  const seconds = (performance.now() - t0) / 1000;
  const gpuSoftware = m.gpu !== null && isSoftwareAdapter((await getGpu()).adapterInfo);
  const find = (backend: string, threads = 1) =>
    m.ceilings.find((r) => r.backend === backend && r.threads === threads);
  const ts = find("ts (f64 numbers)"), scalar = find("wasm scalar"), simd = find("wasm simd");
  const multi = m.ceilings.find((r) => r.backend === "wasm simd" && r.threads > 1);

  printTable(
    `Ceilings (${args.quick ? "quick" : "full"}: STREAM on 2^${Math.log2(m.streamElements)} f32 per array, ` +
      `measured in ${seconds.toFixed(1)} s)`,
    m.ceilings.map((r) => ({
      backend: r.backend,
      threads: r.threads,
      "copy GB/s": r.copyGBs,
      "triad GB/s": r.triadGBs,
      "peak GFLOP/s": r.peakGFLOPs,
      "ridge flop/B": r.ridge,
      timing: r.timing,
    })),
    {
      notes: [
        "GB/s count bytes as STREAM does (copy 8 per element, triad 12). Peak: register-resident multiply-add",
        "chains; wasm SIMD has no fused multiply-add here, so a multiply-add is 2 flops in 2 instructions.",
        ...(gpuSoftware
          ? [`The WebGPU row ran on ${m.gpu}: a CPU rasterizer, a correctness path, not GPU performance.`]
          : []),
      ],
    },
  );

  const rows: Array<{ ratio: string; triad: number; copy: number; peak: number }> = [];
  if (multi && simd) {
    rows.push({
      ratio: `wasm simd ${multi.threads} workers / 1`,
      triad: ratio(multi.triadGBs, simd.triadGBs),
      copy: ratio(multi.copyGBs, simd.copyGBs),
      peak: ratio(multi.peakGFLOPs, simd.peakGFLOPs),
    });
  }
  if (simd && scalar) {
    rows.push({
      ratio: "wasm simd / wasm scalar",
      triad: ratio(simd.triadGBs, scalar.triadGBs),
      copy: ratio(simd.copyGBs, scalar.copyGBs),
      peak: ratio(simd.peakGFLOPs, scalar.peakGFLOPs),
    });
  }
  if (simd && ts) {
    rows.push({
      ratio: "wasm simd / ts",
      triad: ratio(simd.triadGBs, ts.triadGBs),
      copy: ratio(simd.copyGBs, ts.copyGBs),
      peak: ratio(simd.peakGFLOPs, ts.peakGFLOPs),
    });
  }
  if (scalar && ts) {
    rows.push({
      ratio: "wasm scalar / ts",
      triad: ratio(scalar.triadGBs, ts.triadGBs),
      copy: ratio(scalar.copyGBs, ts.copyGBs),
      peak: ratio(scalar.peakGFLOPs, ts.peakGFLOPs),
    });
  }
  printTable("Ratios measured side by side in this run", rows, {
    notes: multi
      ? [
        `STREAM triad ${multi.threads} workers vs 1: ${ratio(multi.triadGBs, simd?.triadGBs).toFixed(2)}x ` +
        `(${multi.triadGBs.toFixed(2)} vs ${simd?.triadGBs.toFixed(2)} GB/s). Peak ${multi.threads} vs 1: ` +
        `${
          ratio(multi.peakGFLOPs, simd?.peakGFLOPs).toFixed(2)
        }x. Two workers can only double the peak when ` +
        "both cores are free; bandwidth is shared by the cores.",
      ]
      : ["One core: no multi-threaded row."],
  });

  printTable(
    "f32 matmul n x n x n (wasm, WasmF32 operands and out; best of the repetitions)",
    m.matmul.map((p) => ({
      backend: p.backend,
      threads: p.threads,
      n: p.n,
      "GFLOP/s": p.gflops,
      "fraction of peak": p.fractionOfPeak,
    })),
  );

  const best512 = Math.max(...m.matmul.filter((p) => p.n === 512).map((p) => p.gflops));
  printTable(
    "Against native anchors measured separately on a machine of the same kind (not Tessera numbers)",
    [
      {
        metric: "STREAM triad, 1 thread (GB/s)",
        anchor: "native C gcc -O3",
        "anchor value": ANCHORS.triadNativeC,
        ours: simd?.triadGBs,
        "ours/anchor": ratio(simd?.triadGBs, ANCHORS.triadNativeC),
      },
      {
        metric: "STREAM copy, 1 thread (GB/s)",
        anchor: "native C gcc -O3",
        "anchor value": ANCHORS.copyNativeC,
        ours: simd?.copyGBs,
        "ours/anchor": ratio(simd?.copyGBs, ANCHORS.copyNativeC),
      },
      {
        metric: "f32 matmul 512 (GFLOP/s)",
        anchor: "numpy/OpenBLAS, 2 threads",
        "anchor value": ANCHORS.matmulOpenBLAS512,
        ours: best512,
        "ours/anchor": ratio(best512, ANCHORS.matmulOpenBLAS512),
      },
      {
        metric: "f32 matmul 512 (GFLOP/s)",
        anchor: "tfjs-backend-wasm (XNNPACK), Node",
        "anchor value": ANCHORS.matmulXnnpack512,
        ours: best512,
        "ours/anchor": ratio(best512, ANCHORS.matmulXnnpack512),
      },
    ],
  );
  console.log(
    "Absolute numbers drift on a shared machine; the ratios are measured side by side in this run.",
  );
} finally {
  await shutdownPools();
  await releaseGpu();
}
