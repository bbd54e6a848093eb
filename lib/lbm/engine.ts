/**
 * What a backend of {@link MultiComponentLBM} implements, and the error an unstable run throws.
 *
 * @module
 */
import { TesseraError } from "../core/errors.ts";
import type { BadCell } from "./reference.ts";

/**
 * A simulation that went unstable: the densities of step `step` (counted from the creation of the
 * simulation) were non-finite or negative, first at cell (x, y) of `component` (0 or 1).
 *
 * @example
 * ```ts
 * import { LbmInstabilityError } from "./engine.ts";
 * try {
 *   // await sim.run(1000);
 * } catch (e) {
 *   if (e instanceof LbmInstabilityError) console.log(e.step, e.x, e.y);
 * }
 * ```
 */
export class LbmInstabilityError extends TesseraError {
  readonly step: number;
  readonly x: number;
  readonly y: number;
  readonly component: number;
  readonly value: number;
  constructor(step: number, bad: BadCell) {
    super(
      `the simulation went unstable: after step ${step} the density of component ${bad.component + 1} at ` +
        `cell (x=${bad.x}, y=${bad.y}) is ${bad.value}. Stable runs need tau > 0.5 not too close to it, ` +
        `G rho below the spinodal values for the chosen densities, and |u| well below 0.3 (smaller body ` +
        `forces, weaker adhesion, or a less extreme density ratio).`,
    );
    this.step = step;
    this.x = bad.x;
    this.y = bad.y;
    this.component = bad.component;
    this.value = bad.value;
  }
}

/** One backend's state and stepper. @internal */
export interface LbmEngine {
  readonly name: "ts" | "wasm" | "webgpu";
  /** Rest-equilibrium populations from the densities. */
  setDensities(rho1: Float32Array, rho2: Float32Array): Promise<void>;
  /** Advances `steps` steps; `done` is the step count before. Throws LbmInstabilityError. */
  run(steps: number, done: number): Promise<void>;
  /** Prepared densities of the current state (virtual densities on solid nodes included). */
  densities(): Promise<[Float32Array, Float32Array]>;
  /** Half-force-corrected velocity of the current state. */
  velocity(): Promise<{ ux: Float32Array; uy: Float32Array }>;
  /** Stored populations (post-collision, bounce links filled), f[(s * 9 + q) * N + cell]. */
  populations(): Promise<Float32Array>;
  dispose(): void;
}
