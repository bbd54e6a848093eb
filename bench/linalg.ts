/**
 * Linear algebra benchmarks (mitata): f32 matmul, dot and axpy on every backend, side by side.
 *
 * - matmul n x n x n for n in 64, 256, 512 (and 1024 in full mode): ts (n <= 256), wasm scalar, wasm
 *   simd on 1 thread and on N threads (every core), webgpu when an adapter exists. Wasm operands are
 *   WasmF32 and the product goes to a WasmF32 `out`: nothing is copied in the timed region. WebGPU
 *   times include upload and readback (that is what a call costs).
 * - dot and axpy on 1e6 f32: ts, wasm scalar, wasm simd (axpy also on 2 threads).
 *
 * After mitata's own report, prints GFLOP/s (matmul) or GB/s (dot, axpy), the ratios wasm simd / ts,
 * simd / scalar, N threads / 1, and each kernel as a fraction of the matching ceiling (peak GFLOP/s for
 * matmul, STREAM triad GB/s for dot and axpy) measured in this process before the kernels: once from
 * mitata's per-iteration average, once from its minimum (the best sample).
 *
 * Run: `bun bench/linalg.ts [--quick]` (or `deno run -A bench/linalg.ts`).
 *
 * @module
 */
import { isatty } from "node:tty";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { fillUniformF32 } from "../lib/core/rng.ts";
import { axpyTs, dotTs, matmulTs } from "../lib/linalg/reference.ts";
import { axpyWasm, dotWasm, matmulWasm } from "../lib/linalg/wasm.ts";
import { matmulWebGPU } from "../lib/linalg/webgpu.ts";
import { getGpu, gpuUnavailableReason, releaseGpu } from "../lib/runtime/gpu.ts";
import { getPool, shutdownPools } from "../lib/runtime/pool.ts";
import { loadKernel, WasmF32 } from "../lib/runtime/wasm.ts";
import {
  benchArgs,
  isSoftwareAdapter,
  machinePeaks,
  printMachineHeader,
  printTable,
  ratio,
} from "./machine.ts";

type Backend = "ts" | "wasm scalar" | "wasm simd" | "webgpu";

/** What a benchmark name stands for, to turn mitata's times into throughput. */
interface Spec {
  op: "matmul" | "dot" | "axpy";
  n: number;
  backend: Backend;
  threads: number;
  /** Flops (matmul) or bytes (dot, axpy) per call. */
  work: number;
}

const args = benchArgs();
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const SIZES = args.quick ? [64, 256, 512] : [64, 256, 512, 1024];
const TS_MAX = 256;
const VEC = 1_000_000;
const AXPY_THREADS = 2;

await printMachineHeader("linalg: f32 matmul, dot, axpy", args);
const peaks = await machinePeaks({ quick: args.quick });
const N = peaks.threads;

const gpuWhy = await gpuUnavailableReason();
const gpu = gpuWhy === null ? await getGpu() : null;
const gpuName = gpu ? gpu.describe() : null;
const gpuSoftware = gpu ? isSoftwareAdapter(gpu.adapterInfo) : false;
// Bun has crashed in dawn on buffers of 2^20 elements: keep its (opt-in) WebGPU rows below that.
const GPU_MAX = isBun ? 512 : 1024;

const specs = new Map<string, Spec>();
const owned: WasmF32[] = [];
const wasmOf = (x: Float32Array) => {
  const w = WasmF32.from(x);
  owned.push(w);
  return w;
};
const wasmZeros = (n: number) => {
  const w = new WasmF32(n);
  owned.push(w);
  return w;
};
const uniform = (n: number, stream: number) => fillUniformF32(new Float32Array(n), 1, stream);

function add(name: string, spec: Spec, fn: () => unknown) {
  specs.set(name, spec);
  return bench(name, fn);
}

