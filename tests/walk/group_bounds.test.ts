// Bingo's alias table over bounded group masses (lib/walk/layout.ts groupBound / boundHolds): a streaming
// edit that keeps every count inside its bound's window leaves the table alone, the draws still follow the
// weights exactly (a picked group is kept with probability c / B), a count that leaves its window rebuilds
// the table, and the ts engine and the wasm kernels make the same tables and the same draws. And the
// adaption countdown: skipping the adaption pass while it covers the edits changes no decision.
import assert from "node:assert/strict";
import { checkInvariants, DynamicGraph, walkWasmAvailable } from "../../lib/walk/mod.ts";
import { boundHolds, groupBound, H_K, keepDense, VH_AUX } from "../../lib/walk/layout.ts";
import { Philox } from "../../lib/core/rng.ts";
import { WalkRng } from "../../lib/walk/engine.ts";
import { shutdownPools } from "../../lib/runtime/pool.ts";
import { gofMerged, smallThresholdGraph } from "./helpers.ts";

const BACKENDS = walkWasmAvailable() ? (["ts", "wasm"] as const) : (["ts"] as const);
if (!walkWasmAvailable()) console.log("group_bounds: wasm kernels unavailable, ts engine only");
const DEG = 600;

/** A star 0 -> 1..DEG with seeded weights in [1, 2^10). */
function star(backend: "ts" | "wasm"): DynamicGraph {
  const g = new DynamicGraph({
    numVertices: DEG + 1,
    sampler: "bingo",
    backend,
    fractionBits: 0,
    weightBits: 12,
  });
  const rng = new Philox(5);
  const dst = Uint32Array.from({ length: DEG }, (_, i) => i + 1);
  g.insertEdges(new Uint32Array(DEG), dst, Float64Array.from(dst, () => 1 + rng.int(1023)));
  return g;
}

/** Vertex 0's group counts, bounds and alias table words. */
function groups(g: DynamicGraph): { counts: number[]; bounds: number[]; table: number[] } {
  const m = g.engine.m, K = m[H_K], gb = m[g.engine.vh(0) + VH_AUX];
  return {
    counts: Array.from(m.subarray(gb, gb + K)),
    bounds: Array.from(m.subarray(gb + 6 * K, gb + 7 * K)),
    table: Array.from(m.subarray(gb + 4 * K, gb + 6 * K)),
  };
}

/** WalkRng fed with given words, then with a Philox stream. */
class FedRng extends WalkRng {
  #words: number[];
  #rest = new Philox(11);
  constructor(words: number[]) {
    super(0, 0);
    this.#words = [...words];
  }
  override nextU32(): number {
    return this.#words.shift() ?? this.#rest.nextU32();
  }
}

Deno.test("WalkRng.int equals Lemire's method in 64-bit integers, rejections included", () => {
  const rng = new Philox(3);
  const cases = [1, 2, 3, 7, 1000, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 1];
  for (let i = 0; i < 200; i++) cases.push(1 + rng.int(i % 2 ? 2 ** 27 : 40));
  const T = 2n ** 32n;
  let rejections = 0;
  for (const b of cases) {
    const B = BigInt(b), t = T % B;
    for (const u of [0, 1, b - 1, 2 ** 32 - 1, 2 ** 31, ...Array.from({ length: 40 }, () => rng.nextU32())]) {
      // reference: a word whose low product word is below 2^32 mod b is rejected and the next word decides
      const rest = new Philox(11);
      let want = -1;
      for (let w = u; want < 0; w = rest.nextU32()) {
        const x = BigInt(w) * B;
        if ((x & (T - 1n)) < t) rejections++;
        else want = Number(x >> 32n);
      }
      assert.equal(new FedRng([u]).int(b), want, `int(${b}) with u = ${u}`);
    }
  }
  assert.ok(rejections > 0, "no case exercised a rejection");
});

Deno.test("keepDense is the exact 64-bit comparison and keeps ceil(num c / b) of a split side's words", () => {
  const rng = new Philox(21);
  const T = 2n ** 32n;
  const words = [0, 1, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1];
  let checked = 0;
  for (let i = 0; i < 3000; i++) {
    const c = i % 3 === 0 ? 1 + rng.int(2 ** 31) : 1 + rng.int(5000);
    const b = c + rng.int((c >>> 2) + 2); // a bound in the count's window, or one past it
    const t = i % 7 === 0 ? words[i % words.length] : rng.nextU32();
    for (const u of [rng.nextU32(), t, t - 1, t + 1, ...words].filter((x) => x >= 0 && x < 2 ** 32)) {
      const small = u < t;
      const off = BigInt(small ? u : u - t), num = small ? BigInt(t) : T - BigInt(t);
      assert.equal(keepDense(u, t, c, b), off * BigInt(b) < num * BigInt(c), `u ${u} t ${t} c ${c} b ${b}`);
      checked++;
    }
  }
  assert.ok(checked > 20000);
  // every word of a side, counted: ceil(num c / b) are kept
  const count = (from: number, to: number, t: number, c: number, b: number) => {
    let kept = 0;
    for (let u = from; u < to; u++) if (keepDense(u, t, c, b)) kept++;
    return kept;
  };
  for (const [t, c, b] of [[1000, 700, 800], [999, 1, 2], [5, 3, 4]]) {
    assert.equal(count(0, t, t, c, b), Math.ceil((t * c) / b), `small side of t = ${t}`);
  }
  for (const [t, c, b] of [[2 ** 32 - 1000, 633, 712], [2 ** 32 - 5, 3, 4], [2 ** 32 - 1, 9, 11]]) {
    assert.equal(count(t, 2 ** 32, t, c, b), Math.ceil(((2 ** 32 - t) * c) / b), `alias side of t = ${t}`);
  }
});

