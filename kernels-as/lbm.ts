// Two-component Shan-Chen D2Q9 lattice Boltzmann kernels (see lib/lbm/reference.ts for the model).
// Layout: structure of arrays, f[(s * 9 + q) * S + cell], f32; rho[s * S + cell]; wall[d * S + cell]; mask
// i32 (0 fluid, -1 solid), cell = y * nx + x. The plane stride S >= nx * ny is padded by the caller so that
// the planes do not start at the same offset modulo 4 KiB (power-of-two lattices would otherwise put all
// 36 population streams of a sweep in the same L1 sets). Range kernels split rows [i0, i1) so the worker pool can run them in parallel.
// No static data: the interaction stencil comes in memory as K entries of (dx i32, dy i32, w*dx f32, w*dy f32).
// D2Q9 order: rest, E, N, W, S, NE, NW, SW, SE.

let N: i32 = 0;
let NX: i32 = 0;
let NY: i32 = 0;
let OM1: f32 = 0;
let OM2: f32 = 0;
let SC1: f32 = 0;
let SC2: f32 = 0;
let GC: f32 = 0;
let BX: f32 = 0;
let BY: f32 = 0;
let GA1: f32 = 0;
let GA2: f32 = 0;
// nearest-neighbour stencil (E4): 1 and its weights w * |dx| for axis and diagonal neighbours
let NEAR: i32 = 0;
let WAX: f32 = 0;
let WDG: f32 = 0;
// MRT (params i32 at byte 60 != 0): per component (1/tau - s_e) / 36, (1/tau - s_eps) / 36, (1/tau - s_q) / 12
let MRT: i32 = 0;
let KE1: f32 = 0;
let KP1: f32 = 0;
let KQ1: f32 = 0;
let KE2: f32 = 0;
let KP2: f32 = 0;
let KQ2: f32 = 0;
// the MRT correction of the current cell, one component (see mrtScalar): even parts of the axis (MA) and
// diagonal (MB) pairs, and the q_x, q_y coefficients
let MA: f32 = 0;
let MB: f32 = 0;
let MQX: f32 = 0;
let MQY: f32 = 0;

@inline function ld(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}
@inline function st(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}
@inline function ldv(p: usize, i: i32): v128 {
  return v128.load(p + (<usize>i << 2));
}
@inline function stv(p: usize, i: i32, v: v128): void {
  v128.store(p + (<usize>i << 2), v);
}
@inline function wrap(v: i32, n: i32): i32 {
  return v < 0 ? v + n : (v >= n ? v - n : v);
}

// f[dst[i]] = f[src[i]] for both components: fills the solid links for halfway bounce-back.
export function bounce_fill(f: usize, dst: usize, src: usize, count: i32, n: i32): void {
  const n9 = n * 9;
  for (let i = 0; i < count; i++) {
    const d = load<i32>(dst + (<usize>i << 2)), s = load<i32>(src + (<usize>i << 2));
    st(f, d, ld(f, s));
    st(f, d + n9, ld(f, s + n9));
  }
}

// Virtual densities on solid nodes (see lib/lbm/wetting.ts BoundaryPlan), targets [t0, t1).
export function virtual_fill(
  rho: usize, n: i32, targets: usize, start: usize, src: usize, coefT: usize, coefP: usize, tsum: usize,
  params: usize, t0: i32, t1: i32,
): void {
  for (let t = t0; t < t1; t++) {
    const k0 = load<i32>(start + (<usize>t << 2)), k1 = load<i32>(start + (<usize>(t + 1) << 2));
    const tgt = load<i32>(targets + (<usize>t << 2));
    const ts = ld(tsum, t);
    for (let s = 0; s < 2; s++) {
      const base = rho + (<usize>(s * n) << 2);
      let T: f32 = 0, P: f32 = 0;
      for (let k = k0; k < k1; k++) {
        const r = ld(base, load<i32>(src + (<usize>k << 2)));
        T += ld(coefT, k) * r;
        P += ld(coefP, k) * r;
      }
      const pp = params + (<usize>(5 * s) << 2);
      let v = ld(pp, 0) * T + P - ld(pp, 1) * ts + ld(pp, 2);
      v = min<f32>(ld(pp, 4), max<f32>(ld(pp, 3), v));
      st(base, tgt, v);
    }
  }
}

// rho_s(x) = sum_q f_s(x - e_q, q), scalar, rows [i0, i1); rowmin[y] = min over fluid cells of both
// densities (NaN if any is NaN).
export function density_rows_scalar(
  f: usize, rho: usize, mask: usize, rowmin: usize, nx: i32, ny: i32, stride: i32, i0: i32, i1: i32,
): void {
  for (let y = i0; y < i1; y++) st(rowmin, y, densityRowScalar(f, rho, mask, nx, ny, stride, y));
}

function densityRowScalar(f: usize, rho: usize, mask: usize, nx: i32, ny: i32, n: i32, y: i32): f32 {
  let m: f32 = 1e30;
  for (let x = 0; x < nx; x++) {
    const c = densityCell(f, rho, n, nx, ny, x, y);
    if (load<i32>(mask + (<usize>c << 2)) == 0) {
      m = min<f32>(m, min<f32>(ld(rho, c), ld(rho, c + n)));
    }
  }
  return m;
}
@inline function densityCell(f: usize, rho: usize, n: i32, nx: i32, ny: i32, x: i32, y: i32): i32 {
  const y0 = y * nx, ym = wrap(y - 1, ny) * nx, yp = wrap(y + 1, ny) * nx;
  const xm = wrap(x - 1, nx), xp = wrap(x + 1, nx);
  for (let s = 0; s < 2; s++) {
    const b = f + (<usize>(s * 9 * n) << 2);
    const r = ld(b, y0 + x) + ld(b, n + y0 + xm) + ld(b, 2 * n + ym + x) + ld(b, 3 * n + y0 + xp) +
      ld(b, 4 * n + yp + x) + ld(b, 5 * n + ym + xm) + ld(b, 6 * n + ym + xp) + ld(b, 7 * n + yp + xp) +
      ld(b, 8 * n + yp + xm);
    st(rho, s * n + y0 + x, r);
  }
  return y0 + x;
}

export function density_rows_simd(
  f: usize, rho: usize, mask: usize, rowmin: usize, nx: i32, ny: i32, stride: i32, i0: i32, i1: i32,
): void {
  for (let y = i0; y < i1; y++) st(rowmin, y, densityRowSimd(f, rho, mask, nx, ny, stride, y, false));
}

// fluid: the row has no solid cell (its minimum needs no mask)
function densityRowSimd(f: usize, rho: usize, mask: usize, nx: i32, ny: i32, n: i32, y: i32, fluid: bool): f32 {
  const y0 = y * nx, ym = wrap(y - 1, ny) * nx, yp = wrap(y + 1, ny) * nx;
  let m: f32 = 1e30;
  let x = 0;
  for (; x < 1 && x < nx; x++) {
    const c = densityCell(f, rho, n, nx, ny, x, y);
    if (load<i32>(mask + (<usize>c << 2)) == 0) m = min<f32>(m, min<f32>(ld(rho, c), ld(rho, c + n)));
  }
  // groups of 4 cells at 1 <= x, x + 3 <= nx - 2: one component at a time (few live vectors); the
  // second one also takes the minimum over the fluid cells
  const groups = nx >= 6 ? (nx - 2) >> 2 : 0;
  const n4 = <usize>n << 2;
  const dm = <usize>(ym - y0) << 2, dp = <usize>(yp - y0) << 2;
  const K2 = n4 * 2 + dm, K4 = n4 * 4 + dp, K5 = n4 * 5 + dm, K6 = n4 * 6 + dm, K7 = n4 * 7 + dp;
  const K8 = n4 * 8 + dp, K3 = n4 * 3;
  const big = f32x4.splat(1e30);
  let vm = big;
  for (let s = 0; s < 2; s++) {
    let p = f + n4 * (9 * s) + (<usize>(y0 + x - 1) << 2);
    let o = rho + n4 * s + (<usize>(y0 + x) << 2);
    let k = mask + (<usize>(y0 + x) << 2);
    for (let g = 0; g < groups; g++) {
      const r = f32x4.add(
        f32x4.add(f32x4.add(v128.load(p, 4), v128.load(p + n4)), f32x4.add(v128.load(p + K2, 4), v128.load(p + K3, 8))),
        f32x4.add(
          f32x4.add(f32x4.add(v128.load(p + K4, 4), v128.load(p + K5)), f32x4.add(v128.load(p + K6, 8), v128.load(p + K7, 8))),
          v128.load(p + K8),
        ),
      );
      v128.store(o, r);
      if (s == 1) {
        const both = f32x4.min(v128.load(o - n4), r);
        vm = f32x4.min(vm, fluid ? both : v128.bitselect(big, both, v128.load(k)));
      }
      p += 16;
      o += 16;
      k += 16;
    }
  }
  m = min<f32>(m, min<f32>(min<f32>(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)), min<f32>(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3))));
  for (x += 4 * groups; x < nx; x++) {
    const c = densityCell(f, rho, n, nx, ny, x, y);
    if (load<i32>(mask + (<usize>c << 2)) == 0) m = min<f32>(m, min<f32>(ld(rho, c), ld(rho, c + n)));
  }
  return m;
}

