// Graph kernels: bounded-length chordless (induced) cycle enumeration and CSR message passing.
// A line-by-line port of lib/graph/chordless.ts (chordlessCyclesTs): every chordless cycle is found once,
// from its smallest vertex s, as s, u, ..., w with u < w the two cycle neighbours of s; the path u..w is
// grown only through vertices > s that are adjacent to the path's last vertex and to no other path vertex
// (a counter per vertex of adjacent path vertices makes that test O(1)), and never through a neighbour
// of s except to close the cycle.
//
// The work is split into `slots` interleaved sets of start vertices (s = t, t + slots, ...), one
// scratch area per slot: counts [n], inPath [n], adjS [n], path [maxLen], pos [maxLen] (i32 each).
// Pass 0 counts cycles and vertices per start vertex; pass 1 writes them at the prefix-summed offsets.

function scratchWords(n: i32, maxLen: i32): i32 {
  return 3 * n + 2 * maxLen;
}

function enumerateFrom(
  off: usize,
  tgt: usize,
  n: i32,
  maxLen: i32,
  scr: usize,
  s: i32,
  pass: i32,
  cycCount: usize,
  vertCount: usize,
  lens: usize,
  verts: usize,
): void {
  const cnt = scr;
  const inPath = scr + (<usize>n << 2);
  const adjS = scr + (<usize>(2 * n) << 2);
  const path = scr + (<usize>(3 * n) << 2);
  const pos = path + (<usize>maxLen << 2);
  const s0 = load<u32>(off + (<usize>s << 2)), s1 = load<u32>(off + (<usize>(s + 1) << 2));
  for (let k = s0; k < s1; k++) {
    const y = load<u32>(tgt + (<usize>k << 2));
    if (<i32>y > s) store<i32>(adjS + (<usize>y << 2), 1);
  }
  let ncyc: i32 = 0, nvert: i32 = 0;
  let cycAt: i32 = 0, vertAt: i32 = 0;
  if (pass == 1) {
    cycAt = load<i32>(cycCount + (<usize>s << 2));
    vertAt = load<i32>(vertCount + (<usize>s << 2));
  }
  for (let k0 = s0; k0 < s1; k0++) {
    const u = <i32>load<u32>(tgt + (<usize>k0 << 2));
    if (u <= s) continue;
    // push u
    store<i32>(path, u);
    store<i32>(inPath + (<usize>u << 2), 1);
    let a0 = load<u32>(off + (<usize>u << 2)), a1 = load<u32>(off + (<usize>(u + 1) << 2));
    for (let a = a0; a < a1; a++) {
      const z = <usize>load<u32>(tgt + (<usize>a << 2));
      store<i32>(cnt + (z << 2), load<i32>(cnt + (z << 2)) + 1);
    }
    store<i32>(pos, <i32>a0);
    let depth: i32 = 1;
    while (depth > 0) {
      const x = load<i32>(path + (<usize>(depth - 1) << 2));
      const p = load<i32>(pos + (<usize>(depth - 1) << 2));
      const xEnd = <i32>load<u32>(off + (<usize>(x + 1) << 2));
      if (p == xEnd) {
        // pop x
        store<i32>(inPath + (<usize>x << 2), 0);
        a0 = load<u32>(off + (<usize>x << 2));
        for (let a = a0; a < <u32>xEnd; a++) {
          const z = <usize>load<u32>(tgt + (<usize>a << 2));
          store<i32>(cnt + (z << 2), load<i32>(cnt + (z << 2)) - 1);
        }
        depth--;
        continue;
      }
      store<i32>(pos + (<usize>(depth - 1) << 2), p + 1);
      const y = <i32>load<u32>(tgt + (<usize>p << 2));
      if (y <= s) continue;
      if (load<i32>(inPath + (<usize>y << 2)) != 0) continue;
      if (load<i32>(cnt + (<usize>y << 2)) != 1) continue;
      if (load<i32>(adjS + (<usize>y << 2)) != 0) {
        if (y > u && depth + 2 <= maxLen) {
          if (pass == 1) {
            store<i32>(lens + (<usize>cycAt << 2), depth + 2);
            store<i32>(verts + (<usize>vertAt << 2), s);
            for (let i = 0; i < depth; i++) {
              store<i32>(verts + (<usize>(vertAt + 1 + i) << 2), load<i32>(path + (<usize>i << 2)));
            }
            store<i32>(verts + (<usize>(vertAt + 1 + depth) << 2), y);
            cycAt++;
            vertAt += depth + 2;
          }
          ncyc++;
          nvert += depth + 2;
        }
        continue;
      }
      if (depth + 3 > maxLen) continue;
      // push y
      store<i32>(path + (<usize>depth << 2), y);
      store<i32>(inPath + (<usize>y << 2), 1);
      a0 = load<u32>(off + (<usize>y << 2));
      a1 = load<u32>(off + (<usize>(y + 1) << 2));
      for (let a = a0; a < a1; a++) {
        const z = <usize>load<u32>(tgt + (<usize>a << 2));
        store<i32>(cnt + (z << 2), load<i32>(cnt + (z << 2)) + 1);
      }
      store<i32>(pos + (<usize>depth << 2), <i32>a0);
      depth++;
    }
  }
  for (let k = s0; k < s1; k++) {
    const y = load<u32>(tgt + (<usize>k << 2));
    store<i32>(adjS + (<usize>y << 2), 0);
  }
  if (pass == 0) {
    store<i32>(cycCount + (<usize>s << 2), ncyc);
    store<i32>(vertCount + (<usize>s << 2), nvert);
  }
}

