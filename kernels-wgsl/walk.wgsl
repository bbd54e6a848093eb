// Random walks on a dynamic graph: DeepWalk, node2vec and PPR, one invocation per walk, over the graph's
// u32 pool (lib/walk/layout.ts) copied word for word into a storage buffer. A port of the sampling half of
// lib/walk/engine.ts (the TypeScript reference) and kernels-as/walk.ts: walk w draws the same Philox words
// (key = seed, stream w, lib/core/rng.ts layout) in the same order and makes the same integer decisions,
// so its walk is bit-identical to the ts and wasm backends.
//
// Samplers: bingo, alias, rejection, uniform (integer draws only). ITS, Fenwick and reservoir compare
// float64 values, which WGSL does not have; the host refuses them for this backend.
//
// The engine's float64 uniform u = X * 2^-53 (X = (w1 >> 5) * 2^26 + (w2 >> 6), a 53-bit integer) only
// ever enters comparisons of the form u * c < t; since X -> fl(X * 2^-53 * c) is monotone, each such test
// is "X < T" for an integer T the host finds once (binary search in float64) and passes as
// (T >> 26, T & (2^26 - 1)). Comparing (a, b) = (w1 >> 5, w2 >> 6) against that pair is exact.
//
// Bindings: 0 params (uniform), 1 pool (storage, read), 2 starts (storage, read), 3 out (storage),
// 4 state (storage).
//
// A walk runs over several dispatches, each taking it through steps [s0, s1) (ppr: at most s1 - s0
// steps), so that no invocation loops for long: some adapters stop an invocation's loops after a fixed
// number of iterations in all (Mesa's llvmpipe after 65535) and carry on after the loop, which would
// silently end a long walk early. Between dispatches the walk's state (current vertex, previous vertex,
// the index of its next Philox word, the next step and the flags) lives in `state`, 4 words per walk.
// A dispatch that finds the walk's state at another step than s0, or that leaves its loop before s1
// without the walk having ended, sets ERR: the host then knows the adapter cut the pass short.

