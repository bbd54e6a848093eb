/**
 * Analytic reference solutions used by the benchmarks.
 *
 * @module
 */
import { requireFinite } from "../core/errors.ts";

/**
 * Co-current layered Poiseuille flow between walls at |y| = b: wetting fluid (dynamic viscosity muW) in
 * a < |y| < b, core fluid (muN) in |y| < a, driven by a force per unit volume g along x:
 * u = g (b^2 - y^2) / (2 muW) in the wetting layer, u = g (b^2 - a^2) / (2 muW) + g (a^2 - y^2) / (2 muN)
 * in the core.
 *
 * @example
 * ```ts
 * import { layeredPoiseuille } from "./analytic.ts";
 * layeredPoiseuille(0, { a: 5, b: 10, g: 1e-6, muW: 0.1, muN: 0.1 }); // g b^2 / (2 mu) = 5e-4
 * ```
 */
export function layeredPoiseuille(
  y: number,
  o: { a: number; b: number; g: number; muW: number; muN: number },
): number {
  requireFinite("b", o.b, 0);
  requireFinite("a", o.a, 0, o.b);
  requireFinite("muW", o.muW, Number.MIN_VALUE);
  requireFinite("muN", o.muN, Number.MIN_VALUE);
  const ay = Math.abs(y);
  if (ay >= o.b) return 0;
  if (ay >= o.a) return (o.g * (o.b * o.b - ay * ay)) / (2 * o.muW);
  return (o.g * (o.b * o.b - o.a * o.a)) / (2 * o.muW) + (o.g * (o.a * o.a - ay * ay)) / (2 * o.muN);
}
