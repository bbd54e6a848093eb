// Two-component Shan-Chen D2Q9 lattice Boltzmann (see lib/lbm/reference.ts for the model).
// Layout: f[(s * 9 + q) * n + cell] f32; rho[s * n + cell]; mask u32 (1 solid). One thread per cell
// (or per list entry). Entry points, run in this order each step: bounce_fill, density, fill_layer1,
// fill_layer2, collide, advance. D2Q9 order: rest, E, N, W, S, NE, NW, SW, SE.

struct Params {
  nx: u32, ny: u32, n: u32, K: u32,
  om1: f32, om2: f32, sc1: f32, sc2: f32,
  G: f32, bx: f32, by: f32, ga1: f32,
  ga2: f32, hasWall: u32, nBounce: u32, l1: u32,
  nT: u32, oTargets: u32, oStart: u32, oSrc: u32,
  oCT: u32, oCP: u32, oTsum: u32, oBounce: u32,
  fp0: vec4<f32>, fp1: vec4<f32>, fp2: vec4<f32>,
  // MRT (mrt1.w != 0): per component (1/tau - s_e)/36, (1/tau - s_eps)/36, (1/tau - s_q)/12
  mrt1: vec4<f32>, mrt2: vec4<f32>,
};

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> fin: array<f32>;
@group(0) @binding(2) var<storage, read_write> fout: array<f32>;
@group(0) @binding(3) var<storage, read_write> rho: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read> wall: array<f32>;
@group(0) @binding(6) var<storage, read> stn: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(8) var<storage, read> plan: array<u32>;
@group(0) @binding(9) var<storage, read_write> frw: array<f32>;

const EX = array<i32, 9>(0, 1, 0, -1, 0, 1, -1, -1, 1);
const EY = array<i32, 9>(0, 0, 1, 0, -1, 1, 1, -1, -1);
const WQ = array<f32, 9>(4.0 / 9.0, 1.0 / 9.0, 1.0 / 9.0, 1.0 / 9.0, 1.0 / 9.0, 1.0 / 36.0, 1.0 / 36.0, 1.0 / 36.0, 1.0 / 36.0);

// rows e, eps, q_x, q_y of the MRT moment matrix
const ME = array<f32, 9>(-4.0, -1.0, -1.0, -1.0, -1.0, 2.0, 2.0, 2.0, 2.0);
const MEPS = array<f32, 9>(4.0, -2.0, -2.0, -2.0, -2.0, 1.0, 1.0, 1.0, 1.0);
const MQX = array<f32, 9>(0.0, -2.0, 0.0, 2.0, 0.0, 1.0, -1.0, -1.0, 1.0);
const MQY = array<f32, 9>(0.0, 0.0, -2.0, 0.0, 2.0, 1.0, 1.0, -1.0, -1.0);

// The MRT correction coefficients (ce, ceps, cqx, cqy) of one component: k (m - m_eq + (M F) / 2).
fn mrtCoef(f: array<f32, 9>, r: f32, j: vec2<f32>, u: vec2<f32>, usq: f32, F: vec2<f32>, uF: f32, k: vec3<f32>) -> vec4<f32> {
  var me = 0.0;
  var mp = 0.0;
  for (var q = 0; q < 9; q++) {
    me += ME[q] * f[q];
    mp += MEPS[q] * f[q];
  }
  let mq = j - 3.0 * vec2<f32>(f[1] - f[3], f[2] - f[4]);
  let cq = k.z * (mq + r * u - 0.5 * F);
  return vec4<f32>(k.x * (me - r * (3.0 * usq - 2.0) + 3.0 * uF), k.y * (mp - r * (1.0 - 3.0 * usq) - 3.0 * uF), cq.x, cq.y);
}

fn wrapi(v: i32, n: i32) -> i32 {
  return select(select(v, v - n, v >= n), v + n, v < 0);
}

fn cellOf(gid: vec3<u32>, nwx: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwx.x * 256u;
}

@compute @workgroup_size(256)
fn bounce_fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = cellOf(gid, nwg);
  if (i >= P.nBounce) { return; }
  let d = plan[P.oBounce + 2u * i];
  let s = plan[P.oBounce + 2u * i + 1u];
  let n9 = 9u * P.n;
  frw[d] = frw[s];
  frw[d + n9] = frw[s + n9];
}

fn bad(v: f32) -> bool {
  return ((bitcast<u32>(v) >> 23u) & 0xffu) == 0xffu || v < 0.0;
}

@compute @workgroup_size(256)
fn density(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = cellOf(gid, nwg);
  if (c >= P.n) { return; }
  let nx = i32(P.nx);
  let ny = i32(P.ny);
  let x = i32(c % P.nx);
  let y = i32(c / P.nx);
  var r = vec2<f32>(0.0, 0.0);
  for (var q = 0; q < 9; q++) {
    let s = u32(wrapi(y - EY[q], ny) * nx + wrapi(x - EX[q], nx));
    r.x += fin[u32(q) * P.n + s];
    r.y += fin[(9u + u32(q)) * P.n + s];
  }
  rho[c] = r.x;
  rho[P.n + c] = r.y;
  if (mask[c] == 0u && (bad(r.x) || bad(r.y))) {
    let step = atomicLoad(&status[0]);
    if (atomicLoad(&status[1]) >= step) {
      atomicMin(&status[1], step);
      atomicMin(&status[2], 2u * c + select(0u, 1u, !bad(r.x)));
    }
  }
}