Deno.test("bounded group masses: edits inside the windows keep the table, draws stay exact, ts = wasm", () => {
  const graphs = BACKENDS.map(star);
  for (const g of graphs) {
    const s = groups(g);
    assert.deepEqual(s.bounds, s.counts.map(groupBound), "a fresh table's bounds");
  }
  const built = groups(graphs[0]);
  let before = built;
  // streaming pairs: insert an edge to a random neighbour with a random weight, delete another edge
  const rng = new Philox(9);
  let kept = 0;
  for (let i = 0; i < 60; i++) {
    const have = graphs[0].neighbors(0).dst;
    const d = 1 + rng.int(DEG), w = 1 + rng.int(1023), del = have[rng.int(have.length)];
    for (const g of graphs) {
      g.insertEdges(Uint32Array.of(0), Uint32Array.of(d), Float64Array.of(w));
      g.deleteEdges(Uint32Array.of(0), Uint32Array.of(del));
    }
    const now = groups(graphs[0]);
    if (now.counts.every((c, k) => boundHolds(c, before.bounds[k]))) {
      // no count left its window: no rebuild, the table and bounds are the ones of the pair before
      assert.deepEqual(now.table, before.table, `pair ${i}: table rebuilt inside the windows`);
      assert.deepEqual(now.bounds, before.bounds, `pair ${i}: bounds`);
      kept++;
    } else assert.deepEqual(now.bounds, now.counts.map(groupBound), `pair ${i}: bounds after a rebuild`);
    before = now;
  }
  assert.ok(kept > 30, `only ${kept} of 60 pairs kept the table`);
  const after = groups(graphs[0]);
  // the draws below come from a table whose bounds no longer match the counts it was built for
  assert.notDeepEqual(after.counts, built.counts, "the counts moved away from the build");
  for (const g of graphs) assert.deepEqual(checkInvariants(g), []);
  // the tables, bounds and draws of the two backends are the same words
  for (const g of graphs.slice(1)) assert.deepEqual(groups(g), after);
  const draws = graphs.map((g) => g.sample(0, 60000, 77));
  for (const d of draws.slice(1)) assert.deepEqual(d, draws[0], "ts and wasm draws");
  // exact: the draws fit the weights although the table is over bounds, not counts
  const { dst, weightInt } = graphs[0].neighbors(0);
  const probs = new Array(DEG + 1).fill(0);
  let W = 0;
  for (let i = 0; i < dst.length; i++) W += weightInt[i];
  for (let i = 0; i < dst.length; i++) probs[dst[i]] += weightInt[i] / W;
  const obs = new Array(DEG + 1).fill(0);
  for (const x of draws[0]) obs[x]++;
  const keep = probs.map((_p, i) => i).filter((i) => probs[i] > 0);
  const p = gofMerged(keep.map((i) => obs[i]), keep.map((i) => probs[i]));
  assert.ok(p > 1e-4, `chi-square p = ${p}`);
  for (const g of graphs) g.free();
});

Deno.test("bounded group masses: a one-member group (bound 2) is drawn at its weight's share", () => {
  for (const backend of BACKENDS) {
    // one edge of weight 2^10 (a group of 1, bound 2: kept half the time) and 599 of weight 1 (bound 674)
    const g = new DynamicGraph({
      numVertices: 601,
      sampler: "bingo",
      backend,
      fractionBits: 0,
      weightBits: 12,
    });
    const dst = Uint32Array.from({ length: 600 }, (_, i) => i + 1);
    g.insertEdges(new Uint32Array(600), dst, Float64Array.from(dst, (d) => (d === 1 ? 1024 : 1)));
    const s = groups(g);
    assert.deepEqual([s.counts[0], s.bounds[0], s.counts[10], s.bounds[10]], [599, 674, 1, 2]);
    const n = 200000, heavy = g.sample(0, n, 3).filter((x) => x === 1).length;
    // exact share 1024 / 1623 = 0.631; the bounded masses alone would give 2048 / 2722 = 0.752
    const p = 1024 / 1623, sd = Math.sqrt((p * (1 - p)) / n);
    assert.ok(Math.abs(heavy / n - p) < 5 * sd, `${backend}: heavy edge drawn ${heavy / n}, expected ${p}`);
    g.free();
  }
});

