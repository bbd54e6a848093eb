/**
 * Structural invariants of a graph's pool, checked from TypeScript for any backend: slots, hash, totals,
 * Bingo groups (counts equal bit counts over live edges; lists, inverse indices and kinds consistent; no
 * selectable empty group; the alias table reproduces the bounded group masses, each count inside its
 * bound's window; no group due a change of kind; the dense mask exact and the countdown no larger than a
 * fresh one), the baselines' indexes, and the allocator's accounting.
 *
 * @module
 */
import type { DynamicGraph } from "./graph.ts";
import {
  boundHolds,
  CLEAN,
  G_DENSE,
  G_EMPTY,
  G_ONE,
  G_REGULAR,
  G_SPARSE,
  GROUP_KINDS,
  groupBlockWords,
  groupCountdownWord,
  groupDenseMaskWord,
  H_ADAPT,
  H_ALPHA_Q16,
  H_DENSE_MIN_DEG,
  H_EDGES,
  H_K,
  H_N,
  H_SAMPLER,
  H_SPARSE_MAX,
  H_USED,
  S_ALIAS,
  S_BINGO,
  S_FENWICK,
  S_ITS,
  S_REJECTION,
  VH_AUX,
  VH_CAPLOG,
  VH_DEG,
  VH_EXTRA,
  VH_HASH,
  VH_SLOTS,
} from "./layout.ts";
import { sizeClass } from "./engine.ts";

/**
 * Every violated invariant, as text (empty when the graph is consistent).
 *
 * @example
 * ```ts
 * import { DynamicGraph } from "./graph.ts";
 * import { checkInvariants } from "./invariants.ts";
 * const g = new DynamicGraph({ numVertices: 2, backend: "ts" });
 * g.insertEdges(new Uint32Array([0]), new Uint32Array([1]), new Float64Array([2]));
 * checkInvariants(g); // []
 * ```
 */
