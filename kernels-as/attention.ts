// deno-fmt-ignore-file -- deno fmt drops AssemblyScript's @inline decorators
// Decode attention over a prefix tree: task kernel (partial softmax states per KV chunk and query group)
// and merge kernel. The plan (tasks, worker bins, state lists) is made in TypeScript (lib/attention/plan.ts).
//
// Layouts (all f32 unless said):
//   task record, 8 x u32: kPtr, vPtr (byte addresses of the node's K and V, token-major [L, Hkv, d]),
//     t0, count (token range), head (kv head), qOff (into qidx), nq (query rows), state (first state index)
//   qidx: u32 row indices; a row's query is q + row * d
//   state: stride dpad + 4 floats: o[0..dpad) (unnormalised), m at dpad, l at dpad + 1, and at dpad + 2
//     the block's rescaling factor alpha (between the softmax and P.V passes of run_bins)
//   K/V blocks end with >= 16 zeroed bytes, so loads of 4 floats that pass the last head read zeros;
//   queries are copied into scratch zero-padded to dpad (a multiple of 4), so padded lanes add nothing.
//   scratch per bin: queries [maxQ][dpad], then scores [maxQ][TB], then the quads' probabilities
//     pre-broadcast [maxQ / 4][TB][4 rows][4 lanes] (4 maxQ TB floats); whole quads of query rows are
//     stored interleaved ([dpad / 4][4 rows][4], the tiled scores) or dim-major ([d][4 rows], the gemm
//     scores); the scores of a quad are token-major [TB][4 rows], of a leftover row [TB]
//   queue counter (run_queue): u32 next queue position at +0, completed tasks at +4, then per thread slot w
//     at +16 (w + 1): tasks taken, token x row work, queue position of its first task
//
// Entry points split over the worker pool by bin: run_bins(..., gemm, w0, w1) runs the tasks of bins
// [w0, w1) in their listed order, then merge_rows(..., r0, r1) merges the states of output rows [r0, r1);
// run_queue takes tasks from a shared longest-first queue instead and merges in the thread that completes
// the last task. gemm != 0 selects the matrix-product score pass (scoresGemm), 0 the tiled one.

const TB: i32 = 32; // tokens per block: scores of a block stay in L1

// e^x for x <= 0 (and -inf), 4 lanes: x = n ln2 + r, |r| <= ln2/2, degree-6 Taylor polynomial for e^r,
// 2^n built in the exponent bits. Relative error ~2e-7. Lanes below -87 give 0 (the subnormal range).
// n is rounded by adding 1.5 * 2^23 (round to nearest even, as f32x4.nearest): the sum's low mantissa bits
// are then n itself, so 2^n's bits are (bits + 127) << 23 (the magic's own bits shift out), which saves the
// rounding, the clamp and the saturating conversion (a multi-instruction sequence on x86) per call. Lanes
// below -87 (where n would leave the normal range, and -inf, whose r is NaN) are masked to 0 at the end.
// @ts-ignore: decorator
@inline
function expNeg4(x: v128): v128 {
  const magic = f32x4.splat(12582912.0); // 1.5 * 2^23
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504)), magic);
  const n = f32x4.sub(t, magic);
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693145752)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(1.42860677e-6)));
  let p = f32x4.add(f32x4.mul(r, f32x4.splat(1.0 / 720.0)), f32x4.splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0));
  const pow2 = i32x4.shl(i32x4.add(t, i32x4.splat(127)), 23);
  const y = f32x4.mul(p, pow2);
  return v128.and(y, f32x4.ge(x, f32x4.splat(-87.0)));
}

// @ts-ignore: decorator
@inline
function expNeg(x: f32): f32 {
  return f32x4.extract_lane(expNeg4(f32x4.splat(x)), 0);
}

// @ts-ignore: decorator
@inline
function hsum(a: v128): f32 {
  return f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + f32x4.extract_lane(a, 2) +
    f32x4.extract_lane(a, 3);
}

