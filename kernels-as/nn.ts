// Neural-network kernels for lib/nn: row softmax, layer/RMS normalization, causal attention (with a
// key/value cache stride), gather/scatter-add of rows, transpose and the AdamW update; forward and
// backward. Matmul is not here: lib/nn calls kernels-as/linalg.ts's packed SIMD matmul.
//
// Contract (docs/ARCHITECTURE.md): pointers into the shared memory and sizes only; nothing allocated,
// no static data. Range kernels take (i0, i1) last so the pool can split them; every split is over an
// index whose outputs are disjoint (rows, columns or heads), so results never depend on the split.

// ---------------------------------------------------------------- helpers

// @ts-ignore: decorator
@inline
function f32at(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize> i << 2));
}

// @ts-ignore: decorator
@inline
function f32set(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize> i << 2), v);
}

// Σ x[i] y[i], i < n, in four f32x4 lanes.
// @ts-ignore: decorator
@inline
function dotRow(x: usize, y: usize, n: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize> i << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(x + o), v128.load(y + o)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(x + o, 16), v128.load(y + o, 16)));
  }
  const a = f32x4.add(a0, a1);
  let s: f32 = f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 2) +
    f32x4.extract_lane(a, 3);
  for (; i < n; i++) s += f32at(x, i) * f32at(y, i);
  return s;
}

// y[i] += a x[i], i < n.
// @ts-ignore: decorator
@inline
function axpyRow(a: f32, x: usize, y: usize, n: i32): void {
  const va = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize> i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(va, v128.load(x + o))));
  }
  for (; i < n; i++) f32set(y, i, f32at(y, i) + a * f32at(x, i));
}

// exp and log without Mathf's lookup tables (a table would be a data section, which kernels may not
// have). exp: x = n ln2 + r, |r| <= ln2/2, degree-7 Taylor for e^r (rel. error < 2e-7), 2^n by
// building the exponent bits. log: x = 2^e m, m in [sqrt(1/2), sqrt(2)), log m = 2 atanh((m-1)/(m+1)).
// @ts-ignore: decorator
@inline
function expf(x: f32): f32 {
  if (x < -87.3) return 0;
  if (x > 88.7) return Infinity;
  const n = nearest<f64>(<f64> x * 1.4426950408889634);
  const r = <f64> x - <f64> n * 0.6931471805599453;
  const p = 1.0 + r * (1.0 + r * (0.5 + r * (0.16666666666666666 + r * (0.041666666666666664 +
    r * (0.008333333333333333 + r * (0.001388888888888889 + r * 0.0001984126984126984))))));
  return <f32> (p * reinterpret<f64>(<u64> (<i64> n + 1023) << 52));
}

// @ts-ignore: decorator
@inline
function logf(x: f32): f32 {
  const bits = reinterpret<u32>(x);
  let e = <i32> ((bits >> 23) & 0xff) - 127;
  let m = <f64> reinterpret<f32>((bits & 0x7fffff) | 0x3f800000);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  }
  const t = (m - 1) / (m + 1), t2 = t * t;
  const s = t * (2.0 + t2 * (0.6666666666666666 + t2 * (0.4 + t2 * (0.2857142857142857 + t2 * (0.2222222222222222 +
    t2 * 0.18181818181818182)))));
  return <f32> (s + <f64> e * 0.6931471805599453);
}

// ---------------------------------------------------------------- softmax over rows of `cols`

export function softmax_rows(x: usize, y: usize, cols: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const xr = x + (<usize> (r * cols) << 2), yr = y + (<usize> (r * cols) << 2);
    let mx: f32 = -Infinity;
    for (let j = 0; j < cols; j++) mx = max(mx, f32at(xr, j));
    let s: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const e = expf(f32at(xr, j) - mx);
      f32set(yr, j, e);
      s += e;
    }
    const inv = f32x4.splat(<f32> 1 / s);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const o = <usize> j << 2;
      v128.store(yr + o, f32x4.mul(v128.load(yr + o), inv));
    }
    for (; j < cols; j++) f32set(yr, j, f32at(yr, j) / s);
  }
}

// dx = y (dy - Σ dy y), row by row.
export function softmax_bwd_rows(y: usize, dy: usize, dx: usize, cols: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const o = <usize> (r * cols) << 2;
    const s = dotRow(y + o, dy + o, cols);
    for (let j = 0; j < cols; j++) {
      f32set(dx + o, j, f32at(y + o, j) * (f32at(dy + o, j) - s));
    }
  }
}