function setParams(params: usize, nx: i32, ny: i32): void {
  N = load<i32>(params, 48);
  NX = nx;
  NY = ny;
  OM1 = ld(params, 0);
  OM2 = ld(params, 1);
  SC1 = ld(params, 2);
  SC2 = ld(params, 3);
  GC = ld(params, 4);
  BX = ld(params, 5);
  BY = ld(params, 6);
  GA1 = ld(params, 7);
  GA2 = ld(params, 8);
  NEAR = <i32>ld(params, 9);
  WAX = ld(params, 10);
  WDG = ld(params, 11);
  MRT = load<i32>(params, 60);
  KE1 = ld(params, 16);
  KP1 = ld(params, 17);
  KQ1 = ld(params, 18);
  KE2 = ld(params, 19);
  KP2 = ld(params, 20);
  KQ2 = ld(params, 21);
}

// ---- MRT -------------------------------------------------------------------------------------------
// MRT = BGK + a correction in the energy (e), energy-square (eps) and energy-flux (q) moments (see
// lib/lbm/collision.ts): with ce = ke (m_e - r (-2 + 3 u^2) + 3 u.F), ceps = kp (m_eps - r (1 - 3 u^2) -
// 3 u.F), cq = kq (m_q + r u - F / 2) (the k include the 1/|M_k|^2), the populations get
// E, W: a -+ 2 cqx; N, S: a -+ 2 cqy; NE, SW: b +- (cqx + cqy); NW, SE: b -+ (cqx - cqy), with
// a = -ce - 2 ceps, b = 2 ce + ceps (the rest population keeps minus the sum of the others).

// The coefficients of one component of one cell into MA, MB, MQX, MQY.
@inline function mrtScalar(
  a0: f32, a1: f32, a2: f32, a3: f32, a4: f32, a5: f32, a6: f32, a7: f32, a8: f32, r: f32, jx: f32, jy: f32,
  ux: f32, uy: f32, usq: f32, fx: f32, fy: f32, uF: f32, ke: f32, kp: f32, kq: f32,
): void {
  const s1: f32 = (a1 + a2) + (a3 + a4), s2: f32 = (a5 + a6) + (a7 + a8);
  const me: f32 = 2.0 * s2 - s1 - 4.0 * a0, mp: f32 = s2 - 2.0 * s1 + 4.0 * a0;
  const mqx: f32 = jx - 3.0 * (a1 - a3), mqy: f32 = jy - 3.0 * (a2 - a4);
  const ce: f32 = ke * (me - r * (3.0 * usq - 2.0) + 3.0 * uF);
  const cp: f32 = kp * (mp - r * (1.0 - 3.0 * usq) - 3.0 * uF);
  MQX = kq * (mqx + r * ux - 0.5 * fx);
  MQY = kq * (mqy + r * uy - 0.5 * fy);
  MA = -ce - 2.0 * cp;
  MB = 2.0 * ce + cp;
}

// ---- scalar collision ------------------------------------------------------------------------------

@inline function incr(f: f32, w: f32, rs: f32, eu: f32, usq: f32, eF: f32, uF: f32, om: f32, sc: f32): f32 {
  // collision increment om (feq - f) + S with feq - f = (w rs - f) + w rs (3 eu + 4.5 eu^2 - 1.5 u^2)
  const wr = w * rs;
  const d = (wr - f) + wr * (3.0 * eu + 4.5 * eu * eu - 1.5 * usq);
  return om * d + sc * w * (3.0 * (eF - uF) + 9.0 * eu * eF);
}

function cellScalar(fin: usize, fout: usize, rho: usize, wall: usize, stn: usize, K: i32, x: i32, y: i32): void {
  if (MRT) cellScalarMrt(fin, fout, rho, wall, stn, K, x, y);
  else cellScalarBgk(fin, fout, rho, wall, stn, K, x, y);
}

function cellScalarBgk(fin: usize, fout: usize, rho: usize, wall: usize, stn: usize, K: i32, x: i32, y: i32): void {
  cellBody(fin, fout, rho, wall, stn, K, x, y, false);
}

function cellScalarMrt(fin: usize, fout: usize, rho: usize, wall: usize, stn: usize, K: i32, x: i32, y: i32): void {
  cellBody(fin, fout, rho, wall, stn, K, x, y, true);
}

