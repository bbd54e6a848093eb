/**
 * Decode-attention benchmarks (mitata): shared-prefix tree attention against FlashDecoding (and the
 * two-level cascade) on the tree shapes A-F of the FlashForge notes, wasm backend on 1 and N threads
 * (every core), H_kv 2, d 128, f32.
 *
 * After mitata's report, prints per shape and thread count: the speedup over FlashDecoding measured side by
 * side, the modelled KV bytes and their reduction, achieved GB/s (the plan's bytes with overheads over
 * mitata's average time) as a fraction of the STREAM triad bandwidth measured in this process, and the
 * issue's targets (>= 5x on shape A, >= 0.95x on the no-sharing control F).
 *
 * Run: `bun bench/attention.ts [--quick]` (or `deno run -A bench/attention.ts`).
 *
 * @module
 */
import { isatty } from "node:tty";
import { bench, group, run, summary } from "mitata";
import {
  type AttentionMethod,
  decodeAttention,
  type DecodeStats,
  modelledKVBytes,
} from "../lib/attention/mod.ts";
import { Philox } from "../lib/core/rng.ts";
import { HEADS, SHAPES } from "../lib/experiments/flashforge.ts";
import { PrefixKVCache } from "../lib/attention/tree.ts";
import { shutdownPools } from "../lib/runtime/pool.ts";
import { benchArgs, machinePeaks, printMachineHeader, printTable, ratio } from "./machine.ts";

const args = benchArgs();
await printMachineHeader("attention: shared-prefix decode attention vs FlashDecoding (wasm)", args);
const peaks = await machinePeaks({ quick: args.quick });
const N = peaks.threads;
const threadList = N > 1 ? [1, N] : [1];
const shapes = args.quick ? SHAPES.filter((s) => ["A", "E", "F"].includes(s.name)) : SHAPES;
const METHODS: AttentionMethod[] = ["flashdecoding", "cascade", "shared-prefix"];

interface Case {
  shape: string;
  method: AttentionMethod;
  threads: number;
  stats?: DecodeStats;
}
const cases = new Map<string, Case>();
const trees: PrefixKVCache[] = [];
const modelled = new Map<string, ReturnType<typeof modelledKVBytes>>();

for (const spec of shapes) {
  const rng = new Philox(1, spec.name.charCodeAt(0));
  const { parents, lengths, leaves } = spec.build(rng, args.quick);
  const tree = new PrefixKVCache({ numKvHeads: HEADS.numKvHeads, headDim: HEADS.headDim });
  trees.push(tree);
  const s = tree.tokenStride;
  const rand = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
    return a;
  };
  const ids: number[] = [];
  parents.forEach((p, i) =>
    ids.push(tree.addNode(p === -1 ? -1 : ids[p], rand(lengths[i] * s), rand(lengths[i] * s)))
  );
  const numHeads = HEADS.numKvHeads * HEADS.ratio;
  const requests = leaves.map((i) => ({ leaf: ids[i], q: rand(numHeads * HEADS.headDim) }));
  modelled.set(spec.name, modelledKVBytes(tree, requests.map((r) => r.leaf), Math.floor(32 / HEADS.ratio)));
  for (const threads of threadList) {
    group(`shape ${spec.name} (${spec.description}), ${threads} thread(s)`, () => {
      summary(() => {
        for (const method of METHODS) {
          const name = `${spec.name} ${method} x${threads}`;
          const c: Case = { shape: spec.name, method, threads };
          cases.set(name, c);
          const b = bench(name, () =>
            decodeAttention(tree, requests, {
              numHeads,
              method,
              backend: "wasm",
              threads,
              onStats: (st) => (c.stats = st),
            }));
          if (method === "flashdecoding") b.baseline();
        }
      });
    });
  }
}

const result = await run({ throw: true, colors: isatty(1) });
const avg = new Map<string, number>(); // ns
for (const trial of result.benchmarks) {
  for (const r of trial.runs) if (r.stats) avg.set(r.name, r.stats.avg);
}
const rows: Record<string, unknown>[] = [];
for (const spec of shapes) {
  for (const threads of threadList) {
    const fd = avg.get(`${spec.name} flashdecoding x${threads}`);
    for (const method of METHODS) {
      const name = `${spec.name} ${method} x${threads}`;
      const t = avg.get(name), c = cases.get(name)!;
      const bytes = c.stats?.bytes.total ?? NaN;
      const gbs = t ? bytes / t : NaN; // bytes per ns = GB/s
      const triad = peaks.find("wasm simd", threads)?.triadGBs;
      rows.push({
        shape: spec.name,
        threads,
        method,
        "avg ms": t ? t / 1e6 : NaN,
        "speedup vs FD": ratio(fd, t),
        "KV MB": (c.stats?.bytes.kv ?? NaN) / 1e6,
        "GB/s": gbs,
        "fraction of triad": triad ? gbs / triad : NaN,
        imbalance: c.stats?.imbalance ?? NaN,
        "plan ms": c.stats?.planMs ?? NaN,
      });
    }
  }
}
printTable("Side by side (mitata averages; GB/s = plan bytes with overheads / time)", rows);
printTable(
  "Modelled KV traffic per step (G = 32)",
  shapes.map((s) => {
    const m = modelled.get(s.name)!;
    return {
      shape: s.name,
      "FD MB": m.flashDecodingKV / 1e6,
      "SP MB": m.sharedPrefixKV / 1e6,
      reduction: m.reduction,
    };
  }),
);
const target = (shape: string, want: number) =>
  threadList.map((t) => {
    const v = ratio(avg.get(`${shape} flashdecoding x${t}`), avg.get(`${shape} shared-prefix x${t}`));
    return {
      target: `shape ${shape} speedup >= ${want}`,
      threads: t,
      measured: v,
      met: v >= want ? "yes" : "no",
    };
  });
printTable("Issue targets", [...target("A", 5), ...target("F", 0.95)]);
for (const t of trees) t.dispose();
await shutdownPools();
