// Batched updates on the GPU (kernels-wgsl/walk_update.wgsl, lib/walk/webgpu_update.ts): after seeded
// random batches applied with applyBatch on the webgpu backend, the structural invariants hold, the edges
// (and their slot order) equal the ts engine's after the same batches, the GPU's pool equals the host's
// word for word without a re-upload, the integer alias tables are exact to 2^-32, draws fit the weights,
// deleted edges are never drawn, and bad batches change nothing.
import assert from "node:assert/strict";
import {
  checkInvariants,
  DynamicGraph,
  type DynamicGraphOptions,
  type EdgeBatch,
} from "../../lib/walk/mod.ts";
import { InvalidArgumentError, ShapeMismatchError } from "../../lib/core/errors.ts";
import { Philox } from "../../lib/core/rng.ts";
import { gpuUnavailableReason, releaseGpu } from "../../lib/runtime/gpu.ts";
import { shutdownPools } from "../../lib/runtime/pool.ts";
import { H_K, H_TOP, VH_AUX, VH_EXTRA } from "../../lib/walk/layout.ts";
import { RangeSet } from "../../lib/walk/webgpu_update.ts";
import { gofMerged } from "./helpers.ts";

const noGpu = await gpuUnavailableReason();
if (noGpu) console.log(`skipping WebGPU update tests: ${noGpu}`);
const needsGpu = { ignore: noGpu !== null, sanitizeResources: false, sanitizeOps: false };

const N = 40;
/** Small thresholds, so that every Bingo group kind and every adaption occurs on 40 vertices. */
const SMALL: Omit<DynamicGraphOptions, "numVertices"> = {
  fractionBits: 2,
  weightBits: 14,
  sparseMax: 4,
  denseMinDegree: 8,
};

const CONFIGS: Array<[string, Omit<DynamicGraphOptions, "numVertices">]> = [
  ["bingo", { ...SMALL, sampler: "bingo" }],
  ["bingo, no adaption", { ...SMALL, sampler: "bingo", adaptive: false }],
  ["bingo, 32-bit weights", { sampler: "bingo", fractionBits: 0, weightBits: 32, denseMinDegree: 8 }],
  ["alias", { ...SMALL, sampler: "alias" }],
  ["rejection", { ...SMALL, sampler: "rejection" }],
  ["uniform", { ...SMALL, sampler: "uniform" }],
];

/** The same graph on ts and webgpu. */
function pair(options: Omit<DynamicGraphOptions, "numVertices">): [DynamicGraph, DynamicGraph] {
  return (["ts", "webgpu"] as const).map((backend) =>
    new DynamicGraph({ numVertices: N, ...options, backend })
  ) as [DynamicGraph, DynamicGraph];
}

/**
 * A seeded batch against the current edges of `g`: `ins` inserts (a quarter from the hubs 0..2, vertices
 * 36..39 never get out-edges; weights small or up to the largest storable), and each live edge deleted
 * with probability `pDel` (multi-edges included); with `wipe`, every edge of vertex 3 is deleted (and none
 * inserted).
 */
function batch(g: DynamicGraph, rng: Philox, ins: number, pDel: number, wipe = false): EdgeBatch {
  const src = new Uint32Array(ins), dst = new Uint32Array(ins), w = new Float64Array(ins);
  const wmax = (2 ** g.weightBits - 1) / 2 ** g.fractionBits, unit = Math.max(2 ** -g.fractionBits, 0.25);
  for (let i = 0; i < ins; i++) {
    src[i] = rng.int(4) === 0 ? rng.int(3) : rng.int(36);
    if (wipe && src[i] === 3) src[i] = 4;
    dst[i] = rng.int(N);
    const r = rng.int(3);
    w[i] = r === 0
      ? (1 + rng.int(8)) * unit
      : r === 1
      ? (1 + rng.int(4000)) * unit
      : Math.max(unit, rng.uniform() * wmax);
  }
  const ds: number[] = [], dd: number[] = [];
  for (let v = 0; v < N; v++) {
    const nb = g.neighbors(v).dst;
    for (const d of nb) {
      if ((wipe && v === 3) || rng.uniform() < pDel) {
        ds.push(v);
        dd.push(d);
      }
    }
  }
  const out: EdgeBatch = {};
  if (ins > 0) out.insert = { src, dst, weight: w };
  if (ds.length > 0) out.delete = { src: Uint32Array.from(ds), dst: Uint32Array.from(dd) };
  return out;
}

function edgeKeys(g: DynamicGraph, v: number): string[] {
  const { dst, weightInt } = g.neighbors(v);
  return Array.from(dst, (d, i) => `${d}:${weightInt[i]}`);
}

