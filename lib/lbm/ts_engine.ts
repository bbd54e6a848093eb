/**
 * The ts backend of {@link MultiComponentLBM}: the float64 reference behind the engine interface.
 *
 * @module
 */
import { type LbmEngine, LbmInstabilityError } from "./engine.ts";
import { findBadCell, type LbmParams, TsLbm } from "./reference.ts";

/**
 * Engine over {@link TsLbm}; checks the densities of every step.
 *
 * @example
 * ```ts
 * // created by MultiComponentLBM with backend "ts"; see mod.ts
 * ```
 */
export class TsEngine implements LbmEngine {
  readonly name = "ts" as const;
  readonly sim: TsLbm;
  constructor(p: LbmParams) {
    this.sim = new TsLbm(p);
  }
  setDensities(r1: Float32Array, r2: Float32Array): Promise<void> {
    this.sim.setDensities(r1, r2);
    return Promise.resolve();
  }
  #check(step: number): void {
    const bad = findBadCell(this.sim.rho1, this.sim.rho2, this.sim.p.solid, this.sim.p.nx);
    if (bad) throw new LbmInstabilityError(step, bad);
  }
  run(steps: number, done: number): Promise<void> {
    for (let s = 0; s < steps; s++) {
      this.sim.prepare();
      this.#check(done + s);
      this.sim.collide();
    }
    this.sim.prepare();
    this.#check(done + steps);
    return Promise.resolve();
  }
  densities(): Promise<[Float32Array, Float32Array]> {
    this.sim.prepare();
    return Promise.resolve([Float32Array.from(this.sim.rho1), Float32Array.from(this.sim.rho2)]);
  }
  velocity(): Promise<{ ux: Float32Array; uy: Float32Array }> {
    this.sim.prepare();
    const { ux, uy } = this.sim.velocity();
    return Promise.resolve({ ux: Float32Array.from(ux), uy: Float32Array.from(uy) });
  }
  populations(): Promise<Float32Array> {
    this.sim.prepare();
    return Promise.resolve(Float32Array.from(this.sim.f));
  }
  dispose(): void {}
}
