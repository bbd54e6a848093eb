// Random walks on dynamic graphs (Bingo and baselines): a line-by-line port of lib/walk/engine.ts over the
// same pool layout (lib/walk/layout.ts). Every function takes the pool's byte address first; offsets inside
// the pool are u32 word indices. Nothing here allocates on a heap: the pool's own power-of-two block
// allocator (guarded by a spin lock so batched updates can run on several workers) hands out blocks, and
// the TypeScript side reserves enough room before every call.

import { philox10, philoxOut0, philoxOut1, philoxOut2, philoxOut3 } from "./shared/philox_round";

// ---------------------------------------------------------------- layout (mirrors lib/walk/layout.ts)
// @ts-ignore: decorator
const H_K: u32 = 1;

// @ts-ignore: decorator
const H_SAMPLER: u32 = 2;

// @ts-ignore: decorator
const H_ADAPT: u32 = 3;

// @ts-ignore: decorator
const H_ALPHA_Q16: u32 = 4;

// @ts-ignore: decorator
const H_SPARSE_MAX: u32 = 5;

// @ts-ignore: decorator
const H_CAP: u32 = 6;

// @ts-ignore: decorator
const H_TOP: u32 = 7;

// @ts-ignore: decorator
const H_LOCK: u32 = 8;

// @ts-ignore: decorator
const H_USED: u32 = 9;

// @ts-ignore: decorator
const H_VBASE: u32 = 10;

// @ts-ignore: decorator
const H_EDGES: u32 = 11;

// @ts-ignore: decorator
const H_DENSE_MIN_DEG: u32 = 12;

// @ts-ignore: decorator
const H_FREE: u32 = 16;

// @ts-ignore: decorator
const VH_DEG: u32 = 0;

// @ts-ignore: decorator
const VH_CAPLOG: u32 = 1;

// @ts-ignore: decorator
const VH_SLOTS: u32 = 2;

// @ts-ignore: decorator
const VH_HASH: u32 = 3;

// @ts-ignore: decorator
const VH_AUX: u32 = 4;

// @ts-ignore: decorator
const VH_TOTLO: u32 = 5;

// @ts-ignore: decorator
const VH_TOTHI: u32 = 6;

// @ts-ignore: decorator
const VH_EXTRA: u32 = 7;

// @ts-ignore: decorator
const VH_WORDS: u32 = 8;

// @ts-ignore: decorator
const S_BINGO: u32 = 0;

// @ts-ignore: decorator
const S_ALIAS: u32 = 1;

// @ts-ignore: decorator
const S_ITS: u32 = 2;

// @ts-ignore: decorator
const S_FENWICK: u32 = 3;

// @ts-ignore: decorator
const S_REJECTION: u32 = 4;

// @ts-ignore: decorator
const S_RESERVOIR: u32 = 5;

// @ts-ignore: decorator
const G_EMPTY: u32 = 0;

// @ts-ignore: decorator
const G_ONE: u32 = 1;

// @ts-ignore: decorator
const G_SPARSE: u32 = 2;

// @ts-ignore: decorator
const G_REGULAR: u32 = 3;

// @ts-ignore: decorator
const G_DENSE: u32 = 4;

// @ts-ignore: decorator
const MIN_CAPLOG: u32 = 2;

// @ts-ignore: decorator
const CLEAN: u32 = 0xffffffff;

// @ts-ignore: decorator
const NO_VERTEX: u32 = 0xffffffff;

// @ts-ignore: decorator
const HASH_MUL: u32 = 0x9e3779b1;

// Pool base (bytes); set by every entry point. Per instance, so per thread.
let B: usize = 0;

// @ts-ignore: decorator
function ld(o: u32): u32 {
  return load<u32>(B + (<usize> o << 2));
}

// @ts-ignore: decorator
function st(o: u32, v: u32): void {
  store<u32>(B + (<usize> o << 2), v);
}

// f64 at word offset o (even)
// @ts-ignore: decorator
function ldf(o: u32): f64 {
  return load<f64>(B + (<usize> o << 2));
}

// @ts-ignore: decorator
function stf(o: u32, v: f64): void {
  store<f64>(B + (<usize> o << 2), v);
}

// ---------------------------------------------------------------- Philox stream (lib/core/rng.ts layout)
let key0: u32 = 0, key1: u32 = 0, rstream: u32 = 0;
let ridx: u64 = 0;
let r0: u32 = 0, r1: u32 = 0, r2: u32 = 0, r3: u32 = 0;

function philoxBlock(c0in: u32, c1in: u32): void {
  philox10(c0in, c1in, rstream, 0, key0, key1);
  r0 = philoxOut0;
  r1 = philoxOut1;
  r2 = philoxOut2;
  r3 = philoxOut3;
}

function rngStart(seedLo: u32, seedHi: u32, stream: u32): void {
  key0 = seedLo;
  key1 = seedHi;
  rstream = stream;
  ridx = 0;
}

// @ts-ignore: decorator
@inline function nextU32(): u32 {
  const lane = <u32> (ridx & 3);
  if (lane == 0) {
    const b = ridx >> 2;
    philoxBlock(<u32> b, <u32> (b >> 32));
  }
  ridx++;
  return lane == 0 ? r0 : lane == 1 ? r1 : lane == 2 ? r2 : r3;
}

// Uniform integer in {0..n-1} by Lemire's method (WalkRng.int): r = (u n) >> 32, rejecting words whose low
// product word is below 2^32 mod n (the only case that divides).
function rint(n: u32): u32 {
  for (;;) {
    const x = <u64> nextU32() * <u64> n;
    const lo = <u32> x;
    if (lo < n && lo < (0 - n) % n) continue;
    return <u32> (x >> 32);
  }
  return 0;
}

function uniform(): f64 {
  const a = nextU32() >> 5, b = nextU32() >> 6;
  return (<f64> a * 67108864.0 + <f64> b) * 1.1102230246251565e-16;
}

// ---------------------------------------------------------------- allocator

function lock(): void {
  const a = B + (<usize> H_LOCK << 2);
  while (atomic.cmpxchg<u32>(a, 0, 1) != 0) {}
}
function unlock(): void {
  atomic.store<u32>(B + (<usize> H_LOCK << 2), 0);
}

// Blocks this instance allocated or freed (mod 2^31): a streaming edit whose count did not move allocated
// and freed nothing, which the host's cached reserve bound relies on (lib/walk/graph.ts #streamReserve).
let ALLOCS: u32 = 0;

function alloc(c: u32): u32 {
  ALLOCS = (ALLOCS + 1) & 0x7fffffff;
  lock();
  const head = ld(H_FREE + c);
  let p: u32;
  if (head != 0) {
    st(H_FREE + c, ld(head));
    p = head;
  } else {
    p = ld(H_TOP);
    const size: u32 = <u32> 1 << c;
    if (p + size > ld(H_CAP)) {
      unlock();
      unreachable(); // the TypeScript side reserves room first
    }
    st(H_TOP, p + size);
  }
  st(H_USED, ld(H_USED) + (<u32> 1 << c));
  unlock();
  return p;
}

