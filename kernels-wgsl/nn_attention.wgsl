// Causal scaled dot-product attention of lib/nn (see lib/nn/webgpu.ts), forward and backward.
//
// Layout: q [BH, Tq, D], k and v [BH, S, D] (S = kv_stride rows per head; the first Tk are used), all
// row-major. Query i sits at position Tk - Tq + i and attends keys 0 ..= Tk - Tq + i (training: Tq = Tk
// = S; decoding against a cache: Tq new queries, Tk filled positions, S the capacity).
//
// Forward (`attn_fwd`): one 64-invocation workgroup per (head, query row). Keys are walked in chunks of
// 64, one key per invocation; the softmax is the online one (running max m and sum l, rescaled per chunk)
// so any Tk works, and the row's log-sum-exp L = m + log l is stored for the backward pass. Each
// invocation owns output columns lid, lid + 64, ... (D <= DMAX).
//
// Backward (Tq = Tk = S), with P_ij = exp(scale q_i.k_j - L_i) recomputed instead of stored:
//   `attn_bwd_pre`  Dv_i = dO_i . O_i                                  (one invocation per row)
//   `attn_bwd_dq`   dS_ij = P_ij (dO_i . v_j - Dv_i); dq_i = scale sum_j dS_ij k_j     (workgroup per row i)
//   `attn_bwd_dkv`  dv_j = sum_{i>=j} P_ij dO_i;  dk_j = scale sum_{i>=j} dS_ij q_i  (workgroup per key j)
// No atomics: every output row is written by exactly one workgroup.
//
// Chunks of 64 keys (forward, dq) or queries (dkv) c0 .. c1 are walked by one dispatch; a dispatch with
// c0 > 0 continues from the state the previous one stored (forward: the unnormalized output in `out`
// and (m, l) in `state`; backward: the partial sums in dq, dk, dv), and only the `last` forward dispatch
// normalizes, so splitting the chunks over dispatches computes exactly what one dispatch does (the host
// splits only where the adapter caps an invocation's loop iterations: GpuContext.loopIterationLimit).
// Loop iterations per invocation, every loop counted: at most 24 + (17 + D + 64 ceil(D / 64)) per chunk.
//
// Bindings: 0 params; 1 q, 2 k, 3 v (read); 4 out; 5 lse; 6 o (read, forward output); 7 dout (read);
// 8 dvec (D_i); 9 dq; 10 dk; 11 dv; 12 state (forward, [rows][2]). Each entry point uses a subset (at
// most 8 storage buffers).

