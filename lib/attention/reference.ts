/**
 * The `ts` backend and the test oracle, in float64.
 *
 * - {@link referenceAttention}: plain softmax attention per request over its gathered root-to-leaf path,
 *   two passes (max, then sum) in float64. This is the oracle every method and backend is tested against.
 * - {@link runPlanTs}: executes an attention plan task by task (online softmax per chunk, partial states,
 *   merge), in float64, counting the bytes it reads.
 * - {@link mergeStates}: the exact, NaN-safe merge of partial states.
 *
 * A request whose whole context is empty has no defined softmax; by the convention of the merge (an empty
 * segment has lse = -inf) its output row is zeros on every backend.
 *
 * @module
 */
import type { AttentionPlan } from "./plan.ts";
import type { PrefixKVCache } from "./tree.ts";

/** A partial softmax state over a KV segment: m = max score, l = sum exp(s - m), o = sum exp(s - m) v. */
export interface SoftmaxState {
  m: number;
  l: number;
  /** Unnormalised: sum_j exp(s_j - m) v_j. */
  o: Float64Array;
}

/** The state of an empty segment (lse = -inf). */
export function emptyState(d: number): SoftmaxState {
  return { m: -Infinity, l: 0, o: new Float64Array(d) };
}

/**
 * merge(A, B): m = max(m_A, m_B), w_X = e^(m_X - m), l = w_A l_A + w_B l_B, o = w_A o_A + w_B o_B.
 * Associative and commutative; two empty states merge to an empty state (no NaN).
 *
 * @example
 * ```ts
 * import { emptyState, mergeStates } from "./reference.ts";
 * const a = { m: 1, l: 1, o: new Float64Array([2]) };
 * mergeStates(a, emptyState(1)); // equals a
 * ```
 */
export function mergeStates(a: SoftmaxState, b: SoftmaxState): SoftmaxState {
  const m = Math.max(a.m, b.m);
  if (m === -Infinity) return emptyState(a.o.length);
  const wa = a.m === -Infinity ? 0 : Math.exp(a.m - m);
  const wb = b.m === -Infinity ? 0 : Math.exp(b.m - m);
  const o = new Float64Array(a.o.length);
  for (let c = 0; c < o.length; c++) o[c] = wa * a.o[c] + wb * b.o[c];
  return { m, l: wa * a.l + wb * b.l, o };
}

/** The attention output of a state: o / l, or zeros for an empty state. */
export function stateOutput(s: SoftmaxState): Float64Array {
  const out = new Float64Array(s.o.length);
  if (s.l > 0) { for (let c = 0; c < out.length; c++) out[c] = s.o[c] / s.l; }
  return out;
}

/**
 * softmax(q K^T / sqrt(d)) V over each request's root-to-leaf path, in float64, per request and query head
 * (query head i uses key/value head floor(i / (numHeads / numKvHeads))). Returns requests * numHeads * d.
 *
 * @example
 * ```ts
 * import { PrefixKVCache } from "./tree.ts";
 * import { referenceAttention } from "./reference.ts";
 * const tree = new PrefixKVCache({ numKvHeads: 1, headDim: 1 });
 * const root = tree.addNode(-1, new Float32Array([0, 0]), new Float32Array([1, 3]));
 * referenceAttention(tree, [{ leaf: root, q: new Float32Array([1]) }], 1); // [2]: equal scores, mean of v
 * ```
 */
export function referenceAttention(
  tree: PrefixKVCache,
  requests: ReadonlyArray<{ leaf: number; q: Float32Array }>,
  numHeads: number,
): Float64Array {
  const d = tree.headDim, hkv = tree.numKvHeads, stride = tree.tokenStride, r = numHeads / hkv;
  const scale = 1 / Math.sqrt(d);
  const out = new Float64Array(requests.length * numHeads * d);
  requests.forEach(({ leaf, q }, req) => {
    const nodes = tree.path(leaf).map((id) => tree.node(id));
    for (let qh = 0; qh < numHeads; qh++) {
      const h = Math.floor(qh / r);
      const qo = qh * d;
      const scores: number[] = [];
      for (const nd of nodes) {
        for (let t = 0; t < nd.length; t++) {
          const ko = t * stride + h * d;
          let s = 0;
          for (let c = 0; c < d; c++) s += q[qo + c] * nd.k[ko + c];
          scores.push(s * scale);
        }
      }
      if (scores.length === 0) continue;
      let m = -Infinity;
      for (const s of scores) m = Math.max(m, s);
      let l = 0, i = 0;
      const acc = new Float64Array(d);
      for (const nd of nodes) {
        for (let t = 0; t < nd.length; t++) {
          const p = Math.exp(scores[i++] - m);
          l += p;
          const vo = t * stride + h * d;
          for (let c = 0; c < d; c++) acc[c] += p * nd.v[vo + c];
        }
      }
      const base = (req * numHeads + qh) * d;
      for (let c = 0; c < d; c++) out[base + c] = acc[c] / l;
    }
  });
  return out;
}

