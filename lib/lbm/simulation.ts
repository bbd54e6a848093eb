/**
 * {@link MultiComponentLBM}: the public two-component pseudopotential (Shan-Chen) lattice Boltzmann
 * simulation, on the ts, wasm or webgpu backend.
 *
 * @module
 */
import {
  describe,
  InvalidArgumentError,
  requireFinite,
  requireInt,
  requireLength,
  ShapeMismatchError,
} from "../core/errors.ts";
import { type Backend, type BackendChoice, type BackendRequest, selectBackend } from "../runtime/backend.ts";
import { gpuAvailable } from "../runtime/gpu.ts";
import { wasmAvailable } from "../runtime/wasm.ts";
import type { LbmEngine } from "./engine.ts";
import { type Collision, type CollisionOption, normalizeCollision } from "./collision.ts";
import { stencil, type StencilName } from "./lattice.ts";
import type { LbmParams } from "./reference.ts";
import { TsEngine } from "./ts_engine.ts";
import { WasmLbm } from "./wasm.ts";
import { boundaryPlan, normalizeWetting, type WettingScheme } from "./wetting.ts";

/** Options of {@link MultiComponentLBM}. */
export interface MultiComponentLBMOptions {
  /** Lattice width (>= 5). */
  nx: number;
  /** Lattice height (>= 5). */
  ny: number;
  /** Relaxation times of the two components, each > 0.5 (viscosity (tau - 1/2) / 3). */
  tau: readonly [number, number];
  /** Fluid-fluid interaction strength (kappa = 1 convention, see lattice.ts); > 0 separates the fluids. */
  G: number;
  /** Isotropic interaction stencil. */
  stencil: StencilName;
  /** nx * ny cells, row-major (y * nx + x), 1 = solid, 0 = fluid. Default: no solid. */
  solid?: Uint8Array;
  /** Solid-fluid interaction. Default `{ type: "improved" }` (neutral). */
  wetting?: WettingScheme;
  /**
   * Collision operator: "bgk" (default), "mrt" (multiple relaxation times with the default rates) or
   * `{ type: "mrt", se?, seps?, sq? }` (see collision.ts). Every backend runs both.
   */
  collision?: CollisionOption;
  /** Body force per unit mass [gx, gy] acting on both components. Default [0, 0]. */
  bodyForce?: readonly [number, number];
  /** Backend; `auto` picks wasm. Default auto. */
  backend?: BackendRequest;
  /** Called with the backend that runs and why. */
  onBackend?: (choice: BackendChoice) => void;
  /** wasm only: threads that split the rows (default 1) and SIMD or scalar kernels (default simd). */
  threads?: number;
  /** wasm only: kernel variant. */
  variant?: "simd" | "scalar";
  /** webgpu only: steps encoded per submission (default 64). */
  stepsPerSubmit?: number;
}

const STENCILS: readonly StencilName[] = ["E4", "E6", "E8"];

/**
 * Two-component Shan-Chen lattice Boltzmann simulation (D2Q9, BGK or MRT per component, Guo forcing, periodic
 * boundaries, halfway bounce-back on solid nodes, body-force driving) with a choice of solid-fluid
 * interaction scheme (see wetting.ts).
 *
 * Densities are row-major (index y * nx + x). A run that produces a non-finite or negative density stops
 * with {@link LbmInstabilityError} naming the step and the cell.
 *
 * @example
 * ```ts
 * import { MultiComponentLBM } from "./simulation.ts";
 * const nx = 64, ny = 64;
 * const sim = new MultiComponentLBM({ nx, ny, tau: [1, 1], G: 0.9, stencil: "E4", backend: "wasm" });
 * const rho1 = new Float32Array(nx * ny), rho2 = new Float32Array(nx * ny);
 * for (let y = 0; y < ny; y++) {
 *   for (let x = 0; x < nx; x++) {
 *     const inside = (x - 32) ** 2 + (y - 32) ** 2 < 15 ** 2;
 *     rho1[y * nx + x] = inside ? 1.02 : 0.076;
 *     rho2[y * nx + x] = inside ? 0.076 : 1.02;
 *   }
 * }
 * sim.setDensities(rho1, rho2);
 * await sim.run(100);
 * const [r1, r2] = await sim.densities();
 * const { ux, uy } = await sim.velocity();
 * sim.dispose();
 * ```
 */
