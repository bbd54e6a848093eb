// AdamW update of lib/nn (see lib/nn/webgpu.ts), in place, one invocation per parameter:
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//   p -= lr (m / bc1 / (sqrt(v / bc2) + eps) + wd p)      (bc1 = 1 - b1^t, bc2 = 1 - b2^t)
// which is exactly the order of operations of lib/nn/optim.ts.
//
// Bindings: 0 params; 1 p; 2 g (read); 3 m; 4 v.

struct Params {
  n: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  wd: f32,
  bc1: f32,
  bc2: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

const WG: u32 = 256u;

@compute @workgroup_size(256, 1, 1)
fn adamw_step(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * WG + gid.x;
  if (i >= params.n) {
    return;
  }
  let gi = g[i];
  let mi = params.beta1 * m[i] + (1.0 - params.beta1) * gi;
  let vi = params.beta2 * v[i] + (1.0 - params.beta2) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  let pi = p[i];
  p[i] = pi - params.lr * (mi / params.bc1 / (sqrt(vi / params.bc2) + params.eps) + params.wd * pi);
}
