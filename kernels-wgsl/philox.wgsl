// Philox-4x32-10 (Salmon et al., SC'11) with the stream layout of lib/core/rng.ts:
// word w of stream s under key (k0, k1) is lane w mod 4 of the block with counter
// [floor(w/4) mod 2^32, floor(w/4) / 2^32, s, 0].
//
// WGSL has no 64-bit integers, so the 32x32 -> 64-bit product is built from 16-bit halves, and the
// 64-bit block index is a (lo, hi) pair with an explicit carry.
//
// Output word i (0 <= i < n) is stream word offset + i. Invocation t computes block
// floor(offset/4) + t and writes the lanes of it that fall inside the output, so an offset that is not a
// multiple of 4 needs no special case. Dispatch ceil((offset mod 4 + n) / 4) invocations in total,
// 256 per workgroup, as (x, y) workgroups when x alone would pass the per-dimension limit.
//
// Bindings: 0 params (uniform), 1 out (storage, u32 words; fill_uniform_f32 writes f32 bit patterns).

struct Params {
  key0: u32,
  key1: u32,
  stream: u32,
  n: u32,          // number of output words
  block_lo: u32,   // floor(offset / 4), low word
  block_hi: u32,   //                    high word
  lane0: u32,      // offset mod 4
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

// M0, M1, W0, W1, mulhi and philox4x32 come from philox_lib.wgsl, prepended by the loader.

fn invocation(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 256u;
}

// The four words of block floor(offset / 4) + t (64-bit add with carry).
fn block_of(t: u32) -> vec4<u32> {
  let lo = params.block_lo + t;
  let carry = select(0u, 1u, lo < t);
  let words = philox4x32(vec4<u32>(lo, params.block_hi + carry, params.stream, 0u), vec2<u32>(params.key0, params.key1));
  return words;
}

@compute @workgroup_size(256, 1, 1)
fn fill_u32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = invocation(gid, nwg);
  let blocks = (params.lane0 + params.n + 3u) / 4u;
  if (t >= blocks) {
    return;
  }
  let words = block_of(t);
  for (var lane = 0u; lane < 4u; lane++) {
    let pos = 4u * t + lane; // position counted from the start of the first block
    if (pos >= params.lane0 && pos - params.lane0 < params.n) {
      out[pos - params.lane0] = words[lane];
    }
  }
}

// Uniform f32 in [0, 1): (u >> 8) * 2^-24, exact in f32, stored as its bit pattern.
@compute @workgroup_size(256, 1, 1)
fn fill_uniform_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = invocation(gid, nwg);
  let blocks = (params.lane0 + params.n + 3u) / 4u;
  if (t >= blocks) {
    return;
  }
  let words = block_of(t);
  for (var lane = 0u; lane < 4u; lane++) {
    let pos = 4u * t + lane;
    if (pos >= params.lane0 && pos - params.lane0 < params.n) {
      out[pos - params.lane0] = bitcast<u32>(f32(words[lane] >> 8u) * 5.9604644775390625e-8);
    }
  }
}