export function checkInvariants(g: DynamicGraph): string[] {
  const e = g.engine, m = e.m, f = e.f;
  const n = m[H_N], K = m[H_K], sampler = m[H_SAMPLER];
  const bad: string[] = [];
  let edges = 0, used = 0;
  for (let v = 0; v < n && bad.length < 20; v++) {
    const h = e.vh(v), deg = m[h + VH_DEG], capLog = m[h + VH_CAPLOG];
    edges += deg;
    if (capLog === 0) {
      if (deg !== 0) bad.push(`v${v}: degree ${deg} without slots`);
      continue;
    }
    const cap = 1 << capLog, sp = m[h + VH_SLOTS], hp = m[h + VH_HASH];
    used += 4 * cap;
    if (deg > cap) bad.push(`v${v}: degree ${deg} > capacity ${cap}`);
    let total = 0;
    const bits = new Array(K).fill(0);
    for (let i = 0; i < deg; i++) {
      const w = m[sp + 2 * i + 1];
      if (w === 0) bad.push(`v${v}: tombstone left at live slot ${i}`);
      total += w;
      for (let k = 0; k < K; k++) if ((w >>> k) & 1) bits[k]++;
    }
    if (total !== e.total(v)) bad.push(`v${v}: total ${e.total(v)} != sum of weights ${total}`);
    let entries = 0;
    const seen = new Set<number>();
    for (let p = 0; p < 2 * cap; p++) {
      const x = m[hp + p];
      if (x === 0) continue;
      entries++;
      if (x - 1 >= deg || seen.has(x)) bad.push(`v${v}: bad hash entry ${x - 1}`);
      seen.add(x);
    }
    if (entries !== deg) bad.push(`v${v}: hash has ${entries} entries for degree ${deg}`);
    for (let i = 0; i < deg; i++) {
      if (e.countEdges(v, m[sp + 2 * i]) < 1) bad.push(`v${v}: slot ${i} not found through the hash`);
    }
    if (sampler === S_BINGO) {
      const gb = m[h + VH_AUX];
      used += 2 ** sizeClass(groupBlockWords(K));
      let cols = 0;
      const mass: number[] = [];
      for (let k = 0; k < K; k++) {
        const c = m[gb + k], meta = m[gb + K + k], kind = meta & 255, ptr = m[gb + 2 * K + k];
        if (c !== bits[k]) bad.push(`v${v} group ${k}: count ${c} != bit count ${bits[k]}`);
        if (c > 0) cols++;
        const b = m[gb + 6 * K + k]; // the count bound the alias table was built with (layout.ts)
        if (b === 1 || !boundHolds(c, b)) {
          bad.push(`v${v} group ${k}: count ${c} is outside its bound ${b}'s window`);
        }
        mass[k] = b * 2 ** k;
        if ((kind === G_EMPTY) !== (c === 0)) bad.push(`v${v} group ${k}: kind ${kind} with count ${c}`);
        if (kind === G_ONE && (c !== 1 || ptr >= deg || !((m[sp + 2 * ptr + 1] >>> k) & 1))) {
          bad.push(`v${v} group ${k}: bad one-element group`);
        }
        if (kind === G_SPARSE || kind === G_REGULAR) {
          const capL = (meta >>> 8) & 255;
          used += 2 ** capL;
          if (c > 2 ** capL) bad.push(`v${v} group ${k}: ${c} members in a list of ${2 ** capL}`);
          const s = new Set<number>();
          for (let p = 0; p < c; p++) {
            const i = m[ptr + p];
            if (i >= deg || s.has(i) || !((m[sp + 2 * i + 1] >>> k) & 1)) {
              bad.push(`v${v} group ${k}: bad list entry ${i}`);
            }
            s.add(i);
            if (kind === G_REGULAR && m[m[gb + 3 * K + k] + i] !== p) {
              bad.push(`v${v} group ${k}: inverse of slot ${i} is not ${p}`);
            }
          }
          if (kind === G_REGULAR) used += cap;
        }
        if (kind > G_DENSE) bad.push(`v${v} group ${k}: unknown kind ${kind}`);
        // the kernels find dense groups by their whole meta word (a dense group keeps no list capacity)
        if (kind === G_DENSE && meta !== G_DENSE) bad.push(`v${v} group ${k}: dense with meta ${meta}`);
        // whether or not the adaption pass ran (its countdown may skip it), no kind change is due
        if (m[H_ADAPT] && c > 0) {
          const A = m[H_ALPHA_Q16], sparseMax = m[H_SPARSE_MAX];
          const due = kind === G_DENSE
            ? c * 131072 < A * deg
            : (deg >= m[H_DENSE_MIN_DEG] && c * 65536 > A * deg) ||
              (kind === G_SPARSE && c > sparseMax) || (kind === G_REGULAR && 2 * c < sparseMax);
          if (due) {
            bad.push(
              `v${v} group ${k}: ${GROUP_KINDS[kind]} with count ${c} at degree ${deg} is due a change`,
            );
          }
        }
      }
      if (m[h + VH_EXTRA] !== cols) bad.push(`v${v}: alias has ${m[h + VH_EXTRA]} columns, ${cols} groups`);
      // the dense mask is exact; the countdown never promises more edits than a fresh one would (each
      // edit lowers a fresh countdown by at most one, and the kept one by exactly one)
      const fresh = e.freshCountdown(v);
      const mask = m[gb + groupDenseMaskWord(K)], q = m[gb + groupCountdownWord(K)];
      if (mask !== fresh.denseMask) bad.push(`v${v}: dense mask ${mask} != ${fresh.denseMask}`);
      if (q > fresh.countdown) bad.push(`v${v}: countdown ${q} > ${fresh.countdown} (layout.ts)`);
      if (cols > 0) {
        const W = mass.reduce((a, b) => a + b, 0);
        const got = new Array(K).fill(0);
        for (let j = 0; j < cols; j++) {
          const t = m[gb + 4 * K + j] / 4294967296, pair = m[gb + 5 * K + j];
          const a = pair & 255, b = (pair >>> 8) & 255;
          if (m[gb + a] === 0 || m[gb + b] === 0) {
            bad.push(`v${v}: alias column ${j} can select an empty group`);
          }
          got[a] += t / cols;
          got[b] += (1 - t) / cols;
        }
        for (let k = 0; k < K; k++) {
          if (Math.abs(got[k] - mass[k] / W) > 1e-6) {
            bad.push(`v${v} group ${k}: alias gives ${got[k]}, bounded mass share is ${mass[k] / W}`);
          }
        }
      }
    } else if (sampler === S_ALIAS || sampler === S_ITS || sampler === S_FENWICK) {
      used += 2 * cap;
      const aux = m[h + VH_AUX];
      if (sampler === S_ITS) {
        if (m[h + VH_EXTRA] !== CLEAN) bad.push(`v${v}: prefix left dirty`);
        let acc = 0;
        for (let i = 0; i < deg; i++) {
          acc += m[sp + 2 * i + 1];
          if (f[(aux >> 1) + i] !== acc) bad.push(`v${v}: prefix[${i}] wrong`);
        }
      } else if (sampler === S_FENWICK) {
        let acc = 0;
        for (let i = 0; i < cap; i++) {
          acc += i < deg ? m[sp + 2 * i + 1] : 0;
          let q = 0;
          for (let j = i + 1; j > 0; j -= j & -j) q += f[(aux >> 1) + j - 1];
          if (q !== acc) bad.push(`v${v}: Fenwick prefix ${i} is ${q}, expected ${acc}`);
        }
      } else if (deg > 0) {
        const got = new Array(deg).fill(0), T = aux, A = aux + cap;
        for (let j = 0; j < deg; j++) {
          const t = m[T + j] / 4294967296;
          got[j] += t / deg;
          got[m[A + j]] += (1 - t) / deg;
        }
        for (let i = 0; i < deg; i++) {
          if (Math.abs(got[i] - m[sp + 2 * i + 1] / total) > 1e-6) {
            bad.push(`v${v}: alias share of slot ${i}`);
          }
        }
      }
    } else if (sampler === S_REJECTION && deg > 0) {
      let mx = 0;
      for (let i = 0; i < deg; i++) mx = Math.max(mx, m[sp + 2 * i + 1]);
      if (m[h + VH_EXTRA] !== mx) bad.push(`v${v}: envelope ${m[h + VH_EXTRA]} != max weight ${mx}`);
    }
  }
  if (bad.length === 0) {
    if (edges !== m[H_EDGES]) bad.push(`edge count ${m[H_EDGES]} != sum of degrees ${edges}`);
    if (used !== m[H_USED]) bad.push(`allocator says ${m[H_USED]} words live, structures hold ${used}`);
  }
  return bad;
}
