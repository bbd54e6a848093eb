// GIN sum aggregation over a CSR of incoming arcs (message passing):
//   out[v, c] = (1 + eps) * h[v, c] + sum_{k in rowOff[v] .. rowOff[v+1]} h[src[k], c]
// One invocation per (v, c), c fastest, so a workgroup reads neighbouring columns of the same rows.
// Bindings: 0 params (uniform: n, d, eps bits), 1 h, 2 rowOff, 3 src (read-only storage), 4 out.
// Dispatch (ceil(n * d / 256), 1, 1), or split over y when that exceeds the per-dimension limit.

struct Params {
  n: u32,
  d: u32,
  eps: f32,
  groupsX: u32,
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
  var acc = (1.0 + params.eps) * h[i];
  for (var k = rowOff[v]; k < rowOff[v + 1u]; k = k + 1u) {
    acc = acc + h[src[k] * params.d + c];
  }
  out[i] = acc;
}
