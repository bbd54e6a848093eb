// Two-component Shan-Chen D2Q9 lattice Boltzmann kernels (see lib/lbm/reference.ts for the model).
// Layout: structure of arrays, f[(s * 9 + q) * N + cell], f32; rho[s * N + cell]; mask i32 (0 fluid,
// -1 solid). Range kernels split rows [i0, i1) so the worker pool can run them in parallel.
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
  f: usize, rho: usize, mask: usize, rowmin: usize, nx: i32, ny: i32, i0: i32, i1: i32,
): void {
  const n = nx * ny;
  for (let y = i0; y < i1; y++) {
    let m: f32 = 1e30;
    for (let x = 0; x < nx; x++) {
      const c = densityCell(f, rho, n, nx, ny, x, y);
      if (load<i32>(mask + (<usize>c << 2)) == 0) {
        m = min<f32>(m, min<f32>(ld(rho, c), ld(rho, c + n)));
      }
    }
    st(rowmin, y, m);
  }
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
  f: usize, rho: usize, mask: usize, rowmin: usize, nx: i32, ny: i32, i0: i32, i1: i32,
): void {
  const n = nx * ny;
  const big = f32x4.splat(1e30);
  for (let y = i0; y < i1; y++) {
    let m: f32 = 1e30;
    let vm = big;
    const y0 = y * nx, ym = wrap(y - 1, ny) * nx, yp = wrap(y + 1, ny) * nx;
    let x = 0;
    for (; x < 1 && x < nx; x++) {
      const c = densityCell(f, rho, n, nx, ny, x, y);
      if (load<i32>(mask + (<usize>c << 2)) == 0) m = min<f32>(m, min<f32>(ld(rho, c), ld(rho, c + n)));
    }
    for (; x + 4 <= nx - 1; x += 4) {
      const b1 = f, b2 = f + (<usize>(9 * n) << 2);
      const r1 = f32x4.add(
        f32x4.add(f32x4.add(ldv(b1, y0 + x), ldv(b1, n + y0 + x - 1)), f32x4.add(ldv(b1, 2 * n + ym + x), ldv(b1, 3 * n + y0 + x + 1))),
        f32x4.add(
          f32x4.add(f32x4.add(ldv(b1, 4 * n + yp + x), ldv(b1, 5 * n + ym + x - 1)), f32x4.add(ldv(b1, 6 * n + ym + x + 1), ldv(b1, 7 * n + yp + x + 1))),
          ldv(b1, 8 * n + yp + x - 1),
        ),
      );
      const r2 = f32x4.add(
        f32x4.add(f32x4.add(ldv(b2, y0 + x), ldv(b2, n + y0 + x - 1)), f32x4.add(ldv(b2, 2 * n + ym + x), ldv(b2, 3 * n + y0 + x + 1))),
        f32x4.add(
          f32x4.add(f32x4.add(ldv(b2, 4 * n + yp + x), ldv(b2, 5 * n + ym + x - 1)), f32x4.add(ldv(b2, 6 * n + ym + x + 1), ldv(b2, 7 * n + yp + x + 1))),
          ldv(b2, 8 * n + yp + x - 1),
        ),
      );
      stv(rho, y0 + x, r1);
      stv(rho, n + y0 + x, r2);
      const solid = ldv(mask, y0 + x);
      vm = f32x4.min(vm, v128.bitselect(big, f32x4.min(r1, r2), solid));
    }
    for (; x < nx; x++) {
      const c = densityCell(f, rho, n, nx, ny, x, y);
      if (load<i32>(mask + (<usize>c << 2)) == 0) m = min<f32>(m, min<f32>(ld(rho, c), ld(rho, c + n)));
    }
    m = min<f32>(m, min<f32>(min<f32>(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)), min<f32>(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3))));
    st(rowmin, y, m);
  }
}

function setParams(params: usize, nx: i32, ny: i32): void {
  N = nx * ny;
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
}

// ---- scalar collision ------------------------------------------------------------------------------

@inline function relax(f: f32, w: f32, rs: f32, eu: f32, usq: f32, eF: f32, uF: f32, om: f32, sc: f32): f32 {
  // feq - f = (w rs - f) + w rs (3 eu + 4.5 eu^2 - 1.5 u^2): keeping the small terms apart from 1 avoids a
  // systematic f32 rounding bias (a slow mass drift) when u is small
  const wr = w * rs;
  const d = (wr - f) + wr * (3.0 * eu + 4.5 * eu * eu - 1.5 * usq);
  return f + om * d + sc * w * (3.0 * (eF - uF) + 9.0 * eu * eF);
}