// log-softmax: y = x - max - log Σ exp(x - max).
export function log_softmax_rows(x: usize, y: usize, cols: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const xr = x + (<usize> (r * cols) << 2), yr = y + (<usize> (r * cols) << 2);
    let mx: f32 = -Infinity;
    for (let j = 0; j < cols; j++) mx = max(mx, f32at(xr, j));
    let s: f32 = 0;
    for (let j = 0; j < cols; j++) s += expf(f32at(xr, j) - mx);
    const lse = mx + logf(s);
    for (let j = 0; j < cols; j++) f32set(yr, j, f32at(xr, j) - lse);
  }
}

// dx = dy - exp(y) Σ dy.
export function log_softmax_bwd_rows(y: usize, dy: usize, dx: usize, cols: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const o = <usize> (r * cols) << 2;
    let s: f32 = 0;
    for (let j = 0; j < cols; j++) s += f32at(dy + o, j);
    for (let j = 0; j < cols; j++) f32set(dx + o, j, f32at(dy + o, j) - expf(f32at(y + o, j)) * s);
  }
}

// ---------------------------------------------------------------- layer norm: y = (x - mean) rstd g + b

export function layernorm_rows(
  x: usize,
  g: usize,
  b: usize,
  y: usize,
  meanOut: usize,
  rstdOut: usize,
  cols: i32,
  eps: f32,
  r0: i32,
  r1: i32,
): void {
  for (let r = r0; r < r1; r++) {
    const xr = x + (<usize> (r * cols) << 2), yr = y + (<usize> (r * cols) << 2);
    let s: f32 = 0;
    for (let j = 0; j < cols; j++) s += f32at(xr, j);
    const mu = s / <f32> cols;
    let v: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const d = f32at(xr, j) - mu;
      v += d * d;
    }
    const rs = <f32> 1 / Mathf.sqrt(v / <f32> cols + eps);
    for (let j = 0; j < cols; j++) f32set(yr, j, (f32at(xr, j) - mu) * rs * f32at(g, j) + f32at(b, j));
    f32set(meanOut, r, mu);
    f32set(rstdOut, r, rs);
  }
}

// dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy g.
export function layernorm_bwd_rows(
  x: usize,
  g: usize,
  dy: usize,
  meanIn: usize,
  rstdIn: usize,
  dx: usize,
  cols: i32,
  r0: i32,
  r1: i32,
): void {
  for (let r = r0; r < r1; r++) {
    const o = <usize> (r * cols) << 2;
    const mu = f32at(meanIn, r), rs = f32at(rstdIn, r);
    let s1: f32 = 0, s2: f32 = 0;
    for (let j = 0; j < cols; j++) {
      const dh = f32at(dy + o, j) * f32at(g, j);
      s1 += dh;
      s2 += dh * (f32at(x + o, j) - mu) * rs;
    }
    s1 /= <f32> cols;
    s2 /= <f32> cols;
    for (let j = 0; j < cols; j++) {
      const xh = (f32at(x + o, j) - mu) * rs;
      f32set(dx + o, j, rs * (f32at(dy + o, j) * f32at(g, j) - s1 - xh * s2));
    }
  }
}

// dg[j] = Σ_r dy xhat, db[j] = Σ_r dy, over columns [c0, c1) (so threads never share an output).
export function layernorm_bwd_params(
  x: usize,
  dy: usize,
  meanIn: usize,
  rstdIn: usize,
  dg: usize,
  db: usize,
  rows: i32,
  cols: i32,
  c0: i32,
  c1: i32,
): void {
  for (let j = c0; j < c1; j++) {
    f32set(dg, j, 0);
    f32set(db, j, 0);
  }
  for (let r = 0; r < rows; r++) {
    const o = <usize> (r * cols) << 2;
    const mu = f32at(meanIn, r), rs = f32at(rstdIn, r);
    for (let j = c0; j < c1; j++) {
      const d = f32at(dy + o, j);
      f32set(dg, j, f32at(dg, j) + d * (f32at(x + o, j) - mu) * rs);
      f32set(db, j, f32at(db, j) + d);
    }
  }
}

// ---------------------------------------------------------------- RMS norm: y = x rstd g

export function rmsnorm_rows(x: usize, g: usize, y: usize, rstdOut: usize, cols: i32, eps: f32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const o = <usize> (r * cols) << 2;
    const rs = <f32> 1 / Mathf.sqrt(dotRow(x + o, x + o, cols) / <f32> cols + eps);
    for (let j = 0; j < cols; j++) f32set(y + o, j, f32at(x + o, j) * rs * f32at(g, j));
    f32set(rstdOut, r, rs);
  }
}

