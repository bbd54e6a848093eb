// Batched graph updates on the GPU: one invocation per touched vertex applies that vertex's record of a
// stage (lib/walk/engine.ts writeStage: inserts, then deletes with two-phase compaction, then one index
// rebuild) to the graph's u32 pool (lib/walk/layout.ts) in a storage buffer. A port of the edit half of
// lib/walk/engine.ts (insertSlot, tombstone, compact, the Bingo group lists) with three differences,
// all planned by the host (lib/walk/webgpu_update.ts):
//
// - No allocation: the host has already grown every touched vertex's slot and hash blocks and every list
//   group that receives inserts (a one-element or empty group that gets a second member is already a
//   list), so inserts only write into reserved room. A list group whose count falls to 0 keeps its block
//   (count 0, kind unchanged); the host frees it after the pass. One-element and dense groups own no block
//   and become empty here.
// - The global edge counter H_EDGES is updated by the host (the invocations do not share a word).
// - Bingo's alias table over the groups is built with exact integers instead of float64 Vose (WGSL has no
//   f64 and no u64): with n non-empty groups and bounded masses B_k 2^k (B_k = c_k + c_k / 8 + 1, see
//   lib/walk/layout.ts; rebuilt only when a count leaves its bound's window), column masses are
//   a_j = n B_k 2^k and the "probability 1" of Vose is the total W, all as 64-bit integers in u32 pairs
//   (a_j < 2^64 because the host keeps every degree below 2^26 and weights below 2^32, so
//   n W < 2^5 (1.125 2^26 2^32 + 2^32) < 2^64). The threshold of a
//   column is floor(a_j 2^32 / W) by long division, the residue of a large column a_l + a_j - W is exact,
//   so the table represents the group masses exactly up to the 2^-32 quantisation of its thresholds (the
//   float64 construction's thresholds may differ from these in the last bits).
//
// Group adaption (dense <-> listed, sparse <-> regular) allocates and frees, so it runs on the host after
// the pass; it changes group representations, never counts, so the alias table built here stays valid.
//
// Entry points: apply (bindings 0 params, 1 pool, 2 stage, 3 status), gather (0, 1, 3, 4 ranges, 5 buf:
// copies pool ranges into buf after 4 status words) and scatter (0, 1, 4, 5: copies buf into pool ranges).

struct Params {
  count: u32,   // records (apply) or ranges (gather, scatter)
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> m: array<u32>;
@group(0) @binding(2) var<storage, read> stage: array<u32>;
@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read> ranges: array<u32>;
@group(0) @binding(5) var<storage, read_write> buf: array<u32>;

// layout (mirrors lib/walk/layout.ts)
const H_K: u32 = 1u;
const H_SAMPLER: u32 = 2u;
const H_VBASE: u32 = 10u;
const VH_DEG: u32 = 0u;
const VH_CAPLOG: u32 = 1u;
const VH_SLOTS: u32 = 2u;
const VH_HASH: u32 = 3u;
const VH_AUX: u32 = 4u;
const VH_TOTLO: u32 = 5u;
const VH_TOTHI: u32 = 6u;
const VH_EXTRA: u32 = 7u;
const VH_WORDS: u32 = 8u;
const S_BINGO: u32 = 0u;
const S_ALIAS: u32 = 1u;
const S_REJECTION: u32 = 4u;
const G_EMPTY: u32 = 0u;
const G_ONE: u32 = 1u;
const G_SPARSE: u32 = 2u;
const G_REGULAR: u32 = 3u;
const G_DENSE: u32 = 4u;
const HASH_MUL: u32 = 0x9e3779b1u;
const NONE: u32 = 0xffffffffu;

// status[0] bits: a record the host did not plan for (a bug), an edge to delete that is missing (a bug)
const ERR_PLAN: u32 = 1u;
const ERR_MISSING: u32 = 2u;

fn fail(code: u32) {
  atomicOr(&status[0], code);
}

fn vh(v: u32) -> u32 {
  return m[H_VBASE] + VH_WORDS * v;
}

// ---------------------------------------------------------------- 64-bit integers as (lo, hi)

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

fn sub64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  return vec2<u32>(a.x - b.x, a.y - b.y - select(0u, 1u, a.x < b.x));
}