function cellScalar(fin: usize, fout: usize, rho: usize, wall: usize, stn: usize, K: i32, x: i32, y: i32): void {
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
  const W0: f32 = 4.0 / 9.0, W1: f32 = 1.0 / 9.0, W5: f32 = 1.0 / 36.0;
  // component 1
  let uF = ux * f1x + uy * f1y;
  st(fout, c, relax(a0, W0, r1, 0, usq, 0, uF, OM1, SC1));
  st(fout, n + c, relax(a1, W1, r1, ux, usq, f1x, uF, OM1, SC1));
  st(fout, 2 * n + c, relax(a2, W1, r1, uy, usq, f1y, uF, OM1, SC1));
  st(fout, 3 * n + c, relax(a3, W1, r1, -ux, usq, -f1x, uF, OM1, SC1));
  st(fout, 4 * n + c, relax(a4, W1, r1, -uy, usq, -f1y, uF, OM1, SC1));
  st(fout, 5 * n + c, relax(a5, W5, r1, ux + uy, usq, f1x + f1y, uF, OM1, SC1));
  st(fout, 6 * n + c, relax(a6, W5, r1, uy - ux, usq, f1y - f1x, uF, OM1, SC1));
  st(fout, 7 * n + c, relax(a7, W5, r1, -ux - uy, usq, -f1x - f1y, uF, OM1, SC1));
  st(fout, 8 * n + c, relax(a8, W5, r1, ux - uy, usq, f1x - f1y, uF, OM1, SC1));
  // component 2
  const o2 = fout + (<usize>(9 * n) << 2);
  uF = ux * f2x + uy * f2y;
  st(o2, c, relax(b0, W0, r2, 0, usq, 0, uF, OM2, SC2));
  st(o2, n + c, relax(b1, W1, r2, ux, usq, f2x, uF, OM2, SC2));
  st(o2, 2 * n + c, relax(bb2, W1, r2, uy, usq, f2y, uF, OM2, SC2));
  st(o2, 3 * n + c, relax(b3, W1, r2, -ux, usq, -f2x, uF, OM2, SC2));
  st(o2, 4 * n + c, relax(b4, W1, r2, -uy, usq, -f2y, uF, OM2, SC2));
  st(o2, 5 * n + c, relax(b5, W5, r2, ux + uy, usq, f2x + f2y, uF, OM2, SC2));
  st(o2, 6 * n + c, relax(b6, W5, r2, uy - ux, usq, f2y - f2x, uF, OM2, SC2));
  st(o2, 7 * n + c, relax(b7, W5, r2, -ux - uy, usq, -f2x - f2y, uF, OM2, SC2));
  st(o2, 8 * n + c, relax(b8, W5, r2, ux - uy, usq, f2x - f2y, uF, OM2, SC2));
}

// Pull-stream + Guo-forced BGK collision of both components, rows [i0, i1), scalar.
// params: [1/tau1, 1/tau2, 1-1/(2tau1), 1-1/(2tau2), G, gx, gy, Gads1, Gads2]; wall = 0 without adhesion.
export function collide_rows_scalar(
  fin: usize, fout: usize, rho: usize, mask: usize, wall: usize, stn: usize, K: i32, params: usize,
  nx: i32, ny: i32, i0: i32, i1: i32,
): void {
  setParams(params, nx, ny);
  for (let y = i0; y < i1; y++) {
    for (let x = 0; x < nx; x++) {
      if (load<i32>(mask + (<usize>(y * nx + x) << 2)) == 0) cellScalar(fin, fout, rho, wall, stn, K, x, y);
    }
  }
}

// ---- SIMD collision (4 cells along x) --------------------------------------------------------------

@inline function relaxV(f: v128, w: v128, rs: v128, eu: v128, usq: v128, eF: v128, uF: v128, om: v128, sc: v128): v128 {
  const three = f32x4.splat(3.0);
  const wr = f32x4.mul(w, rs);
  const d = f32x4.add(
    f32x4.sub(wr, f),
    f32x4.mul(
      wr,
      f32x4.sub(f32x4.add(f32x4.mul(three, eu), f32x4.mul(f32x4.splat(4.5), f32x4.mul(eu, eu))), f32x4.mul(f32x4.splat(1.5), usq)),
    ),
  );
  const s = f32x4.mul(
    f32x4.mul(sc, w),
    f32x4.add(f32x4.mul(three, f32x4.sub(eF, uF)), f32x4.mul(f32x4.splat(9.0), f32x4.mul(eu, eF))),
  );
  return f32x4.add(f32x4.add(f, f32x4.mul(om, d)), s);
}

