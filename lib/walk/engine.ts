/**
 * The TypeScript reference of the walk engine: every operation on the pool layout of lib/walk/layout.ts,
 * written plainly. kernels-as/walk.ts is a line-by-line port of this file (same memory, same Philox words,
 * same order of floating-point operations), so the two backends leave bit-identical pools and walks.
 *
 * @module
 */
import { philox4x32 } from "../core/rng.ts";
import {
  boundHolds,
  CLEAN,
  G_DENSE,
  G_EMPTY,
  G_ONE,
  G_REGULAR,
  G_SPARSE,
  groupBlockWords,
  groupBound,
  groupCountdownWord,
  groupDenseMaskWord,
  H_ADAPT,
  H_ALPHA_Q16,
  H_CAP,
  H_DENSE_MIN_DEG,
  H_EDGES,
  H_FREE,
  H_K,
  H_N,
  H_SAMPLER,
  H_SPARSE_MAX,
  H_TOP,
  H_USED,
  H_VBASE,
  H_WORDS,
  HASH_MUL,
  keepDense,
  MIN_CAPLOG,
  NO_VERTEX,
  S_ALIAS,
  S_BINGO,
  S_FENWICK,
  S_ITS,
  S_REJECTION,
  S_RESERVOIR,
  VH_AUX,
  VH_CAPLOG,
  VH_DEG,
  VH_EXTRA,
  VH_HASH,
  VH_SLOTS,
  VH_TOTHI,
  VH_TOTLO,
  VH_WORDS,
  windowSlack,
} from "./layout.ts";

const TWO32 = 4294967296;
/** A `refresh` mask naming every group (a caller that does not know which counts moved). */
const ALL_GROUPS = 0xffffffff;

/**
 * Sequential words of one Philox-4x32-10 stream, as `new Philox(seed, stream)` of lib/core/rng.ts gives
 * them, with the draws the samplers use: unbiased bounded integers and 53-bit uniforms.
 *
 * @example
 * ```ts
 * import { WalkRng } from "./engine.ts";
 * const rng = new WalkRng(7, 0);
 * rng.int(10); // in {0, ..., 9}
 * ```
 */
export class WalkRng {
  #key: [number, number];
  #ctr = [0, 0, 0, 0];
  #block = new Uint32Array(4);
  #index = 0;
  constructor(seed: number, stream: number) {
    this.#key = [seed % TWO32 >>> 0, Math.floor(seed / TWO32) >>> 0];
    this.#ctr[2] = stream >>> 0;
  }
  /** Next u32 word. */
  nextU32(): number {
    const lane = this.#index & 3;
    if (lane === 0) {
      const b = this.#index / 4;
      this.#ctr[0] = b >>> 0;
      this.#ctr[1] = Math.floor(b / TWO32) >>> 0;
      philox4x32(this.#ctr, this.#key, this.#block);
    }
    this.#index++;
    return this.#block[lane];
  }
  /**
   * Uniform integer in {0..n-1}, 1 <= n < 2^32, by Lemire's method: r = floor(u n / 2^32), rejecting the
   * words whose low product word falls below 2^32 mod n (the only case that divides), so it is unbiased and
   * costs one multiplication per draw.
   */
  int(n: number): number {
    for (;;) {
      const u = this.nextU32();
      // the 64-bit product u n from 16-bit halves of u, exactly in float64
      const p1 = (u >>> 16) * n, p0 = (u & 0xffff) * n;
      const s = (p1 % 65536) * 65536 + p0;
      const lo = s % TWO32;
      if (lo < n && lo < TWO32 % n) continue;
      return Math.floor(p1 / 65536) + Math.floor(s / TWO32);
    }
  }
  /** Uniform float64 in [0, 1) from two words. */
  uniform(): number {
    const a = this.nextU32() >>> 5, b = this.nextU32() >>> 6;
    return (a * 67108864 + b) * 1.1102230246251565e-16;
  }
}

/** Configuration written into the pool header. */
export interface EngineConfig {
  numVertices: number;
  weightBits: number;
  sampler: number;
  adaptive: boolean;
  /** Dense threshold: a group with more than alpha * degree members keeps no list. */
  alpha: number;
  /** Largest group kept as a list without inverse index. */
  sparseMax: number;
  /** Degree below which no group is made dense. */
  denseMinDegree: number;
}

/** Where the pool lives: the engine asks it for more words and re-reads its views. */
export interface PoolHost {
  /** Grows the pool to at least `words` words, keeping its contents. */
  resize(words: number): void;
  /** Current views over the pool. */
  views(): { m: Uint32Array; f: Float64Array };
}

/** Log2 of the smallest power of two >= words, at least 2. */
export function sizeClass(words: number): number {
  let c = 2;
  while (1 << c < words) c++;
  return c;
}

/** Thrown when the pool is full inside an operation (a bug: reserve() must prevent it). */
export class PoolExhaustedError extends Error {}

/** A per-vertex batch record (see `writeStage`). */
export interface StageInput {
  /** Touched vertices, ascending. */
  vertices: Uint32Array;
  insStart: Uint32Array;
  insCount: Uint32Array;
  delStart: Uint32Array;
  delCount: Uint32Array;
  /** Insert payload: dst, wInt pairs. */
  ins: Uint32Array;
  /** Delete payload: dst. */
  del: Uint32Array;
}

/** Words of a stage block: [T, T x (v, insOff, insCnt, delOff, delCnt), ins pairs, del dsts]. */
export function stageWords(s: StageInput): number {
  return 1 + 5 * s.vertices.length + s.ins.length + s.del.length;
}

/** Writes a stage into `out` (word offsets are relative to the stage start). */
export function writeStage(s: StageInput, out: Uint32Array): void {
  const T = s.vertices.length;
  const insBase = 1 + 5 * T, delBase = insBase + s.ins.length;
  out[0] = T;
  for (let r = 0; r < T; r++) {
    const o = 1 + 5 * r;
    out[o] = s.vertices[r];
    out[o + 1] = insBase + 2 * s.insStart[r];
    out[o + 2] = s.insCount[r];
    out[o + 3] = delBase + s.delStart[r];
    out[o + 4] = s.delCount[r];
  }
  out.set(s.ins, insBase);
  out.set(s.del, delBase);
}

/**
 * The reference engine over a pool. All offsets are word indices. Methods mirror the AS kernels.
 *
 * @example
 * ```ts
 * import { Engine, type PoolHost } from "./engine.ts";
 * let buf = new Uint32Array(1024);
 * const host: PoolHost = {
 *   resize(words) { const b = new Uint32Array(words); b.set(buf); buf = b; },
 *   views() { return { m: buf, f: new Float64Array(buf.buffer) }; },
 * };
 * const e = Engine.create(host, { numVertices: 2, weightBits: 16, sampler: 0, adaptive: true, alpha: 0.5, sparseMax: 16, denseMinDegree: 32 });
 * ```
 */
export class Engine {
  m!: Uint32Array;
  f!: Float64Array;
  readonly host: PoolHost;