struct Params {
  key0: u32,
  key1: u32,
  length: u32,     // vertices per walk (deepwalk, node2vec)
  n: u32,          // number of walks
  s0: u32,         // first step of this dispatch (0: the walks start)
  t_stop_hi: u32,  // ppr: continue while X >= T_stop
  t_stop_lo: u32,
  s1: u32,         // end of this dispatch's steps (ppr: s1 - s0 steps at most)
  t_ip_hi: u32,    // node2vec: accept x == prev while X < T_ip
  t_ip_lo: u32,
  t_one_hi: u32,   // accept a neighbour of prev while X < T_one
  t_one_lo: u32,
  t_iq_hi: u32,    // accept any other x while X < T_iq
  t_iq_lo: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> m: array<u32>;
@group(0) @binding(2) var<storage, read> starts: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@group(0) @binding(4) var<storage, read_write> state: array<u32>;

// state word 3: the next step (deepwalk, node2vec) or the steps taken (ppr), and the flags
const DONE: u32 = 0x80000000u;
const ERR: u32 = 0x40000000u;
const STEP_MASK: u32 = 0x3fffffffu;

// layout (mirrors lib/walk/layout.ts)
const H_K: u32 = 1u;
const H_SAMPLER: u32 = 2u;
const H_VBASE: u32 = 10u;
const VH_DEG: u32 = 0u;
const VH_CAPLOG: u32 = 1u;
const VH_SLOTS: u32 = 2u;
const VH_HASH: u32 = 3u;
const VH_AUX: u32 = 4u;
const VH_EXTRA: u32 = 7u;
const VH_WORDS: u32 = 8u;
const S_BINGO: u32 = 0u;
const S_ALIAS: u32 = 1u;
const S_REJECTION: u32 = 4u;
const G_ONE: u32 = 1u;
const G_DENSE: u32 = 4u;
const NO_VERTEX: u32 = 0xffffffffu;
const HASH_MUL: u32 = 0x9e3779b1u;

// ---------------------------------------------------------------- Philox-4x32-10
// M0, M1, W0, W1, mulhi and philox4x32 come from philox_lib.wgsl, prepended by the loader.

// One stream per invocation: word index (below 2^34 words in any walk: the block index fits a u32).
var<private> r_stream: u32;
var<private> r_idx: u32;
var<private> r_block: vec4<u32>;

fn rng_start(stream: u32) {
  r_stream = stream;
  r_idx = 0u;
}

// Continues stream `stream` at word `idx` (a walk resumed by a later dispatch).
fn rng_resume(stream: u32, idx: u32) {
  r_stream = stream;
  r_idx = idx;
  if ((idx & 3u) != 0u) {
    r_block = philox4x32(vec4<u32>(idx >> 2u, 0u, stream, 0u), vec2<u32>(params.key0, params.key1));
  }
}

fn next_u32() -> u32 {
  let lane = r_idx & 3u;
  if (lane == 0u) {
    r_block = philox4x32(vec4<u32>(r_idx >> 2u, 0u, r_stream, 0u), vec2<u32>(params.key0, params.key1));
  }
  r_idx = r_idx + 1u;
  return r_block[lane];
}

// Uniform integer in {0..n-1} by Lemire's method, as WalkRng.int: r = (u n) >> 32, rejecting words whose
// low product word is below 2^32 mod n.
fn rint(n: u32) -> u32 {
  var u = next_u32();
  loop {
    let lo = u * n;
    if (lo >= n || lo >= (0u - n) % n) {
      break;
    }
    u = next_u32();
  }
  return mulhi(u, n);
}

// Draws the engine's float64 uniform and returns whether it is below the threshold (t_hi, t_lo).
fn uniform_below(t_hi: u32, t_lo: u32) -> bool {
  let a = next_u32() >> 5u;
  let b = next_u32() >> 6u;
  return a < t_hi || (a == t_hi && b < t_lo);
}

// ---------------------------------------------------------------- graph

fn vh(v: u32) -> u32 {
  return m[H_VBASE] + VH_WORDS * v;
}

fn degree(v: u32) -> u32 {
  return m[vh(v) + VH_DEG];
}

fn hash_has(h: u32, d: u32) -> bool {
  let caplog = m[h + VH_CAPLOG];
  if (caplog == 0u) {
    return false;
  }
  let hbits = caplog + 1u;
  let mask = (1u << hbits) - 1u;
  let hp = m[h + VH_HASH];
  let sp = m[h + VH_SLOTS];
  var p = (d * HASH_MUL) >> (32u - hbits);
  loop {
    let e = m[hp + p];
    if (e == 0u) {
      return false;
    }
    if (m[sp + 2u * (e - 1u)] == d) {
      return true;
    }
    p = (p + 1u) & mask;
  }
  return false;
}

// Whether a draw whose column split (word u against threshold t) picked a dense group of count c and bound
// b keeps it (lib/walk/layout.ts keepDense): off b < num c, with off the offset of u in its side of the
// split and num the side's words (t, or 2^32 - t: 2^32 itself when t = 0), as (high, low) word pairs.
fn keep_dense(u: u32, t: u32, c: u32, b: u32) -> bool {
  let small = u < t;
  let off = select(u - t, u, small);
  let lh = mulhi(off, b);
  let ll = off * b;
  var rh = c;
  var rl = 0u;
  if (small || t != 0u) {
    let num = select(0u - t, t, small);
    rh = mulhi(num, c);
    rl = num * c;
  }
  return lh < rh || (lh == rh && ll < rl);
}

fn sample_slot(v: u32) -> u32 {
  let h = vh(v);
  let deg = m[h + VH_DEG];
  let sp = m[h + VH_SLOTS];
  let sampler = m[H_SAMPLER];
  if (sampler == S_BINGO) {
    let K = m[H_K];
    let gb = m[h + VH_AUX];
    // the alias table is over bounded masses B_g 2^g (lib/walk/layout.ts): a listed group g is kept when
    // r < c_g for r uniform below B_g (probability c_g / B_g), else a group is drawn again; a kept r is its
    // uniform member index. A dense group is kept by the word that split its column (keep_dense). (Written
    // as a flag loop: `loop { ... if (rint(b) < c) { break; } }` came back with different draws than the
    // engine on Mesa's llvmpipe.)
    var g = 0u;
    var r = 0u;
    var kind = 0u;
    var keep = false;
    while (!keep) {
      let j = rint(m[h + VH_EXTRA]);
      let u = next_u32();
      let t = m[gb + 4u * K + j];
      let pair = m[gb + 5u * K + j];
      g = select((pair >> 8u) & 255u, pair & 255u, u < t);
      kind = m[gb + K + g] & 255u;
      let c = m[gb + g];
      let b = m[gb + 6u * K + g];
      if (kind == G_DENSE) {
        keep = keep_dense(u, t, c, b);
      } else {
        r = rint(b);
        keep = r < c;
      }
    }
    if (kind == G_ONE) {
      return m[gb + 2u * K + g];
    }
    if (kind == G_DENSE) {
      loop {
        let i = rint(deg);
        if (((m[sp + 2u * i + 1u] >> g) & 1u) != 0u) {
          return i;
        }
      }
    }
    return m[m[gb + 2u * K + g] + r];
  }
  if (sampler == S_ALIAS) {
    let T = m[h + VH_AUX];
    let A = T + (1u << m[h + VH_CAPLOG]);
    let j = rint(deg);
    return select(m[A + j], j, next_u32() < m[T + j]);
  }
  if (sampler == S_REJECTION) {
    let mx = m[h + VH_EXTRA];
    loop {
      let i = rint(deg);
      if (rint(mx) < m[sp + 2u * i + 1u]) {
        return i;
      }
    }
  }
  return rint(deg);
}

fn next_vertex(cur: u32) -> u32 {
  return m[m[vh(cur) + VH_SLOTS] + 2u * sample_slot(cur)];
}

fn walk_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * 64u;
}

