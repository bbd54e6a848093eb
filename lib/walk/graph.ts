/**
 * `DynamicGraph`: a directed, weighted multigraph under streaming and batched edge updates, with weighted
 * neighbour sampling (Bingo's radix factorisation or a baseline sampler) and random walks on it.
 *
 * @module
 */
import {
  BackendUnavailableError,
  describe,
  InvalidArgumentError,
  requireFinite,
  requireInt,
  ShapeMismatchError,
} from "../core/errors.ts";
import { parseBackend } from "../runtime/backend.ts";
import { getPool } from "../runtime/pool.ts";
import { getArena, wasmAvailable } from "../runtime/wasm.ts";
import { Engine, type StageInput, stageWords, writeStage } from "./engine.ts";
import {
  G_DENSE,
  G_EMPTY,
  G_ONE,
  G_REGULAR,
  G_SPARSE,
  H_CAP,
  H_EDGES,
  H_K,
  H_N,
  H_TOP,
  H_USED,
  H_VBASE,
  H_WORDS,
  type SamplerName,
  SAMPLERS,
  VH_AUX,
  VH_DEG,
  VH_SLOTS,
  VH_WORDS,
} from "./layout.ts";
import { ArrayPool, loadWalkKernel, walkKernelSync, walkKernelUnavailable, WasmPool } from "./pool.ts";
import type { KernelExports } from "../runtime/wasm.ts";
import { GPU_SAMPLERS, GpuWalker } from "./webgpu.ts";
import { applyStageGpu } from "./webgpu_update.ts";

await loadWalkKernel();

/** Backends of the walk engine. */
export type WalkBackend = "ts" | "wasm" | "webgpu";

/** Options of `new DynamicGraph`. */
export interface DynamicGraphOptions {
  /** Number of vertices; ids are 0..numVertices-1. */
  numVertices: number;
  /** Neighbour sampler. Default "bingo". "uniform" ignores weights (a speed bound, not a weighted sampler). */
  sampler?: SamplerName;
  /**
   * "ts" (reference), "wasm" (AssemblyScript kernels, walks and batched updates over the worker pool),
   * "webgpu" (walks in WGSL, one invocation per walk, bit-identical to ts/wasm over the same pool; samplers
   * bingo, alias, rejection and uniform; `applyBatch` runs on the GPU (lib/walk/webgpu_update.ts), the
   * synchronous `insertEdges` / `deleteEdges` and `sample` on the host, wasm where it runs), "auto" (wasm
   * where it runs, else ts). Default "auto".
   */
  backend?: WalkBackend | "auto";
  /** Fixed point: weights are stored as round(w * 2^fractionBits). Default 8. */
  fractionBits?: number;
  /** Bits of the stored integer weight (the number of Bingo groups), 1..32. Default 32. */
  weightBits?: number;
  /** Bingo group adaption (dense / one-element / sparse / regular). Default true. */
  adaptive?: boolean;
  /**
   * Bingo: a group with more than alpha x degree members is dense (no list; it goes back to a list below
   * alpha / 2). Default 0.4: below the density 1/2 of a uniformly random weight bit (every bit of uniform
   * weights, the low bits of most others) by more than its spread at degree 100, so such groups start and
   * stay dense instead of each landing on either side of the threshold by chance. At 0.5 a hub of degree
   * 10^5 with uniform 16-bit weights kept about half its groups as lists, which cost 4x the time per edit
   * and 3.6x the bytes per edge, and drew no faster.
   */
  alpha?: number;
  /** Bingo: groups up to this size keep a list without an inverse index. Default 16. */
  sparseMax?: number;
  /** Bingo: vertices below this degree have no dense groups. Default 32. */
  denseMinDegree?: number;
}

/** A batch of updates: inserts first, then deletes. */
export interface EdgeBatch {
  insert?: { src: Uint32Array; dst: Uint32Array; weight: Float64Array };
  delete?: { src: Uint32Array; dst: Uint32Array };
}

/** Options of walks. */
export interface WalkOptions {
  /** One walk per entry. */
  starts: Uint32Array;
  /** Vertices per walk, the start included (length - 1 steps). */
  length: number;
  /** Philox seed; walk i uses stream i. */
  seed: number;
  /** wasm: threads for the walks (default 1). */
  threads?: number;
}

/** Memory use of a graph. */
export interface MemoryStats {
  edges: number;
  /** Bytes of live blocks: slots, hash, sampler index. */
  blockBytes: number;
  /** Global and per-vertex headers. */
  headerBytes: number;
  /** (blockBytes + headerBytes) / edges. */
  bytesPerEdge: number;
  /** blockBytes / edges. */
  blockBytesPerEdge: number;
  /** Bingo: number of groups of each kind. */
  groups: Record<"one" | "sparse" | "regular" | "dense", number>;
}

const U32 = 4294967296;

function requireU32Array(name: string, x: unknown): Uint32Array {
  if (!(x instanceof Uint32Array)) {
    throw new InvalidArgumentError(`${name} must be a Uint32Array, got ${describe(x)}`);
  }
  return x;
}

function requireVertices(name: string, x: Uint32Array, n: number): void {
  for (let i = 0; i < x.length; i++) {
    if (x[i] >= n) {
      throw new InvalidArgumentError(
        `${name}[${i}] = ${x[i]} is not a vertex: vertex ids must be in [0, ${n - 1}]`,
      );
    }
  }
}

