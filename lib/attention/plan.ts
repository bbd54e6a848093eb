/**
 * From a prefix tree and a batch of decode requests to a list of tasks and their schedule.
 *
 * A task is (node v, KV chunk [t0, t0 + count) of v, key/value head h, query group g): it reads the chunk's
 * keys and values once and produces a partial softmax state (m, l, o) for each of its query rows (a row is
 * one request's query head). Every output row is the merge of the states of the tasks on its path.
 *
 * Methods differ only in how query groups are formed:
 * - `flashdecoding`: one request per task (split-KV over the request's whole path; nothing is shared).
 * - `cascade`: the root node of each tree is shared by its requests (groups of up to G); every other
 *   node is processed per request (the two-level cascade).
 * - `shared-prefix`: every node is shared by the requests that pass through it (groups of up to G).
 *
 * The balancer estimates each task's cost (tokens x query rows padded to the 4-row SIMD tile, plus a fixed
 * per-task overhead), splits tasks much longer than the mean, halves the longest while there are fewer
 * than `workers x 4` tasks, and assigns tasks longest-first to the least-loaded worker (LPT). Without
 * balancing, tasks come from the fixed chunk size and are handed out in contiguous runs of equal count.
 *
 * @module
 */
import type { PrefixKVCache } from "./tree.ts";

/** The attention methods. */
export type AttentionMethod = "flashdecoding" | "cascade" | "shared-prefix";
/** Every method, for validation and loops. */
export const ATTENTION_METHODS: readonly AttentionMethod[] = ["flashdecoding", "cascade", "shared-prefix"];

/** One unit of work. */
export interface AttentionTask {
  /** Node id. */
  node: number;
  /** Key/value head. */
  head: number;
  /** First token of the chunk within the node. */
  t0: number;
  /** Tokens in the chunk (>= 1). */
  count: number;
  /** Output rows (request * numHeads + query head) this task computes states for. */
  rows: number[];
  /** Index of the state of rows[0]; rows[j] writes state `state + j`. */
  state: number;
  /** Modelled cost (see the module doc). */
  cost: number;
}

/** A schedule: tasks, their assignment to workers, and the states each output row merges. */
export interface AttentionPlan {
  method: AttentionMethod;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Number of requests (output rows = requests * numHeads). */
  requests: number;
  tasks: AttentionTask[];
  /** Task indices per worker, in execution order (longest first when balanced). */
  bins: number[][];
  /** Whether the plan was balanced (cost-model splitting and longest-first scheduling). */
  balanced: boolean;
  /**
   * Every task index, longest first (modelled cost): the queue a dynamic scheduler hands out, which is the
   * same longest-first list scheduling as `bins` with measured instead of modelled task times.
   */
  queue: Uint32Array;
  /** Modelled load per worker (sum of task costs). */
  loads: number[];
  /** max(load) / mean(load) over workers; 1 is perfect. */
  imbalance: number;
  /** States per output row (CSR): rowStart has rows + 1 entries. */
  rowStart: Uint32Array;
  rowStates: Uint32Array;
  /** Total number of partial states. */
  numStates: number;
  /** Largest number of query rows in one task. */
  maxRowsPerTask: number;
  /** Milliseconds spent planning. */
  planMs: number;
}

/** Planner options. */
export interface PlanOptions {
  method: AttentionMethod;
  numHeads: number;
  /** Requests per query group (G). */
  groupSize: number;
  /** Tokens per KV chunk before balancing. */
  chunkSize: number;
  /** Workers (threads or a nominal workgroup count) to balance over. */
  workers: number;
  /** Cost-model splitting and longest-first scheduling (default true). */
  balance?: boolean;
  /** Cap on query rows per task (a backend limit); groups are narrowed to respect it. */
  maxRowsPerTask?: number;
}

/** Fixed per-task overhead in the cost model, in token x query-row units (setup, state writes). */
export const TASK_OVERHEAD = 64;
/** The balancer never splits a chunk below this many tokens. */
export const MIN_SPLIT_TOKENS = 16;

function taskCost(count: number, rows: number): number {
  return count * Math.ceil(rows / 4) * 4 + TASK_OVERHEAD + 4 * rows;
}

/** Requests (indices into `leaves`) that pass through each node. */
export function queriesPerNode(tree: PrefixKVCache, leaves: readonly number[]): Map<number, number[]> {
  const byNode = new Map<number, number[]>();
  leaves.forEach((leaf, r) => {
    for (const v of tree.path(leaf)) {
      let list = byNode.get(v);
      if (!list) byNode.set(v, list = []);
      list.push(r);
    }
  });
  return byNode;
}

