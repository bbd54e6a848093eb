/**
 * The TypeScript reference of the two-component Shan-Chen D2Q9 model (float64): the oracle the wasm
 * and WebGPU kernels are tested against.
 *
 * One time step, as every backend runs it (populations are stored post-collision, structure of arrays
 * f[(s * 9 + q) * N + cell]):
 * 1. bounce fill: the solid links of the plan receive the populations that halfway bounce-back returns;
 * 2. densities: rho_s(x) = sum_q f_s(x - e_q, q) (pull streaming, periodic wrap);
 * 3. virtual densities: the wetting scheme assigns rho_s on solid nodes the interaction stencil reaches;
 * 4. collide: for each fluid node, pull the populations again, compute the force
 *    F_s = -G rho_s sum_k w_k rho_s'(x + c_k) c_k + rho_s g - G_ads,s rho_s sum_k w_k s(x + c_k) c_k,
 *    the common velocity u' = sum_s (j_s + F_s/2) / tau_s / sum_s (rho_s / tau_s) (j_s = sum_q f_s e_q; the
 *    1/tau weighting makes collisions conserve the mixture momentum when the taus differ), and relax each
 *    component to its equilibrium f_eq(rho_s, u') with Guo's source term
 *    S = (1 - 1/(2 tau_s)) w_q [3 (e - u') + 9 (e.u') e].F_s;
 *    with MRT (collision.ts), plus the correction of the energy and energy-flux moments.
 * The velocity reported is the barycentric u = sum_s (j_s + F_s/2) / rho.
 *
 * Steps 1-3 depend only on the stored populations, so observables (densities, velocity) run them on
 * the current state without advancing it.
 *
 * @module
 */
import { EX, EY, type StencilEntry, W } from "./lattice.ts";
import { applyFill, type BoundaryPlan } from "./wetting.ts";
import { addMrtCorrection, type Collision } from "./collision.ts";

/** Model parameters shared by every backend. */
export interface LbmParams {
  nx: number;
  ny: number;
  tau: readonly [number, number];
  G: number;
  stencil: readonly StencilEntry[];
  bodyForce: readonly [number, number];
  solid: Uint8Array;
  plan: BoundaryPlan;
  /** Collision operator (collision.ts); BGK when absent. */
  collision?: Collision;
}

/** Where a simulation first produced a bad density (non-finite or negative). */
export interface BadCell {
  x: number;
  y: number;
  component: 0 | 1;
  value: number;
}

/**
 * First cell (row-major) where a density is non-finite or negative among fluid cells, or null.
 *
 * @example
 * ```ts
 * import { findBadCell } from "./reference.ts";
 * findBadCell(new Float32Array([1, NaN]), new Float32Array([1, 1]), new Uint8Array(2), 2); // { x: 1, y: 0, ... }
 * ```
 */
export function findBadCell(
  rho1: ArrayLike<number>,
  rho2: ArrayLike<number>,
  solid: Uint8Array,
  nx: number,
): BadCell | null {
  for (let c = 0; c < solid.length; c++) {
    if (solid[c]) continue;
    const a = rho1[c], b = rho2[c];
    if (!(a >= 0 && a < Infinity) || !(b >= 0 && b < Infinity)) {
      const bad1 = !(a >= 0 && a < Infinity);
      return { x: c % nx, y: Math.floor(c / nx), component: bad1 ? 0 : 1, value: bad1 ? a : b };
    }
  }
  return null;
}

/**
 * The float64 reference stepper.
 *
 * @example
 * ```ts
 * import { TsLbm } from "./reference.ts";
 * import { stencil } from "./lattice.ts";
 * import { boundaryPlan } from "./wetting.ts";
 * const nx = 16, ny = 16, solid = new Uint8Array(nx * ny);
 * const sim = new TsLbm({ nx, ny, tau: [1, 1], G: 0.9, stencil: stencil("E4"), bodyForce: [0, 0], solid,
 *   plan: boundaryPlan(null, nx, ny, "E4", { type: "improved" }) });
 * sim.setDensities(new Float32Array(nx * ny).fill(1), new Float32Array(nx * ny).fill(0.1));
 * sim.step();
 * ```
 */