export class MultiComponentLBM {
  readonly nx: number;
  readonly ny: number;
  readonly tau: readonly [number, number];
  readonly G: number;
  readonly stencil: StencilName;
  readonly solid: Uint8Array;
  readonly wetting: WettingScheme;
  readonly bodyForce: readonly [number, number];
  /** The collision operator with its resolved rates. */
  readonly collision: Collision;
  readonly params: LbmParams;
  #options: MultiComponentLBMOptions;
  #engine: Promise<LbmEngine> | null = null;
  #pending: [Float32Array, Float32Array] | null = null;
  #steps = 0;
  #backend: Backend | null = null;
  #disposed = false;

  constructor(options: MultiComponentLBMOptions) {
    if (options === null || typeof options !== "object") {
      throw new InvalidArgumentError(`options must be an object, got ${describe(options)}`);
    }
    this.#options = options;
    this.nx = requireInt("nx", options.nx, 5, 1 << 14);
    this.ny = requireInt("ny", options.ny, 5, 1 << 14);
    const tau = options.tau;
    if (!Array.isArray(tau) || tau.length !== 2) {
      throw new InvalidArgumentError(`tau must be [tau1, tau2], got ${describe(tau)}`);
    }
    for (const [i, t] of tau.entries()) {
      if (typeof t !== "number" || !Number.isFinite(t) || t <= 0.5) {
        throw new InvalidArgumentError(
          `tau[${i}] must be a finite number > 0.5 (viscosity (tau - 1/2)/3 must be positive), got ${
            describe(t)
          }`,
        );
      }
    }
    this.tau = [tau[0], tau[1]];
    this.G = requireFinite("G", options.G);
    if (!STENCILS.includes(options.stencil)) {
      throw new InvalidArgumentError(
        `stencil must be one of ${STENCILS.join(", ")}, got ${describe(options.stencil)}`,
      );
    }
    this.stencil = options.stencil;
    const n = this.nx * this.ny;
    if (options.solid !== undefined) {
      if (!(options.solid instanceof Uint8Array)) {
        throw new InvalidArgumentError(
          `solid must be a Uint8Array of nx * ny cells, got ${describe(options.solid)}`,
        );
      }
      requireLength("solid", options.solid, n, `nx * ny = ${this.nx} * ${this.ny}`);
      const bad = options.solid.findIndex((v) => v !== 0 && v !== 1);
      if (bad >= 0) {
        throw new InvalidArgumentError(
          `solid must hold 0 (fluid) or 1 (solid); solid[${bad}] = ${options.solid[bad]}`,
        );
      }
      if (options.solid.every((v) => v === 1)) {
        throw new InvalidArgumentError("solid covers every cell: no fluid");
      }
    }
    this.solid = options.solid ? options.solid.slice() : new Uint8Array(n);
    this.wetting = normalizeWetting(options.wetting ?? { type: "improved" });
    const bf = options.bodyForce ?? [0, 0];
    if (!Array.isArray(bf) || bf.length !== 2) {
      throw new InvalidArgumentError(`bodyForce must be [gx, gy], got ${describe(bf)}`);
    }
    this.bodyForce = [requireFinite("bodyForce[0]", bf[0]), requireFinite("bodyForce[1]", bf[1])];
    this.collision = normalizeCollision(options.collision, this.tau);
    if (options.threads !== undefined) requireInt("threads", options.threads, 1, 256);
    if (options.variant !== undefined && options.variant !== "simd" && options.variant !== "scalar") {
      throw new InvalidArgumentError(`variant must be "simd" or "scalar", got ${describe(options.variant)}`);
    }
    if (options.stepsPerSubmit !== undefined) {
      requireInt("stepsPerSubmit", options.stepsPerSubmit, 1, 1 << 16);
    }
    this.params = {
      nx: this.nx,
      ny: this.ny,
      tau: this.tau,
      G: this.G,
      stencil: stencil(this.stencil),
      bodyForce: this.bodyForce,
      solid: this.solid,
      plan: boundaryPlan(this.solid, this.nx, this.ny, this.stencil, this.wetting),
      collision: this.collision,
    };
  }

  /** Steps run so far. */
  get steps(): number {
    return this.#steps;
  }

  /** The backend that runs (null until the first asynchronous call resolves it). */
  get backend(): Backend | null {
    return this.#backend;
  }

