/**
 * lib/nn training-step benchmark: tokens per second of one transformer training step (forward,
 * backward, AdamW) on ts, wasm with scalar matmul, wasm SIMD on 1 thread and wasm SIMD on 2 threads,
 * measured side by side in one process; and a matmul-heavy step (wider model) whose matmul FLOP/s is
 * reported as a fraction of this machine's measured wasm SIMD peak (lib/experiments/roofline.ts
 * measureMachine, via bench/machine.ts).
 *
 * Matmul flops are counted from the op log: 2 m k n per forward matmul, twice that for its backward.
 *
 * A second table times the hot ops one by one, forward + backward (softmax, layernorm, rmsnorm, causal
 * attention, segment sum, AdamW) on ts, wasm SIMD (1 thread) and the standalone WebGPU kernels of
 * lib/nn/webgpu.ts when an adapter exists (under Bun only with TESSERA_BUN_WEBGPU=1). WebGPU times
 * include upload and readback of every call; on a CPU rasterizer (llvmpipe) they are a correctness
 * path, not GPU performance.
 *
 * Run: `bun bench/nn.ts [--quick]` (or `deno run -A bench/nn.ts`).
 *
 * @module
 */
import { Philox } from "../lib/core/rng.ts";
import { shutdownPools } from "../lib/runtime/pool.ts";
import { getGpu, gpuUnavailableReason, releaseGpu } from "../lib/runtime/gpu.ts";
import * as gpuKernels from "../lib/nn/webgpu.ts";
import {
  AdamW,
  causalAttention,
  crossEntropy,
  layerNorm,
  type OpLogEntry,
  rmsNorm,
  segmentSum,
  setBackend,
  shutdownNN,
  softmax,
  startOpLog,
  stopOpLog,
  type Tensor,
  tensor,
  tidy,
  Transformer,
  type TransformerConfig,
} from "../lib/nn/mod.ts";
import { benchArgs, isSoftwareAdapter, machinePeaks, printMachineHeader, printTable } from "./machine.ts";

const args = benchArgs();
await printMachineHeader("nn: transformer training step", args);
const peaks = await machinePeaks({ quick: args.quick });

interface Config {
  name: string;
  backend: "ts" | "wasm";
  threads: number;
  variant: "simd" | "scalar";
}
const CONFIGS: Config[] = [
  { name: "ts", backend: "ts", threads: 1, variant: "simd" },
  { name: "wasm scalar matmul", backend: "wasm", threads: 1, variant: "scalar" },
  { name: "wasm simd", backend: "wasm", threads: 1, variant: "simd" },
  { name: "wasm simd 2 threads", backend: "wasm", threads: 2, variant: "simd" },
];

function matmulFlops(log: OpLogEntry[]): number {
  let f = 0;
  for (const e of log) {
    if (e.op !== "matmul" || e.phase !== "forward") continue;
    const [a, b] = e.inputs.map((t) => t.shape);
    const m = a.slice(0, -1).reduce((x, y) => x * y, 1), k = a[a.length - 1], n = b[b.length - 1];
    f += 3 * 2 * m * k * n; // forward + two backward products
  }
  return f;
}

async function measure(
  model: Omit<TransformerConfig, "vocabSize">,
  batch: number,
  seqLen: number,
  c: Config,
  reps: number,
) {
  await setBackend({ backend: c.backend, threads: c.threads, variant: c.variant });
  const lm = new Transformer({ ...model, vocabSize: 32, seed: 1 });
  const opt = new AdamW(lm.parameters(), { lr: 1e-3 });
  const rng = new Philox(1, 0);
  const ids = Int32Array.from({ length: batch * seqLen }, () => rng.int(32));
  const targets = Int32Array.from({ length: batch * seqLen }, () => rng.int(32));
  const step = () => {
    tidy(() => {
      opt.zeroGrad();
      crossEntropy(lm.forward(ids, batch, seqLen), targets).backward();
    });
    opt.step();
  };
  startOpLog();
  step();
  const flops = matmulFlops(stopOpLog());
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  for (const p of lm.parameters()) p.dispose();
  times.sort((a, b) => a - b);
  const ms = times[Math.floor(times.length / 2)];
  return { ms, tokensPerSecond: (batch * seqLen) / (ms / 1000), matmulGFLOPs: flops / (ms / 1000) / 1e9 };
}

const small = { maxLen: 64, dModel: 64, nHeads: 4, nLayers: 2 };
const wide = { maxLen: 64, dModel: 256, nHeads: 4, nLayers: 2 };
const rows: Record<string, string | number>[] = [];
const peakOf = (threads: number) =>
  peaks.ceilings.find((r) => /simd/.test(r.backend) && r.threads === threads)?.peakGFLOPs ?? NaN;
try {
  for (
    const [label, model, batch, seqLen] of [["d=64 (quick config)", small, 8, 48], [
      "d=256 (matmul-heavy)",
      wide,
      8,
      64,
    ]] as const
  ) {
    let base = NaN;
    for (const c of CONFIGS) {
      if (c.backend === "ts" && label.startsWith("d=256") && args.quick) continue;
      const r = await measure(model, batch, seqLen, c, args.quick ? 5 : 15);
      if (c.name === "ts") base = r.tokensPerSecond;
      rows.push({
        model: label,
        backend: c.name,
        "ms/step": r.ms,
        "tokens/s": Math.round(r.tokensPerSecond),
        "vs ts": Number.isFinite(base) ? r.tokensPerSecond / base : "-",
        "matmul GFLOP/s": r.matmulGFLOPs,
        "of wasm simd peak": c.backend === "wasm" && c.variant === "simd"
          ? r.matmulGFLOPs / peakOf(c.threads)
          : "-",
      });
    }
  }
  printTable("Training step (forward + backward + AdamW), median of reps", rows);
  await hotOps();
} finally {
  shutdownNN();
  shutdownPools();
  await releaseGpu();
}