/** The host's pool and the GPU's copy of it, over the words in use. */
async function assertGpuPoolEqual(g: DynamicGraph, what: string): Promise<void> {
  const words = g.engine.m[H_TOP];
  const gpu = await g.gpuPool!.readPool(words);
  const host = g.engine.m.subarray(0, words);
  let first = -1;
  for (let i = 0; i < words && first < 0; i++) if (gpu[i] !== host[i]) first = i;
  assert.equal(first, -1, `${what}: GPU pool differs from the host's at word ${first}`);
}

/**
 * Vose's alias table over the non-empty groups with exact integer masses (BigInt): the construction the
 * GPU kernel makes in u32 pairs. Returns the thresholds and pair words of the columns.
 */
function exactGroupAlias(counts: number[]): { T: number[]; P: number[] } {
  const col = counts.flatMap((c, k) => (c > 0 ? [k] : [])), n = col.length;
  const W = col.reduce((s, k) => s + (BigInt(counts[k]) << BigInt(k)), 0n);
  const a = col.map((k) => BigInt(n * counts[k]) << BigInt(k));
  const T = new Array(n).fill(0xffffffff), alias = col.map((_, j) => j);
  const small: number[] = [], large: number[] = [];
  a.forEach((x, j) => (x < W ? small : large).push(j));
  while (small.length > 0 && large.length > 0) {
    const si = small.pop()!, li = large.pop()!;
    T[si] = Number((a[si] << 32n) / W);
    alias[si] = li;
    a[li] = a[li] - W + a[si];
    (a[li] < W ? small : large).push(li);
  }
  return { T, P: col.map((k, j) => k | (col[alias[j]] << 8)) };
}

Deno.test("RangeSet merges overlapping and adjacent ranges and packs them", () => {
  const r = new RangeSet();
  for (const [s, l] of [[50, 5], [10, 4], [12, 8], [20, 1], [40, 0], [30, 2]]) r.add(s, l);
  const { triples, words } = r.merged();
  assert.deepEqual(Array.from(triples), [10, 11, 0, 30, 2, 11, 50, 5, 13]);
  assert.equal(words, 18);
  assert.ok(new RangeSet().empty);
});

Deno.test(
  "GPU batches: invariants, the ts engine's edges, GPU pool = host pool, no re-upload",
  needsGpu,
  async () => {
    for (const [name, options] of CONFIGS) {
      const [ts, gpu] = pair(options);
      const rng = new Philox(17);
      const kinds = { one: 0, sparse: 0, regular: 0, dense: 0 };
      // mixed batches, an insert-only, a delete-only and a wipe of a vertex; each batch from ts's edges
      const plan: Array<[number, number, boolean]> = [
        [300, 0, false],
        [250, 0.3, false],
        [0, 0.4, false],
        [200, 0.2, true],
        [400, 0, false],
        [150, 0.5, false],
      ];
      for (const [r, [ins, pDel, wipe]] of plan.entries()) {
        const b = batch(ts, rng, ins, pDel, wipe);
        await ts.applyBatch(b);
        await gpu.applyBatch(b);
        const bad = checkInvariants(gpu);
        assert.deepEqual(bad, [], `${name}, batch ${r}: ${bad.join("; ")}`);
        assert.equal(gpu.numEdges, ts.numEdges, `${name}, batch ${r}: edge count`);
        for (let v = 0; v < N; v++) {
          const a = edgeKeys(ts, v), g = edgeKeys(gpu, v);
          assert.deepEqual([...g].sort(), [...a].sort(), `${name}, batch ${r}: edge multiset of ${v}`);
          assert.deepEqual(g, a, `${name}, batch ${r}: slot order of ${v}`);
        }
        if (wipe) assert.equal(gpu.degree(3), 0);
        await assertGpuPoolEqual(gpu, `${name}, batch ${r}`);
        const s = gpu.memoryStats().groups;
        for (const k of ["one", "sparse", "regular", "dense"] as const) kinds[k] += s[k];
      }
      // one whole upload (the first batch); afterwards only scatters and, when the pool grew, GPU copies
      assert.equal(gpu.gpuPool!.uploads, 1, `${name}: uploads`);
      // a GPU walk reads the updated buffer without an upload and equals the ts engine over the host's pool
      const starts = Uint32Array.from({ length: 200 }, (_, i) => i % N);
      const walks = await gpu.deepWalk({ starts, length: 12, seed: 5 });
      const ref = new Uint32Array(walks.length);
      gpu.engine.deepWalk(starts, 12, 5, ref, 0, starts.length);
      assert.deepEqual(walks, ref, `${name}: GPU walks over the GPU-updated pool`);
      assert.equal(gpu.gpuPool!.uploads, 1, `${name}: a walk after GPU batches uploads nothing`);
      if (name === "bingo") {
        for (const k of ["one", "sparse", "regular", "dense"] as const) {
          assert.ok(
            kinds[k] > 0,
            `no ${k} group`,
          );
        }
      }
      if (name === "bingo, no adaption") assert.equal(kinds.one + kinds.sparse + kinds.dense, 0);
      ts.free();
      gpu.free();
    }
  },
);

