/**
 * A worker pool that shares one `WebAssembly.Memory` with the main thread and runs a kernel over
 * index ranges (parallel-for).
 *
 * `threads` counts the calling thread: a pool of 2 has one worker, and the caller runs the first
 * chunk itself while the worker runs the second, so no core idles waiting for messages. Workers use
 * node:worker_threads where it exists (Deno, Bun, Node: they are unref'd, so an idle pool never keeps
 * a program alive) and web workers elsewhere (browsers, or a library loaded over http).
 *
 * @example
 * ```ts
 * import { getPool } from "./pool.ts";
 * const pool = await getPool(2);
 * // run roofline.triad_simd(a, b, c, s, i0, i1) over [0, n) in two chunks aligned to 16 elements
 * // await pool.parallelFor("roofline", "triad_simd", [a, b, c, 3], 0, n, { align: 16 });
 * ```
 *
 * @module
 */
import { InvalidArgumentError, requireInt, TesseraError } from "../core/errors.ts";
import { compileKernel, getArena, loadKernel } from "./wasm.ts";

interface WorkerHandle {
  post(msg: unknown): void;
  terminate(): void;
  /** Keep the program alive while this worker owes a reply (no-op for web workers). */
  ref(): void;
  unref(): void;
  families: Set<string>;
  busy: number;
}

/** Options for parallelFor. */
export interface ParallelForOptions {
  /** Chunk boundaries are multiples of this (e.g. 16 elements for SIMD kernels). Default 1. */
  align?: number;
  /** Do not split below this many indices per chunk. Default 1. */
  minChunk?: number;
}

/** A kernel that failed inside a worker. */
export class WorkerKernelError extends TesseraError {}

/** Splits [start, end) into at most `parts` aligned contiguous ranges. Exported for tests. */
export function splitRange(
  start: number,
  end: number,
  parts: number,
  align = 1,
  minChunk = 1,
): Array<[number, number]> {
  const n = end - start;
  if (n <= 0) return [];
  const want = Math.max(1, Math.min(parts, Math.floor(n / Math.max(1, minChunk)) || 1));
  const out: Array<[number, number]> = [];
  let lo = start;
  for (let t = 0; t < want; t++) {
    let hi = t === want - 1 ? end : start + Math.round(((t + 1) * n) / want);
    if (hi < end) hi = start + Math.round((hi - start) / align) * align;
    if (hi > end) hi = end;
    if (hi > lo) out.push([lo, hi]);
    lo = Math.max(lo, hi);
  }
  return out;
}

/** A fixed set of threads sharing the kernel memory. */
export class WorkerPool {
  readonly threads: number;
  #workers: WorkerHandle[];
  #pending = new Map<number, { resolve: () => void; reject: (e: Error) => void; worker: WorkerHandle }>();
  #nextId = 1;
  #closed = false;

  private constructor(threads: number, workers: WorkerHandle[]) {
    this.threads = threads;
    this.#workers = workers;
  }