/**
 * A dynamic weighted graph with constant-time weighted sampling under edge updates.
 *
 * Weights are stored in fixed point, `round(w * 2^fractionBits)`, an integer in [1, 2^weightBits); Bingo
 * samples proportionally to those integers, exactly up to its alias columns' resolution of 2^-32 (the
 * `alias` sampler's columns have the same). Every update validates the whole batch first and changes
 * nothing when it throws.
 *
 * @example
 * ```ts
 * import { DynamicGraph } from "./graph.ts";
 * const g = new DynamicGraph({ numVertices: 3, sampler: "bingo", backend: "ts" });
 * g.insertEdges(new Uint32Array([0, 0, 1]), new Uint32Array([1, 2, 2]), new Float64Array([1, 3, 1]));
 * const draws = g.sample(0, 1000, 7); // about 750 of them are 2
 * g.deleteEdges(new Uint32Array([0]), new Uint32Array([2]));
 * const walks = await g.deepWalk({ starts: new Uint32Array([0, 1]), length: 4, seed: 1 });
 * // walks: [0, 1, 2, 0xFFFFFFFF, 1, 2, 0xFFFFFFFF, 0xFFFFFFFF] (2 has no out-edges)
 * ```
 */
export class DynamicGraph {
  readonly numVertices: number;
  readonly sampler: SamplerName;
  readonly backend: WalkBackend;
  readonly fractionBits: number;
  readonly weightBits: number;
  readonly adaptive: boolean;
  /** Bingo's group adaption settings (DynamicGraphOptions), as given or defaulted. */
  readonly alpha: number;
  readonly sparseMax: number;
  readonly denseMinDegree: number;
  /** @internal the reference engine over this graph's pool (reads it for every backend). */
  readonly engine: Engine;
  #pool: ArrayPool | WasmPool;
  #kernel: KernelExports | null;
  #scale: number;
  /** The largest stored integer weight, 2^weightBits - 1 (kept: a streaming edit checks it). */
  #maxWeightInt: number;
  #freed = false;
  #gpu: GpuWalker | null;
  /** Bumped by every update (the GPU copy of the pool is re-uploaded when it changed). */
  #version = 0;
  /** A one-record stage for the streaming path of the ts engine (see writeStage). */
  #stage1 = new Uint32Array(8);
  /**
   * The streaming path's reserve terms (Engine.listTerms) of vertex #termsOf, valid while #version is
   * #termsAt: a streaming edit that allocated or freed no block (the allocation count of the kernels or of
   * the ts engine did not move) leaves them as they were, and every other update bumps #version past
   * #termsAt.
   */
  #termsOf = -1;
  #termsAt = -1;
  #terms = { listWords: 0, regular: 0 };
  /** The last streaming edit's bound (Engine.editBound's three numbers), kept with the terms; words -1: none. */
  #boundWords = -1;
  #boundDegMax = -1;
  #boundCountdownAt = -1;
  /** The allocation count (allocs and frees) of the kernels or the ts engine after the last streaming edit. */
  #allocs = -1;
  /** True while a batch is in flight on the GPU or on worker threads (the pool is part way through it). */
  #busy = false;
  /** Walks in flight on worker threads: they read the pool, so edits (and free) wait for them. */
  #walkers = 0;

