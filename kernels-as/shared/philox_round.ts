// Philox-4x32-10 (Salmon et al., SC'11): the ten rounds shared by every kernel family that draws random
// numbers (philox.ts, walk.ts). Not a family of its own: tools/build-wasm.ts compiles only the files
// directly in kernels-as/. The output block is left in per-instance (so per-thread) globals.

// @ts-ignore: decorator
@inline const M0: u64 = 0xD2511F53;
// @ts-ignore: decorator
@inline const M1: u64 = 0xCD9E8D57;
// @ts-ignore: decorator
@inline const W0: u32 = 0x9E3779B9;
// @ts-ignore: decorator
@inline const W1: u32 = 0xBB67AE85;

export let philoxOut0: u32 = 0;
export let philoxOut1: u32 = 0;
export let philoxOut2: u32 = 0;
export let philoxOut3: u32 = 0;

// @ts-ignore: decorator
@inline
export function philox10(ctr0: u32, ctr1: u32, ctr2: u32, ctr3: u32, key0: u32, key1: u32): void {
  let c0 = ctr0, c1 = ctr1, c2 = ctr2, c3 = ctr3, k0 = key0, k1 = key1;
  for (let r = 0; r < 10; r++) {
    const p0 = M0 * <u64>c0;
    const p1 = M1 * <u64>c2;
    const n0 = (<u32>(p1 >> 32)) ^ c1 ^ k0;
    const n2 = (<u32>(p0 >> 32)) ^ c3 ^ k1;
    c1 = <u32>p1;
    c3 = <u32>p0;
    c0 = n0;
    c2 = n2;
    k0 += W0;
    k1 += W1;
  }
  philoxOut0 = c0;
  philoxOut1 = c1;
  philoxOut2 = c2;
  philoxOut3 = c3;
}
