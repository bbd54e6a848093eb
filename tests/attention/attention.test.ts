import assert from "node:assert/strict";
import {
  ATTENTION_METHODS,
  decodeAttention,
  type DecodeStats,
  emptyState,
  mergeStates,
  modelledKVBytes,
  planAttention,
  PrefixKVCache,
  referenceAttention,
  type SoftmaxState,
  stateOutput,
} from "../../lib/attention/mod.ts";
import { InvalidArgumentError, ShapeMismatchError } from "../../lib/core/errors.ts";
import { Philox } from "../../lib/core/rng.ts";
import { shutdownPools } from "../../lib/runtime/pool.ts";
import { maxRowRelError, random, randomTree } from "./helpers.ts";

const TOL = 1e-4;
type Run = { backend: "ts" | "wasm"; threads?: number };
const RUNS: Run[] = [{ backend: "ts" }, { backend: "wasm", threads: 1 }, { backend: "wasm", threads: 2 }];

async function checkAll(
  tree: PrefixKVCache,
  requests: { leaf: number; q: Float32Array }[],
  numHeads: number,
  label: string,
  extra: { groupSize?: number; chunkSize?: number; balance?: boolean } = {},
): Promise<void> {
  const ref = referenceAttention(tree, requests, numHeads);
  for (const method of ATTENTION_METHODS) {
    for (const run of RUNS) {
      const out = await decodeAttention(tree, requests, { numHeads, method, ...run, ...extra });
      assert.equal(out.length, requests.length * numHeads * tree.headDim);
      const err = maxRowRelError(out, ref, tree.headDim);
      assert.ok(err <= TOL, `${label}: ${method} ${run.backend}x${run.threads ?? 1} rel error ${err}`);
    }
  }
}

Deno.test("every method and backend equals the float64 reference on random trees (GQA 1 and 4, ragged d)", async () => {
  const rng = new Philox(5);
  for (const [hkv, d, ratio] of [[1, 64, 1], [2, 7, 4], [1, 128, 4], [3, 13, 1], [2, 66, 2]]) {
    const { tree, requests, numHeads } = randomTree(rng, {
      hkv,
      d,
      ratio,
      nodes: 12,
      maxLen: 45,
      requests: 9,
    });
    await checkAll(tree, requests, numHeads, `hkv ${hkv} d ${d} r ${ratio}`, { groupSize: 3, chunkSize: 17 });
  }
});

Deno.test("edge cases: empty suffix, zero-length and single-token nodes, batch 1, more queries than G", async () => {
  const rng = new Philox(6);
  const d = 9, tree = new PrefixKVCache({ numKvHeads: 1, headDim: d });
  const root = tree.addNode(-1, random(40 * d, rng), random(40 * d, rng));
  const zero = tree.addNode(root, new Float32Array(0), new Float32Array(0)); // zero-length internal node
  const one = tree.addNode(zero, random(d, rng), random(d, rng)); // single token
  const empty = tree.addNode(one, new Float32Array(0), new Float32Array(0)); // empty suffix
  await checkAll(tree, [{ leaf: empty, q: random(d, rng) }], 1, "batch 1, empty suffix");
  // 11 requests on the same node with G = 4: three groups
  const leaves = Array.from({ length: 11 }, () => tree.addNode(one, random(3 * d, rng), random(3 * d, rng)));
  const reqs = leaves.map((leaf) => ({ leaf, q: random(d, rng) }));
  await checkAll(tree, reqs, 1, "11 queries, G 4", { groupSize: 4, chunkSize: 8 });
  // a request whose whole context is empty gets zeros (lse = -inf), never NaN
  const lone = tree.addNode(-1, new Float32Array(0), new Float32Array(0));
  for (const run of RUNS) {
    const out = await decodeAttention(tree, [{ leaf: lone, q: random(d, rng) }, reqs[0]], {
      numHeads: 1,
      ...run,
    });
    assert.deepEqual([...out.subarray(0, d)], new Array(d).fill(0));
    assert.ok(out.subarray(d).every(Number.isFinite));
  }
});

