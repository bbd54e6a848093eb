/** Shared set-ups of the LBM tests. */
import { channelMask, layeredPoiseuille, MultiComponentLBM } from "../../lib/lbm/mod.ts";
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

/**
 * The L2 error of a co-current layered Poiseuille flow against the analytic profile: 8 columns, walls at
 * the first and last row (halfway bounce-back puts them at yc +- b, b = 24), component 2 in the core
 * |y - yc| < 12 and component 1 (wetting) on the walls, tau = [1, 0.7], body force 1e-6, 15000 steps on
 * the wasm backend with the given collision.
 */
export async function layeredPoiseuilleError(collision: "bgk" | "mrt"): Promise<number> {
  const nx = 8, b = 24, ny = 2 * b + 2, g = 1e-6, tau: [number, number] = [1.0, 0.7];
  const solid = channelMask(nx, ny, 1);
  const a = 12; // core half-width
  const yc = (ny - 1) / 2;
  const r1 = new Float32Array(nx * ny), r2 = new Float32Array(nx * ny);
  for (let y = 0; y < ny; y++) {
    const core = Math.abs(y - yc) < a;
    r1.fill(core ? RHO_MINOR : RHO_MAIN, y * nx, (y + 1) * nx);
    r2.fill(core ? RHO_MAIN : RHO_MINOR, y * nx, (y + 1) * nx);
  }
  const sim = new MultiComponentLBM({
    nx,
    ny,
    tau,
    G: 0.9,
    stencil: "E4",
    solid,
    bodyForce: [g, 0],
    collision,
    backend: "wasm",
  });
  try {
    sim.setDensities(r1, r2);
    await sim.run(15000);
    const { ux } = await sim.velocity();
    const [d1, d2] = await sim.densities();
    // viscosities of each bulk phase: mu = sum_s rho_s nu_s; force density rho_tot g
    const nu = tau.map((t) => (t - 0.5) / 3);
    const mid = Math.floor(nx / 2);
    const wall = 3 * nx + mid, core = Math.floor(yc) * nx + mid;
    const muW = d1[wall] * nu[0] + d2[wall] * nu[1], muN = d1[core] * nu[0] + d2[core] * nu[1];
    const rhoW = d1[wall] + d2[wall];
    // interface: where rho1 = rho2, from the profile
    let aNum = 0;
    for (let y = 1; y < ny / 2; y++) {
      const p = d1[y * nx + mid] - d2[y * nx + mid], q = d1[(y + 1) * nx + mid] - d2[(y + 1) * nx + mid];
      if (p * q < 0) aNum = yc - (y + p / (p - q));
    }
    let num = 0, den = 0;
    for (let y = 1; y < ny - 1; y++) {
      const exact = layeredPoiseuille(y - yc, { a: aNum, b, g: rhoW * g, muW, muN });
      num += (ux[y * nx + mid] - exact) ** 2;
      den += exact ** 2;
    }
    return Math.sqrt(num / den);
  } finally {
    sim.dispose();
  }
}
