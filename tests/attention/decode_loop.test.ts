import assert from "node:assert/strict";
import { ATTENTION_METHODS, prefixDecode, PrefixDecodeSession } from "../../lib/attention/mod.ts";
import { InvalidArgumentError } from "../../lib/core/errors.ts";
import { Philox } from "../../lib/core/rng.ts";
import { setBackend, shutdownNN, Transformer } from "../../lib/nn/mod.ts";
import { shutdownPools } from "../../lib/runtime/pool.ts";

const VOCAB = 24, NEW = 6;

function model(): Transformer {
  return new Transformer({ vocabSize: VOCAB, maxLen: 64, dModel: 32, nHeads: 2, nLayers: 2, seed: 3 });
}

function prompt(seed: number) {
  const rng = new Philox(seed, 0);
  const ids = (n: number) => Array.from({ length: n }, () => rng.int(VOCAB));
  // a shared prefix and ragged suffixes, one of them empty
  return { prefix: ids(20), suffixes: [5, 0, 1, 3, 2].map(ids) };
}

/** Largest |a - b| relative to the largest |b| of the row. */
function relErr(a: Float32Array, b: Float32Array): number {
  let err = 0, mag = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    mag = Math.max(mag, Math.abs(b[i]));
  }
  return err / mag;
}

const HIDDEN_TOL = 1e-4;

Deno.test("decode loop: every method and backend gives generate()'s tokens and hidden states", async () => {
  const lm = model(), p = prompt(1);
  const refs = p.suffixes.map((s) =>
    lm.generate([...p.prefix, ...s], { maxNewTokens: NEW, hiddenStates: true })
  );
  // the check is only meaningful if the model does not emit one constant token
  assert.ok(new Set(refs.flatMap((g) => g.tokens)).size > 1, "reference generations are all one token");
  const runs = [
    { backend: "ts" as const },
    { backend: "wasm" as const, threads: 1 },
    { backend: "wasm" as const, threads: 2 },
  ];
  for (const run of runs) {
    for (const method of ATTENTION_METHODS) {
      const res = await prefixDecode(lm, p, {
        ...run,
        method,
        maxNewTokens: NEW,
        recordHidden: true,
        groupSize: 2,
      });
      const label = `${method} ${run.backend} x${run.threads ?? 1}`;
      assert.equal(res.steps.length, NEW - 1, label);
      for (let r = 0; r < p.suffixes.length; r++) {
        assert.deepEqual(res.tokens[r], refs[r].tokens, `${label} request ${r}`);
        for (let i = 0; i < NEW; i++) {
          const e = relErr(res.hidden![r][i], refs[r].hidden[i][lm.config.nLayers]);
          assert.ok(e < HIDDEN_TOL, `${label} request ${r} token ${i}: hidden rel error ${e}`);
        }
      }
    }
  }
});

Deno.test("decode loop: the shared prefix is stored once per layer; leaves grow by one token per step", async () => {
  const lm = model(), p = prompt(2);
  const s = new PrefixDecodeSession(lm, p, {
    method: "shared-prefix",
    backend: "wasm",
    threads: 1,
    maxNewTokens: 4,
  });
  try {
    assert.equal(s.trees.length, lm.config.nLayers);
    for (const tree of s.trees) {
      assert.equal(tree.size, 1 + p.suffixes.length);
      assert.equal(tree.node(s.root).length, p.prefix.length);
      assert.equal(tree.node(s.root).children, p.suffixes.length);
    }
    const st = await s.step();
    assert.ok(st.attentionMs >= 0 && st.attentionMs <= st.ms);
    assert.ok(st.kvBytes > 0);
    p.suffixes.forEach((suf, r) => assert.equal(s.trees[0].node(s.leaves[r]).length, suf.length + 1));
    await s.step();
    await s.step();
    assert.equal(s.generated, 4);
    await assert.rejects(() => s.step(), InvalidArgumentError);
  } finally {
    s.dispose();
  }
});

Deno.test("decode loop: with the nn engine on wasm, shared-prefix and flashdecoding agree with generate()", async () => {
  await setBackend({ backend: "wasm", threads: 1 });
  try {
    const lm = model(), p = prompt(3);
    const refs = p.suffixes.map((s) => lm.generate([...p.prefix, ...s], { maxNewTokens: NEW }).tokens);
    for (const method of ["flashdecoding", "shared-prefix"] as const) {
      const res = await prefixDecode(lm, p, { method, backend: "wasm", threads: 1, maxNewTokens: NEW });
      assert.deepEqual(res.tokens, refs, method);
    }
  } finally {
    shutdownNN();
  }
});

Deno.test("decode loop: bad input gets a clear error", () => {
  const lm = model();
  const ok = { maxNewTokens: 2, backend: "ts" as const };
  const bad: Array<[string, () => unknown, RegExp]> = [
    ["empty prefix", () => new PrefixDecodeSession(lm, { prefix: [], suffixes: [[1]] }, ok), /prefix/],
    ["no requests", () => new PrefixDecodeSession(lm, { prefix: [1], suffixes: [] }, ok), /suffixes/],
    [
      "token out of range",
      () => new PrefixDecodeSession(lm, { prefix: [1], suffixes: [[VOCAB]] }, ok),
      /range/,
    ],
    [
      "too long",
      () =>
        new PrefixDecodeSession(lm, { prefix: new Array(60).fill(1), suffixes: [[1, 2]] }, {
          ...ok,
          maxNewTokens: 3,
        }),
      /maxLen 64/,
    ],
    [
      "unknown method",
      // deno-lint-ignore no-explicit-any
      () => new PrefixDecodeSession(lm, { prefix: [1], suffixes: [[1]] }, { ...ok, method: "paged" as any }),
      /allowed: flashdecoding/,
    ],
    [
      "maxNewTokens 0",
      () => new PrefixDecodeSession(lm, { prefix: [1], suffixes: [[1]] }, { ...ok, maxNewTokens: 0 }),
      /maxNewTokens/,
    ],
    [
      "not a model",
      () => new PrefixDecodeSession({} as unknown as Transformer, { prefix: [1], suffixes: [[1]] }, ok),
      /Transformer/,
    ],
  ];
  for (const [label, fn, msg] of bad) {
    assert.throws(fn, (e: Error) => e instanceof InvalidArgumentError && msg.test(e.message), label);
  }
});

Deno.test("decode loop: shut down worker pools", async () => {
  await shutdownPools();
});