function runTaskV1(
  rec: usize,
  qidx: usize,
  q: usize,
  states: usize,
  qs: usize,
  sc: usize,
  kvStride: i32,
  d: i32,
  dpad: i32,
  scale: f32,
): void {
  const kPtr = <usize> load<u32>(rec);
  const vPtr = <usize> load<u32>(rec, 4);
  const t0 = <i32> load<u32>(rec, 8);
  const count = <i32> load<u32>(rec, 12);
  const head = <i32> load<u32>(rec, 16);
  const qOff = <i32> load<u32>(rec, 20);
  const nq = <i32> load<u32>(rec, 24);
  const state0 = <i32> load<u32>(rec, 28);
  const ss = <usize> (dpad + 4) << 2; // state stride, bytes
  const dp4 = <usize> dpad << 2;

  // scaled, zero-padded queries; empty states
  for (let j = 0; j < nq; j++) {
    const row = <usize> load<u32>(qidx + (<usize> (qOff + j) << 2));
    const src = q + ((row * <usize> d) << 2);
    const dst = qs + <usize> j * dp4;
    for (let c = 0; c < d; c++) store<f32>(dst + (<usize> c << 2), load<f32>(src + (<usize> c << 2)) * scale);
    for (let c = d; c < dpad; c++) store<f32>(dst + (<usize> c << 2), 0);
    const st = states + <usize> (state0 + j) * ss;
    memory.fill(st, 0, dp4);
    store<f32>(st + dp4, -Infinity);
    store<f32>(st + dp4, 0, 4);
  }

  const tokenBytes = <usize> kvStride << 2;
  const headOff = <usize> (head * d) << 2;
  const sRow = <usize> TB << 2;
  for (let b = t0; b < t0 + count; b += TB) {
    const nb = min(TB, t0 + count - b);
    const kBase = kPtr + <usize> b * tokenBytes + headOff;
    const vBase = vPtr + <usize> b * tokenBytes + headOff;

    // scores S[j][t] = (scale q_j) . k_t, four query rows per pass over a key
    let j = 0;
    for (; j + 4 <= nq; j += 4) {
      const q0 = qs + <usize> j * dp4, q1 = q0 + dp4, q2 = q1 + dp4, q3 = q2 + dp4;
      for (let t = 0; t < nb; t++) {
        const kp = kBase + <usize> t * tokenBytes;
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        for (let c = 0; c < dpad; c += 4) {
          const o = <usize> c << 2;
          const kv = v128.load(kp + o);
          a0 = f32x4.add(a0, f32x4.mul(v128.load(q0 + o), kv));
          a1 = f32x4.add(a1, f32x4.mul(v128.load(q1 + o), kv));
          a2 = f32x4.add(a2, f32x4.mul(v128.load(q2 + o), kv));
          a3 = f32x4.add(a3, f32x4.mul(v128.load(q3 + o), kv));
        }
        const so = sc + <usize> j * sRow + (<usize> t << 2);
        store<f32>(so, hsum(a0));
        store<f32>(so + sRow, hsum(a1));
        store<f32>(so + 2 * sRow, hsum(a2));
        store<f32>(so + 3 * sRow, hsum(a3));
      }
    }
    for (; j < nq; j++) {
      const q0 = qs + <usize> j * dp4;
      let t = 0;
      for (; t + 4 <= nb; t += 4) {
        const kp = kBase + <usize> t * tokenBytes;
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        for (let c = 0; c < dpad; c += 4) {
          const o = <usize> c << 2;
          const qv = v128.load(q0 + o);
          a0 = f32x4.add(a0, f32x4.mul(qv, v128.load(kp + o)));
          a1 = f32x4.add(a1, f32x4.mul(qv, v128.load(kp + tokenBytes + o)));
          a2 = f32x4.add(a2, f32x4.mul(qv, v128.load(kp + 2 * tokenBytes + o)));
          a3 = f32x4.add(a3, f32x4.mul(qv, v128.load(kp + 3 * tokenBytes + o)));
        }
        const so = sc + <usize> j * sRow + (<usize> t << 2);
        store<f32>(so, hsum(a0));
        store<f32>(so, hsum(a1), 4);
        store<f32>(so, hsum(a2), 8);
        store<f32>(so, hsum(a3), 12);
      }
      for (; t < nb; t++) {
        const kp = kBase + <usize> t * tokenBytes;
        let a0 = f32x4.splat(0);
        for (let c = 0; c < dpad; c += 4) {
          const o = <usize> c << 2;
          a0 = f32x4.add(a0, f32x4.mul(v128.load(q0 + o), v128.load(kp + o)));
        }
        store<f32>(sc + <usize> j * sRow + (<usize> t << 2), hsum(a0));
      }
    }

    // online softmax: new max, rescale the running state, P = exp(S - m) in place
    const nb4 = (nb + 3) & ~3;
    for (j = 0; j < nq; j++) {
      const srow = sc + <usize> j * sRow;
      for (let t = nb; t < nb4; t++) store<f32>(srow + (<usize> t << 2), -Infinity);
      let mx: f32 = -Infinity;
      for (let t = 0; t < nb; t++) mx = max(mx, load<f32>(srow + (<usize> t << 2)));
      const st = states + <usize> (state0 + j) * ss;
      const mOld = load<f32>(st + dp4);
      const mNew = max(mOld, mx);
      const vm = f32x4.splat(mNew);
      let lsum = f32x4.splat(0);
      for (let t = 0; t < nb4; t += 4) {
        const p = expNeg4(f32x4.sub(v128.load(srow + (<usize> t << 2)), vm));
        v128.store(srow + (<usize> t << 2), p);
        lsum = f32x4.add(lsum, p);
      }
      let l = load<f32>(st + dp4, 4);
      if (mNew > mOld) {
        const alpha = expNeg(mOld - mNew); // 0 when mOld = -inf
        l *= alpha;
        const va = f32x4.splat(alpha);
        for (let c = 0; c < dpad; c += 4) {
          const o = st + (<usize> c << 2);
          v128.store(o, f32x4.mul(v128.load(o), va));
        }
        store<f32>(st + dp4, mNew);
      }
      store<f32>(st + dp4, l + hsum(lsum), 4);
    }

    // O += P V: 4 rows x 8 columns of accumulators, one pass over the block's values per tile
    j = 0;
    for (; j + 4 <= nq; j += 4) {
      const st0 = states + <usize> (state0 + j) * ss;
      const st1 = st0 + ss, st2 = st1 + ss, st3 = st2 + ss;
      const p0 = sc + <usize> j * sRow, p1 = p0 + sRow, p2 = p1 + sRow, p3 = p2 + sRow;
      let c = 0;
      for (; c + 8 <= dpad; c += 8) {
        const co = <usize> c << 2;
        let x00 = v128.load(st0 + co), x01 = v128.load(st0 + co, 16);
        let x10 = v128.load(st1 + co), x11 = v128.load(st1 + co, 16);
        let x20 = v128.load(st2 + co), x21 = v128.load(st2 + co, 16);
        let x30 = v128.load(st3 + co), x31 = v128.load(st3 + co, 16);
        let vp = vBase + co;
        for (let t = 0; t < nb; t++) {
          const v0 = v128.load(vp), v1 = v128.load(vp, 16);
          const to = <usize> t << 2;
          const a0 = v128.load32_splat(p0 + to), a1 = v128.load32_splat(p1 + to);
          const a2 = v128.load32_splat(p2 + to), a3 = v128.load32_splat(p3 + to);
          x00 = f32x4.add(x00, f32x4.mul(a0, v0));
          x01 = f32x4.add(x01, f32x4.mul(a0, v1));
          x10 = f32x4.add(x10, f32x4.mul(a1, v0));
          x11 = f32x4.add(x11, f32x4.mul(a1, v1));
          x20 = f32x4.add(x20, f32x4.mul(a2, v0));
          x21 = f32x4.add(x21, f32x4.mul(a2, v1));
          x30 = f32x4.add(x30, f32x4.mul(a3, v0));
          x31 = f32x4.add(x31, f32x4.mul(a3, v1));
          vp += tokenBytes;
        }
        v128.store(st0 + co, x00);
        v128.store(st0 + co, x01, 16);
        v128.store(st1 + co, x10);
        v128.store(st1 + co, x11, 16);
        v128.store(st2 + co, x20);
        v128.store(st2 + co, x21, 16);
        v128.store(st3 + co, x30);
        v128.store(st3 + co, x31, 16);
      }
      if (c < dpad) { // dpad % 8 == 4
        const co = <usize> c << 2;
        let x0 = v128.load(st0 + co),
          x1 = v128.load(st1 + co),
          x2 = v128.load(st2 + co),
          x3 = v128.load(st3 + co);
        let vp = vBase + co;
        for (let t = 0; t < nb; t++) {
          const v0 = v128.load(vp);
          const to = <usize> t << 2;
          x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(p0 + to), v0));
          x1 = f32x4.add(x1, f32x4.mul(v128.load32_splat(p1 + to), v0));
          x2 = f32x4.add(x2, f32x4.mul(v128.load32_splat(p2 + to), v0));
          x3 = f32x4.add(x3, f32x4.mul(v128.load32_splat(p3 + to), v0));
          vp += tokenBytes;
        }
        v128.store(st0 + co, x0);
        v128.store(st1 + co, x1);
        v128.store(st2 + co, x2);
        v128.store(st3 + co, x3);
      }
    }
    for (; j < nq; j++) {
      const st0 = states + <usize> (state0 + j) * ss;
      const p0 = sc + <usize> j * sRow;
      let c = 0;
      for (; c + 16 <= dpad; c += 16) {
        const co = <usize> c << 2;
        let x0 = v128.load(st0 + co), x1 = v128.load(st0 + co, 16);
        let x2 = v128.load(st0 + co, 32), x3 = v128.load(st0 + co, 48);
        let vp = vBase + co;
        for (let t = 0; t < nb; t++) {
          const a = v128.load32_splat(p0 + (<usize> t << 2));
          x0 = f32x4.add(x0, f32x4.mul(a, v128.load(vp)));
          x1 = f32x4.add(x1, f32x4.mul(a, v128.load(vp, 16)));
          x2 = f32x4.add(x2, f32x4.mul(a, v128.load(vp, 32)));
          x3 = f32x4.add(x3, f32x4.mul(a, v128.load(vp, 48)));
          vp += tokenBytes;
        }
        v128.store(st0 + co, x0);
        v128.store(st0 + co, x1, 16);
        v128.store(st0 + co, x2, 32);
        v128.store(st0 + co, x3, 48);
      }
      for (; c < dpad; c += 4) {
        const co = <usize> c << 2;
        let x0 = v128.load(st0 + co);
        let vp = vBase + co;
        for (let t = 0; t < nb; t++) {
          x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(p0 + (<usize> t << 2)), v128.load(vp)));
          vp += tokenBytes;
        }
        v128.store(st0 + co, x0);
      }
    }
  }
}

