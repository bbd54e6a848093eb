/**
 * The wasm backend of the LBM: kernels-as/lbm.ts over the shared memory, rows split over the worker pool.
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.ts";
import { getPool } from "../runtime/pool.ts";
import { getArena, loadKernel, type WasmArena, type WasmBlock } from "../runtime/wasm.ts";
import { type LbmEngine, LbmInstabilityError } from "./engine.ts";
import { findBadCell, type LbmParams, velocityFrom } from "./reference.ts";

/** Wasm tuning: SIMD or scalar kernels, and how many threads split the rows. */
export interface LbmWasmOptions {
  variant?: "simd" | "scalar";
  threads?: number;
}

/**
 * The wasm engine. Populations live in the shared kernel memory (two ping-pong buffers of 18 N f32).
 *
 * @example
 * ```ts
 * // created by MultiComponentLBM with backend "wasm"; see mod.ts
 * ```
 */
export class WasmLbm implements LbmEngine {
  readonly name = "wasm" as const;
  readonly p: LbmParams;
  readonly variant: "simd" | "scalar";
  readonly threads: number;
  #arena: WasmArena;
  #blocks: WasmBlock[] = [];
  #f: [number, number];
  #rho: number;
  #mask: number;
  #rowmin: number;
  #wall: number;
  #stn: number;
  #K: number;
  #params: number;
  #plan: Record<string, number> = {};
  #n: number;

