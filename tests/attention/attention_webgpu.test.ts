import assert from "node:assert/strict";
import {
  ATTENTION_METHODS,
  decodeAttention,
  PrefixKVCache,
  referenceAttention,
} from "../../lib/attention/mod.ts";
import { InvalidArgumentError } from "../../lib/core/errors.ts";
import { Philox } from "../../lib/core/rng.ts";
import { getGpu, gpuAvailable } from "../../lib/runtime/gpu.ts";
import { planAttention } from "../../lib/attention/plan.ts";
import { maxTaskTokens, splitLongTasks } from "../../lib/attention/webgpu.ts";
import { maxRowRelError, random, randomTree } from "./helpers.ts";

const gpu = await gpuAvailable();
if (!gpu) console.log("attention webgpu agreement not run: no WebGPU adapter in this runtime");

Deno.test({
  name: "webgpu: every method equals the float64 reference (random trees, GQA 1 and 4, ragged d, edge cases)",
  ignore: !gpu,
  fn: async () => {
    const rng = new Philox(21);
    for (const [hkv, d, ratio, G] of [[1, 64, 1, 3], [2, 7, 4, 2], [1, 128, 4, 32], [2, 33, 1, 100]]) {
      const { tree, requests, numHeads } = randomTree(rng, {
        hkv,
        d,
        ratio,
        nodes: 10,
        maxLen: 40,
        requests: 8,
      });
      // a depth-64 chain of single tokens under the first root, and logits scaled x100
      let node = tree.nodeIds()[0];
      for (let i = 0; i < 64; i++) node = tree.addNode(node, random(hkv * d, rng), random(hkv * d, rng));
      requests.push({ leaf: node, q: random(numHeads * d, rng, 100) });
      const ref = referenceAttention(tree, requests, numHeads);
      for (const method of ATTENTION_METHODS) {
        const out = await decodeAttention(tree, requests, {
          numHeads,
          method,
          backend: "webgpu",
          groupSize: G,
          chunkSize: 13,
        });
        const err = maxRowRelError(out, ref, d);
        assert.ok(err <= 1e-4, `hkv ${hkv} d ${d} r ${ratio} ${method}: rel error ${err}`);
      }
    }
  },
});

Deno.test({
  name:
    "webgpu: empty context gives zeros, a grown tree is re-uploaded, shapes beyond the shader are refused",
  ignore: !gpu,
  fn: async () => {
    const rng = new Philox(22);
    const d = 8, tree = new PrefixKVCache({ numKvHeads: 1, headDim: d });
    const root = tree.addNode(-1, random(20 * d, rng), random(20 * d, rng));
    const leaf = tree.addNode(root, new Float32Array(0), new Float32Array(0));
    const lone = tree.addNode(-1, new Float32Array(0), new Float32Array(0));
    for (let step = 0; step < 3; step++) {
      const reqs = [{ leaf, q: random(d, rng) }, { leaf: lone, q: random(d, rng) }];
      const out = await decodeAttention(tree, reqs, { numHeads: 1, backend: "webgpu" });
      const ref = referenceAttention(tree, reqs, 1);
      assert.ok(maxRowRelError(out.subarray(0, d), ref.subarray(0, d), d) < 1e-4);
      assert.ok(out.subarray(d).every((x) => x === 0));
      tree.appendToken(leaf, random(d, rng), random(d, rng));
    }
    const wide = new PrefixKVCache({ numKvHeads: 1, headDim: 256 });
    const w = wide.addNode(-1, new Float32Array(256), new Float32Array(256));
    await assert.rejects(
      () =>
        decodeAttention(wide, [{ leaf: w, q: new Float32Array(256) }], { numHeads: 1, backend: "webgpu" }),
      InvalidArgumentError,
    );
  },
});

Deno.test("splitLongTasks: pieces cover each task's tokens, every row keeps a state per piece", () => {
  const rng = new Philox(24);
  const { tree, requests, numHeads } = randomTree(rng, {
    hkv: 2,
    d: 8,
    ratio: 2,
    nodes: 6,
    maxLen: 90,
    requests: 5,
  });
  const leaves = requests.map((r) => r.leaf);
  const plan = planAttention(tree, leaves, {
    method: "shared-prefix",
    numHeads,
    groupSize: 4,
    chunkSize: 64,
    workers: 1,
    balance: false,
  });
  const split = splitLongTasks(plan, 10);
  const covered = (tasks: typeof plan.tasks) =>
    tasks.flatMap((t) =>
      Array.from({ length: t.count }, (_, i) => `${t.node}/${t.head}/${t.t0 + i}/${t.rows}`)
    )
      .sort();
  assert.deepEqual(covered(split.tasks), covered(plan.tasks));
  assert.ok(split.tasks.every((t) => t.count <= 10));
  assert.ok(split.tasks.length > plan.tasks.length);
  for (let r = 0; r + 1 < plan.rowStart.length; r++) {
    const pieces = split.tasks.filter((t) => t.rows.includes(r)).length;
    assert.equal(split.rowStart[r + 1] - split.rowStart[r], pieces, `row ${r}`);
  }
  assert.deepEqual([...new Set(split.rowStates)].sort((a, b) => a - b), [...Array(split.numStates).keys()]);
  assert.equal(splitLongTasks(plan, 1e9), plan);
});

Deno.test({
  name:
    "webgpu: tasks longer than the adapter's loop limit allows are split (2048-token chunks, 64 rows, d 128)",
  ignore: !gpu,
  fn: async () => {
    // one invocation of a 64-row task loops ~2200 times per 8 tokens: llvmpipe, which stops an
    // invocation's loops after 65535 iterations, used to return wrong rows for tasks over ~230 tokens
    const rng = new Philox(23);
    const d = 128, tree = new PrefixKVCache({ numKvHeads: 1, headDim: d });
    const root = tree.addNode(-1, random(2048 * d, rng), random(2048 * d, rng));
    const requests = Array.from({ length: 64 }, () => ({
      leaf: tree.addNode(root, random(3 * d, rng), random(3 * d, rng)),
      q: random(d, rng),
    }));
    const ref = referenceAttention(tree, requests, 1);
    const out = await decodeAttention(tree, requests, {
      numHeads: 1,
      backend: "webgpu",
      groupSize: 64,
      chunkSize: 2048,
      balance: false,
    });
    const err = maxRowRelError(out, ref, d);
    assert.ok(err <= 1e-4, `rel error ${err} (max task tokens here: ${maxTaskTokens(await getGpu())})`);
  },
});