// One fluid cell: pull, forces, common velocity, collision of both components (BGK, plus the MRT
// correction when mrt, a constant where inlined).
@inline function cellBody(
  fin: usize, fout: usize, rho: usize, wall: usize, stn: usize, K: i32, x: i32, y: i32, mrt: bool,
): void {
  const n = N, nx = NX, ny = NY;
  const y0 = y * nx, ym = wrap(y - 1, ny) * nx, yp = wrap(y + 1, ny) * nx;
  const xm = wrap(x - 1, nx), xp = wrap(x + 1, nx);
  const c = y0 + x;
  const b2 = fin + (<usize>(9 * n) << 2);
  const a0 = ld(fin, c), a1 = ld(fin, n + y0 + xm), a2 = ld(fin, 2 * n + ym + x), a3 = ld(fin, 3 * n + y0 + xp);
  const a4 = ld(fin, 4 * n + yp + x), a5 = ld(fin, 5 * n + ym + xm), a6 = ld(fin, 6 * n + ym + xp);
  const a7 = ld(fin, 7 * n + yp + xp), a8 = ld(fin, 8 * n + yp + xm);
  const b0 = ld(b2, c), b1 = ld(b2, n + y0 + xm), bb2 = ld(b2, 2 * n + ym + x), b3 = ld(b2, 3 * n + y0 + xp);
  const b4 = ld(b2, 4 * n + yp + x), b5 = ld(b2, 5 * n + ym + xm), b6 = ld(b2, 6 * n + ym + xp);
  const b7 = ld(b2, 7 * n + yp + xp), b8 = ld(b2, 8 * n + yp + xm);
  const r1 = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8;
  const r2 = b0 + b1 + bb2 + b3 + b4 + b5 + b6 + b7 + b8;
  const j1x = a1 - a3 + a5 - a6 - a7 + a8, j2x = b1 - b3 + b5 - b6 - b7 + b8;
  const j1y = a2 - a4 + a5 + a6 - a7 - a8, j2y = bb2 - b4 + b5 + b6 - b7 - b8;
  let g1x: f32 = 0, g1y: f32 = 0, g2x: f32 = 0, g2y: f32 = 0;
  for (let k = 0; k < K; k++) {
    const e = stn + (<usize>(k << 4));
    const sx = wrap(x + load<i32>(e), nx), sy = wrap(y + load<i32>(e, 4), ny);
    const s = sy * nx + sx;
    const wx = load<f32>(e, 8), wy = load<f32>(e, 12);
    const p1 = ld(rho, s), p2 = ld(rho, n + s);
    g1x += wx * p1;
    g1y += wy * p1;
    g2x += wx * p2;
    g2y += wy * p2;
  }
  let f1x = -GC * r1 * g2x + r1 * BX, f1y = -GC * r1 * g2y + r1 * BY;
  let f2x = -GC * r2 * g1x + r2 * BX, f2y = -GC * r2 * g1y + r2 * BY;
  if (wall != 0) {
    const wx = ld(wall, c), wy = ld(wall, n + c);
    f1x -= GA1 * r1 * wx;
    f1y -= GA1 * r1 * wy;
    f2x -= GA2 * r2 * wx;
    f2y -= GA2 * r2 * wy;
  }
  const d = OM1 * r1 + OM2 * r2;
  const ux = (OM1 * (j1x + 0.5 * f1x) + OM2 * (j2x + 0.5 * f2x)) / d;
  const uy = (OM1 * (j1y + 0.5 * f1y) + OM2 * (j2y + 0.5 * f2y)) / d;
  const usq = ux * ux + uy * uy;
  const W1: f32 = 1.0 / 9.0, W5: f32 = 1.0 / 36.0;
  // component 1
  let uF = ux * f1x + uy * f1y;
  if (mrt) mrtScalar(a0, a1, a2, a3, a4, a5, a6, a7, a8, r1, j1x, j1y, ux, uy, usq, f1x, f1y, uF, KE1, KP1, KQ1);
  {
    // the increments of the moving populations; the rest one takes minus their sum, so the collision
    // conserves mass exactly in real arithmetic (the f32 weights do not sum to 1: 1 + 7.5e-9)
    let d1 = incr(a1, W1, r1, ux, usq, f1x, uF, OM1, SC1);
    let d2 = incr(a2, W1, r1, uy, usq, f1y, uF, OM1, SC1);
    let d3 = incr(a3, W1, r1, -ux, usq, -f1x, uF, OM1, SC1);
    let d4 = incr(a4, W1, r1, -uy, usq, -f1y, uF, OM1, SC1);
    let d5 = incr(a5, W5, r1, ux + uy, usq, f1x + f1y, uF, OM1, SC1);
    let d6 = incr(a6, W5, r1, uy - ux, usq, f1y - f1x, uF, OM1, SC1);
    let d7 = incr(a7, W5, r1, -ux - uy, usq, -f1x - f1y, uF, OM1, SC1);
    let d8 = incr(a8, W5, r1, ux - uy, usq, f1x - f1y, uF, OM1, SC1);
    if (mrt) {
      d1 += MA - 2.0 * MQX;
      d2 += MA - 2.0 * MQY;
      d3 += MA + 2.0 * MQX;
      d4 += MA + 2.0 * MQY;
      d5 += MB + (MQX + MQY);
      d6 += MB - (MQX - MQY);
      d7 += MB - (MQX + MQY);
      d8 += MB + (MQX - MQY);
    }
    st(fout, c, a0 - (((d1 + d2) + (d3 + d4)) + ((d5 + d6) + (d7 + d8))));
    st(fout, n + c, a1 + d1);
    st(fout, 2 * n + c, a2 + d2);
    st(fout, 3 * n + c, a3 + d3);
    st(fout, 4 * n + c, a4 + d4);
    st(fout, 5 * n + c, a5 + d5);
    st(fout, 6 * n + c, a6 + d6);
    st(fout, 7 * n + c, a7 + d7);
    st(fout, 8 * n + c, a8 + d8);
  }
  // component 2
  const o2 = fout + (<usize>(9 * n) << 2);
  uF = ux * f2x + uy * f2y;
  if (mrt) mrtScalar(b0, b1, bb2, b3, b4, b5, b6, b7, b8, r2, j2x, j2y, ux, uy, usq, f2x, f2y, uF, KE2, KP2, KQ2);
  {
    // the increments of the moving populations; the rest one takes minus their sum, so the collision
    // conserves mass exactly in real arithmetic (the f32 weights do not sum to 1: 1 + 7.5e-9)
    let d1 = incr(b1, W1, r2, ux, usq, f2x, uF, OM2, SC2);
    let d2 = incr(bb2, W1, r2, uy, usq, f2y, uF, OM2, SC2);
    let d3 = incr(b3, W1, r2, -ux, usq, -f2x, uF, OM2, SC2);
    let d4 = incr(b4, W1, r2, -uy, usq, -f2y, uF, OM2, SC2);
    let d5 = incr(b5, W5, r2, ux + uy, usq, f2x + f2y, uF, OM2, SC2);
    let d6 = incr(b6, W5, r2, uy - ux, usq, f2y - f2x, uF, OM2, SC2);
    let d7 = incr(b7, W5, r2, -ux - uy, usq, -f2x - f2y, uF, OM2, SC2);
    let d8 = incr(b8, W5, r2, ux - uy, usq, f2x - f2y, uF, OM2, SC2);
    if (mrt) {
      d1 += MA - 2.0 * MQX;
      d2 += MA - 2.0 * MQY;
      d3 += MA + 2.0 * MQX;
      d4 += MA + 2.0 * MQY;
      d5 += MB + (MQX + MQY);
      d6 += MB - (MQX - MQY);
      d7 += MB - (MQX + MQY);
      d8 += MB + (MQX - MQY);
    }
    st(o2, c, b0 - (((d1 + d2) + (d3 + d4)) + ((d5 + d6) + (d7 + d8))));
    st(o2, n + c, b1 + d1);
    st(o2, 2 * n + c, bb2 + d2);
    st(o2, 3 * n + c, b3 + d3);
    st(o2, 4 * n + c, b4 + d4);
    st(o2, 5 * n + c, b5 + d5);
    st(o2, 6 * n + c, b6 + d6);
    st(o2, 7 * n + c, b7 + d7);
    st(o2, 8 * n + c, b8 + d8);
  }
}

// The step kernels below (pull-stream + Guo-forced BGK collision of both components) take
// params: [1/tau1, 1/tau2, 1-1/(2tau1), 1-1/(2tau2), G, gx, gy, Gads1, Gads2, near, w_axis, w_diagonal]
// (near = 1: the stencil is the 8 nearest neighbours with those weights, E4), then the plane stride S as
// an i32 at byte 48 and, for the SIMD kernels, the address of the scratch of the SIMD rows as an i32 at
// byte 52 (fast_slot_bytes() per thread; 0: scalar cells) and of a table of ny i32 (1: the row has a
// solid cell, 2: only solid cells) at byte 56 (0: the kernels scan the mask); wall = 0 without adhesion.
// At byte 60 an i32, != 0 for MRT, and at bytes 64..88 the f32 factors (1/tau - s_e)/36,
// (1/tau - s_eps)/36, (1/tau - s_q)/12 of component 1, then of component 2.

// ---- SIMD rows (4 cells along x) --------------------------------------------------------------------
//
// A row runs as a sequence of short loops over chunks of groups of 4 cells (x = 2 .. nx - 3; the two
// cells at each end wrap around the lattice and take cellScalar) that pass their results through the
// thread's scratch slot, instead of one loop body that does everything. One body keeps ~30 vectors live
// and the engines' register allocators spill most of them (x86 has 16 xmm registers), and it keeps ~40
// memory streams busy at once; each short loop has few live vectors and streams:
//  1. fastMoments, per component: density and momentum of the 9 pulled populations and the gradient of
//     the component's density (E4 from the three rows around the cells; other stencils from a per-row
//     table of the offsets and weights of the K neighbours);
//  2. fastVelocity: forces (interaction, body force, adhesion), the common velocity and, per
//     component, the coefficients below;
//  3. with MRT, fastMrt per component: the coefficients of the correction of the e, eps, q moments;
//  4. fastCollide, per component: the collision (9 populations in, from cache, and 9 out). In a row
//     with solid cells, the groups with a solid cell are skipped and their fluid cells run cellScalar:
//     nothing is stored on a solid node, whose populations belong to the bounce links (which a thread
//     working on a neighbouring row may be writing).
// With eu = e.u, eF = e.F, Z = om r (1 - 1.5 u^2) - 3 sc u.F, the collision of the opposite pair
// (q, qb) is f_q' = f_q + (A + B - om f_q), f_qb' = f_qb + (A - B - om f_qb) with
// A = w Z + 4.5 w eu (om r eu + 2 sc eF) and B = 3 w (om r eu + sc eF) (BGK with Guo's source: the
// equilibrium and the source split into parts even and odd in e). Both are linear in e apart from eu, so
// step 2 stores Z' = w1 Z, P'_a = 3 w1 (om r u_a + sc F_a) and Q'_a = 4.5 w1 (om r u_a + 2 sc F_a)
// (a = x, y) and the diagonal pairs take w5 = w1 / 4 times their sums and differences. MRT adds to A and
// B of each pair (see mrtScalar): E/W a and -2 cqx, N/S a and -2 cqy, NE/SW b and cqx + cqy, NW/SE b and
// cqy - cqx.

