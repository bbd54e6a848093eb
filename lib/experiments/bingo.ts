/**
 * Bingo (random walks on dynamically changing graphs, EuroSys'25; notes in ../shared/papers/bingo.md):
 * our re-implementation's update throughput against batch size, streaming updates on hub vertices, walk
 * steps/s on 1 and 2 threads, and bytes/edge per sampler, on R-MAT graphs with weights deg(dst) + 1.
 * Everything runs on this machine's CPU (wasm backend); nothing here is the authors' CUDA system.
 *
 * @module
 */
import { BackendUnavailableError } from "../core/errors.ts";
import { environmentInfo, type Report, type ReportTable } from "../core/report.ts";
import { barChart, lineChart } from "../core/figure.ts";
import { progress } from "../core/progress.ts";
import { Philox } from "../core/rng.ts";
import { quantile } from "../core/stats.ts";
import { rmat } from "../graph/rmat.ts";
import { DynamicGraph, type SamplerName, walkWasmAvailable } from "../walk/mod.ts";
import { walkKernelSync, type WasmPool } from "../walk/pool.ts";
import { getPool, shutdownPools } from "../runtime/pool.ts";
import { getArena, loadKernel } from "../runtime/wasm.ts";

/** Options of the Bingo experiment. */
export interface BingoOptions {
  quick?: boolean;
  seed?: number;
  quiet?: boolean;
}

const CONFIG = { fractionBits: 0, weightBits: 20 } as const;

/** An R-MAT graph with weights out-degree(dst) + 1. */
export function rmatWorkload(scale: number, edgeFactor: number, seed: number) {
  const e = rmat({ scale, edgeFactor, seed });
  const deg = new Uint32Array(e.numVertices);
  for (const s of e.src) deg[s]++;
  const weight = Float64Array.from(e.dst, (d) => deg[d] + 1);
  return { ...e, weight };
}

/**
 * A graph of the given sampler with the edges inserted in batches of 2^14 (each batch reserves a worst-case
 * bound of pool words first, so smaller batches keep the pool's headroom small).
 */
export async function buildGraph(
  sampler: SamplerName,
  e: { numVertices: number; src: Uint32Array; dst: Uint32Array; weight: Float64Array },
  options: { adaptive?: boolean; backend?: "ts" | "wasm" } = {},
): Promise<DynamicGraph> {
  const g = new DynamicGraph({
    numVertices: e.numVertices,
    sampler,
    backend: options.backend ?? "wasm",
    adaptive: options.adaptive ?? true,
    ...CONFIG,
  });
  for (let i = 0; i < e.src.length; i += 1 << 14) {
    const j = Math.min(e.src.length, i + (1 << 14));
    await g.applyBatch({
      insert: { src: e.src.subarray(i, j), dst: e.dst.subarray(i, j), weight: e.weight.subarray(i, j) },
    });
  }
  return g;
}

