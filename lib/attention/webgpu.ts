/**
 * The webgpu backend of decode attention (kernels-wgsl/attention.wgsl): one workgroup per task, run
 * longest-first, then one workgroup per output row for the merge. The tree's nodes are packed into one
 * storage buffer, cached per tree version, so repeated calls on an unchanged tree upload only the queries.
 * On a machine without a GPU the adapter is llvmpipe: a correctness path, not GPU performance. llvmpipe
 * stops an invocation's loops after 65535 iterations in all (GpuContext.loopIterationLimit), so there the
 * executor cuts tasks longer than {@link maxTaskTokens} into pieces (the merge of partial states is exact)
 * and refuses a row with more partial states than its merge loop may visit.
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.ts";
import { BufferUsage, getGpu, type GpuContext, loadShader, requireBindable } from "../runtime/gpu.ts";
import type { AttentionPlan, AttentionTask } from "./plan.ts";
import type { PrefixKVCache } from "./tree.ts";

/** Query rows per task the shader holds (workgroup arrays). */
export const WEBGPU_MAX_ROWS = 64;
/** Largest head dimension the shader stages. */
export const WEBGPU_MAX_HEAD_DIM = 128;
/** Workers the planner balances over for WebGPU (only the split count depends on it). */
export const WEBGPU_NOMINAL_WORKERS = 64;

/**
 * Loop iterations of one invocation of `run_tasks` per block of BT = 8 tokens, at most (d <= 128, up to 64
 * rows): staging 8 * 128 / 64, scores ceil(64 * 8 / 64) * (128 + 1), the online softmax 2 * (8 + 1), P V
 * 64 * 128 / 64 * (8 + 1), the block loop itself.
 */
const ITERATIONS_PER_BLOCK = 16 + 8 * 129 + 18 + 128 * 9 + 1;

/**
 * The most tokens one task may hold on `gpu`: unlimited, or on adapters that stop an invocation's loops
 * after a number of iterations (GpuContext.loopIterationLimit: llvmpipe) the tokens whose blocks use at
 * most 3/4 of it (176 tokens on llvmpipe).
 *
 * @example
 * ```ts
 * import { getGpu } from "../runtime/gpu.ts";
 * import { maxTaskTokens } from "./webgpu.ts";
 * maxTaskTokens(await getGpu()); // Infinity on a GPU, 176 on llvmpipe
 * ```
 */
export function maxTaskTokens(gpu: GpuContext): number {
  const limit = gpu.loopIterationLimit;
  if (!Number.isFinite(limit)) return Infinity;
  return 8 * Math.max(1, Math.floor((0.75 * limit) / ITERATIONS_PER_BLOCK));
}

/**
 * The plan's tasks with every task of more than `maxTokens` tokens cut into consecutive pieces of at most
 * that many (each with its own states), and the rows' state lists rebuilt; the plan itself when no task
 * is that long. The merge of the partial states is exact, so the result is the plan's.
 *
 * @example
 * ```ts
 * import { PrefixKVCache } from "./tree.ts";
 * import { planAttention } from "./plan.ts";
 * import { splitLongTasks } from "./webgpu.ts";
 * const tree = new PrefixKVCache({ numKvHeads: 1, headDim: 4 });
 * const root = tree.addNode(-1, new Float32Array(40), new Float32Array(40));
 * const plan = planAttention(tree, [root], { method: "shared-prefix", numHeads: 1, groupSize: 4, chunkSize: 64, workers: 1 });
 * splitLongTasks(plan, 4).tasks.length; // 3 (10 tokens in pieces of 4, 4, 2)
 * ```
 */
