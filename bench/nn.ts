/**
 * lib/nn training-step benchmark: tokens per second of one transformer training step (forward,
 * backward, AdamW) on ts, wasm with scalar matmul, wasm SIMD on 1 thread and wasm SIMD on 2 threads,
 * measured side by side in one process; and a matmul-heavy step (wider model) whose matmul FLOP/s is
 * reported as a fraction of this machine's measured wasm SIMD peak (lib/experiments/roofline.ts
 * measureMachine, via bench/machine.ts).
 *
 * Matmul flops are counted from the op log: 2 m k n per forward matmul, twice that for its backward.
 *
 * Run: `bun bench/nn.ts [--quick]` (or `deno run -A bench/nn.ts`).
 *
 * @module
 */
import { Philox } from "../lib/core/rng.ts";
import { shutdownPools } from "../lib/runtime/pool.ts";
import {
  AdamW,
  crossEntropy,
  type OpLogEntry,
  setBackend,
  shutdownNN,
  startOpLog,
  stopOpLog,
  tidy,
  Transformer,
  type TransformerConfig,
} from "../lib/nn/mod.ts";
import { benchArgs, machinePeaks, printMachineHeader, printTable } from "./machine.ts";

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
} finally {
  shutdownNN();
  shutdownPools();
}
