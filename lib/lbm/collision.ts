/**
 * Collision operators of {@link MultiComponentLBM}: BGK (one relaxation time per component) and
 * multiple relaxation times (MRT, Lallemand & Luo 2000), both with Guo's forcing.
 *
 * MRT relaxes the D2Q9 moments m = M f (M rows, in the order of the populations rest, E, N, W, S, NE, NW,
 * SW, SE):
 *
 * | moment | row of M | equilibrium | Guo source (M F)_k | rate |
 * |---|---|---|---|---|
 * | rho | 1 1 1 1 1 1 1 1 1 | rho | 0 | (conserved) |
 * | e | -4 -1 -1 -1 -1 2 2 2 2 | rho (-2 + 3 u^2) | 6 u.F | s_e |
 * | eps | 4 -2 -2 -2 -2 1 1 1 1 | rho (1 - 3 u^2) | -6 u.F | s_eps |
 * | j_x | 0 1 0 -1 0 1 -1 -1 1 | rho u_x | F_x | 1/tau |
 * | q_x | 0 -2 0 2 0 1 -1 -1 1 | -rho u_x | -F_x | s_q |
 * | j_y | 0 0 1 0 -1 1 1 -1 -1 | rho u_y | F_y | 1/tau |
 * | q_y | 0 0 -2 0 2 1 1 -1 -1 | -rho u_y | -F_y | s_q |
 * | p_xx | 0 1 -1 1 -1 0 0 0 0 | rho (u_x^2 - u_y^2) | 2 u_x F_x - 2 u_y F_y | 1/tau |
 * | p_xy | 0 0 0 0 0 1 -1 1 -1 | rho u_x u_y | u_x F_y + u_y F_x | 1/tau |
 *
 * with the collision m' = m - S (m - m_eq) + (I - S/2) M F, where F is Guo's discrete force
 * w_q [3 (e_q - u) + 9 (e_q.u) e_q].F_s and u the common velocity of the two components (see reference.ts).
 * The momentum and the stress relax at 1/tau_s, so the shear viscosity, the momentum exchange between
 * the components and the force balance are those of BGK; only the energy (e, eps, bulk viscosity
 * (1/s_e - 1/2)/3) and energy-flux (q) moments relax at their own rates. Since M's rows are orthogonal
 * (M^-1 = M^T diag(1/9, 1/36, 1/36, 1/6, 1/12, 1/6, 1/12, 1/4, 1/4)), MRT is BGK plus a correction in those
 * four moments:
 *
 *   f'_MRT = f'_BGK + sum over k in {e, eps, q_x, q_y} of c_k M_kq / |M_k|^2,
 *   c_k = (1/tau - s_k) (m_k - m_eq,k + (M F)_k / 2),
 *
 * which is how every backend applies it (the correction has no mass and no momentum: the rows of e, eps,
 * q are orthogonal to those of rho and j). With s_e = s_eps = s_q = 1/tau it is BGK.
 *
 * Default rates: s_e = s_eps = 1 (bulk viscosity 1/6) and s_q from the "magic" combination
 * (1/s_nu - 1/2)(1/s_q - 1/2) = 3/16 per component, with which halfway bounce-back puts the wall of a
 * Poiseuille flow exactly half way between nodes whatever tau is.
 *
 * @module
 */
import { describe, InvalidArgumentError } from "../core/errors.ts";

/** MRT relaxation rates; each in (0, 2). Omitted ones take the defaults (see the module doc). */
export interface MrtOptions {
  type: "mrt";
  /** Rate of the energy moment e (bulk viscosity (1/s_e - 1/2)/3). Default 1. */
  se?: number;
  /** Rate of the energy-square moment eps. Default 1. */
  seps?: number;
  /** Rate of the energy-flux moments q_x, q_y (one for both components), or "magic" (default). */
  sq?: number | "magic";
}

/** The collision option of {@link MultiComponentLBM}: "bgk" (default), "mrt" (default rates) or rates. */
export type CollisionOption = "bgk" | "mrt" | MrtOptions;

/** A resolved collision: BGK, or MRT with the rates and, per component, k = 1/tau - s for e, eps, q. */
export type Collision =
  | { type: "bgk" }
  | {
    type: "mrt";
    se: number;
    seps: number;
    /** s_q of each component. */
    sq: readonly [number, number];
    /** Per component [1/tau - s_e, 1/tau - s_eps, 1/tau - s_q]: the factors of the MRT correction. */
    k: readonly [readonly [number, number, number], readonly [number, number, number]];
  };