  constructor(host: PoolHost) {
    this.host = host;
    this.refreshViews();
  }

  /** Lays out a fresh pool in `host` (which must hold at least `initialWords(cfg)` zeroed words). */
  static create(host: PoolHost, cfg: EngineConfig): Engine {
    const need = Engine.initialWords(cfg.numVertices);
    host.resize(need);
    const e = new Engine(host);
    const m = e.m;
    m.fill(0, 0, need);
    m[H_N] = cfg.numVertices;
    m[H_K] = cfg.weightBits;
    m[H_SAMPLER] = cfg.sampler;
    m[H_ADAPT] = cfg.adaptive ? 1 : 0;
    m[H_ALPHA_Q16] = Math.round(cfg.alpha * 65536);
    m[H_SPARSE_MAX] = cfg.sparseMax;
    m[H_DENSE_MIN_DEG] = cfg.denseMinDegree;
    m[H_VBASE] = H_WORDS;
    m[H_TOP] = (H_WORDS + VH_WORDS * cfg.numVertices + 3) & ~3;
    m[H_CAP] = m.length;
    for (let v = 0; v < cfg.numVertices; v++) {
      if (cfg.sampler === S_ITS) m[H_WORDS + VH_WORDS * v + VH_EXTRA] = CLEAN;
    }
    return e;
  }

  /** Words of header plus vertex headers. */
  static initialWords(n: number): number {
    return ((H_WORDS + VH_WORDS * n + 3) & ~3) + 1024;
  }

  /** Re-reads the host's views (after it grew). */
  refreshViews(): void {
    const { m, f } = this.host.views();
    this.m = m;
    this.f = f;
  }

  /** Makes sure `words` words can be bump-allocated without growing. */
  reserve(words: number): void {
    const m = this.m;
    const free = m[H_CAP] - m[H_TOP];
    if (free >= words) return;
    // 1.5x growth: amortised O(1) copies per word without doubling a large pool for a batch's headroom
    const want = Math.max(Math.ceil(m[H_CAP] * 1.5), m[H_TOP] + words + 1024);
    this.host.resize(want);
    this.refreshViews();
    this.m[H_CAP] = this.m.length;
  }

  // ------------------------------------------------------------------ allocator

  /**
   * Told of every block the allocator hands out (`words` = its size) and of every block it links into a
   * free list (`words` = 1: the link word it writes), while set: the GPU update path uses it to know which
   * words of the pool the host changed.
   */
  onBlock: ((p: number, words: number) => void) | null = null;

  /** Blocks this engine allocated or freed, mod 2^31 (as the wasm kernels' count: DynamicGraph's streaming path). */
  allocations = 0;

  alloc(c: number): number {
    this.allocations = (this.allocations + 1) & 0x7fffffff;
    const m = this.m;
    const head = m[H_FREE + c];
    if (head !== 0) {
      m[H_FREE + c] = m[head];
      m[H_USED] += 1 << c;
      this.onBlock?.(head, 2 ** c);
      return head;
    }
    const top = m[H_TOP], size = 2 ** c;
    if (top + size > m[H_CAP]) throw new PoolExhaustedError(`pool exhausted allocating ${size} words`);
    m[H_TOP] = top + size;
    m[H_USED] += size;
    this.onBlock?.(top, size);
    return top;
  }

  free(p: number, c: number): void {
    this.allocations = (this.allocations + 1) & 0x7fffffff;
    const m = this.m;
    m[p] = m[H_FREE + c];
    m[H_FREE + c] = p;
    m[H_USED] -= 1 << c;
    this.onBlock?.(p, 1);
  }

  // ------------------------------------------------------------------ accessors

  vh(v: number): number {
    return this.m[H_VBASE] + VH_WORDS * v;
  }
  degree(v: number): number {
    return this.m[this.vh(v) + VH_DEG];
  }
  total(v: number): number {
    const h = this.vh(v);
    return this.m[h + VH_TOTLO] + this.m[h + VH_TOTHI] * TWO32;
  }
  #addTotal(h: number, delta: number): void {
    const t = this.m[h + VH_TOTLO] + this.m[h + VH_TOTHI] * TWO32 + delta;
    this.m[h + VH_TOTLO] = t % TWO32;
    this.m[h + VH_TOTHI] = Math.floor(t / TWO32);
  }
  dst(v: number, i: number): number {
    return this.m[this.m[this.vh(v) + VH_SLOTS] + 2 * i];
  }
  weight(v: number, i: number): number {
    return this.m[this.m[this.vh(v) + VH_SLOTS] + 2 * i + 1];
  }

  // ------------------------------------------------------------------ hash of slots by dst

