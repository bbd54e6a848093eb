/**
 * Decode attention over a prefix-tree KV cache: FlashDecoding (split-KV per request), a two-level cascade
 * (shared root, then per-request suffixes) and shared-prefix tree attention (each KV chunk loaded once for a
 * group of up to G requests), with a cost-model workload balancer, on the ts (float64), wasm (SIMD, worker
 * pool) and webgpu backends. The shared-prefix method is a reconstruction after the FlashForge paper
 * (arXiv 2505.17694), whose kernel is not public.
 *
 * @example
 * ```ts
 * import { decodeAttention, PrefixKVCache } from "./mod.ts";
 * const tree = new PrefixKVCache({ numKvHeads: 1, headDim: 2 });
 * const root = tree.addNode(-1, new Float32Array([1, 0, 0, 1]), new Float32Array([1, 2, 3, 4]));
 * const leaf = tree.addNode(root, new Float32Array([1, 1]), new Float32Array([5, 6]));
 * const out = await decodeAttention(tree, [{ leaf, q: new Float32Array([0.5, -0.5]) }], {
 *   numHeads: 1, method: "shared-prefix", backend: "wasm",
 * });
 * // out: Float32Array(2), softmax(q K^T / sqrt(2)) V over the 3 tokens of the path
 * ```
 *
 * @module
 */
import { describe, InvalidArgumentError, requireInt, ShapeMismatchError } from "../core/errors.ts";
import {
  type BackendChoice,
  type BackendOptions,
  type BackendProbe,
  selectBackend,
} from "../runtime/backend.ts";
import { gpuAvailable } from "../runtime/gpu.ts";
import { defaultThreads } from "../runtime/pool.ts";
import { wasmAvailable } from "../runtime/wasm.ts";
import {
  ATTENTION_METHODS,
  type AttentionMethod,
  type AttentionPlan,
  planAttention,
  type PlanBytes,
  planBytes,
} from "./plan.ts";
import { runPlanTs } from "./reference.ts";
import { PrefixKVCache } from "./tree.ts";
import { runPlanWasm } from "./wasm.ts";

export { type KVNodeView, MAX_TREE_DEPTH, PrefixKVCache, type PrefixKVCacheOptions } from "./tree.ts";
export {
  ATTENTION_METHODS,
  type AttentionBytes,
  type AttentionMethod,
  type AttentionPlan,
  type AttentionTask,
  MIN_SPLIT_TOKENS,
  modelledKVBytes,
  planAttention,
  type PlanBytes,
  planBytes,
  type PlanOptions,
  queriesPerNode,
  TASK_OVERHEAD,
} from "./plan.ts";
export {
  type DecodeStepStats,
  prefixDecode,
  type PrefixDecodeOptions,
  type PrefixDecodeResult,
  PrefixDecodeSession,
  type SharedPrompt,
} from "./decode_loop.ts";
export {
  emptyState,
  mergeStates,
  referenceAttention,
  runPlanTs,
  type SoftmaxState,
  stateOutput,
  type TsCounters,
} from "./reference.ts";

/** One decode request: the node its context ends at, and its query (numHeads * headDim floats). */
export interface DecodeRequest {
  leaf: number;
  q: Float32Array;
}

/** What one call did: the plan's shape, its modelled traffic, and (ts backend) what was counted. */
export interface DecodeStats {
  backend: BackendChoice;
  method: AttentionMethod;
  tasks: number;
  workers: number;
  /** Modelled max/mean worker load. */
  imbalance: number;
  planMs: number;
  /** Wall time of the kernels (including uploads), ms. */
  runMs: number;
  /** Bytes the plan moves, by kind (model with overheads). */
  bytes: PlanBytes;
  /** KV bytes the ts executor actually read (only for backend ts). */
  measuredKVBytes?: number;
}

/** Options of {@link decodeAttention}. */
export interface DecodeAttentionOptions extends BackendOptions {
  /** Query heads H_q, a multiple of the tree's numKvHeads (GQA ratio H_q / H_kv). */
  numHeads: number;
  /** Default "shared-prefix". */
  method?: AttentionMethod;
  /** Requests per query group G (shared-prefix and the cascade's root). Default max(1, floor(32 / ratio)). */
  groupSize?: number;
  /** Tokens per KV chunk before balancing. Default 256. */
  chunkSize?: number;
  /** wasm threads (caller + workers). Default: every core. */
  threads?: number;
  /** Cost-model splitting and longest-first scheduling. Default true. */
  balance?: boolean;
  /** Receives the statistics of the call. */
  onStats?: (stats: DecodeStats) => void;
}

const probe: BackendProbe = { wasm: wasmAvailable, webgpu: gpuAvailable };

/** The largest group size accepted. */
export const MAX_GROUP_SIZE = 4096;

/**
 * Validates a decode call and returns the requests' leaves and the packed queries.
 * @internal shared by decodeAttention and the experiments
 */