// dx = rstd (dy g - x rstd² mean(dy g x)).
export function rmsnorm_bwd_rows(x: usize, g: usize, dy: usize, rstdIn: usize, dx: usize, cols: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const o = <usize> (r * cols) << 2;
    const rs = f32at(rstdIn, r);
    let s: f32 = 0;
    for (let j = 0; j < cols; j++) s += f32at(dy + o, j) * f32at(g, j) * f32at(x + o, j);
    const c = s / <f32> cols * rs * rs;
    for (let j = 0; j < cols; j++) {
      f32set(dx + o, j, rs * (f32at(dy + o, j) * f32at(g, j) - f32at(x + o, j) * c));
    }
  }
}

export function rmsnorm_bwd_params(x: usize, dy: usize, rstdIn: usize, dg: usize, rows: i32, cols: i32, c0: i32, c1: i32): void {
  for (let j = c0; j < c1; j++) f32set(dg, j, 0);
  for (let r = 0; r < rows; r++) {
    const o = <usize> (r * cols) << 2;
    const rs = f32at(rstdIn, r);
    for (let j = c0; j < c1; j++) f32set(dg, j, f32at(dg, j) + f32at(dy + o, j) * f32at(x + o, j) * rs);
  }
}

// ---------------------------------------------------------------- causal attention
//
// Per head h in [h0, h1): q [tq, d], k and v [kvStride, d] of which the first tk rows are valid,
// o [tq, d], p [tq, tk] (the attention probabilities, kept for the backward pass). Query i sits at
// absolute position tk - tq + i and sees keys 0..tk - tq + i.

export function attention_fwd(
  q: usize,
  k: usize,
  v: usize,
  o: usize,
  p: usize,
  tq: i32,
  tk: i32,
  kvStride: i32,
  d: i32,
  scale: f32,
  h0: i32,
  h1: i32,
): void {
  const off = tk - tq;
  for (let h = h0; h < h1; h++) {
    const qh = q + (<usize> (h * tq * d) << 2), oh = o + (<usize> (h * tq * d) << 2);
    const kh = k + (<usize> (h * kvStride * d) << 2), vh = v + (<usize> (h * kvStride * d) << 2);
    const ph = p + (<usize> (h * tq * tk) << 2);
    for (let i = 0; i < tq; i++) {
      const qi = qh + (<usize> (i * d) << 2), pi = ph + (<usize> (i * tk) << 2), oi = oh + (<usize> (i * d) << 2);
      const last = off + i;
      let mx: f32 = -Infinity;
      for (let j = 0; j <= last; j++) {
        const s = dotRow(qi, kh + (<usize> (j * d) << 2), d) * scale;
        f32set(pi, j, s);
        mx = max(mx, s);
      }
      let sum: f32 = 0;
      for (let j = 0; j <= last; j++) {
        const e = expf(f32at(pi, j) - mx);
        f32set(pi, j, e);
        sum += e;
      }
      const inv = <f32> 1 / sum;
      for (let j = last + 1; j < tk; j++) f32set(pi, j, 0);
      for (let c = 0; c < d; c++) f32set(oi, c, 0);
      for (let j = 0; j <= last; j++) {
        const pj = f32at(pi, j) * inv;
        f32set(pi, j, pj);
        axpyRow(pj, vh + (<usize> (j * d) << 2), oi, d);
      }
    }
  }
}

// Backward of attention_fwd with tq == tk == t (training). dq, dk, dv are overwritten; scratch holds
// t floats per head.
export function attention_bwd(
  q: usize,
  k: usize,
  v: usize,
  p: usize,
  dout: usize,
  dq: usize,
  dk: usize,
  dv: usize,
  scratch: usize,
  t: i32,
  d: i32,
  scale: f32,
  h0: i32,
  h1: i32,
): void {
  for (let h = h0; h < h1; h++) {
    const base = <usize> (h * t * d) << 2;
    const qh = q + base, kh = k + base, vh = v + base, doh = dout + base;
    const dqh = dq + base, dkh = dk + base, dvh = dv + base;
    const ph = p + (<usize> (h * t * t) << 2);
    const sc = scratch + (<usize> (h * t) << 2);
    memory.fill(dqh, 0, <usize> (t * d) << 2);
    memory.fill(dkh, 0, <usize> (t * d) << 2);
    memory.fill(dvh, 0, <usize> (t * d) << 2);
    for (let i = 0; i < t; i++) {
      const pi = ph + (<usize> (i * t) << 2), doi = doh + (<usize> (i * d) << 2);
      let s: f32 = 0;
      for (let j = 0; j <= i; j++) {
        const dp = dotRow(doi, vh + (<usize> (j * d) << 2), d);
        f32set(sc, j, dp);
        s += dp * f32at(pi, j);
      }
      const qi = qh + (<usize> (i * d) << 2), dqi = dqh + (<usize> (i * d) << 2);
      for (let j = 0; j <= i; j++) {
        const pij = f32at(pi, j);
        const ds = pij * (f32at(sc, j) - s) * scale;
        const ko = <usize> (j * d) << 2;
        axpyRow(ds, kh + ko, dqi, d);
        axpyRow(ds, qi, dkh + ko, d);
        axpyRow(pij, doi, dvh + ko, d);
      }
    }
  }
}

