/**
 * Batched graph updates on WebGPU (kernels-wgsl/walk_update.wgsl): `applyBatch` on the webgpu backend.
 *
 * One batch, validated whole on the host first (all or nothing, as on every backend), runs in four steps:
 *
 * 1. Plan (host, on the host's copy of the pool): grow the slot and hash blocks of every touched vertex to
 *    its degree plus its inserts, and give every Bingo group that receives inserts a list with room for
 *    its count plus those inserts (an empty or one-element group that gets a second member becomes a
 *    sparse list, as its first insert would make it on the host). The edge counter is updated here. After
 *    this step the GPU pass needs no allocation, so the block allocator (free lists in the pool header)
 *    stays a host-only structure.
 * 2. Apply (GPU, one invocation per touched vertex): inserts, then deletes (swap-with-tail in the group
 *    lists through the inverse indices, backward-shift hash deletion, two-phase compaction), then one
 *    index rebuild: Bingo's alias table over the groups (exact integer construction, see below), the
 *    rejection envelope.
 * 3. Read back (GPU -> host): a gather pass copies the words the GPU may have written (each touched
 *    vertex's header, slots, hash, group block, lists and inverse indices) into one buffer, which the
 *    host writes into its pool.
 * 4. Finish (host): free the blocks of list groups that became empty, run group adaption (dense <-> list,
 *    sparse <-> regular, with hysteresis: it allocates and frees, so it stays on the host); the alias
 *    sampler's per-vertex table (float64 Vose over the slots, with scratch from the pool) is rebuilt here.
 *    The words the host wrote in steps 1 and 4 (header, allocated and freed blocks, group blocks) go to
 *    the GPU with a scatter pass.
 *
 * Ownership: the host's pool is authoritative; the GPU buffer is a mirror that a GPU batch keeps equal to
 * it word for word, so walks on the GPU after GPU batches need no upload, and the ts/wasm code (sampling,
 * invariants, the synchronous updates) reads the host's pool as always. A host-side update bumps the
 * graph's version and the next GPU use uploads the pool whole.
 *
 * Alias tables without float64: WGSL has neither f64 nor u64, so the group table is built with exact
 * integers in u32 pairs (masses n c_k 2^k against the total W as "probability 1", thresholds
 * floor(a 2^32 / W)). It represents exactly the group masses, quantised to 2^-32 per column like the
 * host's; its thresholds may differ from the host's float64 construction in the last bits, so a graph
 * updated on the GPU is checked by its invariants and by goodness of fit, not by bit identity with ts
 * walks. The slot arrays, hash tables and group lists are the ts engine's exactly (same edits in the same
 * order), so the edge multiset and slot order equal the ts engine's after the same batches.
 *
 * The GPU copy holds the words in use (below the allocator's top); when a batch allocates past its end it
 * is enlarged by a copy on the GPU, not uploaded again.
 *
 * Samplers: Bingo, alias, rejection and uniform (the webgpu backend's). A touched vertex may hold at most
 * 2^26 - 1 edges during a batch (the integer masses stay below 2^64), else the batch is refused before
 * anything changes.
 *
 * Batches larger than one storage binding: the pool plus the room the host reserves for the batch's
 * vertices (Engine.reserveFor, a worst-case bound known before the dispatch) must fit one storage binding
 * (maxStorageBufferBindingSize). The stage is validated whole and grouped per source vertex, so a batch
 * that does not fit is cut, in vertex order, into parts of whole vertices whose rooms fit beside the pool
 * as it is when the part starts, and the parts run one after another (steps 1-4 each). Each vertex's edits
 * are the same as in one batch, so the edges, slot order, group lists and alias tables are those of one
 * batch (only the addresses of blocks may differ). A vertex whose own room does not fit beside the pool is refused before anything changes with a
 * GpuBatchTooLargeError (its room, the pool's words, the limit); if earlier parts grew the pool so that a
 * later vertex no longer fits, they are rolled back (below) and the same error says so.
 *
 * Checks: after the read-back the host checks each touched vertex's result in O(degree + capacity + K),
 * the order of the words read back (the degree the batch implies, no empty live slot, the total weight,
 * one hash entry per slot, Bingo's group masses and alias shares, the rejection envelope). A pass cut short
 * fails them: llvmpipe (the CPU adapter) stops an invocation's loops after about 65535 iterations in all,
 * without an error, which one vertex with a few hundred deletes among thousands of edges reaches; such a
 * batch fails there (below) and goes through in smaller batches or on the ts or wasm backend.
 *
 * Failures (the device lost, a dispatch or a read-back failing, the kernel reporting an inconsistency, a
 * result failing the checks): the batch is rolled back. Before each part's plan the words it can change that exist already are saved
 * (the global header with the allocator's free lists, each touched vertex's header and blocks: slots,
 * hash, group block, lists, inverse indices or alias table), and every block the allocator hands out during
 * the batch is saved before it is written. On a failure the saved words are written back, the latest copy
 * first, so that every word gets its value before the batch (the pool's capacity stays grown), the GPU copy
 * is invalidated (the next GPU use uploads the pool whole) and a GpuBatchFailedError is thrown: the graph
 * is then as after a rejected batch. The saved words are those of the touched vertices and the blocks the
 * batch allocates, the same order as the words a part reads back from the GPU anyway (GpuWalker.lastBatch
 * counts both), so this is always on.
 * On a machine without a GPU the adapter is llvmpipe (a CPU rasterizer): its speed is not a GPU's.
 *
 * @module
 */
