import assert from "node:assert/strict";
import { Philox } from "../../lib/core/rng.ts";
import { InvalidArgumentError, ShapeMismatchError } from "../../lib/core/errors.ts";
import { gpuUnavailableReason } from "../../lib/runtime/gpu.ts";
import * as nn from "../../lib/nn/mod.ts";
import type { Tensor } from "../../lib/nn/mod.ts";
import * as gpu from "../../lib/nn/webgpu.ts";

// Every WGSL kernel of lib/nn/webgpu.ts against the ts reference op of lib/nn (run in float64 on the
// same f32 inputs), forward and backward, on ragged shapes. Errors are max-norm relative:
// max |gpu - ref| / max |ref|. Measured on llvmpipe they are ~1e-7 (see the bounds below: about 10x
// the f32 rounding of the reductions involved, never a fitted number).

const noGpu = await gpuUnavailableReason();
if (noGpu) console.log(`skipping WebGPU nn kernel tests: ${noGpu}`);
const needsGpu = { ignore: noGpu !== null };

/** f32 normals times `scale` from a fixed Philox stream. */
function randn(n: number, stream: number, scale = 1, shift = 0): Float32Array {
  const rng = new Philox(77, stream);
  return Float32Array.from({ length: n }, () => shift + scale * rng.normal());
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * max |a - ref| / max(max |ref|, floor). `floor` is the size of the terms a result is summed from, for
 * gradients that cancel to far below their terms (softmax backward on a near one-hot row, rmsnorm
 * backward on one column): no f32 kernel can resolve those better than the terms' rounding.
 */
function relErr(a: ArrayLike<number>, ref: ArrayLike<number>, floor = 0): number {
  assert.equal(a.length, ref.length, "result length");
  let err = 0;
  for (let i = 0; i < ref.length; i++) {
    assert.ok(Number.isFinite(a[i]), `non-finite value ${a[i]} at ${i}`);
    err = Math.max(err, Math.abs(a[i] - ref[i]));
  }
  const scale = Math.max(maxAbs(ref), floor);
  return scale === 0 ? err : err / scale;
}

/** Largest error seen per kernel (printed by the last test, for the record). */
const measured = new Map<string, number>();

function within(what: string, err: number, tol: number): void {
  const key = what.replace(/ after step \d+/, "");
  measured.set(key, Math.max(measured.get(key) ?? 0, err));
  assert.ok(err <= tol, `${what}: relative max error ${err.toExponential(2)} > ${tol}`);
}

const f64 = (x: Float32Array, shape: number[]) =>
  nn.tensor(Float64Array.from(x), shape, { dtype: "f64", requiresGrad: true });
const grad = (t: Tensor) => t.grad!.data;

const ROW_SHAPES: [number, number][] = [[1, 1], [1, 7], [7, 65], [65, 257], [257, 1], [3, 1000]];
const SOFTMAX_TOL = 1e-5;
const NORM_TOL = 1e-5;

for (const [rows, cols] of ROW_SHAPES) {
  for (const scale of [1, 1000]) {
    Deno.test(
      `softmax and log-softmax (forward, backward) ${rows}x${cols}, scores x${scale}: agree with ts within ${SOFTMAX_TOL}`,
      needsGpu,
      async () => {
        const x = randn(rows * cols, 1, scale), dy = randn(rows * cols, 2);
        for (const log of [false, true]) {
          const xt = f64(x, [rows, cols]);
          const yt = log ? nn.logSoftmax(xt) : nn.softmax(xt);
          yt.backward(nn.tensor(Float64Array.from(dy), [rows, cols], { dtype: "f64" }));
          const y = log ? await gpu.logSoftmaxWebGPU(x, rows, cols) : await gpu.softmaxWebGPU(x, rows, cols);
          within(`${log ? "log-softmax" : "softmax"} forward`, relErr(y, yt.data), SOFTMAX_TOL);
          // the backward kernel gets the reference forward output rounded to f32, as it would get its own
          const y32 = Float32Array.from(yt.data);
          const dx = log
            ? await gpu.logSoftmaxBackwardWebGPU(y32, dy, rows, cols)
            : await gpu.softmaxBackwardWebGPU(y32, dy, rows, cols);
          // |dx| <= 2 max|dy| (softmax) and the terms are of size max|dy|: near one-hot rows cancel
          within(
            `${log ? "log-softmax" : "softmax"} backward`,
            relErr(dx, grad(xt), maxAbs(dy)),
            SOFTMAX_TOL,
          );
        }
      },
    );
  }
}

Deno.test("softmax over more rows than one dispatch dimension holds (70000 x 3)", needsGpu, async () => {
  const rows = 70000, cols = 3;
  const x = randn(rows * cols, 3, 5);
  const y = await gpu.softmaxWebGPU(x, rows, cols);
  const ref = nn.softmax(nn.tensor(Float64Array.from(x), [rows, cols], { dtype: "f64" })).data;
  within("softmax 70000 rows", relErr(y, ref), SOFTMAX_TOL);
});

for (const [rows, cols] of ROW_SHAPES) {
  Deno.test(
    `layernorm and rmsnorm (forward, backward) ${rows}x${cols}: agree with ts within ${NORM_TOL}`,
    needsGpu,
    async () => {
      // rows offset by 10 so that a one-pass variance would lose digits
      const x = randn(rows * cols, 4, 2, 10), g = randn(cols, 5, 0.5, 1), b = randn(cols, 6);
      const dy = randn(rows * cols, 7);
      const dyT = nn.tensor(Float64Array.from(dy), [rows, cols], { dtype: "f64" });

      const xt = f64(x, [rows, cols]), gt = f64(g, [cols]), bt = f64(b, [cols]);
      const yt = nn.layerNorm(xt, gt, bt);
      yt.backward(dyT);
      const ln = await gpu.layerNormWebGPU(x, g, b, rows, cols);
      within("layernorm y", relErr(ln.y, yt.data), NORM_TOL);
      const mean = Array.from({ length: rows }, (_, r) => {
        let s = 0;
        for (let j = 0; j < cols; j++) s += x[r * cols + j];
        return s / cols;
      });
      within("layernorm mean", relErr(ln.mean, mean), NORM_TOL);
      const lg = await gpu.layerNormBackwardWebGPU(x, g, ln.mean, ln.rstd, dy, rows, cols);
      within("layernorm dx", relErr(lg.dx, grad(xt), maxAbs(ln.rstd) * maxAbs(dy) * maxAbs(g)), NORM_TOL);
      within("layernorm dgamma", relErr(lg.dgamma, grad(gt)), NORM_TOL);
      within("layernorm dbeta", relErr(lg.dbeta, grad(bt)), NORM_TOL);

      const xr = f64(x, [rows, cols]), gr = f64(g, [cols]);
      const yr = nn.rmsNorm(xr, gr);
      yr.backward(dyT);
      const rn = await gpu.rmsNormWebGPU(x, g, rows, cols);
      within("rmsnorm y", relErr(rn.y, yr.data), NORM_TOL);
      const rg = await gpu.rmsNormBackwardWebGPU(x, g, rn.rstd, dy, rows, cols);
      // terms of dx are of size rstd |dy| |gamma|; with one column they cancel to ~eps / x^2
      const termScale = maxAbs(rn.rstd) * maxAbs(dy) * maxAbs(g);
      within("rmsnorm dx", relErr(rg.dx, grad(xr), termScale), NORM_TOL);
      within("rmsnorm dgamma", relErr(rg.dgamma, grad(gr)), NORM_TOL);
    },
  );
}

const ATTN_SHAPES: [number, number, number][] = [[1, 1, 1], [2, 7, 5], [3, 65, 16], [1, 130, 64], [
  2,
  20,
  256,
], [1, 9, 130]];
const ATTN_TOL = 1e-5;
// q x8 makes scores of size ~30: the f32 rounding of such a score (ulp 2e-6) becomes that relative error
// in its softmax weight, so the bound grows with the scores' size.
const ATTN_TOL_SCALED = 5e-5;

for (const [heads, t, d] of ATTN_SHAPES) {
  for (const scale of [1, 8]) {
    Deno.test(
      `causal attention (forward, backward) heads ${heads}, t ${t}, d ${d}, q x${scale}: agree with ts within ${
        scale === 1 ? ATTN_TOL : ATTN_TOL_SCALED
      }`,
      needsGpu,
      async () => {
        const tol = scale === 1 ? ATTN_TOL : ATTN_TOL_SCALED;
        const n = heads * t * d;
        const q = randn(n, 8, scale), k = randn(n, 9), v = randn(n, 10), dout = randn(n, 11);
        const shape = [1, heads, t, d];
        const qt = f64(q, shape), kt = f64(k, shape), vt = f64(v, shape);
        const ot = nn.causalAttention(qt, kt, vt);
        ot.backward(nn.tensor(Float64Array.from(dout), shape, { dtype: "f64" }));
        const { out, lse } = await gpu.causalAttentionWebGPU(q, k, v, heads, t, d);
        within(`attention out (q x${scale})`, relErr(out, ot.data), tol);
        const g = await gpu.causalAttentionBackwardWebGPU(q, k, v, out, lse, dout, heads, t, d);
        within(`attention dq (q x${scale})`, relErr(g.dq, grad(qt)), tol);
        within(`attention dk (q x${scale})`, relErr(g.dk, grad(kt)), tol);
        within(`attention dv (q x${scale})`, relErr(g.dv, grad(vt)), tol);
      },
    );
  }
}

Deno.test(
  "cached attention (tq 3 of 10 filled, capacity 13, d 9) agrees with ts cachedAttention",
  needsGpu,
  async () => {
    const heads = 2, tq = 3, len = 10, cap = 13, d = 9;
    const q = randn(heads * tq * d, 12, 3), kc = randn(heads * cap * d, 13), vc = randn(heads * cap * d, 14);
    const ref = nn.noGrad(() =>
      nn.cachedAttention(
        nn.tensor(Float64Array.from(q), [1, heads, tq, d], { dtype: "f64" }),
        nn.tensor(Float64Array.from(kc), [1, heads, cap, d], { dtype: "f64" }),
        nn.tensor(Float64Array.from(vc), [1, heads, cap, d], { dtype: "f64" }),
        len,
      )
    );
    const out = await gpu.cachedAttentionWebGPU(q, kc, vc, heads, tq, len, cap, d);
    within("cached attention", relErr(out, ref.data), ATTN_TOL);
    // the unfilled tail of the cache must not matter
    const kc2 = kc.slice(), vc2 = vc.slice();
    for (let h = 0; h < heads; h++) kc2.fill(1e6, (h * cap + len) * d, (h + 1) * cap * d);
    for (let h = 0; h < heads; h++) vc2.fill(NaN, (h * cap + len) * d, (h + 1) * cap * d);
    assert.deepEqual(await gpu.cachedAttentionWebGPU(q, kc2, vc2, heads, tq, len, cap, d), out);
  },
);

for (const [n, segments, d] of [[1, 1, 1], [7, 3, 7], [257, 65, 65], [300, 1000, 3]] as const) {
  Deno.test(
    `segment sum, scatter-add and gather (segment-sum backward) n ${n}, ${segments} segments, d ${d}: equal ts exactly`,
    needsGpu,
    async () => {
      const rng = new Philox(5, n);
      const ids = Int32Array.from({ length: n }, () => rng.int(segments));
      const src = randn(n * d, 15), base = randn(segments * d, 16), g = randn(segments * d, 17);
      const st = nn.tensor(src, [n, d], { requiresGrad: true });
      const ref = nn.segmentSum(st, ids, segments);
      ref.backward(nn.tensor(g, [segments, d]));
      assert.deepEqual(await gpu.segmentSumWebGPU(src, ids, segments, d), Float32Array.from(ref.data));
      assert.deepEqual(await gpu.gatherRowsWebGPU(g, ids, d), Float32Array.from(grad(st)));
      const sa = nn.scatterAdd(nn.tensor(base, [segments, d]), ids, nn.tensor(src, [n, d]));
      assert.deepEqual(await gpu.scatterAddWebGPU(base, ids, src, d), Float32Array.from(sa.data));
    },
  );
}

Deno.test("embedding forward (gather rows) equals ts embedding", needsGpu, async () => {
  const table = randn(11 * 6, 18), ids = [10, 0, 3, 3, 7];
  const ref = nn.embedding(nn.tensor(table, [11, 6]), ids);
  assert.deepEqual(await gpu.gatherRowsWebGPU(table, ids, 6), Float32Array.from(ref.data));
});

Deno.test(
  "AdamW update: 3 steps agree with lib/nn AdamW within 1e-6 (p), 1e-6 (m, v)",
  needsGpu,
  async () => {
    const n = 1000;
    const p0 = randn(n, 19);
    const opts = { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 };
    const pt = nn.tensor(p0, [n], { requiresGrad: true, dtype: "f64" });
    const opt = new nn.AdamW([pt], opts);
    const p = p0.slice(), m = new Float32Array(n), v = new Float32Array(n);
    const m64 = new Float64Array(n), v64 = new Float64Array(n);
    for (let step = 1; step <= 3; step++) {
      const g = randn(n, 20 + step);
      opt.zeroGrad();
      pt.mul(nn.tensor(Float64Array.from(g), [n], { dtype: "f64" })).sum().backward(); // grad = g
      opt.step();
      for (let i = 0; i < n; i++) {
        m64[i] = opts.beta1 * m64[i] + (1 - opts.beta1) * g[i];
        v64[i] = opts.beta2 * v64[i] + (1 - opts.beta2) * g[i] * g[i];
      }
      await gpu.adamwWebGPU(p, g, m, v, { ...opts, step });
      within(`AdamW p after step ${step}`, relErr(p, pt.data), 1e-6);
      within(`AdamW m after step ${step}`, relErr(m, m64), 1e-6);
      within(`AdamW v after step ${step}`, relErr(v, v64), 1e-6);
    }
  },
);

Deno.test("matmulWebGPU is re-exported from linalg", () => {
  assert.equal(typeof gpu.matmulWebGPU, "function");
});

Deno.test("nn WebGPU kernels reject bad input with typed errors naming the op", async () => {
  const x = new Float32Array(6);
  await assert.rejects(() => gpu.softmaxWebGPU(x, 2, 4), ShapeMismatchError);
  await assert.rejects(() => gpu.softmaxWebGPU(x, 2.5, 4), InvalidArgumentError);
  await assert.rejects(
    () => gpu.softmaxWebGPU(new Float64Array(6) as unknown as Float32Array, 2, 3),
    /softmaxWebGPU: x must be a Float32Array/,
  );
  await assert.rejects(() => gpu.layerNormWebGPU(x, new Float32Array(2), new Float32Array(3), 2, 3), /gamma/);
  await assert.rejects(
    () => gpu.layerNormWebGPU(x, new Float32Array(3), new Float32Array(3), 2, 3, -1),
    /eps/,
  );
  const a = new Float32Array(257);
  await assert.rejects(() => gpu.causalAttentionWebGPU(a, a, a, 1, 1, 257), /d \(head dimension\)/);
  await assert.rejects(
    () => gpu.cachedAttentionWebGPU(new Float32Array(2), x, x, 1, 1, 4, 3, 2),
    /length 4 must be in \[1, 3\]/,
  );
  await assert.rejects(
    () => gpu.segmentSumWebGPU(x, [0, 1, 2], 2, 2),
    /index 2 at position 2 is out of range/,
  );
  await assert.rejects(() => gpu.segmentSumWebGPU(x, [0, 1], 2, 2), ShapeMismatchError);
  await assert.rejects(() => gpu.gatherRowsWebGPU(x, [-1], 3), /index -1 at position 0/);
  await assert.rejects(
    () => gpu.scatterAddWebGPU(new Float32Array(5), [0], new Float32Array(2), 2),
    /multiple of d/,
  );
  await assert.rejects(
    () => gpu.adamwWebGPU(x, new Float32Array(5), x.slice(), x.slice(), { lr: 1, step: 1 }),
    /adamwWebGPU: g/,
  );
  await assert.rejects(
    () => gpu.adamwWebGPU(x, x.slice(), x.slice(), x.slice(), { lr: 1, step: 0 }),
    /step must be an integer/,
  );
});

Deno.test("empty inputs give empty results without touching the device", async () => {
  assert.equal((await gpu.softmaxWebGPU(new Float32Array(0), 0, 5)).length, 0);
  assert.deepEqual(await gpu.segmentSumWebGPU(new Float32Array(0), [], 0, 3), new Float32Array(0));
  const r = await gpu.causalAttentionWebGPU(
    new Float32Array(0),
    new Float32Array(0),
    new Float32Array(0),
    0,
    4,
    8,
  );
  assert.equal(r.out.length, 0);
});

// ---------------------------------------------------------------------------------------------------------
// A whole training step composed from the kernels (the worked example the module doc points to): a
// one-block, one-head attention language model — embedding, rmsnorm, q/k/v projections, causal attention,
// residual, output projection, log-softmax + NLL — forward, backward and AdamW, each heavy op on WebGPU
// and the glue (transposes, residual adds, the NLL gradient) on the host. It must match lib/nn's autodiff
// of the same model (float64) and lib/nn's AdamW.

/** [r, c] -> [c, r]. */
function transposeHost(a: Float32Array, r: number, c: number): Float32Array {
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j];
  return out;
}
const addHost = (...xs: Float32Array[]) => xs[0].map((_, i) => xs.reduce((s, x) => s + x[i], 0));

