// Philox-4x32-10 (Salmon et al., SC'11) with the stream layout of lib/core/rng.ts:
// key = [seedLo, seedHi]; word w of stream s is lane w % 4 of block counter [w/4 lo, w/4 hi, s, 0].

// @ts-ignore: decorator
@inline
const M0: u64 = 0xD2511F53;

// @ts-ignore: decorator
@inline
const M1: u64 = 0xCD9E8D57;

// @ts-ignore: decorator
@inline
const W0: u32 = 0x9E3779B9;

// @ts-ignore: decorator
@inline
const W1: u32 = 0xBB67AE85;

// Block output, per instance (each worker has its own instance, so these are thread-local).
let r0: u32 = 0, r1: u32 = 0, r2: u32 = 0, r3: u32 = 0;

// @ts-ignore: decorator
@inline
function block(ctr0: u32, ctr1: u32, ctr2: u32, ctr3: u32, key0: u32, key1: u32): void {
  let c0 = ctr0, c1 = ctr1, c2 = ctr2, c3 = ctr3, k0 = key0, k1 = key1;
  for (let r = 0; r < 10; r++) {
    const p0 = M0 * <u64> c0;
    const p1 = M1 * <u64> c2;
    const n0 = (<u32> (p1 >> 32)) ^ c1 ^ k0;
    const n2 = (<u32> (p0 >> 32)) ^ c3 ^ k1;
    c1 = <u32> p1;
    c3 = <u32> p0;
    c0 = n0;
    c2 = n2;
    k0 += W0;
    k1 += W1;
  }
  r0 = c0;
  r1 = c1;
  r2 = c2;
  r3 = c3;
}

// Writes the 4 words of one block to out[0..3].
export function philox_block(
  out: usize,
  ctr0: u32,
  ctr1: u32,
  ctr2: u32,
  ctr3: u32,
  key0: u32,
  key1: u32,
): void {
  block(ctr0, ctr1, ctr2, ctr3, key0, key1);
  store<u32>(out, r0);
  store<u32>(out, r1, 4);
  store<u32>(out, r2, 8);
  store<u32>(out, r3, 12);
}

// out[i] = word (offset + i) of the stream, for i in [i0, i1).
export function philox_fill_u32(
  out: usize,
  i0: i32,
  i1: i32,
  seedLo: u32,
  seedHi: u32,
  stream: u32,
  offsetLo: u32,
  offsetHi: u32,
): void {
  const base: u64 = (<u64> offsetHi << 32) | <u64> offsetLo;
  let lastBlock: u64 = <u64> -1;
  for (let i = i0; i < i1; i++) {
    const w = base + <u64> i;
    const blk = w >> 2;
    if (blk != lastBlock) {
      block(<u32> blk, <u32> (blk >> 32), stream, 0, seedLo, seedHi);
      lastBlock = blk;
    }
    const lane = <u32> (w & 3);
    store<u32>(out + (<usize> i << 2), lane == 0 ? r0 : lane == 1 ? r1 : lane == 2 ? r2 : r3);
  }
}

// The same words mapped to f32 in [0, 1): (u >> 8) * 2^-24.
export function philox_fill_uniform_f32(
  out: usize,
  i0: i32,
  i1: i32,
  seedLo: u32,
  seedHi: u32,
  stream: u32,
  offsetLo: u32,
  offsetHi: u32,
): void {
  philox_fill_u32(out, i0, i1, seedLo, seedHi, stream, offsetLo, offsetHi);
  for (let i = i0; i < i1; i++) {
    const o = out + (<usize> i << 2);
    store<f32>(o, <f32> (load<u32>(o) >> 8) * 5.9604644775390625e-8);
  }
}

// Range forms with (i0, i1) last, the worker pool's calling convention.
export function philox_fill_u32_range(
  out: usize,
  seedLo: u32,
  seedHi: u32,
  stream: u32,
  offsetLo: u32,
  offsetHi: u32,
  i0: i32,
  i1: i32,
): void {
  philox_fill_u32(out, i0, i1, seedLo, seedHi, stream, offsetLo, offsetHi);
}

export function philox_fill_uniform_f32_range(
  out: usize,
  seedLo: u32,
  seedHi: u32,
  stream: u32,
  offsetLo: u32,
  offsetHi: u32,
  i0: i32,
  i1: i32,
): void {
  philox_fill_uniform_f32(out, i0, i1, seedLo, seedHi, stream, offsetLo, offsetHi);
}
