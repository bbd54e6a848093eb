/**
 * Graph benchmarks (mitata): chordless-cycle enumeration and GIN message passing, side by side.
 *
 * - Enumeration of chordless cycles up to length 8 on a random 3-regular graph (n = 2000), a 30 x 30 grid
 *   and an Erdős–Rényi graph (n = 300, p = 0.03): ts reference, wasm on 1 thread and on every core.
 *   Reported as cycles/s and wasm / ts.
 * - Message passing out = (1 + eps) h + A h on an Erdős–Rényi graph (n = 20000, average degree 10) at
 *   d = 32: ts, wasm SIMD on 1 and N threads, webgpu (when an adapter exists; upload + readback included,
 *   and on a software adapter a correctness path, not GPU performance). Reported as GB/s of the
 *   gathered rows (arcs * d * 4 bytes) and as a fraction of the machine's measured STREAM triad.
 *
 * Run: `bun bench/graph.ts [--quick]` (or `deno run -A bench/graph.ts`).
 *
 * @module
 */
import { isatty } from "node:tty";
import { bench, do_not_optimize, group, run, summary } from "mitata";
import { chordlessCycleSet, erdosRenyi, type Graph, gridGraph, randomRegular } from "../lib/graph/mod.ts";
import { ginAggregate, incomingCsr } from "../lib/gnn/mod.ts";
import { fillUniformF32 } from "../lib/core/rng.ts";
import { getGpu, gpuUnavailableReason, releaseGpu } from "../lib/runtime/gpu.ts";
import { shutdownPools } from "../lib/runtime/pool.ts";
import { benchArgs, machinePeaks, printMachineHeader, printTable, ratio } from "./machine.ts";

const args = benchArgs();
await printMachineHeader("graph: chordless cycles and GIN message passing", args);
const peaks = await machinePeaks({ quick: args.quick });
const N = peaks.threads;
const gpuWhy = await gpuUnavailableReason();

const graphs: Array<[string, Graph]> = [
  ["3-regular n=2000", randomRegular(2000, 3, 1)],
  ["grid 30x30", gridGraph(30, 30)],
  ["ER n=300 p=0.03", erdosRenyi(300, 0.03, 1)],
];
const L = 8;
const cycleCount = new Map<string, number>();
for (const [name, g] of graphs) {
  cycleCount.set(name, (await chordlessCycleSet(g, { maxLength: L, backend: "wasm" })).lengths.length);
}
const names: string[] = [];
for (const [name, g] of graphs) {
  group(`chordless cycles <= ${L}, ${name} (${cycleCount.get(name)} cycles)`, () => {
    summary(() => {
      bench(`cycles ${name} ts`, async () => do_not_optimize(await chordlessCycleSet(g, { maxLength: L })));
      bench(
        `cycles ${name} wasm x1`,
        async () => do_not_optimize(await chordlessCycleSet(g, { maxLength: L, backend: "wasm" })),
      );
      if (N > 1) {
        bench(
          `cycles ${name} wasm x${N}`,
          async () =>
            do_not_optimize(await chordlessCycleSet(g, { maxLength: L, backend: "wasm", threads: N })),
        );
      }
    });
  });
  names.push(name);
}

const mpGraph = erdosRenyi(args.quick ? 5000 : 20000, 10 / (args.quick ? 5000 : 20000), 2);
const arcs = mpGraph.arcs();
const csr = incomingCsr(mpGraph.n, arcs.src, arcs.dst);
const D = 32;
const h = new Float32Array(mpGraph.n * D);
fillUniformF32(h, 1, 0);
const mpBytes = csr.src.length * D * 4;
group(`message passing n=${mpGraph.n}, ${csr.src.length} arcs, d=${D}`, () => {
  summary(() => {
    bench("mp ts", async () => do_not_optimize(await ginAggregate(h, D, csr, { backend: "ts" })));
    bench("mp wasm x1", async () => do_not_optimize(await ginAggregate(h, D, csr, { backend: "wasm" })));
    if (N > 1) {
      bench(
        `mp wasm x${N}`,
        async () => do_not_optimize(await ginAggregate(h, D, csr, { backend: "wasm", threads: N })),
      );
    }
    if (!gpuWhy) {
      bench("mp webgpu", async () => do_not_optimize(await ginAggregate(h, D, csr, { backend: "webgpu" })));
    }
  });
});

const result = await run({ throw: true, colors: isatty(1) });
const stats = new Map<string, number>();
for (const trial of result.benchmarks) {
  for (const r of trial.runs) if (r.stats) stats.set(r.name, r.stats.avg / 1e9);
}
const rows = names.map((name) => {
  const c = cycleCount.get(name)!;
  const ts = stats.get(`cycles ${name} ts`), w1 = stats.get(`cycles ${name} wasm x1`);
  const wn = stats.get(`cycles ${name} wasm x${N}`);
  return {
    graph: name,
    cycles: c,
    "ts cycles/s": ts ? c / ts : NaN,
    "wasm x1 cycles/s": w1 ? c / w1 : NaN,
    [`wasm x${N} cycles/s`]: wn ? c / wn : NaN,
    "wasm x1 / ts": ratio(ts, w1),
    [`x${N} / x1`]: ratio(w1, wn),
  };
});
printTable("Chordless-cycle enumeration throughput (mitata average)", rows);
const triad = peaks.find("wasm simd", 1)?.triadGBs ?? NaN;
const mpRows = ["mp ts", "mp wasm x1", `mp wasm x${N}`, "mp webgpu"].filter((k) => stats.has(k)).map((k) => ({
  backend: k.slice(3),
  "ms/call": stats.get(k)! * 1e3,
  "gathered GB/s": mpBytes / stats.get(k)! / 1e9,
  "fraction of wasm simd triad": mpBytes / stats.get(k)! / 1e9 / triad,
  "speedup vs ts": ratio(stats.get("mp ts"), stats.get(k)),
}));
printTable("GIN message passing (includes copying h in and out for wasm/webgpu)", mpRows, {
  notes: gpuWhy
    ? [`webgpu skipped: ${gpuWhy}`]
    : (await getGpu()).software
    ? ["webgpu on a software adapter is a correctness path"]
    : [],
});
shutdownPools();
await releaseGpu();