// The constants of steps 1 and 2, splatted, at the start of the slot: loaded where they are used, so that the
// engines do not hoist them out of the loop into registers (there are more of them than registers).
const CT_WA: i32 = 0, CT_WD: i32 = 16, CT_MG: i32 = 32, CT_BX: i32 = 48, CT_BY: i32 = 64, CT_OM1: i32 = 80;
const CT_OM2: i32 = 96, CT_SC1: i32 = 112, CT_SC2: i32 = 128, CT_SC31: i32 = 144, CT_SC32: i32 = 160;
const CT_HALF: i32 = 176, CT_ONE: i32 = 192, CT_15: i32 = 208, CT_W1: i32 = 224, CT_W13: i32 = 240;
const CT_W145: i32 = 256, CT_GA1: i32 = 272, CT_GA2: i32 = 288, CT_KE1: i32 = 304, CT_KP1: i32 = 320;
const CT_KQ1: i32 = 336, CT_KE2: i32 = 352, CT_KP2: i32 = 368, CT_KQ2: i32 = 384, CT_BYTES: i32 = 400;
// After the constants, the per-row stencil table (stencils other than E4): per neighbour its weights
// w dx, w dy splatted and the byte offset of its density from the group's x - 1 in row y (48 bytes).
const ST_MAX: i32 = 24;
const ST_BYTES: i32 = ST_MAX * 48;
// Groups per chunk and bytes per group record in the slot (see G_*): BGK, and MRT (larger records).
const FAST_G: i32 = 256;
const FAST_GB: i32 = 192;
const FAST_G_MRT: i32 = 96;
const FAST_GB_MRT: i32 = 480;
// one slot: constants, stencil table, FAST_G records of FAST_GB bytes (>= FAST_G_MRT * FAST_GB_MRT)
const FAST_SLOT: i32 = CT_BYTES + ST_BYTES + FAST_G * FAST_GB;
// the record stride of the current row (FAST_GB or FAST_GB_MRT)
let GB: i32 = FAST_GB;

// Bytes of one thread's scratch slot of the SIMD rows (the caller allocates one per thread).
export function fast_slot_bytes(): i32 {
  return FAST_SLOT;
}

function fastTable(t: usize): void {
  v128.store(t, f32x4.splat(WAX), CT_WA);
  v128.store(t, f32x4.splat(WDG), CT_WD);
  v128.store(t, f32x4.splat(-GC), CT_MG);
  v128.store(t, f32x4.splat(BX), CT_BX);
  v128.store(t, f32x4.splat(BY), CT_BY);
  v128.store(t, f32x4.splat(OM1), CT_OM1);
  v128.store(t, f32x4.splat(OM2), CT_OM2);
  v128.store(t, f32x4.splat(SC1), CT_SC1);
  v128.store(t, f32x4.splat(SC2), CT_SC2);
  v128.store(t, f32x4.splat(3.0 * SC1), CT_SC31);
  v128.store(t, f32x4.splat(3.0 * SC2), CT_SC32);
  v128.store(t, f32x4.splat(0.5), CT_HALF);
  v128.store(t, f32x4.splat(1.0), CT_ONE);
  v128.store(t, f32x4.splat(1.5), CT_15);
  v128.store(t, f32x4.splat(1.0 / 9.0), CT_W1);
  v128.store(t, f32x4.splat(3.0 / 9.0), CT_W13);
  v128.store(t, f32x4.splat(4.5 / 9.0), CT_W145);
  v128.store(t, f32x4.splat(GA1), CT_GA1);
  v128.store(t, f32x4.splat(GA2), CT_GA2);
  v128.store(t, f32x4.splat(KE1), CT_KE1);
  v128.store(t, f32x4.splat(KP1), CT_KP1);
  v128.store(t, f32x4.splat(KQ1), CT_KQ1);
  v128.store(t, f32x4.splat(KE2), CT_KE2);
  v128.store(t, f32x4.splat(KP2), CT_KP2);
  v128.store(t, f32x4.splat(KQ2), CT_KQ2);
}

// The stencil table of row y at st (see ST_BYTES).
function stencilTable(st: usize, stn: usize, K: i32, y: i32): void {
  const nx = NX, ny = NY;
  for (let k = 0; k < K; k++) {
    const e = stn + (<usize>k << 4), o = st + <usize>(k * 48);
    v128.store(o, f32x4.splat(load<f32>(e, 8)));
    v128.store(o, f32x4.splat(load<f32>(e, 12)), 16);
    store<i32>(o, ((wrap(y + load<i32>(e, 4), ny) - y) * nx + load<i32>(e) + 1) << 2, 32);
  }
}

// Offsets in a group's record: what fastCollide reads (ux, uy, then Z', P'x, P'y, Q'x, Q'y of each
// component) and, at the same place before, r, jx, jy, gx, gy of each component (from fastMoments for
// fastVelocity, which loads all of them before it stores anything of the group). With MRT, fastVelocity
// also keeps r and F of each component (G_R*, G_F*) for fastMrt, which stores a, b, -2 cqx, -2 cqy,
// cqx + cqy, cqy - cqx of each component at G_X*.
const G_UX: i32 = 0, G_UY: i32 = 16, G_C1: i32 = 32, G_C2: i32 = 112, G_M1: i32 = 0, G_G1: i32 = 48;
const G_M2: i32 = 80, G_G2: i32 = 128, G_R1: i32 = 192, G_R2: i32 = 208, G_F1: i32 = 224, G_F2: i32 = 256;
const G_X1: i32 = 288, G_X2: i32 = 384;

// p, pm, pp point at x - 1 of rows y, y - 1, y + 1 (the immediate offsets of wasm loads are unsigned)
@inline function gradX(p: usize, pm: usize, pp: usize, wa: v128, wd: v128): v128 {
  const d0 = f32x4.sub(v128.load(p, 8), v128.load(p));
  const dd = f32x4.add(f32x4.sub(v128.load(pp, 8), v128.load(pp)), f32x4.sub(v128.load(pm, 8), v128.load(pm)));
  return f32x4.add(f32x4.mul(wa, d0), f32x4.mul(wd, dd));
}

@inline function gradY(pm: usize, pp: usize, wa: v128, wd: v128): v128 {
  const d0 = f32x4.sub(v128.load(pp, 4), v128.load(pm, 4));
  const dd = f32x4.sub(f32x4.add(v128.load(pp, 8), v128.load(pp)), f32x4.add(v128.load(pm, 8), v128.load(pm)));
  return f32x4.add(f32x4.mul(wa, d0), f32x4.mul(wd, dd));
}

// Step 1, one component: density and momentum (r, jx, jy at G_M*) and the gradient of its density (at
// G_G*: E4 when near, else from the stencil table st of K entries). p points at x - 1 of row y of the
// component's plane 0, K* are the byte offsets of the planes with their row shifts; pr points at x - 1 of
// row y of the component's density, dm, dp are the row shifts.
@inline function momentsBody(
  p: usize, pr: usize, ps: usize, t: usize, n4: usize, dm: usize, dp: usize, K2: usize, K3: usize, K4: usize,
  K5: usize, K6: usize, K7: usize, K8: usize, G: i32, near: bool, st: usize, K: i32,
): void {
  const gb = <usize>GB;
  for (let g = 0; g < G; g++) {
    let u = v128.load(p + n4), v = v128.load(p + K3, 8);
    let r = f32x4.add(u, v);
    let jx = f32x4.sub(u, v);
    u = v128.load(p + K2, 4);
    v = v128.load(p + K4, 4);
    r = f32x4.add(r, f32x4.add(u, v));
    let jy = f32x4.sub(u, v);
    u = v128.load(p + K5);
    v = v128.load(p + K7, 8);
    let s = f32x4.add(u, v), d = f32x4.sub(u, v);
    jx = f32x4.add(jx, d);
    jy = f32x4.add(jy, d);
    u = v128.load(p + K6, 8);
    v = v128.load(p + K8);
    s = f32x4.add(s, f32x4.add(u, v));
    d = f32x4.sub(v, u);
    v128.store(ps, f32x4.add(f32x4.add(v128.load(p, 4), r), s));
    v128.store(ps, f32x4.add(jx, d), 16);
    v128.store(ps, f32x4.sub(jy, d), 32);
    if (near) {
      const pm = pr + dm, pp = pr + dp;
      const wa = v128.load(t, CT_WA), wd = v128.load(t, CT_WD);
      v128.store(ps, gradX(pr, pm, pp, wa, wd), G_G1 - G_M1);
      v128.store(ps, gradY(pm, pp, wa, wd), G_G1 - G_M1 + 16);
    } else {
      let gx = f32x4.splat(0), gy = f32x4.splat(0);
      for (let k = 0; k < K; k++) {
        const e = st + <usize>(k * 48);
        const rv = v128.load(pr + <usize>load<i32>(e, 32));
        gx = f32x4.add(gx, f32x4.mul(v128.load(e), rv));
        gy = f32x4.add(gy, f32x4.mul(v128.load(e, 16), rv));
      }
      v128.store(ps, gx, G_G1 - G_M1);
      v128.store(ps, gy, G_G1 - G_M1 + 16);
    }
    p += 16;
    pr += 16;
    ps += gb;
  }
}