  #home(d: number, hbits: number): number {
    return Math.imul(d, HASH_MUL) >>> (32 - hbits);
  }

  #hashInsert(h: number, slot: number): void {
    const m = this.m;
    const hbits = m[h + VH_CAPLOG] + 1, mask = (1 << hbits) - 1, hp = m[h + VH_HASH];
    let p = this.#home(m[m[h + VH_SLOTS] + 2 * slot], hbits);
    while (m[hp + p] !== 0) p = (p + 1) & mask;
    m[hp + p] = slot + 1;
  }

  /** Slot of one live (dst == d) edge of the vertex with header h, or -1. */
  hashFind(h: number, d: number): number {
    const m = this.m;
    if (m[h + VH_CAPLOG] === 0) return -1;
    const hbits = m[h + VH_CAPLOG] + 1, mask = (1 << hbits) - 1, hp = m[h + VH_HASH], sp = m[h + VH_SLOTS];
    let p = this.#home(d, hbits);
    for (;;) {
      const e = m[hp + p];
      if (e === 0) return -1;
      if (m[sp + 2 * (e - 1)] === d) return e - 1;
      p = (p + 1) & mask;
    }
  }

  /** Number of live (v, d) edges. */
  countEdges(v: number, d: number): number {
    const m = this.m, h = this.vh(v);
    if (m[h + VH_CAPLOG] === 0) return 0;
    const hbits = m[h + VH_CAPLOG] + 1, mask = (1 << hbits) - 1, hp = m[h + VH_HASH], sp = m[h + VH_SLOTS];
    let p = this.#home(d, hbits), n = 0;
    for (;;) {
      const e = m[hp + p];
      if (e === 0) return n;
      if (m[sp + 2 * (e - 1)] === d) n++;
      p = (p + 1) & mask;
    }
  }

  #hashPos(h: number, slot: number): number {
    const m = this.m;
    const hbits = m[h + VH_CAPLOG] + 1, mask = (1 << hbits) - 1, hp = m[h + VH_HASH];
    let p = this.#home(m[m[h + VH_SLOTS] + 2 * slot], hbits);
    while (m[hp + p] !== slot + 1) p = (p + 1) & mask;
    return p;
  }

  #hashRemove(h: number, slot: number): void {
    const m = this.m;
    const hbits = m[h + VH_CAPLOG] + 1, mask = (1 << hbits) - 1, hp = m[h + VH_HASH], sp = m[h + VH_SLOTS];
    let i = this.#hashPos(h, slot), j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = m[hp + j];
      if (e === 0) break;
      const k = this.#home(m[sp + 2 * (e - 1)], hbits);
      const stays = j > i ? k > i && k <= j : k > i || k <= j;
      if (!stays) {
        m[hp + i] = e;
        i = j;
      }
    }
    m[hp + i] = 0;
  }

  // ------------------------------------------------------------------ capacity

  /** Grows the slot capacity of v to at least `need` (relocating slots, hash and sampler index). */
  ensureCap(v: number, need: number): void {
    const m = this.m, h = this.vh(v);
    const oldLog = m[h + VH_CAPLOG];
    if (oldLog !== 0 && need <= 1 << oldLog) return;
    let newLog = MIN_CAPLOG;
    while (1 << newLog < need) newLog++;
    if (newLog <= oldLog) return;
    this.#relocate(v, h, oldLog, newLog);
  }

  #relocate(_v: number, h: number, oldLog: number, newLog: number): void {
    const m = this.m, deg = m[h + VH_DEG], newCap = 1 << newLog;
    const ns = this.alloc(newLog + 1);
    const os = m[h + VH_SLOTS];
    for (let i = 0; i < 2 * deg; i++) m[ns + i] = m[os + i];
    if (oldLog !== 0) {
      this.free(os, oldLog + 1);
      this.free(m[h + VH_HASH], oldLog + 1);
    }
    const nh = this.alloc(newLog + 1);
    m.fill(0, nh, nh + 2 * newCap);
    m[h + VH_SLOTS] = ns;
    m[h + VH_HASH] = nh;
    m[h + VH_CAPLOG] = newLog;
    for (let i = 0; i < deg; i++) this.#hashInsert(h, i);
    const sampler = m[H_SAMPLER];
    if (sampler === S_BINGO) {
      const K = m[H_K];
      let gb = m[h + VH_AUX];
      if (gb === 0) {
        gb = this.alloc(sizeClass(groupBlockWords(K)));
        m.fill(0, gb, gb + groupBlockWords(K));
        m[h + VH_AUX] = gb;
      }
      for (let k = 0; k < K; k++) {
        if ((m[gb + K + k] & 255) === G_REGULAR) {
          const oi = m[gb + 3 * K + k], ni = this.alloc(newLog);
          for (let i = 0; i < deg; i++) m[ni + i] = m[oi + i];
          this.free(oi, oldLog);
          m[gb + 3 * K + k] = ni;
        }
      }
    } else if (sampler === S_ALIAS || sampler === S_ITS || sampler === S_FENWICK) {
      const oa = m[h + VH_AUX], na = this.alloc(newLog + 1);
      m.fill(0, na, na + 2 * newCap);
      if (sampler === S_ITS) {
        for (let i = 0; i < 2 * deg; i++) m[na + i] = m[oa + i];
      }
      if (oldLog !== 0) this.free(oa, oldLog + 1);
      m[h + VH_AUX] = na;
      if (sampler === S_ALIAS) m[h + VH_EXTRA] = 1;
      if (sampler === S_FENWICK) {
        const t = na >> 1, sp = m[h + VH_SLOTS];
        for (let i = 0; i < newCap; i++) {
          if (i < deg) this.f[t + i] += m[sp + 2 * i + 1];
          const j = i + 1 + ((i + 1) & -(i + 1));
          if (j <= newCap) this.f[t + j - 1] += this.f[t + i];
        }
      }
    }
  }

  // ------------------------------------------------------------------ Bingo groups

  #makeList(gb: number, K: number, k: number, kind: number, capLog: number, h: number): number {
    const m = this.m;
    const list = this.alloc(capLog);
    m[gb + K + k] = kind | (capLog << 8);
    m[gb + 2 * K + k] = list;
    if (kind === G_REGULAR) m[gb + 3 * K + k] = this.alloc(m[h + VH_CAPLOG]);
    return list;
  }

  #freeList(gb: number, K: number, k: number, h: number): void {
    const m = this.m;
    const meta = m[gb + K + k], kind = meta & 255;
    if (kind === G_SPARSE || kind === G_REGULAR) this.free(m[gb + 2 * K + k], (meta >>> 8) & 255);
    if (kind === G_REGULAR) this.free(m[gb + 3 * K + k], m[h + VH_CAPLOG]);
    m[gb + 2 * K + k] = 0;
    m[gb + 3 * K + k] = 0;
  }

  /** Appends to a list group, doubling its block when full; returns the list pointer. */
  #listRoom(gb: number, K: number, k: number, c: number): number {
    const m = this.m;
    const meta = m[gb + K + k], capLog = (meta >>> 8) & 255;
    let list = m[gb + 2 * K + k];
    if (c >= 1 << capLog) {
      const nl = this.alloc(capLog + 1);
      for (let i = 0; i < c; i++) m[nl + i] = m[list + i];
      this.free(list, capLog);
      list = nl;
      m[gb + 2 * K + k] = nl;
      m[gb + K + k] = (meta & 255) | ((capLog + 1) << 8);
    }
    return list;
  }

  #groupAdd(h: number, gb: number, K: number, k: number, i: number): void {
    const m = this.m, c = m[gb + k], kind = m[gb + K + k] & 255;
    if (kind === G_EMPTY) {
      if (m[H_ADAPT]) {
        m[gb + K + k] = G_ONE;
        m[gb + 2 * K + k] = i;
      } else {
        const list = this.#makeList(gb, K, k, G_REGULAR, 2, h);
        m[list] = i;
        m[m[gb + 3 * K + k] + i] = 0;
      }
    } else if (kind === G_ONE) {
      const old = m[gb + 2 * K + k];
      const list = this.#makeList(gb, K, k, G_SPARSE, 2, h);
      m[list] = old;
      m[list + 1] = i;
    } else if (kind === G_SPARSE) {
      const list = this.#listRoom(gb, K, k, c);
      m[list + c] = i;
    } else if (kind === G_REGULAR) {
      const list = this.#listRoom(gb, K, k, c);
      m[list + c] = i;
      m[m[gb + 3 * K + k] + i] = c;
    }
    m[gb + k] = c + 1;
  }

  #groupRemove(h: number, gb: number, K: number, k: number, i: number): void {
    const m = this.m, c = m[gb + k], kind = m[gb + K + k] & 255;
    if (kind === G_SPARSE) {
      const list = m[gb + 2 * K + k];
      let p = 0;
      while (m[list + p] !== i) p++;
      m[list + p] = m[list + c - 1];
    } else if (kind === G_REGULAR) {
      const list = m[gb + 2 * K + k], inv = m[gb + 3 * K + k];
      const p = m[inv + i], last = m[list + c - 1];
      m[list + p] = last;
      m[inv + last] = p;
    }
    if (c === 1) {
      this.#freeList(gb, K, k, h);
      m[gb + K + k] = G_EMPTY;
    }
    m[gb + k] = c - 1;
  }

  #groupMove(gb: number, K: number, k: number, from: number, to: number): void {
    const m = this.m, kind = m[gb + K + k] & 255;
    if (kind === G_ONE) m[gb + 2 * K + k] = to;
    else if (kind === G_SPARSE) {
      const list = m[gb + 2 * K + k];
      let p = 0;
      while (m[list + p] !== from) p++;
      m[list + p] = to;
    } else if (kind === G_REGULAR) {
      const list = m[gb + 2 * K + k], inv = m[gb + 3 * K + k];
      const p = m[inv + from];
      m[list + p] = to;
      m[inv + to] = p;
    }
  }

  /** Group adaption with hysteresis: dense <-> listed, sparse <-> regular. */
  #adapt(h: number, gb: number, K: number): void {
    const m = this.m;
    if (!m[H_ADAPT]) return;
    const deg = m[h + VH_DEG], alpha = m[H_ALPHA_Q16], sparseMax = m[H_SPARSE_MAX];
    const sp = m[h + VH_SLOTS];
    for (let k = 0; k < K; k++) {
      const c = m[gb + k];
      if (c === 0) continue;
      const kind = m[gb + K + k] & 255;
      if (kind === G_DENSE) {
        if (c * 131072 >= alpha * deg) continue; // still >= alpha / 2 of the slots
        const kindNew = c <= sparseMax ? G_SPARSE : G_REGULAR;
        const list = this.#makeList(gb, K, k, kindNew, sizeClass(2 * c), h);
        const inv = m[gb + 3 * K + k];
        let n = 0;
        for (let i = 0; i < deg; i++) {
          if ((m[sp + 2 * i + 1] >>> k) & 1) {
            m[list + n] = i;
            if (kindNew === G_REGULAR) m[inv + i] = n;
            n++;
          }
        }
      } else if (deg >= m[H_DENSE_MIN_DEG] && c * 65536 > alpha * deg) {
        this.#freeList(gb, K, k, h);
        m[gb + K + k] = G_DENSE;
      } else if (kind === G_SPARSE && c > sparseMax) {
        const list = m[gb + 2 * K + k], inv = this.alloc(m[h + VH_CAPLOG]);
        for (let p = 0; p < c; p++) m[inv + m[list + p]] = p;
        m[gb + 3 * K + k] = inv;
        m[gb + K + k] = (m[gb + K + k] & ~255) | G_REGULAR;
      } else if (kind === G_REGULAR && 2 * c < sparseMax) {
        this.free(m[gb + 3 * K + k], m[h + VH_CAPLOG]);
        m[gb + 3 * K + k] = 0;
        m[gb + K + k] = (m[gb + K + k] & ~255) | G_SPARSE;
      }
    }
  }

  /**
   * How many single-edge edits v's groups can take before any of them could be due for a kind change
   * (each edit moves a count and the degree by at most 1): the adaption countdown. After an adaption pass,
   * for degree d, alpha A (Q16), and per group of count c:
   * - dense stays dense while (c - t) 2^17 >= A (d + t), i.e. t <= (c 2^17 - A d) / (2^17 + A);
   * - a listed (or empty) group stays listed while (c + t) 2^16 <= A (d - t), i.e.
   *   t <= (A d - c 2^16) / (2^16 + A), or while d + t is below the dense minimum degree;
   * Skipping the pass for that many edits therefore changes no degree-driven decision (the countdown:
   * layout.ts, the group block). Sparse <-> regular depends on a group's own count alone, so it is checked
   * on the groups the edits touched instead (`#countDue`): a sparse group of a few members would otherwise
   * cap the countdown at sparseMax edits whatever the edits' groups.
   */
  #adaptSlack(h: number, gb: number, K: number): number {
    const m = this.m, d = m[h + VH_DEG], A = m[H_ALPHA_Q16], minDeg = m[H_DENSE_MIN_DEG];
    let q = 0xffffffff;
    for (let k = 0; k < K; k++) {
      const c = m[gb + k], kind = m[gb + K + k] & 255;
      let t: number;
      // divided by powers of two at least the exact denominators (2^17 + A <= 2^18, 2^16 + A <= 2^17): a
      // smaller countdown, never a larger one, and no division in the kernels
      if (kind === G_DENSE) t = Math.floor((c * 131072 - A * d) / 262144);
      else {
        t = Math.max(Math.floor((A * d - c * 65536) / 131072), minDeg - d - 1);
      }
      q = Math.min(q, Math.max(t, 0));
    }
    return q;
  }

  /**
   * Whether a group in `touched` (a mask of group bits) is due a sparse <-> regular change: sparse above
   * sparseMax members, or regular below sparseMax / 2. Those depend on the group's count alone, and an
   * untouched group's count has not moved since the last refresh, after which no group was due.
   */
  #countDue(gb: number, K: number, touched: number): boolean {
    const m = this.m, sparseMax = m[H_SPARSE_MAX];
    for (let k = 0; k < K; k++) {
      if (((touched >>> k) & 1) === 0) continue;
      const c = m[gb + k], kind = m[gb + K + k] & 255;
      if (kind === G_SPARSE ? c > sparseMax : kind === G_REGULAR && 2 * c < sparseMax) return true;
    }
    return false;
  }

  /**
   * Bingo's refresh after `edits` single-edge edits of v that moved the counts of the groups in `touched`,
   * when `outside` says whether a count left its bound's window. While the countdown (layout.ts) covers the
   * edits, nothing left a window and no touched group is due a sparse <-> regular change, the countdown goes
   * down by `edits` and that is all; otherwise `#settleGroups`. A count outside its window can only be a
   * touched listed group's while the countdown covers the edits, which is what a single-edge kernel edit
   * checks (kernels-as/walk.ts settle).
   */
  #refreshGroups(h: number, gb: number, K: number, edits: number, touched: number, outside: boolean): void {
    const m = this.m, at = gb + groupCountdownWord(K), q = m[at];
    const due = !!m[H_ADAPT] && this.#countDue(gb, K, touched);
    if (q >= edits && !outside && !due) m[at] = q - edits;
    else this.#settleGroups(h, gb, K, edits, q, due);
  }

  /**
   * The slow half of a Bingo refresh after `edits` edits with the countdown at q, once the countdown has
   * expired (q < edits), a touched group is due a sparse <-> regular change, or a touched count left its
   * window. Expired or due: the adaption pass, a rebuild of the alias table over the groups if any count is
   * outside its window, and a fresh countdown. Otherwise (a count left its window, and no group can be due):
   * a rebuild, and the countdown the fewest of q - edits (which still bounds the adaption slack) and the
   * dense groups' new windows. The same steps as kernels-as/walk.ts settleGroups.
   */
  #settleGroups(h: number, gb: number, K: number, edits: number, q: number, due: boolean): void {
    const m = this.m;
    if (q < edits || due) {
      const rebuild = !this.#boundsHold(gb, K, ALL_GROUPS);
      if (m[H_ADAPT]) this.#adapt(h, gb, K);
      if (rebuild) this.#rebuildGroupAlias(h, gb, K);
      this.#writeCountdown(gb, K, m[H_ADAPT] ? this.#adaptSlack(h, gb, K) : 0xffffffff);
    } else {
      this.#rebuildGroupAlias(h, gb, K);
      this.#writeCountdown(gb, K, q - edits);
    }
  }

  /**
   * Writes v's dense mask and its countdown (layout.ts, at most 2^31 - 1): the fewest of `rest` and the edits
   * before a dense group's count could leave its window (windowSlack). Every group must be inside its window.
   */
  #writeCountdown(gb: number, K: number, rest: number): void {
    const { countdown, denseMask } = this.#windowCountdown(gb, K, rest);
    this.m[gb + groupDenseMaskWord(K)] = denseMask;
    this.m[gb + groupCountdownWord(K)] = countdown;
  }

  /** v's dense mask, and the fewest of `rest`, 2^31 - 1 and the dense groups' window slacks. */
  #windowCountdown(gb: number, K: number, rest: number): { countdown: number; denseMask: number } {
    const m = this.m;
    let denseMask = 0, q = Math.min(rest, 0x7fffffff);
    for (let k = 0; k < K; k++) {
      if (m[gb + K + k] !== G_DENSE) continue;
      denseMask = (denseMask | (1 << k)) >>> 0;
      q = Math.min(q, windowSlack(m[gb + k], m[gb + 6 * K + k]));
    }
    return { countdown: q, denseMask };
  }

  /**
   * The dense mask and the countdown a fresh adaption pass would leave for v now (invariant checks: a kept
   * countdown is never larger).
   */
  freshCountdown(v: number): { countdown: number; denseMask: number } {
    const m = this.m, h = this.vh(v), gb = m[h + VH_AUX], K = m[H_K];
    return this.#windowCountdown(gb, K, m[H_ADAPT] ? this.#adaptSlack(h, gb, K) : 0xffffffff);
  }

  /**
   * Bingo's refresh of v after a WebGPU batch of `edits` edits (the batch path's host half): the device
   * applied the edits and, when a count had left its window, rebuilt the alias table over the groups and
   * set the countdown's top bit (walk_update.wgsl). This takes the steps the CPU batch path takes
   * (`#refreshGroups`), without a second rebuild, so both leave the same pool.
   */
  adaptGroups(v: number, edits: number): void {
    const m = this.m, h = this.vh(v), gb = m[h + VH_AUX];
    if (m[H_SAMPLER] !== S_BINGO || gb === 0) return;
    const K = m[H_K], at = gb + groupCountdownWord(K), rebuilt = m[at] >= 0x80000000;
    m[at] &= 0x7fffffff;
    if (!rebuilt) this.#refreshGroups(h, gb, K, edits, ALL_GROUPS, false);
    else {
      // the device rebuilt the table (a count had left its window); the same steps as #refreshGroups,
      // without a second rebuild
      const q = m[at], due = !!m[H_ADAPT] && this.#countDue(gb, K, ALL_GROUPS);
      if (q < edits || due) {
        if (m[H_ADAPT]) this.#adapt(h, gb, K);
        this.#writeCountdown(gb, K, m[H_ADAPT] ? this.#adaptSlack(h, gb, K) : 0xffffffff);
      } else this.#writeCountdown(gb, K, q - edits);
    }
  }

  /**
   * Whether the counts of the groups in `touched` are still inside their bounds' windows (layout.ts
   * boundHolds): the others have not moved since the last refresh left every group inside its window, so
   * this is the check over all K groups.
   */
  #boundsHold(gb: number, K: number, touched: number): boolean {
    const m = this.m, b = gb + 6 * K;
    for (let k = 0; k < K; k++) {
      if (((touched >>> k) & 1) !== 0 && !boundHolds(m[gb + k], m[b + k])) return false;
    }
    return true;
  }

  /**
   * The alias table over the non-empty groups (Vose) in unnormalised units: column j has a_j = n m_j, with
   * m_j = B_j 2^k_j the group's bounded mass (B_j = groupBound(c_j), layout.ts) and W = sum m_j; it is
   * small when a_j < W, a small column keeps the draws below floor(2^32 a_j / W) and a large one gives
   * away W - a_j. Exact while the a_j stay below 2^53; the same operations in the same order as
   * kernels-as/walk.ts, so the tables are bit-identical. The bounds go to the first K scratch words.
   */
  #rebuildGroupAlias(h: number, gb: number, K: number): void {
    const m = this.m, f = this.f;
    const T = gb + 4 * K, P = gb + 5 * K, s = (gb + 6 * K) >> 1;
    let n = 0;
    let W = 0;
    for (let k = 0; k < K; k++) {
      const c = m[gb + k];
      if (c > 0) {
        const mass = groupBound(c) * 2 ** k;
        m[P + n] = k;
        f[s + n] = mass;
        W += mass;
        n++;
      }
    }
    m[h + VH_EXTRA] = n;
    if (n === 0) {
      m.fill(0, gb + 6 * K, gb + 7 * K);
      return;
    }
    let ns = 0, nl = 0;
    for (let j = 0; j < n; j++) {
      const a = f[s + j] * n;
      f[s + j] = a;
      if (a < W) m[P + ns] = (m[P + ns] & 0xff00ffff) | (j << 16), ns++;
      else m[P + nl] = (m[P + nl] & 0x00ffffff) | (j << 24), nl++;
    }
    while (ns > 0 && nl > 0) {
      const si = (m[P + --ns] >>> 16) & 255;
      const li = m[P + --nl] >>> 24;
      const av = f[s + si];
      m[T + si] = threshold(av / W);
      m[P + si] = (m[P + si] & 0xffff00ff) | ((m[P + li] & 255) << 8);
      const al = f[s + li] + av - W;
      f[s + li] = al;
      if (al < W) m[P + ns] = (m[P + ns] & 0xff00ffff) | (li << 16), ns++;
      else m[P + nl] = (m[P + nl] & 0x00ffffff) | (li << 24), nl++;
    }
    while (nl > 0) {
      const li = m[P + --nl] >>> 24;
      m[T + li] = 0xffffffff;
      m[P + li] = (m[P + li] & 0xffff00ff) | ((m[P + li] & 255) << 8);
    }
    while (ns > 0) {
      const si = (m[P + --ns] >>> 16) & 255;
      m[T + si] = 0xffffffff;
      m[P + si] = (m[P + si] & 0xffff00ff) | ((m[P + si] & 255) << 8);
    }
    for (let j = 0; j < n; j++) m[P + j] &= 0xffff;
    for (let k = 0; k < K; k++) m[gb + 6 * K + k] = groupBound(m[gb + k]);
  }

  // ------------------------------------------------------------------ baselines' indexes

  #fenAdd(h: number, i: number, delta: number): void {
    const t = this.m[h + VH_AUX] >> 1, cap = 1 << this.m[h + VH_CAPLOG];
    for (let j = i + 1; j <= cap; j += j & -j) this.f[t + j - 1] += delta;
  }

  #rebuildAlias(h: number): void {
    const m = this.m,
      deg = m[h + VH_DEG],
      sp = m[h + VH_SLOTS],
      T = m[h + VH_AUX],
      A = T + (1 << m[h + VH_CAPLOG]);
    m[h + VH_EXTRA] = 0;
    if (deg === 0) return;
    // scratch in the pool, as the kernel does: deg f64 then two index stacks
    const sc = this.alloc(sizeClass(4 * deg));
    const f = this.f, p = sc >> 1, S = sc + 2 * deg, L = sc + 3 * deg;
    const W = m[h + VH_TOTLO] + m[h + VH_TOTHI] * TWO32;
    let ns = 0, nl = 0;
    for (let i = 0; i < deg; i++) {
      f[p + i] = (m[sp + 2 * i + 1] * deg) / W;
      if (f[p + i] < 1) m[S + ns++] = i;
      else m[L + nl++] = i;
    }
    while (ns > 0 && nl > 0) {
      const si = m[S + --ns], li = m[L + --nl];
      m[T + si] = threshold(f[p + si]);
      m[A + si] = li;
      f[p + li] = f[p + li] + f[p + si] - 1;
      if (f[p + li] < 1) m[S + ns++] = li;
      else m[L + nl++] = li;
    }
    while (nl > 0) {
      const li = m[L + --nl];
      m[T + li] = 0xffffffff;
      m[A + li] = li;
    }
    while (ns > 0) {
      const si = m[S + --ns];
      m[T + si] = 0xffffffff;
      m[A + si] = si;
    }
    this.free(sc, sizeClass(4 * deg));
  }

  /**
   * Brings v's sampler index up to date after `edits` single-edge edits (one rebuild per touched vertex).
   * Bingo: nothing but the countdown while it covers the edits, no touched count left its bound's window
   * and no touched group is due a sparse <-> regular change; else the adaption pass, a rebuild of the alias
   * table over the groups if a count left its window, and a fresh countdown (`#refreshGroups`, layout.ts).
   * `touched` holds the group bits whose counts the edits moved (the OR of the inserted and deleted
   * weights; all groups when unknown).
   */
  refresh(v: number, edits: number, touched = ALL_GROUPS): void {
    const m = this.m, h = this.vh(v), sampler = m[H_SAMPLER];
    if (sampler === S_BINGO) {
      const gb = m[h + VH_AUX];
      if (gb === 0) return;
      const K = m[H_K];
      this.#refreshGroups(h, gb, K, edits, touched, !this.#boundsHold(gb, K, touched));
    } else if (sampler === S_ALIAS) {
      if (m[h + VH_EXTRA] !== 0 && m[h + VH_CAPLOG] !== 0) this.#rebuildAlias(h);
    } else if (sampler === S_ITS) {
      const d = m[h + VH_EXTRA];
      if (d === CLEAN) return;
      const deg = m[h + VH_DEG], sp = m[h + VH_SLOTS], pa = m[h + VH_AUX] >> 1;
      let acc = d > 0 ? this.f[pa + d - 1] : 0;
      for (let i = d; i < deg; i++) {
        acc += m[sp + 2 * i + 1];
        this.f[pa + i] = acc;
      }
      m[h + VH_EXTRA] = CLEAN;
    } else if (sampler === S_REJECTION) {
      if (m[h + VH_AUX] !== 0) {
        const deg = m[h + VH_DEG], sp = m[h + VH_SLOTS];
        let mx = 0;
        for (let i = 0; i < deg; i++) mx = Math.max(mx, m[sp + 2 * i + 1]);
        m[h + VH_EXTRA] = mx;
        m[h + VH_AUX] = 0;
      }
    }
  }

  // ------------------------------------------------------------------ edits

  /** Appends edge (v, d) with integer weight w; capacity must be ensured. */
  insertSlot(v: number, d: number, w: number): void {
    const m = this.m, h = this.vh(v);
    const i = m[h + VH_DEG], sp = m[h + VH_SLOTS];
    m[sp + 2 * i] = d;
    m[sp + 2 * i + 1] = w;
    m[h + VH_DEG] = i + 1;
    this.#hashInsert(h, i);
    this.#addTotal(h, w);
    m[H_EDGES]++;
    const sampler = m[H_SAMPLER];
    if (sampler === S_BINGO) {
      const gb = m[h + VH_AUX], K = m[H_K];
      for (let k = 0; k < K; k++) if ((w >>> k) & 1) this.#groupAdd(h, gb, K, k, i);
    } else if (sampler === S_ALIAS) m[h + VH_EXTRA] = 1;
    else if (sampler === S_ITS) m[h + VH_EXTRA] = Math.min(m[h + VH_EXTRA], i);
    else if (sampler === S_FENWICK) this.#fenAdd(h, i, w);
    else if (sampler === S_REJECTION) m[h + VH_EXTRA] = Math.max(m[h + VH_EXTRA], w);
  }

  /** Marks slot i of v deleted: out of the groups, the hash and the total; weight 0 is the tombstone. */
  tombstone(v: number, i: number): void {
    const m = this.m, h = this.vh(v), sp = m[h + VH_SLOTS], w = m[sp + 2 * i + 1];
    const sampler = m[H_SAMPLER];
    if (sampler === S_BINGO) {
      const gb = m[h + VH_AUX], K = m[H_K];
      for (let k = 0; k < K; k++) if ((w >>> k) & 1) this.#groupRemove(h, gb, K, k, i);
    } else if (sampler === S_ALIAS) m[h + VH_EXTRA] = 1;
    else if (sampler === S_ITS) m[h + VH_EXTRA] = Math.min(m[h + VH_EXTRA], i);
    else if (sampler === S_FENWICK) this.#fenAdd(h, i, -w);
    else if (sampler === S_REJECTION && w === m[h + VH_EXTRA]) m[h + VH_AUX] = 1;
    this.#hashRemove(h, i);
    m[sp + 2 * i + 1] = 0;
    this.#addTotal(h, -w);
    m[H_EDGES]--;
  }

  /** Moves live slot t into hole i (t > i): groups, hash, sampler index. */
  #moveSlot(h: number, t: number, i: number): void {
    const m = this.m, sp = m[h + VH_SLOTS], w = m[sp + 2 * t + 1];
    const sampler = m[H_SAMPLER];
    if (sampler === S_BINGO) {
      const gb = m[h + VH_AUX], K = m[H_K];
      for (let k = 0; k < K; k++) if ((w >>> k) & 1) this.#groupMove(gb, K, k, t, i);
    } else if (sampler === S_ITS) m[h + VH_EXTRA] = Math.min(m[h + VH_EXTRA], i);
    else if (sampler === S_FENWICK) {
      this.#fenAdd(h, i, w);
      this.#fenAdd(h, t, -w);
    }
    m[m[h + VH_HASH] + this.#hashPos(h, t)] = i + 1;
    m[sp + 2 * i] = m[sp + 2 * t];
    m[sp + 2 * i + 1] = w;
    m[sp + 2 * t + 1] = 0;
  }

  /**
   * Two-phase compaction after tombstones: the live slots at or past `newDeg` fill the holes below it,
   * in ascending order of both. `firstHole` is the lowest tombstone (the scan for holes starts there, so a
   * streaming delete is O(1) and a batch scans only from its lowest hole).
   */
  compact(v: number, newDeg: number, firstHole: number): void {
    const m = this.m, h = this.vh(v), deg = m[h + VH_DEG], sp = m[h + VH_SLOTS];
    let hole = firstHole, t = newDeg;
    for (;;) {
      // the tail first: once its live slots are placed, no hole is left below newDeg (so a streaming
      // delete does not scan the slots above its hole)
      while (t < deg && m[sp + 2 * t + 1] === 0) t++;
      if (t >= deg) break;
      while (hole < newDeg && m[sp + 2 * hole + 1] !== 0) hole++;
      if (hole >= newDeg) break;
      this.#moveSlot(h, t, hole);
      hole++;
      t++;
    }
    m[h + VH_DEG] = newDeg;
  }

  /** Applies record r of a stage (inserts, then deletes, then one refresh). */
  applyRecord(stage: Uint32Array, r: number): void {
    const o = 1 + 5 * r;
    const v = stage[o], io = stage[o + 1], ic = stage[o + 2], dOff = stage[o + 3], dc = stage[o + 4];
    const h = this.vh(v);
    this.ensureCap(v, this.m[h + VH_DEG] + ic);
    let touched = 0;
    for (let e = 0; e < ic; e++) {
      this.insertSlot(v, stage[io + 2 * e], stage[io + 2 * e + 1]);
      touched |= stage[io + 2 * e + 1];
    }
    if (dc > 0) {
      let first = 0xffffffff;
      for (let e = 0; e < dc; e++) {
        const i = this.hashFind(h, stage[dOff + e]);
        touched |= this.m[this.m[h + VH_SLOTS] + 2 * i + 1];
        this.tombstone(v, i);
        first = Math.min(first, i);
      }
      this.compact(v, this.m[h + VH_DEG] - dc, first);
    }
    this.refresh(v, ic + dc, touched);
  }

  /**
   * Words that applying `ins` inserts and `del` deletes to v may bump-allocate (a safe upper bound). A
   * dense Bingo group only turns back into a list (and needs a list and an inverse index) when its count
   * can fall below alpha/2 of the degree, so dense groups that stay above that bound even after `del`
   * removals and `ins` additions to the degree count nothing: hubs with many dense groups do not make
   * every batch reserve megabytes it cannot use.
   */
  reserveFor(v: number, ins: number, del: number): number {
    const m = this.m, h = this.vh(v), K = m[H_K];
    const newCap = this.#capAfter(h, ins), deg = m[h + VH_DEG];
    let listWords = 0, regular = 0, dense = 0;
    if (m[H_SAMPLER] === S_BINGO && m[h + VH_AUX] !== 0) {
      const gb = m[h + VH_AUX], alpha = m[H_ALPHA_Q16];
      for (let k = 0; k < K; k++) {
        const kind = m[gb + K + k] & 255;
        if (kind === G_SPARSE || kind === G_REGULAR) listWords += 1 << ((m[gb + K + k] >>> 8) & 255);
        if (kind === G_REGULAR) regular++;
        if (kind === G_DENSE && Math.max(0, m[gb + k] - del) * 131072 < alpha * (deg + ins)) dense++;
      }
    }
    return this.#reserveWords(newCap, ins, listWords + regular * newCap, dense);
  }

  /** v's slot capacity after `ins` more edges (the capacity a batch may relocate it to). */
  #capAfter(h: number, ins: number): number {
    const m = this.m, capLog = m[h + VH_CAPLOG], deg = m[h + VH_DEG];
    let newCap = Math.max(capLog ? 1 << capLog : 0, 4);
    while (newCap < deg + ins) newCap *= 2;
    return newCap;
  }

  /** `reserveFor` from its terms: `lists` words of group lists and inverse indices, `dense` dense groups. */
  #reserveWords(newCap: number, ins: number, lists: number, dense: number): number {
    const K = this.m[H_K];
    const bingo = this.m[H_SAMPLER] === S_BINGO ? 16 * K + 2 * lists + 2 * ins * K + dense * 6 * newCap : 0;
    return 2 * (12 * newCap + bingo) + 64;
  }

  /**
   * The terms of `reserveFor` that only an allocation or a free can change: the words of v's group lists
   * (`listWords`) and how many of its groups are regular (each has an inverse index of the slot capacity).
   * Every change of these comes with an allocation or a free: a list grows, is made or is freed, an inverse
   * index is made or freed (a one-member group, dense or empty, has neither).
   */
  listTerms(v: number): { listWords: number; regular: number } {
    const m = this.m, h = this.vh(v), K = m[H_K];
    let listWords = 0, regular = 0;
    if (m[H_SAMPLER] === S_BINGO && m[h + VH_AUX] !== 0) {
      const gb = m[h + VH_AUX];
      for (let k = 0; k < K; k++) {
        const kind = m[gb + K + k] & 255;
        if (kind === G_SPARSE || kind === G_REGULAR) listWords += 1 << ((m[gb + K + k] >>> 8) & 255);
        if (kind === G_REGULAR) regular++;
      }
    }
    return { listWords, regular };
  }

  /**
   * A bound on the words one streaming edit (one insert or one delete) of v may bump-allocate, at least
   * `reserveFor(v, 1, 0)` and `reserveFor(v, 0, 1)`, from v's current `listTerms` and without a scan over
   * its groups; or -1 when it needs that scan. The scan counts the dense groups that one edit could bring
   * below alpha/2 of the degree; while v's adaption countdown is positive no dense group is within one edit
   * of that (#adaptSlack: c 2^17 >= A d + 2^18 gives (c - 1) 2^17 >= A (d + 1) for A <= 2^16), so that
   * count is 0. Without adaption there are no dense groups.
   */
  reserveForEdit(v: number, terms: { listWords: number; regular: number }): number {
    const m = this.m, h = this.vh(v), K = m[H_K], gb = m[h + VH_AUX];
    if (m[H_SAMPLER] === S_BINGO && gb !== 0 && m[H_ADAPT] && m[gb + groupCountdownWord(K)] < 1) return -1;
    const newCap = this.#capAfter(h, 1);
    return this.#reserveWords(newCap, 1, terms.listWords + terms.regular * newCap, 0);
  }

  /**
   * `reserveForEdit`, and how long its value holds while nothing is allocated or freed (the terms, v's slot
   * capacity and group block then stay as they are): while v's degree is at most `degMax` (the capacity an
   * insert then keeps is the one the bound assumed; -1 when the next insert relocates) and, when
   * `countdownAt` >= 0, the word there (v's adaption countdown) is at least 1.
   */
  editBound(
    v: number,
    terms: { listWords: number; regular: number },
  ): { words: number; degMax: number; countdownAt: number } {
    const m = this.m, h = this.vh(v), K = m[H_K], gb = m[h + VH_AUX];
    const cap = Math.max(m[h + VH_CAPLOG] ? 1 << m[h + VH_CAPLOG] : 0, 4);
    const countdownAt = m[H_SAMPLER] === S_BINGO && gb !== 0 && m[H_ADAPT] ? gb + groupCountdownWord(K) : -1;
    return {
      words: this.reserveForEdit(v, terms),
      degMax: m[h + VH_DEG] + 1 <= cap ? cap - 1 : -1,
      countdownAt,
    };
  }

  // ------------------------------------------------------------------ sampling

  /** Slot of one weighted draw from v's out-edges (v must have at least one). */
  sampleSlot(v: number, rng: WalkRng): number {
    const m = this.m, h = this.vh(v), deg = m[h + VH_DEG], sp = m[h + VH_SLOTS];
    switch (m[H_SAMPLER]) {
      case S_BINGO: {
        const K = m[H_K], gb = m[h + VH_AUX];
        // the table is over bounded masses B_g 2^g (layout.ts): a listed group g is kept when r < c_g for
        // r uniform below B_g (probability c_g / B_g), and then r is also its uniform member index; a dense
        // group is kept by the word that split its column (layout.ts keepDense)
        let g: number, r = 0, kind: number;
        for (;;) {
          const j = rng.int(m[h + VH_EXTRA]);
          const u = rng.nextU32(), t = m[gb + 4 * K + j], pair = m[gb + 5 * K + j];
          g = u < t ? pair & 255 : (pair >>> 8) & 255;
          kind = m[gb + K + g] & 255;
          const c = m[gb + g], b = m[gb + 6 * K + g];
          if (kind === G_DENSE) {
            if (keepDense(u, t, c, b)) break;
          } else {
            r = rng.int(b);
            if (r < c) break;
          }
        }
        if (kind === G_ONE) return m[gb + 2 * K + g];
        if (kind === G_DENSE) {
          for (;;) {
            const i = rng.int(deg);
            if ((m[sp + 2 * i + 1] >>> g) & 1) return i;
          }
        }
        return m[m[gb + 2 * K + g] + r];
      }
      case S_ALIAS: {
        const T = m[h + VH_AUX], A = T + (1 << m[h + VH_CAPLOG]);
        const j = rng.int(deg);
        return rng.nextU32() < m[T + j] ? j : m[A + j];
      }
      case S_ITS: {
        const W = this.total(v), pa = m[h + VH_AUX] >> 1;
        let r = Math.floor(rng.uniform() * W);
        if (r >= W) r = W - 1;
        let lo = 0, hi = deg - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (this.f[pa + mid] > r) hi = mid;
          else lo = mid + 1;
        }
        return lo;
      }
      case S_FENWICK: {
        const W = this.total(v), t = m[h + VH_AUX] >> 1, cap = 1 << m[h + VH_CAPLOG];
        let r = Math.floor(rng.uniform() * W);
        if (r >= W) r = W - 1;
        let pos = 0;
        for (let step = cap; step > 0; step >>>= 1) {
          if (pos + step <= cap && this.f[t + pos + step - 1] <= r) {
            pos += step;
            r -= this.f[t + pos - 1];
          }
        }
        return pos;
      }
      case S_REJECTION: {
        const mx = m[h + VH_EXTRA];
        for (;;) {
          const i = rng.int(deg);
          if (rng.int(mx) < m[sp + 2 * i + 1]) return i;
        }
      }
      case S_RESERVOIR: {
        let chosen = 0, sum = 0;
        for (let i = 0; i < deg; i++) {
          const w = m[sp + 2 * i + 1];
          sum += w;
          if (rng.uniform() * sum < w) chosen = i;
        }
        return chosen;
      }
      default:
        return rng.int(deg);
    }
  }

  /** `count` draws from v under Philox(seed, stream 0); out gets the neighbours. */
  sampleMany(v: number, count: number, seedLo: number, seedHi: number, out: Uint32Array): void {
    const rng = new WalkRng(seedLo + seedHi * TWO32, 0);
    const sp = this.m[this.vh(v) + VH_SLOTS];
    for (let c = 0; c < count; c++) out[c] = this.m[sp + 2 * this.sampleSlot(v, rng)];
  }

  #next(cur: number, rng: WalkRng): number {
    const h = this.vh(cur);
    return this.m[this.m[h + VH_SLOTS] + 2 * this.sampleSlot(cur, rng)];
  }

  /** DeepWalk walks w in [w0, w1): walk w uses Philox(seed, stream w); entry 0 is the start. */
  deepWalk(
    starts: Uint32Array,
    length: number,
    seed: number,
    out: Uint32Array,
    w0: number,
    w1: number,
  ): void {
    for (let w = w0; w < w1; w++) {
      const rng = new WalkRng(seed, w);
      let cur = starts[w];
      const base = w * length;
      out[base] = cur;
      let s = 1;
      for (; s < length; s++) {
        if (this.degree(cur) === 0) break;
        cur = this.#next(cur, rng);
        out[base + s] = cur;
      }
      for (; s < length; s++) out[base + s] = NO_VERTEX;
    }
  }

  /**
   * node2vec walks: after the first step, a proposal x ~ first-order from cur is accepted with
   * probability f / max(1/p, 1, 1/q), f = 1/p when x is the previous vertex, 1 when the previous
   * vertex has an edge to x, 1/q otherwise.
   */
  node2vec(
    starts: Uint32Array,
    length: number,
    seed: number,
    p: number,
    q: number,
    out: Uint32Array,
    w0: number,
    w1: number,
  ): void {
    const ip = 1 / p, iq = 1 / q, bound = Math.max(ip, 1, iq);
    for (let w = w0; w < w1; w++) {
      const rng = new WalkRng(seed, w);
      let cur = starts[w], prev = NO_VERTEX;
      const base = w * length;
      out[base] = cur;
      let s = 1;
      for (; s < length; s++) {
        if (this.degree(cur) === 0) break;
        let x: number;
        if (prev === NO_VERTEX) x = this.#next(cur, rng);
        else {
          for (;;) {
            x = this.#next(cur, rng);
            const fx = x === prev ? ip : this.hashFind(this.vh(prev), x) >= 0 ? 1 : iq;
            if (rng.uniform() * bound < fx) break;
          }
        }
        prev = cur;
        cur = x;
        out[base + s] = cur;
      }
      for (; s < length; s++) out[base + s] = NO_VERTEX;
    }
  }

  /** PPR endpoints: before each step the walk stops with probability alpha (or at a vertex without out-edges). */
  ppr(starts: Uint32Array, alpha: number, seed: number, out: Uint32Array, w0: number, w1: number): void {
    for (let w = w0; w < w1; w++) {
      const rng = new WalkRng(seed, w);
      let cur = starts[w];
      while (rng.uniform() >= alpha && this.degree(cur) !== 0) cur = this.#next(cur, rng);
      out[w] = cur;
    }
  }
}

/** Alias threshold of a scaled probability p: u32 draws below it keep the column. */
export function threshold(p: number): number {
  return p >= 1 ? 0xffffffff : Math.floor(p * 4294967296) >>> 0;
}