/** Updates/s of applying `total` updates in batches of `batch` (insert-only, delete-only or mixed). */
export async function updateThroughput(
  g: DynamicGraph,
  mode: "insert" | "delete" | "mixed",
  batch: number,
  total: number,
  seed: number,
): Promise<number> {
  const rng = new Philox(seed, 7);
  const n = g.numVertices;
  const src = new Uint32Array(total), dst = new Uint32Array(total), w = new Float64Array(total);
  for (let i = 0; i < total; i++) {
    src[i] = rng.int(n);
    dst[i] = rng.int(n);
    w[i] = 1 + rng.int(1000);
  }
  let t = 0;
  if (mode === "insert" || mode === "mixed") {
    // mixed: insert a batch, then delete the same edges (50/50 inserts and deletes)
    for (let i = 0; i < total; i += batch) {
      const j = Math.min(total, i + batch);
      const t0 = performance.now();
      if (batch === 1) g.insertEdges(src.subarray(i, j), dst.subarray(i, j), w.subarray(i, j));
      else {await g.applyBatch({
          insert: { src: src.subarray(i, j), dst: dst.subarray(i, j), weight: w.subarray(i, j) },
        });}
      if (mode === "mixed") {
        if (batch === 1) g.deleteEdges(src.subarray(i, j), dst.subarray(i, j));
        else await g.applyBatch({ delete: { src: src.subarray(i, j), dst: dst.subarray(i, j) } });
      }
      t += performance.now() - t0;
    }
    if (mode === "insert") {
      for (let i = 0; i < total; i += 1 << 16) {
        const j = Math.min(total, i + (1 << 16));
        await g.applyBatch({ delete: { src: src.subarray(i, j), dst: dst.subarray(i, j) } });
      }
    }
    return (mode === "mixed" ? 2 * total : total) / (t / 1000);
  }
  for (let i = 0; i < total; i += 1 << 16) {
    const j = Math.min(total, i + (1 << 16));
    await g.applyBatch({
      insert: { src: src.subarray(i, j), dst: dst.subarray(i, j), weight: w.subarray(i, j) },
    });
  }
  for (let i = 0; i < total; i += batch) {
    const j = Math.min(total, i + batch);
    const t0 = performance.now();
    if (batch === 1) g.deleteEdges(src.subarray(i, j), dst.subarray(i, j));
    else await g.applyBatch({ delete: { src: src.subarray(i, j), dst: dst.subarray(i, j) } });
    t += performance.now() - t0;
  }
  return total / (t / 1000);
}

/**
 * Microseconds per streaming update (insert + delete of one edge) on a hub of degree `degree`, for each
 * sampler, through the public API (`via` "api", the default) or straight through the wasm kernels the API
 * calls (`via` "kernel": the engine's own cost, without the API's checks and reserve), timed side by side:
 * every sampler's hub is built first, then each of `rounds` rounds runs every sampler's pairs until
 * `budgetMs` has passed, in an order that rotates by round, so a change of the machine's speed falls on all
 * samplers alike (and a sampler that costs milliseconds per update and one that costs a fraction of a
 * microsecond are both timed over many clock ticks). Returns each sampler's median round. Bingo's hub first takes `bingoWarmPairs` pairs: a new hub runs its adaption pass
 * every few edits while groups sit just below alpha x degree, until they turn dense (the other samplers
 * have no such state and take 100 pairs, which compile the path).
 */