function free(p: u32, c: u32): void {
  ALLOCS = (ALLOCS + 1) & 0x7fffffff;
  lock();
  st(p, ld(H_FREE + c));
  st(H_FREE + c, p);
  st(H_USED, ld(H_USED) - (<u32> 1 << c));
  unlock();
}

function sizeClass(words: u32): u32 {
  let c: u32 = 2;
  while ((<u32> 1 << c) < words) c++;
  return c;
}

function mfill(o: u32, n: u32): void {
  memory.fill(B + (<usize> o << 2), 0, <usize> n << 2);
}

// ---------------------------------------------------------------- accessors

// @ts-ignore: decorator
function vhOf(v: u32): u32 {
  return ld(H_VBASE) + VH_WORDS * v;
}

// The total weight: VH_TOTLO, VH_TOTHI as one little-endian u64.
function totalOf(h: u32): u64 {
  return load<u64>(B + (<usize> (h + VH_TOTLO) << 2));
}
function addTotal(h: u32, delta: i64): void {
  store<u64>(B + (<usize> (h + VH_TOTLO) << 2), <u64> (<i64> totalOf(h) + delta));
}

// ---------------------------------------------------------------- hash

// @ts-ignore: decorator
function home(d: u32, hbits: u32): u32 {
  return (d * HASH_MUL) >> (32 - hbits);
}

// Enters slot `slot`, whose dst is d.
function hashInsert(h: u32, slot: u32, d: u32): void {
  const hbits = ld(h + VH_CAPLOG) + 1, mask = (<u32> 1 << hbits) - 1, hp = ld(h + VH_HASH);
  let p = home(d, hbits);
  while (ld(hp + p) != 0) p = (p + 1) & mask;
  st(hp + p, slot + 1);
}

// The hash position of the entry hashFind last found (its caller removes that entry next).
let FOUND_AT: u32 = 0;

// The slot of a (v, d) edge, or -1; sets FOUND_AT.
function hashFind(h: u32, d: u32): i32 {
  if (ld(h + VH_CAPLOG) == 0) return -1;
  const hbits = ld(h + VH_CAPLOG) + 1,
    mask = (<u32> 1 << hbits) - 1,
    hp = ld(h + VH_HASH),
    sp = ld(h + VH_SLOTS);
  let p = home(d, hbits);
  for (;;) {
    const e = ld(hp + p);
    if (e == 0) return -1;
    if (ld(sp + 2 * (e - 1)) == d) {
      FOUND_AT = p;
      return <i32> (e - 1);
    }
    p = (p + 1) & mask;
  }
  return -1;
}

function hashPos(h: u32, slot: u32): u32 {
  const hbits = ld(h + VH_CAPLOG) + 1, mask = (<u32> 1 << hbits) - 1, hp = ld(h + VH_HASH);
  let p = home(ld(ld(h + VH_SLOTS) + 2 * slot), hbits);
  while (ld(hp + p) != slot + 1) p = (p + 1) & mask;
  return p;
}

// Removes the entry at hash position `at` (backward-shift deletion).
function hashRemoveAt(h: u32, at: u32): void {
  const hbits = ld(h + VH_CAPLOG) + 1,
    mask = (<u32> 1 << hbits) - 1,
    hp = ld(h + VH_HASH),
    sp = ld(h + VH_SLOTS);
  let i = at, j = i;
  for (;;) {
    j = (j + 1) & mask;
    const e = ld(hp + j);
    if (e == 0) break;
    const k = home(ld(sp + 2 * (e - 1)), hbits);
    const stays = j > i ? k > i && k <= j : k > i || k <= j;
    if (!stays) {
      st(hp + i, e);
      i = j;
    }
  }
  st(hp + i, 0);
}

// ---------------------------------------------------------------- capacity

function ensureCap(h: u32, need: u32): void {
  const oldLog = ld(h + VH_CAPLOG);
  if (oldLog != 0 && need <= (<u32> 1 << oldLog)) return;
  let newLog = MIN_CAPLOG;
  while ((<u32> 1 << newLog) < need) newLog++;
  if (newLog <= oldLog) return;
  relocate(h, oldLog, newLog);
}

function relocate(h: u32, oldLog: u32, newLog: u32): void {
  const deg = ld(h + VH_DEG), newCap: u32 = <u32> 1 << newLog;
  const ns = alloc(newLog + 1);
  const os = ld(h + VH_SLOTS);
  for (let i: u32 = 0; i < 2 * deg; i++) st(ns + i, ld(os + i));
  if (oldLog != 0) {
    free(os, oldLog + 1);
    free(ld(h + VH_HASH), oldLog + 1);
  }
  const nh = alloc(newLog + 1);
  mfill(nh, 2 * newCap);
  st(h + VH_SLOTS, ns);
  st(h + VH_HASH, nh);
  st(h + VH_CAPLOG, newLog);
  for (let i: u32 = 0; i < deg; i++) hashInsert(h, i, ld(ns + 2 * i));
  const sampler = ld(H_SAMPLER);
  if (sampler == S_BINGO) {
    const K = ld(H_K);
    let gb = ld(h + VH_AUX);
    if (gb == 0) {
      gb = alloc(sizeClass(max(8 * K, 10))); // lib/walk/layout.ts groupBlockWords
      mfill(gb, max(8 * K, 10));
      st(h + VH_AUX, gb);
    }
    for (let k: u32 = 0; k < K; k++) {
      if ((ld(gb + K + k) & 255) == G_REGULAR) {
        const oi = ld(gb + 3 * K + k), ni = alloc(newLog);
        for (let i: u32 = 0; i < deg; i++) st(ni + i, ld(oi + i));
        free(oi, oldLog);
        st(gb + 3 * K + k, ni);
      }
    }
  } else if (sampler == S_ALIAS || sampler == S_ITS || sampler == S_FENWICK) {
    const oa = ld(h + VH_AUX), na = alloc(newLog + 1);
    mfill(na, 2 * newCap);
    if (sampler == S_ITS) {
      for (let i: u32 = 0; i < 2 * deg; i++) st(na + i, ld(oa + i));
    }
    if (oldLog != 0) free(oa, oldLog + 1);
    st(h + VH_AUX, na);
    if (sampler == S_ALIAS) st(h + VH_EXTRA, 1);
    if (sampler == S_FENWICK) {
      const sp = ld(h + VH_SLOTS);
      for (let i: u32 = 0; i < newCap; i++) {
        if (i < deg) stf(na + 2 * i, ldf(na + 2 * i) + <f64> ld(sp + 2 * i + 1));
        const j = i + 1 + ((i + 1) & (0 - (i + 1)));
        if (j <= newCap) stf(na + 2 * (j - 1), ldf(na + 2 * (j - 1)) + ldf(na + 2 * i));
      }
    }
  }
}

// ---------------------------------------------------------------- Bingo groups

function makeList(gb: u32, K: u32, k: u32, kind: u32, capLog: u32, h: u32): u32 {
  const list = alloc(capLog);
  st(gb + K + k, kind | (capLog << 8));
  st(gb + 2 * K + k, list);
  if (kind == G_REGULAR) st(gb + 3 * K + k, alloc(ld(h + VH_CAPLOG)));
  return list;
}