/**
 * Chordless cycles of length <= maxLen of the undirected CSR graph (off [n+1], tgt sorted rows).
 * pass 0: cycCount[s], vertCount[s] = number of cycles / vertices found from start vertex s.
 * pass 1: cycCount[s], vertCount[s] hold the prefix-summed offsets; writes lens and verts there.
 * Range over slots [t0, t1): slot t handles s = t, t + slots, ... with scratch at scratch + t * words.
 */
export function chordless_cycles(
  off: usize,
  tgt: usize,
  n: i32,
  maxLen: i32,
  scratch: usize,
  slots: i32,
  pass: i32,
  cycCount: usize,
  vertCount: usize,
  lens: usize,
  verts: usize,
  t0: i32,
  t1: i32,
): void {
  const words = scratchWords(n, maxLen);
  for (let t = t0; t < t1; t++) {
    const scr = scratch + (<usize>(t * words) << 2);
    memory.fill(scr, 0, <usize>words << 2);
    for (let s = t; s < n; s += slots) {
      enumerateFrom(off, tgt, n, maxLen, scr, s, pass, cycCount, vertCount, lens, verts);
    }
  }
}

/**
 * CSR message passing (sum aggregation with a self term), rows [v0, v1):
 * out[v, :] = (1 + eps) * h[v, :] + sum over arcs k of v of h[src[k], :], h and out [n, d] f32.
 * rowOff [n+1] and src [arcs] index the incoming arcs of each vertex.
 */
export function gin_aggregate(
  h: usize,
  rowOff: usize,
  src: usize,
  out: usize,
  d: i32,
  eps: f32,
  v0: i32,
  v1: i32,
): void {
  const scale: f32 = <f32>1.0 + eps;
  const sv = f32x4.splat(scale);
  const d4 = d & ~3;
  for (let v = v0; v < v1; v++) {
    const o = out + (<usize>(v * d) << 2);
    const hv = h + (<usize>(v * d) << 2);
    let c = 0;
    for (; c < d4; c += 4) v128.store(o + (<usize>c << 2), f32x4.mul(v128.load(hv + (<usize>c << 2)), sv));
    for (; c < d; c++) store<f32>(o + (<usize>c << 2), load<f32>(hv + (<usize>c << 2)) * scale);
    const k0 = load<u32>(rowOff + (<usize>v << 2)), k1 = load<u32>(rowOff + (<usize>(v + 1) << 2));
    for (let k = k0; k < k1; k++) {
      const u = load<u32>(src + (<usize>k << 2));
      const hu = h + (<usize>(u * <u32>d) << 2);
      c = 0;
      for (; c < d4; c += 4) {
        const a = o + (<usize>c << 2);
        v128.store(a, f32x4.add(v128.load(a), v128.load(hu + (<usize>c << 2))));
      }
      for (; c < d; c++) {
        const a = o + (<usize>c << 2);
        store<f32>(a, load<f32>(a) + load<f32>(hu + (<usize>c << 2)));
      }
    }
  }
}
