// Linear-algebra kernels: dot, axpy and f32 matmul, scalar and SIMD (f32x4).
//
// Contract (see docs/ARCHITECTURE.md): every argument is a pointer into the shared memory owned by
// the TypeScript runtime, or a size; nothing is allocated here. Row-range entry points
// (`*_rows(..., row0, row1)`) let the worker pool split one call over threads.

// ---------------------------------------------------------------- dot

export function dot_f32_scalar(x: usize, y: usize, n: i32): f64 {
  let s: f32 = 0;
  for (let i = 0; i < n; i++) {
    s += load<f32>(x + (<usize> i << 2)) * load<f32>(y + (<usize> i << 2));
  }
  return <f64> s;
}

// Four independent f32x4 accumulators hide the add latency; the tail is scalar.
export function dot_f32_simd(x: usize, y: usize, n: i32): f64 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize> i << 2;
    a0 = f32x4.add(a0, f32x4.mul(v128.load(x + o), v128.load(y + o)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(x + o, 16), v128.load(y + o, 16)));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(x + o, 32), v128.load(y + o, 32)));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(x + o, 48), v128.load(y + o, 48)));
  }
  const acc = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  let s: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) +
    f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < n; i++) s += load<f32>(x + (<usize> i << 2)) * load<f32>(y + (<usize> i << 2));
  return <f64> s;
}

// ---------------------------------------------------------------- axpy: y[i] += alpha * x[i], i in [i0, i1)

export function axpy_f32_scalar(alpha: f32, x: usize, y: usize, i0: i32, i1: i32): void {
  for (let i = i0; i < i1; i++) {
    const o = <usize> i << 2;
    store<f32>(y + o, load<f32>(y + o) + alpha * load<f32>(x + o));
  }
}

export function axpy_f32_simd(alpha: f32, x: usize, y: usize, i0: i32, i1: i32): void {
  const va = f32x4.splat(alpha);
  let i = i0;
  // scalar head up to a multiple of 4 so the split over workers never changes results
  for (; i < i1 && (i & 3) != 0; i++) {
    const o = <usize> i << 2;
    store<f32>(y + o, load<f32>(y + o) + alpha * load<f32>(x + o));
  }
  for (; i + 8 <= i1; i += 8) {
    const o = <usize> i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(va, v128.load(x + o))));
    v128.store(y + o, f32x4.add(v128.load(y + o, 16), f32x4.mul(va, v128.load(x + o, 16))), 16);
  }
  for (; i < i1; i++) {
    const o = <usize> i << 2;
    store<f32>(y + o, load<f32>(y + o) + alpha * load<f32>(x + o));
  }
}

// ---------------------------------------------------------------- matmul: C[m,n] = A[m,k] B[k,n], row-major

// Plain i-k-j loop, the scalar baseline.
export function matmul_f32_scalar_rows(
  a: usize,
  b: usize,
  c: usize,
  m: i32,
  k: i32,
  n: i32,
  r0: i32,
  r1: i32,
): void {
  for (let i = r0; i < r1; i++) {
    const crow = c + (<usize> (i * n) << 2);
    for (let j = 0; j < n; j++) store<f32>(crow + (<usize> j << 2), 0);
    const arow = a + (<usize> (i * k) << 2);
    for (let p = 0; p < k; p++) {
      const av = load<f32>(arow + (<usize> p << 2));
      const brow = b + (<usize> (p * n) << 2);
      for (let j = 0; j < n; j++) {
        const o = <usize> j << 2;
        store<f32>(crow + o, load<f32>(crow + o) + av * load<f32>(brow + o));
      }
    }
  }
}

const KC: i32 = 256; // k-block: a KC x 8 panel of packed B (8 KiB) stays in L1
const MC: i32 = 64; // m-block: an MC x KC block of A (64 KiB) stays in L2

// Columns past the last multiple of 8, one scalar dot product each.
// @ts-ignore: decorator
@inline
function tailColumns(
  a: usize,
  b: usize,
  c: usize,
  k: i32,
  n: i32,
  i: i32,
  j0: i32,
  j1: i32,
  p0: i32,
  p1: i32,
): void {
  for (let j = j0; j < j1; j++) {
    const co = c + (<usize> (i * n + j) << 2);
    let s = load<f32>(co);
    for (let p = p0; p < p1; p++) {
      s += load<f32>(a + (<usize> (i * k + p) << 2)) * load<f32>(b + (<usize> (p * n + j) << 2));
    }
    store<f32>(co, s);
  }
}

// ---------------------------------------------------------------- blocked SIMD matmul
//
// B is first packed into column panels of 8: bp[(jp * k + p) * 8 + jj] = B[p, 8 jp + jj] for the first
// n8 = n & ~7 columns, so the inner loop reads B contiguously (32 bytes per k step) instead of one row
// of B every k. Packing is O(k n), the product O(m k n); panels can be packed in parallel.