  /** Starts `threads - 1` workers, each attached to the shared memory. */
  static async create(threads: number): Promise<WorkerPool> {
    requireInt("threads", threads, 1, 256);
    const memory = getArena().memory;
    const pool = new WorkerPool(threads, []);
    const ready: Promise<void>[] = [];
    for (let t = 1; t < threads; t++) {
      const { handle, whenReady } = await spawn((msg) => pool.#onMessage(msg));
      handle.post({ type: "init", memory });
      pool.#workers.push(handle);
      ready.push(whenReady);
    }
    await Promise.all(ready);
    return pool;
  }

  #onMessage(msg: WorkerReply): void {
    if (msg.fatal !== undefined) {
      // a worker died: fail everything in flight rather than hang
      for (const p of this.#pending.values()) p.reject(new WorkerKernelError(`worker failed: ${msg.fatal}`));
      this.#pending.clear();
      this.#closed = true;
      return;
    }
    if (msg.id === undefined) return;
    const p = this.#pending.get(msg.id);
    if (!p) return;
    this.#pending.delete(msg.id);
    if (--p.worker.busy === 0) p.worker.unref();
    if (msg.error) p.reject(new WorkerKernelError(msg.error));
    else p.resolve();
  }

  /**
   * Runs `family.fn(...args, i0, i1)` over [start, end), split into at most `threads` chunks;
   * the calling thread runs the first chunk. Resolves when every chunk has finished.
   */
  async parallelFor(
    family: string,
    fn: string,
    args: number[],
    start: number,
    end: number,
    options: ParallelForOptions = {},
  ): Promise<void> {
    if (this.#closed) throw new InvalidArgumentError("this worker pool has been terminated");
    requireInt("start", start, 0);
    requireInt("end", end, start);
    const align = requireInt("align", options.align ?? 1, 1);
    const local = await loadKernel(family);
    const f = local[fn];
    if (typeof f !== "function") {
      throw new InvalidArgumentError(`kernel family ${family} has no function ${fn}`);
    }
    const chunks = splitRange(start, end, this.threads, align, options.minChunk ?? 1);
    if (chunks.length === 0) return;
    const waits: Promise<void>[] = [];
    for (let c = 1; c < chunks.length; c++) {
      const w = this.#workers[c - 1];
      if (!w.families.has(family)) {
        w.post({ type: "load", family, module: await compileKernel(family) });
        w.families.add(family);
      }
      const id = this.#nextId++;
      waits.push(new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject, worker: w })));
      if (w.busy++ === 0) w.ref();
      w.post({ type: "run", id, family, fn, args: [...args, chunks[c][0], chunks[c][1]] });
    }
    f(...args, chunks[0][0], chunks[0][1]);
    await Promise.all(waits);
  }

  /** Stops the workers. Pending calls reject. */
  terminate(): void {
    this.#closed = true;
    for (const w of this.#workers) w.terminate();
    for (const p of this.#pending.values()) p.reject(new WorkerKernelError("pool terminated"));
    this.#pending.clear();
  }
}

type WorkerReply = { id?: number; error?: string; ready?: boolean; fatal?: string };

async function spawn(onMessage: (msg: WorkerReply) => void) {
  const url = new URL("./pool_worker.ts", import.meta.url);
  let resolveReady!: () => void;
  const whenReady = new Promise<void>((r) => (resolveReady = r));
  const handler = (msg: WorkerReply) => {
    if (msg?.ready) resolveReady();
    else onMessage(msg);
  };
  if (url.protocol === "file:") {
    try {
      const wt = await import("node:worker_threads");
      const w = new wt.Worker(url);
      w.on("message", handler);
      w.on("error", (e: Error) => onMessage({ fatal: String(e?.message ?? e) }));
      const handle: WorkerHandle = {
        post: (m) => w.postMessage(m),
        terminate: () => void w.terminate(),
        ref: () => w.ref(),
        unref: () => w.unref(),
        families: new Set(),
        busy: 0,
      };
      whenReady.then(() => handle.busy === 0 && w.unref());
      return { handle, whenReady };
    } catch {
      // fall through to web workers
    }
  }
  const w = new Worker(url.href, { type: "module" });
  w.onmessage = (e) => handler(e.data);
  w.onerror = (e) => onMessage({ fatal: String(e.message) });
  const handle: WorkerHandle = {
    post: (m) => w.postMessage(m),
    terminate: () => w.terminate(),
    ref: () => {},
    unref: () => {},
    families: new Set(),
    busy: 0,
  };
  return { handle, whenReady };
}

const pools = new Map<number, Promise<WorkerPool>>();

/** Default thread count: TESSERA_THREADS if set, else the number of logical cores. */
export function defaultThreads(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.TESSERA_THREADS;
  if (env) return requireInt("TESSERA_THREADS", Number(env), 1, 256);
  return Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1);
}

/** A shared pool of `threads` threads (cached per size). */
export function getPool(threads: number = defaultThreads()): Promise<WorkerPool> {
  requireInt("threads", threads, 1, 256);
  let p = pools.get(threads);
  if (!p) {
    p = WorkerPool.create(threads);
    pools.set(threads, p);
    p.catch(() => pools.delete(threads));
  }
  return p;
}

/** Terminates every cached pool (tests and short scripts in browsers call this). */
export async function shutdownPools(): Promise<void> {
  for (const p of pools.values()) (await p).terminate();
  pools.clear();
}
