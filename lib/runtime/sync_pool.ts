/**
 * A synchronous parallel-for over the shared kernel memory, for lib/nn's eager (synchronous) tensor
 * operations. lib/runtime/pool.ts is asynchronous (a promise per call); an eager op cannot await, so
 * this pool blocks the caller with Atomics.wait while its workers run their chunks. Each worker
 * instantiates the kernel families against the one shared memory and waits on a shared control
 * block, so a dispatch costs a few microseconds and no message.
 *
 * Atomics.wait on the main thread works in Deno, Bun and Node; browsers forbid it there, so in a
 * browser lib/nn runs its kernels on one thread.
 *
 * @example
 * ```ts
 * import { getSyncPool } from "./sync_pool.ts";
 * const pool = await getSyncPool(2, ["nn", "linalg"]);
 * // pool.run("nn", "softmax_rows", [x, y, cols], 0, rows);
 * pool.close();
 * ```
 *
 * @module
 */
import { InvalidArgumentError, requireInt, TesseraError } from "../core/errors.ts";
import { splitRange } from "./pool.ts";
import { compileKernel, getArena, kernelSync, loadKernel } from "./wasm.ts";
import { CTRL, MAX_ARGS } from "./sync_layout.ts";

interface Slot {
  ctrl: Int32Array;
  args: Float64Array;
  terminate: () => void;
  seq: number;
}

/** A kernel failed inside a worker of the synchronous pool. */
export class SyncPoolError extends TesseraError {}

/** Threads (caller + workers) that run kernels synchronously over the shared memory. */
export class SyncPool {
  readonly threads: number;
  readonly families: readonly string[];
  #slots: Slot[];
  #index: Map<string, number>;
  #closed = false;

  private constructor(threads: number, families: string[], slots: Slot[], index: Map<string, number>) {
    this.threads = threads;
    this.families = families;
    this.#slots = slots;
    this.#index = index;
  }

  /** Starts `threads - 1` workers with `families` instantiated. */
  static async create(threads: number, families: string[]): Promise<SyncPool> {
    requireInt("threads", threads, 1, 64);
    const memory = getArena().memory;
    const modules: Array<{ family: string; module: WebAssembly.Module }> = [];
    const names: string[] = [];
    for (const family of families) {
      await loadKernel(family);
      const module = await compileKernel(family);
      modules.push({ family, module });
      for (const e of WebAssembly.Module.exports(module)) {
        if (e.kind === "function") names.push(`${family}.${e.name}`);
      }
    }
    const index = new Map(names.map((n, i) => [n, i]));
    const slots: Slot[] = [];
    for (let t = 1; t < threads; t++) {
      const ctrlBuf = new SharedArrayBuffer(CTRL.size * 4);
      const argBuf = new SharedArrayBuffer(MAX_ARGS * 8);
      const ctrl = new Int32Array(ctrlBuf);
      const init = { memory, modules, names, ctrl: ctrlBuf, args: argBuf };
      const terminate = await spawn(init);
      // wait (asynchronously) until the worker has instantiated everything
      const t0 = Date.now();
      while (Atomics.load(ctrl, CTRL.ready) !== 1) {
        if (Date.now() - t0 > 30000) {
          throw new SyncPoolError("a worker of the synchronous pool did not start");
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      slots.push({ ctrl, args: new Float64Array(argBuf), terminate, seq: 0 });
    }
    return new SyncPool(threads, families, slots, index);
  }

  /**
   * Runs `family.fn(...args, i0, i1)` over [start, end) split into `threads` aligned chunks; the
   * caller runs the first. Returns when all chunks are done.
   */
  run(family: string, fn: string, args: number[], start: number, end: number, align = 1): void {
    if (this.#closed) throw new InvalidArgumentError("this synchronous pool has been closed");
    const f = kernelSync(family)[fn];
    const id = this.#index.get(`${family}.${fn}`);
    if (typeof f !== "function" || id === undefined) {
      throw new InvalidArgumentError(`kernel family ${family} (in this pool: ${this.families}) has no ${fn}`);
    }
    if (args.length + 2 > MAX_ARGS) throw new InvalidArgumentError(`at most ${MAX_ARGS - 2} arguments`);
    const chunks = splitRange(start, end, this.threads, align);
    for (let c = 1; c < chunks.length; c++) {
      const s = this.#slots[c - 1];
      for (let i = 0; i < args.length; i++) s.args[i] = args[i];
      s.args[args.length] = chunks[c][0];
      s.args[args.length + 1] = chunks[c][1];
      s.ctrl[CTRL.fn] = id;
      s.ctrl[CTRL.nargs] = args.length + 2;
      s.seq++;
      Atomics.store(s.ctrl, CTRL.seq, s.seq);
      Atomics.notify(s.ctrl, CTRL.seq);
    }
    if (chunks.length > 0) f(...args, chunks[0][0], chunks[0][1]);
    let failed = false;
    for (let c = 1; c < chunks.length; c++) {
      const s = this.#slots[c - 1];
      while (Atomics.load(s.ctrl, CTRL.done) !== s.seq) {
        Atomics.wait(s.ctrl, CTRL.done, s.ctrl[CTRL.done], 1000);
      }
      if (s.ctrl[CTRL.error]) failed = true;
    }
    if (failed) throw new SyncPoolError(`kernel ${family}.${fn} failed in a worker`);
  }

  /** Stops the workers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#slots) {
      s.ctrl[CTRL.fn] = -1;
      s.seq++;
      Atomics.store(s.ctrl, CTRL.seq, s.seq);
      Atomics.notify(s.ctrl, CTRL.seq);
      s.terminate();
    }
  }
}

async function spawn(init: unknown): Promise<() => void> {
  const url = new URL("./sync_worker.ts", import.meta.url);
  if (url.protocol === "file:") {
    try {
      const wt = await import("node:worker_threads");
      const w = new wt.Worker(url);
      w.postMessage(init);
      w.unref();
      return () => void w.terminate();
    } catch {
      // fall through to web workers
    }
  }
  const w = new Worker(url.href, { type: "module" });
  w.postMessage(init);
  return () => w.terminate();
}

let pool: SyncPool | null = null;

/**
 * The process-wide synchronous pool of `threads` threads with `families` loaded (re-created when
 * either changes).
 *
 * @example
 * ```ts
 * import { closeSyncPool, getSyncPool } from "./sync_pool.ts";
 * const p = await getSyncPool(2, ["nn"]);
 * closeSyncPool();
 * ```
 */
export async function getSyncPool(threads: number, families: string[]): Promise<SyncPool> {
  if (pool && pool.threads === threads && families.every((f) => pool!.families.includes(f))) return pool;
  pool?.close();
  pool = await SyncPool.create(threads, families);
  return pool;
}

/**
 * Stops the process-wide synchronous pool, if any.
 *
 * @example
 * ```ts
 * import { closeSyncPool } from "./sync_pool.ts";
 * closeSyncPool();
 * ```
 */
export function closeSyncPool(): void {
  pool?.close();
  pool = null;
}