function freeList(gb: u32, K: u32, k: u32, h: u32): void {
  const meta = ld(gb + K + k), kind = meta & 255;
  if (kind == G_SPARSE || kind == G_REGULAR) free(ld(gb + 2 * K + k), (meta >> 8) & 255);
  if (kind == G_REGULAR) free(ld(gb + 3 * K + k), ld(h + VH_CAPLOG));
  st(gb + 2 * K + k, 0);
  st(gb + 3 * K + k, 0);
}

function listRoom(gb: u32, K: u32, k: u32, c: u32): u32 {
  const meta = ld(gb + K + k), capLog = (meta >> 8) & 255;
  let list = ld(gb + 2 * K + k);
  if (c >= (<u32> 1 << capLog)) {
    const nl = alloc(capLog + 1);
    for (let i: u32 = 0; i < c; i++) st(nl + i, ld(list + i));
    free(list, capLog);
    list = nl;
    st(gb + 2 * K + k, nl);
    st(gb + K + k, (meta & 255) | ((capLog + 1) << 8));
  }
  return list;
}

// What a single-edge edit of a group tells refresh: OUTSIDE, its count left its bound's window
// (lib/walk/layout.ts boundHolds); DUE, it is a listed group due a sparse <-> regular change (#countDue).
// @ts-ignore: decorator
const OUTSIDE: u32 = 1;

// @ts-ignore: decorator
const DUE: u32 = 2;

// Whether bound b does not serve count c: not c <= b <= c + c/4 + 1, in one unsigned comparison (c > b
// wraps b - c around; counts are below 2^31).
// @ts-ignore: decorator
@inline function outside(c: u32, b: u32): u32 {
  return <u32> (b - c > (c >> 2) + 1);
}

// DUE when group k (of count c, after its edit) is sparse above sparseMax or regular below sparseMax / 2.
function dueAfter(gb: u32, K: u32, k: u32, c: u32): u32 {
  const kind = ld(gb + K + k) & 255, sparseMax = ld(H_SPARSE_MAX);
  return (kind == G_SPARSE && c > sparseMax) || (kind == G_REGULAR && (c << 1) < sparseMax) ? DUE : 0;
}

// The group block's dense mask word (lib/walk/layout.ts groupDenseMaskWord): bit k, group k is dense.
// @ts-ignore: decorator
@inline function maskAt(gb: u32, K: u32): u32 {
  return gb + (K == 1 ? 8 : 8 * K - 2);
}

// Groups of the last groupStep that need their members edited: not dense, or going empty on a delete.
let SLOW: u32 = 0;

// Moves the counts of the groups in w (bits below K) by +1 (up) or -1, four groups per v128 (skipping the
// fours with no bit of w), and leaves in SLOW those of them that are not in `dense` (the vertex's dense
// mask) or, on a delete, go empty. Nothing else: a listed group checks its own window as its members are
// edited, and the countdown covers the dense groups' windows (settle).
function groupStep(gb: u32, K: u32, w: u32, up: bool, dense: u32): void {
  const lanes = i32x4(1, 2, 4, 8), one = i32x4.splat(1);
  let single: u32 = 0;
  for (let j: u32 = 0; j < K; j += 4) {
    if (((w >> j) & 15) == 0) continue;
    const t = i32x4.eq(v128.and(i32x4.splat(w >> j), lanes), lanes); // -1 on the lanes of w's bits
    const pc = B + (<usize> (gb + j) << 2);
    const c = v128.load(pc);
    v128.store(pc, up ? i32x4.sub(c, t) : i32x4.add(c, t));
    if (!up) single |= <u32> i32x4.bitmask(i32x4.eq(c, one)) << j;
  }
  SLOW = w & (~dense | single);
}

// Adds slot i to the members of group k (not dense), which had c before the edit; returns DUE and OUTSIDE
// (its count left its bound's window) or 0. A dense group keeps no members: its count is the whole edit
// (groupStep moves the counts).
function groupAdd(h: u32, gb: u32, K: u32, k: u32, i: u32, c: u32): u32 {
  const kind = ld(gb + K + k) & 255;
  if (kind == G_EMPTY) {
    if (ld(H_ADAPT) != 0) {
      st(gb + K + k, G_ONE);
      st(gb + 2 * K + k, i);
    } else {
      const list = makeList(gb, K, k, G_REGULAR, 2, h);
      st(list, i);
      st(ld(gb + 3 * K + k) + i, 0);
    }
  } else if (kind == G_ONE) {
    const old = ld(gb + 2 * K + k);
    const list = makeList(gb, K, k, G_SPARSE, 2, h);
    st(list, old);
    st(list + 1, i);
  } else if (kind == G_SPARSE) {
    const list = listRoom(gb, K, k, c);
    st(list + c, i);
  } else if (kind == G_REGULAR) {
    const list = listRoom(gb, K, k, c);
    st(list + c, i);
    st(ld(gb + 3 * K + k) + i, c);
  }
  return dueAfter(gb, K, k, c + 1) | outside(c + 1, ld(gb + 6 * K + k));
}

// Removes slot i from group k, which had c members before the edit, when it is listed or goes empty (then
// out of the dense mask too); returns DUE and OUTSIDE or 0 (as groupAdd).
function groupRemove(h: u32, gb: u32, K: u32, k: u32, i: u32, c: u32): u32 {
  const kind = ld(gb + K + k) & 255;
  if (kind == G_SPARSE) {
    const list = ld(gb + 2 * K + k);
    let p: u32 = 0;
    while (ld(list + p) != i) p++;
    st(list + p, ld(list + c - 1));
  } else if (kind == G_REGULAR) {
    const list = ld(gb + 2 * K + k), inv = ld(gb + 3 * K + k);
    const p = ld(inv + i), last = ld(list + c - 1);
    st(list + p, last);
    st(inv + last, p);
  }
  if (c == 1) {
    freeList(gb, K, k, h);
    st(gb + K + k, G_EMPTY);
    st(maskAt(gb, K), ld(maskAt(gb, K)) & ~(<u32> 1 << k));
  }
  return dueAfter(gb, K, k, c - 1) | outside(c - 1, ld(gb + 6 * K + k));
}

function groupMove(gb: u32, K: u32, k: u32, from: u32, to: u32): void {
  const kind = ld(gb + K + k) & 255;
  if (kind == G_ONE) st(gb + 2 * K + k, to);
  else if (kind == G_SPARSE) {
    const list = ld(gb + 2 * K + k);
    let p: u32 = 0;
    while (ld(list + p) != from) p++;
    st(list + p, to);
  } else if (kind == G_REGULAR) {
    const list = ld(gb + 2 * K + k), inv = ld(gb + 3 * K + k);
    const p = ld(inv + from);
    st(list + p, to);
    st(inv + to, p);
  }
}

// The streaming edits' inlined steps for a regular group, the listed kind of a hub's large groups: without a
// call, and with its kind read once (same-process A/B at a 10^4 hub with R-MAT weights, where about one
// edge in two belongs to a regular group: 0.058 -> 0.049 us per update). Every other kind, and a list that
// must grow or goes empty, takes groupAdd, groupRemove or groupMove.