try {
  await loadKernel("linalg");
  if (N > 1) await getPool(N);
  if (AXPY_THREADS > 1) await getPool(AXPY_THREADS);

  for (const n of SIZES) {
    const a = uniform(n * n, 2 * n), b = uniform(n * n, 2 * n + 1);
    const A = wasmOf(a), B = wasmOf(b), C = wasmZeros(n * n);
    const flops = 2 * n ** 3;
    const mm = (backend: Backend, threads: number) => ({
      op: "matmul" as const,
      n,
      backend,
      threads,
      work: flops,
    });
    if (n <= TS_MAX) await checkMatmul(a, b, A, B, C, n);
    group(`matmul f32 ${n}x${n}x${n}`, () => {
      summary(() => {
        if (n <= TS_MAX) {
          add(`matmul ${n} ts`, mm("ts", 1), () => do_not_optimize(matmulTs(a, b, n, n, n))).baseline();
        }
        add(
          `matmul ${n} wasm scalar`,
          mm("wasm scalar", 1),
          () => matmulWasm(A, B, n, n, n, { out: C, variant: "scalar", threads: 1 }),
        );
        add(
          `matmul ${n} wasm simd`,
          mm("wasm simd", 1),
          () => matmulWasm(A, B, n, n, n, { out: C, variant: "simd", threads: 1 }),
        );
        if (N > 1) {
          add(
            `matmul ${n} wasm simd x${N}`,
            mm("wasm simd", N),
            () => matmulWasm(A, B, n, n, n, { out: C, variant: "simd", threads: N }),
          );
        }
        if (gpuName !== null && n <= GPU_MAX) {
          add(`matmul ${n} webgpu`, mm("webgpu", 1), () => matmulWebGPU(a, b, n, n, n));
        }
      });
    });
  }

  {
    const x = uniform(VEC, 100), y = uniform(VEC, 101);
    const X = wasmOf(x), Y = wasmOf(y);
    const dot = (backend: Backend) => ({ op: "dot" as const, n: VEC, backend, threads: 1, work: 8 * VEC });
    group(`dot f32 n=${VEC}`, () => {
      summary(() => {
        add(`dot ${VEC} ts`, dot("ts"), () => do_not_optimize(dotTs(x, y))).baseline();
        add(`dot ${VEC} wasm scalar`, dot("wasm scalar"), () => dotWasm(X, Y, { variant: "scalar" }));
        add(`dot ${VEC} wasm simd`, dot("wasm simd"), () => dotWasm(X, Y, { variant: "simd" }));
      });
    });
  }

  {
    // y += alpha x in place, repeated: alpha is small so y stays O(1) over millions of calls
    const alpha = 1e-7;
    const x = uniform(VEC, 102), y = uniform(VEC, 103);
    const X = wasmOf(x), Y = wasmOf(y);
    const axpy = (backend: Backend, threads: number) => ({
      op: "axpy" as const,
      n: VEC,
      backend,
      threads,
      work: 12 * VEC,
    });
    group(`axpy f32 n=${VEC}`, () => {
      summary(() => {
        add(`axpy ${VEC} ts`, axpy("ts", 1), () => do_not_optimize(axpyTs(alpha, x, y))).baseline();
        add(
          `axpy ${VEC} wasm scalar`,
          axpy("wasm scalar", 1),
          () => axpyWasm(alpha, X, Y, { variant: "scalar", threads: 1 }),
        );
        add(
          `axpy ${VEC} wasm simd`,
          axpy("wasm simd", 1),
          () => axpyWasm(alpha, X, Y, { variant: "simd", threads: 1 }),
        );
        add(
          `axpy ${VEC} wasm simd x${AXPY_THREADS}`,
          axpy("wasm simd", AXPY_THREADS),
          () => axpyWasm(alpha, X, Y, { variant: "simd", threads: AXPY_THREADS }),
        );
      });
    });
  }

  console.log("## mitata\n");
  const result = await run({ throw: true, colors: isatty(1) });

  const stats = new Map<string, { avg: number; min: number }>();
  for (const trial of result.benchmarks) {
    for (const r of trial.runs) if (r.stats) stats.set(r.name, { avg: r.stats.avg, min: r.stats.min });
  }
  printTables(stats, "avg");
  printTables(stats, "min");
  console.log(
    "Absolute numbers drift on a shared machine; the ratios are measured side by side in this run.",
  );
} finally {
  for (const w of owned) w.free();
  await shutdownPools();
  if (gpuName !== null) await releaseGpu();
}

