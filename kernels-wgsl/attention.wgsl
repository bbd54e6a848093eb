// Decode attention over a prefix tree (see lib/attention/plan.ts): entry point `tasks` runs one task per
// workgroup (a KV chunk of one node and kv head, for a group of up to 64 query rows), writing unnormalised
// partial softmax states; entry point `merge` merges each output row's states, one workgroup per row.
//
// The chunk is staged in workgroup memory BT tokens at a time: each key and value is read from global
// memory once for every query row of the task. Scores, the online-softmax update and O += P V are spread
// over the 64 invocations. Workgroups run tasks in the order given by `order` (longest first).
//
// Layouts: kv holds each node's K then V, token-major [L, Hkv, d]; task record (8 x u32): kOff, vOff (in
// floats), t0, count, head, qOff (into qidx), nq, state; states have stride d + 2: o[d], m, l.
// Limits: d <= DMAX, nq <= MAXROWS (the planner narrows groups to fit).

struct Params {
  kv_stride: u32,
  d: u32,
  n_tasks: u32,
  n_rows: u32,
  scale: f32,
  grid_x: u32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> kv: array<f32>;
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read> tasks: array<u32>;
@group(0) @binding(4) var<storage, read> qidx: array<u32>;
@group(0) @binding(5) var<storage, read_write> states: array<f32>;
@group(0) @binding(6) var<storage, read> order: array<u32>;
@group(0) @binding(7) var<storage, read> row_start: array<u32>;
@group(0) @binding(8) var<storage, read> row_states: array<u32>;
@group(0) @binding(9) var<storage, read_write> out: array<f32>;

const WG: u32 = 64u;
const BT: u32 = 8u;
const DMAX: u32 = 128u;
const MAXROWS: u32 = 64u;
const NEG_BIG: f32 = -3.0e38; // "minus infinity" for the running max: exp(NEG_BIG - m) is 0, never NaN

var<workgroup> k_tile: array<f32, 1024>; // BT * DMAX
var<workgroup> v_tile: array<f32, 1024>;
var<workgroup> s_tile: array<f32, 512>;  // MAXROWS * BT
var<workgroup> row_m: array<f32, 64>;
var<workgroup> row_l: array<f32, 64>;
var<workgroup> row_alpha: array<f32, 64>;
var<workgroup> w_t0: u32;
var<workgroup> w_count: u32;

@compute @workgroup_size(64, 1, 1)
fn run_tasks(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
) {
  let slot = wid.x + wid.y * params.grid_x;
  if (slot >= params.n_tasks) {
    return;
  }
  let ti = order[slot];
  let base = ti * 8u;
  let k_off = tasks[base];
  let v_off = tasks[base + 1u];
  let head = tasks[base + 4u];
  let q_off = tasks[base + 5u];
  let nq = tasks[base + 6u];
  let state0 = tasks[base + 7u];
  let d = params.d;
  let ss = d + 2u;
  let kvs = params.kv_stride;
  if (lid == 0u) {
    w_t0 = tasks[base + 2u];
    w_count = tasks[base + 3u];
  }
  let t0 = workgroupUniformLoad(&w_t0);
  let count = workgroupUniformLoad(&w_count);

  for (var j = lid; j < nq; j += WG) {
    row_m[j] = NEG_BIG;
    row_l[j] = 0.0;
  }
  for (var idx = lid; idx < nq * d; idx += WG) {
    let j = idx / d;
    let c = idx % d;
    states[(state0 + j) * ss + c] = 0.0;
  }
  workgroupBarrier();

  for (var b = t0; b < t0 + count; b += BT) {
    let nb = min(BT, t0 + count - b);
    for (var idx = lid; idx < nb * d; idx += WG) {
      let t = idx / d;
      let c = idx % d;
      let g = (b + t) * kvs + head * d + c;
      k_tile[t * d + c] = kv[k_off + g];
      v_tile[t * d + c] = kv[v_off + g];
    }
    workgroupBarrier();
    for (var idx = lid; idx < nq * nb; idx += WG) {
      let j = idx / nb;
      let t = idx % nb;
      let qb = qidx[q_off + j] * d;
      var s = 0.0;
      for (var c = 0u; c < d; c++) {
        s = fma(q[qb + c], k_tile[t * d + c], s);
      }
      s_tile[j * BT + t] = s * params.scale;
    }
    workgroupBarrier();
    for (var j = lid; j < nq; j += WG) {
      var mx = NEG_BIG;
      for (var t = 0u; t < nb; t++) {
        mx = max(mx, s_tile[j * BT + t]);
      }
      let m_old = row_m[j];
      let m_new = max(m_old, mx);
      let alpha = exp(m_old - m_new);
      var sum = 0.0;
      for (var t = 0u; t < nb; t++) {
        let p = exp(s_tile[j * BT + t] - m_new);
        s_tile[j * BT + t] = p;
        sum += p;
      }
      row_l[j] = row_l[j] * alpha + sum;
      row_m[j] = m_new;
      row_alpha[j] = alpha;
    }
    workgroupBarrier();
    for (var idx = lid; idx < nq * d; idx += WG) {
      let j = idx / d;
      let c = idx % d;
      let o = (state0 + j) * ss + c;
      var acc = states[o] * row_alpha[j];
      for (var t = 0u; t < nb; t++) {
        acc = fma(s_tile[j * BT + t], v_tile[t * d + c], acc);
      }
      states[o] = acc;
    }
    workgroupBarrier();
  }
  for (var j = lid; j < nq; j += WG) {
    states[(state0 + j) * ss + d] = row_m[j];
    states[(state0 + j) * ss + d + 1u] = row_l[j];
  }
}

@compute @workgroup_size(64, 1, 1)
fn merge(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
) {
  let row = wid.x + wid.y * params.grid_x;
  if (row >= params.n_rows) {
    return;
  }
  let d = params.d;
  let ss = d + 2u;
  let a = row_start[row];
  let b = row_start[row + 1u];
  var big = NEG_BIG;
  for (var i = a; i < b; i++) {
    big = max(big, states[row_states[i] * ss + d]);
  }
  for (var c = lid; c < d; c += WG) {
    var l = 0.0;
    var o = 0.0;
    for (var i = a; i < b; i++) {
      let s = row_states[i] * ss;
      let w = exp(states[s + d] - big);
      l += w * states[s + d + 1u];
      o += w * states[s + c];
    }
    var r = 0.0;
    if (l > 0.0) {
      r = o / l;
    }
    out[row * d + c] = r;
  }
}
