// f32 matrix product C[m,n] = A[m,k] * B[k,n], all row-major.
//
// Each 16x16 workgroup computes a 64x64 tile of C; each invocation a 4x4 micro-tile whose rows and
// columns are 16 apart (so neighbouring invocations touch neighbouring addresses). The k dimension is
// walked in slices of 16: A's 64x16 and B's 16x64 slices are staged in workgroup memory, zero-filled
// outside the matrices, so any m, k, n (including 1 and sizes that are not multiples of 64) is handled
// by the bounds checks on loads and stores alone.
//
// One dispatch walks the k slices s0 .. s1 (of ceil(k / 16)); a dispatch with s0 > 0 starts from the C
// that the previous one stored, so splitting the slices over dispatches adds in the same order as one
// dispatch over all of them (the host splits only where the adapter caps an invocation's loop
// iterations: GpuContext.loopIterationLimit). Iterations per invocation, counting every loop:
// 40 + 85 (s1 - s0).
//
// Bindings: 0 dims (uniform), 1 A, 2 B (read-only storage), 3 C (storage). Dispatch
// (ceil(n / 64), ceil(m / 64), 1).

struct Dims {
  m: u32,
  k: u32,
  n: u32,
  s0: u32, // first k slice of this dispatch
  s1: u32, // end of this dispatch's k slices (clamped to ceil(k / 16))
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const TILE: u32 = 64u;   // edge of the C tile of one workgroup
const TK: u32 = 16u;     // k slice staged per step
const THREADS: u32 = 256u;

var<workgroup> tile_a: array<f32, 1024>; // [TILE][TK]: tile_a[r * TK + kk]
var<workgroup> tile_b: array<f32, 1024>; // [TK][TILE]: tile_b[kk * TILE + col]

@compute @workgroup_size(16, 16, 1)
fn main(
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
) {
  let m = dims.m;
  let k = dims.k;
  let n = dims.n;
  let row0 = wid.y * TILE;
  let col0 = wid.x * TILE;

  var acc: array<vec4<f32>, 4>; // acc[i][j]: row row0 + lid.y + 16 i, column col0 + lid.x + 16 j
  for (var i = 0u; i < 4u; i++) {
    acc[i] = vec4<f32>(0.0);
    let r = row0 + lid.y + 16u * i;
    if (dims.s0 > 0u && r < m) {
      for (var j = 0u; j < 4u; j++) {
        let col = col0 + lid.x + 16u * j;
        if (col < n) {
          acc[i][j] = c[r * n + col];
        }
      }
    }
  }

  let slices = min((k + TK - 1u) / TK, dims.s1);
  for (var s = dims.s0; s < slices; s++) {
    let k0 = s * TK;
    // 1024 elements of each slice, 4 per invocation.
    for (var e = 0u; e < 4u; e++) {
      let idx = li + e * THREADS;
      let ar = row0 + idx / TK;
      let ak = k0 + idx % TK;
      var va = 0.0;
      if (ar < m && ak < k) {
        va = a[ar * k + ak];
      }
      tile_a[idx] = va;
      let bk = k0 + idx / TILE;
      let bc = col0 + idx % TILE;
      var vb = 0.0;
      if (bk < k && bc < n) {
        vb = b[bk * n + bc];
      }
      tile_b[idx] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let bv = vec4<f32>(
        tile_b[kk * TILE + lid.x],
        tile_b[kk * TILE + lid.x + 16u],
        tile_b[kk * TILE + lid.x + 32u],
        tile_b[kk * TILE + lid.x + 48u],
      );
      for (var i = 0u; i < 4u; i++) {
        let av = tile_a[(lid.y + 16u * i) * TK + kk];
        acc[i] = fma(vec4<f32>(av), bv, acc[i]);
      }
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y + 16u * i;
    if (r < m) {
      for (var j = 0u; j < 4u; j++) {
        let col = col0 + lid.x + 16u * j;
        if (col < n) {
          c[r * n + col] = acc[i][j];
        }
      }
    }
  }
}