function groupSimd(fin: usize, fout: usize, rho: usize, wall: usize, stn: usize, K: i32, x: i32, y: i32): void {
  const n = N, nx = NX, ny = NY;
  const y0 = y * nx, ym = wrap(y - 1, ny) * nx, yp = wrap(y + 1, ny) * nx;
  const c = y0 + x;
  const b2 = fin + (<usize>(9 * n) << 2);
  const a0 = ldv(fin, c), a1 = ldv(fin, n + c - 1), a2 = ldv(fin, 2 * n + ym + x), a3 = ldv(fin, 3 * n + c + 1);
  const a4 = ldv(fin, 4 * n + yp + x), a5 = ldv(fin, 5 * n + ym + x - 1), a6 = ldv(fin, 6 * n + ym + x + 1);
  const a7 = ldv(fin, 7 * n + yp + x + 1), a8 = ldv(fin, 8 * n + yp + x - 1);
  const b0 = ldv(b2, c), b1 = ldv(b2, n + c - 1), bb2 = ldv(b2, 2 * n + ym + x), b3 = ldv(b2, 3 * n + c + 1);
  const b4 = ldv(b2, 4 * n + yp + x), b5 = ldv(b2, 5 * n + ym + x - 1), b6 = ldv(b2, 6 * n + ym + x + 1);
  const b7 = ldv(b2, 7 * n + yp + x + 1), b8 = ldv(b2, 8 * n + yp + x - 1);
  const r1 = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)), a8));
  const r2 = f32x4.add(f32x4.add(f32x4.add(b0, b1), f32x4.add(bb2, b3)), f32x4.add(f32x4.add(f32x4.add(b4, b5), f32x4.add(b6, b7)), b8));
  const j1x = f32x4.sub(f32x4.add(f32x4.sub(a1, a3), f32x4.add(a5, a8)), f32x4.add(a6, a7));
  const j2x = f32x4.sub(f32x4.add(f32x4.sub(b1, b3), f32x4.add(b5, b8)), f32x4.add(b6, b7));
  const j1y = f32x4.sub(f32x4.add(f32x4.sub(a2, a4), f32x4.add(a5, a6)), f32x4.add(a7, a8));
  const j2y = f32x4.sub(f32x4.add(f32x4.sub(bb2, b4), f32x4.add(b5, b6)), f32x4.add(b7, b8));
  let g1x = f32x4.splat(0), g1y = f32x4.splat(0), g2x = f32x4.splat(0), g2y = f32x4.splat(0);
  for (let k = 0; k < K; k++) {
    const e = stn + (<usize>(k << 4));
    const s = wrap(y + load<i32>(e, 4), ny) * nx + x + load<i32>(e);
    const wx = f32x4.splat(load<f32>(e, 8)), wy = f32x4.splat(load<f32>(e, 12));
    const p1 = ldv(rho, s), p2 = ldv(rho, n + s);
    g1x = f32x4.add(g1x, f32x4.mul(wx, p1));
    g1y = f32x4.add(g1y, f32x4.mul(wy, p1));
    g2x = f32x4.add(g2x, f32x4.mul(wx, p2));
    g2y = f32x4.add(g2y, f32x4.mul(wy, p2));
  }
  const mg = f32x4.splat(-GC), bx = f32x4.splat(BX), by = f32x4.splat(BY);
  let f1x = f32x4.mul(r1, f32x4.add(f32x4.mul(mg, g2x), bx)), f1y = f32x4.mul(r1, f32x4.add(f32x4.mul(mg, g2y), by));
  let f2x = f32x4.mul(r2, f32x4.add(f32x4.mul(mg, g1x), bx)), f2y = f32x4.mul(r2, f32x4.add(f32x4.mul(mg, g1y), by));
  if (wall != 0) {
    const wx = ldv(wall, c), wy = ldv(wall, n + c);
    const ga1 = f32x4.splat(GA1), ga2 = f32x4.splat(GA2);
    f1x = f32x4.sub(f1x, f32x4.mul(f32x4.mul(ga1, r1), wx));
    f1y = f32x4.sub(f1y, f32x4.mul(f32x4.mul(ga1, r1), wy));
    f2x = f32x4.sub(f2x, f32x4.mul(f32x4.mul(ga2, r2), wx));
    f2y = f32x4.sub(f2y, f32x4.mul(f32x4.mul(ga2, r2), wy));
  }
  const half = f32x4.splat(0.5);
  const om1 = f32x4.splat(OM1), om2 = f32x4.splat(OM2);
  const dd = f32x4.add(f32x4.mul(om1, r1), f32x4.mul(om2, r2));
  const ux = f32x4.div(
    f32x4.add(f32x4.mul(om1, f32x4.add(j1x, f32x4.mul(half, f1x))), f32x4.mul(om2, f32x4.add(j2x, f32x4.mul(half, f2x)))),
    dd,
  );
  const uy = f32x4.div(
    f32x4.add(f32x4.mul(om1, f32x4.add(j1y, f32x4.mul(half, f1y))), f32x4.mul(om2, f32x4.add(j2y, f32x4.mul(half, f2y)))),
    dd,
  );
  const usq = f32x4.add(f32x4.mul(ux, ux), f32x4.mul(uy, uy));
  const W0 = f32x4.splat(4.0 / 9.0), W1 = f32x4.splat(1.0 / 9.0), W5 = f32x4.splat(1.0 / 36.0);
  const zero = f32x4.splat(0);
  const nux = f32x4.neg(ux), nuy = f32x4.neg(uy);
  const e5 = f32x4.add(ux, uy), e6 = f32x4.sub(uy, ux), e7 = f32x4.neg(e5), e8 = f32x4.sub(ux, uy);
  let om = om1, sc = f32x4.splat(SC1);
  let uF = f32x4.add(f32x4.mul(ux, f1x), f32x4.mul(uy, f1y));
  let fx = f1x, fy = f1y;
  stv(fout, c, relaxV(a0, W0, r1, zero, usq, zero, uF, om, sc));
  stv(fout, n + c, relaxV(a1, W1, r1, ux, usq, fx, uF, om, sc));
  stv(fout, 2 * n + c, relaxV(a2, W1, r1, uy, usq, fy, uF, om, sc));
  stv(fout, 3 * n + c, relaxV(a3, W1, r1, nux, usq, f32x4.neg(fx), uF, om, sc));
  stv(fout, 4 * n + c, relaxV(a4, W1, r1, nuy, usq, f32x4.neg(fy), uF, om, sc));
  stv(fout, 5 * n + c, relaxV(a5, W5, r1, e5, usq, f32x4.add(fx, fy), uF, om, sc));
  stv(fout, 6 * n + c, relaxV(a6, W5, r1, e6, usq, f32x4.sub(fy, fx), uF, om, sc));
  stv(fout, 7 * n + c, relaxV(a7, W5, r1, e7, usq, f32x4.neg(f32x4.add(fx, fy)), uF, om, sc));
  stv(fout, 8 * n + c, relaxV(a8, W5, r1, e8, usq, f32x4.sub(fx, fy), uF, om, sc));
  const o2 = fout + (<usize>(9 * n) << 2);
  om = om2;
  sc = f32x4.splat(SC2);
  uF = f32x4.add(f32x4.mul(ux, f2x), f32x4.mul(uy, f2y));
  fx = f2x;
  fy = f2y;
  stv(o2, c, relaxV(b0, W0, r2, zero, usq, zero, uF, om, sc));
  stv(o2, n + c, relaxV(b1, W1, r2, ux, usq, fx, uF, om, sc));
  stv(o2, 2 * n + c, relaxV(bb2, W1, r2, uy, usq, fy, uF, om, sc));
  stv(o2, 3 * n + c, relaxV(b3, W1, r2, nux, usq, f32x4.neg(fx), uF, om, sc));
  stv(o2, 4 * n + c, relaxV(b4, W1, r2, nuy, usq, f32x4.neg(fy), uF, om, sc));
  stv(o2, 5 * n + c, relaxV(b5, W5, r2, e5, usq, f32x4.add(fx, fy), uF, om, sc));
  stv(o2, 6 * n + c, relaxV(b6, W5, r2, e6, usq, f32x4.sub(fy, fx), uF, om, sc));
  stv(o2, 7 * n + c, relaxV(b7, W5, r2, e7, usq, f32x4.neg(f32x4.add(fx, fy)), uF, om, sc));
  stv(o2, 8 * n + c, relaxV(b8, W5, r2, e8, usq, f32x4.sub(fx, fy), uF, om, sc));
}