// groupAdd(h, gb, K, k, i, c).
// @ts-ignore: decorator
@inline function addMember(h: u32, gb: u32, K: u32, k: u32, i: u32, c: u32): u32 {
  const meta = ld(gb + K + k);
  if ((meta & 255) != G_REGULAR || c >= (<u32> 1 << ((meta >> 8) & 255))) return groupAdd(h, gb, K, k, i, c);
  st(ld(gb + 2 * K + k) + c, i);
  st(ld(gb + 3 * K + k) + i, c);
  return outside(c + 1, ld(gb + 6 * K + k)) | (((c + 1) << 1) < ld(H_SPARSE_MAX) ? DUE : 0);
}

// groupRemove(h, gb, K, k, i, c).
// @ts-ignore: decorator
@inline function removeMember(h: u32, gb: u32, K: u32, k: u32, i: u32, c: u32): u32 {
  if ((ld(gb + K + k) & 255) != G_REGULAR || c == 1) return groupRemove(h, gb, K, k, i, c);
  const list = ld(gb + 2 * K + k), inv = ld(gb + 3 * K + k);
  const p = ld(inv + i), last = ld(list + c - 1);
  st(list + p, last);
  st(inv + last, p);
  return outside(c - 1, ld(gb + 6 * K + k)) | (((c - 1) << 1) < ld(H_SPARSE_MAX) ? DUE : 0);
}

// groupMove(gb, K, k, from, to) for a group that is not dense.
// @ts-ignore: decorator
@inline function moveMember(gb: u32, K: u32, k: u32, from: u32, to: u32): void {
  const kind = ld(gb + K + k) & 255;
  if (kind == G_REGULAR) {
    const inv = ld(gb + 3 * K + k), p = ld(inv + from);
    st(ld(gb + 2 * K + k) + p, to);
    st(inv + to, p);
  } else if (kind != G_DENSE) groupMove(gb, K, k, from, to);
}

function adapt(h: u32, gb: u32, K: u32): void {
  if (ld(H_ADAPT) == 0) return;
  const deg = ld(h + VH_DEG), alpha = <u64> ld(H_ALPHA_Q16), sparseMax = ld(H_SPARSE_MAX);
  const sp = ld(h + VH_SLOTS);
  for (let k: u32 = 0; k < K; k++) {
    const c = ld(gb + k);
    if (c == 0) continue;
    const kind = ld(gb + K + k) & 255;
    if (kind == G_DENSE) {
      if (<u64> c * 131072 >= alpha * <u64> deg) continue;
      const kindNew = c <= sparseMax ? G_SPARSE : G_REGULAR;
      const list = makeList(gb, K, k, kindNew, sizeClass(2 * c), h);
      const inv = ld(gb + 3 * K + k);
      let n: u32 = 0;
      for (let i: u32 = 0; i < deg; i++) {
        if ((ld(sp + 2 * i + 1) >> k) & 1) {
          st(list + n, i);
          if (kindNew == G_REGULAR) st(inv + i, n);
          n++;
        }
      }
    } else if (deg >= ld(H_DENSE_MIN_DEG) && <u64> c * 65536 > alpha * <u64> deg) {
      freeList(gb, K, k, h);
      st(gb + K + k, G_DENSE);
    } else if (kind == G_SPARSE && c > sparseMax) {
      const list = ld(gb + 2 * K + k), inv = alloc(ld(h + VH_CAPLOG));
      for (let p: u32 = 0; p < c; p++) st(inv + ld(list + p), p);
      st(gb + 3 * K + k, inv);
      st(gb + K + k, (ld(gb + K + k) & ~255) | G_REGULAR);
    } else if (kind == G_REGULAR && (c << 1) < sparseMax) {
      free(ld(gb + 3 * K + k), ld(h + VH_CAPLOG));
      st(gb + 3 * K + k, 0);
      st(gb + K + k, (ld(gb + K + k) & ~255) | G_SPARSE);
    }
  }
}

function threshold(p: f64): u32 {
  return p >= 1 ? 0xffffffff : <u32> <i64> (p * 4294967296.0); // p < 1: below 2^32
}

// A group's count bound and its window (lib/walk/layout.ts groupBound, boundHolds).
// @ts-ignore: decorator
@inline function groupBound(c: u32): u32 {
  return c == 0 ? 0 : c + (c >> 3) + 1;
}

// The alias table over the non-empty groups (Vose) in unnormalised units: column j has a_j = n m_j, with
// m_j = B_j 2^k_j the group's bounded mass (B_j = groupBound(c_j)), n the number of columns and
// W = sum m_j; it is small when a_j < W, a small column keeps the draws below floor(2^32 a_j / W) and a
// large one gives away W - a_j. With integer masses every step is exact while the a_j stay below 2^53, and
// only the small columns divide (lib/walk/engine.ts does the same operations in the same order: the
// tables are bit-identical). The bounds go to the first K scratch words.
function rebuildGroupAlias(h: u32, gb: u32, K: u32): void {
  const T = gb + 4 * K, P = gb + 5 * K, s = gb + 6 * K;
  let n: u32 = 0;
  let W: f64 = 0;
  for (let k: u32 = 0; k < K; k++) {
    const c = ld(gb + k);
    if (c > 0) {
      // B 2^k, 2^k from its exponent bits
      const m = <f64> groupBound(c) * reinterpret<f64>((<u64> (1023 + k)) << 52);
      st(P + n, k);
      stf(s + 2 * n, m);
      W += m;
      n++;
    }
  }
  st(h + VH_EXTRA, n);
  if (n == 0) {
    mfill(s, K);
    return;
  }
  const nf = <f64> n;
  let ns: u32 = 0, nl: u32 = 0;
  for (let j: u32 = 0; j < n; j++) {
    const a = ldf(s + 2 * j) * nf;
    stf(s + 2 * j, a);
    if (a < W) {
      st(P + ns, (ld(P + ns) & 0xff00ffff) | (j << 16));
      ns++;
    } else {
      st(P + nl, (ld(P + nl) & 0x00ffffff) | (j << 24));
      nl++;
    }
  }
  while (ns > 0 && nl > 0) {
    ns--;
    nl--;
    const si = (ld(P + ns) >> 16) & 255;
    const li = ld(P + nl) >> 24;
    const av = ldf(s + 2 * si);
    st(T + si, threshold(av / W));
    st(P + si, (ld(P + si) & 0xffff00ff) | ((ld(P + li) & 255) << 8));
    const al = ldf(s + 2 * li) + av - W;
    stf(s + 2 * li, al);
    if (al < W) {
      st(P + ns, (ld(P + ns) & 0xff00ffff) | (li << 16));
      ns++;
    } else {
      st(P + nl, (ld(P + nl) & 0x00ffffff) | (li << 24));
      nl++;
    }
  }
  while (nl > 0) {
    nl--;
    const li = ld(P + nl) >> 24;
    st(T + li, 0xffffffff);
    st(P + li, (ld(P + li) & 0xffff00ff) | ((ld(P + li) & 255) << 8));
  }
  while (ns > 0) {
    ns--;
    const si = (ld(P + ns) >> 16) & 255;
    st(T + si, 0xffffffff);
    st(P + si, (ld(P + si) & 0xffff00ff) | ((ld(P + si) & 255) << 8));
  }
  for (let j: u32 = 0; j < n; j++) st(P + j, ld(P + j) & 0xffff);
  for (let k: u32 = 0; k < K; k++) st(s + k, groupBound(ld(gb + k)));
}