Deno.test(
  "GPU integer alias tables equal the exact construction and give each group its mass to 2^-32",
  needsGpu,
  async () => {
    for (const [name, options] of CONFIGS.filter(([, o]) => o.sampler === "bingo")) {
      const [ts, gpu] = pair(options);
      const rng = new Philox(29);
      let differ = 0;
      for (const [ins, pDel] of [[400, 0], [300, 0.3], [200, 0.5]]) {
        const b = batch(ts, rng, ins, pDel);
        await ts.applyBatch(b);
        await gpu.applyBatch(b);
      }
      const e = gpu.engine, m = e.m, K = m[H_K];
      for (let v = 0; v < N; v++) {
        const h = e.vh(v), gb = m[h + VH_AUX], cols = m[h + VH_EXTRA];
        if (gb === 0 || cols === 0) continue;
        let W = 0n;
        const mass: bigint[] = [];
        for (let k = 0; k < K; k++) {
          mass[k] = BigInt(m[gb + k]) << BigInt(k);
          W += mass[k];
        }
        // exact shares: sum over columns of t/2^32 (keep) and (2^32 - t)/2^32 (alias), / cols
        const num: bigint[] = new Array(K).fill(0n);
        for (let j = 0; j < cols; j++) {
          const t = BigInt(m[gb + 4 * K + j]), pair = m[gb + 5 * K + j];
          num[pair & 255] += t;
          num[(pair >>> 8) & 255] += (1n << 32n) - t;
        }
        for (let k = 0; k < K; k++) {
          // |num / (cols 2^32) - mass / W| <= 2^-32 (each of a group's columns rounds down by < 2^-32 / cols)
          const lhs = num[k] * W - mass[k] * BigInt(cols) * (1n << 32n);
          const err = lhs < 0n ? -lhs : lhs;
          assert.ok(err <= W * BigInt(cols), `${name}: v${v} group ${k} off by more than 2^-32`);
        }
        const ref = exactGroupAlias(Array.from({ length: K }, (_, k) => m[gb + k]));
        assert.deepEqual(
          Array.from(m.subarray(gb + 4 * K, gb + 4 * K + cols)),
          ref.T,
          `${name}: v${v} thresholds`,
        );
        assert.deepEqual(
          Array.from(m.subarray(gb + 5 * K, gb + 5 * K + cols)),
          ref.P,
          `${name}: v${v} columns`,
        );
        const th = ts.engine.m, th0 = ts.engine.vh(v), tgb = th[th0 + VH_AUX];
        for (let j = 0; j < cols; j++) if (th[tgb + 4 * K + j] !== m[gb + 4 * K + j]) differ++;
      }
      console.log(`${name}: ${differ} alias thresholds differ from the float64 construction's`);
      ts.free();
      gpu.free();
    }
  },
);

Deno.test(
  "after GPU batches, draws fit the weights and deleted edges are never drawn",
  needsGpu,
  async () => {
    for (const [name, options] of CONFIGS.filter(([n]) => n !== "uniform")) {
      const [ts, gpu] = pair(options);
      const rng = new Philox(41);
      for (const [ins, pDel] of [[500, 0], [300, 0.3], [200, 0.3]]) {
        const b = batch(ts, rng, ins, pDel);
        await ts.applyBatch(b);
        await gpu.applyBatch(b);
      }
      // delete every copy of the heaviest destination of each tested vertex, on the GPU
      const tested = [0, 1, 2, 5, 17];
      const gone = new Map<number, number>(), ds: number[] = [], dd: number[] = [];
      for (const v of tested) {
        const { dst, weightInt } = gpu.neighbors(v);
        const heavy = dst[weightInt.indexOf(Math.max(...weightInt))];
        gone.set(v, heavy);
        dst.forEach((d) => {
          if (d === heavy) ds.push(v), dd.push(d);
        });
      }
      await gpu.applyBatch({ delete: { src: Uint32Array.from(ds), dst: Uint32Array.from(dd) } });
      assert.deepEqual(checkInvariants(gpu), []);
      for (const v of tested) {
        assert.equal(gpu.countEdges(v, gone.get(v)!), 0);
        if (gpu.degree(v) === 0) continue;
        // GPU walks of length 2 from v (one draw each, on the GPU's copy) and host draws (wasm/ts)
        const W = 4000;
        const walks = await gpu.deepWalk({ starts: new Uint32Array(W).fill(v), length: 2, seed: 3 + v });
        const draws = [
          Array.from({ length: W }, (_, i) => walks[2 * i + 1]),
          Array.from(gpu.sample(v, W, 9 + v)),
        ];
        const { dst, weightInt } = gpu.neighbors(v);
        const total = weightInt.reduce((a, b) => a + b, 0);
        const probs = new Map<number, number>();
        dst.forEach((d, i) => probs.set(d, (probs.get(d) ?? 0) + weightInt[i] / total));
        for (const [where, xs] of [["GPU walks", draws[0]], ["host sample", draws[1]]] as const) {
          const obs = new Map<number, number>();
          for (const x of xs) {
            assert.notEqual(x, gone.get(v), `${name} ${where}: deleted edge ${v}->${x} drawn`);
            assert.ok(probs.has(x), `${name} ${where}: ${x} is not a neighbour of ${v}`);
            obs.set(x, (obs.get(x) ?? 0) + 1);
          }
          const keys = [...probs.keys()];
          const p = gofMerged(keys.map((k) => obs.get(k) ?? 0), keys.map((k) => probs.get(k)!));
          assert.ok(p > 1e-4, `${name} ${where}, vertex ${v} (degree ${dst.length}): p = ${p}`);
        }
      }
      ts.free();
      gpu.free();
    }
  },
);