// Four horizontal sums at once: [sum a0, sum a1, sum a2, sum a3].
// @ts-ignore: decorator
@inline
function hsum4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const s01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const s23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7));
}

// q . k for one query row and one key of dp4 bytes (a multiple of 16), as 4 lanes whose sum is the dot
// product: four partial sums over the dims, so the adds do not wait on each other.
// @ts-ignore: decorator
@inline
function dotRow(q0: usize, kp: usize, dp4: usize): v128 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let o: usize = 0;
  for (; o + 64 <= dp4; o += 64) {
    a0 = f32x4.add(a0, f32x4.mul(v128.load(q0 + o), v128.load(kp + o)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(q0 + o, 16), v128.load(kp + o, 16)));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(q0 + o, 32), v128.load(kp + o, 32)));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(q0 + o, 48), v128.load(kp + o, 48)));
  }
  for (; o < dp4; o += 16) a0 = f32x4.add(a0, f32x4.mul(v128.load(q0 + o), v128.load(kp + o)));
  return f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
}

// Scores of every whole quad of a block, as a small matrix product S^T = K Q^T: the quads' queries are
// dim-major ([d][4 rows] per quad, staged once per task), so per dim c two vector loads give c of 8 rows
// (two quads) and four splat loads give c of 4 keys; 4 keys x 8 rows of accumulators (the register tile of
// the packed matmul in linalg.ts) with no horizontal sums, and each accumulator is already a key's 4 rows
// in the lanes, the token-major [TB][4] layout the softmax and P.V read. Dims run to d exactly (no padding).
// @ts-ignore: decorator
@inline
function scoresGemm(
  qs: usize,
  sc: usize,
  kBase: usize,
  tokenBytes: usize,
  nb: i32,
  nq4: i32,
  d: i32,
  dp4: usize,
): void {
  const sRow = <usize> TB << 2;
  const kEnd = <usize> d << 2;
  let g = 0;
  for (; g + 8 <= nq4; g += 8) {
    const qa = qs + <usize> g * dp4, qb = qa + (dp4 << 2);
    const sa = sc + <usize> g * sRow, sb = sa + (sRow << 2);
    let t = 0;
    for (; t + 4 <= nb; t += 4) {
      const k0 = kBase + <usize> t * tokenBytes;
      const k1 = k0 + tokenBytes, k2 = k1 + tokenBytes, k3 = k2 + tokenBytes;
      let a00 = f32x4.splat(0), a10 = f32x4.splat(0), a20 = f32x4.splat(0), a30 = f32x4.splat(0);
      let a01 = f32x4.splat(0), a11 = f32x4.splat(0), a21 = f32x4.splat(0), a31 = f32x4.splat(0);
      let qa_ = qa, qb_ = qb;
      for (let o: usize = 0; o < kEnd; o += 4) {
        const y0 = v128.load(qa_), y1 = v128.load(qb_);
        const x0 = v128.load32_splat(k0 + o);
        a00 = f32x4.add(a00, f32x4.mul(x0, y0));
        a01 = f32x4.add(a01, f32x4.mul(x0, y1));
        const x1 = v128.load32_splat(k1 + o);
        a10 = f32x4.add(a10, f32x4.mul(x1, y0));
        a11 = f32x4.add(a11, f32x4.mul(x1, y1));
        const x2 = v128.load32_splat(k2 + o);
        a20 = f32x4.add(a20, f32x4.mul(x2, y0));
        a21 = f32x4.add(a21, f32x4.mul(x2, y1));
        const x3 = v128.load32_splat(k3 + o);
        a30 = f32x4.add(a30, f32x4.mul(x3, y0));
        a31 = f32x4.add(a31, f32x4.mul(x3, y1));
        qa_ += 16;
        qb_ += 16;
      }
      const oa = sa + (<usize> t << 4), ob = sb + (<usize> t << 4);
      v128.store(oa, a00);
      v128.store(oa, a10, 16);
      v128.store(oa, a20, 32);
      v128.store(oa, a30, 48);
      v128.store(ob, a01);
      v128.store(ob, a11, 16);
      v128.store(ob, a21, 32);
      v128.store(ob, a31, 48);
    }
    for (; t < nb; t++) {
      const k0 = kBase + <usize> t * tokenBytes;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
      let qa_ = qa, qb_ = qb;
      for (let o: usize = 0; o < kEnd; o += 4) {
        const x0 = v128.load32_splat(k0 + o);
        a0 = f32x4.add(a0, f32x4.mul(x0, v128.load(qa_)));
        a1 = f32x4.add(a1, f32x4.mul(x0, v128.load(qb_)));
        qa_ += 16;
        qb_ += 16;
      }
      v128.store(sa + (<usize> t << 4), a0);
      v128.store(sb + (<usize> t << 4), a1);
    }
  }
  if (g < nq4) { // one quad left: 8 keys x 4 rows
    const qa = qs + <usize> g * dp4;
    const sa = sc + <usize> g * sRow;
    let t = 0;
    for (; t + 8 <= nb; t += 8) {
      const k0 = kBase + <usize> t * tokenBytes;
      const k1 = k0 + tokenBytes, k2 = k1 + tokenBytes, k3 = k2 + tokenBytes;
      const k4 = k3 + tokenBytes, k5 = k4 + tokenBytes, k6 = k5 + tokenBytes, k7 = k6 + tokenBytes;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
      let qa_ = qa;
      for (let o: usize = 0; o < kEnd; o += 4) {
        const y = v128.load(qa_);
        a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(k0 + o), y));
        a1 = f32x4.add(a1, f32x4.mul(v128.load32_splat(k1 + o), y));
        a2 = f32x4.add(a2, f32x4.mul(v128.load32_splat(k2 + o), y));
        a3 = f32x4.add(a3, f32x4.mul(v128.load32_splat(k3 + o), y));
        a4 = f32x4.add(a4, f32x4.mul(v128.load32_splat(k4 + o), y));
        a5 = f32x4.add(a5, f32x4.mul(v128.load32_splat(k5 + o), y));
        a6 = f32x4.add(a6, f32x4.mul(v128.load32_splat(k6 + o), y));
        a7 = f32x4.add(a7, f32x4.mul(v128.load32_splat(k7 + o), y));
        qa_ += 16;
      }
      const oa = sa + (<usize> t << 4);
      v128.store(oa, a0);
      v128.store(oa, a1, 16);
      v128.store(oa, a2, 32);
      v128.store(oa, a3, 48);
      v128.store(oa, a4, 64);
      v128.store(oa, a5, 80);
      v128.store(oa, a6, 96);
      v128.store(oa, a7, 112);
    }
    for (; t < nb; t++) {
      const k0 = kBase + <usize> t * tokenBytes;
      let a0 = f32x4.splat(0);
      let qa_ = qa;
      for (let o: usize = 0; o < kEnd; o += 4) {
        a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(k0 + o), v128.load(qa_)));
        qa_ += 16;
      }
      v128.store(sa + (<usize> t << 4), a0);
    }
  }
}