function fastMoments(
  p: usize, pr: usize, ps: usize, t: usize, n4: usize, dm: usize, dp: usize, K2: usize, K3: usize, K4: usize,
  K5: usize, K6: usize, K7: usize, K8: usize, G: i32,
): void {
  momentsBody(p, pr, ps, t, n4, dm, dp, K2, K3, K4, K5, K6, K7, K8, G, true, 0, 0);
}

function fastMomentsK(
  p: usize, pr: usize, ps: usize, t: usize, n4: usize, dm: usize, dp: usize, K2: usize, K3: usize, K4: usize,
  K5: usize, K6: usize, K7: usize, K8: usize, G: i32, st: usize, K: i32,
): void {
  momentsBody(p, pr, ps, t, n4, dm, dp, K2, K3, K4, K5, K6, K7, K8, G, false, st, K);
}

// Step 2: forces, the common velocity (ux, uy at G_UX, G_UY) and for each component Z', P'x, P'y, Q'x,
// Q'y (see above, at G_C*). pw: the adhesion vectors at the chunk's first cell (when adh); with mrt, r
// and F of each component at G_R*, G_F*.
@inline function velocityBody(ps: usize, t: usize, G: i32, pw: usize, n4: usize, adh: bool, mrt: bool): void {
  const gb = <usize>GB;
  for (let g = 0; g < G; g++) {
    const r1 = v128.load(ps, G_M1), r2 = v128.load(ps, G_M2);
    // the force on component 1 comes from the gradient of component 2 and vice versa
    let f1x = f32x4.mul(r1, f32x4.add(f32x4.mul(v128.load(t, CT_MG), v128.load(ps, G_G2)), v128.load(t, CT_BX)));
    let f1y = f32x4.mul(r1, f32x4.add(f32x4.mul(v128.load(t, CT_MG), v128.load(ps, G_G2 + 16)), v128.load(t, CT_BY)));
    let f2x = f32x4.mul(r2, f32x4.add(f32x4.mul(v128.load(t, CT_MG), v128.load(ps, G_G1)), v128.load(t, CT_BX)));
    let f2y = f32x4.mul(r2, f32x4.add(f32x4.mul(v128.load(t, CT_MG), v128.load(ps, G_G1 + 16)), v128.load(t, CT_BY)));
    if (adh) {
      const wx = v128.load(pw), wy = v128.load(pw + n4);
      const a1 = f32x4.mul(v128.load(t, CT_GA1), r1), a2 = f32x4.mul(v128.load(t, CT_GA2), r2);
      f1x = f32x4.sub(f1x, f32x4.mul(a1, wx));
      f1y = f32x4.sub(f1y, f32x4.mul(a1, wy));
      f2x = f32x4.sub(f2x, f32x4.mul(a2, wx));
      f2y = f32x4.sub(f2y, f32x4.mul(a2, wy));
      pw += 16;
    }
    if (mrt) {
      v128.store(ps, r1, G_R1);
      v128.store(ps, r2, G_R2);
      v128.store(ps, f1x, G_F1);
      v128.store(ps, f1y, G_F1 + 16);
      v128.store(ps, f2x, G_F2);
      v128.store(ps, f2y, G_F2 + 16);
    }
    const om1 = v128.load(t, CT_OM1), om2 = v128.load(t, CT_OM2), half = v128.load(t, CT_HALF);
    const inv = f32x4.div(v128.load(t, CT_ONE), f32x4.add(f32x4.mul(om1, r1), f32x4.mul(om2, r2)));
    const ux = f32x4.mul(
      f32x4.add(
        f32x4.mul(om1, f32x4.add(v128.load(ps, G_M1 + 16), f32x4.mul(half, f1x))),
        f32x4.mul(om2, f32x4.add(v128.load(ps, G_M2 + 16), f32x4.mul(half, f2x))),
      ),
      inv,
    );
    const uy = f32x4.mul(
      f32x4.add(
        f32x4.mul(om1, f32x4.add(v128.load(ps, G_M1 + 32), f32x4.mul(half, f1y))),
        f32x4.mul(om2, f32x4.add(v128.load(ps, G_M2 + 32), f32x4.mul(half, f2y))),
      ),
      inv,
    );
    v128.store(ps, ux, G_UX);
    v128.store(ps, uy, G_UY);
    const c0 = f32x4.sub(
      v128.load(t, CT_ONE),
      f32x4.mul(v128.load(t, CT_15), f32x4.add(f32x4.mul(ux, ux), f32x4.mul(uy, uy))),
    );
    fastCoef(ps + G_C1, t, r1, f1x, f1y, ux, uy, c0, CT_OM1, CT_SC1, CT_SC31);
    fastCoef(ps + G_C2, t, r2, f2x, f2y, ux, uy, c0, CT_OM2, CT_SC2, CT_SC32);
    ps += gb;
  }
}

function fastVelocity(ps: usize, t: usize, G: i32): void {
  velocityBody(ps, t, G, 0, 0, false, false);
}

function fastVelocityGeneral(ps: usize, t: usize, G: i32, pw: usize, n4: usize): void {
  if (pw != 0) {
    if (MRT) velocityBody(ps, t, G, pw, n4, true, true);
    else velocityBody(ps, t, G, pw, n4, true, false);
  } else if (MRT) velocityBody(ps, t, G, pw, n4, false, true);
  else velocityBody(ps, t, G, pw, n4, false, false);
}

// Z', P'x, P'y, Q'x, Q'y of one component at q; om, sc, sc3 are the table offsets of its constants.
@inline function fastCoef(
  q: usize, t: usize, r: v128, fx: v128, fy: v128, ux: v128, uy: v128, c0: v128, om: i32, sc: i32, sc3: i32,
): void {
  const omr = f32x4.mul(v128.load(t + <usize>om), r);
  const uF = f32x4.add(f32x4.mul(ux, fx), f32x4.mul(uy, fy));
  v128.store(q, f32x4.mul(v128.load(t, CT_W1), f32x4.sub(f32x4.mul(omr, c0), f32x4.mul(v128.load(t + <usize>sc3), uF))));
  const bx = f32x4.mul(v128.load(t + <usize>sc), fx), px = f32x4.add(f32x4.mul(omr, ux), bx);
  v128.store(q, f32x4.mul(v128.load(t, CT_W13), px), 16);
  v128.store(q, f32x4.mul(v128.load(t, CT_W145), f32x4.add(px, bx)), 48);
  const by = f32x4.mul(v128.load(t + <usize>sc), fy), py = f32x4.add(f32x4.mul(omr, uy), by);
  v128.store(q, f32x4.mul(v128.load(t, CT_W13), py), 32);
  v128.store(q, f32x4.mul(v128.load(t, CT_W145), f32x4.add(py, by)), 64);
}