Deno.test("bad GPU batches are rejected and change neither copy of the graph", needsGpu, async () => {
  const [, gpu] = pair({ ...SMALL, sampler: "bingo" });
  const rng = new Philox(3);
  await gpu.applyBatch(batch(gpu, rng, 300, 0));
  await gpu.applyBatch(batch(gpu, rng, 100, 0.2));
  const snap = gpu.engine.m.slice();
  const uploads = gpu.gpuPool!.uploads, grows = gpu.gpuPool!.grows;
  const u = (...x: number[]) => Uint32Array.from(x), f = (...x: number[]) => Float64Array.from(x);
  const [s0, d0] = [0, gpu.neighbors(0).dst[0]];
  const bad: Array<[EdgeBatch, new (...a: never[]) => Error, RegExp]> = [
    [{ insert: { src: u(0, 40), dst: u(1, 2), weight: f(1, 1) } }, InvalidArgumentError, /src\[1\] = 40/],
    [{ insert: { src: u(0, 1), dst: u(1, 2), weight: f(1, NaN) } }, InvalidArgumentError, /weight\[1\]/],
    [{ insert: { src: u(0, 1), dst: u(1, 2), weight: f(1, -2) } }, InvalidArgumentError, /weight\[1\]/],
    [{ insert: { src: u(0, 1), dst: u(1), weight: f(1, 1) } }, ShapeMismatchError, /same length/],
    [
      { insert: { src: u(5), dst: u(6), weight: f(1) }, delete: { src: u(s0, 38), dst: u(d0, 0) } },
      InvalidArgumentError,
      /\(38, 0\)/,
    ],
    [
      { delete: { src: new Uint32Array(50).fill(s0), dst: new Uint32Array(50).fill(d0) } },
      InvalidArgumentError,
      /cannot delete/,
    ],
  ];
  for (const [b, type, msg] of bad) {
    await assert.rejects(
      gpu.applyBatch(b),
      (e: Error) => e instanceof type && msg.test(e.message),
      msg.source,
    );
    assert.deepEqual(gpu.engine.m, snap, `graph changed by a rejected batch (${msg.source})`);
  }
  assert.equal(gpu.gpuPool!.uploads, uploads);
  assert.equal(gpu.gpuPool!.grows, grows);
  await assertGpuPoolEqual(gpu, "after rejected batches");
  // a batch in flight locks the graph against other updates and reads of its pool
  const pending = gpu.applyBatch({ insert: { src: u(1), dst: u(2), weight: f(3) } });
  assert.throws(() => gpu.insertEdges(u(1), u(3), f(1)), InvalidArgumentError);
  await pending;
  const c13 = gpu.countEdges(1, 3);
  gpu.insertEdges(u(1), u(3), f(1)); // usable again
  assert.equal(gpu.countEdges(1, 3), c13 + 1);
  assert.deepEqual(checkInvariants(gpu), []);
  // that update ran on the host: the next GPU walk uploads the pool whole and sees it
  const starts = Uint32Array.from({ length: 100 }, (_, i) => i % N);
  const walks = await gpu.deepWalk({ starts, length: 8, seed: 2 });
  const ref = new Uint32Array(walks.length);
  gpu.engine.deepWalk(starts, 8, 2, ref, 0, starts.length);
  assert.deepEqual(walks, ref);
  assert.equal(gpu.gpuPool!.uploads, uploads + 1);
  gpu.free();
  await releaseGpu();
  await shutdownPools();
});
