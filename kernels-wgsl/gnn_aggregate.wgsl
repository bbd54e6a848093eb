// GIN sum aggregation over a CSR of incoming arcs (message passing):
//   out[v, c] = (1 + eps) * h[v, c] + sum_{k in rowOff[v] .. rowOff[v+1]} h[src[k], c]
// One invocation per (v, c), c fastest, so a workgroup reads neighbouring columns of the same rows.
// Bindings: 0 params (uniform: n, d, eps bits), 1 h, 2 rowOff, 3 src (read-only storage), 4 out.
// Dispatch (ceil(n * d / 256), 1, 1), or split over y when that exceeds the per-dimension limit.
// One dispatch adds arcs k_off .. k_off + k_cap of every vertex; a dispatch with k_off > 0 continues
// from the sums the previous one stored, so splitting adds in the same order as one dispatch (the host
// splits only where the adapter caps an invocation's loop iterations: GpuContext.loopIterationLimit).
// Loop iterations per invocation: the vertex's in-degree within this dispatch's arcs.

struct Params {
  n: u32,
  d: u32,
  eps: f32,
  groupsX: u32,
  k_off: u32, // first arc (within each vertex's list) of this dispatch
  k_cap: u32, // most arcs per vertex in this dispatch
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read> rowOff: array<u32>;
@group(0) @binding(3) var<storage, read> src: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * params.groupsX * 256u;
  if (i >= params.n * params.d) {
    return;
  }
  let v = i / params.d;
  let c = i % params.d;
  let k_begin = rowOff[v];
  let k_end = rowOff[v + 1u];
  let k0 = k_begin + min(params.k_off, k_end - k_begin);
  let k1 = select(k_end, k0 + params.k_cap, k_end - k0 > params.k_cap);
  var acc = (1.0 + params.eps) * h[i];
  if (params.k_off > 0u) {
    acc = out[i];
  }
  for (var k = k0; k < k1; k = k + 1u) {
    acc = acc + h[src[k] * params.d + c];
  }
  out[i] = acc;
}
