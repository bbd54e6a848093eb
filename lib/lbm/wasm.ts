/**
 * The wasm backend of the LBM: kernels-as/lbm.ts over the shared memory, rows split over the worker pool.
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.ts";
import { getPool } from "../runtime/pool.ts";
import { getArena, type KernelExports, loadKernel, type WasmArena, type WasmBlock } from "../runtime/wasm.ts";
import { type LbmEngine, LbmInstabilityError } from "./engine.ts";
import { findBadCell, type LbmParams, velocityFrom } from "./reference.ts";

/** Blocks of rows per thread in the dynamic split of a step on several threads (see WasmLbm.run). */
const BLOCKS_PER_THREAD = 8;

/**
 * The plane stride (in f32) of the wasm layout for n cells: n rounded up to 16 (64-byte planes), plus 16
 * if that is an even number of cache lines, so that consecutive planes start 64 * odd bytes apart modulo
 * 4 KiB. Without it a power-of-two lattice (n * 4 a multiple of 4 KiB) maps the 36 population streams of
 * a sweep onto the same L1 sets.
 *
 * @example
 * ```ts
 * import { planeStride } from "./wasm.ts";
 * planeStride(1024 * 1024); // 1048592
 * ```
 */
export function planeStride(n: number): number {
  const s = Math.ceil(n / 16) * 16;
  return (s / 16) % 2 === 0 ? s + 16 : s;
}

/** Wasm tuning: SIMD or scalar kernels, and how many threads split the rows. */
export interface LbmWasmOptions {
  variant?: "simd" | "scalar";
  threads?: number;
}

