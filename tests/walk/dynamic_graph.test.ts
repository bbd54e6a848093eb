import assert from "node:assert/strict";
import { DynamicGraph, type SamplerName, SAMPLERS, walkWasmAvailable } from "../../lib/walk/mod.ts";
import { buildStage } from "../../lib/walk/graph.ts";
import { checkInvariants } from "../../lib/walk/invariants.ts";
import { H_ALPHA_Q16, H_DENSE_MIN_DEG, H_SPARSE_MAX } from "../../lib/walk/layout.ts";
import { Philox } from "../../lib/core/rng.ts";
import { InvalidArgumentError, ShapeMismatchError } from "../../lib/core/errors.ts";
import { shutdownPools } from "../../lib/runtime/pool.ts";
import { gofMerged } from "./helpers.ts";

const BACKENDS = walkWasmAvailable() ? (["ts", "wasm"] as const) : (["ts"] as const);
const u32 = (...x: number[]) => new Uint32Array(x);
const f64 = (...x: number[]) => new Float64Array(x);

function small(sampler: SamplerName, backend: "ts" | "wasm", adaptive = true) {
  // small thresholds so that every Bingo group kind and transition happens on small graphs
  return new DynamicGraph({
    numVertices: 24,
    sampler,
    backend,
    adaptive,
    fractionBits: 2,
    weightBits: 14,
    sparseMax: 4,
    denseMinDegree: 8,
  });
}

/** A seeded sequence of streaming and batched inserts, deletes and weight changes on all backends. */
function randomUpdates(gs: DynamicGraph[], seed: number, ops: number, check: (op: number) => void) {
  const rng = new Philox(seed);
  const live: Array<[number, number]> = [];
  for (let op = 0; op < ops; op++) {
    const r = rng.uniform();
    if (r < 0.1) {
      // a batch: inserts then deletes of some live edges (maybe just inserted ones)
      const k = 1 + rng.int(30);
      const s = new Uint32Array(k), d = new Uint32Array(k), w = new Float64Array(k);
      for (let i = 0; i < k; i++) {
        s[i] = rng.int(4);
        d[i] = rng.int(24);
        w[i] = 0.25 * (1 + rng.int(4000));
        live.push([s[i], d[i]]);
      }
      const nd = rng.int(Math.min(live.length, 20));
      const ds = new Uint32Array(nd), dd = new Uint32Array(nd);
      for (let i = 0; i < nd; i++) {
        const j = rng.int(live.length);
        [ds[i], dd[i]] = live[j];
        live.splice(j, 1);
      }
      for (const g of gs) {
        g.insertEdges(s, d, w);
        g.deleteEdges(ds, dd);
      }
    } else if (live.length === 0 || r < 0.6) {
      const s = rng.int(4), d = rng.int(24), w = 0.25 * (1 + rng.int(4000));
      for (const g of gs) g.insertEdges(u32(s), u32(d), f64(w));
      live.push([s, d]);
    } else if (r < 0.8) {
      const j = rng.int(live.length);
      const [s, d] = live[j];
      live.splice(j, 1);
      for (const g of gs) g.deleteEdges(u32(s), u32(d));
    } else {
      // weight change: delete and re-insert with a new weight
      const j = rng.int(live.length);
      const [s, d] = live[j];
      const w = 0.25 * (1 + rng.int(4000));
      for (const g of gs) {
        g.deleteEdges(u32(s), u32(d));
        g.insertEdges(u32(s), u32(d), f64(w));
      }
    }
    check(op);
  }
}

Deno.test("structural invariants hold after every operation; ts and wasm pools are bit-identical", () => {
  for (const sampler of SAMPLERS) {
    for (const adaptive of sampler === "bingo" ? [true, false] : [true]) {
      const gs = BACKENDS.map((b) => small(sampler, b, adaptive));
      randomUpdates(gs, 11, 250, (op) => {
        for (const g of gs) assert.deepEqual(checkInvariants(g), [], `${sampler} ${g.backend} op ${op}`);
        if (gs.length === 2) {
          const a = gs[0].engine.m, b = gs[1].engine.m;
          const top = a[7];
          assert.equal(top, b[7]);
          for (let i = 0; i < top; i++) {
            if (a[i] !== b[i]) assert.fail(`${sampler}: pools differ at word ${i}`);
          }
        }
      });
      for (const g of gs) g.free();
    }
  }
});

