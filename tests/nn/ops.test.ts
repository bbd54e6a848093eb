import assert from "node:assert/strict";
import { Philox } from "../../lib/core/rng.ts";
import { InvalidArgumentError, ShapeMismatchError } from "../../lib/core/errors.ts";
import * as nn from "../../lib/nn/mod.ts";
import type { Tensor } from "../../lib/nn/mod.ts";

const rng = new Philox(11, 0);
const rnd = (shape: number[]) =>
  nn.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape, {
    dtype: "f64",
    requiresGrad: true,
  });

const TOL = 1e-6;
const cases: Record<string, [(...x: Tensor[]) => Tensor, () => Tensor[]]> = {
  "add (broadcast)": [(a, b) => nn.add(a, b).mul(a).sum(), () => [rnd([2, 3]), rnd([3])]],
  "sub (broadcast)": [(a, b) => nn.sub(a, b).mul(a).sum(), () => [rnd([2, 3]), rnd([2, 1])]],
  "mul/div": [(a, b) => nn.div(nn.mul(a, b), nn.exp(b)).sum(), () => [rnd([2, 3]), rnd([1, 3])]],
  "matmul shared b": [(a, b) => nn.tanh(nn.matmul(a, b)).sum(), () => [rnd([2, 3, 4]), rnd([4, 5])]],
  "matmul batched": [(a, b) => nn.tanh(nn.matmul(a, b)).sum(), () => [rnd([2, 3, 4]), rnd([2, 4, 5])]],
  "sum/mean axis": [
    (x, w) => nn.mean(x, 1, true).mul(w).sum().add(nn.sum(x, 0).mul(nn.sum(x, 0)).sum()),
    () => [rnd([2, 3, 4]), rnd([2, 1, 4])],
  ],
  "embedding": [
    (t, w) => nn.embedding(t, [1, 0, 1, 2], [2, 2]).mul(w).sum(),
    () => [rnd([3, 2]), rnd([2, 2, 2])],
  ],
  "gather": [(x, w) => nn.gather(x, [2, 0]).mul(w).sum(), () => [rnd([2, 3]), rnd([2])]],
  "segmentSum": [(s, w) => nn.segmentSum(s, [1, 0, 1], 2).mul(w).sum(), () => [rnd([3, 2]), rnd([2, 2])]],
  "scatterAdd": [
    (b, s, w) => nn.scatterAdd(b, [1, 1, 0], s).mul(w).sum(),
    () => [rnd([2, 2]), rnd([3, 2]), rnd([2, 2])],
  ],
  "relu": [(x) => nn.relu(x).mul(x).sum(), () => [rnd([7])]],
  "gelu": [(x) => nn.gelu(x).mul(x).sum(), () => [rnd([7])]],
  "silu": [(x) => nn.silu(x).mul(x).sum(), () => [rnd([7])]],
  "softmax": [(a, b) => nn.softmax(a).mul(b).sum(), () => [rnd([3, 5]), rnd([3, 5])]],
  "logSoftmax": [(a, b) => nn.logSoftmax(a).mul(b).sum(), () => [rnd([3, 5]), rnd([3, 5])]],
  "layerNorm": [
    (x, g, b, w) => nn.layerNorm(x, g, b).mul(w).sum(),
    () => [rnd([3, 6]), rnd([6]), rnd([6]), rnd([3, 6])],
  ],
  "rmsNorm": [(x, g, w) => nn.rmsNorm(x, g).mul(w).sum(), () => [rnd([3, 6]), rnd([6]), rnd([3, 6])]],
  "causalAttention": [
    (q, k, v, w) => nn.causalAttention(q, k, v).mul(w).sum(),
    () => [rnd([2, 2, 4, 3]), rnd([2, 2, 4, 3]), rnd([2, 2, 4, 3]), rnd([2, 2, 4, 3])],
  ],
  "crossEntropy": [(x) => nn.crossEntropy(x, [1, 0, 3]), () => [rnd([3, 4])]],
  "mseLoss": [(a, b) => nn.mseLoss(a, b), () => [rnd([2, 3]), rnd([2, 3])]],
  "l1Loss": [(a, b) => nn.l1Loss(a, b), () => [rnd([2, 3]), rnd([2, 3])]],
  "topKRouting": [(l, w) => nn.topKRouting(l, 2).weights.mul(w).sum(), () => [rnd([3, 4]), rnd([3, 2])]],
  "permute/reshape/transpose": [
    (x, w) => nn.reshape(nn.transpose(nn.permute(x, [2, 0, 1])), [4, 6]).mul(w).sum(),
    () => [rnd([2, 3, 4]), rnd([4, 6])],
  ],
};

for (const [name, [fn, make]] of Object.entries(cases)) {
  Deno.test(`gradient of ${name} matches finite differences (f64)`, () => {
    const r = nn.gradCheck(fn, make());
    assert.ok(r.checked > 0);
    assert.ok(
      r.maxRelError < TOL,
      `${name}: max relative error ${r.maxRelError} at ${JSON.stringify(r.worst)}`,
    );
  });
}