export function splitLongTasks(
  plan: AttentionPlan,
  maxTokens: number,
): Pick<AttentionPlan, "tasks" | "rowStart" | "rowStates" | "numStates"> {
  if (!plan.tasks.some((t) => t.count > maxTokens)) return plan;
  const tasks: AttentionTask[] = [];
  let numStates = 0;
  for (const t of plan.tasks) {
    for (let t0 = t.t0; t0 < t.t0 + t.count; t0 += maxTokens) {
      const count = Math.min(maxTokens, t.t0 + t.count - t0);
      tasks.push({ ...t, t0, count, state: numStates, cost: (t.cost * count) / t.count });
      numStates += t.rows.length;
    }
  }
  const rows = plan.rowStart.length - 1;
  const counts = new Uint32Array(rows + 1);
  for (const t of tasks) for (const row of t.rows) counts[row + 1]++;
  for (let i = 0; i < rows; i++) counts[i + 1] += counts[i];
  const rowStart = counts.slice(), fill = counts.slice(0, rows), rowStates = new Uint32Array(numStates);
  for (const t of tasks) t.rows.forEach((row, j) => (rowStates[fill[row]++] = t.state + j));
  return { tasks, rowStart, rowStates, numStates };
}

/**
 * Throws InvalidArgumentError when the shapes exceed what the shader holds.
 *
 * @example
 * ```ts
 * import { PrefixKVCache } from "./tree.ts";
 * import { requireWebgpuShape } from "./webgpu.ts";
 * requireWebgpuShape(new PrefixKVCache({ numKvHeads: 2, headDim: 128 }), 8); // ok
 * ```
 */
export function requireWebgpuShape(tree: PrefixKVCache, numHeads: number): void {
  if (tree.headDim > WEBGPU_MAX_HEAD_DIM) {
    throw new InvalidArgumentError(
      `the webgpu backend supports headDim <= ${WEBGPU_MAX_HEAD_DIM}, got ${tree.headDim}; use ts or wasm`,
    );
  }
  const r = numHeads / tree.numKvHeads;
  if (r > WEBGPU_MAX_ROWS) {
    throw new InvalidArgumentError(
      `the webgpu backend supports a GQA ratio numHeads / numKvHeads <= ${WEBGPU_MAX_ROWS}, got ${r}`,
    );
  }
}

interface PackedKV {
  version: number;
  buffer: GPUBuffer;
  bytes: number;
  offsets: Map<number, number>; // node -> float offset of K (V follows)
}
const packed = new WeakMap<PrefixKVCache, PackedKV>();

function packTree(gpu: GpuContext, tree: PrefixKVCache): PackedKV {
  const have = packed.get(tree);
  if (have && have.version === tree.version) return have;
  if (have) gpu.release(have.buffer);
  const offsets = new Map<number, number>();
  let total = 0;
  for (const id of tree.nodeIds()) {
    offsets.set(id, total);
    total += 2 * tree.node(id).k.length;
  }
  const data = new Float32Array(Math.max(total, 4));
  for (const id of tree.nodeIds()) {
    const n = tree.node(id), o = offsets.get(id)!;
    data.set(n.k, o);
    data.set(n.v, o + n.k.length);
  }
  requireBindable(gpu, "the packed KV cache", data.byteLength);
  const rec = { version: tree.version, buffer: gpu.upload(data), bytes: data.byteLength, offsets };
  packed.set(tree, rec);
  return rec;
}

function grid(gpu: GpuContext, n: number): [number, number] {
  const maxX = gpu.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.max(1, Math.min(n, maxX));
  return [x, Math.max(1, Math.ceil(n / x))];
}

/**
 * Runs a plan on WebGPU; `q` is requests * numHeads * d. Tasks are dispatched in the order of the plan's
 * bins merged longest-first.
 *
 * @example
 * ```ts
 * import { PrefixKVCache } from "./tree.ts";
 * import { planAttention } from "./plan.ts";
 * import { runPlanWebGPU } from "./webgpu.ts";
 * const tree = new PrefixKVCache({ numKvHeads: 1, headDim: 4 });
 * const root = tree.addNode(-1, new Float32Array(8).fill(1), new Float32Array(8).fill(2));
 * const plan = planAttention(tree, [root], { method: "shared-prefix", numHeads: 1, groupSize: 4, chunkSize: 64, workers: 1 });
 * const out = await runPlanWebGPU(tree, plan, new Float32Array(4)); // [2, 2, 2, 2]
 * ```
 */