fn lt64(a: vec2<u32>, b: vec2<u32>) -> bool {
  return a.y < b.y || (a.y == b.y && a.x < b.x);
}

// x 2^k as 64 bits, k < 32
fn shl64(x: u32, k: u32) -> vec2<u32> {
  if (k == 0u) {
    return vec2<u32>(x, 0u);
  }
  return vec2<u32>(x << k, x >> (32u - k));
}

// floor(a 2^32 / w) for a < w (binary long division; the doubled remainder may carry out of 64 bits)
fn threshold64(a: vec2<u32>, w: vec2<u32>) -> u32 {
  var r = a;
  var q = 0u;
  for (var b = 0u; b < 32u; b++) {
    let carry = r.y >> 31u;
    r = vec2<u32>(r.x << 1u, (r.y << 1u) | (r.x >> 31u));
    if (carry != 0u || !lt64(r, w)) {
      r = sub64(r, w);
      q = q | (1u << (31u - b));
    }
  }
  return q;
}

// ---------------------------------------------------------------- hash of slots by dst

fn home(d: u32, hbits: u32) -> u32 {
  return (d * HASH_MUL) >> (32u - hbits);
}

fn hash_insert(h: u32, slot: u32) {
  let hbits = m[h + VH_CAPLOG] + 1u;
  let mask = (1u << hbits) - 1u;
  let hp = m[h + VH_HASH];
  var p = home(m[m[h + VH_SLOTS] + 2u * slot], hbits);
  while (m[hp + p] != 0u) {
    p = (p + 1u) & mask;
  }
  m[hp + p] = slot + 1u;
}

fn hash_find(h: u32, d: u32) -> u32 {
  let hbits = m[h + VH_CAPLOG] + 1u;
  let mask = (1u << hbits) - 1u;
  let hp = m[h + VH_HASH];
  let sp = m[h + VH_SLOTS];
  var p = home(d, hbits);
  loop {
    let e = m[hp + p];
    if (e == 0u) {
      return NONE;
    }
    if (m[sp + 2u * (e - 1u)] == d) {
      return e - 1u;
    }
    p = (p + 1u) & mask;
  }
  return NONE;
}

fn hash_pos(h: u32, slot: u32) -> u32 {
  let hbits = m[h + VH_CAPLOG] + 1u;
  let mask = (1u << hbits) - 1u;
  let hp = m[h + VH_HASH];
  var p = home(m[m[h + VH_SLOTS] + 2u * slot], hbits);
  while (m[hp + p] != slot + 1u) {
    p = (p + 1u) & mask;
  }
  return p;
}

// backward-shift deletion, as the engine's #hashRemove
fn hash_remove(h: u32, slot: u32) {
  let hbits = m[h + VH_CAPLOG] + 1u;
  let mask = (1u << hbits) - 1u;
  let hp = m[h + VH_HASH];
  let sp = m[h + VH_SLOTS];
  var i = hash_pos(h, slot);
  var j = i;
  loop {
    j = (j + 1u) & mask;
    let e = m[hp + j];
    if (e == 0u) {
      break;
    }
    let k = home(m[sp + 2u * (e - 1u)], hbits);
    var stays: bool;
    if (j > i) {
      stays = k > i && k <= j;
    } else {
      stays = k > i || k <= j;
    }
    if (!stays) {
      m[hp + i] = e;
      i = j;
    }
  }
  m[hp + i] = 0u;
}

// ---------------------------------------------------------------- Bingo groups (no allocation)