// Steps 1 and 2 over groups [0, G) at x = xs + 4 g of row y (its neighbours ym, yp): the slot sp holds
// the constant table, the stencil table (general: stencils other than E4, adhesion, MRT), then the group
// records.
function fastPrepare(
  fin: usize, rho: usize, wall: usize, sp: usize, K: i32, y: i32, ym: i32, yp: i32, xs: i32, G: i32, general: bool,
): void {
  const n = N, nx = NX;
  const y0 = y * nx;
  const n4 = <usize>n << 2;
  const dm = <usize>(ym - y0) << 2, dp = <usize>(yp - y0) << 2;
  const K2 = n4 * 2 + dm, K4 = n4 * 4 + dp, K5 = n4 * 5 + dm, K6 = n4 * 6 + dm, K7 = n4 * 7 + dp;
  const K8 = n4 * 8 + dp, K3 = n4 * 3;
  const t = sp, st = sp + CT_BYTES, ps = st + ST_BYTES;
  fastTable(t);
  const pa = fin + (<usize>(y0 + xs - 1) << 2), pr = rho + (<usize>(y0 + xs - 1) << 2);
  if (NEAR) {
    fastMoments(pa, pr, ps + G_M1, t, n4, dm, dp, K2, K3, K4, K5, K6, K7, K8, G);
    fastMoments(pa + n4 * 9, pr + n4, ps + G_M2, t, n4, dm, dp, K2, K3, K4, K5, K6, K7, K8, G);
  } else {
    fastMomentsK(pa, pr, ps + G_M1, t, n4, dm, dp, K2, K3, K4, K5, K6, K7, K8, G, st, K);
    fastMomentsK(pa + n4 * 9, pr + n4, ps + G_M2, t, n4, dm, dp, K2, K3, K4, K5, K6, K7, K8, G, st, K);
  }
  if (general) fastVelocityGeneral(ps, t, G, wall != 0 ? wall + (<usize>(y0 + xs) << 2) : 0, n4);
  else fastVelocity(ps, t, G);
}

// Step 3 (MRT), one component: the correction coefficients at G_X* (co) from the 9 pulled populations
// (pa: the component's planes at x - 1 of row y), r, F (G_R*, G_F*: rf, ff) and u; kt: the table offset of
// the component's ke, then kp, kq.
function fastMrt(pa: usize, sp: usize, rf: i32, ff: i32, co: i32, kt: i32, y: i32, ym: i32, yp: i32, G: i32): void {
  const n = N, nx = NX;
  const y0 = y * nx;
  const n4 = <usize>n << 2;
  const dm = <usize>(ym - y0) << 2, dp = <usize>(yp - y0) << 2;
  const K2 = n4 * 2 + dm, K4 = n4 * 4 + dp, K5 = n4 * 5 + dm, K6 = n4 * 6 + dm, K7 = n4 * 7 + dp;
  const K8 = n4 * 8 + dp, K3 = n4 * 3;
  const t = sp, gb = <usize>GB;
  let ps = sp + CT_BYTES + ST_BYTES;
  const two = f32x4.splat(2.0), three = f32x4.splat(3.0), four = f32x4.splat(4.0), half = f32x4.splat(0.5);
  for (let g = 0; g < G; g++) {
    // m_e = 2 s2 - s1 - 4 f0, m_eps = s2 - 2 s1 + 4 f0, m_qx = (f5 - f6 - f7 + f8) - 2 (f1 - f3), ...
    const f1 = v128.load(pa + n4), f3 = v128.load(pa + K3, 8), f2 = v128.load(pa + K2, 4), f4 = v128.load(pa + K4, 4);
    const s1 = f32x4.add(f32x4.add(f1, f3), f32x4.add(f2, f4));
    let mqx = f32x4.mul(f32x4.sub(f3, f1), two), mqy = f32x4.mul(f32x4.sub(f4, f2), two);
    const f5 = v128.load(pa + K5), f7 = v128.load(pa + K7, 8);
    let s2 = f32x4.add(f5, f7);
    mqx = f32x4.add(mqx, f32x4.sub(f5, f7));
    mqy = f32x4.add(mqy, f32x4.sub(f5, f7));
    const f6 = v128.load(pa + K6, 8), f8 = v128.load(pa + K8);
    s2 = f32x4.add(s2, f32x4.add(f6, f8));
    mqx = f32x4.add(mqx, f32x4.sub(f8, f6));
    mqy = f32x4.add(mqy, f32x4.sub(f6, f8));
    const f0x4 = f32x4.mul(four, v128.load(pa, 4));
    const me = f32x4.sub(f32x4.sub(f32x4.add(s2, s2), s1), f0x4);
    const mp = f32x4.add(f32x4.sub(s2, f32x4.add(s1, s1)), f0x4);
    const ux = v128.load(ps, G_UX), uy = v128.load(ps, G_UY);
    const r = v128.load(ps + <usize>rf), fx = v128.load(ps + <usize>ff), fy = v128.load(ps + <usize>ff, 16);
    const usq3 = f32x4.mul(three, f32x4.add(f32x4.mul(ux, ux), f32x4.mul(uy, uy)));
    const uF3 = f32x4.mul(three, f32x4.add(f32x4.mul(ux, fx), f32x4.mul(uy, fy)));
    const ce = f32x4.mul(v128.load(t + <usize>kt), f32x4.add(f32x4.sub(me, f32x4.mul(r, f32x4.sub(usq3, two))), uF3));
    const cp = f32x4.mul(
      v128.load(t + <usize>kt, 16),
      f32x4.sub(f32x4.sub(mp, f32x4.mul(r, f32x4.sub(f32x4.splat(1.0), usq3))), uF3),
    );
    const kq = v128.load(t + <usize>kt, 32);
    const cx = f32x4.mul(kq, f32x4.sub(f32x4.add(mqx, f32x4.mul(r, ux)), f32x4.mul(half, fx)));
    const cy = f32x4.mul(kq, f32x4.sub(f32x4.add(mqy, f32x4.mul(r, uy)), f32x4.mul(half, fy)));
    const q = ps + <usize>co;
    v128.store(q, f32x4.sub(f32x4.mul(f32x4.splat(-2.0), cp), ce));
    v128.store(q, f32x4.add(f32x4.mul(two, ce), cp), 16);
    v128.store(q, f32x4.mul(f32x4.splat(-2.0), cx), 32);
    v128.store(q, f32x4.mul(f32x4.splat(-2.0), cy), 48);
    v128.store(q, f32x4.add(cx, cy), 64);
    v128.store(q, f32x4.sub(cy, cx), 80);
    pa += 16;
    ps += gb;
  }
}