// SIMD version of collide_rows_scalar: groups of 4 fluid cells at 2 <= x, x + 3 <= nx - 3 use f32x4,
// edge cells (periodic wrap of the stencil) and groups containing solid cells use the scalar path.
export function collide_rows_simd(
  fin: usize, fout: usize, rho: usize, mask: usize, wall: usize, stn: usize, K: i32, params: usize,
  nx: i32, ny: i32, i0: i32, i1: i32,
): void {
  setParams(params, nx, ny);
  for (let y = i0; y < i1; y++) {
    const y0 = y * nx;
    let x = 0;
    for (; x < 2 && x < nx; x++) {
      if (load<i32>(mask + (<usize>(y0 + x) << 2)) == 0) cellScalar(fin, fout, rho, wall, stn, K, x, y);
    }
    for (; x + 4 <= nx - 2; x += 4) {
      if (!v128.any_true(ldv(mask, y0 + x))) {
        groupSimd(fin, fout, rho, wall, stn, K, x, y);
      } else {
        for (let j = x; j < x + 4; j++) {
          if (load<i32>(mask + (<usize>(y0 + j) << 2)) == 0) cellScalar(fin, fout, rho, wall, stn, K, j, y);
        }
      }
    }
    for (; x < nx; x++) {
      if (load<i32>(mask + (<usize>(y0 + x) << 2)) == 0) cellScalar(fin, fout, rho, wall, stn, K, x, y);
    }
  }
}
