// Peak f32 arithmetic: 8 independent chains of dependent vec4 FMAs per invocation, kept in registers.
//
// Each step of the loop does 8 fma on vec4 = 32 FMA = 64 flops per invocation; the chains are
// independent so a pipelined FMA unit can overlap them. The multiplier and addend come from a uniform
// (the compiler cannot fold the loop) and every chain is summed into out[gid] (it cannot be dropped).
// With mul = 1 - 2^-20 and add a small constant the values stay bounded for any iteration count.
//
// Bindings: 0 params (uniform), 1 out (storage, one f32 per invocation).
// Flops of a dispatch: invocations * iterations * 64.

struct Params {
  iterations: u32,
  mul: f32,
  add: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256, 1, 1)
fn peak(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.x + gid.y * nwg.x * 256u;
  let seed = f32(id & 1023u) * 1e-3;
  let m = vec4<f32>(params.mul);
  let d = vec4<f32>(params.add);
  var x0 = vec4<f32>(seed, seed + 0.1, seed + 0.2, seed + 0.3);
  var x1 = x0 + 1.0;
  var x2 = x0 + 2.0;
  var x3 = x0 + 3.0;
  var x4 = x0 + 4.0;
  var x5 = x0 + 5.0;
  var x6 = x0 + 6.0;
  var x7 = x0 + 7.0;
  for (var i = 0u; i < params.iterations; i++) {
    x0 = fma(x0, m, d);
    x1 = fma(x1, m, d);
    x2 = fma(x2, m, d);
    x3 = fma(x3, m, d);
    x4 = fma(x4, m, d);
    x5 = fma(x5, m, d);
    x6 = fma(x6, m, d);
    x7 = fma(x7, m, d);
  }
  let s = (x0 + x1) + (x2 + x3) + (x4 + x5) + (x6 + x7);
  out[id] = s.x + s.y + s.z + s.w;
}