  /**
   * Sets both density fields (row-major, nx * ny each) and resets the populations to the rest
   * equilibrium. Fluid cells need finite densities > 0; values on solid cells must be finite and >= 0 and
   * are not used (the wetting scheme assigns solid nodes their values).
   */
  setDensities(rho1: Float32Array, rho2: Float32Array): void {
    this.#alive();
    const n = this.nx * this.ny;
    for (const [name, r] of [["rho1", rho1], ["rho2", rho2]] as const) {
      if (!(r instanceof Float32Array)) {
        throw new InvalidArgumentError(`${name} must be a Float32Array of nx * ny cells, got ${describe(r)}`);
      }
      if (r.length !== n) {
        throw new ShapeMismatchError(
          `${name} has length ${r.length}, expected nx * ny = ${this.nx} * ${this.ny} = ${n}`,
        );
      }
      for (let c = 0; c < n; c++) {
        const v = r[c];
        const ok = this.solid[c] ? Number.isFinite(v) && v >= 0 : Number.isFinite(v) && v > 0;
        if (!ok) {
          throw new InvalidArgumentError(
            `${name}[${c}] (x=${c % this.nx}, y=${
              Math.floor(c / this.nx)
            }) = ${v}: densities must be finite and > 0 ` +
              `on fluid cells (>= 0 on solid cells)`,
          );
        }
      }
    }
    this.#pending = [rho1.slice(), rho2.slice()];
    this.#steps = 0;
  }

  #alive(): void {
    if (this.#disposed) throw new InvalidArgumentError("this simulation has been disposed");
  }

  async #ready(): Promise<LbmEngine> {
    this.#alive();
    if (!this.#engine) {
      if (!this.#pending) throw new InvalidArgumentError("call setDensities(rho1, rho2) before running");
      this.#engine = this.#makeEngine();
      this.#engine.catch(() => (this.#engine = null));
    }
    const engine = await this.#engine;
    if (this.#pending) {
      await engine.setDensities(this.#pending[0], this.#pending[1]);
      this.#pending = null;
    }
    return engine;
  }

  async #makeEngine(): Promise<LbmEngine> {
    const choice = await selectBackend(this.#options.backend, { wasm: wasmAvailable, webgpu: gpuAvailable }, {
      op: "MultiComponentLBM",
      preference: ["wasm", "ts"],
    });
    this.#options.onBackend?.(choice);
    this.#backend = choice.backend;
    switch (choice.backend) {
      case "ts":
        return new TsEngine(this.params);
      case "wasm":
        return new WasmLbm(this.params, { threads: this.#options.threads, variant: this.#options.variant });
      case "webgpu": {
        const { WebGpuLbm } = await import("./webgpu.ts");
        return await WebGpuLbm.create(this.params, { stepsPerSubmit: this.#options.stepsPerSubmit });
      }
    }
  }

  /**
   * Advances `steps` time steps. Throws LbmInstabilityError (with the step and cell) if a density becomes
   * non-finite or negative; the state is then unusable.
   */
  async run(steps: number): Promise<void> {
    requireInt("steps", steps, 0);
    const engine = await this.#ready();
    try {
      await engine.run(steps, this.#steps);
      this.#steps += steps;
    } catch (e) {
      this.#steps = -1;
      throw e;
    }
  }

  /** The two density fields (Float32Array, row-major); solid cells hold the scheme's virtual densities. */
  async densities(): Promise<[Float32Array, Float32Array]> {
    return await (await this.#ready()).densities();
  }

  /** The half-force-corrected common velocity (0 on solid cells). */
  async velocity(): Promise<{ ux: Float32Array; uy: Float32Array }> {
    return await (await this.#ready()).velocity();
  }

  /** Stored populations f[(s * 9 + q) * nx * ny + cell] (post-collision, f32 for every backend). */
  async populations(): Promise<Float32Array> {
    return await (await this.#ready()).populations();
  }

  /** Total mass of each component over fluid cells (float64 sums). */
  async mass(): Promise<[number, number]> {
    const [r1, r2] = await this.densities();
    let m1 = 0, m2 = 0;
    for (let c = 0; c < r1.length; c++) {
      if (this.solid[c]) continue;
      m1 += r1[c];
      m2 += r2[c];
    }
    return [m1, m2];
  }

  /** Frees the backend's memory. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#engine?.then((e) => e.dispose()).catch(() => {});
  }
}