import { InvalidArgumentError, TesseraError } from "../core/errors.ts";
import { BufferUsage, type GpuContext, loadShader } from "../runtime/gpu.ts";
import { type Engine, sizeClass, type StageInput, stageWords, writeStage } from "./engine.ts";
import {
  boundHolds,
  G_DENSE,
  G_EMPTY,
  G_ONE,
  G_REGULAR,
  G_SPARSE,
  groupBlockWords,
  H_ADAPT,
  H_CAP,
  H_EDGES,
  H_K,
  H_SAMPLER,
  H_TOP,
  H_WORDS,
  S_ALIAS,
  S_BINGO,
  S_REJECTION,
  VH_AUX,
  VH_CAPLOG,
  VH_DEG,
  VH_EXTRA,
  VH_HASH,
  VH_SLOTS,
  VH_TOTHI,
  VH_TOTLO,
  VH_WORDS,
} from "./layout.ts";
import type { GpuWalker } from "./webgpu.ts";

/**
 * Largest degree a vertex may reach inside a GPU batch (keeps the integer alias masses below 2^64).
 *
 * @example
 * ```ts
 * import { GPU_MAX_DEGREE } from "./webgpu_update.ts";
 * GPU_MAX_DEGREE; // 67108863
 * ```
 */
export const GPU_MAX_DEGREE = 2 ** 26 - 1;

/**
 * Word ranges of the pool, merged: the words a pass wrote, to copy between host and GPU.
 *
 * @example
 * ```ts
 * import { RangeSet } from "./webgpu_update.ts";
 * const r = new RangeSet();
 * r.add(10, 4);
 * r.add(12, 8);
 * r.merged(); // { triples: [10, 10, 0], words: 10 }: one range of 10 words at 10
 * ```
 */
export class RangeSet {
  #start: number[] = [];
  #len: number[] = [];
  /** Adds words [start, start + len). */
  add(start: number, len: number): void {
    if (len > 0) {
      this.#start.push(start);
      this.#len.push(len);
    }
  }
  /** Whether nothing was added. */
  get empty(): boolean {
    return this.#start.length === 0;
  }
  /** Sorted, merged ranges as (start, len, offset) triples, offsets packing them back to back. */
  merged(): { triples: Uint32Array; words: number } {
    const n = this.#start.length, st = this.#start, ln = this.#len;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => st[a] - st[b]);
    const out: number[] = [];
    let words = 0, cs = -1, ce = -1;
    for (const i of order) {
      const s = st[i], e = s + ln[i];
      if (cs >= 0 && s <= ce) {
        ce = Math.max(ce, e);
        continue;
      }
      if (cs >= 0) {
        out.push(cs, ce - cs, words);
        words += ce - cs;
      }
      cs = s;
      ce = e;
    }
    if (cs >= 0) {
      out.push(cs, ce - cs, words);
      words += ce - cs;
    }
    return { triples: Uint32Array.from(out), words };
  }
}

/**
 * Copies of pool words, taken before a batch changes them, in one growing buffer; `restore` writes them
 * back in reverse order, so a word saved more than once gets its earliest (pre-batch) value.
 *
 * @example
 * ```ts
 * import { Journal } from "./webgpu_update.ts";
 * const m = new Uint32Array([1, 2, 3, 4]), j = new Journal();
 * j.save(m, 1, 2);
 * m[1] = 9;
 * j.save(m, 1, 1); // a later copy of word 1 (9): restored first, then overwritten by the earlier one
 * m.fill(7);
 * j.restore(m); // m: [7, 2, 3, 7]
 * ```
 */