  constructor(p: LbmParams, options: LbmWasmOptions = {}) {
    this.p = p;
    this.variant = options.variant ?? "simd";
    if (this.variant !== "simd" && this.variant !== "scalar") {
      throw new InvalidArgumentError(`variant must be "simd" or "scalar", got ${String(this.variant)}`);
    }
    this.threads = options.threads ?? 1;
    this.#arena = getArena();
    const n = this.#n = p.nx * p.ny;
    const a = (bytes: number) => {
      const b = this.#arena.alloc(Math.max(16, bytes));
      this.#blocks.push(b);
      return b.ptr;
    };
    this.#f = [a(72 * n), a(72 * n)];
    this.#rho = a(8 * n);
    this.#mask = a(4 * n);
    const mask = this.#arena.i32(this.#mask, n);
    for (let c = 0; c < n; c++) mask[c] = p.solid[c] ? -1 : 0;
    this.#rowmin = a(4 * p.ny);
    const plan = p.plan;
    this.#wall = 0;
    if (plan.wallVector) {
      this.#wall = a(8 * n);
      this.#arena.f32(this.#wall, 2 * n).set(plan.wallVector);
    }
    this.#K = p.stencil.length;
    this.#stn = a(16 * this.#K);
    const si = this.#arena.i32(this.#stn, 4 * this.#K), sf = this.#arena.f32(this.#stn, 4 * this.#K);
    p.stencil.forEach((e, k) => {
      si[4 * k] = e.dx;
      si[4 * k + 1] = e.dy;
      sf[4 * k + 2] = e.w * e.dx;
      sf[4 * k + 3] = e.w * e.dy;
    });
    this.#params = a(64);
    this.#arena.f32(this.#params, 9).set([
      1 / p.tau[0],
      1 / p.tau[1],
      1 - 0.5 / p.tau[0],
      1 - 0.5 / p.tau[1],
      p.G,
      p.bodyForce[0],
      p.bodyForce[1],
      plan.gAds[0],
      plan.gAds[1],
    ]);
    const put = (name: string, arr: Int32Array | Float32Array) => {
      const ptr = a(4 * arr.length);
      if (arr instanceof Int32Array) this.#arena.i32(ptr, arr.length).set(arr);
      else this.#arena.f32(ptr, arr.length).set(arr);
      this.#plan[name] = ptr;
    };
    put("bounceDst", plan.bounceDst);
    put("bounceSrc", plan.bounceSrc);
    put("targets", plan.targets);
    put("start", plan.start);
    put("src", plan.src);
    put("coefT", plan.coefT);
    put("coefP", plan.coefP);
    put("tsum", plan.tsum);
    put("params", plan.params);
  }

  #f32(ptr: number, len: number): Float32Array {
    return this.#arena.f32(ptr, len);
  }

  setDensities(r1: Float32Array, r2: Float32Array): Promise<void> {
    const n = this.#n, W = [4 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 36, 1 / 36, 1 / 36, 1 / 36];
    for (const ptr of this.#f) {
      const f = this.#f32(ptr, 18 * n);
      for (let q = 0; q < 9; q++) {
        for (let c = 0; c < n; c++) {
          f[q * n + c] = W[q] * r1[c];
          f[(9 + q) * n + c] = W[q] * r2[c];
        }
      }
    }
    return Promise.resolve();
  }

  async #rows(fn: string, args: number[]): Promise<void> {
    const k = await loadKernel("lbm");
    if (this.threads <= 1) {
      k[fn](...args, 0, this.p.ny);
      return;
    }
    const pool = await getPool(this.threads);
    await pool.parallelFor("lbm", fn, args, 0, this.p.ny);
  }

  /** Bounce fill, densities, virtual densities; returns the first bad cell or null. */
  async #prepare(): Promise<ReturnType<typeof findBadCell>> {
    const k = await loadKernel("lbm");
    const pl = this.#plan, plan = this.p.plan, n = this.#n, { nx, ny } = this.p;
    const f = this.#f[0];
    if (plan.bounceDst.length) k.bounce_fill(f, pl.bounceDst, pl.bounceSrc, plan.bounceDst.length, n);
    await this.#rows(`density_rows_${this.variant}`, [f, this.#rho, this.#mask, this.#rowmin, nx, ny]);
    const fillArgs = [this.#rho, n, pl.targets, pl.start, pl.src, pl.coefT, pl.coefP, pl.tsum, pl.params];
    if (plan.layer1) k.virtual_fill(...fillArgs, 0, plan.layer1);
    if (plan.targets.length > plan.layer1) k.virtual_fill(...fillArgs, plan.layer1, plan.targets.length);
    const rowmin = this.#f32(this.#rowmin, ny);
    for (let y = 0; y < ny; y++) {
      if (!(rowmin[y] >= 0)) {
        const rho = this.#f32(this.#rho, 2 * n);
        return findBadCell(rho.subarray(0, n), rho.subarray(n), this.p.solid, nx);
      }
    }
    return null;
  }

  async run(steps: number, done: number): Promise<void> {
    const { nx, ny } = this.p;
    const fn = `collide_rows_${this.variant}`;
    for (let s = 0; s < steps; s++) {
      const bad = await this.#prepare();
      if (bad) throw new LbmInstabilityError(done + s, bad);
      await this.#rows(fn, [
        this.#f[0],
        this.#f[1],
        this.#rho,
        this.#mask,
        this.#wall,
        this.#stn,
        this.#K,
        this.#params,
        nx,
        ny,
      ]);
      this.#f = [this.#f[1], this.#f[0]];
    }
    const bad = await this.#prepare();
    if (bad) throw new LbmInstabilityError(done + steps, bad);
  }

  async densities(): Promise<[Float32Array, Float32Array]> {
    await this.#prepare();
    const n = this.#n, rho = this.#f32(this.#rho, 2 * n);
    return [rho.slice(0, n), rho.slice(n)];
  }

  async velocity(): Promise<{ ux: Float32Array; uy: Float32Array }> {
    await this.#prepare();
    const n = this.#n, rho = this.#f32(this.#rho, 2 * n);
    const { ux, uy } = velocityFrom(
      this.p,
      this.#f32(this.#f[0], 18 * n),
      rho.subarray(0, n),
      rho.subarray(n),
    );
    return { ux: Float32Array.from(ux), uy: Float32Array.from(uy) };
  }

  async populations(): Promise<Float32Array> {
    await this.#prepare();
    return this.#f32(this.#f[0], 18 * this.#n).slice();
  }

  dispose(): void {
    for (const b of this.#blocks) this.#arena.free(b);
    this.#blocks = [];
  }
}