/** Prints the side-by-side tables from mitata's per-iteration average or minimum (ns). */
function printTables(stats: Map<string, { avg: number; min: number }>, stat: "avg" | "min") {
  const rate = new Map<string, number>();
  const key = (op: string, n: number, backend: Backend, threads: number) =>
    `${op}|${n}|${backend}|${threads}`;
  for (const [name, st] of stats) {
    const spec = specs.get(name);
    if (spec) rate.set(key(spec.op, spec.n, spec.backend, spec.threads), spec.work / st[stat]);
  }
  const get = (op: string, n: number, backend: Backend, threads = 1) =>
    rate.get(key(op, n, backend, threads));
  const peakOf = (backend: string, t = 1) => peaks.find(backend, t)?.peakGFLOPs;
  const triadOf = (backend: string, t = 1) => peaks.find(backend, t)?.triadGBs;
  const from = stat === "avg"
    ? "mitata average time"
    : "mitata minimum time: the best sample, least disturbed by other processes";
  const xN = `simd x${N}`;

  printTable(
    `matmul f32 n x n x n: GFLOP/s (2n^3 / ${from})`,
    SIZES.map((n) => ({
      n,
      ts: get("matmul", n, "ts"),
      "wasm scalar": get("matmul", n, "wasm scalar"),
      "wasm simd": get("matmul", n, "wasm simd"),
      ...(N > 1 ? { [`wasm ${xN}`]: get("matmul", n, "wasm simd", N) } : {}),
      webgpu: get("matmul", n, "webgpu"),
    })),
    {
      notes: stat === "min" ? [] : [
        gpuName === null
          ? `webgpu: none (${gpuWhy})`
          : `webgpu: ${gpuName}; time includes upload and readback` +
            (gpuSoftware ? ". A CPU rasterizer: a correctness path, not GPU performance." : "."),
      ],
    },
  );
  printTable(
    `matmul ratios and fractions of the measured peak (same backend and thread count; ${stat})`,
    SIZES.map((n) => {
      const ts = get("matmul", n, "ts"), sc = get("matmul", n, "wasm scalar");
      const s1 = get("matmul", n, "wasm simd"), sN = get("matmul", n, "wasm simd", N);
      return {
        n,
        "simd/ts": ratio(s1, ts),
        "simd/scalar": ratio(s1, sc),
        ...(N > 1 ? { [`x${N}/x1`]: ratio(sN, s1) } : {}),
        "ts of peak": ratio(ts, peakOf("ts (f64 numbers)")),
        "scalar of peak": ratio(sc, peakOf("wasm scalar")),
        "simd of peak": ratio(s1, peakOf("wasm simd")),
        ...(N > 1 ? { [`${xN} of peak`]: ratio(sN, peakOf("wasm simd", N)) } : {}),
      };
    }),
    {
      notes: stat === "min" ? [] : [
        `Peaks (GFLOP/s): ts ${fmt(peakOf("ts (f64 numbers)"))}, wasm scalar ${
          fmt(peakOf("wasm scalar"))
        }, ` +
        `wasm simd ${fmt(peakOf("wasm simd"))}` +
        (N > 1 ? `, wasm simd x${N} ${fmt(peakOf("wasm simd", N))}.` : "."),
      ],
    },
  );

  const tX = `simd x${AXPY_THREADS}`;
  printTable(
    `dot and axpy f32, n = ${VEC}: GB/s (dot 8 bytes/element, axpy 12; ${from}) and ratios`,
    (["dot", "axpy"] as const).map((op) => {
      const ts = get(op, VEC, "ts"), sc = get(op, VEC, "wasm scalar"), s1 = get(op, VEC, "wasm simd");
      const sT = op === "axpy" ? get(op, VEC, "wasm simd", AXPY_THREADS) : undefined;
      return {
        op,
        ts,
        "wasm scalar": sc,
        "wasm simd": s1,
        [`wasm ${tX}`]: sT,
        "simd/ts": ratio(s1, ts),
        "simd/scalar": ratio(s1, sc),
        [`x${AXPY_THREADS}/x1`]: ratio(sT, s1),
        "simd of triad": ratio(s1, triadOf("wasm simd")),
        [`${tX} of triad`]: ratio(sT, triadOf("wasm simd", AXPY_THREADS)),
      };
    }),
    {
      notes: stat === "min" ? [] : [
        `Triad (GB/s): ts ${fmt(triadOf("ts (f64 numbers)"))}, wasm scalar ${fmt(triadOf("wasm scalar"))}, ` +
        `wasm simd ${fmt(triadOf("wasm simd"))}` +
        (triadOf("wasm simd", AXPY_THREADS)
          ? `, wasm simd x${AXPY_THREADS} ${fmt(triadOf("wasm simd", AXPY_THREADS))}`
          : "") +
        " (arrays of 64 MiB).",
        `The vectors hold ${VEC} f32 (${8 * VEC / 1e6} MB for both): within the last-level cache ` +
        "(see caches above), so a fraction of the 64 MiB STREAM triad can exceed 1.",
      ],
    },
  );
}

/** Checks every backend's product against the ts reference before timing it (relative max error). */
async function checkMatmul(a: Float32Array, b: Float32Array, A: WasmF32, B: WasmF32, C: WasmF32, n: number) {
  const ref = matmulTs(a, b, n, n, n);
  let scale = 0;
  for (const v of ref) scale = Math.max(scale, Math.abs(v));
  const worst: string[] = [];
  const check = async (name: string, run: () => Promise<Float32Array>) => {
    const got = await run();
    let err = 0;
    for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(got[i] - ref[i]));
    const rel = err / scale;
    if (!(rel <= 1e-5)) throw new Error(`matmul ${n} ${name} disagrees with ts: max error ${rel} of max |C|`);
    worst.push(`${name} ${rel.toExponential(1)}`);
  };
  await check("wasm scalar", () => matmulWasm(A, B, n, n, n, { out: C, variant: "scalar", threads: 1 }));
  await check("wasm simd", () => matmulWasm(A, B, n, n, n, { out: C, variant: "simd", threads: 1 }));
  if (N > 1) await check(`wasm simd x${N}`, () => matmulWasm(A, B, n, n, n, { out: C, threads: N }));
  if (gpuName !== null && n <= GPU_MAX) await check("webgpu", () => matmulWebGPU(a, b, n, n, n));
  console.log(`checked matmul ${n} against ts (max error / max |C|): ${worst.join(", ")}`);
}

function fmt(x: number | undefined): string {
  return x === undefined ? "-" : x.toPrecision(3);
}