Deno.test("Bingo with K = 1, 2, 3, 5 and 32 weight bits: invariants hold and ts and wasm pools agree", () => {
  // the kernels move group counts four groups at a time: K below 4 or not a multiple of 4 leaves lanes
  // past the groups, which must change nothing (and K = 1 reads inside its block)
  for (const weightBits of [1, 2, 3, 5, 32]) {
    const gs = BACKENDS.map((backend) =>
      new DynamicGraph({
        numVertices: 6,
        sampler: "bingo",
        backend,
        weightBits,
        fractionBits: 0,
        sparseMax: 4,
        denseMinDegree: 8,
      })
    );
    const rng = new Philox(31 + weightBits);
    const live: Array<[number, number]> = [];
    const maxW = 2 ** weightBits - 1;
    for (let op = 0; op < 400; op++) {
      if (live.length === 0 || rng.uniform() < 0.55) {
        const s = rng.int(2), d = rng.int(6);
        const w = 1 + rng.int(Math.min(maxW, 2 ** 31 - 1));
        for (const g of gs) g.insertEdges(u32(s), u32(d), f64(w));
        live.push([s, d]);
      } else {
        const [s, d] = live.splice(rng.int(live.length), 1)[0];
        for (const g of gs) g.deleteEdges(u32(s), u32(d));
      }
      for (const g of gs) assert.deepEqual(checkInvariants(g), [], `K ${weightBits} ${g.backend} op ${op}`);
      if (gs.length === 2) {
        const a = gs[0].engine.m, b = gs[1].engine.m;
        assert.equal(a[7], b[7]);
        for (let i = 0; i < a[7]; i++) {
          if (a[i] !== b[i]) assert.fail(`K ${weightBits}: pools differ at word ${i}`);
        }
      }
    }
    for (const g of gs) g.free();
  }
});

Deno.test("a graph reports its adaption settings, as given or defaulted, and its pool holds them", () => {
  const d = new DynamicGraph({ numVertices: 2 });
  assert.deepEqual([d.alpha, d.sparseMax, d.denseMinDegree], [0.4, 16, 32]);
  const g = small("bingo", "ts");
  assert.deepEqual([g.alpha, g.sparseMax, g.denseMinDegree], [0.4, 4, 8]);
  const a = new DynamicGraph({ numVertices: 2, alpha: 0.3, sparseMax: 9, denseMinDegree: 100 });
  const m = a.engine.m;
  assert.deepEqual([m[H_ALPHA_Q16], m[H_SPARSE_MAX], m[H_DENSE_MIN_DEG]], [Math.round(0.3 * 65536), 9, 100]);
  assert.deepEqual([a.alpha, a.sparseMax, a.denseMinDegree], [0.3, 9, 100]);
  for (const x of [d, g, a]) x.free();
});

Deno.test("every Bingo group kind occurs, and adaption uses less memory", () => {
  const mk = (adaptive: boolean) =>
    new DynamicGraph({
      numVertices: 2,
      sampler: "bingo",
      backend: "ts",
      adaptive,
      weightBits: 16,
      fractionBits: 0,
    });
  const a = mk(true), b = mk(false);
  const rng = new Philox(5);
  const n = 3000;
  const s = new Uint32Array(n), d = new Uint32Array(n), w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    d[i] = rng.int(2);
    // mostly small weights (dense low bits), a few large ones (sparse and one-element high bits)
    w[i] = i < 5 ? 32768 + i : i < 40 ? 4096 + rng.int(4096) : 1 + rng.int(16);
  }
  a.insertEdges(s, d, w);
  b.insertEdges(s, d, w);
  const ma = a.memoryStats(), mb = b.memoryStats();
  assert.ok(
    ma.groups.dense > 0 && ma.groups.sparse > 0 && ma.groups.regular + ma.groups.one > 0,
    JSON.stringify(ma.groups),
  );
  assert.equal(mb.groups.dense + mb.groups.sparse + mb.groups.one, 0);
  assert.ok(
    ma.blockBytesPerEdge < 0.7 * mb.blockBytesPerEdge,
    `${ma.blockBytesPerEdge} vs ${mb.blockBytesPerEdge}`,
  );
  assert.deepEqual(checkInvariants(a), []);
});