// The register-blocked task kernel. Query rows go in quads (4 rows): a quad's queries are interleaved by
// 4 floats in scratch ([dpad / 4][4 rows][4]) so one running pointer with constant offsets reads them; its
// scores are computed 4 rows x 2 keys per pass (8 accumulators, each key load serves 4 rows, each query
// load 2 keys) and stored token-major ([TB][4 rows]), so the online softmax runs with the quad's rows in
// the 4 lanes; the softmax writes each probability broadcast to 4 lanes ([TB][4 rows][4], 2 KB per quad,
// in L1), so P.V reads them with plain vector loads (JSC compiles a splat load at a constant offset to a
// scalar load plus a register broadcast, an extra FP-pipe op per row and token); P.V keeps 4 rows x 8
// columns of the output in registers over the block's values (each value load serves 4 rows), two tokens
// per iteration, and folds the rescaling by alpha into the accumulator loads. Rows left over (nq % 4) run
// one at a time.
function runTask(
  rec: usize,
  qidx: usize,
  q: usize,
  states: usize,
  qs: usize,
  sc: usize,
  kvStride: i32,
  d: i32,
  dpad: i32,
  scale: f32,
  gemm: bool,
  pb: usize,
): void {
  const kPtr = <usize> load<u32>(rec);
  const vPtr = <usize> load<u32>(rec, 4);
  const t0 = <i32> load<u32>(rec, 8);
  const count = <i32> load<u32>(rec, 12);
  const head = <i32> load<u32>(rec, 16);
  const qOff = <i32> load<u32>(rec, 20);
  const nq = <i32> load<u32>(rec, 24);
  const state0 = <i32> load<u32>(rec, 28);
  const ss = <usize> (dpad + 4) << 2; // state stride, bytes
  const dp4 = <usize> dpad << 2;
  const nq4 = nq & ~3;
  const vscale = f32x4.splat(scale);

  // scaled, zero-padded queries (quads interleaved, the rest row-major); empty states
  for (let j = 0; j < nq; j++) {
    const row = <usize> load<u32>(qidx + (<usize> (qOff + j) << 2));
    const src = q + ((row * <usize> d) << 2);
    if (j < nq4 && gemm) {
      // dim-major per quad ([d][4 rows]): one load gives dim c of the quad's 4 rows
      const base = qs + <usize> (j & ~3) * dp4 + (<usize> (j & 3) << 2);
      for (let c = 0; c < d; c++) store<f32>(base + (<usize> c << 4), load<f32>(src + (<usize> c << 2)) * scale);
    } else if (j < nq4) {
      const base = qs + <usize> (j & ~3) * dp4 + (<usize> (j & 3) << 4);
      const d4 = d & ~3;
      for (let c = 0; c < d4; c += 4) {
        v128.store(base + (<usize> c << 4), f32x4.mul(v128.load(src + (<usize> c << 2)), vscale));
      }
      for (let c = d4; c < dpad; c++) {
        const x: f32 = c < d ? load<f32>(src + (<usize> c << 2)) * scale : 0;
        store<f32>(base + (<usize> (c >> 2) << 6) + (<usize> (c & 3) << 2), x);
      }
    } else {
      const dst = qs + <usize> j * dp4;
      for (let c = 0; c < d; c++) store<f32>(dst + (<usize> c << 2), load<f32>(src + (<usize> c << 2)) * scale);
      for (let c = d; c < dpad; c++) store<f32>(dst + (<usize> c << 2), 0);
    }
    const st = states + <usize> (state0 + j) * ss;
    memory.fill(st, 0, dp4);
    store<f32>(st + dp4, -Infinity);
    store<f32>(st + dp4, 0, 4);
  }

  const tokenBytes = <usize> kvStride << 2;
  const headOff = <usize> (head * d) << 2;
  const sRow = <usize> TB << 2;
  const one = f32x4.splat(1);
  for (let b = t0; b < t0 + count; b += TB) {
    const nb = min(TB, t0 + count - b);
    const kBase = kPtr + <usize> b * tokenBytes + headOff;
    const vBase = vPtr + <usize> b * tokenBytes + headOff;
    // Read the block's keys (quads) and values once front to back (one load per 64-byte line: a sequential
    // stream) before the passes below walk them a token apart: from L3/DRAM those strided first reads were
    // the slow part of a task (about 1.7x on one-row tasks on this machine); afterwards they hit L1.
    {
      const bytes = <usize> nb * tokenBytes;
      let touch: u32 = 0;
      if (nq4 > 0) for (let a: usize = 0; a < bytes; a += 64) touch |= load<u32>(kBase + a) | load<u32>(vBase + a);
      else for (let a: usize = 0; a < bytes; a += 64) touch |= load<u32>(vBase + a); // one-row keys: read in order
      store<u32>(sc, touch | load<u32>(sc)); // scores scratch, rewritten below before any read: keeps the loads
    }

    if (gemm) scoresGemm(qs, sc, kBase, tokenBytes, nb, nq4, d, dp4);
    for (let g = 0; g < nq4; g += 4) {
      const qg = qs + <usize> g * dp4;
      const sg = sc + <usize> g * sRow; // [TB][4] floats
      // scores: 4 rows x 2 keys per pass
      let t = 0;
      if (gemm) t = nb;
      for (; t + 2 <= nb; t += 2) {
        const k0 = kBase + <usize> t * tokenBytes, k1 = k0 + tokenBytes;
        let a00 = f32x4.splat(0), a10 = f32x4.splat(0), a20 = f32x4.splat(0), a30 = f32x4.splat(0);
        let a01 = f32x4.splat(0), a11 = f32x4.splat(0), a21 = f32x4.splat(0), a31 = f32x4.splat(0);
        let qp = qg;
        let o: usize = 0;
        for (; o + 32 <= dp4; o += 32) { // two column groups per pass: half the loop overhead
          let x0 = v128.load(k0 + o), x1 = v128.load(k1 + o);
          let y0 = v128.load(qp), y1 = v128.load(qp, 16), y2 = v128.load(qp, 32), y3 = v128.load(qp, 48);
          a00 = f32x4.add(a00, f32x4.mul(y0, x0));
          a01 = f32x4.add(a01, f32x4.mul(y0, x1));
          a10 = f32x4.add(a10, f32x4.mul(y1, x0));
          a11 = f32x4.add(a11, f32x4.mul(y1, x1));
          a20 = f32x4.add(a20, f32x4.mul(y2, x0));
          a21 = f32x4.add(a21, f32x4.mul(y2, x1));
          a30 = f32x4.add(a30, f32x4.mul(y3, x0));
          a31 = f32x4.add(a31, f32x4.mul(y3, x1));
          x0 = v128.load(k0 + o, 16);
          x1 = v128.load(k1 + o, 16);
          y0 = v128.load(qp, 64);
          y1 = v128.load(qp, 80);
          y2 = v128.load(qp, 96);
          y3 = v128.load(qp, 112);
          a00 = f32x4.add(a00, f32x4.mul(y0, x0));
          a01 = f32x4.add(a01, f32x4.mul(y0, x1));
          a10 = f32x4.add(a10, f32x4.mul(y1, x0));
          a11 = f32x4.add(a11, f32x4.mul(y1, x1));
          a20 = f32x4.add(a20, f32x4.mul(y2, x0));
          a21 = f32x4.add(a21, f32x4.mul(y2, x1));
          a30 = f32x4.add(a30, f32x4.mul(y3, x0));
          a31 = f32x4.add(a31, f32x4.mul(y3, x1));
          qp += 128;
        }
        if (o < dp4) {
          const x0 = v128.load(k0 + o), x1 = v128.load(k1 + o);
          const y0 = v128.load(qp), y1 = v128.load(qp, 16), y2 = v128.load(qp, 32), y3 = v128.load(qp, 48);
          a00 = f32x4.add(a00, f32x4.mul(y0, x0));
          a01 = f32x4.add(a01, f32x4.mul(y0, x1));
          a10 = f32x4.add(a10, f32x4.mul(y1, x0));
          a11 = f32x4.add(a11, f32x4.mul(y1, x1));
          a20 = f32x4.add(a20, f32x4.mul(y2, x0));
          a21 = f32x4.add(a21, f32x4.mul(y2, x1));
          a30 = f32x4.add(a30, f32x4.mul(y3, x0));
          a31 = f32x4.add(a31, f32x4.mul(y3, x1));
        }
        const so = sg + (<usize> t << 4);
        v128.store(so, hsum4(a00, a10, a20, a30));
        v128.store(so, hsum4(a01, a11, a21, a31), 16);
      }
      if (t < nb && !gemm) {
        const k0 = kBase + <usize> t * tokenBytes;
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        let qp = qg;
        for (let o: usize = 0; o < dp4; o += 16) {
          const x0 = v128.load(k0 + o);
          a0 = f32x4.add(a0, f32x4.mul(v128.load(qp), x0));
          a1 = f32x4.add(a1, f32x4.mul(v128.load(qp, 16), x0));
          a2 = f32x4.add(a2, f32x4.mul(v128.load(qp, 32), x0));
          a3 = f32x4.add(a3, f32x4.mul(v128.load(qp, 48), x0));
          qp += 64;
        }
        v128.store(sg + (<usize> t << 4), hsum4(a0, a1, a2, a3));
      }

      // online softmax with the quad's rows in the lanes
      const st0 = states + <usize> (state0 + g) * ss;
      const st1 = st0 + ss, st2 = st1 + ss, st3 = st2 + ss;
      let mx = f32x4.splat(-Infinity);
      for (t = 0; t < nb; t++) mx = f32x4.max(mx, v128.load(sg + (<usize> t << 4)));
      let mOld = f32x4.splat(load<f32>(st0 + dp4));
      mOld = f32x4.replace_lane(mOld, 1, load<f32>(st1 + dp4));
      mOld = f32x4.replace_lane(mOld, 2, load<f32>(st2 + dp4));
      mOld = f32x4.replace_lane(mOld, 3, load<f32>(st3 + dp4));
      let lOld = f32x4.splat(load<f32>(st0 + dp4, 4));
      lOld = f32x4.replace_lane(lOld, 1, load<f32>(st1 + dp4, 4));
      lOld = f32x4.replace_lane(lOld, 2, load<f32>(st2 + dp4, 4));
      lOld = f32x4.replace_lane(lOld, 3, load<f32>(st3 + dp4, 4));
      const mNew = f32x4.max(mOld, mx);
      let lsum = f32x4.splat(0);
      const pq = pb + (<usize> g * sRow << 2); // P broadcast: [TB][4 rows][4 lanes]
      for (t = 0; t < nb; t++) {
        const p = expNeg4(f32x4.sub(v128.load(sg + (<usize> t << 4)), mNew));
        const po = pq + (<usize> t << 6);
        v128.store(po, v128.shuffle<f32>(p, p, 0, 0, 0, 0));
        v128.store(po, v128.shuffle<f32>(p, p, 1, 1, 1, 1), 16);
        v128.store(po, v128.shuffle<f32>(p, p, 2, 2, 2, 2), 32);
        v128.store(po, v128.shuffle<f32>(p, p, 3, 3, 3, 3), 48);
        lsum = f32x4.add(lsum, p);
      }
      // alpha = e^(mOld - mNew) where the max grew (0 from an empty state), else exactly 1: never NaN
      const alpha = v128.bitselect(expNeg4(f32x4.sub(mOld, mNew)), one, f32x4.gt(mNew, mOld));
      const lNew = f32x4.add(f32x4.mul(lOld, alpha), lsum);
      store<f32>(st0 + dp4, f32x4.extract_lane(mNew, 0));
      store<f32>(st1 + dp4, f32x4.extract_lane(mNew, 1));
      store<f32>(st2 + dp4, f32x4.extract_lane(mNew, 2));
      store<f32>(st3 + dp4, f32x4.extract_lane(mNew, 3));
      store<f32>(st0 + dp4, f32x4.extract_lane(lNew, 0), 4);
      store<f32>(st1 + dp4, f32x4.extract_lane(lNew, 1), 4);
      store<f32>(st2 + dp4, f32x4.extract_lane(lNew, 2), 4);
      store<f32>(st3 + dp4, f32x4.extract_lane(lNew, 3), 4);
      store<f32>(st0 + dp4, f32x4.extract_lane(alpha, 0), 8);
      store<f32>(st1 + dp4, f32x4.extract_lane(alpha, 1), 8);
      store<f32>(st2 + dp4, f32x4.extract_lane(alpha, 2), 8);
      store<f32>(st3 + dp4, f32x4.extract_lane(alpha, 3), 8);
    }

    // O = alpha O + P V: 8 columns at a time for every quad in turn (the block's 8-column slice of V stays
    // in L1 across quads), 4 rows x 8 columns in registers, each value load serving the 4 rows; the
    // probabilities come pre-broadcast from the softmax (plain vector loads: a splat load at an offset
    // compiles to a scalar load and a register broadcast on x86), two tokens per iteration
    const pEnd = <usize> nb << 6, pEnd2 = <usize> (nb & ~1) << 6;
    const tokenBytes2 = tokenBytes << 1;
    let co: usize = 0;
    for (; co + 32 <= dp4; co += 32) {
      for (let g = 0; g < nq4; g += 4) {
        const pq = pb + (<usize> g * sRow << 2);
        const st0 = states + <usize> (state0 + g) * ss + co;
        const st1 = st0 + ss, st2 = st1 + ss, st3 = st2 + ss;
        const al0 = v128.load32_splat(st0 - co + dp4, 8), al1 = v128.load32_splat(st1 - co + dp4, 8);
        const al2 = v128.load32_splat(st2 - co + dp4, 8), al3 = v128.load32_splat(st3 - co + dp4, 8);
        let x00 = f32x4.mul(v128.load(st0), al0), x01 = f32x4.mul(v128.load(st0, 16), al0);
        let x10 = f32x4.mul(v128.load(st1), al1), x11 = f32x4.mul(v128.load(st1, 16), al1);
        let x20 = f32x4.mul(v128.load(st2), al2), x21 = f32x4.mul(v128.load(st2, 16), al2);
        let x30 = f32x4.mul(v128.load(st3), al3), x31 = f32x4.mul(v128.load(st3, 16), al3);
        let vp = vBase + co;
        let pp: usize = 0;
        for (; pp < pEnd2; pp += 128) {
          let v0 = v128.load(vp), v1 = v128.load(vp, 16);
          let p = v128.load(pq + pp);
          x00 = f32x4.add(x00, f32x4.mul(p, v0));
          x01 = f32x4.add(x01, f32x4.mul(p, v1));
          p = v128.load(pq + pp, 16);
          x10 = f32x4.add(x10, f32x4.mul(p, v0));
          x11 = f32x4.add(x11, f32x4.mul(p, v1));
          p = v128.load(pq + pp, 32);
          x20 = f32x4.add(x20, f32x4.mul(p, v0));
          x21 = f32x4.add(x21, f32x4.mul(p, v1));
          p = v128.load(pq + pp, 48);
          x30 = f32x4.add(x30, f32x4.mul(p, v0));
          x31 = f32x4.add(x31, f32x4.mul(p, v1));
          v0 = v128.load(vp + tokenBytes);
          v1 = v128.load(vp + tokenBytes, 16);
          p = v128.load(pq + pp, 64);
          x00 = f32x4.add(x00, f32x4.mul(p, v0));
          x01 = f32x4.add(x01, f32x4.mul(p, v1));
          p = v128.load(pq + pp, 80);
          x10 = f32x4.add(x10, f32x4.mul(p, v0));
          x11 = f32x4.add(x11, f32x4.mul(p, v1));
          p = v128.load(pq + pp, 96);
          x20 = f32x4.add(x20, f32x4.mul(p, v0));
          x21 = f32x4.add(x21, f32x4.mul(p, v1));
          p = v128.load(pq + pp, 112);
          x30 = f32x4.add(x30, f32x4.mul(p, v0));
          x31 = f32x4.add(x31, f32x4.mul(p, v1));
          vp += tokenBytes2;
        }
        if (pp < pEnd) { // odd token count
          const v0 = v128.load(vp), v1 = v128.load(vp, 16);
          let p = v128.load(pq + pp);
          x00 = f32x4.add(x00, f32x4.mul(p, v0));
          x01 = f32x4.add(x01, f32x4.mul(p, v1));
          p = v128.load(pq + pp, 16);
          x10 = f32x4.add(x10, f32x4.mul(p, v0));
          x11 = f32x4.add(x11, f32x4.mul(p, v1));
          p = v128.load(pq + pp, 32);
          x20 = f32x4.add(x20, f32x4.mul(p, v0));
          x21 = f32x4.add(x21, f32x4.mul(p, v1));
          p = v128.load(pq + pp, 48);
          x30 = f32x4.add(x30, f32x4.mul(p, v0));
          x31 = f32x4.add(x31, f32x4.mul(p, v1));
        }
        v128.store(st0, x00);
        v128.store(st0, x01, 16);
        v128.store(st1, x10);
        v128.store(st1, x11, 16);
        v128.store(st2, x20);
        v128.store(st2, x21, 16);
        v128.store(st3, x30);
        v128.store(st3, x31, 16);
      }
    }
    if (co < dp4) { // dpad % 8 == 4
      for (let g = 0; g < nq4; g += 4) {
        const pq = pb + (<usize> g * sRow << 2);
        const st0 = states + <usize> (state0 + g) * ss;
        const st1 = st0 + ss, st2 = st1 + ss, st3 = st2 + ss;
        let x0 = f32x4.mul(v128.load(st0 + co), v128.load32_splat(st0 + dp4, 8));
        let x1 = f32x4.mul(v128.load(st1 + co), v128.load32_splat(st1 + dp4, 8));
        let x2 = f32x4.mul(v128.load(st2 + co), v128.load32_splat(st2 + dp4, 8));
        let x3 = f32x4.mul(v128.load(st3 + co), v128.load32_splat(st3 + dp4, 8));
        let vp = vBase + co;
        for (let pp: usize = 0; pp < pEnd; pp += 64) {
          const v0 = v128.load(vp);
          x0 = f32x4.add(x0, f32x4.mul(v128.load(pq + pp), v0));
          x1 = f32x4.add(x1, f32x4.mul(v128.load(pq + pp, 16), v0));
          x2 = f32x4.add(x2, f32x4.mul(v128.load(pq + pp, 32), v0));
          x3 = f32x4.add(x3, f32x4.mul(v128.load(pq + pp, 48), v0));
          vp += tokenBytes;
        }
        v128.store(st0 + co, x0);
        v128.store(st1 + co, x1);
        v128.store(st2 + co, x2);
        v128.store(st3 + co, x3);
      }
    }

    // rows left over, one at a time
    for (let j = nq4; j < nq; j++) {
      const q0 = qs + <usize> j * dp4;
      const srow = sc + <usize> j * sRow;
      // keys one after another, each read front to back (a sequential stream: reading four keys side by
      // side, a key's length apart, ran about 3x slower from L3/DRAM on this machine)
      let t = 0;
      for (; t + 4 <= nb; t += 4) {
        const kp = kBase + <usize> t * tokenBytes;
        const s0 = dotRow(q0, kp, dp4), s1 = dotRow(q0, kp + tokenBytes, dp4);
        const s2 = dotRow(q0, kp + 2 * tokenBytes, dp4), s3 = dotRow(q0, kp + 3 * tokenBytes, dp4);
        v128.store(srow + (<usize> t << 2), hsum4(s0, s1, s2, s3));
      }
      for (; t < nb; t++) {
        store<f32>(srow + (<usize> t << 2), hsum(dotRow(q0, kBase + <usize> t * tokenBytes, dp4)));
      }

      // online softmax: new max, rescale the running state, P = exp(S - m) in place
      const nb4 = (nb + 3) & ~3;
      for (t = nb; t < nb4; t++) store<f32>(srow + (<usize> t << 2), -Infinity);
      let mx: f32 = -Infinity;
      for (t = 0; t < nb; t++) mx = max(mx, load<f32>(srow + (<usize> t << 2)));
      const st = states + <usize> (state0 + j) * ss;
      const mOld = load<f32>(st + dp4);
      const mNew = max(mOld, mx);
      const vm = f32x4.splat(mNew);
      let lsum = f32x4.splat(0);
      for (t = 0; t < nb4; t += 4) {
        const p = expNeg4(f32x4.sub(v128.load(srow + (<usize> t << 2)), vm));
        v128.store(srow + (<usize> t << 2), p);
        lsum = f32x4.add(lsum, p);
      }
      let l = load<f32>(st + dp4, 4);
      let va = one;
      if (mNew > mOld) {
        const alpha = expNeg(mOld - mNew); // 0 when mOld = -inf
        l *= alpha;
        va = f32x4.splat(alpha);
        store<f32>(st + dp4, mNew);
      }
      store<f32>(st + dp4, l + hsum(lsum), 4);

      // O = alpha O + P V, 16 columns at a time
      let co: usize = 0;
      for (; co + 64 <= dp4; co += 64) {
        let x0 = f32x4.mul(v128.load(st + co), va), x1 = f32x4.mul(v128.load(st + co, 16), va);
        let x2 = f32x4.mul(v128.load(st + co, 32), va), x3 = f32x4.mul(v128.load(st + co, 48), va);
        let vp = vBase + co;
        for (t = 0; t < nb; t++) {
          const a = v128.load32_splat(srow + (<usize> t << 2));
          x0 = f32x4.add(x0, f32x4.mul(a, v128.load(vp)));
          x1 = f32x4.add(x1, f32x4.mul(a, v128.load(vp, 16)));
          x2 = f32x4.add(x2, f32x4.mul(a, v128.load(vp, 32)));
          x3 = f32x4.add(x3, f32x4.mul(a, v128.load(vp, 48)));
          vp += tokenBytes;
        }
        v128.store(st + co, x0);
        v128.store(st + co, x1, 16);
        v128.store(st + co, x2, 32);
        v128.store(st + co, x3, 48);
      }
      for (; co < dp4; co += 16) {
        let x0 = f32x4.mul(v128.load(st + co), va);
        let vp = vBase + co;
        for (t = 0; t < nb; t++) {
          x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(srow + (<usize> t << 2)), v128.load(vp)));
          vp += tokenBytes;
        }
        v128.store(st + co, x0);
      }
    }
  }
}

