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
 * Samplers: Bingo, alias, rejection and uniform (the webgpu backend's). Limits: a touched vertex may hold at
 * most 2^27 - 1 edges during a batch (the integer masses stay below 2^64); the pool plus the batch's
 * worst-case room (the bound the host reserves) must fit one storage binding, else the batch is refused
 * before anything changes and must be split. A failure of the device part way through a batch leaves the
 * graph inconsistent (it is not rolled back).
 * On a machine without a GPU the adapter is llvmpipe (a CPU rasterizer): its speed is not a GPU's.
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.ts";
import { BufferUsage, type GpuContext, loadShader, requireBindable } from "../runtime/gpu.ts";
import { type Engine, sizeClass, type StageInput, stageWords, writeStage } from "./engine.ts";
import {
  G_DENSE,
  G_EMPTY,
  G_ONE,
  G_REGULAR,
  G_SPARSE,
  H_ADAPT,
  H_EDGES,
  H_K,
  H_SAMPLER,
  H_TOP,
  H_WORDS,
  S_ALIAS,
  S_BINGO,
  VH_AUX,
  VH_CAPLOG,
  VH_DEG,
  VH_HASH,
  VH_SLOTS,
  VH_WORDS,
} from "./layout.ts";
import type { GpuWalker } from "./webgpu.ts";

/**
 * Largest degree a vertex may reach inside a GPU batch (keeps the integer alias masses below 2^64).
 *
 * @example
 * ```ts
 * import { GPU_MAX_DEGREE } from "./webgpu_update.ts";
 * GPU_MAX_DEGREE; // 134217727
 * ```
 */
export const GPU_MAX_DEGREE = 2 ** 27 - 1;

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

/** Runs `body` with the engine's allocator reporting every block it hands out or links into a free list. */
function tracked<T>(e: Engine, dirty: RangeSet, body: () => T): T {
  e.onBlock = (p, words) => dirty.add(p, words);
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
    dirty.add(gb, 8 * K);
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
    out.add(gb, 6 * K);
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
      dirty.add(gb, 8 * K);
      for (let k = 0; k < K; k++) {
        const meta = m[gb + K + k], kind = meta & 255;
        if (m[gb + k] !== 0 || (kind !== G_SPARSE && kind !== G_REGULAR)) continue;
        e.free(m[gb + 2 * K + k], (meta >>> 8) & 255);
        if (kind === G_REGULAR) e.free(m[gb + 3 * K + k], m[h + VH_CAPLOG]);
        m[gb + K + k] = G_EMPTY;
        m[gb + 2 * K + k] = 0;
        m[gb + 3 * K + k] = 0;
      }
      e.adaptGroups(v);
    } else if (sampler === S_ALIAS) {
      dirty.add(m[h + VH_AUX], 2 * 2 ** m[h + VH_CAPLOG]);
      e.refresh(v);
    }
  }
  dirty.add(0, H_WORDS);
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
  requireBindable(gpu, `the update's ${words} changed words`, 4 * words);
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
 * equal to the host's pool as of version `after`. `reserve` grows the host pool so that the planning and
 * finishing steps cannot run out of words and returns the words it made room for. Throws
 * InvalidArgumentError before any edge changes when a vertex would exceed GPU_MAX_DEGREE, or when the pool
 * plus that room would not fit one storage binding (maxStorageBufferBindingSize; split the batch).
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
  reserve: () => number,
  before: number,
  after: number,
): Promise<void> {
  const gpu = await walker.context();
  for (let r = 0; r < stage.vertices.length; r++) {
    const v = stage.vertices[r], deg = e.degree(v) + stage.insCount[r];
    if (deg > GPU_MAX_DEGREE) {
      throw new InvalidArgumentError(
        `vertex ${v} would hold ${deg} edges during this batch; GPU batches allow at most ${GPU_MAX_DEGREE} ` +
          `per vertex (use the ts or wasm backend, or split the batch)`,
      );
    }
  }
  const words = stageWords(stage);
  const room = reserve();
  const bound = e.m[H_TOP] + room;
  requireBindable(
    gpu,
    `the graph's pool with room for this batch (${bound} u32 words; split the batch)`,
    4 * bound,
  );
  requireBindable(gpu, `the batch (${words} u32 words)`, 4 * words);
  const pipes = await pipelines(gpu);
  const wasCurrent = walker.isCurrent(before, 0);
  try {
    await run(gpu, pipes, walker, e, stage, wasCurrent, before, after);
  } catch (err) {
    // the host's pool may be part way through the batch: the GPU copy is stale, the graph is not usable
    walker.invalidate();
    throw err;
  }
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
): Promise<void> {
  const T = stage.vertices.length, words = stageWords(stage);
  const dirty = new RangeSet();
  tracked(e, dirty, () => plan(e, stage, dirty));
  const m = e.m;
  let pool: { buffer: GPUBuffer; size: number };
  // the GPU copy covers the words in use (below H_TOP), grown on the GPU when the plan allocated past it
  if (wasCurrent) {
    await walker.grow(m[H_TOP]);
    pool = await walker.poolBuffer(m, before, m[H_TOP]);
    await scatterTo(gpu, pipes, pool, m, dirty);
  } else pool = await walker.poolBuffer(m, after, m[H_TOP]);
  walker.invalidate();

  const sdata = new Uint32Array(words);
  writeStage(stage, sdata);
  const p = params(gpu, T), sb = gpu.upload(sdata), status = gpu.upload(new Uint32Array(4));
  const { triples, words: back } = written(e, stage).merged();
  const R = triples.length / 3;
  requireBindable(gpu, `the update's read-back (${back} u32 words)`, 4 * (back + 4));
  const gp = params(gpu, R), rb = gpu.upload(triples);
  const out = gpu.acquire(4 * (back + 4), BufferUsage.STORAGE | BufferUsage.COPY_SRC);
  let got: Uint32Array;
  try {
    const st = { buffer: status, size: 16 };
    await gpu.run(pipes.apply, [p, pool, { buffer: sb, size: 4 * words }, st], grid(gpu, Math.ceil(T / 64)));
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
      `GPU batch update failed (status ${got[0]}: ${got[0] & 1 ? "an unplanned allocation" : ""}${
        got[0] & 2 ? " a missing edge" : ""
      }); the graph is inconsistent`,
    );
  }
  for (let r = 0; r < R; r++) {
    const s = triples[3 * r], o = 4 + triples[3 * r + 2];
    m.set(got.subarray(o, o + triples[3 * r + 1]), s);
  }
  const dirty2 = new RangeSet();
  tracked(e, dirty2, () => finish(e, stage, dirty2));
  await walker.grow(e.m[H_TOP]);
  await scatterTo(gpu, pipes, walker.binding(), e.m, dirty2);
  walker.markCurrent(after);
}