export async function runPlanWebGPU(
  tree: PrefixKVCache,
  plan: AttentionPlan,
  q: Float32Array,
): Promise<Float32Array> {
  const gpu = await getGpu();
  const d = tree.headDim;
  const rows = plan.requests * plan.numHeads;
  const out = new Float32Array(rows * d);
  if (rows === 0) return out;
  const code = await loadShader("attention.wgsl");
  const taskPipe = await gpu.pipeline("attention.wgsl", code, "run_tasks");
  const mergePipe = await gpu.pipeline("attention.wgsl", code, "merge");
  const kv = packTree(gpu, tree);
  // tasks no longer than the adapter's loop limit allows (llvmpipe), with their states
  const { tasks, rowStart, rowStates, numStates } = splitLongTasks(plan, maxTaskTokens(gpu));
  let maxStates = 0;
  for (let r = 0; r < rows; r++) maxStates = Math.max(maxStates, rowStart[r + 1] - rowStart[r]);
  if (3 * maxStates + 4 > 0.75 * gpu.loopIterationLimit) {
    throw new InvalidArgumentError(
      `an output row merges ${maxStates} partial states, more than the ${gpu.describe()} adapter's loop ` +
        `limit (${gpu.loopIterationLimit} iterations per invocation) allows; use larger chunks, or the ts ` +
        `or wasm backend`,
    );
  }

  const nTasks = tasks.length;
  const rec = new Uint32Array(Math.max(8, 8 * nTasks));
  let qCount = 0;
  for (const t of tasks) qCount += t.rows.length;
  const qidx = new Uint32Array(Math.max(1, qCount));
  let off = 0;
  tasks.forEach((t, i) => {
    const kOff = kv.offsets.get(t.node)!;
    const len = tree.node(t.node).k.length;
    rec.set([kOff, kOff + len, t.t0, t.count, t.head, off, t.rows.length, t.state], 8 * i);
    qidx.set(t.rows, off);
    off += t.rows.length;
  });
  // longest first: interleave the bins' heads (each bin is already longest-first)
  const order = Uint32Array.from(
    tasks.map((_, i) => i).sort((a, b) => tasks[b].cost - tasks[a].cost || a - b),
  );
  const ss = d + 2;
  const statesBytes = Math.max(16, 4 * ss * numStates);
  requireBindable(gpu, "the partial states", statesBytes);
  const [tx, ty] = grid(gpu, nTasks), [mx, my] = grid(gpu, rows);
  const paramsOf = (gx: number) => {
    const p = new ArrayBuffer(32);
    const u = new Uint32Array(p), f = new Float32Array(p);
    u[0] = tree.tokenStride;
    u[1] = d;
    u[2] = nTasks;
    u[3] = rows;
    f[4] = 1 / Math.sqrt(d);
    u[5] = gx;
    return u;
  };
  const pTask = gpu.upload(paramsOf(tx), BufferUsage.UNIFORM);
  const pMerge = gpu.upload(paramsOf(mx), BufferUsage.UNIFORM);
  const bq = gpu.upload(q.length ? q : new Float32Array(4));
  const bTasks = gpu.upload(rec);
  const bQidx = gpu.upload(qidx);
  const bOrder = gpu.upload(order.length ? order : new Uint32Array(1));
  const bStates = gpu.acquire(statesBytes, BufferUsage.STORAGE);
  const bRowStart = gpu.upload(rowStart);
  const bRowStates = gpu.upload(rowStates.length ? rowStates : new Uint32Array(1));
  const bOut = gpu.acquire(4 * rows * d, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
  try {
    if (nTasks > 0) {
      await gpu.run(taskPipe, [
        pTask,
        { buffer: kv.buffer, size: kv.bytes },
        bq,
        bTasks,
        bQidx,
        bStates,
        bOrder,
      ], [
        tx,
        ty,
      ]);
    }
    await gpu.run(mergePipe, [pMerge, null, null, null, null, bStates, null, bRowStart, bRowStates, bOut], [
      mx,
      my,
    ]);
    out.set(new Float32Array(await gpu.readback(bOut, 4 * rows * d)));
    return out;
  } finally {
    gpu.release(pTask, pMerge, bq, bTasks, bQidx, bOrder, bStates, bRowStart, bRowStates, bOut);
  }
}