fn group_add(gb: u32, K: u32, k: u32, i: u32) {
  let c = m[gb + k];
  let gmeta = m[gb + K + k];
  let kind = gmeta & 255u;
  if (kind == G_EMPTY) {
    if (c != 0u) {
      fail(ERR_PLAN);
    }
    m[gb + K + k] = G_ONE;
    m[gb + 2u * K + k] = i;
  } else if (kind == G_SPARSE || kind == G_REGULAR) {
    if (c >= (1u << ((gmeta >> 8u) & 255u))) {
      fail(ERR_PLAN);
      return;
    }
    let list = m[gb + 2u * K + k];
    m[list + c] = i;
    if (kind == G_REGULAR) {
      m[m[gb + 3u * K + k] + i] = c;
    }
  } else if (kind == G_ONE) {
    fail(ERR_PLAN); // the host turns a one-element group that gets members into a list
    return;
  }
  m[gb + k] = c + 1u;
}

fn group_remove(gb: u32, K: u32, k: u32, i: u32) {
  let c = m[gb + k];
  let kind = m[gb + K + k] & 255u;
  if (kind == G_SPARSE) {
    let list = m[gb + 2u * K + k];
    var p = 0u;
    while (p < c && m[list + p] != i) {
      p++;
    }
    m[list + p] = m[list + c - 1u];
  } else if (kind == G_REGULAR) {
    let list = m[gb + 2u * K + k];
    let inv = m[gb + 3u * K + k];
    let p = m[inv + i];
    let last = m[list + c - 1u];
    m[list + p] = last;
    m[inv + last] = p;
  }
  if (c == 1u && (kind == G_ONE || kind == G_DENSE)) {
    // no block to free: the group is empty now (a list group keeps its block for the host to free)
    m[gb + K + k] = G_EMPTY;
    m[gb + 2u * K + k] = 0u;
    m[gb + 3u * K + k] = 0u;
  }
  m[gb + k] = c - 1u;
}

fn group_move(gb: u32, K: u32, k: u32, src_slot: u32, dst_slot: u32) {
  let kind = m[gb + K + k] & 255u;
  if (kind == G_ONE) {
    m[gb + 2u * K + k] = dst_slot;
  } else if (kind == G_SPARSE) {
    let list = m[gb + 2u * K + k];
    var p = 0u;
    while (m[list + p] != src_slot) {
      p++;
    }
    m[list + p] = dst_slot;
  } else if (kind == G_REGULAR) {
    let list = m[gb + 2u * K + k];
    let inv = m[gb + 3u * K + k];
    let p = m[inv + src_slot];
    m[list + p] = dst_slot;
    m[inv + dst_slot] = p;
  }
}

fn group_bound(c: u32) -> u32 {
  return select(c + (c >> 3u) + 1u, 0u, c == 0u);
}

// Whether every group's count is still inside its bound's window (lib/walk/layout.ts boundHolds).
fn bounds_hold(gb: u32, K: u32) -> bool {
  var ok = true;
  for (var k = 0u; k < K; k++) {
    let c = m[gb + k];
    let b = m[gb + 6u * K + k];
    ok = ok && c <= b && b <= c + (c >> 2u) + 1u;
  }
  return ok;
}

// Vose's alias table over the non-empty groups with exact 64-bit integer bounded masses (see the top
// comment). Columns, stacks and the pair encoding follow the engine's #rebuildGroupAlias; the bounds go
// to the first K scratch words.
fn rebuild_group_alias(h: u32, gb: u32, K: u32) {
  var col: array<u32, 32>;
  var alias_of: array<u32, 32>;
  var thr: array<u32, 32>;
  var a: array<vec2<u32>, 32>;
  var small: array<u32, 32>;
  var large: array<u32, 32>;
  var n = 0u;
  for (var k = 0u; k < K; k++) {
    if (m[gb + k] > 0u) {
      col[n] = k;
      n++;
    }
  }
  m[h + VH_EXTRA] = n;
  for (var k = 0u; k < K; k++) {
    m[gb + 6u * K + k] = group_bound(m[gb + k]);
  }
  if (n == 0u) {
    return;
  }
  var W = vec2<u32>(0u, 0u);
  for (var j = 0u; j < n; j++) {
    let k = col[j];
    let b = m[gb + 6u * K + k];
    W = add64(W, shl64(b, k));
    a[j] = shl64(n * b, k);
  }
  var ns = 0u;
  var nl = 0u;
  for (var j = 0u; j < n; j++) {
    alias_of[j] = j;
    thr[j] = 0xffffffffu;
    if (lt64(a[j], W)) {
      small[ns] = j;
      ns++;
    } else {
      large[nl] = j;
      nl++;
    }
  }
  while (ns > 0u && nl > 0u) {
    ns--;
    nl--;
    let si = small[ns];
    let li = large[nl];
    thr[si] = threshold64(a[si], W);
    alias_of[si] = li;
    a[li] = add64(sub64(a[li], W), a[si]);
    if (lt64(a[li], W)) {
      small[ns] = li;
      ns++;
    } else {
      large[nl] = li;
      nl++;
    }
  }
  // what is left on either stack has mass exactly W: threshold 0xffffffff, alias itself (set above)
  let T = gb + 4u * K;
  let P = gb + 5u * K;
  for (var j = 0u; j < n; j++) {
    m[T + j] = thr[j];
    m[P + j] = col[j] | (col[alias_of[j]] << 8u);
  }
}

