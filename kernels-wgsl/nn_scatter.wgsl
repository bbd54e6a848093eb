// Segment sum / scatter-add and row gather of lib/nn (see lib/nn/webgpu.ts).
//
// `segment_sum`: out[s, c] += sum over the rows i of segment s (in increasing i) of src[i, c]. The rows
// of each segment come as a CSR list built on the host: offsets [S + 1] into perm, perm the row ids
// sorted by segment (stable). One 64-invocation workgroup per segment, invocations stride the columns.
// No atomics: the sum is deterministic and adds in the same order as the serial reference (so it agrees
// with it bit for bit). `out` holds the base on entry (zeros for a plain segment sum).
//
// `gather_rows`: out[r, c] = src[ids[r], c], one invocation per element (the backward of segment sum
// and the forward of embedding).
//
// Bindings: 0 params; 1 src (read); 2 offsets (read, u32); 3 perm or ids (read, u32); 4 out.

struct Params {
  n: u32,    // segments (segment_sum) or output rows (gather_rows)
  d: u32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read> perm: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const WG: u32 = 64u;

@compute @workgroup_size(64, 1, 1)
fn segment_sum(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let s = wid.y * nwg.x + wid.x;
  if (s >= params.n) {
    return;
  }
  let d = params.d;
  let e0 = offsets[s];
  let e1 = offsets[s + 1u];
  for (var c = lid; c < d; c += WG) {
    var acc = 0.0;
    for (var e = e0; e < e1; e++) {
      acc += src[perm[e] * d + c];
    }
    out[s * d + c] = out[s * d + c] + acc;
  }
}

@compute @workgroup_size(64, 1, 1)
fn gather_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = gid.y * nwg.x * WG + gid.x;
  let d = params.d;
  if (idx >= params.n * d) {
    return;
  }
  let r = idx / d;
  let c = idx % d;
  out[idx] = src[perm[r] * d + c];
}