export function hubStreamingMicros(
  samplers: SamplerName[],
  degree: number,
  budgetMs: number,
  seed: number,
  options: { rounds?: number; bingoWarmPairs?: number; via?: "api" | "kernel" } = {},
): Map<SamplerName, number> {
  const rounds = options.rounds ?? 5, bingoWarm = options.bingoWarmPairs ?? 20000;
  const k = options.via === "kernel" ? walkKernelSync() : null;
  if (options.via === "kernel" && k === null) {
    throw new BackendUnavailableError("wasm", "hubStreamingMicros via the kernels needs the walk kernels", [
      "ts",
    ]);
  }
  const rng = new Philox(seed, 3);
  const src = new Uint32Array(degree), dst = Uint32Array.from({ length: degree }, (_, i) => i + 1);
  const w = Float64Array.from({ length: degree }, () => 1 + rng.int(1 << 16));
  // the edges are drawn before the clock starts: only the updates are timed
  const E = 4096;
  const ds = Array.from({ length: E }, () => Uint32Array.of(1 + rng.int(degree)));
  const ws = Array.from({ length: E }, () => Float64Array.of(1 + rng.int(1 << 16)));
  const one = new Uint32Array(1);
  // the kernels take the stored integer weight (fractionBits 0 here) and integer arguments
  const dsInt = Uint32Array.from(ds, (d) => d[0]), wsInt = Uint32Array.from(ws, (w) => w[0]);
  let e = 0;
  const pair = k === null
    ? (g: DynamicGraph) => {
      g.insertEdges(one, ds[e], ws[e]);
      g.deleteEdges(one, ds[e]);
      e = (e + 1) & (E - 1);
    }
    : (g: DynamicGraph) => {
      const ptr = (g.engine.host as WasmPool).ptr;
      k.insert_one(ptr, 0, dsInt[e], wsInt[e]);
      k.delete_one(ptr, 0, dsInt[e]);
      e = (e + 1) & (E - 1);
    };
  const graphs = samplers.map((sampler) => {
    const g = new DynamicGraph({ numVertices: degree + 1, sampler, backend: "wasm", ...CONFIG });
    g.insertEdges(src, dst, w);
    // the kernels do not reserve: pairs at a steady degree reuse freed blocks, so twice the bound of one
    // insert and one delete is ample (a kernel that ran out would trap, not write past the pool)
    if (k !== null) g.engine.reserve(2 * (g.engine.reserveFor(0, 1, 0) + g.engine.reserveFor(0, 0, 1)));
    // each pair keeps the degree, so the hub stays as large
    for (let i = sampler === "bingo" ? bingoWarm : 100; i > 0; i--) pair(g);
    return g;
  });
  const perRound = samplers.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < samplers.length; k++) {
      const j = (k + r) % samplers.length, g = graphs[j];
      let pairs = 0;
      const t0 = performance.now();
      let t = t0;
      while (pairs < 3 || t - t0 < budgetMs) {
        pair(g);
        pairs++;
        if ((pairs & 7) === 0 || pairs < 8) t = performance.now();
      }
      perRound[j].push(((t - t0) * 1000) / (2 * pairs));
    }
  }
  for (const g of graphs) g.free();
  return new Map(samplers.map((s, j) => [s, quantile(perRound[j], 0.5)]));
}

/**
 * Nanoseconds per weighted draw from vertex v of a graph: `count` draws in `rounds` timed calls, the median
 * call (a call disturbed by another process does not decide the figure).
 */
export function samplingNanos(g: DynamicGraph, v: number, count: number, seed: number, rounds = 7): number {
  g.sample(v, Math.min(count, 1000), seed);
  const per = Math.max(1, Math.round(count / rounds)), times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    g.sample(v, per, seed + 1 + r);
    times.push(((performance.now() - t0) * 1e6) / per);
  }
  return quantile(times, 0.5);
}

/**
 * Nanoseconds per draw of graph a over graph b from the same vertex v, timed side by side: `rounds` rounds,
 * each timing `count` draws from a and from b in alternating order; the per-round ratios (their median is
 * the figure: a change of the machine's speed between two samplers' timings does not decide it).
 */
export function pairedSamplingRatios(
  a: DynamicGraph,
  b: DynamicGraph,
  v: number,
  count: number,
  seed: number,
  rounds = 9,
): number[] {
  a.sample(v, Math.min(count, 1000), seed);
  b.sample(v, Math.min(count, 1000), seed);
  const time = (g: DynamicGraph, r: number) => {
    const t0 = performance.now();
    g.sample(v, count, seed + 1 + r);
    return performance.now() - t0;
  };
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      const ta = time(a, r);
      ratios.push(ta / time(b, r));
    } else {
      const tb = time(b, r);
      ratios.push(time(a, r) / tb);
    }
  }
  return ratios;
}

/** Walk steps/s of DeepWalk from every vertex with a given thread count. */
export async function walkStepsPerSecond(g: DynamicGraph, length: number, threads: number, seed: number) {
  const starts = new Uint32Array(g.numVertices).map((_, i) => i);
  await g.deepWalk({ starts: starts.subarray(0, 64), length, seed, threads }); // warm-up (starts the pool)
  const t0 = performance.now();
  const w = await g.deepWalk({ starts, length, seed, threads });
  const s = (performance.now() - t0) / 1000;
  let steps = 0;
  for (let i = 0; i < starts.length; i++) {
    for (let k = 1; k < length; k++) if (w[i * length + k] !== 0xffffffff) steps++;
  }
  return steps / s;
}