/**
 * Plans one decode step. `leaves[r]` is request r's node; the tree and leaves are assumed validated.
 *
 * @example
 * ```ts
 * import { PrefixKVCache } from "./tree.ts";
 * import { planAttention } from "./plan.ts";
 * const tree = new PrefixKVCache({ numKvHeads: 1, headDim: 4 });
 * const root = tree.addNode(-1, new Float32Array(4 * 100), new Float32Array(4 * 100));
 * const a = tree.addNode(root, new Float32Array(4), new Float32Array(4));
 * const b = tree.addNode(root, new Float32Array(4), new Float32Array(4));
 * const plan = planAttention(tree, [a, b], {
 *   method: "shared-prefix", numHeads: 1, groupSize: 8, chunkSize: 64, workers: 2,
 * });
 * plan.tasks.length; // root chunks shared by both requests, plus one task per leaf
 * ```
 */
export function planAttention(
  tree: PrefixKVCache,
  leaves: readonly number[],
  options: PlanOptions,
): AttentionPlan {
  const t0 = performance.now();
  const { method, numHeads, chunkSize, workers } = options;
  const balance = options.balance ?? true;
  const hkv = tree.numKvHeads;
  const r = numHeads / hkv;
  let G = options.groupSize;
  if (options.maxRowsPerTask !== undefined) {
    G = Math.max(1, Math.min(G, Math.floor(options.maxRowsPerTask / r)));
  }
  const byNode = queriesPerNode(tree, leaves);

  // node-level items: (node, requests of the group)
  const items: Array<{ node: number; reqs: number[] }> = [];
  for (const [node, reqs] of byNode) {
    const view = tree.node(node);
    if (view.length === 0) continue;
    const shared = method === "shared-prefix" || (method === "cascade" && view.parent === -1);
    if (shared) {
      for (let i = 0; i < reqs.length; i += G) items.push({ node, reqs: reqs.slice(i, i + G) });
    } else {
      for (const q of reqs) items.push({ node, reqs: [q] });
    }
  }

  // tasks: chunks of each item, per kv head
  type Proto = { node: number; head: number; t0: number; count: number; rows: number[] };
  let protos: Proto[] = [];
  for (const it of items) {
    const L = tree.node(it.node).length;
    for (let h = 0; h < hkv; h++) {
      const rows: number[] = [];
      for (const q of it.reqs) for (let j = 0; j < r; j++) rows.push(q * numHeads + h * r + j);
      for (let s = 0; s < L; s += chunkSize) {
        protos.push({ node: it.node, head: h, t0: s, count: Math.min(chunkSize, L - s), rows });
      }
    }
  }

  const cost = (p: Proto) => taskCost(p.count, p.rows.length);
  if (balance && protos.length > 0) {
    const split = (p: Proto, parts: number): Proto[] => {
      const out: Proto[] = [];
      for (let i = 0; i < parts; i++) {
        const a = Math.round((i * p.count) / parts), b = Math.round(((i + 1) * p.count) / parts);
        if (b > a) out.push({ ...p, t0: p.t0 + a, count: b - a });
      }
      return out;
    };
    // 1. split tasks much longer than the mean into equal chunks
    const mean = protos.reduce((s, p) => s + cost(p), 0) / protos.length;
    const next: Proto[] = [];
    for (const p of protos) {
      const c = cost(p);
      if (c > 2 * mean && p.count >= 2 * MIN_SPLIT_TOKENS) {
        next.push(...split(p, Math.min(Math.ceil(c / mean), Math.floor(p.count / MIN_SPLIT_TOKENS))));
      } else next.push(p);
    }
    protos = next;
    // 2. halve the longest while there are too few tasks to keep every worker busy
    const want = workers * 4;
    while (protos.length < want) {
      let best = -1;
      for (let i = 0; i < protos.length; i++) {
        if (protos[i].count >= 2 * MIN_SPLIT_TOKENS && (best < 0 || cost(protos[i]) > cost(protos[best]))) {
          best = i;
        }
      }
      if (best < 0) break;
      const [a, b] = split(protos[best], 2);
      protos.splice(best, 1, a, b);
    }
  }

  // states, in task order
  const tasks: AttentionTask[] = [];
  let numStates = 0, maxRows = 0;
  for (const p of protos) {
    tasks.push({ ...p, state: numStates, cost: cost(p) });
    numStates += p.rows.length;
    maxRows = Math.max(maxRows, p.rows.length);
  }

  // schedule
  const W = Math.max(1, workers);
  const bins: number[][] = Array.from({ length: W }, () => []);
  const loads = new Array<number>(W).fill(0);
  const order = tasks.map((_, i) => i).sort((a, b) => tasks[b].cost - tasks[a].cost || a - b);
  if (balance) {
    for (const i of order) {
      let w = 0;
      for (let j = 1; j < W; j++) if (loads[j] < loads[w]) w = j;
      bins[w].push(i);
      loads[w] += tasks[i].cost;
    }
  } else {
    for (let w = 0; w < W; w++) {
      const a = Math.round((w * tasks.length) / W), b = Math.round(((w + 1) * tasks.length) / W);
      for (let i = a; i < b; i++) {
        bins[w].push(i);
        loads[w] += tasks[i].cost;
      }
    }
  }
  const meanLoad = loads.reduce((s, x) => s + x, 0) / W;
  const imbalance = meanLoad > 0 ? Math.max(...loads) / meanLoad : 1;

  // row -> states (CSR)
  const rows = leaves.length * numHeads;
  const counts = new Uint32Array(rows + 1);
  for (const t of tasks) for (const row of t.rows) counts[row + 1]++;
  for (let i = 0; i < rows; i++) counts[i + 1] += counts[i];
  const rowStart = counts.slice();
  const fill = counts.slice(0, rows);
  const rowStates = new Uint32Array(numStates);
  for (const t of tasks) t.rows.forEach((row, j) => (rowStates[fill[row]++] = t.state + j));

  return {
    method,
    numHeads,
    numKvHeads: hkv,
    headDim: tree.headDim,
    requests: leaves.length,
    tasks,
    bins,
    balanced: balance,
    queue: Uint32Array.from(order),
    loads,
    imbalance,
    rowStart,
    rowStates,
    numStates,
    maxRowsPerTask: maxRows,
    planMs: performance.now() - t0,
  };
}