export class Journal {
  #at: number[] = [];
  #len: number[] = [];
  #data: Uint32Array;
  #words = 0;
  /** `capacity`: the words expected (the buffer grows past it when needed; unused words are not touched). */
  constructor(capacity = 1024) {
    this.#data = new Uint32Array(Math.max(16, capacity));
  }
  /** Saves words [start, start + len) of `m`. */
  save(m: Uint32Array, start: number, len: number): void {
    if (len <= 0) return;
    if (this.#words + len > this.#data.length) {
      const d = new Uint32Array(Math.max(2 * this.#data.length, this.#words + len));
      d.set(this.#data.subarray(0, this.#words));
      this.#data = d;
    }
    const d = this.#data, o = this.#words;
    // short ranges (headers, small blocks) by a loop: no view object per range
    if (len <= 64) { for (let i = 0; i < len; i++) d[o + i] = m[start + i]; }
    else d.set(m.subarray(start, start + len), o);
    this.#at.push(start);
    this.#len.push(len);
    this.#words += len;
  }
  /** Words saved so far. */
  get words(): number {
    return this.#words;
  }
  /** Writes every saved range back into `m`, the latest first. */
  restore(m: Uint32Array): void {
    const d = this.#data;
    let o = this.#words;
    for (let i = this.#at.length - 1; i >= 0; i--) {
      const len = this.#len[i], at = this.#at[i];
      o -= len;
      if (len <= 64) { for (let k = 0; k < len; k++) m[at + k] = d[o + k]; }
      else m.set(d.subarray(o, o + len), at);
    }
  }
}

/**
 * Runs `body` with the engine's allocator reporting every block it hands out or links into a free list:
 * to `dirty` (words the host changed) and to `journal` (the block's words before the caller writes them;
 * for a block being freed the copy comes after its link word was written, but such a block belonged to a
 * touched vertex or was handed out in this batch, so an earlier copy of it is in the journal already).
 */
function tracked<T>(e: Engine, dirty: RangeSet, journal: Journal, body: () => T): T {
  e.onBlock = (p, words) => {
    journal.save(e.m, p, words);
    dirty.add(p, words);
  };
  try {
    return body();
  } finally {
    e.onBlock = null;
  }
}

/** Step 1: room for every insert, so that the GPU pass allocates nothing (see the module doc). */
function plan(e: Engine, stage: StageInput, dirty: RangeSet): void {
  const sampler = e.m[H_SAMPLER], K = e.m[H_K], adaptive = e.m[H_ADAPT] !== 0;
  const insK = new Uint32Array(32);
  let net = 0;
  for (let r = 0; r < stage.vertices.length; r++) {
    const v = stage.vertices[r], ic = stage.insCount[r];
    net += ic - stage.delCount[r];
    const h = e.vh(v);
    dirty.add(h, VH_WORDS);
    e.ensureCap(v, e.m[h + VH_DEG] + ic);
    const m = e.m;
    if (sampler !== S_BINGO || ic === 0) continue;
    const gb = m[h + VH_AUX];
    dirty.add(gb, groupBlockWords(K));
    insK.fill(0);
    for (let i = 0; i < ic; i++) {
      const w = stage.ins[2 * (stage.insStart[r] + i) + 1];
      for (let k = 0; k < K; k++) insK[k] += (w >>> k) & 1;
    }
    for (let k = 0; k < K; k++) {
      if (insK[k] === 0) continue;
      const c = m[gb + k], meta = m[gb + K + k], kind = meta & 255, need = c + insK[k];
      if (kind === G_DENSE || (kind === G_EMPTY && adaptive && need === 1)) continue; // no block needed
      if (kind === G_EMPTY || kind === G_ONE) {
        const listKind = adaptive ? G_SPARSE : G_REGULAR, capLog = sizeClass(need);
        const list = e.alloc(capLog);
        if (kind === G_ONE) m[list] = m[gb + 2 * K + k];
        m[gb + K + k] = listKind | (capLog << 8);
        m[gb + 2 * K + k] = list;
        if (listKind === G_REGULAR) m[gb + 3 * K + k] = e.alloc(m[h + VH_CAPLOG]);
      } else {
        const capLog = (meta >>> 8) & 255;
        if (need <= 2 ** capLog) continue;
        const newLog = sizeClass(need), old = m[gb + 2 * K + k], list = e.alloc(newLog);
        m.copyWithin(list, old, old + c);
        e.free(old, capLog);
        m[gb + 2 * K + k] = list;
        m[gb + K + k] = kind | (newLog << 8);
      }
    }
  }
  e.m[H_EDGES] += net;
  dirty.add(0, H_WORDS);
}

/** Step 3's ranges: every word the GPU pass may have written. */
function written(e: Engine, stage: StageInput): RangeSet {
  const m = e.m, sampler = m[H_SAMPLER], K = m[H_K], out = new RangeSet();
  for (let r = 0; r < stage.vertices.length; r++) {
    const h = e.vh(stage.vertices[r]), cap = 2 ** m[h + VH_CAPLOG];
    out.add(h, VH_WORDS);
    out.add(m[h + VH_SLOTS], 2 * cap);
    out.add(m[h + VH_HASH], 2 * cap);
    if (sampler !== S_BINGO) continue;
    const gb = m[h + VH_AUX];
    out.add(gb, groupBlockWords(K)); // counts, meta, lists, inverses, the alias table, bounds, countdown
    for (let k = 0; k < K; k++) {
      const meta = m[gb + K + k], kind = meta & 255;
      if (kind === G_SPARSE || kind === G_REGULAR) out.add(m[gb + 2 * K + k], 2 ** ((meta >>> 8) & 255));
      if (kind === G_REGULAR) out.add(m[gb + 3 * K + k], cap);
    }
  }
  return out;
}

/** Step 4: free emptied lists, adapt groups, rebuild alias tables (host). */
function finish(e: Engine, stage: StageInput, dirty: RangeSet): void {
  const sampler = e.m[H_SAMPLER], K = e.m[H_K];
  for (let r = 0; r < stage.vertices.length; r++) {
    const v = stage.vertices[r], h = e.vh(v);
    const m = e.m;
    dirty.add(h, VH_WORDS);
    if (sampler === S_BINGO) {
      const gb = m[h + VH_AUX];
      dirty.add(gb, groupBlockWords(K));
      for (let k = 0; k < K; k++) {
        const meta = m[gb + K + k], kind = meta & 255;
        if (m[gb + k] !== 0 || (kind !== G_SPARSE && kind !== G_REGULAR)) continue;
        e.free(m[gb + 2 * K + k], (meta >>> 8) & 255);
        if (kind === G_REGULAR) e.free(m[gb + 3 * K + k], m[h + VH_CAPLOG]);
        m[gb + K + k] = G_EMPTY;
        m[gb + 2 * K + k] = 0;
        m[gb + 3 * K + k] = 0;
      }
      e.adaptGroups(v, stage.insCount[r] + stage.delCount[r]);
    } else if (sampler === S_ALIAS) {
      dirty.add(m[h + VH_AUX], 2 * 2 ** m[h + VH_CAPLOG]);
      e.refresh(v, stage.insCount[r] + stage.delCount[r]);
    }
  }
  dirty.add(0, H_WORDS);
}

/**
 * Saves the words a part of a batch can change that exist before it: the global header (allocator heads,
 * top, edge count) and each touched vertex's header and blocks (slots, hash, sampler index: Bingo's group
 * block with its lists and inverse indices, or the alias table). Blocks the part hands out are saved when
 * they are handed out (`tracked`). Proportional to the words of the touched vertices, like the read-back.
 */
function saveOwned(e: Engine, stage: StageInput, journal: Journal): void {
  const m = e.m, sampler = m[H_SAMPLER], K = m[H_K];
  journal.save(m, 0, H_WORDS);
  for (let r = 0; r < stage.vertices.length; r++) {
    const h = e.vh(stage.vertices[r]), capLog = m[h + VH_CAPLOG], cap = capLog ? 2 ** capLog : 0;
    journal.save(m, h, VH_WORDS);
    if (cap > 0) {
      journal.save(m, m[h + VH_SLOTS], 2 * cap);
      journal.save(m, m[h + VH_HASH], 2 * cap);
      if (sampler === S_ALIAS) journal.save(m, m[h + VH_AUX], 2 * cap);
    }
    if (sampler !== S_BINGO || m[h + VH_AUX] === 0) continue;
    const gb = m[h + VH_AUX];
    journal.save(m, gb, groupBlockWords(K));
    for (let k = 0; k < K; k++) {
      const meta = m[gb + K + k], kind = meta & 255;
      if (kind === G_SPARSE || kind === G_REGULAR) {
        journal.save(m, m[gb + 2 * K + k], 2 ** ((meta >>> 8) & 255));
      }
      if (kind === G_REGULAR) journal.save(m, m[gb + 3 * K + k], cap);
    }
  }
}

/** Words of record r in a stage block (see stageWords). */
function recordWords(s: StageInput, r: number): number {
  return 5 + 2 * s.insCount[r] + s.delCount[r];
}

/** Records [r0, r1) of a stage as a stage of their own (its payload copied, offsets rebased). */
function subStage(s: StageInput, r0: number, r1: number): StageInput {
  const i0 = s.insStart[r0], d0 = s.delStart[r0];
  const i1 = s.insStart[r1 - 1] + s.insCount[r1 - 1], d1 = s.delStart[r1 - 1] + s.delCount[r1 - 1];
  return {
    vertices: s.vertices.slice(r0, r1),
    insStart: s.insStart.slice(r0, r1).map((x) => x - i0),
    insCount: s.insCount.slice(r0, r1),
    delStart: s.delStart.slice(r0, r1).map((x) => x - d0),
    delCount: s.delCount.slice(r0, r1),
    ins: s.ins.slice(2 * i0, 2 * i1),
    del: s.del.slice(d0, d1),
  };
}

/**
 * A GPU batch (`applyBatch` on the webgpu backend) touches a vertex whose worst-case room alone does not
 * fit one storage binding beside the graph's pool, so no split of the batch can run it on the GPU. The
 * graph is unchanged (`rolledBack` says whether parts of the batch had run and were undone). The numbers
 * are u32 words.
 *
 * @example
 * ```ts
 * import { GpuBatchTooLargeError } from "./webgpu_update.ts";
 * const err = new GpuBatchTooLargeError(7, 5000, 3000, 4096, false);
 * err.vertex; // 7
 * err instanceof Error; // true (an InvalidArgumentError)
 * ```
 */
export class GpuBatchTooLargeError extends InvalidArgumentError {
  /** The vertex whose room does not fit. */
  readonly vertex: number;
  /** The words the host reserves for that vertex's updates in this batch (Engine.reserveFor). */
  readonly roomWords: number;
  /** The pool's words in use (its allocator top) when the vertex's part would have started. */
  readonly poolWords: number;
  /** The storage-binding limit in words. */
  readonly limitWords: number;
  /** Whether earlier parts of the batch had run (and were rolled back) before the refusal. */
  readonly rolledBack: boolean;
  constructor(vertex: number, roomWords: number, poolWords: number, limitWords: number, rolledBack: boolean) {
    super(
      `vertex ${vertex}'s updates in this batch need room for ${roomWords} u32 words on the GPU beside the ` +
        `graph's pool of ${poolWords} words, ${
          poolWords + roomWords
        } in all, more than one storage binding ` +
        `holds (${limitWords} words)${
          rolledBack ? " once the earlier parts of the batch had grown the pool (they were rolled back)" : ""
        }; the graph is unchanged. Apply that vertex's updates in smaller batches, or use the ts or wasm ` +
        `backend`,
    );
    this.vertex = vertex;
    this.roomWords = roomWords;
    this.poolWords = poolWords;
    this.limitWords = limitWords;
    this.rolledBack = rolledBack;
  }
}

/**
 * A GPU batch failed part way (the device was lost, a dispatch or read-back failed, the kernel reported an
 * inconsistency); the batch was rolled back, so the graph is as it was before it, and the GPU's copy of the
 * pool is uploaded again on the next GPU use. `cause` holds the failure.
 *
 * @example
 * ```ts
 * import { GpuBatchFailedError } from "./webgpu_update.ts";
 * const err = new GpuBatchFailedError("device lost", { cause: new Error("lost") });
 * err.name; // "GpuBatchFailedError"
 * ```
 */
export class GpuBatchFailedError extends TesseraError {}

/** Throws the failure a test asked for (`walker.failAt`) at `step` of sub-batch `part`, once. */
function checkpoint(walker: GpuWalker, step: "plan" | "apply" | "readback" | "finish", part: number): void {
  const f = walker.failAt;
  if (f === null || f.step !== step || (f.part ?? 0) !== part) return;
  walker.failAt = null;
  throw new Error(`injected failure after the ${step} step of sub-batch ${part}`);
}

const TWO32 = 4294967296;

/**
 * Cheap checks of what the GPU pass wrote for each touched vertex, in O(degree + capacity + K) per vertex
 * (the order of the words read back): the degree the stage implies, no empty slot below it, the 64-bit
 * total weight, one hash entry per slot, and for Bingo the group masses against the total and the alias
 * table's shares against the masses (to 1e-6), for rejection the envelope. Returns what is wrong, or null.
 * A pass cut short fails them: llvmpipe, for one, stops an invocation's loops after about 65535 iterations
 * in all, without an error.
 */
function verify(e: Engine, stage: StageInput, deg0: Uint32Array): string | null {
  const m = e.m, sampler = m[H_SAMPLER], K = m[H_K];
  const num = new Float64Array(32);
  for (let r = 0; r < stage.vertices.length; r++) {
    const v = stage.vertices[r], h = e.vh(v), deg = m[h + VH_DEG];
    const want = deg0[r] + stage.insCount[r] - stage.delCount[r];
    if (deg !== want) return `vertex ${v} has degree ${deg}, the batch makes it ${want}`;
    const sp = m[h + VH_SLOTS], cap = 2 ** m[h + VH_CAPLOG], hp = m[h + VH_HASH];
    let lo = 0, hi = 0, mx = 0;
    for (let i = 0; i < deg; i++) {
      const w = m[sp + 2 * i + 1];
      if (w === 0) return `vertex ${v}: live slot ${i} is empty`;
      mx = Math.max(mx, w);
      lo += w;
      if (lo >= TWO32) hi++, lo -= TWO32;
    }
    if (lo !== m[h + VH_TOTLO] || hi !== m[h + VH_TOTHI]) {
      return `vertex ${v}: total weight differs from its slots`;
    }
    let entries = 0;
    for (let i = 0; i < 2 * cap; i++) if (m[hp + i] !== 0) entries++;
    if (entries !== deg) return `vertex ${v}: ${entries} hash entries for ${deg} slots`;
    if (sampler === S_REJECTION && deg > 0 && (m[h + VH_EXTRA] !== mx || m[h + VH_AUX] !== 0)) {
      return `vertex ${v}: rejection envelope ${m[h + VH_EXTRA]}, largest weight ${mx}`;
    }
    if (sampler !== S_BINGO || m[h + VH_AUX] === 0) continue;
    const gb = m[h + VH_AUX];
    let glo = 0, ghi = 0, cols = 0;
    for (let k = 0; k < K; k++) {
      const x = m[gb + k] * 2 ** k; // exact: below 2^26 2^31
      if (x > 0) cols++;
      ghi += Math.floor(x / TWO32);
      glo += x % TWO32;
      if (glo >= TWO32) ghi++, glo -= TWO32;
    }
    if (glo !== lo || ghi !== hi) return `vertex ${v}: group masses differ from the total weight`;
    if (m[h + VH_EXTRA] !== cols) return `vertex ${v}: ${m[h + VH_EXTRA]} alias columns for ${cols} groups`;
    let B = 0;
    for (let k = 0; k < K; k++) {
      const b = m[gb + 6 * K + k];
      if (!boundHolds(m[gb + k], b)) return `vertex ${v}: group ${k} has ${m[gb + k]} members, bound ${b}`;
      B += b * 2 ** k; // the table's total: bounded masses (layout.ts groupBound)
    }
    if (cols === 0) continue;
    num.fill(0);
    for (let j = 0; j < cols; j++) {
      const t = m[gb + 4 * K + j], pair = m[gb + 5 * K + j];
      num[pair & 255] += t / TWO32;
      num[(pair >>> 8) & 255] += 1 - t / TWO32;
    }
    for (let k = 0; k < K; k++) {
      const share = (m[gb + 6 * K + k] * 2 ** k) / B;
      if (Math.abs(num[k] / cols - share) > 1e-6) {
        return `vertex ${v}: the alias table gives group ${k} a share of ${
          num[k] / cols
        }, its bounded mass ${share}`;
      }
    }
  }
  return null;
}

async function pipelines(
  gpu: GpuContext,
): Promise<Record<"apply" | "gather" | "scatter", GPUComputePipeline>> {
  const code = await loadShader("walk_update.wgsl");
  const [apply, gather, scatter] = await Promise.all(
    (["apply", "gather", "scatter"] as const).map((fn) => gpu.pipeline("walk_update.wgsl", code, fn)),
  );
  return { apply, gather, scatter };
}

function grid(gpu: GpuContext, groups: number): [number, number] {
  const gx = Math.max(1, Math.min(groups, gpu.limits.maxComputeWorkgroupsPerDimension));
  return [gx, Math.ceil(groups / gx)];
}

function params(gpu: GpuContext, count: number): GPUBuffer {
  return gpu.upload(new Uint32Array([count, 0, 0, 0]), BufferUsage.UNIFORM);
}

/** Copies the host's words of `ranges` into the GPU pool with one scatter pass. */
async function scatterTo(
  gpu: GpuContext,
  walker: GpuWalker,
  pipes: Record<"scatter", GPUComputePipeline>,
  pool: { buffer: GPUBuffer; size: number },
  m: Uint32Array,
  ranges: RangeSet,
): Promise<void> {
  if (ranges.empty) return;
  const { triples, words } = ranges.merged();
  const R = triples.length / 3, data = new Uint32Array(words);
  for (let r = 0; r < R; r++) {
    const s = triples[3 * r];
    data.set(m.subarray(s, s + triples[3 * r + 1]), triples[3 * r + 2]);
  }
  walker.requireBindable(gpu, `the update's ${words} changed words`, 4 * words);
  const p = params(gpu, R), rb = gpu.upload(triples), db = gpu.upload(data);
  try {
    await gpu.run(pipes.scatter, [p, pool, null, null, { buffer: rb, size: triples.byteLength }, {
      buffer: db,
      size: 4 * words,
    }], grid(gpu, R));
  } finally {
    gpu.release(p, rb, db);
  }
}

/**
 * Applies a validated stage on the GPU (steps 1-4 of the module doc), keeping the walker's pool buffer
 * equal to the host's pool as of version `after`. The stage is cut into parts of whole vertices (in vertex
 * order) whose worst-case room fits one storage binding beside the pool, run one after another; the
 * words they can change are saved first, so that any failure rolls the whole batch back. Throws
 * InvalidArgumentError before anything changes when a vertex would exceed GPU_MAX_DEGREE,
 * GpuBatchTooLargeError when one vertex's room cannot fit (before anything changes, or after rolling back
 * the parts that ran when they grew the pool past the point where it fits), GpuBatchFailedError when the
 * device failed part way (rolled back).
 *
 * @example
 * ```ts
 * import { DynamicGraph } from "./graph.ts";
 * const g = new DynamicGraph({ numVertices: 3, backend: "webgpu" });
 * // applyBatch routes through applyStageGpu on this backend:
 * // await g.applyBatch({ insert: { src: new Uint32Array([0]), dst: new Uint32Array([1]), weight: new Float64Array([2]) } });
 * ```
 */
export async function applyStageGpu(
  walker: GpuWalker,
  e: Engine,
  stage: StageInput,
  before: number,
  after: number,
): Promise<void> {
  const gpu = await walker.context();
  const T = stage.vertices.length;
  const room = new Float64Array(T);
  for (let r = 0; r < T; r++) {
    const v = stage.vertices[r], deg = e.degree(v) + stage.insCount[r];
    if (deg > GPU_MAX_DEGREE) {
      throw new InvalidArgumentError(
        `vertex ${v} would hold ${deg} edges during this batch; GPU batches allow at most ${GPU_MAX_DEGREE} ` +
          `per vertex (use the ts or wasm backend, or split the batch)`,
      );
    }
    // read-only; a vertex's room does not change until its own part runs (parts are disjoint)
    room[r] = e.reserveFor(v, stage.insCount[r], stage.delCount[r]);
  }
  const limit = Math.floor(walker.bindingLimit(gpu) / 4), top0 = e.m[H_TOP];
  for (let r = 0; r < T; r++) {
    // a record's stage words are below its room (24 words per slot of capacity), checked for safety
    if (top0 + room[r] > limit || 1 + recordWords(stage, r) > limit) {
      throw new GpuBatchTooLargeError(stage.vertices[r], room[r], top0, limit, false);
    }
  }
  const pipes = await pipelines(gpu);
  // room >= the words a vertex owns plus those its updates allocate, in practice, and the pool in use
  // bounds the words owned: one buffer, rarely regrown
  const journal = new Journal(Math.min(room.reduce((a, x) => a + x, 0), top0) + H_WORDS);
  const stats = { parts: 0, savedWords: 0, readWords: 0 };
  walker.lastBatch = stats;
  try {
    for (let r0 = 0; r0 < T;) {
      // the largest run of whole vertices from r0 whose rooms fit beside the pool as it is now
      const top = e.m[H_TOP];
      let r1 = r0, words = 0, sw = 1;
      while (r1 < T && top + words + room[r1] <= limit && sw + recordWords(stage, r1) <= limit) {
        words += room[r1];
        sw += recordWords(stage, r1);
        r1++;
      }
      if (r1 === r0) throw new GpuBatchTooLargeError(stage.vertices[r0], room[r0], top, limit, true);
      const part = r0 === 0 && r1 === T ? stage : subStage(stage, r0, r1);
      e.reserve(words);
      saveOwned(e, part, journal);
      const from = stats.parts === 0 ? before : after;
      await run(gpu, pipes, walker, e, part, walker.isCurrent(from, 0), from, after, journal, stats);
      stats.parts++;
      r0 = r1;
    }
  } catch (err) {
    // back to the pool before the batch (its capacity stays: more room is not a change of the graph)
    const cap = e.m[H_CAP];
    journal.restore(e.m);
    e.m[H_CAP] = cap;
    walker.invalidate();
    stats.savedWords = journal.words;
    if (err instanceof TesseraError) throw err;
    throw new GpuBatchFailedError(
      `the GPU batch update failed (${err instanceof Error ? err.message : String(err)}); it was rolled ` +
        `back: the graph is as it was before the batch, and the GPU's copy of it is uploaded again on the ` +
        `next GPU use`,
      { cause: err },
    );
  }
  stats.savedWords = journal.words;
}

async function run(
  gpu: GpuContext,
  pipes: Record<"apply" | "gather" | "scatter", GPUComputePipeline>,
  walker: GpuWalker,
  e: Engine,
  stage: StageInput,
  wasCurrent: boolean,
  before: number,
  after: number,
  journal: Journal,
  stats: { parts: number; readWords: number },
): Promise<void> {
  const T = stage.vertices.length, words = stageWords(stage), part = stats.parts;
  const deg0 = Uint32Array.from(stage.vertices, (v) => e.degree(v));
  const dirty = new RangeSet();
  tracked(e, dirty, journal, () => plan(e, stage, dirty));
  checkpoint(walker, "plan", part);
  const m = e.m;
  let pool: { buffer: GPUBuffer; size: number };
  // the GPU copy covers the words in use (below H_TOP), grown on the GPU when the plan allocated past it
  if (wasCurrent) {
    await walker.grow(m[H_TOP]);
    pool = await walker.poolBuffer(m, before, m[H_TOP]);
    await scatterTo(gpu, walker, pipes, pool, m, dirty);
  } else pool = await walker.poolBuffer(m, after, m[H_TOP]);
  walker.invalidate();

  const sdata = new Uint32Array(words);
  writeStage(stage, sdata);
  const { triples, words: back } = written(e, stage).merged();
  const R = triples.length / 3;
  walker.requireBindable(gpu, `the update's read-back (${back} u32 words)`, 4 * (back + 4));
  stats.readWords += back;
  const p = params(gpu, T), sb = gpu.upload(sdata), status = gpu.upload(new Uint32Array(4));
  const gp = params(gpu, R), rb = gpu.upload(triples);
  const out = gpu.acquire(4 * (back + 4), BufferUsage.STORAGE | BufferUsage.COPY_SRC);
  let got: Uint32Array;
  try {
    const st = { buffer: status, size: 16 };
    await gpu.run(pipes.apply, [p, pool, { buffer: sb, size: 4 * words }, st], grid(gpu, Math.ceil(T / 64)));
    checkpoint(walker, "apply", part);
    const gather = [gp, pool, null, st, { buffer: rb, size: triples.byteLength }, {
      buffer: out,
      size: 4 * (back + 4),
    }];
    await gpu.run(pipes.gather, gather, grid(gpu, R));
    got = new Uint32Array(await gpu.readback(out, 4 * (back + 4)));
  } finally {
    gpu.release(p, sb, status, gp, rb, out);
  }
  if (got[0] !== 0) {
    throw new Error(
      `the kernel reported status ${got[0]}:${got[0] & 1 ? " an unplanned allocation" : ""}${
        got[0] & 2 ? " a missing edge" : ""
      }`,
    );
  }
  for (let r = 0; r < R; r++) {
    const s = triples[3 * r], o = 4 + triples[3 * r + 2];
    m.set(got.subarray(o, o + triples[3 * r + 1]), s);
  }
  const f = walker.failAt;
  if (f !== null && f.step === "result" && (f.part ?? 0) === part) {
    // test hook: the result of a pass cut short (the first vertex's degree one off) for the checks to catch
    walker.failAt = null;
    m[e.vh(stage.vertices[0]) + VH_DEG] += 1;
  }
  const wrong = verify(e, stage, deg0);
  if (wrong !== null) {
    throw new Error(
      `the GPU pass's result fails the host's check (${wrong}): the pass was cut short or went wrong ` +
        `(on ${gpu.describe()}; llvmpipe stops an invocation's loops after about 65535 iterations in all)`,
    );
  }
  checkpoint(walker, "readback", part);
  const dirty2 = new RangeSet();
  tracked(e, dirty2, journal, () => finish(e, stage, dirty2));
  checkpoint(walker, "finish", part);
  await walker.grow(e.m[H_TOP]);
  await scatterTo(gpu, walker, pipes, walker.binding(), e.m, dirty2);
  walker.markCurrent(after);
}