export function validateDecode(
  tree: PrefixKVCache,
  requests: readonly DecodeRequest[],
  numHeads: number,
): { leaves: number[]; q: Float32Array } {
  if (!(tree instanceof PrefixKVCache)) {
    throw new InvalidArgumentError(`tree must be a PrefixKVCache, got ${describe(tree)}`);
  }
  requireInt("numHeads", numHeads, 1, 1 << 16);
  if (numHeads % tree.numKvHeads !== 0) {
    throw new InvalidArgumentError(
      `numHeads ${numHeads} is not a multiple of the tree's numKvHeads ${tree.numKvHeads}: ` +
        `grouped-query attention needs numHeads = r * numKvHeads for an integer r >= 1`,
    );
  }
  if (!Array.isArray(requests)) {
    throw new InvalidArgumentError(`requests must be an array of { leaf, q }, got ${describe(requests)}`);
  }
  const d = tree.headDim, per = numHeads * d;
  const q = new Float32Array(requests.length * per);
  const leaves = requests.map((req, i) => {
    if (req === null || typeof req !== "object") {
      throw new InvalidArgumentError(`requests[${i}] must be { leaf, q }, got ${describe(req)}`);
    }
    if (typeof req.leaf !== "number" || !tree.has(req.leaf)) {
      throw new InvalidArgumentError(
        `requests[${i}].leaf ${describe(req.leaf)} is an unknown leaf: not a node of this tree`,
      );
    }
    if (!(req.q instanceof Float32Array)) {
      throw new InvalidArgumentError(`requests[${i}].q must be a Float32Array, got ${describe(req.q)}`);
    }
    if (req.q.length !== per) {
      throw new ShapeMismatchError(
        `requests[${i}].q has length ${req.q.length}, expected numHeads * headDim = ${numHeads} * ${d} = ${per}`,
      );
    }
    for (let c = 0; c < per; c++) {
      if (!Number.isFinite(req.q[c])) {
        throw new InvalidArgumentError(`requests[${i}].q[${c}] is ${req.q[c]}; queries must be finite`);
      }
    }
    q.set(req.q, i * per);
    return req.leaf;
  });
  return { leaves, q };
}

/**
 * softmax(q K^T / sqrt(d)) V for each request over its root-to-leaf path, for every query head (head i
 * attends with key/value head floor(i / r), r = numHeads / numKvHeads). Returns requests * numHeads * d
 * floats, request-major.
 *
 * Every method computes the same function (it is exact up to f32 rounding); they differ in memory traffic:
 * see {@link modelledKVBytes}. Backends: `ts` (float64, the oracle), `wasm` (f32 SIMD kernels, bins over
 * the worker pool), `webgpu` (WGSL, one workgroup per task). `auto` picks wasm.
 *
 * @example
 * ```ts
 * import { decodeAttention, PrefixKVCache } from "./mod.ts";
 * const tree = new PrefixKVCache({ numKvHeads: 1, headDim: 1 });
 * const root = tree.addNode(-1, new Float32Array([0, 0]), new Float32Array([1, 3]));
 * const out = await decodeAttention(tree, [{ leaf: root, q: new Float32Array([1]) }], {
 *   numHeads: 1, method: "flashdecoding", backend: "ts",
 * }); // [2]
 * ```
 */
export async function decodeAttention(
  tree: PrefixKVCache,
  requests: readonly DecodeRequest[],
  options: DecodeAttentionOptions,
): Promise<Float32Array> {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError(`options must be an object with numHeads, got ${describe(options)}`);
  }
  const { leaves, q } = validateDecode(tree, requests, options.numHeads);
  const method = options.method ?? "shared-prefix";
  if (!ATTENTION_METHODS.includes(method)) {
    throw new InvalidArgumentError(
      `unknown method ${describe(method)}; allowed: ${ATTENTION_METHODS.join(", ")}`,
    );
  }
  const ratio = options.numHeads / tree.numKvHeads;
  const groupSize = requireInt(
    "groupSize",
    options.groupSize ?? Math.max(1, Math.floor(32 / ratio)),
    1,
    MAX_GROUP_SIZE,
  );
  const chunkSize = requireInt("chunkSize", options.chunkSize ?? 256, 1, 1 << 24);
  if (options.threads !== undefined) requireInt("threads", options.threads, 1, 256);
  if (options.balance !== undefined && typeof options.balance !== "boolean") {
    throw new InvalidArgumentError(`balance must be a boolean, got ${describe(options.balance)}`);
  }
  const choice = await selectBackend(options.backend, probe, {
    op: "decodeAttention",
    preference: ["wasm", "ts"],
  });
  options.onBackend?.(choice);

  let threads = 1, maxRowsPerTask: number | undefined;
  if (choice.backend === "wasm") threads = options.threads ?? defaultThreads();
  let gpuMod: typeof import("./webgpu.ts") | null = null;
  if (choice.backend === "webgpu") {
    gpuMod = await import("./webgpu.ts");
    maxRowsPerTask = gpuMod.WEBGPU_MAX_ROWS;
    gpuMod.requireWebgpuShape(tree, options.numHeads);
    threads = gpuMod.WEBGPU_NOMINAL_WORKERS;
  }
  const plan: AttentionPlan = planAttention(tree, leaves, {
    method,
    numHeads: options.numHeads,
    groupSize,
    chunkSize,
    workers: threads,
    balance: options.balance ?? true,
    maxRowsPerTask,
  });
  const t0 = performance.now();
  let out: Float32Array;
  let measuredKVBytes: number | undefined;
  if (choice.backend === "ts") {
    const r = runPlanTs(tree, plan, q);
    out = r.out;
    measuredKVBytes = r.counters.kvBytesRead;
  } else if (choice.backend === "wasm") {
    out = await runPlanWasm(tree, plan, q, threads);
  } else {
    out = await gpuMod!.runPlanWebGPU(tree, plan, q);
  }
  options.onStats?.({
    backend: choice,
    method,
    tasks: plan.tasks.length,
    workers: plan.bins.length,
    imbalance: plan.imbalance,
    planMs: plan.planMs,
    runMs: performance.now() - t0,
    bytes: planBytes(plan),
    measuredKVBytes,
  });
  return out;
}