  constructor(options: DynamicGraphOptions) {
    if (options === null || typeof options !== "object") {
      throw new InvalidArgumentError(`DynamicGraph options must be an object, got ${describe(options)}`);
    }
    this.numVertices = requireInt("numVertices", options.numVertices, 1, 2 ** 27);
    const sampler = options.sampler ?? "bingo";
    if (!SAMPLERS.includes(sampler)) {
      throw new InvalidArgumentError(
        `sampler must be one of ${SAMPLERS.join(", ")}, got ${describe(sampler)}`,
      );
    }
    this.sampler = sampler;
    this.fractionBits = requireInt("fractionBits", options.fractionBits ?? 8, 0, 31);
    this.weightBits = requireInt("weightBits", options.weightBits ?? 32, 1, 32);
    this.adaptive = options.adaptive ?? true;
    if (typeof this.adaptive !== "boolean") {
      throw new InvalidArgumentError(`adaptive must be a boolean, got ${describe(options.adaptive)}`);
    }
    const alpha = this.alpha = requireFinite("alpha", options.alpha ?? 0.4, 0.01, 1);
    const sparseMax = this.sparseMax = requireInt("sparseMax", options.sparseMax ?? 16, 2, 1 << 20);
    const denseMinDegree = this.denseMinDegree = requireInt(
      "denseMinDegree",
      options.denseMinDegree ?? 32,
      1,
      2 ** 31,
    );
    const req = parseBackend(options.backend);
    let backend: WalkBackend;
    if (req === "auto") backend = walkKernelSync() ? "wasm" : "ts";
    else backend = req;
    if (backend === "wasm" && !walkKernelSync()) {
      const why = walkKernelUnavailable() ?? "the walk kernels could not be loaded";
      throw new BackendUnavailableError("wasm", why, ["ts"]);
    }
    if (backend === "webgpu" && !GPU_SAMPLERS.includes(sampler)) {
      throw new BackendUnavailableError(
        "webgpu",
        `the ${sampler} sampler compares float64 values, which WGSL lacks (webgpu walks support ${
          GPU_SAMPLERS.join(", ")
        })`,
        ["ts", "wasm"],
      );
    }
    this.backend = backend;
    this.#kernel = backend === "ts" ? null : walkKernelSync();
    this.#scale = 2 ** this.fractionBits;
    this.#maxWeightInt = 2 ** this.weightBits - 1;
    this.#pool = this.#kernel ? new WasmPool() : new ArrayPool();
    this.#gpu = backend === "webgpu" ? new GpuWalker() : null;
    this.engine = Engine.create(this.#pool, {
      numVertices: this.numVertices,
      weightBits: this.weightBits,
      sampler: SAMPLERS.indexOf(sampler),
      adaptive: this.adaptive,
      alpha,
      sparseMax,
      denseMinDegree,
    });
  }

  #live(): void {
    if (this.#freed) throw new InvalidArgumentError("this DynamicGraph has been freed");
    if (this.#busy) {
      throw new InvalidArgumentError("a batch update of this graph is in flight: await applyBatch first");
    }
  }

  /** #live, and no walk on worker threads is reading the pool. */
  #editable(): void {
    this.#live();
    if (this.#walkers > 0) {
      throw new InvalidArgumentError(
        `${this.#walkers} walk call(s) on worker threads are reading this graph: await them before editing it`,
      );
    }
  }

  /** Number of live edges. */
  get numEdges(): number {
    return this.engine.m[H_EDGES];
  }

  /** Out-degree of v. */
  degree(v: number): number {
    requireInt("v", v, 0, this.numVertices - 1);
    return this.engine.degree(v);
  }

  /** v's out-edges in slot order: destinations, weights (as stored, i.e. rounded) and stored integers. */
  neighbors(v: number): { dst: Uint32Array; weight: Float64Array; weightInt: Uint32Array } {
    requireInt("v", v, 0, this.numVertices - 1);
    const deg = this.engine.degree(v);
    const dst = new Uint32Array(deg), weightInt = new Uint32Array(deg), weight = new Float64Array(deg);
    for (let i = 0; i < deg; i++) {
      dst[i] = this.engine.dst(v, i);
      weightInt[i] = this.engine.weight(v, i);
      weight[i] = weightInt[i] / this.#scale;
    }
    return { dst, weight, weightInt };
  }

  /** Number of (src, dst) edges (multi-edges count separately). */
  countEdges(src: number, dst: number): number {
    requireInt("src", src, 0, this.numVertices - 1);
    requireInt("dst", dst, 0, this.numVertices - 1);
    return this.engine.countEdges(src, dst);
  }

  /** The stored integer of weight w, or an error saying why w cannot be stored. */
  weightToInt(w: number, where = "weight"): number {
    if (typeof w !== "number" || !Number.isFinite(w) || !(w > 0)) {
      throw new InvalidArgumentError(`${where} = ${describe(w)}: weights must be finite numbers > 0`);
    }
    const wi = Math.round(w * this.#scale);
    const max = this.#maxWeightInt;
    if (wi < 1) {
      throw new InvalidArgumentError(
        `${where} = ${w} rounds to 0 in fixed point with ${this.fractionBits} fraction bits; ` +
          `the smallest storable weight is ${0.5 / this.#scale} (raise fractionBits)`,
      );
    }
    if (wi > max) {
      throw new InvalidArgumentError(
        `${where} = ${w} exceeds the largest storable weight ${max / this.#scale} ` +
          `(weightBits ${this.weightBits}, fractionBits ${this.fractionBits})`,
      );
    }
    return wi;
  }

  /**
   * Inserts edges (src[i], dst[i], weight[i]) as one batch; one edge is a batch of length 1 (the
   * streaming path). Multi-edges are allowed.
   */
  insertEdges(src: Uint32Array, dst: Uint32Array, weight: Float64Array): void {
    if (
      src instanceof Uint32Array && src.length === 1 && dst instanceof Uint32Array && dst.length === 1 &&
      weight instanceof Float64Array && weight.length === 1 && !this.#freed && !this.#busy &&
      this.#walkers === 0
    ) {
      this.#insertOne(src[0], dst[0], weight[0]);
      return;
    }
    this.#applySync({ insert: { src, dst, weight } });
  }

  /** Deletes one (src[i], dst[i]) edge per entry; a missing edge is an error and nothing changes. */
  deleteEdges(src: Uint32Array, dst: Uint32Array): void {
    if (
      src instanceof Uint32Array && src.length === 1 && dst instanceof Uint32Array && dst.length === 1 &&
      !this.#freed && !this.#busy && this.#walkers === 0
    ) {
      this.#deleteOne(src[0], dst[0]);
      return;
    }
    this.#applySync({ delete: { src, dst } });
  }

  /**
   * The streaming insert: the same checks as a batch of one (and the same errors), without building a
   * stage: no allocation on the wasm path, and the kernel is called straight away.
   */
  #insertOne(s: number, d: number, w: number): void {
    const n = this.numVertices;
    if (s >= n) requireVertices("src", this.#one(s), n);
    if (d >= n) requireVertices("dst", this.#one(d), n);
    // weightToInt decides (and explains) every weight the fast check rules out
    let wi = Math.round(w * this.#scale);
    if (!(wi >= 1 && wi <= this.#maxWeightInt)) wi = this.weightToInt(w, "weight[0]");
    const e = this.engine, words = this.#streamReserve(s), m = e.m;
    if (m[H_CAP] - m[H_TOP] < words) e.reserve(words);
    this.#version++;
    const k = this.#kernel;
    if (k !== null) {
      this.#streamed(k.insert_one((this.#pool as WasmPool).ptr, s, d, wi) as number);
      return;
    }
    const buf = this.#stage1;
    buf[0] = 1;
    buf[1] = s;
    buf[2] = 6;
    buf[3] = 1;
    buf[4] = 8;
    buf[5] = 0;
    buf[6] = d;
    buf[7] = wi;
    e.applyRecord(buf, 0);
    this.#streamed(e.allocations);
  }

  /**
   * Words to reserve before one streaming edit of s: Engine.reserveForEdit from the cached reserve terms
   * (afresh when they are not s's current ones), or the full bound (Engine.reserveFor, which scans s's
   * groups) when that cannot rule out a dense group turning back into a list. The last edit's bound is kept
   * with the terms (Engine.editBound says while it holds), so a run of edits on one vertex reads two words
   * of the pool per edit to know its room.
   */
  #streamReserve(s: number): number {
    const e = this.engine, fresh = this.#termsOf === s && this.#termsAt === this.#version;
    if (fresh && this.#boundWords >= 0) {
      // nothing allocated since the bound was found: it holds while the degree and countdown allow
      const m = e.m, at = this.#boundCountdownAt;
      if (m[m[H_VBASE] + VH_WORDS * s + VH_DEG] <= this.#boundDegMax && (at < 0 || m[at] >= 1)) {
        return this.#boundWords;
      }
    }
    if (!fresh) {
      this.#terms = e.listTerms(s);
      this.#termsOf = s;
    }
    const nb = e.editBound(s, this.#terms);
    this.#boundWords = nb.words;
    this.#boundDegMax = nb.degMax;
    this.#boundCountdownAt = nb.countdownAt;
    return nb.words >= 0 ? nb.words : e.reserveFor(s, 1, 1); // at least the bound of one insert and of one delete
  }

  /** @internal the words the next streaming edit of s reserves (#streamReserve; tests check the bound). */
  streamReserveWords(s: number): number {
    return this.#streamReserve(s);
  }

  /** After a streaming edit, given the allocation count it returned: keep the terms or drop them. */
  #streamed(allocs: number): void {
    this.#termsAt = allocs === this.#allocs ? this.#version : -1;
    this.#allocs = allocs;
  }

  /** The streaming delete (see #insertOne); a missing edge throws before anything changes. */
  #deleteOne(s: number, d: number): void {
    const n = this.numVertices;
    if (s >= n) requireVertices("src", this.#one(s), n);
    if (d >= n) requireVertices("dst", this.#one(d), n);
    const e = this.engine;
    const k = this.#kernel;
    const words = this.#streamReserve(s); // the index rebuild may turn a dense group back into a list
    if (k === null || e.m[H_CAP] - e.m[H_TOP] < words) {
      // looked up before the pool is grown, so a rejected delete leaves every word as it was
      if (e.hashFind(e.vh(s), d) < 0) throw missingEdge(s, d);
      e.reserve(words);
    }
    if (k !== null) {
      // delete_one changes nothing and returns -1 when there is no such edge
      const r = k.delete_one((this.#pool as WasmPool).ptr, s, d) as number;
      if (r < 0) throw missingEdge(s, d);
      this.#version++;
      this.#streamed(r);
      return;
    }
    this.#version++;
    const buf = this.#stage1;
    buf[0] = 1;
    buf[1] = s;
    buf[2] = 6;
    buf[3] = 0;
    buf[4] = 6;
    buf[5] = 1;
    buf[6] = d;
    e.applyRecord(buf, 0);
    this.#streamed(e.allocations);
  }

  #one(x: number): Uint32Array {
    return new Uint32Array([x]);
  }

  /**
   * Applies a batch (inserts, then deletes) in one pass: sorted by source, one index rebuild per touched
   * vertex. On wasm with `threads > 1` the vertices are split over the worker pool; on webgpu the batch
   * runs on the GPU, one invocation per touched vertex (lib/walk/webgpu_update.ts), and leaves the GPU's
   * copy of the graph current for the next walk.
   *
   * The whole batch is validated first: a rejected batch changes nothing (all or nothing, every backend).
   *
   * Limits on webgpu: the pool plus a batch's worst-case room (what the host reserves per touched vertex)
   * must fit one storage binding (maxStorageBufferBindingSize). A batch that does not fit is cut into parts
   * of whole vertices that do, applied one after another, with the result of the batch applied at once
   * (same edges, slot order and sampler state). Only a vertex whose own room cannot fit beside the pool is
   * refused, with a GpuBatchTooLargeError (lib/walk/webgpu_update.ts) that gives the numbers, and the graph
   * unchanged: apply that vertex's updates in smaller batches or use the ts or wasm backend. A vertex may
   * hold at most GPU_MAX_DEGREE (2^26 - 1) edges during a GPU batch (InvalidArgumentError, nothing changed).
   * If the device fails part way, or the GPU's result fails the host's checks (llvmpipe, the CPU adapter,
   * cuts an invocation short after about 65535 loop iterations: a vertex with hundreds of deletes among
   * thousands of edges), the batch is rolled back (the graph is as before it, its GPU copy is uploaded
   * again on the next GPU use) and a GpuBatchFailedError is thrown.
   *
   * @example
   * ```ts
   * import { DynamicGraph } from "./graph.ts";
   * const g = new DynamicGraph({ numVertices: 3 });
   * await g.applyBatch({
   *   insert: { src: new Uint32Array([0, 0]), dst: new Uint32Array([1, 2]), weight: new Float64Array([1, 3]) },
   *   delete: { src: new Uint32Array([0]), dst: new Uint32Array([1]) },
   * });
   * g.degree(0); // 1
   * ```
   */
  async applyBatch(batch: EdgeBatch, options: { threads?: number } = {}): Promise<void> {
    const threads = requireInt("threads", options.threads ?? 1, 1, 256);
    const stage = this.#validate(batch);
    if (!stage) return;
    if (this.#gpu) {
      const before = this.#version;
      this.#busy = true;
      try {
        await applyStageGpu(this.#gpu, this.engine, stage, before, before + 1);
      } finally {
        this.#version = before + 1;
        this.#busy = false;
      }
      return;
    }
    if (this.#kernel && threads > 1) await this.#runStage(stage, threads);
    else this.#runStageSync(stage);
  }

  #applySync(batch: EdgeBatch): void {
    const stage = this.#validate(batch);
    if (stage) this.#runStageSync(stage);
  }

  /** Validates a whole batch; returns its stage (or null when empty). Changes nothing. */
  #validate(batch: EdgeBatch): StageInput | null {
    this.#editable();
    if (batch === null || typeof batch !== "object") {
      throw new InvalidArgumentError(`batch must be an object { insert?, delete? }, got ${describe(batch)}`);
    }
    const n = this.numVertices;
    let insSrc: Uint32Array = new Uint32Array(0),
      insDst: Uint32Array = insSrc,
      insW: Uint32Array = new Uint32Array(0);
    if (batch.insert !== undefined) {
      const { src, dst, weight } = batch.insert;
      requireU32Array("src", src);
      requireU32Array("dst", dst);
      if (!(weight instanceof Float64Array)) {
        throw new InvalidArgumentError(`weight must be a Float64Array, got ${describe(weight)}`);
      }
      if (dst.length !== src.length || weight.length !== src.length) {
        throw new ShapeMismatchError(
          `src, dst and weight must have the same length, got ${src.length}, ${dst.length}, ${weight.length}`,
        );
      }
      requireVertices("src", src, n);
      requireVertices("dst", dst, n);
      insW = new Uint32Array(src.length);
      const scale = this.#scale, max = this.#maxWeightInt;
      for (let i = 0; i < src.length; i++) {
        // weightToInt decides (and explains) every weight the fast check rules out
        const wi = Math.round(weight[i] * scale);
        insW[i] = wi >= 1 && wi <= max ? wi : this.weightToInt(weight[i], `weight[${i}]`);
      }
      insSrc = src;
      insDst = dst;
    }
    let delSrc: Uint32Array = new Uint32Array(0), delDst: Uint32Array = delSrc;
    if (batch.delete !== undefined) {
      const { src, dst } = batch.delete;
      requireU32Array("src", src);
      requireU32Array("dst", dst);
      if (dst.length !== src.length) {
        throw new ShapeMismatchError(
          `src and dst must have the same length, got ${src.length}, ${dst.length}`,
        );
      }
      requireVertices("src", src, n);
      requireVertices("dst", dst, n);
      delSrc = src;
      delDst = dst;
      if (src.length === 1 && insSrc.length === 0) {
        if (this.engine.countEdges(src[0], dst[0]) === 0) throw missingEdge(src[0], dst[0]);
      }
    }
    if (insSrc.length === 0 && delSrc.length === 0) return null;
    const stage = buildStage(n, insSrc, insDst, insW, delSrc, delDst);
    if (delSrc.length > 1 || (delSrc.length === 1 && insSrc.length > 0)) {
      this.#checkDeletes(stage, batch.insert !== undefined);
    }
    return stage;
  }

  /**
   * Whether the graph, with the stage's inserts, holds every edge the stage deletes as many times as it
   * deletes it; throws for the first (source, destination) in ascending order that it does not.
   */
  #checkDeletes(stage: StageInput, withInserts: boolean): void {
    for (let r = 0; r < stage.vertices.length; r++) {
      const dc = stage.delCount[r];
      if (dc === 0) continue;
      const v = stage.vertices[r], ds = stage.del.slice(stage.delStart[r], stage.delStart[r] + dc).sort();
      const ic = stage.insCount[r], io = stage.insStart[r];
      const ins = ic === 0
        ? null
        : Uint32Array.from({ length: ic }, (_, e) => stage.ins[2 * (io + e)]).sort();
      let a = 0; // the first insert of ins not below the current d
      for (let i = 0; i < dc;) {
        const d = ds[i];
        let j = i + 1;
        while (j < dc && ds[j] === d) j++;
        let added = 0;
        if (ins !== null) {
          while (a < ic && ins[a] < d) a++;
          while (a + added < ic && ins[a + added] === d) added++;
        }
        const have = this.engine.countEdges(v, d) + added;
        if (have < j - i) {
          throw new InvalidArgumentError(
            `cannot delete edge (${v}, ${d}) ${j - i} time(s): the graph ${
              withInserts ? "(with this batch's inserts) " : ""
            }has ${have}`,
          );
        }
        i = j;
      }
    }
  }

  /** Grows the pool for a stage; returns the words it made room for. */
  #reserveStage(stage: StageInput): number {
    let words = 0;
    for (let r = 0; r < stage.vertices.length; r++) {
      words += this.engine.reserveFor(stage.vertices[r], stage.insCount[r], stage.delCount[r]);
    }
    this.engine.reserve(words);
    return words;
  }

  #runStageSync(stage: StageInput): void {
    this.#reserveStage(stage);
    this.#version++;
    const T = stage.vertices.length;
    if (this.#kernel === null) {
      const buf = new Uint32Array(stageWords(stage));
      writeStage(stage, buf);
      for (let r = 0; r < T; r++) this.engine.applyRecord(buf, r);
      return;
    }
    const k = this.#kernel!;
    const pool = this.#pool as WasmPool;
    if (T === 1 && stage.del.length === 0 && stage.ins.length === 2) {
      k.insert_one(pool.ptr, stage.vertices[0], stage.ins[0], stage.ins[1]);
      return;
    }
    if (T === 1 && stage.ins.length === 0 && stage.del.length === 1) {
      k.delete_one(pool.ptr, stage.vertices[0], stage.del[0]);
      return;
    }
    const arena = getArena();
    const words = stageWords(stage);
    const block = arena.alloc(words * 4);
    try {
      writeStage(stage, arena.u32(block.ptr, words));
      k.apply_stage(pool.ptr, block.ptr, 0, T);
    } finally {
      arena.free(block);
    }
  }

  async #runStage(stage: StageInput, threads: number): Promise<void> {
    this.#reserveStage(stage);
    this.#version++;
    const arena = getArena();
    const words = stageWords(stage);
    const block = arena.alloc(words * 4);
    // workers edit the pool until the stage ends: every other use of the graph waits for it (#live)
    this.#busy = true;
    try {
      writeStage(stage, arena.u32(block.ptr, words));
      const pool = await getPool(threads);
      await pool.parallelFor(
        "walk",
        "apply_stage",
        [(this.#pool as WasmPool).ptr, block.ptr],
        0,
        stage.vertices.length,
      );
    } finally {
      this.#busy = false;
      arena.free(block);
    }
  }

  #seed(seed: number): [number, number] {
    requireInt("seed", seed, 0);
    return [seed % U32 >>> 0, Math.floor(seed / U32) >>> 0];
  }

  /** `count` weighted draws from u's out-neighbours (Philox(seed, stream 0)). */
  sample(u: number, count: number, seed: number): Uint32Array {
    this.#live();
    requireInt("u", u, 0, this.numVertices - 1);
    requireInt("count", count, 0, 2 ** 31);
    const [lo, hi] = this.#seed(seed);
    if (this.engine.degree(u) === 0) {
      throw new InvalidArgumentError(`vertex ${u} has no out-edges: there is nothing to sample`);
    }
    const out = new Uint32Array(count);
    if (this.#kernel === null) {
      this.engine.sampleMany(u, count, lo, hi, out);
      return out;
    }
    const arena = getArena();
    const block = arena.alloc(count * 4);
    try {
      this.#kernel!.sample_many((this.#pool as WasmPool).ptr, u, count, lo, hi, block.ptr);
      out.set(arena.u32(block.ptr, count));
    } finally {
      arena.free(block);
    }
    return out;
  }

  #walkArgs(o: WalkOptions, name: string): { starts: Uint32Array; length: number; lo: number; hi: number } {
    this.#live();
    if (o === null || typeof o !== "object") {
      throw new InvalidArgumentError(`${name} options must be an object, got ${describe(o)}`);
    }
    const starts = requireU32Array("starts", o.starts);
    requireVertices("starts", starts, this.numVertices);
    const length = requireInt("length", o.length, 1, 2 ** 24);
    if (starts.length * length > 2 ** 28) {
      throw new InvalidArgumentError(
        `starts.length x length = ${starts.length * length} exceeds 2^28 entries; split the walks`,
      );
    }
    const [lo, hi] = this.#seed(o.seed);
    return { starts, length, lo, hi };
  }

  async #wasmWalk(
    fn: string,
    starts: Uint32Array,
    outLen: number,
    args: (sp: number, op: number) => number[],
    threads: number,
  ): Promise<Uint32Array> {
    const arena = getArena();
    const n = starts.length;
    const sb = arena.alloc(n * 4), ob = arena.alloc(outLen * 4), cb = arena.alloc(16);
    try {
      arena.u32(sb.ptr, n).set(starts);
      const a = args(sb.ptr, ob.ptr);
      if (threads === 1 || n < 2) this.#kernel![fn](...a, 0, n);
      else {
        // dynamic scheduling: every thread claims chunks of walks from a shared counter, so skewed walk
        // lengths (and a core slowed down by another process) do not leave a thread idle
        arena.u32(cb.ptr, 4).fill(0);
        const grain = Math.max(1, Math.min(256, Math.floor(n / (threads * 16))));
        this.#walkers++;
        try {
          const pool = await getPool(threads);
          await pool.parallelFor("walk", `${fn}_dyn`, [...a, cb.ptr, n, grain], 0, Math.min(threads, n));
        } finally {
          this.#walkers--;
        }
      }
      return arena.u32(ob.ptr, outLen).slice();
    } finally {
      arena.free(sb);
      arena.free(ob);
      arena.free(cb);
    }
  }

  /**
   * Weighted (biased DeepWalk) walks: starts.length x length vertices, row i the walk from starts[i]
   * (entry 0 is the start). A walk that reaches a vertex with no out-edges stops there; its remaining
   * entries are 0xFFFFFFFF. Walk i draws from Philox(seed, stream i), so every backend and thread count
   * gives the same walks.
   */
  async deepWalk(options: WalkOptions): Promise<Uint32Array> {
    const { starts, length, lo, hi } = this.#walkArgs(options, "deepWalk");
    const threads = requireInt("threads", options.threads ?? 1, 1, 256);
    const out = new Uint32Array(starts.length * length);
    if (this.#gpu) {
      return await this.#gpu.walk(this.engine.m, this.#version, "deepwalk", starts, length, lo, hi, {});
    }
    if (this.backend === "ts") {
      this.engine.deepWalk(starts, length, lo + hi * U32, out, 0, starts.length);
      return out;
    }
    const pool = this.#pool as WasmPool;
    return await this.#wasmWalk(
      "deepwalk",
      starts,
      out.length,
      (sp, op) => [pool.ptr, sp, length, lo, hi, op],
      threads,
    );
  }

  /**
   * node2vec walks (return parameter p, in-out parameter q) by rejection over the first-order sampler with
   * the bound max(1/p, 1, 1/q); the distance test is against the previous vertex (is there an edge
   * prev -> candidate). Same output format as deepWalk.
   */
  async node2vec(options: WalkOptions & { p: number; q: number }): Promise<Uint32Array> {
    const { starts, length, lo, hi } = this.#walkArgs(options, "node2vec");
    const p = requireFinite("p", options.p, 1e-6, 1e6), q = requireFinite("q", options.q, 1e-6, 1e6);
    const threads = requireInt("threads", options.threads ?? 1, 1, 256);
    const out = new Uint32Array(starts.length * length);
    if (this.#gpu) {
      return await this.#gpu.walk(this.engine.m, this.#version, "node2vec", starts, length, lo, hi, {
        ip: 1 / p,
        iq: 1 / q,
      });
    }
    if (this.backend !== "wasm") {
      this.engine.node2vec(starts, length, lo + hi * U32, p, q, out, 0, starts.length);
      return out;
    }
    const pool = this.#pool as WasmPool;
    return await this.#wasmWalk(
      "node2vec",
      starts,
      out.length,
      (sp, op) => [pool.ptr, sp, length, lo, hi, 1 / p, 1 / q, op],
      threads,
    );
  }

  /**
   * Personalized PageRank by Monte Carlo: from each start, before every step the walk stops with
   * probability `alpha` (the termination probability; default 0.0125 as in Bingo's workload), and at a
   * vertex without out-edges. Returns the endpoint of each walk.
   */
  async ppr(
    options: { starts: Uint32Array; seed: number; alpha?: number; threads?: number },
  ): Promise<Uint32Array> {
    const { starts, lo, hi } = this.#walkArgs({ ...options, length: 1 }, "ppr");
    const alpha = requireFinite("alpha", options.alpha ?? 0.0125, 1e-6, 1);
    const threads = requireInt("threads", options.threads ?? 1, 1, 256);
    const out = new Uint32Array(starts.length);
    if (this.#gpu) {
      return await this.#gpu.walk(this.engine.m, this.#version, "ppr", starts, 1, lo, hi, { alpha });
    }
    if (this.backend !== "wasm") {
      this.engine.ppr(starts, alpha, lo + hi * U32, out, 0, starts.length);
      return out;
    }
    const pool = this.#pool as WasmPool;
    return await this.#wasmWalk(
      "ppr",
      starts,
      out.length,
      (sp, op) => [pool.ptr, sp, alpha, lo, hi, op],
      threads,
    );
  }

  /** Bytes used per edge and, for Bingo, how many groups have each representation. */
  memoryStats(): MemoryStats {
    const e = this.engine, m = e.m, n = m[H_N], K = m[H_K];
    const groups = { one: 0, sparse: 0, regular: 0, dense: 0 };
    if (this.sampler === "bingo") {
      for (let v = 0; v < n; v++) {
        const gb = m[e.vh(v) + VH_AUX];
        if (gb === 0) continue;
        for (let k = 0; k < K; k++) {
          const kind = m[gb + K + k] & 255;
          if (kind === G_ONE) groups.one++;
          else if (kind === G_SPARSE) groups.sparse++;
          else if (kind === G_REGULAR) groups.regular++;
          else if (kind === G_DENSE) groups.dense++;
          else if (kind !== G_EMPTY) throw new Error(`bad group kind ${kind}`);
        }
      }
    }
    const edges = m[H_EDGES];
    const blockBytes = m[H_USED] * 4, headerBytes = (H_WORDS + VH_WORDS * n) * 4;
    return {
      edges,
      blockBytes,
      headerBytes,
      bytesPerEdge: edges ? (blockBytes + headerBytes) / edges : 0,
      blockBytesPerEdge: edges ? blockBytes / edges : 0,
      groups,
    };
  }

  /** Returns wasm memory (wasm backend); the graph cannot be used afterwards. Freeing twice is a no-op. */
  free(): void {
    if (this.#freed) return;
    this.#editable();
    if (this.#pool instanceof WasmPool) this.#pool.free();
    this.#gpu?.free();
    this.#freed = true;
  }

  /** @internal degree straight from the pool (no validation), for hot loops in experiments. */
  rawDegree(v: number): number {
    return this.engine.m[this.engine.vh(v) + VH_DEG];
  }

  /** @internal the GPU copy of the pool (webgpu backend), for tests that compare it with the host's. */
  get gpuPool(): GpuWalker | null {
    return this.#gpu;
  }

  /** @internal the slot block of v. */
  rawSlots(v: number): number {
    return this.engine.m[this.engine.vh(v) + VH_SLOTS];
  }
}

function missingEdge(s: number, d: number): InvalidArgumentError {
  return new InvalidArgumentError(`cannot delete edge (${s}, ${d}): the graph has no such edge`);
}

/** Whether the wasm backend of the walk engine can run here. */
export function walkWasmAvailable(): boolean {
  return wasmAvailable() && walkKernelSync() !== null;
}

/**
 * @internal Groups a batch by source vertex: the touched vertices ascending, each one's inserts and deletes
 * in their batch order. The sources are ranked through an array over all n vertices when the batch is at
 * least n/4 edits (`how` "dense"), else by sorting them ("sorted"); both give the same stage.
 */
export function buildStage(
  n: number,
  insSrc: Uint32Array,
  insDst: Uint32Array,
  insW: Uint32Array,
  delSrc: Uint32Array,
  delDst: Uint32Array,
  how: "auto" | "dense" | "sorted" = "auto",
): StageInput {
  if (insSrc.length + delSrc.length === 1) {
    const v = insSrc.length ? insSrc[0] : delSrc[0];
    return {
      vertices: new Uint32Array([v]),
      insStart: new Uint32Array([0]),
      insCount: new Uint32Array([insSrc.length]),
      delStart: new Uint32Array([0]),
      delCount: new Uint32Array([delSrc.length]),
      ins: insSrc.length ? new Uint32Array([insDst[0], insW[0]]) : new Uint32Array(0),
      del: delSrc.length ? new Uint32Array([delDst[0]]) : new Uint32Array(0),
    };
  }
  // the touched vertices in ascending order, and each edit's record (its source's rank among them)
  const ni = insSrc.length, nd = delSrc.length;
  let vertices: Uint32Array;
  const recOf = new Uint32Array(ni + nd);
  if (how === "dense" || (how === "auto" && n <= 4 * (ni + nd))) {
    const rank = new Int32Array(n).fill(-1);
    for (let i = 0; i < ni; i++) rank[insSrc[i]] = 0;
    for (let i = 0; i < nd; i++) rank[delSrc[i]] = 0;
    let T = 0;
    for (let v = 0; v < n; v++) if (rank[v] === 0) rank[v] = ++T;
    vertices = new Uint32Array(T);
    for (let v = 0; v < n; v++) if (rank[v] > 0) vertices[rank[v] - 1] = v;
    for (let i = 0; i < ni; i++) recOf[i] = rank[insSrc[i]] - 1;
    for (let i = 0; i < nd; i++) recOf[ni + i] = rank[delSrc[i]] - 1;
  } else {
    const all = new Uint32Array(ni + nd);
    all.set(insSrc);
    all.set(delSrc, ni);
    all.sort();
    let T = 0;
    for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[T++] = all[i];
    vertices = all.slice(0, T);
    const find = (s: number) => {
      let lo = 0, hi = T - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (vertices[mid] < s) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    for (let i = 0; i < ni; i++) recOf[i] = find(insSrc[i]);
    for (let i = 0; i < nd; i++) recOf[ni + i] = find(delSrc[i]);
  }
  const T = vertices.length;
  const insStart = new Uint32Array(T), insCount = new Uint32Array(T);
  const delStart = new Uint32Array(T), delCount = new Uint32Array(T);
  for (let i = 0; i < ni; i++) insCount[recOf[i]]++;
  for (let i = 0; i < nd; i++) delCount[recOf[ni + i]]++;
  for (let r = 1; r < T; r++) {
    insStart[r] = insStart[r - 1] + insCount[r - 1];
    delStart[r] = delStart[r - 1] + delCount[r - 1];
  }
  const ins = new Uint32Array(2 * ni), del = new Uint32Array(nd);
  const ifill = new Uint32Array(T), dfill = new Uint32Array(T);
  for (let i = 0; i < ni; i++) {
    const r = recOf[i], at = insStart[r] + ifill[r]++;
    ins[2 * at] = insDst[i];
    ins[2 * at + 1] = insW[i];
  }
  for (let i = 0; i < nd; i++) {
    const r = recOf[ni + i];
    del[delStart[r] + dfill[r]++] = delDst[i];
  }
  return { vertices, insStart, insCount, delStart, delCount, ins, del };
}