// ---------------------------------------------------------------- entry points

// The start of walk w's part in this dispatch: false when the walk has ended (its remaining entries in
// [s0, s1) are filled) or its state is not at step s0 (ERR set). Sets cur, prev, the RNG and s.
var<private> cur: u32;
var<private> prev: u32;
var<private> s: u32;

fn resume(w: u32, base: u32) -> bool {
  let b = 4u * w;
  if (params.s0 == 0u) {
    rng_start(w);
    cur = starts[w];
    prev = NO_VERTEX;
    if (params.length > 0u) {
      out[base] = cur;
    }
    s = 1u;
    return true;
  }
  let f = state[b + 3u];
  if ((f & DONE) != 0u) {
    let end = min(params.s1, params.length);
    for (var t = params.s0; t < end; t++) {
      out[base + t] = NO_VERTEX;
    }
    return false;
  }
  if ((f & STEP_MASK) != params.s0) {
    state[b + 3u] = f | ERR | DONE;
    return false;
  }
  cur = state[b];
  prev = state[b + 1u];
  rng_resume(w, state[b + 2u]);
  s = params.s0;
  return true;
}

// Saves walk w's state after its part; ended: it reached a vertex without out-edges (its entries from s
// to the end of this dispatch are filled with NO_VERTEX).
fn suspend(w: u32, base: u32, end: u32, ended: bool) {
  let b = 4u * w;
  var flags = 0u;
  if (ended) {
    for (var t = s; t < end; t++) {
      out[base + t] = NO_VERTEX;
    }
    flags = DONE;
  } else if (s != end) {
    flags = ERR | DONE; // the loop was left early: the adapter cut the invocation short
  }
  state[b] = cur;
  state[b + 1u] = prev;
  state[b + 2u] = r_idx;
  state[b + 3u] = s | flags;
}

@compute @workgroup_size(64, 1, 1)
fn deepwalk(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = walk_index(gid, nwg);
  if (w >= params.n) {
    return;
  }
  let base = w * params.length;
  if (!resume(w, base)) {
    return;
  }
  let end = min(params.s1, params.length);
  var ended = false;
  for (; s < end; s++) {
    if (degree(cur) == 0u) {
      ended = true;
      break;
    }
    cur = next_vertex(cur);
    out[base + s] = cur;
  }
  suspend(w, base, end, ended);
}

@compute @workgroup_size(64, 1, 1)
fn node2vec(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = walk_index(gid, nwg);
  if (w >= params.n) {
    return;
  }
  let base = w * params.length;
  if (!resume(w, base)) {
    return;
  }
  let end = min(params.s1, params.length);
  var ended = false;
  for (; s < end; s++) {
    if (degree(cur) == 0u) {
      ended = true;
      break;
    }
    var x: u32;
    if (prev == NO_VERTEX) {
      x = next_vertex(cur);
    } else {
      loop {
        x = next_vertex(cur);
        var t_hi: u32;
        var t_lo: u32;
        if (x == prev) {
          t_hi = params.t_ip_hi;
          t_lo = params.t_ip_lo;
        } else if (hash_has(vh(prev), x)) {
          t_hi = params.t_one_hi;
          t_lo = params.t_one_lo;
        } else {
          t_hi = params.t_iq_hi;
          t_lo = params.t_iq_lo;
        }
        if (uniform_below(t_hi, t_lo)) {
          break;
        }
      }
    }
    prev = cur;
    cur = x;
    out[base + s] = cur;
  }
  suspend(w, base, end, ended);
}

// PPR: at most s1 - s0 steps per dispatch; state word 3 counts the steps taken, DONE once the walk
// stopped (out[w] = its endpoint).
@compute @workgroup_size(64, 1, 1)
fn ppr(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let w = walk_index(gid, nwg);
  if (w >= params.n) {
    return;
  }
  let b = 4u * w;
  var taken = 0u;
  if (params.s0 == 0u) {
    rng_start(w);
    cur = starts[w];
  } else {
    let f = state[b + 3u];
    if ((f & DONE) != 0u) {
      return;
    }
    taken = f & STEP_MASK;
    cur = state[b];
    rng_resume(w, state[b + 2u]);
  }
  let budget = params.s1 - params.s0;
  var k = 0u;
  var stopped = false;
  for (; k < budget; k++) {
    // the engine: while (uniform() >= alpha && degree(cur) != 0) step; the uniform is drawn first
    let stop = uniform_below(params.t_stop_hi, params.t_stop_lo);
    if (stop || degree(cur) == 0u) {
      stopped = true;
      break;
    }
    cur = next_vertex(cur);
  }
  var flags = 0u;
  if (stopped) {
    out[w] = cur;
    flags = DONE;
  } else if (k != budget) {
    flags = ERR | DONE;
  }
  state[b] = cur;
  state[b + 2u] = r_idx;
  state[b + 3u] = min(taken + k, STEP_MASK) | flags;
}
