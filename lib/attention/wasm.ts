/**
 * The wasm backend of decode attention: kernels-as/attention.ts over the shared memory. A balanced plan
 * runs on several threads from one longest-first task queue (an atomic counter in shared memory: the
 * balancer's list scheduling with measured task times, robust to a thread the OS slows down) and the
 * thread that completes the last task merges the rows, so a step is one round of the pool (a worker that
 * wakes up late costs its share of the tasks, not a second wake-up for the merge); an unbalanced plan runs
 * its static bins, bin w on thread w, then the merge. Node K/V live in the tree's head-major wasm mirrors
 * (synced incrementally).
 *
 * @module
 */
import type { AttentionPlan } from "./plan.ts";
import type { PrefixKVCache } from "./tree.ts";
import { getPool } from "../runtime/pool.ts";
import { getArena, loadKernel, type WasmBlock } from "../runtime/wasm.ts";

/**
 * Tokens per block in the kernel (scratch per query row: TB floats of scores and 4 TB of pre-broadcast
 * probabilities).
 */
const TB = 32;

/**
 * Which task kernel runs: `tiled` (the default: register-blocked scores, 4 query rows x 2 keys per pass
 * with horizontal sums), `gemm` (a quad pair's scores as a small matrix product, 4 keys x 8 query rows per
 * register tile over dim-major queries, no horizontal sums; measured no faster than `tiled` on the machine
 * it was written on, kept to measure the two side by side) or `v1` (the first kernel, one row per key pass,
 * static bins). `tiled` and `gemm` share the softmax and P.V and run balanced multi-thread plans from the
 * shared longest-first queue.
 *
 * @example
 * ```ts
 * import type { WasmKernel } from "./wasm.ts";
 * const other: WasmKernel = "gemm"; // runPlanWasm(tree, plan, q, threads, other)
 * ```
 */
export type WasmKernel = "gemm" | "tiled" | "v1";

/**
 * What each thread took from the shared queue: tasks, and work in token x query-row units.
 *
 * @example
 * ```ts
 * import type { QueueSplit } from "./wasm.ts";
 * const split: QueueSplit = { tasks: [161, 159], work: [279000, 278000], first: [0, 3] }; // as passed to onQueue
 * ```
 */
export interface QueueSplit {
  tasks: number[];
  work: number[];
  /**
   * Queue position of each thread's first task: how many tasks the other threads had taken when it started
   * (the caller starts at 0; a worker's value measures how late it woke up). nTasks if it took none.
   */
  first: number[];
}

/**
 * Runs a plan on wasm with `threads` threads (plan.bins.length must equal threads, or be 1 with threads 1).
 * `q` is requests * numHeads * d. Returns the output rows. With several threads, a balanced plan runs from
 * the shared longest-first queue (`onQueue` receives what each thread took) and an unbalanced one runs its
 * static bins.
 *
 * @example
 * ```ts
 * import { PrefixKVCache } from "./tree.ts";
 * import { planAttention } from "./plan.ts";
 * import { runPlanWasm } from "./wasm.ts";
 * const tree = new PrefixKVCache({ numKvHeads: 1, headDim: 4 });
 * const root = tree.addNode(-1, new Float32Array(8).fill(1), new Float32Array(8).fill(2));
 * const plan = planAttention(tree, [root], { method: "shared-prefix", numHeads: 1, groupSize: 4, chunkSize: 64, workers: 1 });
 * const out = await runPlanWasm(tree, plan, new Float32Array(4), 1); // [2, 2, 2, 2]
 * ```
 */