export class TsLbm {
  readonly p: LbmParams;
  readonly n: number;
  f: Float64Array;
  g: Float64Array;
  readonly rho1: Float64Array;
  readonly rho2: Float64Array;

  constructor(p: LbmParams) {
    this.p = p;
    this.n = p.nx * p.ny;
    this.f = new Float64Array(18 * this.n);
    this.g = new Float64Array(18 * this.n);
    this.rho1 = new Float64Array(this.n);
    this.rho2 = new Float64Array(this.n);
  }

  /** Sets the populations to the rest equilibrium of the given densities. */
  setDensities(r1: ArrayLike<number>, r2: ArrayLike<number>): void {
    const n = this.n;
    for (let q = 0; q < 9; q++) {
      for (let c = 0; c < n; c++) {
        this.f[q * n + c] = W[q] * r1[c];
        this.f[(9 + q) * n + c] = W[q] * r2[c];
      }
    }
    this.g.set(this.f);
  }

  /** Steps 1-3: bounce fill, densities, virtual densities (on the current state). */
  prepare(): void {
    const { nx, ny, plan } = this.p, n = this.n, f = this.f;
    for (let i = 0; i < plan.bounceDst.length; i++) {
      f[plan.bounceDst[i]] = f[plan.bounceSrc[i]];
      f[plan.bounceDst[i] + 9 * n] = f[plan.bounceSrc[i] + 9 * n];
    }
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        let a = 0, b = 0;
        for (let q = 0; q < 9; q++) {
          const s = ((y - EY[q] + ny) % ny) * nx + ((x - EX[q] + nx) % nx);
          a += f[q * n + s];
          b += f[(9 + q) * n + s];
        }
        this.rho1[y * nx + x] = a;
        this.rho2[y * nx + x] = b;
      }
    }
    applyFill(plan, this.rho1, this.rho2, 0, plan.layer1);
    applyFill(plan, this.rho1, this.rho2, plan.layer1, plan.targets.length);
  }

  /** The populations pulled into cell (x, y) for both components (18 values). */
  pulled(x: number, y: number, out: Float64Array): void {
    const { nx, ny } = this.p, n = this.n;
    for (let q = 0; q < 9; q++) {
      const s = ((y - EY[q] + ny) % ny) * nx + ((x - EX[q] + nx) % nx);
      out[q] = this.f[q * n + s];
      out[9 + q] = this.f[(9 + q) * n + s];
    }
  }

  /** Force on each component at (x, y): [F1x, F1y, F2x, F2y]. Needs prepare(). */
  force(x: number, y: number, r1: number, r2: number, out: Float64Array): void {
    const { nx, ny, G, stencil, bodyForce, plan } = this.p;
    let g1x = 0, g1y = 0, g2x = 0, g2y = 0;
    for (const e of stencil) {
      const s = ((y + e.dy + ny) % ny) * nx + ((x + e.dx + nx) % nx);
      g1x += e.w * e.dx * this.rho1[s];
      g1y += e.w * e.dy * this.rho1[s];
      g2x += e.w * e.dx * this.rho2[s];
      g2y += e.w * e.dy * this.rho2[s];
    }
    out[0] = -G * r1 * g2x + r1 * bodyForce[0];
    out[1] = -G * r1 * g2y + r1 * bodyForce[1];
    out[2] = -G * r2 * g1x + r2 * bodyForce[0];
    out[3] = -G * r2 * g1y + r2 * bodyForce[1];
    if (plan.wallVector) {
      const c = y * nx + x, wx = plan.wallVector[c], wy = plan.wallVector[this.n + c];
      out[0] -= plan.gAds[0] * r1 * wx;
      out[1] -= plan.gAds[0] * r1 * wy;
      out[2] -= plan.gAds[1] * r2 * wx;
      out[3] -= plan.gAds[1] * r2 * wy;
    }
  }

  /** Step 4 over every fluid cell, then swap buffers. Needs prepare(). */
  collide(): void {
    const { nx, ny, tau, solid } = this.p, n = this.n;
    const fin = new Float64Array(18), F = new Float64Array(4);
    const om = [1 / tau[0], 1 / tau[1]], src = [1 - 0.5 / tau[0], 1 - 0.5 / tau[1]];
    const mrt = this.p.collision?.type === "mrt" ? this.p.collision : null;
    const fout = new Float64Array(18);
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const c = y * nx + x;
        if (solid[c]) continue;
        this.pulled(x, y, fin);
        let r1 = 0, r2 = 0, j1x = 0, j1y = 0, j2x = 0, j2y = 0;
        for (let q = 0; q < 9; q++) {
          r1 += fin[q];
          r2 += fin[9 + q];
          j1x += fin[q] * EX[q];
          j1y += fin[q] * EY[q];
          j2x += fin[9 + q] * EX[q];
          j2y += fin[9 + q] * EY[q];
        }
        this.force(x, y, r1, r2, F);
        // common velocity weighted by 1/tau: collisions then conserve the mixture momentum exactly
        const d = om[0] * r1 + om[1] * r2;
        const ux = (om[0] * (j1x + 0.5 * F[0]) + om[1] * (j2x + 0.5 * F[2])) / d;
        const uy = (om[0] * (j1y + 0.5 * F[1]) + om[1] * (j2y + 0.5 * F[3])) / d;
        const usq = ux * ux + uy * uy;
        for (let s = 0; s < 2; s++) {
          const rs = s === 0 ? r1 : r2, fx = F[2 * s], fy = F[2 * s + 1];
          for (let q = 0; q < 9; q++) {
            const eu = EX[q] * ux + EY[q] * uy;
            const feq = W[q] * rs * (1 + 3 * eu + 4.5 * eu * eu - 1.5 * usq);
            const S = src[s] * W[q] *
              (3 * ((EX[q] - ux) * fx + (EY[q] - uy) * fy) + 9 * eu * (EX[q] * fx + EY[q] * fy));
            const fq = fin[9 * s + q];
            fout[9 * s + q] = fq - om[s] * (fq - feq) + S;
          }
          if (mrt) addMrtCorrection(fin, 9 * s, rs, ux, uy, fx, fy, mrt.k[s], fout, 9 * s);
        }
        for (let i = 0; i < 18; i++) this.g[i * n + c] = fout[i];
      }
    }
    const t = this.f;
    this.f = this.g;
    this.g = t;
  }

  /** One full time step. */
  step(): void {
    this.prepare();
    this.collide();
  }

  /** Half-force-corrected common velocity on fluid cells (0 on solid). Needs prepare(). */
  velocity(): { ux: Float64Array; uy: Float64Array } {
    return velocityFrom(this.p, this.f, this.rho1, this.rho2);
  }
}