export function run_bins(
  tasks: usize,
  qidx: usize,
  q: usize,
  states: usize,
  binStart: usize,
  binTasks: usize,
  scratch: usize,
  scratchStride: i32,
  maxQ: i32,
  kvStride: i32,
  d: i32,
  dpad: i32,
  scale: f32,
  gemm: i32,
  w0: i32,
  w1: i32,
): void {
  for (let w = w0; w < w1; w++) {
    const qs = scratch + <usize> w * <usize> scratchStride;
    const sc = qs + ((<usize> maxQ * <usize> dpad) << 2);
    const pb = sc + ((<usize> maxQ * <usize> TB) << 2);
    const a = <i32> load<u32>(binStart + (<usize> w << 2));
    const b = <i32> load<u32>(binStart + (<usize> (w + 1) << 2));
    for (let i = a; i < b; i++) {
      const ti = <usize> load<u32>(binTasks + (<usize> i << 2));
      runTask(tasks + (ti << 5), qidx, q, states, qs, sc, kvStride, d, dpad, scale, gemm != 0, pb);
    }
  }
}

// Dynamic schedule: threads take tasks from one shared queue (task indices, longest first) through an
// atomic counter, so a thread that the OS slows down takes fewer tasks instead of holding up the step.
// run_queue(..., w0, w1) runs as thread slot w (its scratch) for w in [w0, w1) and records, at
// counter + 16 (w + 1), the tasks and the token x row work the slot took and the queue position of its first
// task (how many tasks other slots had taken when it started). The thread that completes the last task (a
// second atomic counter at counter + 4) merges every output row, so a step needs one round of the pool and
// no thread waits for another that woke up late. nTasks must be >= 1.
export function run_queue(
  tasks: usize,
  qidx: usize,
  q: usize,
  states: usize,
  order: usize,
  nTasks: i32,
  counter: usize,
  scratch: usize,
  scratchStride: i32,
  maxQ: i32,
  kvStride: i32,
  d: i32,
  dpad: i32,
  scale: f32,
  gemm: i32,
  rowStart: usize,
  rowStates: usize,
  out: usize,
  rows: i32,
  w0: i32,
  w1: i32,
): void {
  for (let w = w0; w < w1; w++) {
    const qs = scratch + <usize> w * <usize> scratchStride;
    const sc = qs + ((<usize> maxQ * <usize> dpad) << 2);
    const pb = sc + ((<usize> maxQ * <usize> TB) << 2);
    let taken: u32 = 0, work: u32 = 0, first: u32 = <u32> nTasks;
    while (true) {
      const i = <i32> atomic.add<u32>(counter, 1);
      if (i >= nTasks) break;
      if (taken == 0) first = <u32> i;
      const ti = <usize> load<u32>(order + (<usize> i << 2));
      const rec = tasks + (ti << 5);
      runTask(rec, qidx, q, states, qs, sc, kvStride, d, dpad, scale, gemm != 0, pb);
      taken++;
      work += load<u32>(rec, 12) * load<u32>(rec, 24);
      // whoever completes the last task sees every state written (atomics are sequentially consistent)
      // and merges every row
      if (<i32> atomic.add<u32>(counter, 1, 4) == nTasks - 1) {
        merge_rows(states, rowStart, rowStates, out, d, dpad, 0, rows);
      }
    }
    const slot = counter + (<usize> (w + 1) << 4);
    store<u32>(slot, taken);
    store<u32>(slot, work, 4);
    store<u32>(slot, first, 8);
  }
}