Deno.test(
  "a whole forward/backward/AdamW step of a one-block attention LM on the WebGPU kernels matches lib/nn",
  needsGpu,
  async () => {
    const V = 11, T = 13, d = 24;
    const rng = new Philox(31, 0);
    const ids = Int32Array.from({ length: T }, () => rng.int(V));
    const targets = Int32Array.from({ length: T }, () => rng.int(V));
    const init = (n: number, s: number, sd: number, shift = 0) => randn(n, s, sd, shift);
    const params: Record<string, Float32Array> = {
      emb: init(V * d, 40, 1),
      gamma: init(d, 41, 0.1, 1),
      wq: init(d * d, 42, 0.3),
      wk: init(d * d, 43, 0.3),
      wv: init(d * d, 44, 0.3),
      wo: init(d * V, 45, 0.3),
    };
    const shapes: Record<string, number[]> = {
      emb: [V, d],
      gamma: [d],
      wq: [d, d],
      wk: [d, d],
      wv: [d, d],
      wo: [d, V],
    };
    const names = Object.keys(params);
    const opts = { lr: 0.01, weightDecay: 0.01 };

    // reference: lib/nn autodiff in float64, then AdamW
    const ref = Object.fromEntries(names.map((n) => [n, f64(params[n], shapes[n])])) as Record<
      string,
      Tensor
    >;
    const x = nn.embedding(ref.emb, ids);
    const h = nn.rmsNorm(x, ref.gamma);
    const heads = (t: Tensor) => nn.reshape(t, [1, 1, T, d]);
    const a = nn.causalAttention(
      heads(nn.matmul(h, ref.wq)),
      heads(nn.matmul(h, ref.wk)),
      heads(nn.matmul(h, ref.wv)),
    );
    const logits = nn.matmul(nn.add(x, nn.reshape(a, [T, d])), ref.wo);
    const loss = nn.crossEntropy(logits, targets);
    loss.backward();
    new nn.AdamW(names.map((n) => ref[n]), opts).step();

    // the same step on the kernels
    const p = params;
    const xg = await gpu.gatherRowsWebGPU(p.emb, ids, d);
    const rn = await gpu.rmsNormWebGPU(xg, p.gamma, T, d);
    const q = await gpu.matmulWebGPU(rn.y, p.wq, T, d, d);
    const k = await gpu.matmulWebGPU(rn.y, p.wk, T, d, d);
    const v = await gpu.matmulWebGPU(rn.y, p.wv, T, d, d);
    const att = await gpu.causalAttentionWebGPU(q, k, v, 1, T, d);
    const r = addHost(xg, att.out);
    const lg = await gpu.matmulWebGPU(r, p.wo, T, d, V);
    const lp = await gpu.logSoftmaxWebGPU(lg, T, V);
    let nll = 0;
    const dlp = new Float32Array(T * V);
    for (let t = 0; t < T; t++) {
      nll -= lp[t * V + targets[t]] / T;
      dlp[t * V + targets[t]] = -1 / T;
    }
    assert.ok(Math.abs(nll - loss.item()) <= 1e-5 * loss.item(), `loss ${nll} vs ${loss.item()}`);

    const dlogits = await gpu.logSoftmaxBackwardWebGPU(lp, dlp, T, V);
    const grads: Record<string, Float32Array> = {};
    grads.wo = await gpu.matmulWebGPU(transposeHost(r, T, d), dlogits, d, T, V);
    const dr = await gpu.matmulWebGPU(dlogits, transposeHost(p.wo, d, V), T, V, d);
    const ag = await gpu.causalAttentionBackwardWebGPU(q, k, v, att.out, att.lse, dr, 1, T, d);
    const hT = transposeHost(rn.y, T, d);
    grads.wq = await gpu.matmulWebGPU(hT, ag.dq, d, T, d);
    grads.wk = await gpu.matmulWebGPU(hT, ag.dk, d, T, d);
    grads.wv = await gpu.matmulWebGPU(hT, ag.dv, d, T, d);
    const dh = addHost(
      await gpu.matmulWebGPU(ag.dq, transposeHost(p.wq, d, d), T, d, d),
      await gpu.matmulWebGPU(ag.dk, transposeHost(p.wk, d, d), T, d, d),
      await gpu.matmulWebGPU(ag.dv, transposeHost(p.wv, d, d), T, d, d),
    );
    const rb = await gpu.rmsNormBackwardWebGPU(xg, p.gamma, rn.rstd, dh, T, d);
    grads.gamma = rb.dgamma;
    grads.emb = await gpu.segmentSumWebGPU(addHost(dr, rb.dx), ids, V, d);

    for (const n of names) {
      within(`whole step: gradient of ${n}`, relErr(grads[n], grad(ref[n])), 2e-5);
      const m = new Float32Array(p[n].length), vv = new Float32Array(p[n].length);
      await gpu.adamwWebGPU(p[n], grads[n], m, vv, { ...opts, step: 1 });
      within(`whole step: ${n} after AdamW`, relErr(p[n], ref[n].data), 2e-5);
    }
  },
);

Deno.test("largest agreement errors measured (printed for the record)", needsGpu, () => {
  const rows = [...measured.entries()].map(([k, v]) => `${k}: ${v.toExponential(2)}`);
  console.log(`nn WebGPU vs ts reference, max-norm relative errors:\n  ${rows.join("\n  ")}`);
  assert.ok(measured.size >= 20);
});
