// STREAM-style bandwidth kernels on vec4<f32>: copy (a = b) and triad (a = b + s * c).
//
// One vec4 per invocation per step of a grid-stride loop, so any dispatch covers any n4.
// Bindings: 0 params (uniform), 1 a (storage, written), 2 b, 3 c (read-only storage; copy binds 0-2).

struct Params {
  n4: u32,      // number of vec4 elements
  s: f32,       // triad scalar
  stride: u32,  // total invocations in the dispatch
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> c: array<vec4<f32>>;

@compute @workgroup_size(256, 1, 1)
fn copy(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < params.n4; i += params.stride) {
    a[i] = b[i];
  }
}

@compute @workgroup_size(256, 1, 1)
fn triad(@builtin(global_invocation_id) gid: vec3<u32>) {
  for (var i = gid.x; i < params.n4; i += params.stride) {
    a[i] = b[i] + params.s * c[i];
  }
}