struct Params {
  tq: u32,
  tk: u32,
  stride: u32,
  d: u32,
  bh: u32,
  scale: f32,
  c0: u32,   // first chunk of 64 keys (queries for dkv) of this dispatch
  c1: u32,   // end of this dispatch's chunks
  last: u32, // forward: 1 when this dispatch ends the rows (normalizes, writes lse)
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;
@group(0) @binding(6) var<storage, read> o: array<f32>;
@group(0) @binding(7) var<storage, read> dout: array<f32>;
@group(0) @binding(8) var<storage, read_write> dvec: array<f32>;
@group(0) @binding(9) var<storage, read_write> dq: array<f32>;
@group(0) @binding(10) var<storage, read_write> dk: array<f32>;
@group(0) @binding(11) var<storage, read_write> dv: array<f32>;
@group(0) @binding(12) var<storage, read_write> state: array<f32>;

const WG: u32 = 64u;
const DMAX: u32 = 256u;
const DPT: u32 = 4u; // DMAX / WG output columns per invocation
const NEG_BIG: f32 = -3.0e38;

var<workgroup> red: array<f32, 64>;
var<workgroup> sh_p: array<f32, 64>;
var<workgroup> sh_ds: array<f32, 64>;
var<workgroup> sh_a: array<f32, 256>; // DMAX: the row staged for every invocation
var<workgroup> sh_b: array<f32, 256>;

fn reduce(lid: u32, val: f32, is_max: bool) -> f32 {
  red[lid] = val;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      if (is_max) {
        red[lid] = max(red[lid], red[lid + s]);
      } else {
        red[lid] = red[lid] + red[lid + s];
      }
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn slot_of(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.y * nwg.x + wid.x;
}

@compute @workgroup_size(64, 1, 1)
fn attn_fwd(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let slot = slot_of(wid, nwg);
  let tq = params.tq;
  if (slot >= params.bh * tq) {
    return;
  }
  let h = slot / tq;
  let i = slot % tq;
  let d = params.d;
  let qb = slot * d;
  let kb = h * params.stride * d;
  let n_keys = params.tk - tq + i + 1u;
  for (var c = lid; c < d; c += WG) {
    sh_a[c] = q[qb + c];
  }
  workgroupBarrier();
  var acc: array<f32, 4>;
  for (var t = 0u; t < DPT; t++) {
    acc[t] = 0.0;
  }
  var m = NEG_BIG;
  var l = 0.0;
  let resume = params.c0 > 0u;
  if (resume) {
    m = state[2u * slot];
    l = state[2u * slot + 1u];
    for (var t = 0u; t < DPT; t++) {
      let c = lid + t * WG;
      if (c < d) {
        acc[t] = out[qb + c];
      }
    }
  }
  let j_end = min(n_keys, params.c1 * WG);
  for (var j0 = params.c0 * WG; j0 < j_end; j0 += WG) {
    let j = j0 + lid;
    var s = NEG_BIG;
    if (j < n_keys) {
      var dot = 0.0;
      for (var c = 0u; c < d; c++) {
        dot = fma(sh_a[c], k[kb + j * d + c], dot);
      }
      s = dot * params.scale;
    }
    let m_new = max(m, reduce(lid, s, true));
    var p = 0.0;
    if (j < n_keys) {
      p = exp(s - m_new);
    }
    sh_p[lid] = p;
    let alpha = exp(m - m_new);
    l = l * alpha + reduce(lid, p, false); // the reduction's barriers also publish sh_p
    let nb = min(WG, n_keys - j0);
    for (var t = 0u; t < DPT; t++) {
      let c = lid + t * WG;
      if (c < d) {
        var a = acc[t] * alpha;
        for (var jj = 0u; jj < nb; jj++) {
          a = fma(sh_p[jj], v[kb + (j0 + jj) * d + c], a);
        }
        acc[t] = a;
      }
    }
    m = m_new;
    workgroupBarrier();
  }
  if (params.last == 0u) {
    for (var t = 0u; t < DPT; t++) {
      let c = lid + t * WG;
      if (c < d) {
        out[qb + c] = acc[t];
      }
    }
    if (lid == 0u) {
      state[2u * slot] = m;
      state[2u * slot + 1u] = l;
    }
    return;
  }
  let inv = 1.0 / l;
  for (var t = 0u; t < DPT; t++) {
    let c = lid + t * WG;
    if (c < d) {
      out[qb + c] = acc[t] * inv;
    }
  }
  if (lid == 0u) {
    lse[slot] = m + log(l);
  }
}

@compute @workgroup_size(64, 1, 1)
fn attn_bwd_pre(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.y * nwg.x * WG + gid.x;
  if (row >= params.bh * params.tq) {
    return;
  }
  let d = params.d;
  var s = 0.0;
  for (var c = 0u; c < d; c++) {
    s = fma(dout[row * d + c], o[row * d + c], s);
  }
  dvec[row] = s;
}

@compute @workgroup_size(64, 1, 1)
fn attn_bwd_dq(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let slot = slot_of(wid, nwg);
  let t_len = params.tq;
  if (slot >= params.bh * t_len) {
    return;
  }
  let h = slot / t_len;
  let i = slot % t_len;
  let d = params.d;
  let qb = slot * d;
  let kb = h * t_len * d;
  for (var c = lid; c < d; c += WG) {
    sh_a[c] = q[qb + c];
    sh_b[c] = dout[qb + c];
  }
  workgroupBarrier();
  let li = lse[slot];
  let di = dvec[slot];
  var acc: array<f32, 4>;
  for (var t = 0u; t < DPT; t++) {
    acc[t] = 0.0;
    let c = lid + t * WG;
    if (params.c0 > 0u && c < d) {
      acc[t] = dq[qb + c];
    }
  }
  let n_keys = i + 1u;
  let j_end = min(n_keys, params.c1 * WG);
  for (var j0 = params.c0 * WG; j0 < j_end; j0 += WG) {
    let j = j0 + lid;
    var ds = 0.0;
    if (j < n_keys) {
      var s = 0.0;
      var dp = 0.0;
      for (var c = 0u; c < d; c++) {
        s = fma(sh_a[c], k[kb + j * d + c], s);
        dp = fma(sh_b[c], v[kb + j * d + c], dp);
      }
      let p = exp(s * params.scale - li);
      ds = p * (dp - di) * params.scale;
    }
    sh_ds[lid] = ds;
    workgroupBarrier();
    let nb = min(WG, n_keys - j0);
    for (var t = 0u; t < DPT; t++) {
      let c = lid + t * WG;
      if (c < d) {
        var a = acc[t];
        for (var jj = 0u; jj < nb; jj++) {
          a = fma(sh_ds[jj], k[kb + (j0 + jj) * d + c], a);
        }
        acc[t] = a;
      }
    }
    workgroupBarrier();
  }
  for (var t = 0u; t < DPT; t++) {
    let c = lid + t * WG;
    if (c < d) {
      dq[qb + c] = acc[t];
    }
  }
}

@compute @workgroup_size(64, 1, 1)
fn attn_bwd_dkv(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let slot = slot_of(wid, nwg);
  let t_len = params.tq;
  if (slot >= params.bh * t_len) {
    return;
  }
  let h = slot / t_len;
  let j = slot % t_len;
  let d = params.d;
  let kb = slot * d;
  let hb = h * t_len; // first row of this head
  for (var c = lid; c < d; c += WG) {
    sh_a[c] = k[kb + c];
    sh_b[c] = v[kb + c];
  }
  workgroupBarrier();
  var acc_k: array<f32, 4>;
  var acc_v: array<f32, 4>;
  for (var t = 0u; t < DPT; t++) {
    acc_k[t] = 0.0;
    acc_v[t] = 0.0;
    let c = lid + t * WG;
    if (params.c0 > 0u && c < d) {
      acc_k[t] = dk[kb + c];
      acc_v[t] = dv[kb + c];
    }
  }
  // chunk c covers queries j + 64 c ..; clamp in chunks (t_len - j <= 2^32 / 64 keeps this exact)
  let chunks = (t_len - j + WG - 1u) / WG;
  let i_end = j + min(chunks, params.c1) * WG;
  for (var i0 = j + params.c0 * WG; i0 < i_end; i0 += WG) {
    let i = i0 + lid;
    var p = 0.0;
    var ds = 0.0;
    if (i < t_len) {
      let row = hb + i;
      var s = 0.0;
      var dp = 0.0;
      for (var c = 0u; c < d; c++) {
        s = fma(q[row * d + c], sh_a[c], s);
        dp = fma(dout[row * d + c], sh_b[c], dp);
      }
      p = exp(s * params.scale - lse[row]);
      ds = p * (dp - dvec[row]) * params.scale;
    }
    sh_p[lid] = p;
    sh_ds[lid] = ds;
    workgroupBarrier();
    let nb = min(WG, t_len - i0);
    for (var t = 0u; t < DPT; t++) {
      let c = lid + t * WG;
      if (c < d) {
        var ak = acc_k[t];
        var av = acc_v[t];
        for (var ii = 0u; ii < nb; ii++) {
          let row = hb + i0 + ii;
          ak = fma(sh_ds[ii], q[row * d + c], ak);
          av = fma(sh_p[ii], dout[row * d + c], av);
        }
        acc_k[t] = ak;
        acc_v[t] = av;
      }
    }
    workgroupBarrier();
  }
  for (var t = 0u; t < DPT; t++) {
    let c = lid + t * WG;
    if (c < d) {
      dk[kb + c] = acc_k[t];
      dv[kb + c] = acc_v[t];
    }
  }
}