/**
 * The wasm engine. Populations live in the shared kernel memory: two ping-pong buffers of 18 planes of
 * {@link planeStride}(N) f32, and two density buffers (the current densities and the next ones, which the
 * fused sweep writes). Each step is one sweep over the rows (collide, bounce links, next densities) plus
 * the densities of the rows at the edges of the thread ranges and the virtual densities on solid nodes.
 * The SIMD collision relaxes opposite populations in pairs (shared even and odd parts of the
 * equilibrium and of Guo's source) and gives the rest population minus the sum of the other increments,
 * which keeps f32 mass conservation free of the bias of the rounded weights. A row runs as a few short
 * loops that pass their results through a per-thread scratch slot (few live vectors, few memory streams
 * at a time; kernels-as/lbm.ts, "SIMD rows"), for every stencil, wetting scheme and collision; groups of
 * 4 cells with a solid cell, and the two cells at each end of a row, take the scalar cell. A table of the
 * rows with solid cells (1) or only solid cells (2, skipped) tells the kernel which rows need the mask.
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
  /** Densities of the current state, and the buffer the fused sweep writes the next ones into. */
  #rho: [number, number];
  #mask: number;
  #rowmin: number;
  /** Shared block counter of the dynamic split (step_blocks_*). */
  #counter: number;
  /** Boundary counters of the dynamic split (step_blocks_*: the densities of the blocks' edge rows). */
  #flags = 0;
  #flagCount = 0;
  #wall: number;
  #stn: number;
  #K: number;
  #params: number;
  /** Scratch slots of the SIMD rows (0 until the first run). */
  #scratch = 0;
  #plan: Record<string, number> = {};
  #n: number;
  /** Plane stride in f32 (see {@link planeStride}). */
  #S: number;
  /** Whether rho[0] holds the prepared densities of f[0] (checked): set by a run, cleared by setDensities. */
  #ready = false;

  constructor(p: LbmParams, options: LbmWasmOptions = {}) {
    this.p = p;
    this.variant = options.variant ?? "simd";
    if (this.variant !== "simd" && this.variant !== "scalar") {
      throw new InvalidArgumentError(`variant must be "simd" or "scalar", got ${String(this.variant)}`);
    }
    this.threads = options.threads ?? 1;
    this.#arena = getArena();
    const n = this.#n = p.nx * p.ny;
    const S = this.#S = planeStride(n);
    const a = (bytes: number) => {
      const b = this.#arena.alloc(Math.max(16, bytes));
      this.#blocks.push(b);
      return b.ptr;
    };
    this.#f = [a(72 * S), a(72 * S)];
    this.#rho = [a(8 * S), a(8 * S)];
    this.#mask = a(4 * n);
    const mask = this.#arena.i32(this.#mask, n);
    for (let c = 0; c < n; c++) mask[c] = p.solid[c] ? -1 : 0;
    this.#rowmin = a(4 * p.ny);
    this.#counter = a(16);
    const plan = p.plan;
    this.#wall = 0;
    if (plan.wallVector) {
      this.#wall = a(8 * S);
      const w = this.#arena.f32(this.#wall, 2 * S);
      w.set(plan.wallVector.subarray(0, n));
      w.set(plan.wallVector.subarray(n, 2 * n), S);
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
    // the SIMD kernel has a fast path for a nearest-neighbour stencil (E4: weights by |e|^2 only)
    const wOf = (dx: number, dy: number) => p.stencil.find((e) => e.dx === dx && e.dy === dy)?.w ?? NaN;
    const wAx = wOf(1, 0), wDg = wOf(1, 1);
    const near = p.stencil.length === 8 &&
      p.stencil.every((e) =>
        Math.abs(e.dx) <= 1 && Math.abs(e.dy) <= 1 && e.w === (e.dx !== 0 && e.dy !== 0 ? wDg : wAx)
      );
    this.#params = a(96);
    // i32 at byte 52: the scratch of the SIMD sweep, set by the first run (#scratchFor); at byte 56: which
    // rows have a solid cell (1) or only solid cells (2)
    const rows = a(4 * p.ny), solidRows = this.#arena.i32(rows, p.ny);
    for (let y = 0; y < p.ny; y++) {
      const row = p.solid.subarray(y * p.nx, (y + 1) * p.nx);
      solidRows[y] = row.every((s) => s !== 0) ? 2 : row.some((s) => s !== 0) ? 1 : 0;
    }
    this.#arena.i32(this.#params, 15).set([S, 0, rows], 12);
    this.#arena.f32(this.#params, 12).set([
      1 / p.tau[0],
      1 / p.tau[1],
      1 - 0.5 / p.tau[0],
      1 - 0.5 / p.tau[1],
      p.G,
      p.bodyForce[0],
      p.bodyForce[1],
      plan.gAds[0],
      plan.gAds[1],
      near ? 1 : 0,
      near ? wAx : 0,
      near ? wDg : 0,
    ]);
    // MRT: a flag (i32 at byte 60) and the correction factors of each component (f32 at bytes 64 .. 88)
    const col = p.collision;
    this.#arena.i32(this.#params, 16)[15] = col?.type === "mrt" ? 1 : 0;
    if (col?.type === "mrt") {
      const kk = col.k.flatMap((k) => [k[0] / 36, k[1] / 36, k[2] / 12]);
      this.#arena.f32(this.#params, 22).set(kk, 16);
    }
    const put = (name: string, arr: Int32Array | Float32Array) => {
      const ptr = a(4 * arr.length);
      if (arr instanceof Int32Array) this.#arena.i32(ptr, arr.length).set(arr);
      else this.#arena.f32(ptr, arr.length).set(arr);
      this.#plan[name] = ptr;
    };
    // population indices q * n + cell of the plan -> q * S + cell
    const restride = (idx: Int32Array) => idx.map((i) => Math.floor(i / n) * S + (i % n));
    const bDst = restride(plan.bounceDst), bSrc = restride(plan.bounceSrc);
    put("bounceDst", bDst);
    put("bounceSrc", bSrc);
    // the fused sweep fills the bounce links of row y right after colliding it: links sorted (counting
    // sort, stable) by the row of their source cell, with row offsets brow[0 .. ny]
    const nb = plan.bounceDst.length, ny = p.ny;
    const brow = new Int32Array(ny + 1), rowOf = (k: number) => Math.floor((plan.bounceSrc[k] % n) / p.nx);
    for (let k = 0; k < nb; k++) brow[rowOf(k) + 1]++;
    for (let y = 0; y < ny; y++) brow[y + 1] += brow[y];
    const next = brow.slice(0, ny), bdst = new Int32Array(nb), bsrc = new Int32Array(nb);
    for (let k = 0; k < nb; k++) {
      const j = next[rowOf(k)]++;
      bdst[j] = bDst[k];
      bsrc[j] = bSrc[k];
    }
    put("rowDst", bdst);
    put("rowSrc", bsrc);
    put("brow", brow);
    put("targets", plan.targets);
    put("start", plan.start);
    put("src", plan.src);
    put("coefT", plan.coefT);
    put("coefP", plan.coefP);
    put("tsum", plan.tsum);
    put("params", plan.params);
  }

  /**
   * The SIMD sweep runs rows as short loops that pass their results through a per-thread scratch slot
   * (kernels-as/lbm.ts, "SIMD rows"; about 50 KB, fast_slot_bytes()): one slot per thread, the address in
   * the params block (i32 at byte 52; 0 = none: scalar cells). Allocated by the first run.
   */
  #scratchFor(k: KernelExports): void {
    if (this.variant !== "simd" || this.#scratch) return;
    const slot = k.fast_slot_bytes() as number;
    const block = this.#arena.alloc(slot * Math.max(1, this.threads));
    this.#blocks.push(block);
    this.#scratch = block.ptr;
    this.#arena.i32(this.#params, 15)[13] = block.ptr;
  }

  /** The boundary counters of the dynamic split (one i32 per block), grown on demand; their address. */
  #flagsFor(blocks: number): number {
    if (this.#flagCount < blocks) {
      const b = this.#arena.alloc(4 * blocks);
      this.#blocks.push(b);
      this.#flags = b.ptr;
      this.#flagCount = blocks;
    }
    return this.#flags;
  }

  #f32(ptr: number, len: number): Float32Array {
    return this.#arena.f32(ptr, len);
  }

  setDensities(r1: Float32Array, r2: Float32Array): Promise<void> {
    this.#ready = false;
    const n = this.#n, S = this.#S, W = [4 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 9, 1 / 36, 1 / 36, 1 / 36, 1 / 36];
    for (const ptr of this.#f) {
      const f = this.#f32(ptr, 18 * S);
      for (let q = 0; q < 9; q++) {
        for (let c = 0; c < n; c++) {
          f[q * S + c] = W[q] * r1[c];
          f[(9 + q) * S + c] = W[q] * r2[c];
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
    const pl = this.#plan, plan = this.p.plan, S = this.#S, { nx, ny } = this.p;
    const f = this.#f[0];
    if (plan.bounceDst.length) k.bounce_fill(f, pl.bounceDst, pl.bounceSrc, plan.bounceDst.length, S);
    await this.#rows(`density_rows_${this.variant}`, [f, this.#rho[0], this.#mask, this.#rowmin, nx, ny, S]);
    return this.#finishDensities(this.#rho[0]);
  }

  /** Virtual densities into `rhoPtr`, then the check of the row minima; the first bad cell or null. */
  async #finishDensities(rhoPtr: number): Promise<ReturnType<typeof findBadCell>> {
    const k = await loadKernel("lbm");
    const pl = this.#plan, plan = this.p.plan, n = this.#n, S = this.#S, { nx, ny } = this.p;
    const fillArgs = [rhoPtr, S, pl.targets, pl.start, pl.src, pl.coefT, pl.coefP, pl.tsum, pl.params];
    if (plan.layer1) k.virtual_fill(...fillArgs, 0, plan.layer1);
    if (plan.targets.length > plan.layer1) k.virtual_fill(...fillArgs, plan.layer1, plan.targets.length);
    const rowmin = this.#f32(this.#rowmin, ny);
    for (let y = 0; y < ny; y++) {
      if (!(rowmin[y] >= 0)) {
        const rho = this.#f32(rhoPtr, 2 * S);
        return findBadCell(rho.subarray(0, n), rho.subarray(S, S + n), this.p.solid, nx);
      }
    }
    return null;
  }

  /**
   * Steps with one fused sweep each (kernels-as/lbm.ts step_rows_*): every block of rows is collided, its
   * bounce links filled and the next densities of its inner rows computed in one pass. On several threads
   * the blocks (about BLOCKS_PER_THREAD per thread) are claimed dynamically through a shared atomic counter
   * (step_blocks_*), so a thread that the OS delays on a busy machine leaves its blocks to the others, and
   * the densities of the first and last row of every block (they need the neighbouring block's output) are
   * computed by the thread that finishes the second of the two blocks at that boundary, so no part of the
   * sweep is serial; on one thread this thread computes the first and last row after the sweep. Then the
   * virtual densities and the check of the row minima.
   */
  async run(steps: number, done: number): Promise<void> {
    const { nx, ny } = this.p;
    const k = await loadKernel("lbm");
    this.#scratchFor(k);
    const pool = this.threads > 1 ? await getPool(this.threads) : null;
    let block = pool ? Math.max(4, Math.ceil(ny / (BLOCKS_PER_THREAD * this.threads))) : ny;
    // every block but a single one needs 2 rows or more (its edge rows' densities read the next row)
    while (ny % block === 1 && block < ny) block++;
    const dens = k[`density_rows_${this.variant}`];
    const counter = this.#arena.i32(this.#counter, 1);
    const flags = this.#flagsFor(Math.ceil(ny / block));
    const pl = this.#plan;
    let bad = this.#ready ? null : await this.#prepare();
    if (bad) throw new LbmInstabilityError(done, bad);
    this.#ready = false;
    for (let s = 0; s < steps; s++) {
      const [f0, f1] = this.#f, [r0, r1] = this.#rho;
      const args = [f0, f1, r0, r1, this.#mask, this.#wall, this.#stn, this.#K, this.#params];
      args.push(pl.rowDst, pl.rowSrc, pl.brow, this.#rowmin, nx, ny);
      if (pool) {
        Atomics.store(counter, 0, 0);
        this.#arena.i32(flags, Math.ceil(ny / block)).fill(0);
        await pool.parallelFor(
          "lbm",
          `step_blocks_${this.variant}`,
          [...args, this.#counter, flags, block],
          0,
          this.threads,
        );
      } else {
        k[`step_rows_${this.variant}`](...args, 0, ny);
        dens(f1, r1, this.#mask, this.#rowmin, nx, ny, this.#S, 0, 1);
        if (ny > 1) dens(f1, r1, this.#mask, this.#rowmin, nx, ny, this.#S, ny - 1, ny);
      }
      this.#f = [f1, f0];
      this.#rho = [r1, r0];
      bad = await this.#finishDensities(r1);
      if (bad) throw new LbmInstabilityError(done + s + 1, bad);
    }
    this.#ready = true;
  }

  async densities(): Promise<[Float32Array, Float32Array]> {
    await this.#prepare();
    const n = this.#n, S = this.#S, rho = this.#f32(this.#rho[0], 2 * S);
    return [rho.slice(0, n), rho.slice(S, S + n)];
  }

  async velocity(): Promise<{ ux: Float32Array; uy: Float32Array }> {
    const [r1, r2] = await this.densities();
    const { ux, uy } = velocityFrom(this.p, this.#packed(), r1, r2);
    return { ux: Float32Array.from(ux), uy: Float32Array.from(uy) };
  }

  /** The populations of f[0] without the plane padding: f[(s * 9 + q) * n + cell]. */
  #packed(): Float32Array {
    const n = this.#n, S = this.#S, f = this.#f32(this.#f[0], 18 * S), out = new Float32Array(18 * n);
    for (let p = 0; p < 18; p++) out.set(f.subarray(p * S, p * S + n), p * n);
    return out;
  }

  async populations(): Promise<Float32Array> {
    await this.#prepare();
    return this.#packed();
  }

  dispose(): void {
    for (const b of this.#blocks) this.#arena.free(b);
    this.#blocks = [];
  }
}