// ---------------------------------------------------------------- baselines

function fenAdd(h: u32, i: u32, delta: f64): void {
  const t = ld(h + VH_AUX), cap: u32 = <u32> 1 << ld(h + VH_CAPLOG);
  for (let j = i + 1; j <= cap; j += j & (0 - j)) stf(t + 2 * (j - 1), ldf(t + 2 * (j - 1)) + delta);
}

function rebuildAlias(h: u32): void {
  const deg = ld(h + VH_DEG),
    sp = ld(h + VH_SLOTS),
    T = ld(h + VH_AUX),
    A = T + (<u32> 1 << ld(h + VH_CAPLOG));
  st(h + VH_EXTRA, 0);
  if (deg == 0) return;
  const sc = alloc(sizeClass(4 * deg));
  const S = sc + 2 * deg, L = sc + 3 * deg;
  const W = <f64> totalOf(h);
  let ns: u32 = 0, nl: u32 = 0;
  for (let i: u32 = 0; i < deg; i++) {
    stf(sc + 2 * i, (<f64> ld(sp + 2 * i + 1) * <f64> deg) / W);
    if (ldf(sc + 2 * i) < 1) st(S + ns++, i);
    else st(L + nl++, i);
  }
  while (ns > 0 && nl > 0) {
    const si = ld(S + --ns), li = ld(L + --nl);
    st(T + si, threshold(ldf(sc + 2 * si)));
    st(A + si, li);
    stf(sc + 2 * li, ldf(sc + 2 * li) + ldf(sc + 2 * si) - 1);
    if (ldf(sc + 2 * li) < 1) st(S + ns++, li);
    else st(L + nl++, li);
  }
  while (nl > 0) {
    const li = ld(L + --nl);
    st(T + li, 0xffffffff);
    st(A + li, li);
  }
  while (ns > 0) {
    const si = ld(S + --ns);
    st(T + si, 0xffffffff);
    st(A + si, si);
  }
  free(sc, sizeClass(4 * deg));
}

// Single-edge edits v's groups can take before any could be due for a kind change (lib/walk/engine.ts
// #adaptSlack, the same integers; arithmetic shifts floor).
function adaptSlack(h: u32, gb: u32, K: u32): u32 {
  const d = <i64> ld(h + VH_DEG), A = <i64> ld(H_ALPHA_Q16), minDeg = <i64> ld(H_DENSE_MIN_DEG);
  let q: i64 = 0xffffffff;
  for (let k: u32 = 0; k < K; k++) {
    const c = <i64> ld(gb + k), kind = ld(gb + K + k) & 255;
    const t = kind == G_DENSE ? (c * 131072 - A * d) >> 18 : max((A * d - c * 65536) >> 17, minDeg - d - 1);
    q = min(q, max(t, 0));
  }
  return <u32> q;
}

// How many single-edge edits a count c inside bound b's window can take and stay inside it
// (lib/walk/layout.ts windowSlack).
// @ts-ignore: decorator
@inline function windowSlack(c: u32, b: u32): u32 {
  const y = b - 1;
  return min(b - c, c - (y - y / 5));
}

// Writes v's countdown (lib/walk/layout.ts, at most 2^31 - 1): the fewest of `rest` and the edits before a
// dense group's count could leave its window. After an adaption pass the dense mask is found again and
// `rest` is the adaption slack; otherwise the mask stands (groupRemove keeps it when a group empties).
function writeCountdown(gb: u32, K: u32, adapted: bool, rest: u32): void {
  let mask = ld(maskAt(gb, K));
  if (adapted) {
    mask = 0;
    for (let k: u32 = 0; k < K; k++) if (ld(gb + K + k) == G_DENSE) mask |= <u32> 1 << k;
    st(maskAt(gb, K), mask);
  }
  let q = min(rest, 0x7fffffff);
  for (let b = mask; b != 0; b &= b - 1) {
    const k = ctz(b);
    q = min(q, windowSlack(ld(gb + k), ld(gb + 6 * K + k)));
  }
  st(gb + 8 * K - 1, q);
}

// The slow half of Bingo's refresh (lib/walk/engine.ts #settleGroups), after `edits` edits with the
// countdown at q, once the countdown has `expired` (q < edits) or the edited groups said `flags`. The
// countdown expired or a group DUE: the adaption pass, a rebuild if any count is outside its bound's window,
// a fresh countdown. Otherwise a count left its window (OUTSIDE) and no group can be due: a rebuild, and
// the countdown the fewest of q - edits (which still bounds the adaption slack) and the dense groups' new
// windows. Out of the edits' line.
function settleGroups(h: u32, gb: u32, K: u32, edits: u32, q: u32, flags: u32): void {
  const adaptive = ld(H_ADAPT) != 0;
  if (q < edits || (flags & DUE) != 0) {
    let rebuild = flags & OUTSIDE;
    for (let k: u32 = 0; k < K; k++) rebuild |= outside(ld(gb + k), ld(gb + 6 * K + k));
    if (adaptive) adapt(h, gb, K);
    if (rebuild != 0) rebuildGroupAlias(h, gb, K);
    writeCountdown(gb, K, true, adaptive ? adaptSlack(h, gb, K) : 0xffffffff);
  } else {
    rebuildGroupAlias(h, gb, K);
    writeCountdown(gb, K, false, q - edits);
  }
}

// Bingo's refresh once the check over the touched groups said `flags` (OUTSIDE | DUE; a single-edge edit
// gets them from its listed groups' edits): while the countdown covers the edits and neither flag is up
// (DUE counts with adaption on), the countdown goes down by `edits` and that is all.
// @ts-ignore: decorator
@inline function settle(h: u32, gb: u32, K: u32, edits: u32, flags: u32): void {
  const at = gb + 8 * K - 1, q = ld(at);
  if (ld(H_ADAPT) == 0) flags &= OUTSIDE;
  if (q >= edits && flags == 0) st(at, q - edits);
  else settleGroups(h, gb, K, edits, q, flags);
}