Deno.test("forward values: analytic cases", () => {
  assert.deepEqual(nn.matmul(nn.tensor([1, 2, 3, 4], [2, 2]), nn.tensor([5, 6, 7, 8], [2, 2])).toArray(), [
    19,
    22,
    43,
    50,
  ]);
  assert.deepEqual(nn.softmax(nn.tensor([0, 0])).toArray(), [0.5, 0.5]);
  assert.ok(Math.abs(nn.crossEntropy(nn.tensor([0, 0], [1, 2]), [1]).item() - Math.LN2) < 1e-6);
  assert.deepEqual(nn.segmentSum(nn.tensor([1, 2, 3], [3, 1]), [0, 1, 0], 2).toArray(), [4, 2]);
  const x = nn.tensor([1, 0, 0, 1], [1, 1, 2, 2]);
  const o = nn.causalAttention(x, x, x).toArray();
  assert.deepEqual(o.slice(0, 2), [1, 0]); // the first query sees only the first key
  const r = nn.topKRouting(nn.tensor([0, 1, 2], [1, 3]), 2);
  assert.deepEqual(Array.from(r.indices), [2, 1]);
});

Deno.test("bad input: errors name the op and the shapes", () => {
  assert.throws(
    () => nn.matmul(nn.tensor([1, 2, 3, 4, 5, 6], [2, 3]), nn.tensor([1, 2, 3, 4], [2, 2])),
    (e: Error) =>
      e instanceof ShapeMismatchError && /matmul/.test(e.message) && /\[2, 3\]/.test(e.message) &&
      /\[2, 2\]/.test(e.message),
  );
  assert.throws(
    () => nn.add(nn.tensor([1, 2, 3]), nn.tensor([1, 2])),
    (e: Error) => e instanceof ShapeMismatchError && /add/.test(e.message) && /\[3\]/.test(e.message),
  );
  assert.throws(
    () => nn.add(nn.tensor([1, 2]), nn.tensor([1, 2], [2], { dtype: "f64" })),
    (e: Error) =>
      e instanceof InvalidArgumentError && /add: wrong dtype/.test(e.message) && /f32\[2\]/.test(e.message),
  );
  assert.throws(
    () => nn.tensor(new Int32Array([1, 2])),
    (e: Error) => e instanceof InvalidArgumentError && /Int32Array/.test(e.message),
  );
  assert.throws(
    () => nn.embedding(nn.tensor([1, 2, 3, 4], [2, 2]), [0, 5]),
    (e: Error) =>
      e instanceof InvalidArgumentError && /embedding/.test(e.message) && /5/.test(e.message) &&
      /\[2, 2\]/.test(e.message),
  );
  assert.throws(() => nn.gather(nn.tensor([1, 2, 3, 4], [2, 2]), [0, -1]), /gather: index -1/);
  assert.throws(
    () => nn.crossEntropy(nn.tensor([NaN, 0], [1, 2]), [0]),
    (e: Error) =>
      e instanceof nn.NonFiniteError && /crossEntropy/.test(e.message) && /\[1, 2\]/.test(e.message),
  );
  assert.throws(() => nn.crossEntropy(nn.tensor([0, 0], [1, 2]), [2]), /crossEntropy: target 2/);
  assert.throws(() => nn.reshape(nn.tensor([1, 2, 3]), [2, 2]), /reshape/);
  assert.throws(
    () => nn.layerNorm(nn.tensor([1, 2], [1, 2]), nn.tensor([1]), nn.tensor([1, 1])),
    /layerNorm: gamma/,
  );
  assert.throws(() => nn.topKRouting(nn.tensor([1, 2], [1, 2]), 3), /topKRouting: k/);
});

Deno.test("the op log records each executed op with shapes and bytes", () => {
  const w = nn.tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
  nn.startOpLog();
  const loss = nn.matmul(nn.tensor([1, 1], [1, 2]), w).sum();
  loss.backward();
  const log = nn.stopOpLog();
  const fwd = log.filter((e) => e.phase === "forward").map((e) => e.op);
  const bwd = log.filter((e) => e.phase === "backward").map((e) => e.op);
  assert.deepEqual(fwd.slice(-2), ["matmul", "sum"]);
  assert.deepEqual(bwd, ["sum", "matmul"]);
  const mm = log.find((e) => e.op === "matmul")!;
  assert.deepEqual(mm.inputs.map((t) => t.shape), [[1, 2], [2, 2]]);
  assert.deepEqual(mm.outputs[0].shape, [1, 2]);
  assert.equal(mm.bytes, (2 + 4 + 2) * 4);
  assert.deepEqual(Array.from(w.grad!.data), [1, 1, 1, 1]);
});