async function median(reps: number, fn: () => unknown): Promise<number> {
  await fn(); // warm-up (pipelines, buffers)
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}

/** The hot ops one by one, forward + backward, ts vs wasm simd vs the WebGPU kernels. */
async function hotOps(): Promise<void> {
  const reps = args.quick ? 5 : 15;
  const rng = new Philox(3, 0);
  const rand = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const R = 512, C = 512, H = 8, T = 64, D = 32, N = 4096, S = 512, P = 1 << 18;
  const x = rand(R * C), dy = rand(R * C), g = rand(C), b = rand(C);
  const q = rand(H * T * D), k = rand(H * T * D), v = rand(H * T * D), dout = rand(H * T * D);
  const src = rand(N * C), ids = Int32Array.from({ length: N }, () => rng.int(S)), gs = rand(S * C);
  const pp = rand(P), pg = rand(P);
  const gpuWhy = await gpuUnavailableReason();
  const gpu = gpuWhy === null ? await getGpu() : null;
  type Case = { op: string; shape: string; eager: () => void; webgpu: () => Promise<unknown> };
  const leaf = (d: Float32Array, shape: number[]) => tensor(d, shape, { requiresGrad: true });
  const back = (y: Tensor, gd: Float32Array) => y.backward(tensor(gd, y.shape));
  const cases: Case[] = [
    {
      op: "softmax",
      shape: `${R} x ${C}`,
      eager: () => tidy(() => back(softmax(leaf(x, [R, C])), dy)),
      webgpu: async () => {
        const y = await gpuKernels.softmaxWebGPU(x, R, C);
        await gpuKernels.softmaxBackwardWebGPU(y, dy, R, C);
      },
    },
    {
      op: "layerNorm",
      shape: `${R} x ${C}`,
      eager: () => tidy(() => back(layerNorm(leaf(x, [R, C]), leaf(g, [C]), leaf(b, [C])), dy)),
      webgpu: async () => {
        const r = await gpuKernels.layerNormWebGPU(x, g, b, R, C);
        await gpuKernels.layerNormBackwardWebGPU(x, g, r.mean, r.rstd, dy, R, C);
      },
    },
    {
      op: "rmsNorm",
      shape: `${R} x ${C}`,
      eager: () => tidy(() => back(rmsNorm(leaf(x, [R, C]), leaf(g, [C])), dy)),
      webgpu: async () => {
        const r = await gpuKernels.rmsNormWebGPU(x, g, R, C);
        await gpuKernels.rmsNormBackwardWebGPU(x, g, r.rstd, dy, R, C);
      },
    },
    {
      op: "causalAttention",
      shape: `${H} heads x ${T} x ${D}`,
      eager: () =>
        tidy(() =>
          back(
            causalAttention(leaf(q, [1, H, T, D]), leaf(k, [1, H, T, D]), leaf(v, [1, H, T, D])),
            dout,
          )
        ),
      webgpu: async () => {
        const r = await gpuKernels.causalAttentionWebGPU(q, k, v, H, T, D);
        await gpuKernels.causalAttentionBackwardWebGPU(q, k, v, r.out, r.lse, dout, H, T, D);
      },
    },
    {
      op: "segmentSum",
      shape: `${N} x ${C} -> ${S}`,
      eager: () => tidy(() => back(segmentSum(leaf(src, [N, C]), ids, S), gs)),
      webgpu: async () => {
        await gpuKernels.segmentSumWebGPU(src, ids, S, C);
        await gpuKernels.gatherRowsWebGPU(gs, ids, C);
      },
    },
  ];
  const out: Record<string, string | number>[] = [];
  for (const c of cases) {
    const row: Record<string, string | number> = { op: `${c.op} fwd+bwd`, shape: c.shape };
    for (const backend of ["ts", "wasm"] as const) {
      await setBackend({ backend, threads: 1 });
      row[backend === "ts" ? "ts ms" : "wasm simd ms"] = await median(reps, c.eager);
    }
    row["webgpu ms"] = gpu ? await median(reps, c.webgpu) : "-";
    out.push(row);
  }
  // AdamW: one update of P parameters
  const adam: Record<string, string | number> = { op: "AdamW step", shape: `${P} params` };
  for (const backend of ["ts", "wasm"] as const) {
    await setBackend({ backend, threads: 1 });
    const w = tensor(pp, [P], { requiresGrad: true });
    const opt = new AdamW([w], { lr: 1e-3 });
    tidy(() => w.mul(tensor(pg, [P])).sum().backward());
    adam[backend === "ts" ? "ts ms" : "wasm simd ms"] = await median(reps, () => opt.step());
    w.dispose();
  }
  const m = new Float32Array(P), vv = new Float32Array(P), pw = pp.slice();
  let step = 0;
  adam["webgpu ms"] = gpu
    ? await median(reps, () => gpuKernels.adamwWebGPU(pw, pg, m, vv, { lr: 1e-3, step: ++step }))
    : "-";
  out.push(adam);
  await setBackend({ backend: "ts" });
  const note = gpu
    ? `webgpu: ${gpu.describe()}; every call includes upload and readback` +
      (isSoftwareAdapter(gpu.adapterInfo)
        ? ". A CPU rasterizer: these rows are a correctness path, not GPU performance."
        : ".")
    : `webgpu: none (${gpuWhy})`;
  printTable("Hot ops, forward + backward, median ms per call", out, { notes: [note] });
}