// After `edits` single-edge edits of the vertex with header h that moved the counts of the groups in
// `touched` (group bits, the OR of the edited weights; lib/walk/engine.ts refresh). Bingo: one pass over the
// touched groups finds a count outside its bound's window (c <= b <= c + c/4 + 1; bounds are 0 or at least
// 2, so this also says "b = 0" for an empty group) and a group due a sparse <-> regular change (#countDue).
// The groups not touched have not moved since the last refresh left every one inside its window and none
// due (then `settle`).
function refresh(h: u32, edits: u32, touched: u32): void {
  const sampler = ld(H_SAMPLER);
  if (sampler == S_BINGO) {
    const gb = ld(h + VH_AUX);
    if (gb == 0) return;
    const K = ld(H_K);
    let flags: u32 = 0;
    for (let t = touched; t != 0; t &= t - 1) {
      const k = ctz(t), c = ld(gb + k);
      flags |= outside(c, ld(gb + 6 * K + k)) | dueAfter(gb, K, k, c);
    }
    settle(h, gb, K, edits, flags);
  } else if (sampler == S_ALIAS) {
    if (ld(h + VH_EXTRA) != 0 && ld(h + VH_CAPLOG) != 0) rebuildAlias(h);
  } else if (sampler == S_ITS) {
    const d = ld(h + VH_EXTRA);
    if (d == CLEAN) return;
    const deg = ld(h + VH_DEG), sp = ld(h + VH_SLOTS), pa = ld(h + VH_AUX);
    let acc: f64 = d > 0 ? ldf(pa + 2 * (d - 1)) : 0;
    for (let i = d; i < deg; i++) {
      acc += <f64> ld(sp + 2 * i + 1);
      stf(pa + 2 * i, acc);
    }
    st(h + VH_EXTRA, CLEAN);
  } else if (sampler == S_REJECTION) {
    if (ld(h + VH_AUX) != 0) {
      const deg = ld(h + VH_DEG), sp = ld(h + VH_SLOTS);
      let mx: u32 = 0;
      for (let i: u32 = 0; i < deg; i++) mx = max(mx, ld(sp + 2 * i + 1));
      st(h + VH_EXTRA, mx);
      st(h + VH_AUX, 0);
    }
  }
}

// refresh after one single-edge edit whose group edits said `flags`: Bingo's listed groups checked their
// windows as their members were edited, and the countdown covers the dense ones' (settle).
// @ts-ignore: decorator
@inline function refreshOne(h: u32, flags: u32): void {
  const gb = ld(h + VH_AUX);
  if (ld(H_SAMPLER) != S_BINGO) refresh(h, 1, 0);
  else if (gb != 0) settle(h, gb, ld(H_K), 1, flags);
}

// ---------------------------------------------------------------- edits
// insertSlot, tombstone and moveSlot (and settle, refreshOne) are inlined: a streaming edit of a hub is a
// few dozen instructions once its dense groups need no member work, and a call frame for each step was a
// measurable part of it (same-process A/B, 1e4 hub: 0.048 -> 0.042 us per update with uniform weights).

// The groups of the vertex with header h that are not dense (Bingo; all groups for the other samplers).
function listedOf(h: u32): u32 {
  if (ld(H_SAMPLER) != S_BINGO) return 0xffffffff;
  const gb = ld(h + VH_AUX);
  return ~ld(maskAt(gb, ld(H_K)));
}

// Appends edge (d, w) to the vertex with header h; returns its group edits' OUTSIDE | DUE (Bingo; else 0).
// @ts-ignore: decorator
@inline function insertSlot(h: u32, d: u32, w: u32): u32 {
  const i = ld(h + VH_DEG), sp = ld(h + VH_SLOTS);
  st(sp + 2 * i, d);
  st(sp + 2 * i + 1, w);
  st(h + VH_DEG, i + 1);
  hashInsert(h, i, d);
  addTotal(h, <i64> w);
  const sampler = ld(H_SAMPLER);
  let flags: u32 = 0;
  if (sampler == S_BINGO) {
    const gb = ld(h + VH_AUX), K = ld(H_K);
    groupStep(gb, K, w, true, ld(maskAt(gb, K)));
    for (let b = SLOW; b != 0; b &= b - 1) {
      const k = ctz(b);
      flags |= addMember(h, gb, K, k, i, ld(gb + k) - 1);
    }
  } else if (sampler == S_ALIAS) st(h + VH_EXTRA, 1);
  else if (sampler == S_ITS) st(h + VH_EXTRA, min(ld(h + VH_EXTRA), i));
  else if (sampler == S_FENWICK) fenAdd(h, i, <f64> w);
  else if (sampler == S_REJECTION) st(h + VH_EXTRA, max(ld(h + VH_EXTRA), w));
  return flags;
}

// Tombstones slot i, whose entry sits at hash position `at` (FOUND_AT of the hashFind that found it);
// returns its group edits' OUTSIDE | DUE (Bingo; else 0).
// @ts-ignore: decorator
@inline function tombstone(h: u32, i: u32, at: u32): u32 {
  const sp = ld(h + VH_SLOTS), w = ld(sp + 2 * i + 1);
  const sampler = ld(H_SAMPLER);
  let flags: u32 = 0;
  if (sampler == S_BINGO) {
    const gb = ld(h + VH_AUX), K = ld(H_K);
    groupStep(gb, K, w, false, ld(maskAt(gb, K)));
    for (let b = SLOW; b != 0; b &= b - 1) {
      const k = ctz(b);
      flags |= removeMember(h, gb, K, k, i, ld(gb + k) + 1);
    }
  } else if (sampler == S_ALIAS) st(h + VH_EXTRA, 1);
  else if (sampler == S_ITS) st(h + VH_EXTRA, min(ld(h + VH_EXTRA), i));
  else if (sampler == S_FENWICK) fenAdd(h, i, -(<f64> w));
  else if (sampler == S_REJECTION && w == ld(h + VH_EXTRA)) st(h + VH_AUX, 1);
  hashRemoveAt(h, at);
  st(sp + 2 * i + 1, 0);
  addTotal(h, -(<i64> w));
  return flags;
}

// Moves live slot t into hole i (t > i): groups, hash, sampler index. Bingo edits the members of the groups
// in `listed` that are not dense (all groups, or those out of the dense mask: a group a streaming delete
// took out of it by emptying holds no live slot).
// @ts-ignore: decorator
@inline function moveSlot(h: u32, t: u32, i: u32, listed: u32): void {
  const sp = ld(h + VH_SLOTS), w = ld(sp + 2 * t + 1);
  const sampler = ld(H_SAMPLER);
  if (sampler == S_BINGO) {
    const gb = ld(h + VH_AUX), K = ld(H_K);
    for (let b = w & listed; b != 0; b &= b - 1) {
      moveMember(gb, K, ctz(b), t, i);
    }
  } else if (sampler == S_ITS) st(h + VH_EXTRA, min(ld(h + VH_EXTRA), i));
  else if (sampler == S_FENWICK) {
    fenAdd(h, i, <f64> w);
    fenAdd(h, t, -(<f64> w));
  }
  st(ld(h + VH_HASH) + hashPos(h, t), i + 1);
  st(sp + 2 * i, ld(sp + 2 * t));
  st(sp + 2 * i + 1, w);
  st(sp + 2 * t + 1, 0);
}

// Fills the holes below newDeg with the live slots at or past it (moveSlot with `listed`).
function compact(h: u32, newDeg: u32, firstHole: u32, listed: u32): void {
  const deg = ld(h + VH_DEG), sp = ld(h + VH_SLOTS);
  let hole = firstHole, t = newDeg;
  for (;;) {
    // the tail first (see lib/walk/engine.ts): a streaming delete does not scan the slots above its hole
    while (t < deg && ld(sp + 2 * t + 1) == 0) t++;
    if (t >= deg) break;
    while (hole < newDeg && ld(sp + 2 * hole + 1) != 0) hole++;
    if (hole >= newDeg) break;
    moveSlot(h, t, hole, listed);
    hole++;
    t++;
  }
  st(h + VH_DEG, newDeg);
}

// ---------------------------------------------------------------- entry points: updates

