// Row-wise kernels of lib/nn (see lib/nn/webgpu.ts): softmax and log-softmax forward and backward,
// layernorm and rmsnorm forward, backward for x (per row) and backward for gamma/beta (per column).
//
// Row kernels run one 64-invocation workgroup per row (row = wid.y * num_workgroups.x + wid.x, so more
// rows than a dispatch dimension allows are spread over y); invocations stride the columns, and row
// reductions (max, sums) go through workgroup memory. Any column count works (1, 7, 65, 257, ...).
// Column kernels (norm parameter gradients) run one invocation per column and walk the rows r0 .. r1 in
// order; a dispatch with r0 > 0 continues from the sums the previous one stored, so splitting the rows
// over dispatches adds in the same order as one dispatch (the host splits only where the adapter caps
// an invocation's loop iterations: GpuContext.loopIterationLimit).
//
// Loop iterations per invocation (every loop counted; P = ceil(cols / 64)): softmax_fwd,
// log_softmax_fwd and layernorm_fwd 3 P + 12; the other row kernels 2 P + 6; column kernels r1 - r0.
//
// Bindings (each entry point uses a subset; lib/nn/webgpu.ts passes exactly those):
//   0 params (uniform)  1 x: input (forward) or y (softmax backward)   2 dy: upstream gradient
//   3 gamma   4 beta   5 out: y (forward), dx (row backward), dgamma (column backward)
//   6 stats: [rows][2] = (mean, rstd) (rmsnorm stores mean 0)   7 out2: dbeta (layernorm column backward)

struct Params {
  rows: u32,
  cols: u32,
  eps: f32,
  _pad: u32,
  r0: u32, // column kernels: first row of this dispatch
  r1: u32, // column kernels: end of this dispatch's rows (clamped to rows)
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> beta: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;
@group(0) @binding(7) var<storage, read_write> out2: array<f32>;

const WG: u32 = 64u;
const NEG_BIG: f32 = -3.0e38; // stands in for -inf as the identity of max

var<workgroup> red: array<f32, 64>;
var<workgroup> red2: array<f32, 64>;

fn reduce_sum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      red[lid] = red[lid] + red[lid + s];
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

// Two sums at once (one pass of barriers).
fn reduce_sum2(lid: u32, a: f32, b: f32) -> vec2<f32> {
  red[lid] = a;
  red2[lid] = b;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      red[lid] = red[lid] + red[lid + s];
      red2[lid] = red2[lid] + red2[lid + s];
    }
    workgroupBarrier();
  }
  let r = vec2<f32>(red[0], red2[0]);
  workgroupBarrier();
  return r;
}

fn reduce_max(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      red[lid] = max(red[lid], red[lid + s]);
    }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

fn row_of(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.y * nwg.x + wid.x;
}

// Max and log of the sum of exp(x - max) of one row.
fn row_max_logsum(lid: u32, o: u32, cols: u32) -> vec2<f32> {
  var mx = NEG_BIG;
  for (var j = lid; j < cols; j += WG) {
    mx = max(mx, x[o + j]);
  }
  let m = reduce_max(lid, mx);
  var s = 0.0;
  for (var j = lid; j < cols; j += WG) {
    s += exp(x[o + j] - m);
  }
  let total = reduce_sum(lid, s);
  return vec2<f32>(m, total);
}

@compute @workgroup_size(64, 1, 1)
fn softmax_fwd(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let row = row_of(wid, nwg);
  if (row >= params.rows) {
    return;
  }
  let cols = params.cols;
  let o = row * cols;
  let ms = row_max_logsum(lid, o, cols);
  let inv = 1.0 / ms.y;
  for (var j = lid; j < cols; j += WG) {
    out[o + j] = exp(x[o + j] - ms.x) * inv;
  }
}

@compute @workgroup_size(64, 1, 1)
fn log_softmax_fwd(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let row = row_of(wid, nwg);
  if (row >= params.rows) {
    return;
  }
  let cols = params.cols;
  let o = row * cols;
  let ms = row_max_logsum(lid, o, cols);
  let lse = ms.x + log(ms.y);
  for (var j = lid; j < cols; j += WG) {
    out[o + j] = x[o + j] - lse;
  }
}

// dx = y * (dy - sum(y * dy)), with y the softmax output (binding 1).
@compute @workgroup_size(64, 1, 1)
fn softmax_bwd(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let row = row_of(wid, nwg);
  if (row >= params.rows) {
    return;
  }
  let cols = params.cols;
  let o = row * cols;
  var s = 0.0;
  for (var j = lid; j < cols; j += WG) {
    s = fma(x[o + j], dy[o + j], s);
  }
  let total = reduce_sum(lid, s);
  for (var j = lid; j < cols; j += WG) {
    out[o + j] = x[o + j] * (dy[o + j] - total);
  }
}

// dx = dy - exp(y) * sum(dy), with y the log-softmax output (binding 1).
@compute @workgroup_size(64, 1, 1)
fn log_softmax_bwd(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let row = row_of(wid, nwg);
  if (row >= params.rows) {
    return;
  }
  let cols = params.cols;
  let o = row * cols;
  var s = 0.0;
  for (var j = lid; j < cols; j += WG) {
    s += dy[o + j];
  }
  let total = reduce_sum(lid, s);
  for (var j = lid; j < cols; j += WG) {
    out[o + j] = dy[o + j] - exp(x[o + j]) * total;
  }
}