/** Walk steps/s on 1 and 2 threads, and the same ratio for a trivially parallel control kernel. */
export interface WalkScaling {
  /** Best steps/s over the rounds, 1 thread. */
  steps1: number;
  /** Best steps/s over the rounds, 2 threads. */
  steps2: number;
  /** 2-thread / 1-thread speed of the roofline peak loop (compute bound, no shared data) in the same rounds. */
  control: number;
}

/**
 * DeepWalk from every vertex on 1 and 2 threads, interleaved over `rounds` rounds with the roofline peak
 * loop on 1 and 2 threads (two equal blocks of work either way), keeping each one's best round. On a shared
 * machine the control tells whether the second core was free: a walk ratio close to the control's means
 * the walks scale as well as the machine lets any kernel scale.
 */
export async function walkScaling(
  g: DynamicGraph,
  length: number,
  rounds: number,
  seed: number,
): Promise<WalkScaling> {
  const starts = new Uint32Array(g.numVertices).map((_, i) => i);
  const pool = await getPool(2);
  const roof = await loadKernel("roofline");
  const arena = getArena();
  const out = arena.alloc(64);
  const iters = 4_000_000;
  const peak = (t: number) =>
    t === 1
      ? Promise.resolve(roof.peak_simd_blocks(out.ptr, iters, 0.999, 0.001, 0, 2))
      : pool.parallelFor("roofline", "peak_simd_blocks", [out.ptr, iters, 0.999, 0.001], 0, 2);
  const time = async (f: () => Promise<unknown>) => {
    const t0 = performance.now();
    await f();
    return performance.now() - t0;
  };
  try {
    await g.deepWalk({ starts: starts.subarray(0, 64), length, seed, threads: 2 }); // starts the pool
    await peak(2);
    const best = [Infinity, Infinity, Infinity, Infinity];
    for (let r = 0; r < rounds; r++) {
      best[0] = Math.min(best[0], await time(() => g.deepWalk({ starts, length, seed, threads: 1 })));
      best[1] = Math.min(best[1], await time(() => g.deepWalk({ starts, length, seed, threads: 2 })));
      best[2] = Math.min(best[2], await time(() => peak(1)));
      best[3] = Math.min(best[3], await time(() => peak(2)));
    }
    const w = await g.deepWalk({ starts, length, seed });
    let steps = 0;
    for (let i = 0; i < starts.length; i++) {
      for (let k = 1; k < length; k++) if (w[i * length + k] !== 0xffffffff) steps++;
    }
    return { steps1: steps / (best[0] / 1000), steps2: steps / (best[1] / 1000), control: best[2] / best[3] };
  } finally {
    arena.free(out);
  }
}

const r3 = (x: number) => Number(x.toPrecision(3));

/**
 * Runs the experiment and returns its Report.
 *
 * @example
 * ```ts
 * import { run } from "./bingo.ts";
 * const report = await run({ quick: true, seed: 1 });
 * ```
 */