Deno.test("edge cases: depth >= 64 chains of single tokens, scores scaled x100, all-equal scores", async () => {
  const rng = new Philox(7);
  const d = 16, tree = new PrefixKVCache({ numKvHeads: 2, headDim: d });
  let node = -1;
  const chain: number[] = [];
  for (let i = 0; i < 70; i++) chain.push(node = tree.addNode(node, random(2 * d, rng), random(2 * d, rng)));
  const reqs = [chain[69], chain[64], chain[3]].map((leaf) => ({ leaf, q: random(4 * d, rng) }));
  assert.equal(tree.path(chain[69]).length, 70);
  await checkAll(tree, reqs, 4, "depth 70", { groupSize: 2, chunkSize: 1 });
  const hot = reqs.map((r) => ({ leaf: r.leaf, q: r.q.map((x) => x * 100) }));
  await checkAll(tree, hot, 4, "scores x100");
  const flat = reqs.map((r) => ({ leaf: r.leaf, q: new Float32Array(4 * d) }));
  await checkAll(tree, flat, 4, "all-equal scores");
  // all-equal scores: the output is the plain mean of the values on the path
  const out = await decodeAttention(tree, [flat[2]], { numHeads: 4, backend: "wasm" });
  const path = tree.path(flat[2].leaf).map((id) => tree.node(id));
  for (let c = 0; c < d; c++) {
    let s = 0, n = 0;
    for (const nd of path) for (let t = 0; t < nd.length; t++, n++) s += nd.v[t * 2 * d + c];
    assert.ok(Math.abs(out[c] - s / n) < 1e-5);
  }
});

Deno.test("invariants: re-chunking, G, balancing and threads do not change results; shared equals FlashDecoding", async () => {
  const rng = new Philox(8);
  const { tree, requests, numHeads } = randomTree(rng, {
    hkv: 2,
    d: 32,
    ratio: 2,
    nodes: 10,
    maxLen: 60,
    requests: 12,
  });
  const base = await decodeAttention(tree, requests, {
    numHeads,
    method: "flashdecoding",
    backend: "wasm",
    threads: 1,
  });
  for (const chunkSize of [1, 5, 32, 1000]) {
    for (const groupSize of [1, 3, 64]) {
      for (const balance of [true, false]) {
        const out = await decodeAttention(tree, requests, {
          numHeads,
          method: "shared-prefix",
          backend: "wasm",
          threads: 2,
          chunkSize,
          groupSize,
          balance,
        });
        assert.ok(
          maxRowRelError(out, base, 32) < 2e-5,
          `chunk ${chunkSize} G ${groupSize} balance ${balance}`,
        );
      }
    }
  }
});

Deno.test("a single-leaf tree equals plain decode over the concatenated context", async () => {
  const rng = new Philox(9);
  const d = 24, s = 2 * d;
  const parts = [30, 0, 1, 77].map((L) => ({ k: random(L * s, rng), v: random(L * s, rng) }));
  const tree = new PrefixKVCache({ numKvHeads: 2, headDim: d });
  let node = -1;
  for (const p of parts) node = tree.addNode(node, p.k, p.v);
  const flat = new PrefixKVCache({ numKvHeads: 2, headDim: d });
  const cat = (xs: Float32Array[]) => {
    const out = new Float32Array(xs.reduce((a, x) => a + x.length, 0));
    let o = 0;
    for (const x of xs) out.set(x, (o += x.length) - x.length);
    return out;
  };
  const single = flat.addNode(-1, cat(parts.map((p) => p.k)), cat(parts.map((p) => p.v)));
  const q = random(8 * d, rng);
  const want = referenceAttention(flat, [{ leaf: single, q }], 8);
  for (const method of ATTENTION_METHODS) {
    const out = await decodeAttention(tree, [{ leaf: node, q }], { numHeads: 8, method, backend: "wasm" });
    assert.ok(maxRowRelError(out, want, d) < TOL);
  }
});