fn fillTarget(t: u32) {
  let k0 = plan[P.oStart + t];
  let k1 = plan[P.oStart + t + 1u];
  let tgt = plan[P.oTargets + t];
  let ts = bitcast<f32>(plan[P.oTsum + t]);
  let fp = array<f32, 12>(P.fp0.x, P.fp0.y, P.fp0.z, P.fp0.w, P.fp1.x, P.fp1.y, P.fp1.z, P.fp1.w, P.fp2.x, P.fp2.y, 0.0, 0.0);
  for (var s = 0u; s < 2u; s++) {
    var T = 0.0;
    var Pp = 0.0;
    for (var k = k0; k < k1; k++) {
      let r = rho[s * P.n + plan[P.oSrc + k]];
      T += bitcast<f32>(plan[P.oCT + k]) * r;
      Pp += bitcast<f32>(plan[P.oCP + k]) * r;
    }
    let v = fp[5u * s] * T + Pp - fp[5u * s + 1u] * ts + fp[5u * s + 2u];
    rho[s * P.n + tgt] = min(fp[5u * s + 4u], max(fp[5u * s + 3u], v));
  }
}

@compute @workgroup_size(256)
fn fill_layer1(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = cellOf(gid, nwg);
  if (t >= P.l1) { return; }
  fillTarget(t);
}

@compute @workgroup_size(256)
fn fill_layer2(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = P.l1 + cellOf(gid, nwg);
  if (t >= P.nT) { return; }
  fillTarget(t);
}

@compute @workgroup_size(256)
fn collide(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = cellOf(gid, nwg);
  if (c >= P.n || mask[c] != 0u) { return; }
  let nx = i32(P.nx);
  let ny = i32(P.ny);
  let x = i32(c % P.nx);
  let y = i32(c / P.nx);
  var f1: array<f32, 9>;
  var f2: array<f32, 9>;
  var r1 = 0.0;
  var r2 = 0.0;
  var j1 = vec2<f32>(0.0, 0.0);
  var j2 = vec2<f32>(0.0, 0.0);
  for (var q = 0; q < 9; q++) {
    let s = u32(wrapi(y - EY[q], ny) * nx + wrapi(x - EX[q], nx));
    let a = fin[u32(q) * P.n + s];
    let b = fin[(9u + u32(q)) * P.n + s];
    f1[q] = a;
    f2[q] = b;
    r1 += a;
    r2 += b;
    let e = vec2<f32>(f32(EX[q]), f32(EY[q]));
    j1 += a * e;
    j2 += b * e;
  }
  var g1 = vec2<f32>(0.0, 0.0);
  var g2 = vec2<f32>(0.0, 0.0);
  for (var k = 0u; k < P.K; k++) {
    let e = stn[k];
    let s = u32(wrapi(y + i32(e.y), ny) * nx + wrapi(x + i32(e.x), nx));
    let p1 = rho[s];
    let p2 = rho[P.n + s];
    g1 += e.zw * p1;
    g2 += e.zw * p2;
  }
  let body = vec2<f32>(P.bx, P.by);
  var F1 = r1 * (-P.G * g2 + body);
  var F2 = r2 * (-P.G * g1 + body);
  if (P.hasWall != 0u) {
    let w = vec2<f32>(wall[c], wall[P.n + c]);
    F1 -= P.ga1 * r1 * w;
    F2 -= P.ga2 * r2 * w;
  }
  let u = (P.om1 * (j1 + 0.5 * F1) + P.om2 * (j2 + 0.5 * F2)) / (P.om1 * r1 + P.om2 * r2);
  let usq = dot(u, u);
  let uF1 = dot(u, F1);
  let uF2 = dot(u, F2);
  // MRT = BGK + the correction of the e, eps, q moments (lib/lbm/collision.ts): per population
  // ce ME[q] + ceps MEPS[q] + cqx MQX[q] + cqy MQY[q], the k of Params.mrt* including 1/|M_k|^2
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  if (P.mrt1.w != 0.0) {
    c1 = mrtCoef(f1, r1, j1, u, usq, F1, uF1, P.mrt1.xyz);
    c2 = mrtCoef(f2, r2, j2, u, usq, F2, uF2, P.mrt2.xyz);
  }
  // increments of the moving populations; the rest population takes minus their sum, so the collision
  // conserves mass exactly in real arithmetic (the f32 weights sum to 1 + 7.5e-9, a drift of that much
  // per step otherwise)
  var s1 = 0.0;
  var s2 = 0.0;
  for (var q = 1; q < 9; q++) {
    let e = vec2<f32>(f32(EX[q]), f32(EY[q]));
    let eu = dot(e, u);
    let w = WQ[q];
    let t = 3.0 * eu + 4.5 * eu * eu - 1.5 * usq;
    let eF1 = dot(e, F1);
    let eF2 = dot(e, F2);
    let a = f1[q];
    let b = f2[q];
    let wr1 = w * r1;
    let wr2 = w * r2;
    let mq = vec4<f32>(ME[q], MEPS[q], MQX[q], MQY[q]);
    let d1 = P.om1 * ((wr1 - a) + wr1 * t) + P.sc1 * w * (3.0 * (eF1 - uF1) + 9.0 * eu * eF1) + dot(c1, mq);
    let d2 = P.om2 * ((wr2 - b) + wr2 * t) + P.sc2 * w * (3.0 * (eF2 - uF2) + 9.0 * eu * eF2) + dot(c2, mq);
    s1 += d1;
    s2 += d2;
    fout[u32(q) * P.n + c] = a + d1;
    fout[(9u + u32(q)) * P.n + c] = b + d2;
  }
  fout[c] = f1[0] - s1;
  fout[9u * P.n + c] = f2[0] - s2;
}

@compute @workgroup_size(1)
fn advance() {
  atomicAdd(&status[0], 1u);
}