/** What the ts executor counted. */
export interface TsCounters {
  /** Bytes of K and V read (f32 storage). */
  kvBytesRead: number;
  /** Bytes of queries read. */
  queryBytesRead: number;
}

/**
 * Executes a plan in float64: every task computes, for each of its rows, the state of its KV chunk (one
 * pass over the chunk, reading each key and value once for all rows of the task); every output row merges
 * its states. `q` is requests * numHeads * d. Returns the output (f32) and what was read.
 *
 * @example
 * ```ts
 * import { PrefixKVCache } from "./tree.ts";
 * import { planAttention } from "./plan.ts";
 * import { runPlanTs } from "./reference.ts";
 * const tree = new PrefixKVCache({ numKvHeads: 1, headDim: 2 });
 * const root = tree.addNode(-1, new Float32Array([1, 0, 0, 1]), new Float32Array([1, 2, 3, 4]));
 * const plan = planAttention(tree, [root], { method: "shared-prefix", numHeads: 1, groupSize: 4, chunkSize: 16, workers: 1 });
 * const { out } = runPlanTs(tree, plan, new Float32Array([1, 0]));
 * ```
 */
export function runPlanTs(
  tree: PrefixKVCache,
  plan: AttentionPlan,
  q: Float32Array,
): { out: Float32Array; counters: TsCounters } {
  const d = tree.headDim, stride = tree.tokenStride;
  const scale = 1 / Math.sqrt(d);
  const states: SoftmaxState[] = new Array(plan.numStates);
  const counters: TsCounters = { kvBytesRead: 0, queryBytesRead: 0 };
  for (const bin of plan.bins) {
    for (const ti of bin) {
      const task = plan.tasks[ti];
      const nd = tree.node(task.node);
      const nq = task.rows.length;
      const qs = task.rows.map((row) => {
        counters.queryBytesRead += d * 4;
        return q.subarray(row * d, row * d + d);
      });
      const m = new Float64Array(nq).fill(-Infinity), l = new Float64Array(nq);
      const o = Array.from({ length: nq }, () => new Float64Array(d));
      for (let t = task.t0; t < task.t0 + task.count; t++) {
        const base = t * stride + task.head * d;
        const k = nd.k.subarray(base, base + d), v = nd.v.subarray(base, base + d);
        counters.kvBytesRead += 2 * d * 4; // loaded once, used by every row of the task
        for (let j = 0; j < nq; j++) {
          let s = 0;
          for (let c = 0; c < d; c++) s += qs[j][c] * k[c];
          s *= scale;
          if (s > m[j]) {
            const alpha = m[j] === -Infinity ? 0 : Math.exp(m[j] - s);
            l[j] *= alpha;
            for (let c = 0; c < d; c++) o[j][c] *= alpha;
            m[j] = s;
          }
          const p = Math.exp(s - m[j]);
          l[j] += p;
          for (let c = 0; c < d; c++) o[j][c] += p * v[c];
        }
      }
      for (let j = 0; j < nq; j++) states[task.state + j] = { m: m[j], l: l[j], o: o[j] };
    }
  }
  const rows = plan.requests * plan.numHeads;
  const out = new Float32Array(rows * d);
  for (let row = 0; row < rows; row++) {
    let acc = emptyState(d);
    for (let i = plan.rowStart[row]; i < plan.rowStart[row + 1]; i++) {
      acc = mergeStates(acc, states[plan.rowStates[i]]);
    }
    out.set(stateOutput(acc), row * d);
  }
  return { out, counters };
}
