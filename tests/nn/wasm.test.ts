import assert from "node:assert/strict";
import { Philox } from "../../lib/core/rng.ts";
import { shutdownPools } from "../../lib/runtime/pool.ts";
import * as nn from "../../lib/nn/mod.ts";

/** Loss and every gradient of a small MoE transformer plus the hot ops, on the current backend. */
function lossAndGrads(): { loss: number; grads: Float32Array[]; extra: number[] } {
  const lm = new nn.Transformer({
    vocabSize: 13,
    maxLen: 40,
    dModel: 32,
    nHeads: 4,
    nLayers: 2,
    seed: 3,
    moe: { experts: 3, topK: 2 },
  });
  const rng = new Philox(2, 0);
  const ids = Int32Array.from({ length: 2 * 37 }, () => rng.int(13));
  const targets = Int32Array.from({ length: 2 * 37 }, () => rng.int(13));
  const loss = nn.crossEntropy(lm.forward(ids, 2, 37), targets);
  loss.backward();
  // layerNorm, softmax, segmentSum are not in the transformer: exercise them too
  const x = nn.tensor(Array.from({ length: 9 * 19 }, () => rng.normal()), [9, 19], { requiresGrad: true });
  const g = nn.tensor(Array.from({ length: 19 }, () => 1 + rng.normal()), [19], { requiresGrad: true });
  const b = nn.tensor(Array.from({ length: 19 }, () => rng.normal()), [19], { requiresGrad: true });
  const y = nn.segmentSum(nn.softmax(nn.layerNorm(x, g, b)), [0, 1, 2, 0, 1, 2, 0, 1, 2], 3);
  nn.mul(y, y).sum().backward();
  const grads = [...lm.parameters(), x, g, b].map((p) => Float32Array.from(p.grad!.data));
  return { loss: loss.item(), grads, extra: Array.from(y.data) };
}

function maxRelDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  a.forEach((x, i) => x.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i][j]) / (1e-3 + Math.abs(v))))));
  return m;
}

Deno.test("wasm (SIMD, 1 and 2 threads; scalar matmul) agrees with the ts reference on a MoE transformer", async () => {
  try {
    const ref = lossAndGrads();
    for (const opts of [{ threads: 1 }, { threads: 2 }, { threads: 1, variant: "scalar" as const }]) {
      await nn.setBackend({ backend: "wasm", ...opts });
      assert.equal(nn.getBackend().backend, "wasm");
      const got = nn.tidy(() => lossAndGrads());
      assert.ok(
        Math.abs(got.loss - ref.loss) < 1e-4 * ref.loss,
        `${JSON.stringify(opts)}: loss ${got.loss} vs ${ref.loss}`,
      );
      const d = maxRelDiff(ref.grads, got.grads);
      assert.ok(d < 2e-3, `${JSON.stringify(opts)}: gradients differ by ${d}`);
      assert.ok(maxRelDiff([Float32Array.from(ref.extra)], [Float32Array.from(got.extra)]) < 1e-4);
    }
  } finally {
    nn.shutdownNN();
    shutdownPools();
  }
});

Deno.test("a small transformer on wasm learns the corpus: eval loss well below the unigram baseline", async () => {
  try {
    await nn.setBackend({ backend: "wasm", threads: 1 });
    const r = await nn.trainLanguageModel({
      model: { maxLen: 32, dModel: 32, nHeads: 2, nLayers: 1 },
      steps: 80,
      batch: 8,
      seqLen: 32,
      lr: 1e-2,
      trainExamples: 1000,
      testExamples: 100,
      quiet: true,
      seed: 2,
    });
    assert.ok(r.finalEvalLoss < 0.75 * r.unigramNats, `eval ${r.finalEvalLoss} vs unigram ${r.unigramNats}`);
    assert.ok(r.curve[r.curve.length - 1].train < r.curve[0].train);
    // generation is deterministic for a seed
    const p = [nn.BOS, ...nn.tokenizer.encode("S1+2=")];
    const a = r.model.generate(p, { maxNewTokens: 10, temperature: 0.8, seed: 5 });
    const b = r.model.generate(p, { maxNewTokens: 10, temperature: 0.8, seed: 5 });
    assert.deepEqual(a.tokens, b.tokens);
  } finally {
    nn.shutdownNN();
    shutdownPools();
  }
});
