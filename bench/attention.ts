/**
 * Decode-attention benchmarks (mitata): shared-prefix tree attention against FlashDecoding (and the
 * two-level cascade) on the tree shapes A-F of the FlashForge notes, wasm backend on 1 and N threads
 * (every core), H_kv 2, d 128, f32.
 *
 * Cases per shape and thread count: `flashdecoding`, `cascade`, `shared-prefix` (the public
 * decodeAttention, planning included), `shared-prefix gemm` (the same plan on the GEMM-style score kernel)
 * and `shared-prefix v1` (the same plan on the first wasm kernel with static bins): the task kernels
 * measured side by side, with their GFLOP/s against the measured SIMD peak. A trivially
 * parallel control (the roofline's SIMD peak loop split over the worker pool, fixed total work) runs at the
 * same thread counts in the same process: its scaling tells machine contention (other processes holding the
 * cores) from a scaling problem of the attention kernels.
 *
 * After mitata's report, prints: the speedup over FlashDecoding (best-of and mean times, side by side);
 * achieved GFLOP/s against the measured wasm SIMD peak and GB/s (the plan's bytes with overheads) against
 * the measured STREAM triad; the modelled KV bytes and their reduction; how the tasks of shape A split over
 * threads (modelled static bins and what each thread took from the shared queue); the control's scaling;
 * interleaved rounds on shapes A and F (every method and the control back to back, rotating order: the
 * ratios that decide the targets, robust to load bursts from other processes on a shared machine); shape A
 * again with H_kv 8 (root 33.5 MB, above a 32 MiB last-level cache) beside the in-cache configuration, each
 * with its roofline ceiling (modelled FlashDecoding time over modelled shared-prefix time from the measured
 * triad bandwidth and SIMD peak); the worker pool's round trip (what a parallel step pays before its second
 * thread joins); and the targets (>= 5x on shape A, >= 0.95x on the no-sharing control F).
 *
 * Run: `bun bench/attention.ts [--quick]` (or `deno run -A bench/attention.ts`).
 *
 * @module
 */
import { isatty } from "node:tty";
import { bench, group, run, summary } from "mitata";
import {
  type AttentionMethod,
  type AttentionPlan,
  decodeAttention,
  type DecodeRequest,
  type DecodeStats,
  modelledKVBytes,
  planAttention,
  validateDecode,
} from "../lib/attention/mod.ts";
import { type QueueSplit, runPlanWasm } from "../lib/attention/wasm.ts";
import { Philox } from "../lib/core/rng.ts";
import { HEADS, HEADS_ABOVE_LLC, SHAPES, speedupCeiling } from "../lib/experiments/flashforge.ts";
import { PrefixKVCache } from "../lib/attention/tree.ts";
import { getPool, shutdownPools } from "../lib/runtime/pool.ts";
import { WasmF32 } from "../lib/runtime/wasm.ts";
import { benchArgs, machinePeaks, printMachineHeader, printTable, ratio } from "./machine.ts";

const args = benchArgs();
await printMachineHeader("attention: shared-prefix decode attention vs FlashDecoding (wasm)", args);
const peaks = await machinePeaks({ quick: args.quick });
const N = peaks.threads;
const threadList = N > 1 ? [1, N] : [1];
const shapes = args.quick ? SHAPES.filter((s) => ["A", "E", "F"].includes(s.name)) : SHAPES;
const METHODS: AttentionMethod[] = ["flashdecoding", "cascade", "shared-prefix"];
const CASES = [...METHODS, "shared-prefix gemm", "shared-prefix v1"] as const;
type CaseName = typeof CASES[number];
const numHeads = HEADS.numKvHeads * HEADS.ratio;
const G = Math.max(1, Math.floor(32 / HEADS.ratio));

interface Case {
  shape: string;
  method: CaseName;
  threads: number;
  stats?: DecodeStats;
  plan?: AttentionPlan;
  queue?: QueueSplit;
}
const cases = new Map<string, Case>();
const trees: PrefixKVCache[] = [];
const modelled = new Map<string, ReturnType<typeof modelledKVBytes>>();
const reqsOf = new Map<string, DecodeRequest[]>();

/** Flops of a plan: scores and value sums, 4 d per (token, query row). */
function planFlops(plan: AttentionPlan): number {
  let f = 0;
  for (const t of plan.tasks) f += t.count * t.rows.length * 4 * plan.headDim;
  return f;
}