Deno.test("bounded group masses: a count that leaves its window rebuilds the table with fresh bounds", () => {
  for (const backend of BACKENDS) {
    const g = star(backend);
    const { dst, weightInt } = g.neighbors(0);
    // delete every edge with bit 9 set: group 9's count drops to 0, far below its window
    const del = Array.from(dst).filter((_d, i) => (weightInt[i] >>> 9) & 1);
    assert.ok(del.length > 100);
    g.deleteEdges(new Uint32Array(del.length), Uint32Array.from(del));
    const s = groups(g);
    assert.equal(s.counts[9], 0);
    assert.deepEqual(s.bounds, s.counts.map(groupBound), `${backend}: bounds after the rebuild`);
    assert.deepEqual(checkInvariants(g), []);
    // one by one: deleting edges of group 8 keeps its bound until its count leaves the window, then rebuilds
    const k = 8, b0 = s.bounds[k];
    let c = s.counts[k];
    const rest = g.neighbors(0);
    const inK = Array.from(rest.dst).filter((_d, i) => (rest.weightInt[i] >>> k) & 1);
    for (const d of inK) {
      g.deleteEdges(Uint32Array.of(0), Uint32Array.of(d));
      c--;
      const now = groups(g);
      assert.equal(now.counts[k], c);
      if (c === 0 || !boundHolds(c, b0)) {
        assert.equal(
          now.bounds[k],
          groupBound(c),
          `${backend}: group ${k} rebuilt when ${c} left ${b0}'s window`,
        );
        break;
      }
      assert.equal(now.bounds[k], b0, `${backend}: group ${k} rebuilt at count ${c} inside ${b0}'s window`);
    }
    assert.deepEqual(checkInvariants(g), []);
    g.free();
  }
});

Deno.test("adaption countdown: skipping the pass while it covers the edits changes no group decision", () => {
  for (const backend of BACKENDS) {
    // small thresholds, so that dense <-> listed and sparse <-> regular changes happen often
    const make = () => smallThresholdGraph(backend, 6);
    const [a, forced] = [make(), make()];
    const rng = new Philox(21);
    const live: Array<[number, number]> = [];
    let skipped = 0, changes = 0;
    const kinds = (g: DynamicGraph) => {
      const m = g.engine.m, K = m[H_K], out: number[] = [];
      for (let v = 0; v < 6; v++) {
        const gb = m[g.engine.vh(v) + VH_AUX];
        for (let k = 0; gb !== 0 && k < K; k++) out.push(m[gb + K + k] & 255);
      }
      return out;
    };
    let before = kinds(a);
    for (let i = 0; i < 1500; i++) {
      // force the pass on every edit of `forced` (countdown 0), as before the countdown existed
      const fm = forced.engine.m, K = fm[H_K];
      for (let v = 0; v < 6; v++) {
        const gb = fm[forced.engine.vh(v) + VH_AUX];
        if (gb !== 0) fm[gb + 8 * K - 1] = 0;
      }
      // an edit of a vertex whose countdown is positive skips the pass in `a`
      const counted = (s: number) => {
        const gb = a.engine.m[a.engine.vh(s) + VH_AUX];
        if (gb !== 0 && a.engine.m[gb + 8 * K - 1] > 0) skipped++;
      };
      // one edit, or (one step in four) a batch of 2-5, whose refresh sees several edits per vertex
      const n = rng.int(4) === 0 ? 2 + rng.int(4) : 1;
      const del = live.length >= n && rng.int(live.length < 150 ? 3 : 2) === 0;
      if (del) {
        const edges = Array.from({ length: n }, () => live.splice(rng.int(live.length), 1)[0]);
        for (const s of new Set(edges.map(([s]) => s))) counted(s);
        const src = Uint32Array.from(edges, ([s]) => s), dst = Uint32Array.from(edges, ([, d]) => d);
        for (const g of [a, forced]) g.deleteEdges(src, dst);
      } else {
        const src = Uint32Array.from({ length: n }, () => rng.int(3));
        const dst = Uint32Array.from(src, () => rng.int(6)),
          w = Float64Array.from(src, () => 1 + rng.int(1023));
        src.forEach((s, e) => live.push([s, dst[e]]));
        for (const s of new Set(src)) counted(s);
        for (const g of [a, forced]) g.insertEdges(src, dst, w);
      }
      const now = kinds(a);
      assert.deepEqual(now, kinds(forced), `${backend}: edit ${i}: group kinds`);
      // every count inside its bound's window, the tables over the bounds, no group due a kind change
      assert.deepEqual(checkInvariants(a), [], `${backend}: edit ${i}: invariants`);
      if (now.join() !== before.join()) changes++;
      before = now;
    }
    assert.ok(skipped > 300, `${backend}: the countdown skipped only ${skipped} of 1500 passes`);
    assert.ok(changes > 20, `${backend}: only ${changes} kind changes happened`);
    for (const g of [a, forced]) assert.deepEqual(checkInvariants(g), []);
    for (let v = 0; v < 3; v++) {
      if (a.degree(v) > 0) assert.deepEqual(a.sample(v, 2000, 5), forced.sample(v, 2000, 5));
    }
    a.free();
    forced.free();
  }
});

Deno.test({ name: "group_bounds: release the worker pools", fn: shutdownPools });