// One edge (v, d, w): ensure capacity, append, refresh v's index. Returns the allocation count (ALLOCS).
// Single-edge calls come from one thread and never run beside a stage on workers (lib/walk/graph.ts
// refuses edits while a batch is in flight), so the live-edge count takes a plain add here.
export function insert_one(pool: usize, v: u32, d: u32, w: u32): u32 {
  B = pool;
  const h = vhOf(v);
  ensureCap(h, ld(h + VH_DEG) + 1);
  refreshOne(h, insertSlot(h, d, w));
  st(H_EDGES, ld(H_EDGES) + 1);
  return ALLOCS;
}

// Deletes one (v, d) edge (swap with the tail); returns the allocation count (ALLOCS), or -1 when there is
// no such edge (and then changes nothing).
export function delete_one(pool: usize, v: u32, d: u32): i32 {
  B = pool;
  const h = vhOf(v);
  const i = hashFind(h, d);
  if (i < 0) return -1;
  // one hole: the tail fills it (compact's loop, unrolled), past the dense groups of the mask
  const last = ld(h + VH_DEG) - 1;
  const flags = tombstone(h, <u32> i, FOUND_AT);
  if (<u32> i < last) moveSlot(h, last, <u32> i, listedOf(h));
  st(h + VH_DEG, last);
  refreshOne(h, flags);
  st(H_EDGES, ld(H_EDGES) - 1);
  return <i32> ALLOCS;
}

// Records [r0, r1) of a stage (see lib/walk/engine.ts writeStage): per vertex inserts, then deletes as
// tombstones, two-phase compaction, one index rebuild. Records touch distinct vertices, so ranges can
// run on different workers.
export function apply_stage(pool: usize, stage: usize, rr0: u32, rr1: u32): void {
  B = pool;
  for (let r = rr0; r < rr1; r++) {
    const o = stage + (<usize> (1 + 5 * r) << 2);
    const v = load<u32>(o), io = load<u32>(o, 4), ic = load<u32>(o, 8), dOff = load<u32>(o, 12);
    const dc = load<u32>(o, 16);
    const h = vhOf(v);
    ensureCap(h, ld(h + VH_DEG) + ic);
    let touched: u32 = 0;
    for (let e: u32 = 0; e < ic; e++) {
      const a = stage + (<usize> (io + 2 * e) << 2), w = load<u32>(a, 4);
      insertSlot(h, load<u32>(a), w);
      touched |= w;
    }
    if (dc > 0) {
      let first: u32 = 0xffffffff;
      for (let e: u32 = 0; e < dc; e++) {
        const i = <u32> hashFind(h, load<u32>(stage + (<usize> (dOff + e) << 2)));
        touched |= ld(ld(h + VH_SLOTS) + 2 * i + 1);
        tombstone(h, i, FOUND_AT);
        first = min(first, i);
      }
      compact(h, ld(h + VH_DEG) - dc, first, 0xffffffff);
    }
    refresh(h, ic + dc, touched);
    // the live-edge count is the one word records on other workers share
    atomic.add<u32>(B + (<usize> H_EDGES << 2), ic - dc);
  }
}

// ---------------------------------------------------------------- sampling

// Whether a draw whose column split (word u against threshold t) picked a dense group of count c and bound
// b keeps it (lib/walk/layout.ts keepDense): u is uniform on its side of the split, [0, t) or [t, 2^32),
// and its offset `off` in that side of `num` words is kept when off b < num c.
// @ts-ignore: decorator
@inline function keepDense(u: u32, t: u32, c: u32, b: u32): bool {
  const small = u < t;
  const off = <u64> (small ? u : u - t), num: u64 = small ? <u64> t : 4294967296 - <u64> t;
  return off * <u64> b < num * <u64> c;
}

function sampleSlot(v: u32): u32 {
  const h = vhOf(v), deg = ld(h + VH_DEG), sp = ld(h + VH_SLOTS);
  const sampler = ld(H_SAMPLER);
  if (sampler == S_BINGO) {
    const K = ld(H_K), gb = ld(h + VH_AUX);
    // bounded masses (lib/walk/layout.ts): a listed group g is kept when r < c_g, r then a uniform member
    // index; a dense group is kept by its column split's own word (keepDense)
    let g: u32, r: u32 = 0, kind: u32;
    for (;;) {
      const j = rint(ld(h + VH_EXTRA));
      const u = nextU32(), t = ld(gb + 4 * K + j), pair = ld(gb + 5 * K + j);
      g = u < t ? pair & 255 : (pair >> 8) & 255;
      kind = ld(gb + K + g) & 255;
      const c = ld(gb + g), b = ld(gb + 6 * K + g);
      if (kind == G_DENSE) {
        if (keepDense(u, t, c, b)) break;
      } else {
        r = rint(b);
        if (r < c) break;
      }
    }
    if (kind == G_ONE) return ld(gb + 2 * K + g);
    if (kind == G_DENSE) {
      for (;;) {
        const i = rint(deg);
        if ((ld(sp + 2 * i + 1) >> g) & 1) return i;
      }
    }
    return ld(ld(gb + 2 * K + g) + r);
  }
  if (sampler == S_ALIAS) {
    const T = ld(h + VH_AUX), A = T + (<u32> 1 << ld(h + VH_CAPLOG));
    const j = rint(deg);
    return nextU32() < ld(T + j) ? j : ld(A + j);
  }
  if (sampler == S_ITS) {
    const W = <f64> totalOf(h), pa = ld(h + VH_AUX);
    let r = Math.floor(uniform() * W);
    if (r >= W) r = W - 1;
    let lo: u32 = 0, hi = deg - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ldf(pa + 2 * mid) > r) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
  if (sampler == S_FENWICK) {
    const W = <f64> totalOf(h), t = ld(h + VH_AUX), cap: u32 = <u32> 1 << ld(h + VH_CAPLOG);
    let r = Math.floor(uniform() * W);
    if (r >= W) r = W - 1;
    let pos: u32 = 0;
    for (let step = cap; step > 0; step >>= 1) {
      if (pos + step <= cap && ldf(t + 2 * (pos + step - 1)) <= r) {
        pos += step;
        r -= ldf(t + 2 * (pos - 1));
      }
    }
    return pos;
  }
  if (sampler == S_REJECTION) {
    const mx = ld(h + VH_EXTRA);
    for (;;) {
      const i = rint(deg);
      if (rint(mx) < ld(sp + 2 * i + 1)) return i;
    }
  }
  if (sampler == S_RESERVOIR) {
    let chosen: u32 = 0;
    let sum: f64 = 0;
    for (let i: u32 = 0; i < deg; i++) {
      const w = <f64> ld(sp + 2 * i + 1);
      sum += w;
      if (uniform() * sum < w) chosen = i;
    }
    return chosen;
  }
  return rint(deg);
}

// @ts-ignore: decorator
function nextVertex(cur: u32): u32 {
  return ld(ld(vhOf(cur) + VH_SLOTS) + 2 * sampleSlot(cur));
}

// @ts-ignore: decorator
function degreeOf(v: u32): u32 {
  return ld(vhOf(v) + VH_DEG);
}