/**
 * The half-force-corrected common velocity u = (sum_s sum_q f_s e_q + F/2) / rho from stored
 * populations (post-collision, bounce links filled) and prepared densities; 0 on solid cells.
 *
 * @example
 * ```ts
 * // used by every backend: velocityFrom(params, f, rho1, rho2) after the backend's prepare step
 * ```
 */
export function velocityFrom(
  p: LbmParams,
  f: ArrayLike<number>,
  rho1: ArrayLike<number>,
  rho2: ArrayLike<number>,
): { ux: Float64Array; uy: Float64Array } {
  const view = Object.create(TsLbm.prototype) as TsLbm;
  Object.assign(view, { p, n: p.nx * p.ny, f, rho1, rho2 });
  const { nx, ny, solid } = p;
  const ux = new Float64Array(nx * ny), uy = new Float64Array(nx * ny);
  const fin = new Float64Array(18), F = new Float64Array(4);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const c = y * nx + x;
      if (solid[c]) continue;
      view.pulled(x, y, fin);
      let r1 = 0, r2 = 0, jx = 0, jy = 0;
      for (let q = 0; q < 9; q++) {
        r1 += fin[q];
        r2 += fin[9 + q];
        jx += (fin[q] + fin[9 + q]) * EX[q];
        jy += (fin[q] + fin[9 + q]) * EY[q];
      }
      view.force(x, y, r1, r2, F);
      ux[c] = (jx + 0.5 * (F[0] + F[2])) / (r1 + r2);
      uy[c] = (jy + 0.5 * (F[1] + F[3])) / (r1 + r2);
    }
  }
  return { ux, uy };
}
