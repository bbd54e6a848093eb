// Philox-4x32-10 (Salmon et al., SC'11) with the stream layout of lib/core/rng.ts:
// key = [seedLo, seedHi]; word w of stream s is lane w % 4 of block counter [w/4 lo, w/4 hi, s, 0].

import { philox10, philoxOut0, philoxOut1, philoxOut2, philoxOut3 } from "./shared/philox_round";

// Block output, per instance (each worker has its own instance, so these are thread-local).
let r0: u32 = 0, r1: u32 = 0, r2: u32 = 0, r3: u32 = 0;

// @ts-ignore: decorator
@inline
function block(ctr0: u32, ctr1: u32, ctr2: u32, ctr3: u32, key0: u32, key1: u32): void {
  philox10(ctr0, ctr1, ctr2, ctr3, key0, key1);
  r0 = philoxOut0;
  r1 = philoxOut1;
  r2 = philoxOut2;
  r3 = philoxOut3;
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
