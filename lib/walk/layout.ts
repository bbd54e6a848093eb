/**
 * The memory layout of a dynamic graph, shared word for word by the TypeScript reference
 * (lib/walk/engine.ts), the AssemblyScript kernels (kernels-as/walk.ts) and the WGSL walk kernel
 * (kernels-wgsl/walk.wgsl).
 *
 * Everything lives in one array of u32 words (the "pool"); offsets are word indices into it, so the pool
 * can be copied to a larger block (or to a GPU buffer) without rewriting pointers.
 *
 * - Words 0..47: the global header (`H_*`), including 32 free-list heads of a power-of-two block allocator.
 * - Then `VH_WORDS` words per vertex (`VH_*`): degree, slot capacity, slot block, hash block, sampler index
 *   block, total weight (two words), and one sampler-specific word.
 * - Blocks: slots (`dst, weight` pairs), an open-addressing hash of slot indices keyed by `dst` (for
 *   O(1) edge lookup on delete), and the sampler's index: Bingo's group block, an alias table, a prefix
 *   array, a Fenwick tree.
 *
 * Weights are fixed point: `wInt = round(w * 2^fractionBits)`, an integer in [1, 2^weightBits). Bingo's
 * radix factorisation works on the bits of `wInt`, so sampling is exact for the stored integer weights.
 *
 * @module
 */

import { mulhi } from "../core/rng.ts";

/** Global header words. */
export const H_N = 0,
  H_K = 1,
  H_SAMPLER = 2,
  H_ADAPT = 3,
  H_ALPHA_Q16 = 4,
  H_SPARSE_MAX = 5,
  H_CAP = 6,
  H_TOP = 7,
  H_LOCK = 8,
  H_USED = 9,
  H_VBASE = 10,
  H_EDGES = 11,
  H_DENSE_MIN_DEG = 12,
  H_FREE = 16,
  H_WORDS = 48;

/** Per-vertex header words. */
export const VH_DEG = 0,
  VH_CAPLOG = 1,
  VH_SLOTS = 2,
  VH_HASH = 3,
  VH_AUX = 4,
  VH_TOTLO = 5,
  VH_TOTHI = 6,
  VH_EXTRA = 7,
  VH_WORDS = 8;

/** Sampler codes stored in H_SAMPLER. */
export const SAMPLERS = ["bingo", "alias", "its", "fenwick", "rejection", "reservoir", "uniform"] as const;
/** A neighbour sampler. */
export type SamplerName = typeof SAMPLERS[number];
export const S_BINGO = 0,
  S_ALIAS = 1,
  S_ITS = 2,
  S_FENWICK = 3,
  S_REJECTION = 4,
  S_RESERVOIR = 5,
  S_UNIFORM = 6;

/** Bingo group kinds (low byte of the group's meta word; bits 8..15 hold log2 of a list's capacity). */
export const G_EMPTY = 0, G_ONE = 1, G_SPARSE = 2, G_REGULAR = 3, G_DENSE = 4;
/** Names of the group kinds, by code. */
export const GROUP_KINDS = ["empty", "one", "sparse", "regular", "dense"] as const;

/**
 * A Bingo group block of K groups has 8K words: cnt[K], meta[K], ptr[K], inv[K] (per group), then the alias
 * table over the non-empty groups: threshold[K], pair[K] (column group | alias group << 8), then K f64 of
 * scratch for the alias construction. Between builds that scratch keeps, in its first K words, each
 * group's count bound; in its last word (`groupCountdownWord`), the countdown; and in
 * `groupDenseMaskWord` (the word before the countdown, or the block's ninth word when K = 1), the mask of
 * the dense groups. The rebuild may overwrite all three: they are read before it and written after it.
 *
 * The countdown is the number of single-edge edits the vertex can take before any group could be due a
 * change of kind (dense <-> listed: Engine #adaptSlack) or a dense group's count could leave its bound's
 * window (`windowSlack`), whichever is fewer, and at most 2^31 - 1 (a WebGPU batch sets its top bit to
 * tell the host that it rebuilt the table). While it covers the edits, the adaption pass and the check of
 * the dense groups' windows are skipped (a listed group's own window and its sparse <-> regular change are
 * checked as its members are edited), so a streaming edit of a hub moves its dense groups' counts and
 * nothing else. The mask lets it find its listed groups without reading their kinds.
 *
 * The alias table is built over bounded masses `B_k 2^k` with `B_k = groupBound(c_k) >= c_k`, and a draw
 * that picks group k keeps it with probability c_k / B_k (otherwise it draws a group again), so group k is
 * chosen with probability `c_k 2^k / W`. A listed group draws r uniform in {0..B_k-1} (WalkRng.int) and is
 * kept when r < c_k: a kept r is uniform in {0..c_k-1}, its member index. A dense group needs no member
 * index (its member is found by rejection over the slots), so it is kept by the word that split its alias
 * column (`keepDense`): one draw fewer per sample. An edit only rebuilds the table when a count leaves its
 * bound's window (`boundHolds`), which a single insert or delete on a large group rarely does.
 */
