import assert from "node:assert/strict";
import { InvalidArgumentError } from "../../lib/core/errors.ts";
import { Philox } from "../../lib/core/rng.ts";
import { getGpu, gpuUnavailableReason } from "../../lib/runtime/gpu.ts";
import * as nn from "../../lib/nn/mod.ts";
import * as gpu from "../../lib/nn/webgpu.ts";
import { withLoopLimit } from "../runtime/gpu_helpers.ts";

// lib/nn's WGSL kernels on adapters that stop an invocation's loops after GpuContext.loopIterationLimit
// iterations in all (llvmpipe: 65535, silently). Loop iterations per invocation (every loop counted):
//   row kernels (softmax, norms): sweeps x ceil(cols / 64) + 6 or 12 (one workgroup per row; refused past
//     3/4 of the limit: about 1.05M columns on llvmpipe)
//   norm parameter gradients: rows (one invocation per column walks every row; split over dispatches)
//   segment sum: ceil(d / 64) x (rows of the segment + 1) (split over dispatches)
//   attention: 24 + (17 + d + 64 ceil(d / 64)) per chunk of 64 keys (split over dispatches)
// The first tests run sizes that crossed the limit before the hosts split them (checked against the ts
// ops); the last run small sizes under an artificially small limit, so the split path is checked on
// every adapter, bit for bit against one dispatch.

const noGpu = await gpuUnavailableReason();
if (noGpu) console.log(`skipping WebGPU nn loop-limit tests: ${noGpu}`);
const needsGpu = { ignore: noGpu !== null };

/** f32 normals from a fixed Philox stream. */
function randn(n: number, stream: number, scale = 1): Float32Array {
  const rng = new Philox(91, stream);
  return Float32Array.from({ length: n }, () => scale * rng.normal());
}

/** Small integers in [-r, r] (sums of them are exact in f32 and f64). */
function randInt(n: number, stream: number, r: number): Float32Array {
  const rng = new Philox(92, stream);
  return Float32Array.from({ length: n }, () => rng.int(2 * r + 1) - r);
}