// y = (x - mean) * rstd * gamma + beta; stats[row] = (mean, rstd). Two passes (mean, then the
// centred sum of squares) so the variance does not cancel.
@compute @workgroup_size(64, 1, 1)
fn layernorm_fwd(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let row = row_of(wid, nwg);
  if (row >= params.rows) {
    return;
  }
  let cols = params.cols;
  let o = row * cols;
  var s = 0.0;
  for (var j = lid; j < cols; j += WG) {
    s += x[o + j];
  }
  let mean = reduce_sum(lid, s) / f32(cols);
  var v = 0.0;
  for (var j = lid; j < cols; j += WG) {
    let c = x[o + j] - mean;
    v = fma(c, c, v);
  }
  let rstd = inverseSqrt(reduce_sum(lid, v) / f32(cols) + params.eps);
  for (var j = lid; j < cols; j += WG) {
    out[o + j] = (x[o + j] - mean) * rstd * gamma[j] + beta[j];
  }
  if (lid == 0u) {
    stats[2u * row] = mean;
    stats[2u * row + 1u] = rstd;
  }
}

// dx = rstd * (dy*gamma - mean(dy*gamma) - xhat * mean(dy*gamma*xhat)).
@compute @workgroup_size(64, 1, 1)
fn layernorm_bwd_rows(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let row = row_of(wid, nwg);
  if (row >= params.rows) {
    return;
  }
  let cols = params.cols;
  let o = row * cols;
  let mean = stats[2u * row];
  let rstd = stats[2u * row + 1u];
  var s1 = 0.0;
  var s2 = 0.0;
  for (var j = lid; j < cols; j += WG) {
    let dh = dy[o + j] * gamma[j];
    s1 += dh;
    s2 = fma(dh, (x[o + j] - mean) * rstd, s2);
  }
  let sums = reduce_sum2(lid, s1, s2) / f32(cols);
  for (var j = lid; j < cols; j += WG) {
    let xh = (x[o + j] - mean) * rstd;
    out[o + j] = rstd * (dy[o + j] * gamma[j] - sums.x - xh * sums.y);
  }
}

// dgamma[j] = sum_r dy[r, j] xhat[r, j], dbeta[j] = sum_r dy[r, j]; one invocation per column.
@compute @workgroup_size(64, 1, 1)
fn layernorm_bwd_params(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let cols = params.cols;
  if (j >= cols) {
    return;
  }
  var gg = 0.0;
  var gb = 0.0;
  if (params.r0 > 0u) {
    gg = out[j];
    gb = out2[j];
  }
  for (var r = params.r0; r < min(params.rows, params.r1); r++) {
    let d = dy[r * cols + j];
    gg = fma(d, (x[r * cols + j] - stats[2u * r]) * stats[2u * r + 1u], gg);
    gb += d;
  }
  out[j] = gg;
  out2[j] = gb;
}

// y = x * rstd * gamma with rstd = 1 / sqrt(mean(x^2) + eps); stats[row] = (0, rstd).
@compute @workgroup_size(64, 1, 1)
fn rmsnorm_fwd(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let row = row_of(wid, nwg);
  if (row >= params.rows) {
    return;
  }
  let cols = params.cols;
  let o = row * cols;
  var s = 0.0;
  for (var j = lid; j < cols; j += WG) {
    s = fma(x[o + j], x[o + j], s);
  }
  let rstd = inverseSqrt(reduce_sum(lid, s) / f32(cols) + params.eps);
  for (var j = lid; j < cols; j += WG) {
    out[o + j] = x[o + j] * rstd * gamma[j];
  }
  if (lid == 0u) {
    stats[2u * row] = 0.0;
    stats[2u * row + 1u] = rstd;
  }
}

// dx = rstd * (dy*gamma - x * rstd^2 * mean(dy*gamma*x)).
@compute @workgroup_size(64, 1, 1)
fn rmsnorm_bwd_rows(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let row = row_of(wid, nwg);
  if (row >= params.rows) {
    return;
  }
  let cols = params.cols;
  let o = row * cols;
  let rstd = stats[2u * row + 1u];
  var s = 0.0;
  for (var j = lid; j < cols; j += WG) {
    s = fma(dy[o + j] * gamma[j], x[o + j], s);
  }
  let c = reduce_sum(lid, s) / f32(cols) * rstd * rstd;
  for (var j = lid; j < cols; j += WG) {
    out[o + j] = rstd * (dy[o + j] * gamma[j] - x[o + j] * c);
  }
}

// dgamma[j] = sum_r dy[r, j] x[r, j] rstd[r]; one invocation per column.
@compute @workgroup_size(64, 1, 1)
fn rmsnorm_bwd_params(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let cols = params.cols;
  if (j >= cols) {
    return;
  }
  var gg = 0.0;
  if (params.r0 > 0u) {
    gg = out[j];
  }
  for (var r = params.r0; r < min(params.rows, params.r1); r++) {
    gg = fma(dy[r * cols + j], x[r * cols + j] * stats[2u * r + 1u], gg);
  }
  out[j] = gg;
}
