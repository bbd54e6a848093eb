/** Shared set-ups of the LBM tests. */
export const RHO_MAIN = 1.02;
export const RHO_MINOR = 0.076;

/** A component-1 disc of radius r at (cx, cy) in component 2 (periodic distances). */
export function droplet(
  nx: number,
  ny: number,
  r: number,
  cx = nx / 2,
  cy = ny / 2,
): [Float32Array, Float32Array] {
  const r1 = new Float32Array(nx * ny), r2 = new Float32Array(nx * ny);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const dx = Math.min(Math.abs(x - cx), nx - Math.abs(x - cx));
      const dy = Math.min(Math.abs(y - cy), ny - Math.abs(y - cy));
      const inside = dx * dx + dy * dy < r * r;
      r1[y * nx + x] = inside ? RHO_MAIN : RHO_MINOR;
      r2[y * nx + x] = inside ? RHO_MINOR : RHO_MAIN;
    }
  }
  return [r1, r2];
}

/** Largest |a - b| over two arrays. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