Deno.test("merge is exact, NaN-safe, commutative and associative", () => {
  const rng = new Philox(10);
  const d = 5;
  const seg = (n: number): SoftmaxState => {
    const s = Array.from({ length: n }, () => rng.uniform() * 20 - 10);
    const v = Array.from({ length: n }, () => random(d, rng));
    const m = Math.max(...s);
    const o = new Float64Array(d);
    let l = 0;
    s.forEach((x, i) => {
      const p = Math.exp(x - m);
      l += p;
      for (let c = 0; c < d; c++) o[c] += p * v[i][c];
    });
    return { m, l, o };
  };
  const parts = [seg(3), seg(1), seg(7), emptyState(d), seg(2)];
  const outputs: Float64Array[] = [];
  for (let trial = 0; trial < 6; trial++) {
    const order = [...parts];
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    // left fold and a balanced tree of merges
    const left = order.reduce((a, b) => mergeStates(a, b), emptyState(d));
    const tree = mergeStates(
      mergeStates(order[0], order[1]),
      mergeStates(order[2], mergeStates(order[3], order[4])),
    );
    outputs.push(stateOutput(left), stateOutput(tree));
  }
  for (const o of outputs) for (let c = 0; c < d; c++) assert.ok(Math.abs(o[c] - outputs[0][c]) < 1e-12);
  const e = mergeStates(emptyState(d), emptyState(d));
  assert.equal(e.m, -Infinity);
  assert.equal(e.l, 0);
  assert.ok([...stateOutput(e)].every((x) => x === 0));
});

Deno.test("a decode loop: appended tokens and added/removed requests are seen by every backend", async () => {
  const rng = new Philox(11);
  const d = 8, tree = new PrefixKVCache({ numKvHeads: 1, headDim: d });
  const root = tree.addNode(-1, random(50 * d, rng), random(50 * d, rng));
  let leaves = [0, 1, 2].map(() => tree.addNode(root, new Float32Array(0), new Float32Array(0)));
  for (let step = 0; step < 12; step++) {
    const reqs = leaves.map((leaf) => ({ leaf, q: random(2 * d, rng) }));
    const ref = referenceAttention(tree, reqs, 2);
    for (const run of RUNS) {
      const out = await decodeAttention(tree, reqs, { numHeads: 2, ...run });
      assert.ok(maxRowRelError(out, ref, d) < TOL, `step ${step} ${run.backend}`);
    }
    for (const leaf of leaves) tree.appendToken(leaf, random(d, rng), random(d, rng));
    if (step === 4) {
      tree.removeNode(leaves[1]);
      leaves = [leaves[0], leaves[2], tree.addNode(root, random(3 * d, rng), random(3 * d, rng))];
    }
  }
  assert.equal(tree.node(leaves[0]).length, 12);
  assert.throws(() => tree.appendToken(root, random(d, rng), random(d, rng)), InvalidArgumentError);
  tree.removeNode(leaves[0], { prune: true });
  assert.ok(tree.has(root)); // still has children
  tree.removeNode(leaves[1], { prune: true });
  tree.removeNode(leaves[2], { prune: true });
  assert.equal(tree.size, 0);
});

Deno.test("memory accounting: the notes' 13.6x example, and the ts executor reads exactly the modelled KV bytes", async () => {
  const tree = new PrefixKVCache({ numKvHeads: 1, headDim: 4 });
  const root = tree.addNode(-1, new Float32Array(4096 * 4), new Float32Array(4096 * 4));
  const leaves = Array.from(
    { length: 64 },
    () => tree.addNode(root, new Float32Array(256 * 4), new Float32Array(256 * 4)),
  );
  const m = modelledKVBytes(tree, leaves, 64);
  assert.ok(Math.abs(m.reduction - (64 * 4352) / (4096 + 64 * 256)) < 1e-12);
  assert.equal(m.reduction.toFixed(1), "13.6");
  const rng = new Philox(12);
  const { tree: t2, requests, numHeads } = randomTree(rng, {
    hkv: 2,
    d: 6,
    ratio: 2,
    nodes: 9,
    maxLen: 30,
    requests: 10,
  });
  const leaves2 = requests.map((r) => r.leaf);
  for (const [method, G] of [["shared-prefix", 3], ["flashdecoding", 3], ["shared-prefix", 1]] as const) {
    let stats: DecodeStats | undefined;
    await decodeAttention(t2, requests, {
      numHeads,
      method,
      backend: "ts",
      groupSize: G,
      chunkSize: 7,
      onStats: (s) => (stats = s),
    });
    const model = modelledKVBytes(t2, leaves2, G);
    const want = method === "flashdecoding" ? model.flashDecodingKV : model.sharedPrefixKV;
    assert.equal(stats!.measuredKVBytes, want, method);
    assert.equal(stats!.bytes.kv, want);
  }
});