/** Modelled memory traffic of one decode step. */
export interface AttentionBytes {
  /** FlashDecoding KV bytes: b * sum_v n_v L_v. */
  flashDecodingKV: number;
  /** Shared-prefix KV bytes with group cap G: b * sum_v L_v ceil(n_v / G). */
  sharedPrefixKV: number;
  /** flashDecodingKV / sharedPrefixKV. */
  reduction: number;
  /** Bytes per token and layer: b = 2 * H_kv * d * bytesPerElement. */
  bytesPerToken: number;
}

/**
 * The notes' KV-traffic model (no overheads): b = 2 H_kv d bytes per token; FlashDecoding reads every
 * node once per request through it, shared-prefix once per group of up to G requests.
 *
 * @example
 * ```ts
 * import { PrefixKVCache } from "./tree.ts";
 * import { modelledKVBytes } from "./plan.ts";
 * const tree = new PrefixKVCache({ numKvHeads: 1, headDim: 1 });
 * const root = tree.addNode(-1, new Float32Array(4096), new Float32Array(4096));
 * const leaves = Array.from({ length: 64 }, () => tree.addNode(root, new Float32Array(256), new Float32Array(256)));
 * modelledKVBytes(tree, leaves, 64).reduction; // 64 * 4352 / (4096 + 64 * 256) = 13.6
 * ```
 */
export function modelledKVBytes(
  tree: PrefixKVCache,
  leaves: readonly number[],
  groupSize: number,
  bytesPerElement = 4,
): AttentionBytes {
  const b = 2 * tree.numKvHeads * tree.headDim * bytesPerElement;
  let fd = 0, sp = 0;
  for (const [node, reqs] of queriesPerNode(tree, leaves)) {
    const L = tree.node(node).length;
    fd += reqs.length * L;
    sp += L * Math.ceil(reqs.length / groupSize);
  }
  return {
    flashDecodingKV: b * fd,
    sharedPrefixKV: b * sp,
    reduction: sp > 0 ? fd / sp : 1,
    bytesPerToken: b,
  };
}

/** Bytes one plan moves, by kind (f32), counted from its tasks: the model with overheads. */
export interface PlanBytes {
  kv: number;
  queries: number;
  /** Partial-state writes by tasks plus reads by the merge. */
  states: number;
  output: number;
  total: number;
}

/**
 * Counts the bytes a plan reads and writes: KV chunks (each task once), query rows (each task reads its
 * rows), partial states (written by tasks, read by the merge; d + 2 floats each) and the output.
 *
 * @example
 * ```ts
 * import { type AttentionPlan, planBytes } from "./plan.ts";
 * declare const plan: AttentionPlan; // from planAttention
 * const { kv, total } = planBytes(plan);
 * ```
 */
export function planBytes(plan: AttentionPlan): PlanBytes {
  const d = plan.headDim;
  let kv = 0, queries = 0;
  for (const t of plan.tasks) {
    kv += t.count * 2 * d * 4;
    queries += t.rows.length * d * 4;
  }
  const states = plan.numStates * (d + 2) * 4 * 2;
  const output = plan.requests * plan.numHeads * d * 4;
  return { kv, queries, states, output, total: kv + queries + states + output };
}