// Step 4, one component: fin, fout point at the component's 9 planes, its coefficients are at record
// offset co (and the MRT ones at xo when mrt). Each population gets the increment d_q = A +- B - om f_q,
// and the rest one minus the sum of the other increments: near equilibrium the increments are small, so
// f_q + d_q rounds to within an ulp of f_q there and the f32 rounding does not bias the mass (a formula
// for the new rest population from A, r and f_0 does: its rounding error is the same in every cell of a
// uniform region). masked: keep the old values of solid lanes (pm: the mask at the chunk's first cell).
@inline function collideBody(
  fin: usize, fout: usize, sp: usize, co: i32, om_: f32, y: i32, ym: i32, yp: i32, xs: i32, G: i32, pm: usize,
  xo: i32, masked: bool, mrt: bool,
): void {
  const n = N, nx = NX;
  const y0 = y * nx;
  const n4 = <usize>n << 2;
  const dm = <usize>(ym - y0) << 2, dp = <usize>(yp - y0) << 2;
  const K2 = n4 * 2 + dm, K4 = n4 * 4 + dp, K5 = n4 * 5 + dm, K6 = n4 * 6 + dm, K7 = n4 * 7 + dp;
  const K8 = n4 * 8 + dp, K3 = n4 * 3;
  const om = f32x4.splat(om_), gb = <usize>GB;
  let pa = fin + (<usize>(y0 + xs - 1) << 2);
  let po = fout + (<usize>(y0 + xs) << 2);
  let ps = sp + CT_BYTES + ST_BYTES;
  for (let g = 0; g < G; g++) {
    // a group with a solid cell is left to collideRowFast's scalar pass
    if (masked && v128.any_true(v128.load(pm))) {
      pa += 16;
      po += 16;
      ps += gb;
      pm += 16;
      continue;
    }
    const ux = v128.load(ps), uy = v128.load(ps, 16);
    const q = ps + <usize>co;
    const z = v128.load(q), px = v128.load(q, 16), py = v128.load(q, 32), qx = v128.load(q, 48), qy = v128.load(q, 64);
    const x = ps + <usize>xo;
    // E/W
    let u = f32x4.add(z, f32x4.mul(ux, qx));
    let b = px;
    if (mrt) {
      u = f32x4.add(u, v128.load(x));
      b = f32x4.add(b, v128.load(x, 32));
    }
    let f = v128.load(pa + n4), fb = v128.load(pa + K3, 8);
    let d = f32x4.sub(f32x4.add(u, b), f32x4.mul(om, f)), db = f32x4.sub(f32x4.sub(u, b), f32x4.mul(om, fb));
    v128.store(po + n4, f32x4.add(f, d));
    v128.store(po + K3, f32x4.add(fb, db));
    let sum = f32x4.add(d, db);
    // N/S
    u = f32x4.add(z, f32x4.mul(uy, qy));
    b = py;
    if (mrt) {
      u = f32x4.add(u, v128.load(x));
      b = f32x4.add(b, v128.load(x, 48));
    }
    f = v128.load(pa + K2, 4);
    fb = v128.load(pa + K4, 4);
    d = f32x4.sub(f32x4.add(u, b), f32x4.mul(om, f));
    db = f32x4.sub(f32x4.sub(u, b), f32x4.mul(om, fb));
    v128.store(po + n4 * 2, f32x4.add(f, d));
    v128.store(po + n4 * 4, f32x4.add(fb, db));
    sum = f32x4.add(sum, f32x4.add(d, db));
    // NE/SW: w5 = w1 / 4
    const quarter = f32x4.splat(0.25);
    let t = f32x4.mul(quarter, f32x4.add(z, f32x4.mul(f32x4.add(ux, uy), f32x4.add(qx, qy))));
    let p = f32x4.mul(quarter, f32x4.add(px, py));
    if (mrt) {
      t = f32x4.add(t, v128.load(x, 16));
      p = f32x4.add(p, v128.load(x, 64));
    }
    f = v128.load(pa + K5);
    fb = v128.load(pa + K7, 8);
    d = f32x4.sub(f32x4.add(t, p), f32x4.mul(om, f));
    db = f32x4.sub(f32x4.sub(t, p), f32x4.mul(om, fb));
    v128.store(po + n4 * 5, f32x4.add(f, d));
    v128.store(po + n4 * 7, f32x4.add(fb, db));
    sum = f32x4.add(sum, f32x4.add(d, db));
    // NW/SE
    t = f32x4.mul(quarter, f32x4.add(z, f32x4.mul(f32x4.sub(uy, ux), f32x4.sub(qy, qx))));
    p = f32x4.mul(quarter, f32x4.sub(py, px));
    if (mrt) {
      t = f32x4.add(t, v128.load(x, 16));
      p = f32x4.add(p, v128.load(x, 80));
    }
    f = v128.load(pa + K6, 8);
    fb = v128.load(pa + K8);
    d = f32x4.sub(f32x4.add(t, p), f32x4.mul(om, f));
    db = f32x4.sub(f32x4.sub(t, p), f32x4.mul(om, fb));
    v128.store(po + n4 * 6, f32x4.add(f, d));
    v128.store(po + n4 * 8, f32x4.add(fb, db));
    sum = f32x4.add(sum, f32x4.add(d, db));
    // rest: minus the sum of the other increments
    v128.store(po, f32x4.sub(v128.load(pa, 4), sum));
    pa += 16;
    po += 16;
    ps += gb;
    if (masked) pm += 16;
  }
}

function fastCollide(fin: usize, fout: usize, sp: usize, co: i32, om: f32, y: i32, ym: i32, yp: i32, xs: i32, G: i32): void {
  collideBody(fin, fout, sp, co, om, y, ym, yp, xs, G, 0, 0, false, false);
}

function fastCollideMasked(
  fin: usize, fout: usize, sp: usize, co: i32, om: f32, y: i32, ym: i32, yp: i32, xs: i32, G: i32, pm: usize,
): void {
  collideBody(fin, fout, sp, co, om, y, ym, yp, xs, G, pm, 0, true, false);
}

function fastCollideMrt(
  fin: usize, fout: usize, sp: usize, co: i32, om: f32, y: i32, ym: i32, yp: i32, xs: i32, G: i32, xo: i32,
): void {
  collideBody(fin, fout, sp, co, om, y, ym, yp, xs, G, 0, xo, false, true);
}

function fastCollideMaskedMrt(
  fin: usize, fout: usize, sp: usize, co: i32, om: f32, y: i32, ym: i32, yp: i32, xs: i32, G: i32, pm: usize,
  xo: i32,
): void {
  collideBody(fin, fout, sp, co, om, y, ym, yp, xs, G, pm, xo, true, true);
}

// Whether row y has a solid cell: rows[y] != 0 from the caller's table if rows != 0 (params byte 56),
// else from the mask.
@inline function solidRow(rows: usize, mask: usize, y: i32): bool {
  return rows != 0 ? load<i32>(rows + (<usize>y << 2)) != 0 : rowHasSolid(mask, y * NX, NX);
}

// Whether cells y0 .. y0 + nx have a solid cell.
function rowHasSolid(mask: usize, y0: i32, nx: i32): bool {
  let acc = i32x4.splat(0);
  let x = 0;
  for (; x + 4 <= nx; x += 4) acc = v128.or(acc, ldv(mask, y0 + x));
  let s = v128.any_true(acc);
  for (; x < nx; x++) s = s || load<i32>(mask + (<usize>(y0 + x) << 2)) != 0;
  return s;
}

// Collides row y with the scratch slot sp; solid: the row has a solid cell.
function collideRowFast(
  fin: usize, fout: usize, rho: usize, mask: usize, wall: usize, stn: usize, K: i32, sp: usize, y: i32, solid: bool,
): void {
  const nx = NX, ny = NY, n9 = <usize>(9 * N) << 2;
  const ym = wrap(y - 1, ny) * nx, yp = wrap(y + 1, ny) * nx, y0 = y * nx;
  const mrt = MRT != 0, general = mrt || wall != 0;
  GB = mrt ? FAST_GB_MRT : FAST_GB;
  const chunk = mrt ? FAST_G_MRT : FAST_G;
  if (!NEAR) stencilTable(sp + CT_BYTES, stn, K, y);
  let x = 0;
  for (; x < 2 && x < nx; x++) {
    if (load<i32>(mask + (<usize>(y0 + x) << 2)) == 0) cellScalar(fin, fout, rho, wall, stn, K, x, y);
  }
  const groups = nx >= 8 ? (nx - 4) >> 2 : 0;
  for (let g0 = 0; g0 < groups; g0 += chunk) {
    const G = min(chunk, groups - g0), xs = 2 + 4 * g0;
    fastPrepare(fin, rho, wall, sp, K, y, ym, yp, xs, G, general);
    const pm = mask + (<usize>(y0 + xs) << 2);
    if (mrt) {
      const pa = fin + (<usize>(y0 + xs - 1) << 2);
      fastMrt(pa, sp, G_R1, G_F1, G_X1, CT_KE1, y, ym, yp, G);
      fastMrt(pa + n9, sp, G_R2, G_F2, G_X2, CT_KE2, y, ym, yp, G);
      if (solid) {
        fastCollideMaskedMrt(fin, fout, sp, G_C1, OM1, y, ym, yp, xs, G, pm, G_X1);
        fastCollideMaskedMrt(fin + n9, fout + n9, sp, G_C2, OM2, y, ym, yp, xs, G, pm, G_X2);
      } else {
        fastCollideMrt(fin, fout, sp, G_C1, OM1, y, ym, yp, xs, G, G_X1);
        fastCollideMrt(fin + n9, fout + n9, sp, G_C2, OM2, y, ym, yp, xs, G, G_X2);
      }
    } else if (solid) {
      fastCollideMasked(fin, fout, sp, G_C1, OM1, y, ym, yp, xs, G, pm);
      fastCollideMasked(fin + n9, fout + n9, sp, G_C2, OM2, y, ym, yp, xs, G, pm);
    } else {
      fastCollide(fin, fout, sp, G_C1, OM1, y, ym, yp, xs, G);
      fastCollide(fin + n9, fout + n9, sp, G_C2, OM2, y, ym, yp, xs, G);
    }
    if (solid) {
      // the fluid cells of the groups with a solid cell, one by one
      for (let g = 0; g < G; g++) {
        const xg = xs + 4 * g;
        if (!v128.any_true(ldv(mask, y0 + xg))) continue;
        for (let j = xg; j < xg + 4; j++) {
          if (load<i32>(mask + (<usize>(y0 + j) << 2)) == 0) cellScalar(fin, fout, rho, wall, stn, K, j, y);
        }
      }
    }
  }
  for (x = 2 + 4 * groups; x < nx; x++) {
    if (load<i32>(mask + (<usize>(y0 + x) << 2)) == 0) cellScalar(fin, fout, rho, wall, stn, K, x, y);
  }
}