function runCase(
  tree: PrefixKVCache,
  requests: DecodeRequest[],
  c: Case,
  heads = numHeads,
): Promise<Float32Array> {
  if (c.method === "shared-prefix v1" || c.method === "shared-prefix gemm") {
    // decodeAttention's steps with another task kernel
    const { leaves, q } = validateDecode(tree, requests, heads);
    const plan = planAttention(tree, leaves, {
      method: "shared-prefix",
      numHeads: heads,
      groupSize: G,
      chunkSize: 256,
      workers: c.threads,
    });
    return runPlanWasm(tree, plan, q, c.threads, c.method === "shared-prefix v1" ? "v1" : "gemm");
  }
  return decodeAttention(tree, requests, {
    numHeads: heads,
    method: c.method,
    backend: "wasm",
    threads: c.threads,
    onStats: (st) => (c.stats = st),
  });
}

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
  const requests = leaves.map((i) => ({ leaf: ids[i], q: rand(numHeads * HEADS.headDim) }));
  const leafIds = requests.map((r) => r.leaf);
  reqsOf.set(spec.name, requests);
  modelled.set(spec.name, modelledKVBytes(tree, leafIds, G));
  for (const threads of threadList) {
    group(`shape ${spec.name} (${spec.description}), ${threads} thread(s)`, () => {
      summary(() => {
        for (const method of CASES) {
          const name = `${spec.name} ${method} x${threads}`;
          const c: Case = { shape: spec.name, method, threads };
          c.plan = planAttention(tree, leafIds, {
            method: method.startsWith("shared-prefix") ? "shared-prefix" : method as AttentionMethod,
            numHeads,
            groupSize: G,
            chunkSize: 256,
            workers: threads,
          });
          cases.set(name, c);
          const b = bench(name, () => runCase(tree, requests, c));
          if (method === "flashdecoding") b.baseline();
        }
      });
    });
  }
}

// the trivially parallel control: fixed total work (16 blocks of the SIMD peak loop) over the pool
const ctlOut = new WasmF32(4 * 64);
const CTL_BLOCKS = 16, CTL_ITERS = args.quick ? 1 << 16 : 1 << 18;
group("control: SIMD peak loop over the worker pool (fixed total work)", () => {
  for (const threads of threadList) {
    bench(`control x${threads}`, async () => {
      const pool = await getPool(threads);
      await pool.parallelFor(
        "roofline",
        "peak_simd_blocks",
        [ctlOut.ptr, CTL_ITERS, 0.999999, 1e-7],
        0,
        CTL_BLOCKS,
      );
    });
  }
});

const result = await run({ throw: true, colors: isatty(1) });
const avg = new Map<string, number>(), best = new Map<string, number>(); // ns
for (const trial of result.benchmarks) {
  for (const r of trial.runs) {
    if (r.stats) {
      avg.set(r.name, r.stats.avg);
      best.set(r.name, r.stats.min);
    }
  }
}
const rows: Record<string, unknown>[] = [];
for (const spec of shapes) {
  for (const threads of threadList) {
    const fdBest = best.get(`${spec.name} flashdecoding x${threads}`);
    const fdAvg = avg.get(`${spec.name} flashdecoding x${threads}`);
    for (const method of CASES) {
      const name = `${spec.name} ${method} x${threads}`;
      const t = best.get(name), c = cases.get(name)!;
      const bytes = c.stats?.bytes.total ?? NaN;
      const peak = peaks.find("wasm simd", threads);
      const flops = c.plan ? planFlops(c.plan) : NaN;
      rows.push({
        shape: spec.name,
        threads,
        method,
        "best ms": t ? t / 1e6 : NaN,
        "mean ms": (avg.get(name) ?? NaN) / 1e6,
        "speedup vs FD (best)": ratio(fdBest, t),
        "speedup vs FD (mean)": ratio(fdAvg, avg.get(name)),
        "GFLOP/s": t ? flops / t : NaN,
        "of SIMD peak": t && peak ? flops / t / peak.peakGFLOPs : NaN,
        "GB/s": t ? bytes / t : NaN, // bytes per ns = GB/s
        "of triad": t && peak ? bytes / t / peak.triadGBs : NaN,
        imbalance: c.plan?.imbalance ?? NaN,
        "plan ms": c.stats?.planMs ?? NaN,
      });
    }
  }
}
printTable("Side by side (mitata best-of and mean; GB/s = plan bytes with overheads / best time)", rows);

