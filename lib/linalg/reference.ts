/**
 * Plain TypeScript linear algebra: the readable reference (float64 accumulation) and the oracle
 * the wasm and webgpu kernels are tested against.
 *
 * @module
 */

/** Σ x[i] y[i], accumulated in float64. */
export function dotTs(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** y[i] += alpha x[i] in place; returns y. */
export function axpyTs(alpha: number, x: ArrayLike<number>, y: Float32Array): Float32Array {
  for (let i = 0; i < y.length; i++) y[i] += alpha * x[i];
  return y;
}

/** C = A B for row-major A (m x k) and B (k x n), accumulating each row in float64. */
export function matmulTs(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): Float32Array {
  const c = new Float32Array(m * n);
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p];
      if (av === 0) continue;
      const bo = p * n;
      for (let j = 0; j < n; j++) row[j] += av * b[bo + j];
    }
    c.set(row, i * n);
  }
  return c;
}