function relErr(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  assert.equal(a.length, ref.length, "result length");
  let err = 0, scale = 0;
  for (let i = 0; i < ref.length; i++) {
    assert.ok(Number.isFinite(a[i]), `non-finite value ${a[i]} at ${i}`);
    err = Math.max(err, Math.abs(a[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return scale === 0 ? err : err / scale;
}

async function adapterLimit(): Promise<string> {
  const ctx = await getGpu();
  return `${ctx.describe()}, loop limit ${ctx.loopIterationLimit}`;
}

Deno.test("norm parameter gradients over 70000 rows equal the exact float64 sums", needsGpu, async () => {
  // One invocation per column walks all 70000 rows: past 65535 iterations on llvmpipe.
  console.log(`  ${await adapterLimit()}; column kernels: 70000 iterations in one dispatch`);
  const rows = 70000, cols = 3;
  const x = randInt(rows * cols, 1, 3), dy = randInt(rows * cols, 2, 1), g = new Float32Array(cols).fill(1);
  const ones = new Float32Array(rows).fill(1), zeros = new Float32Array(rows);
  const dgRef = new Float64Array(cols), dbRef = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      dgRef[j] += dy[r * cols + j] * x[r * cols + j];
      dbRef[j] += dy[r * cols + j];
    }
  }
  // mean 0 and rstd 1 make xhat = x, so every sum is of small integers: exact in f32.
  const ln = await gpu.layerNormBackwardWebGPU(x, g, zeros, ones, dy, rows, cols);
  assert.deepEqual([...ln.dgamma], [...dgRef]);
  assert.deepEqual([...ln.dbeta], [...dbRef]);
  const rms = await gpu.rmsNormBackwardWebGPU(x, g, ones, dy, rows, cols);
  assert.deepEqual([...rms.dgamma], [...dgRef]);
});

Deno.test(
  "softmax and layernorm of a 100000-column row stay under the limit and agree with ts",
  needsGpu,
  async () => {
    const cols = 100000; // 3 x 1563 + 12 = 4701 iterations per invocation
    const x = randn(cols, 3, 4);
    const ref = nn.softmax(nn.tensor(Float64Array.from(x), [1, cols], { dtype: "f64" }));
    assert.ok(relErr(await gpu.softmaxWebGPU(x, 1, cols), ref.data) <= 1e-5);
    const g = randn(cols, 4), b = randn(cols, 5);
    const lnRef = nn.layerNorm(
      nn.tensor(Float64Array.from(x), [1, cols], { dtype: "f64" }),
      nn.tensor(Float64Array.from(g), [cols], { dtype: "f64" }),
      nn.tensor(Float64Array.from(b), [cols], { dtype: "f64" }),
    );
    assert.ok(relErr((await gpu.layerNormWebGPU(x, g, b, 1, cols)).y, lnRef.data) <= 1e-5);
  },
);

Deno.test(
  "row kernels refuse rows too long for the loop limit, naming the limit, adapter and remedy",
  needsGpu,
  async () => {
    const ctx = await getGpu();
    // Limit 1000: budget 750, softmax 3 sweeps + 12 -> at most floor(738 / 3) * 64 = 15744 columns.
    const ok = randn(15744, 6), tooLong = randn(15745, 7);
    const one = await gpu.softmaxWebGPU(ok, 1, ok.length);
    await withLoopLimit(1000, async () => {
      assert.deepEqual(await gpu.softmaxWebGPU(ok, 1, ok.length), one);
      await assert.rejects(
        () => gpu.softmaxWebGPU(tooLong, 1, tooLong.length),
        (e: unknown) =>
          e instanceof InvalidArgumentError && /15745 columns/.test(e.message) &&
          /after 1000 iterations/.test(e.message) &&
          e.message.includes(ctx.describe()) && /at most 15744 columns/.test(e.message) &&
          /ts ops/.test(e.message),
      );
      const g = new Float32Array(tooLong.length).fill(1);
      await assert.rejects(() => gpu.layerNormWebGPU(tooLong, g, g, 1, tooLong.length), InvalidArgumentError);
      // rmsnorm forward sweeps a row twice: 15745 columns still run
      assert.equal((await gpu.rmsNormWebGPU(tooLong, g, 1, tooLong.length)).y.length, tooLong.length);
    });
    if (Number.isFinite(ctx.loopIterationLimit)) {
      // The real limit: 3 ceil(cols / 64) + 12 > 0.75 x 65535 from 1048320 columns on.
      const big = new Float32Array(1048320);
      await assert.rejects(() => gpu.softmaxWebGPU(big, 1, big.length), InvalidArgumentError);
    }
  },
);

Deno.test("segment sum and scatter-add into a 70000-row hub equal ts exactly", needsGpu, async () => {
  // The hub's invocation adds 70000 rows: past 65535 iterations on llvmpipe in one dispatch.
  const n = 70010, d = 2, segments = 3;
  const ids = new Int32Array(n).fill(1);
  for (let i = 0; i < 10; i++) ids[i * 7000] = i % 2 === 0 ? 0 : 2;
  const src = randn(n * d, 8), base = randn(segments * d, 9);
  const ref = nn.segmentSum(nn.tensor(src, [n, d]), ids, segments);
  assert.deepEqual(await gpu.segmentSumWebGPU(src, ids, segments, d), Float32Array.from(ref.data));
  const sa = nn.scatterAdd(nn.tensor(base, [segments, d]), ids, nn.tensor(src, [n, d]));
  assert.deepEqual(await gpu.scatterAddWebGPU(base, ids, src, d), Float32Array.from(sa.data));
});

Deno.test("cached attention over 12000 keys with d 256 agrees with ts", needsGpu, async () => {
  // 188 chunks of 64 keys at up to 17 + 256 + 256 iterations each: past 65535 on llvmpipe in one
  // dispatch (the output was wrong there before the split).
  const heads = 1, tq = 2, len = 12000, cap = 12000, d = 256;
  const q = randn(heads * tq * d, 10, 0.2), kc = randn(heads * cap * d, 11), vc = randn(heads * cap * d, 12);
  const ref = nn.noGrad(() =>
    nn.cachedAttention(
      nn.tensor(Float64Array.from(q), [1, heads, tq, d], { dtype: "f64" }),
      nn.tensor(Float64Array.from(kc), [1, heads, cap, d], { dtype: "f64" }),
      nn.tensor(Float64Array.from(vc), [1, heads, cap, d], { dtype: "f64" }),
      len,
    )
  );
  const out = await gpu.cachedAttentionWebGPU(q, kc, vc, heads, tq, len, cap, d);
  assert.ok(relErr(out, ref.data) <= 1e-5, `relative error ${relErr(out, ref.data)}`);
});

Deno.test(
  "under a small forced loop limit the split kernels equal one dispatch bit for bit",
  needsGpu,
  async () => {
    // Norm parameter gradients: limit 40 -> 30 rows per dispatch.
    const rows = 97, cols = 70;
    const x = randn(rows * cols, 13), g = randn(cols, 14), b = randn(cols, 15), dy = randn(rows * cols, 16);
    const fw = await gpu.layerNormWebGPU(x, g, b, rows, cols);
    const ln = await gpu.layerNormBackwardWebGPU(x, g, fw.mean, fw.rstd, dy, rows, cols);
    const rf = await gpu.rmsNormWebGPU(x, g, rows, cols);
    const rms = await gpu.rmsNormBackwardWebGPU(x, g, rf.rstd, dy, rows, cols);
    // Segment sum: d 70 -> 2 sweeps; limit 40 -> 14 rows per dispatch.
    const n = 200, d = 70, segments = 5;
    const rng = new Philox(93, 0);
    const ids = Int32Array.from({ length: n }, () => (rng.int(4) === 0 ? rng.int(segments) : 2));
    const src = randn(n * d, 17), base = randn(segments * d, 18);
    const seg = await gpu.scatterAddWebGPU(base, ids, src, d);
    // Attention: d 8 -> 89 iterations per chunk; limit 200 -> one chunk (64 keys) per dispatch.
    const heads = 2, t = 150, ad = 8;
    const q = randn(heads * t * ad, 19), k = randn(heads * t * ad, 20), v = randn(heads * t * ad, 21);
    const dout = randn(heads * t * ad, 22);
    const at = await gpu.causalAttentionWebGPU(q, k, v, heads, t, ad);
    const ag = await gpu.causalAttentionBackwardWebGPU(q, k, v, at.out, at.lse, dout, heads, t, ad);
    const kc = randn(heads * 200 * ad, 23), vc = randn(heads * 200 * ad, 24);
    const cached = await gpu.cachedAttentionWebGPU(
      q.subarray(0, heads * 3 * ad),
      kc,
      vc,
      heads,
      3,
      190,
      200,
      ad,
    );

    await withLoopLimit(40, async () => {
      const ln2 = await gpu.layerNormBackwardWebGPU(x, g, fw.mean, fw.rstd, dy, rows, cols);
      assert.deepEqual(ln2, ln);
      assert.deepEqual(await gpu.rmsNormBackwardWebGPU(x, g, rf.rstd, dy, rows, cols), rms);
      assert.deepEqual(await gpu.scatterAddWebGPU(base, ids, src, d), seg);
    });
    await withLoopLimit(200, async () => {
      assert.deepEqual(await gpu.causalAttentionWebGPU(q, k, v, heads, t, ad), at);
      assert.deepEqual(
        await gpu.causalAttentionBackwardWebGPU(q, k, v, at.out, at.lse, dout, heads, t, ad),
        ag,
      );
      const sub = q.subarray(0, heads * 3 * ad);
      assert.deepEqual(await gpu.cachedAttentionWebGPU(sub, kc, vc, heads, 3, 190, 200, ad), cached);
    });
    // and the one-dispatch results are the ts ops' (so the split ones are too)
    const ref = nn.segmentSum(nn.tensor(src, [n, d]), ids, segments);
    const refSa = Float32Array.from(ref.data).map((s, i) => s + base[i]);
    assert.ok(relErr(seg, refSa) <= 1e-6);
  },
);