printTable(
  "Task kernels side by side (shared-prefix, same plan; mitata best-of): v1, tiled (the default: 4 rows x 2 " +
    "keys with horizontal sums), gemm (4 keys x 8 rows over dim-major queries)",
  shapes.flatMap((s) =>
    threadList.map((threads) => {
      const v1 = best.get(`${s.name} shared-prefix v1 x${threads}`);
      const now = best.get(`${s.name} shared-prefix x${threads}`);
      const gemm = best.get(`${s.name} shared-prefix gemm x${threads}`);
      const flops = planFlops(cases.get(`${s.name} shared-prefix x${threads}`)!.plan!);
      const peak = peaks.find("wasm simd", threads)?.peakGFLOPs ?? NaN;
      return {
        shape: s.name,
        threads,
        "v1 ms": (v1 ?? NaN) / 1e6,
        "tiled ms": (now ?? NaN) / 1e6,
        "gemm ms": (gemm ?? NaN) / 1e6,
        "v1 GFLOP/s": v1 ? flops / v1 : NaN,
        "tiled GFLOP/s": now ? flops / now : NaN,
        "gemm GFLOP/s": gemm ? flops / gemm : NaN,
        "tiled of peak": now ? flops / now / peak : NaN,
        "gemm of peak": gemm ? flops / gemm / peak : NaN,
        "gemm / tiled speedup": ratio(now, gemm),
      };
    })
  ),
);

