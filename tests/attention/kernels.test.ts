import assert from "node:assert/strict";
import { planAttention, referenceAttention } from "../../lib/attention/mod.ts";
import { PrefixKVCache } from "../../lib/attention/tree.ts";
import { type QueueSplit, runPlanWasm } from "../../lib/attention/wasm.ts";
import { speedupCeiling } from "../../lib/experiments/flashforge.ts";
import { Philox } from "../../lib/core/rng.ts";
import { shutdownPools } from "../../lib/runtime/pool.ts";
import { maxRowRelError, random, randomTree } from "./helpers.ts";

const TOL = 1e-4;

Deno.test("wasm task kernels (tiled, gemm, v1): every quad remainder, ragged d, key remainders, both schedules", async () => {
  // rows per task 1..12 (G up to 12 at GQA 1): 0-3 quads (pairs and a lone quad) and 0-3 leftover rows;
  // d 5, 6, 7 are ragged (dpad % 8 == 0 and 4); nodes up to 70 tokens leave 1-31 keys in a block and 1-7 in a
  // group of 8
  const rng = new Philox(2025, 9);
  for (const [hkv, d, ratio] of [[2, 64, 1], [1, 128, 3], [1, 128, 4], [1, 5, 1], [2, 6, 2], [1, 7, 1]]) {
    const { tree, requests, numHeads } = randomTree(rng, {
      hkv,
      d,
      ratio,
      nodes: 10,
      maxLen: 70,
      requests: 12,
    });
    const ref = referenceAttention(tree, requests, numHeads);
    const q = new Float32Array(requests.length * numHeads * d);
    requests.forEach((r, i) => q.set(r.q, i * numHeads * d));
    const leaves = requests.map((r) => r.leaf);
    for (const groupSize of [1, 2, 3, 8, 12]) {
      for (const threads of [1, 2]) {
        for (const balance of [true, false]) {
          const plan = planAttention(tree, leaves, {
            method: "shared-prefix",
            numHeads,
            groupSize,
            chunkSize: 40,
            workers: threads,
            balance,
          });
          for (const kernel of ["tiled", "gemm", "v1"] as const) {
            const out = await runPlanWasm(tree, plan, q, threads, kernel);
            const err = maxRowRelError(out, ref, d);
            assert.ok(err <= TOL, `d ${d} r ${ratio} G ${groupSize} x${threads} ${kernel}: rel error ${err}`);
          }
        }
      }
    }
    tree.dispose();
  }
});

Deno.test("gemm and tiled kernels: scores scaled x100 and all-equal scores stay finite and exact", async () => {
  const rng = new Philox(7, 3);
  const d = 32, tree = new PrefixKVCache({ numKvHeads: 1, headDim: d });
  const root = tree.addNode(-1, random(100 * d, rng, 100), random(100 * d, rng));
  const flat = tree.addNode(root, new Float32Array(40 * d).fill(0.5), random(40 * d, rng));
  const requests = Array.from(
    { length: 9 },
    (_, i) => ({ leaf: i % 2 ? flat : root, q: random(d, rng, 10) }),
  );
  const ref = referenceAttention(tree, requests, 1);
  const q = new Float32Array(9 * d);
  requests.forEach((r, i) => q.set(r.q, i * d));
  const plan = planAttention(tree, requests.map((r) => r.leaf), {
    method: "shared-prefix",
    numHeads: 1,
    groupSize: 9,
    chunkSize: 64,
    workers: 2,
  });
  for (const kernel of ["gemm", "tiled"] as const) {
    const out = await runPlanWasm(tree, plan, q, 2, kernel);
    assert.ok(out.every(Number.isFinite), `${kernel}: non-finite output`);
    const err = maxRowRelError(out, ref, d);
    assert.ok(err <= TOL, `${kernel}: rel error ${err}`);
  }
  tree.dispose();
});

Deno.test("the queue merges in the thread that completes the last task: what each thread took adds up", async () => {
  const rng = new Philox(11, 1);
  const { tree, requests, numHeads } = randomTree(rng, {
    hkv: 2,
    d: 16,
    ratio: 2,
    nodes: 12,
    maxLen: 90,
    requests: 10,
  });
  const ref = referenceAttention(tree, requests, numHeads);
  const q = new Float32Array(requests.length * numHeads * 16);
  requests.forEach((r, i) => q.set(r.q, i * numHeads * 16));
  const plan = planAttention(tree, requests.map((r) => r.leaf), {
    method: "shared-prefix",
    numHeads,
    groupSize: 4,
    chunkSize: 32,
    workers: 2,
  });
  let split: QueueSplit | undefined;
  const out = await runPlanWasm(tree, plan, q, 2, "tiled", (s) => (split = s));
  assert.ok(maxRowRelError(out, ref, 16) <= TOL);
  assert.ok(split, "onQueue was called");
  assert.equal(split.tasks.reduce((a, b) => a + b, 0), plan.tasks.length);
  const work = plan.tasks.reduce((a, t) => a + t.count * t.rows.length, 0);
  assert.equal(split.work.reduce((a, b) => a + b, 0), work);
  split.first.forEach((f, w) => {
    assert.ok(f >= 0 && f <= plan.tasks.length, `first ${f}`);
    if (split!.tasks[w] === 0) assert.equal(f, plan.tasks.length);
  });
  assert.ok(split.first.includes(0), "some thread took the first task");
  tree.dispose();
});

Deno.test("roofline ceiling: one shared node is about 2 peak / (r bandwidth); no sharing gives 1", () => {
  const d = 64, hkv = 2, L = 4096, n = 64;
  const tree = new PrefixKVCache({ numKvHeads: hkv, headDim: d });
  const root = tree.addNode(-1, new Float32Array(L * hkv * d), new Float32Array(L * hkv * d));
  const leaves = new Array(n).fill(root);
  for (const r of [1, 4]) {
    const c = speedupCeiling(tree, leaves, hkv * r, 64, 40, 10);
    assert.equal(c.flops, 4 * d * r * hkv * n * L);
    assert.equal(c.fdBytes, 8 * hkv * d * n * L);
    assert.equal(c.spBytes, 8 * hkv * d * L);
    // FD bandwidth-bound, SP compute-bound: ratio (bytes / bw) / (flops / peak) = 2 peak / (r bw)
    assert.ok(Math.abs(c.ceiling - (2 * 40) / (r * 10)) < 1e-9, `r ${r}: ${c.ceiling}`);
  }
  const solo = new PrefixKVCache({ numKvHeads: 1, headDim: d });
  const ids = Array.from(
    { length: 4 },
    () => solo.addNode(-1, new Float32Array(100 * d), new Float32Array(100 * d)),
  );
  assert.equal(speedupCeiling(solo, ids, 1, 32, 40, 10).ceiling, 1);
  tree.dispose();
  solo.dispose();
});

Deno.test("teardown", async () => {
  await shutdownPools();
});