// out[c] = neighbour of draw c from v under Philox(seed, stream 0), c in [0, count).
export function sample_many(pool: usize, v: u32, count: u32, seedLo: u32, seedHi: u32, out: usize): void {
  B = pool;
  rngStart(seedLo, seedHi, 0);
  for (let c: u32 = 0; c < count; c++) store<u32>(out + (<usize> c << 2), nextVertex(v));
}

function deepwalkRange(starts: usize, length: u32, seedLo: u32, seedHi: u32, out: usize, w0: u32, w1: u32): void {
  for (let w = w0; w < w1; w++) {
    rngStart(seedLo, seedHi, w);
    let cur = load<u32>(starts + (<usize> w << 2));
    const base = out + (<usize> w * <usize> length << 2);
    store<u32>(base, cur);
    let s: u32 = 1;
    for (; s < length; s++) {
      if (degreeOf(cur) == 0) break;
      cur = nextVertex(cur);
      store<u32>(base + (<usize> s << 2), cur);
    }
    for (; s < length; s++) store<u32>(base + (<usize> s << 2), NO_VERTEX);
  }
}

// DeepWalk walks [w0, w1): walk w uses Philox(seed, stream w); entry 0 is the start.
export function deepwalk(
  pool: usize,
  starts: usize,
  length: u32,
  seedLo: u32,
  seedHi: u32,
  out: usize,
  w0: u32,
  w1: u32,
): void {
  B = pool;
  deepwalkRange(starts, length, seedLo, seedHi, out, w0, w1);
}

// Claims the next `grain` walks of [0, n) from the shared counter at byte address ctr; returns the first
// claimed walk, or n when none are left. Every thread of a parallel walk call claims chunks this way
// (dynamic scheduling: walks have very different lengths on skewed graphs, and a thread that is slowed
// down by another process takes fewer chunks).
function claim(ctr: usize, grain: u32, n: u32): u32 {
  const w = atomic.add<u32>(ctr, grain);
  return w < n ? w : n;
}

// Parallel DeepWalk over n walks: each of the threads [t0, t1) claims chunks of `grain` walks from the
// counter at ctr (zeroed by the caller). The walks are the same as deepwalk's.
export function deepwalk_dyn(
  pool: usize,
  starts: usize,
  length: u32,
  seedLo: u32,
  seedHi: u32,
  out: usize,
  ctr: usize,
  n: u32,
  grain: u32,
  t0: u32,
  t1: u32,
): void {
  B = pool;
  for (let t = t0; t < t1; t++) {
    for (;;) {
      const w0 = claim(ctr, grain, n);
      if (w0 >= n) break;
      deepwalkRange(starts, length, seedLo, seedHi, out, w0, min(n, w0 + grain));
    }
  }
}

function node2vecRange(
  starts: usize,
  length: u32,
  seedLo: u32,
  seedHi: u32,
  ip: f64,
  iq: f64,
  out: usize,
  w0: u32,
  w1: u32,
): void {
  const bound = Math.max(Math.max(ip, 1), iq);
  for (let w = w0; w < w1; w++) {
    rngStart(seedLo, seedHi, w);
    let cur = load<u32>(starts + (<usize> w << 2)), prev = NO_VERTEX;
    const base = out + (<usize> w * <usize> length << 2);
    store<u32>(base, cur);
    let s: u32 = 1;
    for (; s < length; s++) {
      if (degreeOf(cur) == 0) break;
      let x: u32;
      if (prev == NO_VERTEX) x = nextVertex(cur);
      else {
        for (;;) {
          x = nextVertex(cur);
          const fx = x == prev ? ip : hashFind(vhOf(prev), x) >= 0 ? 1.0 : iq;
          if (uniform() * bound < fx) break;
        }
      }
      prev = cur;
      cur = x;
      store<u32>(base + (<usize> s << 2), cur);
    }
    for (; s < length; s++) store<u32>(base + (<usize> s << 2), NO_VERTEX);
  }
}

// node2vec walks [w0, w1) (see lib/walk/engine.ts): ip = 1/p, iq = 1/q.
export function node2vec(
  pool: usize,
  starts: usize,
  length: u32,
  seedLo: u32,
  seedHi: u32,
  ip: f64,
  iq: f64,
  out: usize,
  w0: u32,
  w1: u32,
): void {
  B = pool;
  node2vecRange(starts, length, seedLo, seedHi, ip, iq, out, w0, w1);
}

// Parallel node2vec over n walks with dynamic scheduling (see deepwalk_dyn).
export function node2vec_dyn(
  pool: usize,
  starts: usize,
  length: u32,
  seedLo: u32,
  seedHi: u32,
  ip: f64,
  iq: f64,
  out: usize,
  ctr: usize,
  n: u32,
  grain: u32,
  t0: u32,
  t1: u32,
): void {
  B = pool;
  for (let t = t0; t < t1; t++) {
    for (;;) {
      const w0 = claim(ctr, grain, n);
      if (w0 >= n) break;
      node2vecRange(starts, length, seedLo, seedHi, ip, iq, out, w0, min(n, w0 + grain));
    }
  }
}

function pprRange(starts: usize, alpha: f64, seedLo: u32, seedHi: u32, out: usize, w0: u32, w1: u32): void {
  for (let w = w0; w < w1; w++) {
    rngStart(seedLo, seedHi, w);
    let cur = load<u32>(starts + (<usize> w << 2));
    while (uniform() >= alpha && degreeOf(cur) != 0) cur = nextVertex(cur);
    store<u32>(out + (<usize> w << 2), cur);
  }
}

// PPR endpoints of walks [w0, w1): stop with probability alpha before each step.
export function ppr(
  pool: usize,
  starts: usize,
  alpha: f64,
  seedLo: u32,
  seedHi: u32,
  out: usize,
  w0: u32,
  w1: u32,
): void {
  B = pool;
  pprRange(starts, alpha, seedLo, seedHi, out, w0, w1);
}

// Parallel PPR over n walks with dynamic scheduling (see deepwalk_dyn).
export function ppr_dyn(
  pool: usize,
  starts: usize,
  alpha: f64,
  seedLo: u32,
  seedHi: u32,
  out: usize,
  ctr: usize,
  n: u32,
  grain: u32,
  t0: u32,
  t1: u32,
): void {
  B = pool;
  for (let t = t0; t < t1; t++) {
    for (;;) {
      const w0 = claim(ctr, grain, n);
      if (w0 >= n) break;
      pprRange(starts, alpha, seedLo, seedHi, out, w0, min(n, w0 + grain));
    }
  }
}

// ---------------------------------------------------------------- random-access probe (benchmarks)

// Pointer chase over a cyclic permutation of u32 indices at p: chain c (c in [c0, c1)) starts at index c
// and follows `steps` dependent loads; its last index goes to out[c]. Its time per step is the latency
// of one dependent random load, the bound a walk step (itself a chain of dependent loads) is quoted
// against.
export function chase(p: usize, steps: u32, out: usize, c0: u32, c1: u32): void {
  for (let c = c0; c < c1; c++) {
    let i: u32 = c;
    for (let s: u32 = 0; s < steps; s++) i = load<u32>(p + (<usize> i << 2));
    store<u32>(out + (<usize> c << 2), i);
  }
}