// ---------------------------------------------------------------- rows: gather, scatter-add, transpose

// out[r] = table[idx[r]], rows [r0, r1) of width d.
export function gather_rows(table: usize, idx: usize, out: usize, d: i32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const src = table + (<usize> (load<i32>(idx + (<usize> r << 2)) * d) << 2);
    memory.copy(out + (<usize> (r * d) << 2), src, <usize> d << 2);
  }
}

// out[idx[r], c] += src[r, c] for all n rows, columns [c0, c1) (threads split columns, not rows, so no
// two threads ever add into the same element).
export function scatter_add_rows(src: usize, idx: usize, out: usize, n: i32, d: i32, c0: i32, c1: i32): void {
  for (let r = 0; r < n; r++) {
    const dst = out + (<usize> (load<i32>(idx + (<usize> r << 2)) * d) << 2);
    const s = src + (<usize> (r * d) << 2);
    for (let c = c0; c < c1; c++) f32set(dst, c, f32at(dst, c) + f32at(s, c));
  }
}

// b[c, r] = a[r, c] for a of shape [batch][rows, cols]; matrices [m0, m1).
export function transpose_batched(a: usize, b: usize, rows: i32, cols: i32, m0: i32, m1: i32): void {
  const size = rows * cols;
  for (let m = m0; m < m1; m++) {
    const am = a + (<usize> (m * size) << 2), bm = b + (<usize> (m * size) << 2);
    // 8 x 8 tiles keep both the reads and the writes within a few cache lines
    for (let r0 = 0; r0 < rows; r0 += 8) {
      const rEnd = min(r0 + 8, rows);
      for (let c0 = 0; c0 < cols; c0 += 8) {
        const cEnd = min(c0 + 8, cols);
        for (let r = r0; r < rEnd; r++) {
          for (let c = c0; c < cEnd; c++) f32set(bm, c * rows + r, f32at(am, r * cols + c));
        }
      }
    }
  }
}

// ---------------------------------------------------------------- AdamW, elements [i0, i1)
// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g²; p -= lr (m / bc1 / (sqrt(v / bc2) + eps) + wd p)

export function adamw_step(
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  lr: f32,
  b1: f32,
  b2: f32,
  eps: f32,
  wd: f32,
  bc1: f32,
  bc2: f32,
  i0: i32,
  i1: i32,
): void {
  const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2), vc1 = f32x4.splat(1 - b1), vc2 = f32x4.splat(1 - b2);
  const vlr = f32x4.splat(lr), veps = f32x4.splat(eps), vwd = f32x4.splat(wd);
  const ibc1 = f32x4.splat(<f32> 1 / bc1), ibc2 = f32x4.splat(<f32> 1 / bc2);
  let i = i0;
  for (; i < i1 && (i & 3) != 0; i++) adamwScalar(p, g, m, v, lr, b1, b2, eps, wd, bc1, bc2, i);
  for (; i + 4 <= i1; i += 4) {
    const o = <usize> i << 2;
    const gi = v128.load(g + o);
    const mi = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vc1, gi));
    const vi = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(vc2, f32x4.mul(gi, gi)));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const pi = v128.load(p + o);
    const upd = f32x4.add(
      f32x4.div(f32x4.mul(mi, ibc1), f32x4.add(f32x4.sqrt(f32x4.mul(vi, ibc2)), veps)),
      f32x4.mul(vwd, pi),
    );
    v128.store(p + o, f32x4.sub(pi, f32x4.mul(vlr, upd)));
  }
  for (; i < i1; i++) adamwScalar(p, g, m, v, lr, b1, b2, eps, wd, bc1, bc2, i);
}

// @ts-ignore: decorator
@inline
function adamwScalar(
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  lr: f32,
  b1: f32,
  b2: f32,
  eps: f32,
  wd: f32,
  bc1: f32,
  bc2: f32,
  i: i32,
): void {
  const gi = f32at(g, i);
  const mi = b1 * f32at(m, i) + (1 - b1) * gi;
  const vi = b2 * f32at(v, i) + (1 - b2) * gi * gi;
  f32set(m, i, mi);
  f32set(v, i, vi);
  const pi = f32at(p, i);
  f32set(p, i, pi - lr * ((mi / bc1) / (Mathf.sqrt(vi / bc2) + eps) + wd * pi));
}