// ---------------------------------------------------------------- edits

fn insert_slot(h: u32, d: u32, w: u32, K: u32, sampler: u32) {
  let i = m[h + VH_DEG];
  let sp = m[h + VH_SLOTS];
  m[sp + 2u * i] = d;
  m[sp + 2u * i + 1u] = w;
  m[h + VH_DEG] = i + 1u;
  hash_insert(h, i);
  let t = add64(vec2<u32>(m[h + VH_TOTLO], m[h + VH_TOTHI]), vec2<u32>(w, 0u));
  m[h + VH_TOTLO] = t.x;
  m[h + VH_TOTHI] = t.y;
  if (sampler == S_BINGO) {
    let gb = m[h + VH_AUX];
    for (var k = 0u; k < K; k++) {
      if (((w >> k) & 1u) != 0u) {
        group_add(gb, K, k, i);
      }
    }
  } else if (sampler == S_ALIAS) {
    m[h + VH_EXTRA] = 1u;
  } else if (sampler == S_REJECTION) {
    m[h + VH_EXTRA] = max(m[h + VH_EXTRA], w);
  }
}

fn tombstone(h: u32, i: u32, K: u32, sampler: u32) {
  let sp = m[h + VH_SLOTS];
  let w = m[sp + 2u * i + 1u];
  if (sampler == S_BINGO) {
    let gb = m[h + VH_AUX];
    for (var k = 0u; k < K; k++) {
      if (((w >> k) & 1u) != 0u) {
        group_remove(gb, K, k, i);
      }
    }
  } else if (sampler == S_ALIAS) {
    m[h + VH_EXTRA] = 1u;
  } else if (sampler == S_REJECTION && w == m[h + VH_EXTRA]) {
    m[h + VH_AUX] = 1u;
  }
  hash_remove(h, i);
  m[sp + 2u * i + 1u] = 0u;
  let t = sub64(vec2<u32>(m[h + VH_TOTLO], m[h + VH_TOTHI]), vec2<u32>(w, 0u));
  m[h + VH_TOTLO] = t.x;
  m[h + VH_TOTHI] = t.y;
}

fn move_slot(h: u32, t: u32, i: u32, K: u32, sampler: u32) {
  let sp = m[h + VH_SLOTS];
  let w = m[sp + 2u * t + 1u];
  if (sampler == S_BINGO) {
    let gb = m[h + VH_AUX];
    for (var k = 0u; k < K; k++) {
      if (((w >> k) & 1u) != 0u) {
        group_move(gb, K, k, t, i);
      }
    }
  }
  m[m[h + VH_HASH] + hash_pos(h, t)] = i + 1u;
  m[sp + 2u * i] = m[sp + 2u * t];
  m[sp + 2u * i + 1u] = w;
  m[sp + 2u * t + 1u] = 0u;
}