// One row, scalar: every fluid cell by cellScalar.
function collideRowScalar(fin: usize, fout: usize, rho: usize, mask: usize, wall: usize, stn: usize, K: i32, y: i32): void {
  const nx = NX;
  for (let x = 0; x < nx; x++) {
    if (load<i32>(mask + (<usize>(y * nx + x) << 2)) == 0) cellScalar(fin, fout, rho, wall, stn, K, x, y);
  }
}

// One row, SIMD: the short passes of collideRowFast (rows whose every cell is solid, rows[y] == 2, are
// skipped); without a scratch slot (sp = 0) or with more than ST_MAX stencil entries, the scalar cells.
function collideRowSimd(
  fin: usize, fout: usize, rho: usize, mask: usize, wall: usize, stn: usize, K: i32, sp: usize, rows: usize,
  y: i32,
): void {
  if (sp == 0 || K > ST_MAX) {
    collideRowScalar(fin, fout, rho, mask, wall, stn, K, y);
    return;
  }
  if (rows != 0 && load<i32>(rows + (<usize>y << 2)) == 2) return;
  collideRowFast(fin, fout, rho, mask, wall, stn, K, sp, y, solidRow(rows, mask, y));
}

// f[dst[k]] = f[src[k]] (both components) for the bounce links k in [brow[y], brow[y + 1]) (links sorted
// by the row of their source cell).
@inline function bounceRow(f: usize, bdst: usize, bsrc: usize, brow: usize, y: i32, n9: i32): void {
  const k1 = load<i32>(brow + (<usize>(y + 1) << 2));
  for (let k = load<i32>(brow + (<usize>y << 2)); k < k1; k++) {
    const d = load<i32>(bdst + (<usize>k << 2)), s = load<i32>(bsrc + (<usize>k << 2));
    st(f, d, ld(f, s));
    st(f, d + n9, ld(f, s + n9));
  }
}

// One fused sweep of a step over rows [i0, i1): collide row y (fin, rho -> fout), fill the bounce links
// whose source is in row y, then the densities of row y - 1 from fout (rows y - 2 .. y are final by then
// and still in cache) into rhoOut, with its row minimum in rowmin. The densities of rows i0 and i1 - 1 need
// rows of the neighbouring ranges: the caller computes them with density_rows_* once every range is done.
export function step_rows_scalar(
  fin: usize, fout: usize, rho: usize, rhoOut: usize, mask: usize, wall: usize, stn: usize, K: i32,
  params: usize, bdst: usize, bsrc: usize, brow: usize, rowmin: usize, nx: i32, ny: i32, i0: i32, i1: i32,
): void {
  setParams(params, nx, ny);
  const n9 = 9 * N;
  for (let y = i0; y < i1; y++) {
    collideRowScalar(fin, fout, rho, mask, wall, stn, K, y);
    bounceRow(fout, bdst, bsrc, brow, y, n9);
    if (y - 1 > i0) st(rowmin, y - 1, densityRowScalar(fout, rhoOut, mask, nx, ny, N, y - 1));
  }
}

export function step_rows_simd(
  fin: usize, fout: usize, rho: usize, rhoOut: usize, mask: usize, wall: usize, stn: usize, K: i32,
  params: usize, bdst: usize, bsrc: usize, brow: usize, rowmin: usize, nx: i32, ny: i32, i0: i32, i1: i32,
): void {
  const sp = <usize>load<i32>(params, 52);
  stepRowsSimd(fin, fout, rho, rhoOut, mask, wall, stn, K, params, bdst, bsrc, brow, rowmin, nx, ny, sp, i0, i1);
}

// step_rows_simd with the scratch slot sp of the SIMD rows (0: scalar cells).
function stepRowsSimd(
  fin: usize, fout: usize, rho: usize, rhoOut: usize, mask: usize, wall: usize, stn: usize, K: i32,
  params: usize, bdst: usize, bsrc: usize, brow: usize, rowmin: usize, nx: i32, ny: i32, sp: usize, i0: i32,
  i1: i32,
): void {
  setParams(params, nx, ny);
  const n9 = 9 * N, rows = <usize>load<i32>(params, 56);
  for (let y = i0; y < i1; y++) {
    collideRowSimd(fin, fout, rho, mask, wall, stn, K, sp, rows, y);
    bounceRow(fout, bdst, bsrc, brow, y, n9);
    if (y - 1 > i0) st(rowmin, y - 1, densityRowSimd(fout, rhoOut, mask, nx, ny, N, y - 1, !solidRow(rows, mask, y - 1)));
  }
}

// Dynamic split of a step over the threads of the pool: each thread claims blocks of `block` rows from
// the shared counter (atomic, reset to 0 before the step) until none is left, and runs step_rows_* on
// them, so a thread that the OS delays leaves its share to the others. [i0, i1) is the thread's index
// range from the pool and is not used. The densities of the first and last row of every block need the
// neighbouring block's output: flags holds one i32 per block boundary (zeroed before the step; boundary j
// lies between rows j * block - 1 and j * block, boundary 0 wraps to row ny - 1); a thread that finishes a
// block increments the counters of its two boundaries, and the one that sees the second increment (both
// blocks done) computes the densities of the two rows at that boundary. Every block but a single one must
// have at least 2 rows (the caller picks block so that ny % block != 1).
export function step_blocks_scalar(
  fin: usize, fout: usize, rho: usize, rhoOut: usize, mask: usize, wall: usize, stn: usize, K: i32,
  params: usize, bdst: usize, bsrc: usize, brow: usize, rowmin: usize, nx: i32, ny: i32, counter: usize,
  flags: usize, block: i32, i0: i32, i1: i32,
): void {
  for (;;) {
    const y0 = atomic.add<i32>(counter, 1) * block;
    if (y0 >= ny) break;
    step_rows_scalar(fin, fout, rho, rhoOut, mask, wall, stn, K, params, bdst, bsrc, brow, rowmin, nx, ny, y0, min(y0 + block, ny));
    blockEdges(fout, rhoOut, mask, rowmin, nx, ny, flags, block, y0, false);
  }
}

// The boundary counters of the block starting at row y0 (see step_blocks_*): the densities of the two rows
// at each boundary whose other block is done.
function blockEdges(
  fout: usize, rhoOut: usize, mask: usize, rowmin: usize, nx: i32, ny: i32, flags: usize, block: i32, y0: i32,
  simd: bool,
): void {
  const nb = (ny + block - 1) / block, b = y0 / block;
  for (let j = b; j <= b + 1; j++) {
    const jj = j == nb ? 0 : j;
    if (atomic.add<i32>(flags + (<usize>jj << 2), 1) != 1) continue;
    const ya = jj * block, yb = ya == 0 ? ny - 1 : ya - 1;
    for (let k = 0; k < 2; k++) {
      const y = k == 0 ? yb : ya;
      st(rowmin, y, simd ? densityRowSimd(fout, rhoOut, mask, nx, ny, N, y, false) : densityRowScalar(fout, rhoOut, mask, nx, ny, N, y));
    }
  }
}

export function step_blocks_simd(
  fin: usize, fout: usize, rho: usize, rhoOut: usize, mask: usize, wall: usize, stn: usize, K: i32,
  params: usize, bdst: usize, bsrc: usize, brow: usize, rowmin: usize, nx: i32, ny: i32, counter: usize,
  flags: usize, block: i32, i0: i32, i1: i32,
): void {
  // the pool gives every thread a distinct index range: slot i0 of the scratch is this thread's
  const base = <usize>load<i32>(params, 52);
  const sp = base != 0 ? base + <usize>(i0 * FAST_SLOT) : 0;
  for (;;) {
    const y0 = atomic.add<i32>(counter, 1) * block;
    if (y0 >= ny) break;
    stepRowsSimd(fin, fout, rho, rhoOut, mask, wall, stn, K, params, bdst, bsrc, brow, rowmin, nx, ny, sp, y0, min(y0 + block, ny));
    blockEdges(fout, rhoOut, mask, rowmin, nx, ny, flags, block, y0, true);
  }
}