export async function run(options: BingoOptions = {}): Promise<Report> {
  const started = new Date();
  const quick = options.quick ?? true;
  const seed = options.seed ?? 1;
  if (!walkWasmAvailable()) throw new Error("the bingo experiment needs the wasm backend");
  const scale = quick ? 13 : 16, ef = quick ? 8 : 16;
  const batches = quick ? [1, 10, 100, 1000, 10000] : [1, 10, 100, 1000, 10000, 100000];
  const samplers: SamplerName[] = ["bingo", "alias", "its", "fenwick", "rejection", "reservoir", "uniform"];
  const prog = progress({ label: "bingo", total: 5, quiet: options.quiet });
  const e = rmatWorkload(scale, ef, seed);

  // 1. bytes/edge
  const memRows: Record<string, unknown>[] = [];
  let adaption = { alpha: NaN, sparseMax: NaN, denseMinDegree: NaN };
  for (
    const [label, s, adaptive] of [
      ["bingo (adaptive)", "bingo", true],
      ["bingo (no adaption)", "bingo", false],
      ...[
        "alias",
        "its",
        "fenwick",
        "rejection",
      ].map((s) => [s, s, true]),
    ] as Array<[string, SamplerName, boolean]>
  ) {
    const g = await buildGraph(s, e, { adaptive });
    const m = g.memoryStats();
    if (s === "bingo" && adaptive) {
      adaption = { alpha: g.alpha, sparseMax: g.sparseMax, denseMinDegree: g.denseMinDegree };
    }
    memRows.push({
      sampler: label,
      "bytes/edge": r3(m.bytesPerEdge),
      "block bytes/edge": r3(m.blockBytesPerEdge),
      "groups one/sparse/regular/dense": s === "bingo"
        ? `${m.groups.one}/${m.groups.sparse}/${m.groups.regular}/${m.groups.dense}`
        : "-",
    });
    g.free();
  }
  prog.tick();

  // 2. update throughput vs batch size (bingo, alias, its, fenwick), three modes
  const upRows: Record<string, unknown>[] = [];
  for (const s of ["bingo", "alias", "its", "fenwick"] as SamplerName[]) {
    const g = await buildGraph(s, e);
    for (const mode of ["insert", "delete", "mixed"] as const) {
      for (const b of batches) {
        const total = Math.max(b, b === 1 ? 2000 : Math.min(20000, 20 * b));
        upRows.push({
          sampler: s,
          mode,
          batch: b,
          "updates/s": r3(await updateThroughput(g, mode, b, total, seed)),
        });
      }
    }
    g.free();
  }
  prog.tick();

  // 3. streaming on a hub
  const hubDeg = quick ? 10000 : 30000;
  const hubSamplers: SamplerName[] = ["bingo", "alias", "its", "fenwick", "rejection"];
  const hubUs = hubStreamingMicros(hubSamplers, hubDeg, quick ? 30 : 80, seed, {
    bingoWarmPairs: quick ? 20000 : 100000,
  });
  // the engine's own cost beside it: the same pairs straight through the kernels the API calls
  const kernelSamplers: SamplerName[] = ["bingo", "its"];
  const kernelUs = hubStreamingMicros(kernelSamplers, hubDeg, quick ? 30 : 80, seed, {
    bingoWarmPairs: quick ? 20000 : 100000,
    via: "kernel",
  });
  const hubRows = hubSamplers.map((s) => ({
    sampler: s,
    "hub degree": hubDeg,
    "us/update": r3(hubUs.get(s)!),
    "kernel us/update": kernelUs.has(s) ? r3(kernelUs.get(s)!) : "",
  }));
  const hub = (s: string) => hubRows.find((r) => r.sampler === s)!["us/update"];
  prog.tick();

  // 4. sampling speed on the hub, and walks on 1 and 2 threads
  const sampRows: Record<string, unknown>[] = [];
  const walkRows: Record<string, unknown>[] = [];
  let scaling: WalkScaling | null = null;
  const deg = new Uint32Array(e.numVertices);
  for (const s of e.src) deg[s]++;
  const top = deg.indexOf(Math.max(...deg));
  const kept = new Map<SamplerName, DynamicGraph>();
  for (const s of samplers) {
    const g = await buildGraph(s, e);
    sampRows.push({
      sampler: s,
      vertex: top,
      degree: deg[top],
      "ns/draw": r3(samplingNanos(g, top, 200000, seed)),
    });
    if (s !== "reservoir") {
      const sc = await walkScaling(g, quick ? 20 : 80, quick ? 2 : 3, seed);
      if (s === "bingo") scaling = sc;
      for (const threads of [1, 2]) {
        walkRows.push({
          sampler: s,
          threads,
          "steps/s": r3(threads === 1 ? sc.steps1 : sc.steps2),
          "control x2/x1": r3(sc.control),
        });
      }
    }
    if (s === "bingo" || s === "alias") kept.set(s, g);
    else g.free();
  }
  const drawRatio = quantile(
    pairedSamplingRatios(kept.get("bingo")!, kept.get("alias")!, top, 30000, seed),
    0.5,
  );
  for (const g of kept.values()) g.free();
  prog.tick();
  await shutdownPools();
  prog.tick();
  prog.done();

  const ns = (s: string) => sampRows.find((r) => r.sampler === s)!["ns/draw"] as number;
  const steps = (s: string, t: number) =>
    walkRows.find((r) => r.sampler === s && r.threads === t)!["steps/s"] as number;
  const tables: ReportTable[] = [
    { name: "memory", title: "Bytes per edge (R-MAT, weights deg+1)", rows: memRows },
    { name: "updates", title: "Update throughput against batch size (wasm, 1 thread)", rows: upRows },
    { name: "hub", title: "Streaming updates on a hub vertex (insert + delete pairs)", rows: hubRows },
    { name: "sampling", title: "Weighted draws from the highest-degree vertex", rows: sampRows },
    {
      name: "walks",
      title:
        "DeepWalk steps/s from every vertex (best of interleaved rounds; control: peak loop 2/1 threads)",
      rows: walkRows,
    },
  ];
  return {
    paper: "bingo",
    title: "Bingo: random walks on dynamically changing graphs (CPU/WASM re-implementation)",
    mode: quick ? "quick" : "full",
    seed,
    summary:
      `A re-implementation of Bingo's radix-based bias factorisation (with group adaption) and of the baseline ` +
      `samplers on one graph store, run on this machine's CPU through WebAssembly. Graph: R-MAT scale ${scale}, edge ` +
      `factor ${ef} (${e.src.length} edges), weights out-degree(dst)+1, stored as fixed-point integers. The paper's ` +
      `numbers are from 4xA100 GPUs and CUDA baselines; ours are CPU/WASM and not comparable in absolute terms: the ` +
      `comparison is between samplers measured side by side here. One departure from the paper: the per-vertex alias ` +
      `table over the groups is built over bounded group sizes (size + size/8 + 1) and a drawn group is kept with ` +
      `probability size/bound (to the alias columns' 2^-32 resolution), so sampling stays exact while an edit that ` +
      `keeps every group inside its bound's window skips the table rebuild the paper does after every update.`,
    tables,
    figures: [
      {
        name: "updates",
        title: "Update throughput against batch size (mixed)",
        spec: lineChart({
          data: upRows.filter((r) => r.mode === "mixed"),
          x: "batch",
          y: "updates/s",
          color: "sampler",
          logX: true,
          logY: true,
          title: "Mixed updates/s against batch size (wasm, 1 thread)",
        }),
      },
      {
        name: "walks",
        title: "Walk steps/s per sampler",
        spec: barChart({
          data: walkRows.map((r) => ({ ...r, threads: String(r.threads) })),
          x: "sampler",
          y: "steps/s",
          color: "threads",
          title: "DeepWalk steps/s (wasm)",
        }),
      },
      {
        name: "memory",
        title: "Bytes per edge",
        spec: barChart({
          data: memRows,
          x: "sampler",
          y: "bytes/edge",
          title: "Bytes per edge (headers included)",
        }),
      },
    ],
    claims: [
      {
        metric: "Streaming update speed-up on a hub, over alias with rebuild",
        paper: ">= 50x (acceptance); paper reports up to 271x end to end over baselines",
        ours: r3((hub("alias") as number) / (hub("bingo") as number)),
        unit: "x",
        note:
          `hub degree ${hubDeg}, wasm, insert + delete pairs through the public API; the samplers timed ` +
          `side by side (5 interleaved rounds, the median), after ${
            quick ? 20000 : 100000
          } warm-up pairs on ` +
          `Bingo's hub`,
      },
      {
        metric: "Streaming update speed-up on a hub, over ITS",
        paper: ">= 50x (acceptance)",
        ours: r3((hub("its") as number) / (hub("bingo") as number)),
        unit: "x",
        note:
          "through the public API, as above; ITS appends in O(1) but a delete re-sums the prefix past the hole",
      },
      {
        metric: "Streaming update speed-up on a hub, over ITS, in the kernels",
        paper: ">= 50x (acceptance)",
        ours: r3(kernelUs.get("its")! / kernelUs.get("bingo")!),
        unit: "x",
        note:
          `the same pairs straight through the wasm kernels the API calls (the engine's cost without the ` +
          `API's checks and reserve), timed side by side the same way; under Deno the kernels run slower ` +
          `than under Bun (the benches' runtime), which gives a lower ratio`,
      },
      {
        metric: "Bingo sampling time / alias sampling time",
        paper: "within 2x (acceptance)",
        ours: r3(drawRatio),
        unit: "ratio",
        note:
          `draws from the top vertex (degree ${deg[top]}), Bingo and alias timed side by side: the median ` +
          `ratio of 9 interleaved rounds of 30000 draws each (the sampling table's ns/draw are each sampler's ` +
          `median of 7 timed calls, taken one sampler after another: their ratio is ` +
          `${r3(ns("bingo") / ns("alias"))})`,
      },
      {
        metric: "Walk steps/s, 2 threads / 1 thread (Bingo)",
        paper: ">= 1.7x (acceptance)",
        ours: r3(steps("bingo", 2) / steps("bingo", 1)),
        unit: "x",
        note: `wasm over the worker pool on this shared 2-core machine (walks claim chunks from a shared ` +
          `counter); the peak loop's 2/1 ratio in the same rounds was ${r3(scaling!.control)}`,
      },
      {
        metric: "Memory reduction from group adaption",
        paper: "14.6-22.2x",
        ours: r3((memRows[1]["block bytes/edge"] as number) / (memRows[0]["block bytes/edge"] as number)),
        unit: "x (block bytes/edge)",
        note:
          `our non-adapted layout keeps a list and an inverse index per non-empty group; adaption ran with ` +
          `alpha = ${adaption.alpha} (a group of more than alpha x degree members is dense; it lists again ` +
          `below alpha / 2 x degree), sparse lists up to ${adaption.sparseMax} members, dense groups only ` +
          `from degree ${adaption.denseMinDegree}; the paper's alpha and thresholds are not in our notes, so ` +
          `the two figures need not share a setting`,
      },
      {
        metric: "Batched update throughput (largest batch, Bingo)",
        paper: "up to 226M updates/s on 4xA100",
        ours: r3(
          Math.max(...upRows.filter((r) => r.sampler === "bingo").map((r) => r["updates/s"] as number)),
        ),
        unit: "updates/s",
        note: "one CPU thread, wasm; not comparable with the GPU figure",
      },
    ],
    notes: [
      "Weights are fixed point (round(w * 2^fractionBits)); here fractionBits = 0 since deg+1 weights are integers.",
      "All numbers come from this run on this machine (CPU, wasm backend); WebGPU timings on llvmpipe are never quoted.",
      "node2vec and PPR are validated by the tests against brute-force and power-iteration oracles.",
      "The webgpu backend (kernels-wgsl/walk.wgsl, one invocation per walk) gives walks bit-identical to ts and " +
      "wasm for a seed (tests/walk/webgpu.test.ts), and runs applyBatch on the GPU (kernels-wgsl/walk_update.wgsl: " +
      "one invocation per touched vertex, allocation planned on the host, the group alias tables built with exact " +
      "integers; tests/walk/webgpu_update.test.ts); here it runs on llvmpipe at most, so no WebGPU timing is quoted.",
      "Walks over the worker pool claim chunks of walks from a shared counter (dynamic scheduling): on R-MAT " +
      "graphs the walks from low vertex ids are much longer, so an even split of the starts would leave a thread idle.",
    ],
    environment: environmentInfo({ backend: "wasm" }),
    startedAt: started.toISOString(),
    durationMs: Date.now() - started.getTime(),
    data: { upRows, hubRows, sampRows, walkRows, memRows },
  };
}