// The previous kernel (one query row per key pass in the scores, horizontal sums per score), kept so
// benchmarks can measure the register-blocked kernel against it side by side. Same arguments and results.
export function run_bins_v1(
  tasks: usize,
  qidx: usize,
  q: usize,
  states: usize,
  binStart: usize,
  binTasks: usize,
  scratch: usize,
  scratchStride: i32,
  maxQ: i32,
  kvStride: i32,
  d: i32,
  dpad: i32,
  scale: f32,
  w0: i32,
  w1: i32,
): void {
  for (let w = w0; w < w1; w++) {
    const qs = scratch + <usize> w * <usize> scratchStride;
    const sc = qs + ((<usize> maxQ * <usize> dpad) << 2);
    const a = <i32> load<u32>(binStart + (<usize> w << 2));
    const b = <i32> load<u32>(binStart + (<usize> (w + 1) << 2));
    for (let i = a; i < b; i++) {
      const ti = <usize> load<u32>(binTasks + (<usize> i << 2));
      runTaskV1(tasks + (ti << 5), qidx, q, states, qs, sc, kvStride, d, dpad, scale);
    }
  }
}

// out[row] = merge of the row's states, normalised; rows without a non-empty state get zeros.
export function merge_rows(
  states: usize,
  rowStart: usize,
  rowStates: usize,
  out: usize,
  d: i32,
  dpad: i32,
  r0: i32,
  r1: i32,
): void {
  const ss = <usize> (dpad + 4) << 2;
  const dp4 = <usize> dpad << 2;
  for (let row = r0; row < r1; row++) {
    const a = <i32> load<u32>(rowStart + (<usize> row << 2));
    const b = <i32> load<u32>(rowStart + (<usize> (row + 1) << 2));
    const dst = out + ((<usize> row * <usize> d) << 2);
    let M: f32 = -Infinity;
    for (let i = a; i < b; i++) {
      const st = states + <usize> load<u32>(rowStates + (<usize> i << 2)) * ss;
      M = max(M, load<f32>(st + dp4));
    }
    for (let c = 0; c < d; c++) store<f32>(dst + (<usize> c << 2), 0);
    if (M == -Infinity) continue;
    let L: f32 = 0;
    for (let i = a; i < b; i++) {
      const st = states + <usize> load<u32>(rowStates + (<usize> i << 2)) * ss;
      const w = expNeg(load<f32>(st + dp4) - M);
      L += w * load<f32>(st + dp4, 4);
      for (let c = 0; c < d; c++) {
        const o = dst + (<usize> c << 2);
        store<f32>(o, load<f32>(o) + w * load<f32>(st + (<usize> c << 2)));
      }
    }
    const inv: f32 = 1.0 / L;
    for (let c = 0; c < d; c++) {
      const o = dst + (<usize> c << 2);
      store<f32>(o, load<f32>(o) * inv);
    }
  }
}