/** Rows e, eps, q_x, q_y of the D2Q9 moment matrix M (population order rest, E, N, W, S, NE, NW, SW, SE). */
export const MRT_E: readonly number[] = [-4, -1, -1, -1, -1, 2, 2, 2, 2];
/** Row eps of M. */
export const MRT_EPS: readonly number[] = [4, -2, -2, -2, -2, 1, 1, 1, 1];
/** Row q_x of M. */
export const MRT_QX: readonly number[] = [0, -2, 0, 2, 0, 1, -1, -1, 1];
/** Row q_y of M. */
export const MRT_QY: readonly number[] = [0, 0, -2, 0, 2, 1, 1, -1, -1];

/**
 * The "magic" energy-flux rate for relaxation time tau: (tau - 1/2)(1/s_q - 1/2) = 3/16.
 *
 * @example
 * ```ts
 * import { magicRate } from "./collision.ts";
 * magicRate(1); // 8 / 7
 * ```
 */
export function magicRate(tau: number): number {
  return 1 / (0.5 + 0.1875 / (tau - 0.5));
}

function rate(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v >= 2) {
    throw new InvalidArgumentError(
      `collision.${name} must be a relaxation rate in (0, 2), got ${describe(v)}`,
    );
  }
  return v;
}

/**
 * Validates a collision option and resolves it for the two relaxation times.
 *
 * @example
 * ```ts
 * import { normalizeCollision } from "./collision.ts";
 * normalizeCollision("mrt", [1, 1]); // { type: "mrt", se: 1, seps: 1, sq: [8/7, 8/7], k: [[0, 0, -1/7], ...] }
 * ```
 */
export function normalizeCollision(
  option: CollisionOption | undefined,
  tau: readonly [number, number],
): Collision {
  if (option === undefined || option === "bgk") return { type: "bgk" };
  const o: MrtOptions | null = option === "mrt"
    ? { type: "mrt" }
    : option !== null && typeof option === "object" && (option as { type?: unknown }).type === "mrt"
    ? option
    : null;
  if (o === null) {
    throw new InvalidArgumentError(
      `collision must be "bgk", "mrt" or { type: "mrt", se?, seps?, sq? }, got ${describe(option)}`,
    );
  }
  const se = o.se === undefined ? 1 : rate("se", o.se);
  const seps = o.seps === undefined ? 1 : rate("seps", o.seps);
  const sqOf = (t: number) => o.sq === undefined || o.sq === "magic" ? magicRate(t) : rate("sq", o.sq);
  const sq = [sqOf(tau[0]), sqOf(tau[1])] as const;
  const kOf = (s: 0 | 1) => [1 / tau[s] - se, 1 / tau[s] - seps, 1 / tau[s] - sq[s]] as const;
  return { type: "mrt", se, seps, sq, k: [kOf(0), kOf(1)] };
}

/**
 * The MRT correction of one component at one cell (float64): adds to out[q] the increment that turns
 * the BGK post-collision populations into the MRT ones (see the module doc). f: the 9 pulled
 * populations (pre-collision); r: the component's density; ux, uy: the common velocity; fx, fy: the
 * component's force; k: [1/tau - s_e, 1/tau - s_eps, 1/tau - s_q].
 *
 * @example
 * ```ts
 * import { addMrtCorrection } from "./collision.ts";
 * const f = [4, 1, 1, 1, 1, 0.25, 0.25, 0.25, 0.25].map((v) => v / 9), out = new Float64Array(9);
 * addMrtCorrection(f, 0, 1, 0, 0, 0, 0, [0.2, 0.3, 0.1], out); // rest state: out stays 0
 * ```
 */
export function addMrtCorrection(
  f: ArrayLike<number>,
  o: number,
  r: number,
  ux: number,
  uy: number,
  fx: number,
  fy: number,
  k: readonly [number, number, number],
  out: { [i: number]: number },
  oo = 0,
): void {
  let me = 0, meps = 0, mqx = 0, mqy = 0;
  for (let q = 0; q < 9; q++) {
    const v = f[o + q];
    me += MRT_E[q] * v;
    meps += MRT_EPS[q] * v;
    mqx += MRT_QX[q] * v;
    mqy += MRT_QY[q] * v;
  }
  const usq = ux * ux + uy * uy, uF = ux * fx + uy * fy;
  const ce = k[0] * (me - r * (-2 + 3 * usq) + 3 * uF) / 36;
  const ceps = k[1] * (meps - r * (1 - 3 * usq) - 3 * uF) / 36;
  const cqx = k[2] * (mqx + r * ux - 0.5 * fx) / 12;
  const cqy = k[2] * (mqy + r * uy - 0.5 * fy) / 12;
  for (let q = 0; q < 9; q++) {
    out[oo + q] += ce * MRT_E[q] + ceps * MRT_EPS[q] + cqx * MRT_QX[q] + cqy * MRT_QY[q];
  }
}