Deno.test("a deleted edge is never sampled", () => {
  for (const backend of BACKENDS) {
    for (const sampler of SAMPLERS) {
      const g = small(sampler, backend);
      const d = Uint32Array.from({ length: 20 }, (_, i) => i + 1);
      g.insertEdges(new Uint32Array(20), d, Float64Array.from(d, (x) => x * 10));
      g.deleteEdges(u32(0, 0, 0), u32(20, 3, 7)); // the heaviest, and two others
      const draws = g.sample(0, 20000, 3);
      for (const x of draws) {
        assert.ok(x !== 20 && x !== 3 && x !== 7, `${sampler} ${backend} drew deleted ${x}`);
      }
      g.free();
    }
  }
});

Deno.test("chi-square goodness of fit per vertex after seeded random updates, every sampler and backend", () => {
  for (const backend of BACKENDS) {
    for (const sampler of SAMPLERS) {
      const g = small(sampler, backend);
      randomUpdates([g], 23, 300, () => {});
      for (let v = 0; v < 4; v++) {
        const { dst, weightInt } = g.neighbors(v);
        if (dst.length < 2) continue;
        const probs = new Array(24).fill(0);
        let W = 0;
        for (let i = 0; i < dst.length; i++) W += sampler === "uniform" ? 1 : weightInt[i];
        for (let i = 0; i < dst.length; i++) probs[dst[i]] += (sampler === "uniform" ? 1 : weightInt[i]) / W;
        const draws = g.sample(v, 20000, 100 + v);
        const obs = new Array(24).fill(0);
        for (const x of draws) obs[x]++;
        const keep = probs.map((_p, i) => i).filter((i) => probs[i] > 0);
        for (let i = 0; i < 24; i++) {
          if (probs[i] === 0) assert.equal(obs[i], 0, `${sampler}: drew a non-neighbour`);
        }
        const p = gofMerged(keep.map((i) => obs[i]), keep.map((i) => probs[i]));
        assert.ok(p > 1e-4, `${sampler} ${backend} vertex ${v}: p = ${p}`);
      }
      g.free();
    }
  }
});

Deno.test("bad input gets a clear error and leaves the graph unchanged", () => {
  for (const backend of BACKENDS) {
    const g = small("bingo", backend);
    g.insertEdges(u32(0, 0, 1), u32(1, 2, 2), f64(1, 2, 3));
    const before = g.engine.m.slice(0, g.engine.m[7]);
    const same = () => assert.deepEqual(g.engine.m.slice(0, g.engine.m[7]), before);
    assert.throws(() => g.insertEdges(u32(0, 99), u32(1, 1), f64(1, 1)), /src\[1\] = 99 is not a vertex/);
    assert.throws(() => g.insertEdges(u32(0), u32(24), f64(1)), InvalidArgumentError);
    assert.throws(
      () => g.insertEdges(u32(0, 1), u32(1, 2), f64(1, -2)),
      /weights must be finite numbers > 0/,
    );
    assert.throws(() => g.insertEdges(u32(0, 1), u32(1, 2), f64(1, NaN)), /NaN/);
    assert.throws(() => g.insertEdges(u32(0), u32(1), f64(Infinity)), /finite/);
    assert.throws(() => g.insertEdges(u32(0), u32(1), f64(0.01)), /rounds to 0/);
    assert.throws(() => g.insertEdges(u32(0), u32(1), f64(1e9)), /exceeds the largest storable weight/);
    assert.throws(() => g.insertEdges(u32(0, 1), u32(1), f64(1, 1)), ShapeMismatchError);
    assert.throws(
      () => g.insertEdges([0] as unknown as Uint32Array, u32(1), f64(1)),
      /must be a Uint32Array/,
    );
    assert.throws(() => g.deleteEdges(u32(0), u32(3)), /no such edge/);
    assert.throws(() => g.insertEdges(u32(99), u32(1), f64(1)), /src\[0\] = 99 is not a vertex/);
    assert.throws(() => g.deleteEdges(u32(0), u32(99)), /dst\[0\] = 99 is not a vertex/);
    assert.throws(() => g.insertEdges(u32(0), u32(1), f64(-1)), /weight\[0\] = -1/);
    assert.throws(() => g.deleteEdges(u32(0, 0), u32(1, 1)), /\(0, 1\) 2 time\(s\): the graph has 1/);
    assert.throws(() => g.deleteEdges(u32(0, 5), u32(1, 1)), /cannot delete edge \(5, 1\)/);
    assert.throws(() => g.deleteEdges(u32(0), u32(1, 2)), ShapeMismatchError);
    same();
    assert.throws(() => g.sample(5, 10, 1), /vertex 5 has no out-edges/);
    assert.throws(() => g.sample(30, 10, 1), /u must be an integer in \[0, 23\]/);
    assert.throws(() => g.sample(0, 10, -1), /seed/);
    assert.throws(() => new DynamicGraph({ numVertices: 0 }), /numVertices/);
    assert.throws(
      () => new DynamicGraph({ numVertices: 3, sampler: "magic" as SamplerName }),
      /sampler must be one of/,
    );
    assert.throws(() => new DynamicGraph({ numVertices: 3, backend: "cuda" as "ts" }), /unknown backend/);
    // a valid delete after the rejected ones still works
    g.deleteEdges(u32(0), u32(1));
    assert.equal(g.degree(0), 1);
    g.free();
  }
});

