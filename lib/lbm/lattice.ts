/**
 * D2Q9 lattice constants and the isotropic interaction stencils (E4, E6, E8) of the pseudopotential
 * model.
 *
 * Stencil weights follow Sbragaglia et al. (2007), normalised so that
 * kappa = sum_k w(|c_k|^2) c_kx^2 = 1. With this convention the interaction strength `G` of
 * {@link MultiComponentLBM} enters the bulk pressure as p = c_s^2 (rho1 + rho2) + G rho1 rho2, and the
 * critical point of a symmetric mixture is G rho_tot = 2 c_s^2 = 2/3. (Codes that use the D2Q9 lattice
 * weights 1/9, 1/36 have kappa = 1/3: their G is three times ours.)
 *
 * @module
 */

/** D2Q9 velocity x components, in the order rest, E, N, W, S, NE, NW, SW, SE. */
export const EX: readonly number[] = [0, 1, 0, -1, 0, 1, -1, -1, 1];
/** D2Q9 velocity y components. */
export const EY: readonly number[] = [0, 0, 1, 0, -1, 1, 1, -1, -1];
/** D2Q9 weights: 4/9 rest, 1/9 axis, 1/36 diagonal. */
export const W: readonly number[] = [4 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 36, 1 / 36, 1 / 36, 1 / 36];
/** Index of the opposite direction. */
export const OPP: readonly number[] = [0, 3, 4, 1, 2, 7, 8, 5, 6];
/** Lattice speed of sound squared. */
export const CS2 = 1 / 3;

/** Names of the isotropic gradient stencils. */
export type StencilName = "E4" | "E6" | "E8";

/** One neighbour of an interaction stencil: offset and weight w(|c|^2). */
export interface StencilEntry {
  dx: number;
  dy: number;
  w: number;
}

/** Weights by |c|^2 (kappa = 1). */
const WEIGHTS: Record<StencilName, Record<number, number>> = {
  E4: { 1: 1 / 3, 2: 1 / 12 },
  E6: { 1: 4 / 15, 2: 1 / 10, 4: 1 / 120 },
  E8: { 1: 4 / 21, 2: 4 / 45, 4: 1 / 60, 5: 2 / 315, 8: 1 / 5040 },
};

/**
 * The neighbours of an isotropic stencil (rest excluded), each with its weight.
 * E4 has 8 neighbours (reach 1), E6 12 and E8 24 (reach 2).
 *
 * @example
 * ```ts
 * import { stencil } from "./lattice.ts";
 * const e8 = stencil("E8"); // 24 entries
 * const kappa = e8.reduce((s, e) => s + e.w * e.dx * e.dx, 0); // 1
 * ```
 */
export function stencil(name: StencilName): StencilEntry[] {
  const table = WEIGHTS[name];
  const out: StencilEntry[] = [];
  for (let dy = -2; dy <= 2; dy++) {
    for (let dx = -2; dx <= 2; dx++) {
      const w = table[dx * dx + dy * dy];
      if (w !== undefined && (dx !== 0 || dy !== 0)) out.push({ dx, dy, w });
    }
  }
  return out;
}

/**
 * How far (in lattice units, Chebyshev distance) a stencil reaches: 1 for E4, 2 for E6 and E8.
 *
 * @example
 * ```ts
 * import { stencilReach } from "./lattice.ts";
 * stencilReach("E8"); // 2
 * ```
 */
export function stencilReach(name: StencilName): number {
  return name === "E4" ? 1 : 2;
}