export function matmul_f32_pack_b(b: usize, bp: usize, k: i32, n: i32, jp0: i32, jp1: i32): void {
  for (let jp = jp0; jp < jp1; jp++) {
    let src = b + (<usize> (jp * 8) << 2);
    let dst = bp + (<usize> (jp * k) << 5);
    const ldb = <usize> n << 2;
    for (let p = 0; p < k; p++) {
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      src += ldb;
      dst += 32;
    }
  }
}

// @ts-ignore: decorator
@inline
function packedTile4x8(
  a: usize,
  bp: usize,
  c: usize,
  k: i32,
  n: i32,
  i: i32,
  j: i32,
  p0: i32,
  p1: i32,
): void {
  const ldc = <usize> n << 2;
  const c0 = c + (<usize> (i * n + j) << 2);
  const c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let x00 = v128.load(c0), x01 = v128.load(c0, 16);
  let x10 = v128.load(c1), x11 = v128.load(c1, 16);
  let x20 = v128.load(c2), x21 = v128.load(c2, 16);
  let x30 = v128.load(c3), x31 = v128.load(c3, 16);
  const lda = <usize> k << 2;
  let ap = a + (<usize> (i * k + p0) << 2);
  let bq = bp + (<usize> ((j >> 3) * k + p0) << 5);
  for (let p = p0; p < p1; p++) {
    const b0 = v128.load(bq), b1 = v128.load(bq, 16);
    const a0 = v128.load32_splat(ap);
    const a1 = v128.load32_splat(ap + lda);
    const a2 = v128.load32_splat(ap + 2 * lda);
    const a3 = v128.load32_splat(ap + 3 * lda);
    x00 = f32x4.add(x00, f32x4.mul(a0, b0));
    x01 = f32x4.add(x01, f32x4.mul(a0, b1));
    x10 = f32x4.add(x10, f32x4.mul(a1, b0));
    x11 = f32x4.add(x11, f32x4.mul(a1, b1));
    x20 = f32x4.add(x20, f32x4.mul(a2, b0));
    x21 = f32x4.add(x21, f32x4.mul(a2, b1));
    x30 = f32x4.add(x30, f32x4.mul(a3, b0));
    x31 = f32x4.add(x31, f32x4.mul(a3, b1));
    ap += 4;
    bq += 32;
  }
  v128.store(c0, x00);
  v128.store(c0, x01, 16);
  v128.store(c1, x10);
  v128.store(c1, x11, 16);
  v128.store(c2, x20);
  v128.store(c2, x21, 16);
  v128.store(c3, x30);
  v128.store(c3, x31, 16);
}

// @ts-ignore: decorator
@inline
function packedTile1x8(
  a: usize,
  bp: usize,
  c: usize,
  k: i32,
  n: i32,
  i: i32,
  j: i32,
  p0: i32,
  p1: i32,
): void {
  const c0 = c + (<usize> (i * n + j) << 2);
  let x0 = v128.load(c0), x1 = v128.load(c0, 16);
  let ap = a + (<usize> (i * k + p0) << 2);
  let bq = bp + (<usize> ((j >> 3) * k + p0) << 5);
  for (let p = p0; p < p1; p++) {
    const av = v128.load32_splat(ap);
    x0 = f32x4.add(x0, f32x4.mul(av, v128.load(bq)));
    x1 = f32x4.add(x1, f32x4.mul(av, v128.load(bq, 16)));
    ap += 4;
    bq += 32;
  }
  v128.store(c0, x0);
  v128.store(c0, x1, 16);
}

// C rows [r0, r1) from A, packed B (bp) and, for the last n % 8 columns, B itself. Loop order as in
// GotoBLAS: a KC x 8 panel of packed B (8 KiB) stays in L1 while it meets every 4-row strip of an
// MC x KC block of A (64 KiB, in L2). The k-blocking is the same as matmul_f32_simd_rows, so results do
// not depend on how rows are split over threads.
export function matmul_f32_packed_rows(
  a: usize,
  b: usize,
  bp: usize,
  c: usize,
  m: i32,
  k: i32,
  n: i32,
  r0: i32,
  r1: i32,
): void {
  for (let i = r0; i < r1; i++) memory.fill(c + (<usize> (i * n) << 2), 0, <usize> n << 2);
  const n8 = n & ~7;
  for (let pc = 0; pc < k; pc += KC) {
    const pEnd = min(pc + KC, k);
    for (let ic = r0; ic < r1; ic += MC) {
      const iEnd = min(ic + MC, r1);
      const iEnd4 = ic + ((iEnd - ic) & ~3);
      for (let j = 0; j < n8; j += 8) {
        for (let i = ic; i < iEnd4; i += 4) packedTile4x8(a, bp, c, k, n, i, j, pc, pEnd);
        for (let i = iEnd4; i < iEnd; i++) packedTile1x8(a, bp, c, k, n, i, j, pc, pEnd);
      }
      if (n > n8) {
        for (let i = ic; i < iEnd; i++) tailColumns(a, b, c, k, n, i, n8, n, pc, pEnd);
      }
    }
  }
}