Deno.test("a batch's deletes may take edges its inserts add, and no more", async () => {
  for (const backend of BACKENDS) {
    const g = small("bingo", backend);
    g.insertEdges(u32(0, 1), u32(1, 2), f64(1, 3));
    const before = g.engine.m.slice(0, g.engine.m[7]);
    await assert.rejects(
      () =>
        g.applyBatch({
          insert: { src: u32(0), dst: u32(3), weight: f64(1) },
          delete: { src: u32(0, 0), dst: u32(3, 3) },
        }),
      /cannot delete edge \(0, 3\) 2 time\(s\): the graph \(with this batch's inserts\) has 1/,
    );
    assert.deepEqual(g.engine.m.slice(0, g.engine.m[7]), before);
    await g.applyBatch({
      insert: { src: u32(0, 4, 0), dst: u32(3, 1, 3), weight: f64(1, 2, 3) },
      delete: { src: u32(0, 0, 1), dst: u32(3, 1, 2) },
    });
    assert.equal(g.numEdges, 2);
    assert.equal(g.engine.countEdges(0, 3), 1);
    assert.equal(g.engine.countEdges(4, 1), 1);
    assert.deepEqual(checkInvariants(g), []);
  }
});

Deno.test("a batch is grouped by source alike through an array over the vertices and by sorting", () => {
  const rng = new Philox(11, 2);
  for (const [n, ni, nd] of [[7, 40, 25], [1000, 30, 12], [50, 0, 9], [50, 9, 0], [3, 1, 1]]) {
    const draw = (k: number, m: number) => Uint32Array.from({ length: k }, () => rng.int(m));
    const insSrc = draw(ni, n),
      insDst = draw(ni, n),
      insW = draw(ni, 100),
      delSrc = draw(nd, n),
      delDst = draw(nd, n);
    const dense = buildStage(n, insSrc, insDst, insW, delSrc, delDst, "dense");
    const sorted = buildStage(n, insSrc, insDst, insW, delSrc, delDst, "sorted");
    assert.deepEqual(sorted, dense);
    // the reference: each touched vertex ascending, with its edits in batch order
    const touched = [...new Set([...insSrc, ...delSrc])].sort((a, b) => a - b);
    assert.deepEqual([...dense.vertices], touched);
    touched.forEach((v, r) => {
      const ins = [...insSrc.keys()].filter((i) => insSrc[i] === v).flatMap((i) => [insDst[i], insW[i]]);
      const del = [...delSrc.keys()].filter((i) => delSrc[i] === v).map((i) => delDst[i]);
      const io = dense.insStart[r], ic = dense.insCount[r], dOff = dense.delStart[r], dc = dense.delCount[r];
      assert.deepEqual([...dense.ins.subarray(2 * io, 2 * (io + ic))], ins);
      assert.deepEqual([...dense.del.subarray(dOff, dOff + dc)], del);
    });
  }
});

Deno.test("walks stop at vertices without out-edges and agree across backends and thread counts", async () => {
  const gs = BACKENDS.map((b) => small("bingo", b));
  randomUpdates(gs, 31, 200, () => {});
  for (const g of gs) g.insertEdges(u32(1, 2, 3), u32(5, 5, 5), f64(1, 1, 1)); // 5 has no out-edges
  const starts = Uint32Array.from({ length: 64 }, (_, i) => i % 6);
  const walks = await Promise.all(gs.map((g) => g.deepWalk({ starts, length: 12, seed: 9 })));
  const w = walks[0];
  for (let i = 0; i < starts.length; i++) {
    const row = w.subarray(12 * i, 12 * i + 12);
    assert.equal(row[0], starts[i]);
    for (let s = 1; s < 12; s++) {
      if (row[s] === 0xffffffff) {
        assert.equal(
          gs[0].degree(row[s - 1] === 0xffffffff ? 0 : row[s - 1]) === 0 || row[s - 1] === 0xffffffff,
          true,
        );
      } else {assert.ok(
          gs[0].countEdges(row[s - 1], row[s]) > 0,
          `step ${row[s - 1]} -> ${row[s]} is not an edge`,
        );}
    }
  }
  assert.ok(w.includes(0xffffffff));
  for (const x of walks.slice(1)) assert.deepEqual(x, w);
  if (gs.length === 2) {
    const two = await gs[1].deepWalk({ starts, length: 12, seed: 9, threads: 2 });
    assert.deepEqual(two, w);
    const n2v = await Promise.all(gs.map((g) => g.node2vec({ starts, length: 8, seed: 4, p: 0.5, q: 2 })));
    assert.deepEqual(n2v[1], n2v[0]);
    const pp = await Promise.all(gs.map((g) => g.ppr({ starts, seed: 4, alpha: 0.2 })));
    assert.deepEqual(pp[1], pp[0]);
    // dynamic scheduling over the pool (chunks claimed from a shared counter) gives the same walks
    for (const threads of [2, 3]) {
      assert.deepEqual(await gs[1].node2vec({ starts, length: 8, seed: 4, p: 0.5, q: 2, threads }), n2v[0]);
      assert.deepEqual(await gs[1].ppr({ starts, seed: 4, alpha: 0.2, threads }), pp[0]);
      assert.deepEqual(
        await gs[1].deepWalk({ starts: starts.subarray(0, 1), length: 12, seed: 9, threads }),
        w.subarray(0, 12),
      );
    }
  }
  for (const g of gs) g.free();
});

Deno.test("batched updates over the worker pool give the same graph as one thread", async () => {
  if (!walkWasmAvailable()) return;
  const a = small("bingo", "wasm"), b = small("bingo", "wasm");
  const rng = new Philox(77);
  const n = 2000;
  const s = new Uint32Array(n), d = new Uint32Array(n), w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s[i] = rng.int(24);
    d[i] = rng.int(24);
    w[i] = 1 + rng.int(2000);
  }
  await a.applyBatch({
    insert: { src: s, dst: d, weight: w },
    delete: { src: s.slice(0, 700), dst: d.slice(0, 700) },
  });
  await b.applyBatch({
    insert: { src: s, dst: d, weight: w },
    delete: { src: s.slice(0, 700), dst: d.slice(0, 700) },
  }, {
    threads: 2,
  });
  assert.deepEqual(checkInvariants(b), []);
  assert.equal(b.numEdges, n - 700);
  for (let v = 0; v < 24; v++) assert.deepEqual(b.neighbors(v), a.neighbors(v));
  const starts = Uint32Array.from({ length: 100 }, (_, i) => i % 24);
  assert.deepEqual(
    await b.deepWalk({ starts, length: 10, seed: 1 }),
    await a.deepWalk({ starts, length: 10, seed: 1 }),
  );
  // work in flight on the workers locks the graph: a batch against everything, walks against edits
  const one = (x: number) => Uint32Array.of(x);
  const pending = b.applyBatch({ insert: { src: one(1), dst: one(2), weight: Float64Array.of(3) } }, {
    threads: 2,
  });
  assert.throws(() => b.insertEdges(one(1), one(3), Float64Array.of(1)), InvalidArgumentError);
  await assert.rejects(b.deepWalk({ starts, length: 4, seed: 1 }), InvalidArgumentError);
  assert.throws(() => b.free(), InvalidArgumentError);
  await pending;
  const walking = b.deepWalk({ starts, length: 10, seed: 3, threads: 2 });
  assert.throws(() => b.deleteEdges(one(1), one(2)), /walk call\(s\) on worker threads/);
  assert.throws(() => b.free(), InvalidArgumentError);
  assert.equal(b.countEdges(1, 2), a.countEdges(1, 2) + 1);
  await walking;
  b.deleteEdges(one(1), one(2)); // usable again
  assert.equal(b.countEdges(1, 2), a.countEdges(1, 2));
  assert.equal(b.numEdges, a.numEdges);
  assert.deepEqual(checkInvariants(b), []);
  a.free();
  b.free();
  b.free(); // a second free is a no-op
  await shutdownPools();
});