printTable(
  "Modelled KV traffic per step (G = " + G + ")",
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

if (N > 1 && shapes.some((s) => s.name === "A")) {
  // one more call per method to read what each thread took from the queue
  const split: Record<string, unknown>[] = [];
  const spec = shapes.find((s) => s.name === "A")!;
  const tree = trees[shapes.indexOf(spec)];
  for (const method of ["flashdecoding", "shared-prefix"] as const) {
    const c = cases.get(`A ${method} x${N}`)!;
    const plan = c.plan!;
    const rng = new Philox(3, 1);
    const q = new Float32Array(plan.requests * numHeads * HEADS.headDim).map(() => rng.uniform() - 0.5);
    let taken: QueueSplit | undefined;
    await runPlanWasm(tree, plan, q, N, "tiled", (t) => (taken = t));
    split.push({
      method,
      tasks: plan.tasks.length,
      "modelled bin loads": plan.loads.map((l) => Math.round(l)).join(" / "),
      "modelled imbalance": plan.imbalance,
      "queue: tasks per thread": taken?.tasks.join(" / ") ?? "-",
      "queue: token x row work per thread": taken?.work.join(" / ") ?? "-",
      "queue: first task taken per thread": taken?.first.join(" / ") ?? "-",
      "queue work imbalance": taken
        ? Math.max(...taken.work) / (taken.work.reduce((a, b) => a + b, 0) / taken.work.length)
        : NaN,
    });
  }
  printTable(`Task split on shape A over ${N} threads`, split);
}

const ctl = threadList.map((t) => ({ threads: t, ms: (best.get(`control x${t}`) ?? NaN) / 1e6 }));
printTable(
  "Scaling: trivially parallel control vs the attention methods (best-of time at 1 thread / at N)",
  N > 1
    ? [
      { case: "control (SIMD peak loop)", scaling: ratio(ctl[0].ms, ctl[1].ms) },
      ...shapes.flatMap((s) =>
        ["flashdecoding", "shared-prefix"].map((m) => ({
          case: `shape ${s.name} ${m}`,
          scaling: ratio(best.get(`${s.name} ${m} x1`), best.get(`${s.name} ${m} x${N}`)),
        }))
      ),
    ]
    : [{ case: "single thread: no scaling to measure", scaling: NaN }],
);

// Interleaved rounds: mitata measures one case after another, so a burst of load from other processes
// can land on one method only. Here every round runs FlashDecoding, shared-prefix, the earlier kernel and the
// control back to back (in rotating order), so the best-of and median ratios compare like with like.
const ROUNDS = args.quick ? 9 : 21;
const inter = new Map<string, number[]>(); // ms
const note = (k: string, ms: number) => {
  let a = inter.get(k);
  if (!a) inter.set(k, a = []);
  a.push(ms);
};
const timed = async (f: () => Promise<unknown>) => {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
};
const targetShapes = shapes.filter((s) => s.name === "A" || s.name === "F");
for (let round = 0; round < ROUNDS; round++) {
  for (const spec of targetShapes) {
    const tree = trees[shapes.indexOf(spec)];
    for (const threads of threadList) {
      const order = ["flashdecoding", "shared-prefix", "shared-prefix gemm", "shared-prefix v1"] as const;
      for (let i = 0; i < order.length; i++) {
        const method = order[(i + round) % order.length];
        const c = cases.get(`${spec.name} ${method} x${threads}`)!;
        note(
          `${spec.name} ${method} x${threads}`,
          await timed(() => runCase(tree, reqsOf.get(spec.name)!, c)),
        );
      }
      note(
        `control x${threads}`,
        await timed(async () =>
          (await getPool(threads)).parallelFor(
            "roofline",
            "peak_simd_blocks",
            [ctlOut.ptr, CTL_ITERS, 0.999999, 1e-7],
            0,
            CTL_BLOCKS,
          )
        ),
      );
    }
  }
}
const bestOf = (k: string) => Math.min(...(inter.get(k) ?? [NaN]));
const median = (k: string) => {
  const a = [...(inter.get(k) ?? [NaN])].sort((x, y) => x - y);
  return a[Math.floor(a.length / 2)];
};
printTable(
  `Interleaved rounds (${ROUNDS}; ms, best-of and median)`,
  targetShapes.flatMap((s) =>
    threadList.map((t) => {
      const k = (m: string) => `${s.name} ${m} x${t}`;
      return {
        shape: s.name,
        threads: t,
        "FD best": bestOf(k("flashdecoding")),
        "SP best": bestOf(k("shared-prefix")),
        "SP gemm best": bestOf(k("shared-prefix gemm")),
        "SP v1 best": bestOf(k("shared-prefix v1")),
        "FD / SP best": ratio(bestOf(k("flashdecoding")), bestOf(k("shared-prefix"))),
        "FD / SP median": ratio(median(k("flashdecoding")), median(k("shared-prefix"))),
        "v1 / SP best (kernel speedup)": ratio(bestOf(k("shared-prefix v1")), bestOf(k("shared-prefix"))),
        "SP / gemm best": ratio(bestOf(k("shared-prefix")), bestOf(k("shared-prefix gemm"))),
        "control best": bestOf(`control x${t}`),
      };
    })
  ),
);
if (N > 1) {
  printTable("Interleaved scaling (best-of at 1 thread / at N)", [
    { case: "control (SIMD peak loop)", scaling: ratio(bestOf("control x1"), bestOf(`control x${N}`)) },
    ...targetShapes.flatMap((s) =>
      ["flashdecoding", "shared-prefix"].map((m) => ({
        case: `shape ${s.name} ${m}`,
        scaling: ratio(bestOf(`${s.name} ${m} x1`), bestOf(`${s.name} ${m} x${N}`)),
      }))
    ),
  ]);
}

// Shape A with the root inside the last-level cache (the configuration above, H_kv 2) and above it (H_kv 8,
// root 33.5 MB > 32 MiB), same methods, interleaved rounds, beside the roofline ceiling of each: FlashDecoding
// bounded by KV bytes / triad bandwidth, shared-prefix by per-node max(bytes / bandwidth, flops / peak).
const llcRows: Record<string, unknown>[] = [];
const llc = new Map<string, { best: number; median: number; ceiling: number }>();
if (shapes.some((s) => s.name === "A")) {
  const specA = shapes.find((s) => s.name === "A")!;
  const big = new PrefixKVCache({ numKvHeads: HEADS_ABOVE_LLC.numKvHeads, headDim: HEADS_ABOVE_LLC.headDim });
  const bigHeads = HEADS_ABOVE_LLC.numKvHeads * HEADS_ABOVE_LLC.ratio;
  {
    const rng = new Philox(1, 0x41);
    const { parents, lengths, leaves } = specA.build(rng, args.quick);
    const s = big.tokenStride;
    const rand = (n: number) => {
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
      return a;
    };
    const ids: number[] = [];
    parents.forEach((p, i) =>
      ids.push(big.addNode(p === -1 ? -1 : ids[p], rand(lengths[i] * s), rand(lengths[i] * s)))
    );
    reqsOf.set("A8", leaves.map((i) => ({ leaf: ids[i], q: rand(bigHeads * HEADS_ABOVE_LLC.headDim) })));
  }
  const configs = [
    { key: "A", label: "in LLC: H_kv 2", tree: trees[shapes.indexOf(specA)], heads: numHeads },
    { key: "A8", label: "above LLC: H_kv 8", tree: big, heads: bigHeads },
  ];
  const rounds = args.quick ? 5 : 11;
  const t8 = new Map<string, number[]>();
  for (const cfg of configs) {
    for (const threads of threadList) {
      const fd: Case = { shape: cfg.key, method: "flashdecoding", threads };
      const sp: Case = { shape: cfg.key, method: "shared-prefix", threads };
      await runCase(cfg.tree, reqsOf.get(cfg.key)!, fd, cfg.heads); // warm-up: syncs the wasm mirrors
      await runCase(cfg.tree, reqsOf.get(cfg.key)!, sp, cfg.heads);
      for (let r = 0; r < rounds; r++) {
        for (const c of r % 2 ? [sp, fd] : [fd, sp]) {
          const k = `${cfg.key} ${c.method} x${threads}`;
          let a = t8.get(k);
          if (!a) t8.set(k, a = []);
          a.push(await timed(() => runCase(cfg.tree, reqsOf.get(cfg.key)!, c, cfg.heads)));
        }
      }
      const leafIds = reqsOf.get(cfg.key)!.map((r) => r.leaf);
      const peak = peaks.find("wasm simd", threads);
      const ceil = speedupCeiling(
        cfg.tree,
        leafIds,
        cfg.heads,
        G,
        peak?.peakGFLOPs ?? NaN,
        peak?.triadGBs ?? NaN,
      );
      const sorted = (k: string) => [...t8.get(k)!].sort((x, y) => x - y);
      const fdT = sorted(`${cfg.key} flashdecoding x${threads}`),
        spT = sorted(`${cfg.key} shared-prefix x${threads}`);
      const med = (a: number[]) => a[Math.floor(a.length / 2)];
      llc.set(`${cfg.key} x${threads}`, {
        best: fdT[0] / spT[0],
        median: med(fdT) / med(spT),
        ceiling: ceil.ceiling,
      });
      llcRows.push({
        config: cfg.label,
        "root MB": (4096 * 8 * cfg.tree.numKvHeads * cfg.tree.headDim) / 1e6,
        threads,
        "FD best ms": fdT[0],
        "FD median ms": med(fdT),
        "SP best ms": spT[0],
        "SP median ms": med(spT),
        "FD / SP best": fdT[0] / spT[0],
        "FD / SP median": med(fdT) / med(spT),
        "FD KV GB/s (best)": ceil.fdBytes / fdT[0] / 1e6,
        "SP GFLOP/s (best)": ceil.flops / spT[0] / 1e6,
        "model FD ms": ceil.fdMs,
        "model SP ms": ceil.spMs,
        "roofline ceiling": ceil.ceiling,
      });
    }
  }
  big.dispose();
  printTable(
    `Shape A in the LLC and above it (${rounds} interleaved rounds; ceiling = modelled FD / modelled SP with the ` +
      "measured triad bandwidth and SIMD peak at the same thread count)",
    llcRows,
  );
}

// The pool's round trip: a kernel call that does no work, split over every thread (the caller runs its part,
// the worker wakes on a message): the latency each parallel step pays before its second thread joins.
if (N > 1) {
  const trips: number[] = [];
  for (let r = 0; r < 41; r++) {
    trips.push(
      await timed(async () =>
        (await getPool(N)).parallelFor("roofline", "peak_simd_blocks", [ctlOut.ptr, 1, 0.999999, 1e-7], 0, N)
      ),
    );
  }
  trips.sort((a, b) => a - b);
  printTable("Worker pool round trip (empty parallel step, ms)", [{
    threads: N,
    best: trips[0],
    median: trips[20],
    p90: trips[36],
  }]);
}

const target = (shape: string, want: number) =>
  threadList.map((t) => {
    const k = (m: string) => `${shape} ${m} x${t}`;
    const b = ratio(bestOf(k("flashdecoding")), bestOf(k("shared-prefix")));
    return {
      target: `shape ${shape} speedup >= ${want}`,
      threads: t,
      "interleaved best-of": b,
      "interleaved median": ratio(median(k("flashdecoding")), median(k("shared-prefix"))),
      "mitata best-of": ratio(best.get(k("flashdecoding")), best.get(k("shared-prefix"))),
      "roofline ceiling": llc.get(`${shape} x${t}`)?.ceiling ?? NaN,
      met: b >= want ? "yes" : "no",
    };
  });
printTable("Issue targets", [
  ...target("A", 5),
  ...threadList.map((t) => {
    const r = llc.get(`A8 x${t}`);
    return {
      target: "shape A above the LLC (H_kv 8) speedup >= 5",
      threads: t,
      "interleaved best-of": r?.best ?? NaN,
      "interleaved median": r?.median ?? NaN,
      "mitata best-of": NaN,
      "roofline ceiling": r?.ceiling ?? NaN,
      met: r && r.best >= 5 ? "yes" : "no",
    };
  }),
  ...target("F", 0.95),
]);
ctlOut.free();
for (const t of trees) t.dispose();
await shutdownPools();