Deno.test("the balancer covers every (node, head, group) token range exactly once and evens out loads", () => {
  const tree = new PrefixKVCache({ numKvHeads: 2, headDim: 4 });
  const z = (L: number) => new Float32Array(L * 8);
  const root = tree.addNode(-1, z(2048), z(2048));
  const leaves = [
    ...Array.from({ length: 63 }, () => tree.addNode(root, z(16), z(16))),
    tree.addNode(root, z(16384), z(16384)),
  ];
  for (const balance of [true, false]) {
    const plan = planAttention(tree, leaves, {
      method: "shared-prefix",
      numHeads: 4,
      groupSize: 16,
      chunkSize: 4096,
      workers: 2,
      balance,
    });
    const seen = new Map<string, number>();
    for (const t of plan.tasks) {
      const key = `${t.node}/${t.head}/${t.rows.join(",")}`;
      seen.set(key, (seen.get(key) ?? 0) + t.count);
    }
    for (const [key, n] of seen) assert.equal(n, tree.node(Number(key.split("/")[0])).length, key);
    const all = plan.bins.flat().sort((a, b) => a - b);
    assert.deepEqual(all, plan.tasks.map((_, i) => i));
    if (balance) assert.ok(plan.imbalance < 1.05, `imbalance ${plan.imbalance}`);
    else assert.ok(plan.imbalance > 1.2, `unbalanced plan should be uneven here, got ${plan.imbalance}`);
    // every row's states: one per task on its path
    for (let row = 0; row < leaves.length * 4; row++) {
      assert.ok(plan.rowStart[row + 1] > plan.rowStart[row]);
    }
  }
});

Deno.test("bad input gets a clear, typed error", async () => {
  const tree = new PrefixKVCache({ numKvHeads: 2, headDim: 4 });
  const leaf = tree.addNode(-1, new Float32Array(16), new Float32Array(16));
  const q = new Float32Array(8);
  await assert.rejects(
    () => decodeAttention(tree, [{ leaf, q: new Float32Array(7) }], { numHeads: 2 }),
    ShapeMismatchError,
  );
  await assert.rejects(() => decodeAttention(tree, [{ leaf: 99, q }], { numHeads: 2 }), /unknown leaf/);
  await assert.rejects(
    () => decodeAttention(tree, [{ leaf, q: new Float32Array(12) }], { numHeads: 3 }),
    /multiple/,
  );
  await assert.rejects(
    () => decodeAttention(tree, [{ leaf, q }], { numHeads: 2, method: "magic" as "cascade" }),
    /allowed/,
  );
  await assert.rejects(
    () => decodeAttention(tree, [{ leaf, q }], { numHeads: 2, groupSize: 0 }),
    InvalidArgumentError,
  );
  await assert.rejects(
    () => decodeAttention(tree, [{ leaf, q }], { numHeads: 2, chunkSize: 1.5 }),
    InvalidArgumentError,
  );
  await assert.rejects(
    () => decodeAttention(tree, [{ leaf, q: q.map(() => NaN) }], { numHeads: 2 }),
    /finite/,
  );
  assert.throws(() => tree.addNode(-1, new Float32Array(16), new Float32Array(8)), ShapeMismatchError);
  assert.throws(() => tree.addNode(-1, new Float32Array(6), new Float32Array(6)), /multiple of numKvHeads/);
  assert.throws(() => tree.addNode(42, new Float32Array(8), new Float32Array(8)), /unknown parent/);
  assert.throws(() => new PrefixKVCache({ numKvHeads: 0, headDim: 4 }), InvalidArgumentError);
  const e = new Float32Array(0);
  assert.throws(
    () =>
      PrefixKVCache.fromNodes({ numKvHeads: 1, headDim: 1 }, [{ parent: 1, k: e, v: e }, {
        parent: 2,
        k: e,
        v: e,
      }, { parent: 0, k: e, v: e }]),
    /cycle/,
  );
  assert.throws(
    () => PrefixKVCache.fromNodes({ numKvHeads: 1, headDim: 1 }, [{ parent: 5, k: e, v: e }]),
    /dangling/,
  );
  const { tree: ok, ids } = PrefixKVCache.fromNodes({ numKvHeads: 1, headDim: 1 }, [
    { parent: 1, k: new Float32Array([1]), v: new Float32Array([2]) },
    { parent: -1, k: new Float32Array([3]), v: new Float32Array([4]) },
  ]);
  assert.deepEqual(ok.path(ids[0]), [ids[1], ids[0]]);
});

Deno.test("teardown", async () => {
  await shutdownPools();
});
