// Roofline probes: STREAM-style copy and triad (bandwidth) and register-resident multiply-add chains
// (peak f32 throughput), scalar and SIMD, over index ranges so the worker pool can split them.

export function copy_scalar(dst: usize, src: usize, i0: i32, i1: i32): void {
  for (let i = i0; i < i1; i++) store<f32>(dst + (<usize> i << 2), load<f32>(src + (<usize> i << 2)));
}

// Ranges are multiples of 4 elements (the caller splits on 16-element boundaries).
export function copy_simd(dst: usize, src: usize, i0: i32, i1: i32): void {
  let i = i0;
  for (; i + 16 <= i1; i += 16) {
    const o = <usize> i << 2;
    v128.store(dst + o, v128.load(src + o));
    v128.store(dst + o, v128.load(src + o, 16), 16);
    v128.store(dst + o, v128.load(src + o, 32), 32);
    v128.store(dst + o, v128.load(src + o, 48), 48);
  }
  for (; i < i1; i++) store<f32>(dst + (<usize> i << 2), load<f32>(src + (<usize> i << 2)));
}

// a[i] = b[i] + s * c[i]
export function triad_scalar(a: usize, b: usize, c: usize, s: f32, i0: i32, i1: i32): void {
  for (let i = i0; i < i1; i++) {
    const o = <usize> i << 2;
    store<f32>(a + o, load<f32>(b + o) + s * load<f32>(c + o));
  }
}

export function triad_simd(a: usize, b: usize, c: usize, s: f32, i0: i32, i1: i32): void {
  const vs = f32x4.splat(s);
  let i = i0;
  for (; i + 16 <= i1; i += 16) {
    const o = <usize> i << 2;
    v128.store(a + o, f32x4.add(v128.load(b + o), f32x4.mul(vs, v128.load(c + o))));
    v128.store(a + o, f32x4.add(v128.load(b + o, 16), f32x4.mul(vs, v128.load(c + o, 16))), 16);
    v128.store(a + o, f32x4.add(v128.load(b + o, 32), f32x4.mul(vs, v128.load(c + o, 32))), 32);
    v128.store(a + o, f32x4.add(v128.load(b + o, 48), f32x4.mul(vs, v128.load(c + o, 48))), 48);
  }
  for (; i < i1; i++) {
    const o = <usize> i << 2;
    store<f32>(a + o, load<f32>(b + o) + s * load<f32>(c + o));
  }
}

// Eight independent chains x = x * m + a, `iters` times: 16 flops per iteration.
// The result is stored to `out` so the work cannot be removed.
export function peak_scalar(out: usize, iters: i32, m: f32, a: f32): void {
  let x0: f32 = 1.0, x1: f32 = 1.1, x2: f32 = 1.2, x3: f32 = 1.3;
  let x4: f32 = 1.4, x5: f32 = 1.5, x6: f32 = 1.6, x7: f32 = 1.7;
  for (let t = 0; t < iters; t++) {
    x0 = x0 * m + a;
    x1 = x1 * m + a;
    x2 = x2 * m + a;
    x3 = x3 * m + a;
    x4 = x4 * m + a;
    x5 = x5 * m + a;
    x6 = x6 * m + a;
    x7 = x7 * m + a;
  }
  store<f32>(out, x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7);
}

// Twelve independent f32x4 chains: 12 * 4 * 2 = 96 flops per iteration.
export function peak_simd(out: usize, iters: i32, m: f32, a: f32): void {
  const vm = f32x4.splat(m), va = f32x4.splat(a);
  let x0 = f32x4.splat(1.0), x1 = f32x4.splat(1.1), x2 = f32x4.splat(1.2), x3 = f32x4.splat(1.3);
  let x4 = f32x4.splat(1.4), x5 = f32x4.splat(1.5), x6 = f32x4.splat(1.6), x7 = f32x4.splat(1.7);
  let x8 = f32x4.splat(1.8), x9 = f32x4.splat(1.9), xa = f32x4.splat(2.0), xb = f32x4.splat(2.1);
  for (let t = 0; t < iters; t++) {
    x0 = f32x4.add(f32x4.mul(x0, vm), va);
    x1 = f32x4.add(f32x4.mul(x1, vm), va);
    x2 = f32x4.add(f32x4.mul(x2, vm), va);
    x3 = f32x4.add(f32x4.mul(x3, vm), va);
    x4 = f32x4.add(f32x4.mul(x4, vm), va);
    x5 = f32x4.add(f32x4.mul(x5, vm), va);
    x6 = f32x4.add(f32x4.mul(x6, vm), va);
    x7 = f32x4.add(f32x4.mul(x7, vm), va);
    x8 = f32x4.add(f32x4.mul(x8, vm), va);
    x9 = f32x4.add(f32x4.mul(x9, vm), va);
    xa = f32x4.add(f32x4.mul(xa, vm), va);
    xb = f32x4.add(f32x4.mul(xb, vm), va);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(x0, x1), f32x4.add(x2, x3)),
    f32x4.add(
      f32x4.add(f32x4.add(x4, x5), f32x4.add(x6, x7)),
      f32x4.add(f32x4.add(x8, x9), f32x4.add(xa, xb)),
    ),
  );
  v128.store(out, s);
}

// Blocks [b0, b1) of `iters` iterations each, block b writing its 16-byte result to out + 16 b:
// the pool splits blocks over threads to measure multi-threaded peak.
export function peak_simd_blocks(out: usize, iters: i32, m: f32, a: f32, b0: i32, b1: i32): void {
  for (let b = b0; b < b1; b++) peak_simd(out + (<usize> b << 4), iters, m, a);
}

export function peak_scalar_blocks(out: usize, iters: i32, m: f32, a: f32, b0: i32, b1: i32): void {
  for (let b = b0; b < b1; b++) peak_scalar(out + (<usize> b << 4), iters, m, a);
}