export const GB_WORDS_PER_GROUP = 8;

/**
 * Words allocated for a group block of K groups: 8K, and at least 10 so that the kernels' four-group steps
 * (v128 loads of four counts) stay inside the block when K = 1 and the dense mask has a word of its own.
 */
export function groupBlockWords(K: number): number {
  return Math.max(GB_WORDS_PER_GROUP * K, 10);
}

/** The group block's countdown word (see above): the last word of the alias construction's scratch. */
export function groupCountdownWord(K: number): number {
  return 8 * K - 1;
}

/** The group block's dense-mask word (bit k: group k is dense): the word before the countdown, or 8 when K = 1. */
export function groupDenseMaskWord(K: number): number {
  return K === 1 ? 8 : 8 * K - 2;
}

/** The count bound a rebuild gives a group of `c` members: 0 for an empty group, else c + c/8 + 1. */
export function groupBound(c: number): number {
  return c === 0 ? 0 : c + (c >>> 3) + 1;
}

/**
 * Whether a draw keeps the dense group (count c, bound b >= c) that its alias column's split picked. The
 * split compares a uniform 32-bit word u with the column's threshold t: the small group takes u < t, the
 * alias u >= t. Given its side, u is uniform on it, so with `off` the offset of u in that side and `num`
 * the side's number of words (t, or 2^32 - t), `off * b < num * c` holds for ceil(num c / b) of the num
 * words: the keep probability is c / b to within one word in 2^32 of the column's share, the resolution of
 * the split itself (t = floor(2^32 a_j / W)). The products reach 2^64, so they are compared as exact 32-bit
 * halves. The kernels compute the same comparison in u64 (kernels-as/walk.ts) and in u32 halves
 * (kernels-wgsl/walk.wgsl keep_dense).
 */
export function keepDense(u: number, t: number, c: number, b: number): boolean {
  const small = u < t;
  const off = small ? u : u - t;
  const lh = mulhi(off, b), ll = Math.imul(off, b) >>> 0;
  let rh = c, rl = 0; // num = 2^32 when t = 0 and u is on the alias side
  if (small || t !== 0) {
    const num = small ? t : 2 ** 32 - t;
    rh = mulhi(num, c);
    rl = Math.imul(num, c) >>> 0;
  }
  return lh < rh || (lh === rh && ll < rl);
}

/**
 * Whether bound `b` still serves count `c` without a rebuild: c <= b <= c + c/4 + 1, so a draw of the group
 * is kept with probability c / b >= c / (c + c/4 + 1): about 4/5 for a large group, 1/2 for a group of one.
 * Bounds are 0 or at least 2, so for an empty group this says b = 0 (it cannot be drawn).
 */
export function boundHolds(c: number, b: number): boolean {
  return c <= b && b <= c + (c >>> 2) + 1;
}

/**
 * How many single-edge edits (each moves c by one) a count c inside bound b's window (`boundHolds`, b >= 1)
 * can take and stay inside it: up to b - c increments, and decrements down to the least x with
 * x + x/4 + 1 >= b, which is (b - 1) - floor((b - 1) / 5).
 */
export function windowSlack(c: number, b: number): number {
  const y = b - 1;
  return Math.min(b - c, c - (y - Math.floor(y / 5)));
}
/** Smallest slot capacity (log2). */
export const MIN_CAPLOG = 2;
/** Marks "no dirty prefix" for ITS. */
export const CLEAN = 0xffffffff;
/** Walk entries past the end of a walk. */
export const NO_VERTEX = 0xffffffff;
/** Multiplier of the dst hash (Fibonacci hashing). */
export const HASH_MUL = 0x9e3779b1;