export async function runPlanWasm(
  tree: PrefixKVCache,
  plan: AttentionPlan,
  q: Float32Array,
  threads: number,
  kernel: WasmKernel = "tiled",
  onQueue?: (taken: QueueSplit) => void,
): Promise<Float32Array> {
  const d = tree.headDim, dpad = (d + 3) & ~3;
  const rows = plan.requests * plan.numHeads;
  const arena = getArena();
  const kern = await loadKernel("attention");
  const blocks: WasmBlock[] = [];
  const take = (bytes: number) => {
    const b = arena.alloc(bytes);
    blocks.push(b);
    return b;
  };
  try {
    const nTasks = plan.tasks.length;
    const tasks = take(32 * nTasks);
    let qCount = 0;
    for (const t of plan.tasks) qCount += t.rows.length;
    const qidx = take(4 * qCount);
    {
      const rec = arena.u32(tasks.ptr, 8 * nTasks);
      const qi = arena.u32(qidx.ptr, qCount);
      const mirrors = new Map<number, { kPtr: number; vPtr: number; headBytes: number }>();
      let off = 0;
      plan.tasks.forEach((t, i) => {
        let m = mirrors.get(t.node);
        if (!m) mirrors.set(t.node, m = tree.wasmMirror(t.node));
        const o = 8 * i;
        // mirrors are head-major: the record points at the head's first token, tokens d floats apart
        rec[o] = m.kPtr + t.head * m.headBytes;
        rec[o + 1] = m.vPtr + t.head * m.headBytes;
        rec[o + 2] = t.t0;
        rec[o + 3] = t.count;
        rec[o + 4] = 0;
        rec[o + 5] = off;
        rec[o + 6] = t.rows.length;
        rec[o + 7] = t.state;
        qi.set(t.rows, off);
        off += t.rows.length;
      });
    }
    const qb = take(4 * q.length + 16);
    arena.f32(qb.ptr, q.length).set(q);
    const states = take(4 * (dpad + 4) * plan.numStates);
    const W = plan.bins.length;
    const binStart = take(4 * (W + 1));
    const binTasks = take(4 * nTasks);
    {
      const bs = arena.u32(binStart.ptr, W + 1), bt = arena.u32(binTasks.ptr, nTasks);
      let k = 0;
      plan.bins.forEach((bin, w) => {
        bs[w] = k;
        bt.set(bin, k);
        k += bin.length;
      });
      bs[W] = k;
    }
    const maxQ = Math.max(1, plan.maxRowsPerTask);
    const scratchStride = (4 * maxQ * (dpad + 5 * TB) + 15) & ~15;
    const scratch = take(scratchStride * W);
    const rowStart = take(4 * (rows + 1));
    arena.u32(rowStart.ptr, rows + 1).set(plan.rowStart);
    const rowStates = take(4 * plan.numStates);
    arena.u32(rowStates.ptr, plan.numStates).set(plan.rowStates);
    const out = take(4 * rows * d);
    const scale = 1 / Math.sqrt(d);
    const taskArgs = [
      tasks.ptr,
      qidx.ptr,
      qb.ptr,
      states.ptr,
      binStart.ptr,
      binTasks.ptr,
      scratch.ptr,
      scratchStride,
      maxQ,
      d, // token stride of the head-major mirrors
      d,
      dpad,
      scale,
    ];
    const mergeArgs = [states.ptr, rowStart.ptr, rowStates.ptr, out.ptr, d, dpad];
    const gemm = kernel === "gemm" ? 1 : 0;
    if (nTasks === 0) {
      kern.merge_rows(...mergeArgs, 0, rows); // nothing to attend to: every row is zeros
    } else if (threads === 1 || W === 1) {
      if (kernel === "v1") kern.run_bins_v1(...taskArgs, 0, W);
      else kern.run_bins(...taskArgs, gemm, 0, W);
      kern.merge_rows(...mergeArgs, 0, rows);
    } else {
      const pool = await getPool(threads);
      if (plan.balanced && kernel !== "v1") {
        // longest-first queue shared through an atomic counter (list scheduling with measured times); the
        // last thread to finish merges the rows, so the step takes one round of the pool, not two
        const order = take(4 * nTasks), counter = take(16 * (W + 1));
        arena.u32(order.ptr, nTasks).set(plan.queue);
        arena.u32(counter.ptr, 4 * (W + 1)).fill(0);
        const queueArgs = [
          tasks.ptr,
          qidx.ptr,
          qb.ptr,
          states.ptr,
          order.ptr,
          nTasks,
          counter.ptr,
          ...taskArgs.slice(6),
          gemm,
          rowStart.ptr,
          rowStates.ptr,
          out.ptr,
          rows,
        ];
        await pool.parallelFor("attention", "run_queue", queueArgs, 0, W);
        if (onQueue) {
          const c = arena.u32(counter.ptr + 16, 4 * W);
          onQueue({
            tasks: Array.from({ length: W }, (_, w) => c[4 * w]),
            work: Array.from({ length: W }, (_, w) => c[4 * w + 1]),
            first: Array.from({ length: W }, (_, w) => c[4 * w + 2]),
          });
        }
      } else {
        if (kernel === "v1") await pool.parallelFor("attention", "run_bins_v1", taskArgs, 0, W);
        else await pool.parallelFor("attention", "run_bins", [...taskArgs, gemm], 0, W);
        await pool.parallelFor("attention", "merge_rows", mergeArgs, 0, rows);
      }
    }
    return arena.f32(out.ptr, rows * d).slice();
  } finally {
    for (const b of blocks) arena.free(b);
  }
}
