// Segment sum / scatter-add and row gather of lib/nn (see lib/nn/webgpu.ts).
//
// `segment_sum`: out[s, c] += sum over the rows i of segment s (in increasing i) of src[i, c]. The rows
// of each segment come as a CSR list built on the host: offsets [S + 1] into perm, perm the row ids
// sorted by segment (stable). One 64-invocation workgroup per segment, invocations stride the columns.
// No atomics: the sum is deterministic and adds in the same order as the serial reference (so it agrees
// with it bit for bit). `out` holds the base on entry (zeros for a plain segment sum).
// One dispatch adds rows e_off .. e_off + e_cap of every segment; a split sum carries its partial sums
// in `part` from dispatch to dispatch (first: start from zero, last: add into out), so it adds in the
// same order as one dispatch (the host splits only where the adapter caps an invocation's loop
// iterations: GpuContext.loopIterationLimit). Loop iterations per invocation: ceil(d / 64) (rows + 1),
// rows those of the segment in this dispatch.
//
// `gather_rows`: out[r, c] = src[ids[r], c], one invocation per element (the backward of segment sum
// and the forward of embedding).
//
// Bindings: 0 params; 1 src (read); 2 offsets (read, u32); 3 perm or ids (read, u32); 4 out;
// 5 part (segment_sum: partial sums between dispatches, [S, d]).

struct Params {
  n: u32,    // segments (segment_sum) or output rows (gather_rows)
  d: u32,
  e_off: u32, // segment_sum: first row (within each segment) of this dispatch
  e_cap: u32, // segment_sum: most rows per segment in this dispatch
  first: u32, // segment_sum: 1 when this dispatch starts the sums
  last: u32,  // segment_sum: 1 when this dispatch ends them (adds into out)
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read> perm: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> part: array<f32>;

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
  let e_end = offsets[s + 1u];
  let e0 = min(offsets[s] + min(params.e_off, e_end - offsets[s]), e_end);
  let e1 = select(e_end, e0 + params.e_cap, e_end - e0 > params.e_cap);
  for (var c = lid; c < d; c += WG) {
    var acc = 0.0;
    if (params.first == 0u) {
      acc = part[s * d + c];
    }
    for (var e = e0; e < e1; e++) {
      acc += src[perm[e] * d + c];
    }
    if (params.last != 0u) {
      out[s * d + c] = out[s * d + c] + acc;
    } else {
      part[s * d + c] = acc;
    }
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