fn compact(h: u32, new_deg: u32, first_hole: u32, K: u32, sampler: u32) {
  let deg = m[h + VH_DEG];
  let sp = m[h + VH_SLOTS];
  var hole = first_hole;
  var t = new_deg;
  loop {
    while (t < deg && m[sp + 2u * t + 1u] == 0u) {
      t++;
    }
    if (t >= deg) {
      break;
    }
    while (hole < new_deg && m[sp + 2u * hole + 1u] != 0u) {
      hole++;
    }
    if (hole >= new_deg) {
      break;
    }
    move_slot(h, t, hole, K, sampler);
    hole++;
    t++;
  }
  m[h + VH_DEG] = new_deg;
}

fn record_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 64u;
}

// ---------------------------------------------------------------- entry points

@compute @workgroup_size(64, 1, 1)
fn apply(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = record_index(gid, nwg);
  if (r >= params.count) {
    return;
  }
  let o = 1u + 5u * r;
  let v = stage[o];
  let io = stage[o + 1u];
  let ic = stage[o + 2u];
  let dOff = stage[o + 3u];
  let dc = stage[o + 4u];
  let h = vh(v);
  let K = m[H_K];
  let sampler = m[H_SAMPLER];
  let capLog = m[h + VH_CAPLOG];
  if (capLog == 0u || m[h + VH_DEG] + ic > (1u << capLog)) {
    fail(ERR_PLAN);
    return;
  }
  for (var e = 0u; e < ic; e++) {
    insert_slot(h, stage[io + 2u * e], stage[io + 2u * e + 1u], K, sampler);
  }
  if (dc > 0u) {
    var first = NONE;
    for (var e = 0u; e < dc; e++) {
      let i = hash_find(h, stage[dOff + e]);
      if (i == NONE) {
        fail(ERR_MISSING);
        return;
      }
      tombstone(h, i, K, sampler);
      first = min(first, i);
    }
    compact(h, m[h + VH_DEG] - dc, first, K, sampler);
  }
  if (sampler == S_BINGO && !bounds_hold(m[h + VH_AUX], K)) {
    rebuild_group_alias(h, m[h + VH_AUX], K);
    // mark the countdown (lib/walk/layout.ts; below 2^31): the host's refresh (Engine.adaptGroups) then
    // takes the steps the CPU batch path takes when a count left its window
    let at = m[h + VH_AUX] + 8u * K - 1u;
    m[at] = m[at] | 0x80000000u;
  } else if (sampler == S_REJECTION && m[h + VH_AUX] != 0u) {
    let deg = m[h + VH_DEG];
    let sp = m[h + VH_SLOTS];
    var mx = 0u;
    for (var i = 0u; i < deg; i++) {
      mx = max(mx, m[sp + 2u * i + 1u]);
    }
    m[h + VH_EXTRA] = mx;
    m[h + VH_AUX] = 0u;
  }
  // alias: the dirty flag (VH_EXTRA) is left for the host, which rebuilds the table in float64
}

// One workgroup per range (start, len, offset) of `ranges`: buf[4 + offset + i] = m[start + i]; workgroup
// 0 also copies the status words into buf[0..3].
@compute @workgroup_size(64, 1, 1)
fn gather(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let r = wid.x + wid.y * nwg.x;
  if (r == 0u && lid < 4u) {
    buf[lid] = atomicLoad(&status[lid]);
  }
  if (r >= params.count) {
    return;
  }
  let start = ranges[3u * r];
  let len = ranges[3u * r + 1u];
  let off = 4u + ranges[3u * r + 2u];
  for (var i = lid; i < len; i += 64u) {
    buf[off + i] = m[start + i];
  }
}

// One workgroup per range (start, len, offset): m[start + i] = buf[offset + i].
@compute @workgroup_size(64, 1, 1)
fn scatter(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let r = wid.x + wid.y * nwg.x;
  if (r >= params.count) {
    return;
  }
  let start = ranges[3u * r];
  let len = ranges[3u * r + 1u];
  let off = ranges[3u * r + 2u];
  for (var i = lid; i < len; i += 64u) {
    m[start + i] = buf[off + i];
  }
}
