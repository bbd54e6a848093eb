/**
 * WebGPU kernels of lib/nn's hot ops: softmax and log-softmax, layernorm and rmsnorm (forward and
 * backward), causal self-attention (forward, also against a KV cache, and backward), segment sum /
 * scatter-add and row gather, and the AdamW update. The matrix product is linalg's
 * `matmulWebGPU` (lib/linalg/webgpu.ts), re-exported here as is.
 *
 * WebGPU is asynchronous while lib/nn's eager ops are synchronous, so these are standalone async kernels
 * on plain f32 arrays (row-major), not a backend of the eager Tensor ops: each call uploads its inputs,
 * runs its dispatches and reads the results back, with buffers from the runtime's pool (lib/runtime/gpu.ts).
 * Every kernel computes the same function as the matching op of lib/nn/ops.ts (the ts reference; the
 * tests in tests/nn/webgpu.test.ts check each one against it, forward and backward). Shaders live in
 * kernels-wgsl/nn_rows.wgsl, nn_attention.wgsl, nn_scatter.wgsl and nn_adamw.wgsl.
 *
 * A whole training step runs on these kernels by composing them by hand in the order of the model's
 * forward and backward pass, with the glue (transposes, residual adds, the loss gradient) on the host:
 * tests/nn/webgpu.test.ts ("a whole forward/backward/AdamW step ...") does it for a one-block attention
 * language model (embedding, rmsnorm, q/k/v projections with matmulWebGPU, causal attention, output
 * projection, log-softmax + NLL, AdamW) and checks it against lib/nn's autodiff. Every intermediate makes
 * a round trip to the host: right, but not how a GPU should be fed; a device-resident tape (tensors that
 * stay in GPU buffers across ops) is not offered. On a machine without a GPU the adapter is
 * a CPU rasterizer (llvmpipe): results are right, timings are not a GPU's. llvmpipe stops an
 * invocation's loops after 65535 iterations in all (GpuContext.loopIterationLimit): there the norm
 * parameter gradients, segment sums and attention walk long rows / segments / key ranges over several
 * dispatches (with the same result as one), and the row kernels (softmax, norms) refuse rows of more than
 * about a million columns with an InvalidArgumentError. Without any adapter every kernel throws
 * BackendUnavailableError naming "ts" and "wasm".
 *
 * @example
 * ```ts
 * import { softmaxWebGPU } from "./webgpu.ts";
 * const y = await softmaxWebGPU(new Float32Array([0, 0, 1, 1]), 2, 2); // [0.5, 0.5, 0.5, 0.5]
 * ```
 *
 * @module
 */
import {
  describe,
  InvalidArgumentError,
  requireFinite,
  requireInt,
  requireLength,
  ShapeMismatchError,
} from "../core/errors.ts";
import { BufferUsage, getGpu, type GpuContext, loadShader, requireBindable } from "../runtime/gpu.ts";

export { matmulWebGPU } from "../linalg/webgpu.ts";

/** Largest head dimension of the attention kernels. */
export const ATTENTION_MAX_HEAD_DIM = 256;

const OUT = BufferUsage.STORAGE | BufferUsage.COPY_SRC;
const ROWS_WG = 64;

/**
 * Loop iterations one invocation may run on `gpu`: 3/4 of GpuContext.loopIterationLimit (llvmpipe stops
 * an invocation's loops after 65535 in all, silently), Infinity on other adapters.
 */
function loopBudget(gpu: GpuContext): number {
  return 0.75 * gpu.loopIterationLimit;
}

/** Start offsets 0, per, 2 per, ... below `total` (just 0 when `per` is Infinity). */
function passStarts(total: number, per: number): number[] {
  const starts = [0];
  for (let s = per; s < total; s += per) starts.push(s);
  return starts;
}

/** The u32 end of a pass from `start` of at most `per` items out of `total`. */
function passEnd(start: number, per: number, total: number): number {
  return Math.min(total, start + per);
}

/** Loop sweeps over a row and fixed iterations (reductions) of each row kernel of nn_rows.wgsl. */
const ROW_LOOPS: Record<string, [number, number]> = {
  softmax_fwd: [3, 12],
  log_softmax_fwd: [3, 12],
  layernorm_fwd: [3, 12],
  softmax_bwd: [2, 6],
  log_softmax_bwd: [2, 6],
  rmsnorm_fwd: [2, 6],
  layernorm_bwd_rows: [2, 6],
  rmsnorm_bwd_rows: [2, 6],
};

/**
 * Refuses a row kernel whose rows are too long for the adapter's loop limit: one workgroup reduces a
 * whole row, so its loops run about sweeps x cols / 64 times per invocation.
 */
function requireRowLoops(gpu: GpuContext, op: string, entry: string, cols: number): void {
  const [sweeps, fixed] = ROW_LOOPS[entry];
  const iterations = sweeps * Math.ceil(cols / ROWS_WG) + fixed;
  const budget = loopBudget(gpu);
  if (iterations <= budget) return;
  const maxCols = Math.floor((budget - fixed) / sweeps) * ROWS_WG;
  throw new InvalidArgumentError(
    `${op}: a row of ${cols} columns takes ${iterations} loop iterations per invocation, but the ` +
      `${gpu.describe()} adapter silently stops an invocation's loops after ` +
      `${gpu.loopIterationLimit} iterations in all; rows of at most ${maxCols} columns run on it: use ` +
      `lib/nn's ts ops (or the wasm backend) for longer rows, or a hardware GPU`,
  );
}

/** Words of a uniform block: plain numbers are u32, `{ f }` are f32. Padded to 16 bytes. */
function packParams(values: Array<number | { f: number }>): Uint32Array {
  const words = new Uint32Array(Math.ceil(values.length / 4) * 4);
  const floats = new Float32Array(words.buffer);
  values.forEach((v, i) => {
    if (typeof v === "number") words[i] = v;
    else floats[i] = v.f;
  });
  return words;
}

/** Workgroup counts (x, y) for `groups` workgroups; kernels index them as y * num_workgroups.x + x. */
function grid(gpu: GpuContext, op: string, groups: number): [number, number] {
  const max = gpu.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= max) return [groups, 1];
  const y = Math.ceil(groups / max);
  if (y > max) {
    throw new InvalidArgumentError(
      `${op}: ${groups} workgroups exceed this device's ${max} x ${max} dispatch; split the input`,
    );
  }
  return [Math.ceil(groups / y), y];
}

/** Buffers taken from the pool for one call, released together. */
class Buffers {
  readonly gpu: GpuContext;
  #held: GPUBuffer[] = [];
  constructor(gpu: GpuContext) {
    this.gpu = gpu;
  }
  /** Uploads `data` (storage, readable back when `readable`). */
  input(data: ArrayBufferView, readable = false): GPUBuffer {
    const b = this.gpu.upload(data, readable ? OUT : BufferUsage.STORAGE);
    this.#held.push(b);
    return b;
  }
  uniform(words: Uint32Array): GPUBuffer {
    const b = this.gpu.upload(words, BufferUsage.UNIFORM);
    this.#held.push(b);
    return b;
  }
  /** An output buffer of `n` f32 (contents undefined until a kernel writes them). */
  output(n: number): GPUBuffer {
    const b = this.gpu.acquire(Math.max(4, 4 * n), OUT);
    this.#held.push(b);
    return b;
  }
  async read(buffer: GPUBuffer, n: number): Promise<Float32Array> {
    return new Float32Array(await this.gpu.readback(buffer, 4 * n));
  }
  release(): void {
    this.gpu.release(...this.#held);
    this.#held = [];
  }
}

async function withGpu<T>(fn: (b: Buffers) => Promise<T>): Promise<T> {
  const gpu = await getGpu();
  const b = new Buffers(gpu);
  try {
    return await fn(b);
  } finally {
    b.release();
  }
}

function pipeline(gpu: GpuContext, file: string, entry: string): Promise<GPUComputePipeline> {
  return loadShader(file).then((code) => gpu.pipeline(file, code, entry));
}

function requireF32(op: string, name: string, a: unknown, n: number, why: string): Float32Array {
  if (!(a instanceof Float32Array)) {
    throw new InvalidArgumentError(`${op}: ${name} must be a Float32Array, got ${describe(a)}`);
  }
  requireLength(`${op}: ${name}`, a, n, why);
  return a;
}

function requireRows(op: string, rows: number, cols: number): void {
  requireInt(`${op}: rows`, rows, 0);
  requireInt(`${op}: cols`, cols, 0);
}

function bindable(gpu: GpuContext, op: string, what: string, floats: number): void {
  requireBindable(gpu, `${op}: ${what}`, 4 * floats);
}

// ------------------------------------------------------------------------------------------ softmax

async function rowOp(
  op: string,
  entry: string,
  a: Float32Array,
  b: Float32Array | null,
  rows: number,
  cols: number,
): Promise<Float32Array> {
  const n = rows * cols;
  if (n === 0) return new Float32Array(0);
  return await withGpu(async (bufs) => {
    const gpu = bufs.gpu;
    bindable(gpu, op, `${rows} x ${cols} f32`, n);
    requireRowLoops(gpu, op, entry, cols);
    const p = await pipeline(gpu, "nn_rows.wgsl", entry);
    const out = bufs.output(n);
    await gpu.run(p, [
      bufs.uniform(packParams([rows, cols, { f: 0 }, 0, 0, rows, 0, 0])),
      bufs.input(a),
      b ? bufs.input(b) : null,
      null,
      null,
      out,
    ], grid(gpu, op, rows));
    return await bufs.read(out, n);
  });
}

/**
 * Softmax over each row of x [rows, cols] (row-major), computed with the row maximum subtracted, so
 * large scores do not overflow. Same function as lib/nn's `softmax` on the last axis.
 *
 * @example
 * ```ts
 * import { softmaxWebGPU } from "./webgpu.ts";
 * await softmaxWebGPU(new Float32Array([1000, 1000]), 1, 2); // [0.5, 0.5]
 * ```
 */
export async function softmaxWebGPU(x: Float32Array, rows: number, cols: number): Promise<Float32Array> {
  requireRows("softmaxWebGPU", rows, cols);
  requireF32("softmaxWebGPU", "x", x, rows * cols, `x is rows x cols = ${rows} x ${cols}`);
  return await rowOp("softmaxWebGPU", "softmax_fwd", x, null, rows, cols);
}

/**
 * log(softmax(x)) over each row of x [rows, cols]: x - max - log(sum(exp(x - max))).
 *
 * @example
 * ```ts
 * import { logSoftmaxWebGPU } from "./webgpu.ts";
 * await logSoftmaxWebGPU(new Float32Array([0, 0]), 1, 2); // [-0.693..., -0.693...]
 * ```
 */
export async function logSoftmaxWebGPU(x: Float32Array, rows: number, cols: number): Promise<Float32Array> {
  requireRows("logSoftmaxWebGPU", rows, cols);
  requireF32("logSoftmaxWebGPU", "x", x, rows * cols, `x is rows x cols = ${rows} x ${cols}`);
  return await rowOp("logSoftmaxWebGPU", "log_softmax_fwd", x, null, rows, cols);
}

/**
 * Gradient of softmax: dx = y * (dy - sum(y * dy)) per row, from the forward output y and the upstream
 * gradient dy, both [rows, cols].
 *
 * @example
 * ```ts
 * import { softmaxBackwardWebGPU } from "./webgpu.ts";
 * const dx = await softmaxBackwardWebGPU(new Float32Array([0.5, 0.5]), new Float32Array([1, 0]), 1, 2);
 * // [0.25, -0.25]
 * ```
 */
export async function softmaxBackwardWebGPU(
  y: Float32Array,
  dy: Float32Array,
  rows: number,
  cols: number,
): Promise<Float32Array> {
  const op = "softmaxBackwardWebGPU";
  requireRows(op, rows, cols);
  requireF32(op, "y", y, rows * cols, `y is rows x cols = ${rows} x ${cols}`);
  requireF32(op, "dy", dy, rows * cols, `dy is rows x cols = ${rows} x ${cols}`);
  return await rowOp(op, "softmax_bwd", y, dy, rows, cols);
}

/**
 * Gradient of log-softmax: dx = dy - exp(y) * sum(dy) per row, from the forward output y (the
 * log-probabilities) and the upstream gradient dy.
 *
 * @example
 * ```ts
 * import { logSoftmaxBackwardWebGPU } from "./webgpu.ts";
 * const y = new Float32Array([Math.log(0.5), Math.log(0.5)]);
 * await logSoftmaxBackwardWebGPU(y, new Float32Array([1, 0]), 1, 2); // [0.5, -0.5]
 * ```
 */
export async function logSoftmaxBackwardWebGPU(
  y: Float32Array,
  dy: Float32Array,
  rows: number,
  cols: number,
): Promise<Float32Array> {
  const op = "logSoftmaxBackwardWebGPU";
  requireRows(op, rows, cols);
  requireF32(op, "y", y, rows * cols, `y is rows x cols = ${rows} x ${cols}`);
  requireF32(op, "dy", dy, rows * cols, `dy is rows x cols = ${rows} x ${cols}`);
  return await rowOp(op, "log_softmax_bwd", y, dy, rows, cols);
}

// ------------------------------------------------------------------------------------------ norms

/** Result of {@link layerNormWebGPU}. */
export interface LayerNormResult {
  /** Normalized, scaled and shifted rows [rows, cols]. */
  y: Float32Array;
  /** Per-row mean [rows]. */
  mean: Float32Array;
  /** Per-row 1 / sqrt(var + eps) [rows]. */
  rstd: Float32Array;
}

/** Result of {@link layerNormBackwardWebGPU}. */
export interface LayerNormGrads {
  /** Gradient of x [rows, cols]. */
  dx: Float32Array;
  /** Gradient of gamma [cols]. */
  dgamma: Float32Array;
  /** Gradient of beta [cols]. */
  dbeta: Float32Array;
}

/** Result of {@link rmsNormWebGPU}. */
export interface RmsNormResult {
  /** Normalized and scaled rows [rows, cols]. */
  y: Float32Array;
  /** Per-row 1 / sqrt(mean(x²) + eps) [rows]. */
  rstd: Float32Array;
}

/** Result of {@link rmsNormBackwardWebGPU}. */
export interface RmsNormGrads {
  /** Gradient of x [rows, cols]. */
  dx: Float32Array;
  /** Gradient of gamma [cols]. */
  dgamma: Float32Array;
}

function splitStats(s: Float32Array, rows: number): [Float32Array, Float32Array] {
  const a = new Float32Array(rows), b = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    a[r] = s[2 * r];
    b[r] = s[2 * r + 1];
  }
  return [a, b];
}

function joinStats(a: Float32Array | null, b: Float32Array, rows: number): Float32Array {
  const s = new Float32Array(2 * rows);
  for (let r = 0; r < rows; r++) {
    s[2 * r] = a ? a[r] : 0;
    s[2 * r + 1] = b[r];
  }
  return s;
}

async function normForward(
  op: string,
  entry: string,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array | null,
  rows: number,
  cols: number,
  eps: number,
): Promise<{ y: Float32Array; stats: Float32Array }> {
  const n = rows * cols;
  if (n === 0) return { y: new Float32Array(0), stats: new Float32Array(2 * rows).fill(NaN) };
  return await withGpu(async (bufs) => {
    const gpu = bufs.gpu;
    bindable(gpu, op, `x (${rows} x ${cols} f32)`, n);
    requireRowLoops(gpu, op, entry, cols);
    const p = await pipeline(gpu, "nn_rows.wgsl", entry);
    const out = bufs.output(n), stats = bufs.output(2 * rows);
    await gpu.run(p, [
      bufs.uniform(packParams([rows, cols, { f: eps }, 0, 0, rows, 0, 0])),
      bufs.input(x),
      null,
      bufs.input(gamma),
      beta ? bufs.input(beta) : null,
      out,
      stats,
    ], grid(gpu, op, rows));
    return { y: await bufs.read(out, n), stats: await bufs.read(stats, 2 * rows) };
  });
}

async function normBackward(
  op: string,
  prefix: "layernorm" | "rmsnorm",
  x: Float32Array,
  gamma: Float32Array,
  stats: Float32Array,
  dy: Float32Array,
  rows: number,
  cols: number,
): Promise<{ dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array }> {
  const n = rows * cols;
  if (n === 0) {
    return { dx: new Float32Array(0), dgamma: new Float32Array(cols), dbeta: new Float32Array(cols) };
  }
  return await withGpu(async (bufs) => {
    const gpu = bufs.gpu;
    bindable(gpu, op, `x (${rows} x ${cols} f32)`, n);
    requireRowLoops(gpu, op, `${prefix}_bwd_rows`, cols);
    const [pr, pc] = await Promise.all([
      pipeline(gpu, "nn_rows.wgsl", `${prefix}_bwd_rows`),
      pipeline(gpu, "nn_rows.wgsl", `${prefix}_bwd_params`),
    ]);
    const params = bufs.uniform(packParams([rows, cols, { f: 0 }, 0, 0, rows, 0, 0]));
    const bx = bufs.input(x), bdy = bufs.input(dy), bst = bufs.input(stats);
    const dx = bufs.output(n), dg = bufs.output(cols);
    const db = prefix === "layernorm" ? bufs.output(cols) : null;
    await gpu.run(pr, [params, bx, bdy, bufs.input(gamma), null, dx, bst], grid(gpu, op, rows));
    // The column kernels walk every row: in passes of at most the loop budget's rows (one pass on GPUs).
    const perPass = Math.max(1, Math.floor(loopBudget(gpu)));
    for (const r0 of passStarts(rows, perPass)) {
      const pp = r0 === 0 && perPass >= rows
        ? params
        : bufs.uniform(packParams([rows, cols, { f: 0 }, 0, r0, passEnd(r0, perPass, rows), 0, 0]));
      await gpu.run(pc, [pp, bx, bdy, null, null, dg, bst, db], Math.ceil(cols / ROWS_WG));
    }
    return {
      dx: await bufs.read(dx, n),
      dgamma: await bufs.read(dg, cols),
      dbeta: db ? await bufs.read(db, cols) : new Float32Array(0),
    };
  });
}

/**
 * Layer normalization of each row of x [rows, cols]: (x - mean) / sqrt(var + eps) * gamma + beta, with
 * the per-row mean and rstd that the backward pass needs. Same function as lib/nn's `layerNorm`.
 *
 * @example
 * ```ts
 * import { layerNormWebGPU } from "./webgpu.ts";
 * const { y } = await layerNormWebGPU(
 *   new Float32Array([1, 3]), new Float32Array([1, 1]), new Float32Array([0, 0]), 1, 2, 0,
 * ); // y = [-1, 1]
 * ```
 */
export async function layerNormWebGPU(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  rows: number,
  cols: number,
  eps = 1e-5,
): Promise<LayerNormResult> {
  const op = "layerNormWebGPU";
  requireRows(op, rows, cols);
  requireFinite(`${op}: eps`, eps, 0);
  requireF32(op, "x", x, rows * cols, `x is rows x cols = ${rows} x ${cols}`);
  requireF32(op, "gamma", gamma, cols, `gamma has one value per column`);
  requireF32(op, "beta", beta, cols, `beta has one value per column`);
  const { y, stats } = await normForward(op, "layernorm_fwd", x, gamma, beta, rows, cols, eps);
  const [mean, rstd] = splitStats(stats, rows);
  return { y, mean, rstd };
}

/**
 * Gradients of {@link layerNormWebGPU} from x, gamma, the forward pass's per-row mean and rstd, and the
 * upstream gradient dy [rows, cols]: dx [rows, cols], dgamma and dbeta [cols].
 *
 * @example
 * ```ts
 * import { layerNormBackwardWebGPU, layerNormWebGPU } from "./webgpu.ts";
 * const x = new Float32Array([1, 3]), g = new Float32Array([1, 1]), b = new Float32Array([0, 0]);
 * const { mean, rstd } = await layerNormWebGPU(x, g, b, 1, 2);
 * const { dbeta } = await layerNormBackwardWebGPU(x, g, mean, rstd, new Float32Array([1, 2]), 1, 2);
 * // dbeta = [1, 2]
 * ```
 */
export async function layerNormBackwardWebGPU(
  x: Float32Array,
  gamma: Float32Array,
  mean: Float32Array,
  rstd: Float32Array,
  dy: Float32Array,
  rows: number,
  cols: number,
): Promise<LayerNormGrads> {
  const op = "layerNormBackwardWebGPU";
  requireRows(op, rows, cols);
  requireF32(op, "x", x, rows * cols, `x is rows x cols = ${rows} x ${cols}`);
  requireF32(op, "gamma", gamma, cols, `gamma has one value per column`);
  requireF32(op, "mean", mean, rows, `one mean per row`);
  requireF32(op, "rstd", rstd, rows, `one rstd per row`);
  requireF32(op, "dy", dy, rows * cols, `dy is rows x cols = ${rows} x ${cols}`);
  const stats = joinStats(mean, rstd, rows);
  return await normBackward(op, "layernorm", x, gamma, stats, dy, rows, cols);
}

/**
 * RMS normalization of each row of x [rows, cols]: x / sqrt(mean(x²) + eps) * gamma, with the per-row
 * rstd. Same function as lib/nn's `rmsNorm`.
 *
 * @example
 * ```ts
 * import { rmsNormWebGPU } from "./webgpu.ts";
 * const { y } = await rmsNormWebGPU(new Float32Array([3, 4]), new Float32Array([1, 1]), 1, 2, 0);
 * // y = [3, 4] / sqrt(12.5)
 * ```
 */
export async function rmsNormWebGPU(
  x: Float32Array,
  gamma: Float32Array,
  rows: number,
  cols: number,
  eps = 1e-5,
): Promise<RmsNormResult> {
  const op = "rmsNormWebGPU";
  requireRows(op, rows, cols);
  requireFinite(`${op}: eps`, eps, 0);
  requireF32(op, "x", x, rows * cols, `x is rows x cols = ${rows} x ${cols}`);
  requireF32(op, "gamma", gamma, cols, `gamma has one value per column`);
  const { y, stats } = await normForward(op, "rmsnorm_fwd", x, gamma, null, rows, cols, eps);
  return { y, rstd: splitStats(stats, rows)[1] };
}

/**
 * Gradients of {@link rmsNormWebGPU} from x, gamma, the forward pass's rstd and the upstream gradient
 * dy: dx [rows, cols] and dgamma [cols].
 *
 * @example
 * ```ts
 * import { rmsNormBackwardWebGPU, rmsNormWebGPU } from "./webgpu.ts";
 * const x = new Float32Array([3, 4]), g = new Float32Array([1, 1]);
 * const { rstd } = await rmsNormWebGPU(x, g, 1, 2);
 * const { dx, dgamma } = await rmsNormBackwardWebGPU(x, g, rstd, new Float32Array([1, 0]), 1, 2);
 * ```
 */
export async function rmsNormBackwardWebGPU(
  x: Float32Array,
  gamma: Float32Array,
  rstd: Float32Array,
  dy: Float32Array,
  rows: number,
  cols: number,
): Promise<RmsNormGrads> {
  const op = "rmsNormBackwardWebGPU";
  requireRows(op, rows, cols);
  requireF32(op, "x", x, rows * cols, `x is rows x cols = ${rows} x ${cols}`);
  requireF32(op, "gamma", gamma, cols, `gamma has one value per column`);
  requireF32(op, "rstd", rstd, rows, `one rstd per row`);
  requireF32(op, "dy", dy, rows * cols, `dy is rows x cols = ${rows} x ${cols}`);
  const { dx, dgamma } = await normBackward(
    op,
    "rmsnorm",
    x,
    gamma,
    joinStats(null, rstd, rows),
    dy,
    rows,
    cols,
  );
  return { dx, dgamma };
}

// ------------------------------------------------------------------------------------------ attention

/** Result of {@link causalAttentionWebGPU}. */
export interface AttentionResult {
  /** Output [heads, t, d]. */
  out: Float32Array;
  /** Per-row log-sum-exp of the scaled scores [heads, t] (what the backward pass recomputes P from). */
  lse: Float32Array;
}

/** Result of {@link causalAttentionBackwardWebGPU}. */
export interface AttentionGrads {
  /** Gradient of q [heads, t, d]. */
  dq: Float32Array;
  /** Gradient of k [heads, t, d]. */
  dk: Float32Array;
  /** Gradient of v [heads, t, d]. */
  dv: Float32Array;
}

/**
 * Chunks of 64 keys (or queries) one attention dispatch walks on `gpu`: Infinity on hardware adapters;
 * where the adapter stops an invocation's loops after loopIterationLimit iterations (llvmpipe) those
 * whose loops stay within 3/4 of it, at ITERATIONS per chunk as counted in nn_attention.wgsl.
 */
function attentionChunksPerPass(gpu: GpuContext, d: number): number {
  const perChunk = 17 + d + ROWS_WG * Math.ceil(d / ROWS_WG);
  return Math.max(1, Math.floor((loopBudget(gpu) - 24) / perChunk));
}

/** [c0, c1) chunk ranges covering `chunks` chunks, `per` at a time (one range when per >= chunks). */
function chunkPasses(chunks: number, per: number): Array<[number, number]> {
  return passStarts(chunks, per).map((c0) => [c0, passEnd(c0, per, chunks)]);
}

function requireAttentionDims(op: string, heads: number, t: number, d: number): void {
  requireInt(`${op}: heads`, heads, 0);
  requireInt(`${op}: t`, t, 0);
  requireInt(`${op}: d (head dimension)`, d, 1, ATTENTION_MAX_HEAD_DIM);
}

async function attentionForward(
  op: string,
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  heads: number,
  tq: number,
  tk: number,
  stride: number,
  d: number,
): Promise<AttentionResult> {
  const rows = heads * tq;
  if (rows === 0) return { out: new Float32Array(0), lse: new Float32Array(0) };
  return await withGpu(async (bufs) => {
    const gpu = bufs.gpu;
    bindable(gpu, op, `k (${heads} x ${stride} x ${d} f32)`, heads * stride * d);
    bindable(gpu, op, `q (${heads} x ${tq} x ${d} f32)`, rows * d);
    const p = await pipeline(gpu, "nn_attention.wgsl", "attn_fwd");
    const out = bufs.output(rows * d), lse = bufs.output(rows);
    // The last query row walks ceil(tk / 64) chunks of keys: in passes on llvmpipe, one pass on GPUs.
    const passes = chunkPasses(Math.ceil(tk / ROWS_WG), attentionChunksPerPass(gpu, d));
    const state = bufs.output(passes.length > 1 ? 2 * rows : 2);
    const bq = bufs.input(q), bk = bufs.input(k), bv = bufs.input(v);
    for (let i = 0; i < passes.length; i++) {
      const [c0, c1] = passes[i], last = i === passes.length - 1 ? 1 : 0;
      await gpu.run(p, [
        bufs.uniform(packParams([tq, tk, stride, d, heads, { f: 1 / Math.sqrt(d) }, c0, c1, last, 0, 0, 0])),
        bq,
        bk,
        bv,
        out,
        lse,
        null,
        null,
        null,
        null,
        null,
        null,
        state,
      ], grid(gpu, op, rows));
    }
    return { out: await bufs.read(out, rows * d), lse: await bufs.read(lse, rows) };
  });
}

/**
 * Causal scaled dot-product attention over q, k, v [heads, t, d] (heads = batch x heads, row-major):
 * query i attends keys 0..i with weights softmax(q k^T / sqrt(d)); d <= 256. Returns the output and
 * each row's log-sum-exp (for {@link causalAttentionBackwardWebGPU}). Same function as lib/nn's
 * `causalAttention` on [B, H, T, D] tensors with heads = B H.
 *
 * @example
 * ```ts
 * import { causalAttentionWebGPU } from "./webgpu.ts";
 * const x = new Float32Array([1, 0, 0, 1]); // 1 head, t = 2, d = 2
 * const { out } = await causalAttentionWebGPU(x, x, x, 1, 2, 2); // out[0..2] = [1, 0]
 * ```
 */
export async function causalAttentionWebGPU(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  heads: number,
  t: number,
  d: number,
): Promise<AttentionResult> {
  const op = "causalAttentionWebGPU";
  requireAttentionDims(op, heads, t, d);
  const why = `q, k, v are heads x t x d = ${heads} x ${t} x ${d}`;
  requireF32(op, "q", q, heads * t * d, why);
  requireF32(op, "k", k, heads * t * d, why);
  requireF32(op, "v", v, heads * t * d, why);
  return await attentionForward(op, q, k, v, heads, t, t, t, d);
}

/**
 * Attention of tq new queries q [heads, tq, d] against key/value caches [heads, capacity, d] whose first
 * `length` positions are filled (the queries are the last tq of them). Same function as lib/nn's
 * `cachedAttention`; inference only.
 *
 * @example
 * ```ts
 * import { cachedAttentionWebGPU } from "./webgpu.ts";
 * const kv = new Float32Array([1, 0, 0, 1, 0, 0]); // 1 head, capacity 3, d 2, 2 filled
 * await cachedAttentionWebGPU(new Float32Array([0, 1]), kv, kv, 1, 1, 2, 3, 2);
 * ```
 */
export async function cachedAttentionWebGPU(
  q: Float32Array,
  kCache: Float32Array,
  vCache: Float32Array,
  heads: number,
  tq: number,
  length: number,
  capacity: number,
  d: number,
): Promise<Float32Array> {
  const op = "cachedAttentionWebGPU";
  requireAttentionDims(op, heads, tq, d);
  requireInt(`${op}: capacity`, capacity, 0);
  if (!Number.isInteger(length) || length < tq || length > capacity) {
    throw new InvalidArgumentError(
      `${op}: length ${describe(length)} must be in [${tq}, ${capacity}] (tq to capacity)`,
    );
  }
  requireF32(op, "q", q, heads * tq * d, `q is heads x tq x d = ${heads} x ${tq} x ${d}`);
  const why = `caches are heads x capacity x d = ${heads} x ${capacity} x ${d}`;
  requireF32(op, "kCache", kCache, heads * capacity * d, why);
  requireF32(op, "vCache", vCache, heads * capacity * d, why);
  return (await attentionForward(op, q, kCache, vCache, heads, tq, length, capacity, d)).out;
}

/**
 * Gradients of {@link causalAttentionWebGPU}: from q, k, v, the forward output and log-sum-exp, and the
 * upstream gradient dout [heads, t, d], returns dq, dk, dv. The attention weights are recomputed from
 * the log-sum-exp (nothing of size t x t is stored); no atomics, each output row is written once.
 *
 * @example
 * ```ts
 * import { causalAttentionBackwardWebGPU, causalAttentionWebGPU } from "./webgpu.ts";
 * const x = new Float32Array([1, 0, 0, 1]);
 * const { out, lse } = await causalAttentionWebGPU(x, x, x, 1, 2, 2);
 * const { dv } = await causalAttentionBackwardWebGPU(x, x, x, out, lse, new Float32Array([1, 0, 0, 0]), 1, 2, 2);
 * // dv = [1, 0, 0, 0]: only the first key feeds the first query
 * ```
 */
export async function causalAttentionBackwardWebGPU(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  out: Float32Array,
  lse: Float32Array,
  dout: Float32Array,
  heads: number,
  t: number,
  d: number,
): Promise<AttentionGrads> {
  const op = "causalAttentionBackwardWebGPU";
  requireAttentionDims(op, heads, t, d);
  const n = heads * t * d, rows = heads * t;
  const why = `heads x t x d = ${heads} x ${t} x ${d}`;
  requireF32(op, "q", q, n, why);
  requireF32(op, "k", k, n, why);
  requireF32(op, "v", v, n, why);
  requireF32(op, "out", out, n, why);
  requireF32(op, "lse", lse, rows, `one log-sum-exp per row, heads x t = ${heads} x ${t}`);
  requireF32(op, "dout", dout, n, why);
  if (n === 0) return { dq: new Float32Array(0), dk: new Float32Array(0), dv: new Float32Array(0) };
  return await withGpu(async (bufs) => {
    const gpu = bufs.gpu;
    bindable(gpu, op, `q (${why} f32)`, n);
    const [pre, pdq, pdkv] = await Promise.all([
      pipeline(gpu, "nn_attention.wgsl", "attn_bwd_pre"),
      pipeline(gpu, "nn_attention.wgsl", "attn_bwd_dq"),
      pipeline(gpu, "nn_attention.wgsl", "attn_bwd_dkv"),
    ]);
    const scale = { f: 1 / Math.sqrt(d) };
    // Query row t - 1 (dq) and key 0 (dkv) walk ceil(t / 64) chunks: in passes on llvmpipe, one on GPUs.
    const passes = chunkPasses(Math.ceil(t / ROWS_WG), attentionChunksPerPass(gpu, d));
    const paramsOf = (c0: number, c1: number) =>
      bufs.uniform(packParams([t, t, t, d, heads, scale, c0, c1, 1, 0, 0, 0]));
    const params = paramsOf(...passes[0]);
    const bq = bufs.input(q), bk = bufs.input(k), bv = bufs.input(v), bdo = bufs.input(dout);
    const blse = bufs.input(lse);
    const dvec = bufs.output(rows), dq = bufs.output(n), dk = bufs.output(n), dv = bufs.output(n);
    const none = null;
    await gpu.run(
      pre,
      [params, none, none, none, none, none, bufs.input(out), bdo, dvec],
      grid(gpu, op, Math.ceil(rows / ROWS_WG)),
    );
    for (let i = 0; i < passes.length; i++) {
      const pp = i === 0 ? params : paramsOf(...passes[i]);
      await gpu.run(pdq, [pp, bq, bk, bv, none, blse, none, bdo, dvec, dq], grid(gpu, op, rows));
      await gpu.run(pdkv, [pp, bq, bk, bv, none, blse, none, bdo, dvec, none, dk, dv], grid(gpu, op, rows));
    }
    return { dq: await bufs.read(dq, n), dk: await bufs.read(dk, n), dv: await bufs.read(dv, n) };
  });
}

// ------------------------------------------------------------------------------------------ scatter

function checkIds(op: string, ids: unknown, bound: number, what: string): Uint32Array {
  if (!(ids instanceof Int32Array) && !(ids instanceof Uint32Array) && !Array.isArray(ids)) {
    throw new InvalidArgumentError(
      `${op}: ids must be an Int32Array, Uint32Array or number[], got ${describe(ids)}`,
    );
  }
  const arr = ids as ArrayLike<number>;
  const out = new Uint32Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (!Number.isInteger(v) || v < 0 || v >= bound) {
      throw new InvalidArgumentError(
        `${op}: index ${describe(v)} at position ${i} is out of range [0, ${bound}) for ${what}`,
      );
    }
    out[i] = v;
  }
  return out;
}

async function segmentSumInto(
  op: string,
  base: Float32Array,
  src: Float32Array,
  ids: Uint32Array,
  segments: number,
  d: number,
): Promise<Float32Array> {
  if (segments * d === 0) return new Float32Array(0);
  if (ids.length === 0) return Float32Array.from(base);
  // CSR of the rows per segment (a stable counting sort, so rows keep their order inside a segment).
  const offsets = new Uint32Array(segments + 1);
  for (let i = 0; i < ids.length; i++) offsets[ids[i] + 1]++;
  for (let s = 0; s < segments; s++) offsets[s + 1] += offsets[s];
  const fill = offsets.slice(0, segments), perm = new Uint32Array(ids.length);
  for (let i = 0; i < ids.length; i++) perm[fill[ids[i]]++] = i;
  let longest = 0;
  for (let s = 0; s < segments; s++) longest = Math.max(longest, offsets[s + 1] - offsets[s]);
  return await withGpu(async (bufs) => {
    const gpu = bufs.gpu;
    bindable(gpu, op, `src (${ids.length} x ${d} f32)`, ids.length * d);
    bindable(gpu, op, `out (${segments} x ${d} f32)`, segments * d);
    // An invocation adds ceil(d / 64) columns of every row of its segment: segments longer than the
    // adapter's loop budget allows (llvmpipe) are summed over several dispatches (one on GPUs).
    const sweeps = Math.ceil(d / ROWS_WG);
    const perPass = Math.floor(loopBudget(gpu) / sweeps) - 1;
    if (perPass < 1) {
      throw new InvalidArgumentError(
        `${op}: rows of d = ${d} columns take ${2 * sweeps} loop iterations per invocation, but the ` +
          `${gpu.describe()} adapter silently stops an invocation's loops after ` +
          `${gpu.loopIterationLimit} iterations in all; use lib/nn's segmentSum (ts) for rows this wide`,
      );
    }
    const p = await pipeline(gpu, "nn_scatter.wgsl", "segment_sum");
    const out = bufs.input(base, true);
    const starts = passStarts(longest, perPass);
    const part = starts.length > 1 ? bufs.output(segments * d) : bufs.output(1);
    const bsrc = bufs.input(src), boff = bufs.input(offsets), bperm = bufs.input(perm);
    for (let i = 0; i < starts.length; i++) {
      const cap = starts.length > 1 ? perPass : 0xffffffff;
      const last = i === starts.length - 1 ? 1 : 0;
      await gpu.run(p, [
        bufs.uniform(packParams([segments, d, starts[i], cap, i === 0 ? 1 : 0, last, 0, 0])),
        bsrc,
        boff,
        bperm,
        out,
        part,
      ], grid(gpu, op, segments));
    }
    return await bufs.read(out, segments * d);
  });
}

/**
 * Segment sum (graph message passing): out[s, :] = Σ_{i: ids[i] = s} src[i, :] for src [n, d], out
 * [numSegments, d]. Deterministic (no atomics): the rows of each segment are listed on the host (a
 * counting sort) and one workgroup sums each segment in row order, so the result equals the serial
 * reference exactly. Same function as lib/nn's `segmentSum`; its gradient is {@link gatherRowsWebGPU}.
 *
 * @example
 * ```ts
 * import { segmentSumWebGPU } from "./webgpu.ts";
 * await segmentSumWebGPU(new Float32Array([1, 2, 3]), [0, 1, 0], 2, 1); // [4, 2]
 * ```
 */
export async function segmentSumWebGPU(
  src: Float32Array,
  ids: Int32Array | Uint32Array | readonly number[],
  numSegments: number,
  d: number,
): Promise<Float32Array> {
  const op = "segmentSumWebGPU";
  requireInt(`${op}: numSegments`, numSegments, 0);
  requireInt(`${op}: d`, d, 0);
  const idx = checkIds(op, ids, numSegments, `${numSegments} segments`);
  requireF32(op, "src", src, idx.length * d, `src is ids.length x d = ${idx.length} x ${d}`);
  return await segmentSumInto(op, new Float32Array(numSegments * d), src, idx, numSegments, d);
}

/**
 * base + scatter of src rows into rows idx: out = base; out[idx[i], :] += src[i, :], base [s, d],
 * src [n, d]. Same function as lib/nn's `scatterAdd`.
 *
 * @example
 * ```ts
 * import { scatterAddWebGPU } from "./webgpu.ts";
 * await scatterAddWebGPU(new Float32Array([0, 0]), [1, 1], new Float32Array([2, 3]), 1); // [0, 5]
 * ```
 */
export async function scatterAddWebGPU(
  base: Float32Array,
  idx: Int32Array | Uint32Array | readonly number[],
  src: Float32Array,
  d: number,
): Promise<Float32Array> {
  const op = "scatterAddWebGPU";
  requireInt(`${op}: d`, d, 0);
  if (!(base instanceof Float32Array)) {
    throw new InvalidArgumentError(`${op}: base must be a Float32Array, got ${describe(base)}`);
  }
  if (d === 0 ? base.length !== 0 : base.length % d !== 0) {
    throw new ShapeMismatchError(`${op}: base has length ${base.length}, not a multiple of d = ${d}`);
  }
  const segments = d === 0 ? 0 : base.length / d;
  const ids = checkIds(op, idx, segments, `base of ${segments} rows`);
  requireF32(op, "src", src, ids.length * d, `src is idx.length x d = ${ids.length} x ${d}`);
  return await segmentSumInto(op, base, src, ids, segments, d);
}

/**
 * Rows of table [v, d] by index: out[r, :] = table[ids[r], :] (embedding forward, and the gradient of
 * {@link segmentSumWebGPU}). Same function as lib/nn's `gatherRows` / `embedding`.
 *
 * @example
 * ```ts
 * import { gatherRowsWebGPU } from "./webgpu.ts";
 * await gatherRowsWebGPU(new Float32Array([1, 2, 3, 4]), [1, 1], 2); // [3, 4, 3, 4]
 * ```
 */
export async function gatherRowsWebGPU(
  table: Float32Array,
  ids: Int32Array | Uint32Array | readonly number[],
  d: number,
): Promise<Float32Array> {
  const op = "gatherRowsWebGPU";
  requireInt(`${op}: d`, d, 1);
  if (!(table instanceof Float32Array) || table.length % d !== 0) {
    throw new ShapeMismatchError(
      `${op}: table must be a Float32Array of rows x d (d = ${d}), got ${describe(table)}` +
        (table instanceof Float32Array ? ` of length ${table.length}` : ""),
    );
  }
  const v = table.length / d;
  const idx = checkIds(op, ids, v, `table of ${v} rows`);
  const n = idx.length * d;
  if (n === 0) return new Float32Array(0);
  return await withGpu(async (bufs) => {
    const gpu = bufs.gpu;
    bindable(gpu, op, `table (${v} x ${d} f32)`, table.length);
    bindable(gpu, op, `out (${idx.length} x ${d} f32)`, n);
    const p = await pipeline(gpu, "nn_scatter.wgsl", "gather_rows");
    const out = bufs.output(n);
    await gpu.run(p, [
      bufs.uniform(packParams([idx.length, d, 0, 0, 0, 0, 0, 0])),
      bufs.input(table),
      null,
      bufs.input(idx),
      out,
    ], grid(gpu, op, Math.ceil(n / ROWS_WG)));
    return await bufs.read(out, n);
  });
}

// ------------------------------------------------------------------------------------------ AdamW

/** Hyperparameters of {@link adamwWebGPU} (defaults as lib/nn's AdamW). */
export interface AdamWWebGPUOptions {
  /** Learning rate. */
  lr: number;
  /** The 1-based step number (bias correction uses beta^step). */
  step: number;
  /** First-moment decay, default 0.9. */
  beta1?: number;
  /** Second-moment decay, default 0.999. */
  beta2?: number;
  /** Denominator guard, default 1e-8. */
  eps?: number;
  /** Decoupled weight decay, default 0.01. */
  weightDecay?: number;
}

/**
 * One AdamW update on the GPU, in place on `p`, `m` and `v` (f32 arrays of one length; `g` the
 * gradient): m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g²; p -= lr (m̂ / (sqrt(v̂) + eps) + wd p), the
 * same arithmetic, in the same order, as lib/nn's AdamW.
 *
 * @example
 * ```ts
 * import { adamwWebGPU } from "./webgpu.ts";
 * const p = new Float32Array([1]), m = new Float32Array(1), v = new Float32Array(1);
 * await adamwWebGPU(p, new Float32Array([2]), m, v, { lr: 0.1, step: 1, weightDecay: 0 }); // p ≈ [0.9]
 * ```
 */
export async function adamwWebGPU(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  options: AdamWWebGPUOptions,
): Promise<void> {
  const op = "adamwWebGPU";
  if (!(p instanceof Float32Array)) {
    throw new InvalidArgumentError(`${op}: p must be a Float32Array, got ${describe(p)}`);
  }
  const n = p.length;
  requireF32(op, "g", g, n, `g matches p`);
  requireF32(op, "m", m, n, `m matches p`);
  requireF32(op, "v", v, n, `v matches p`);
  const lr = requireFinite(`${op}: lr`, options?.lr, 0);
  const step = requireInt(`${op}: step`, options.step, 1);
  const b1 = requireFinite(`${op}: beta1`, options.beta1 ?? 0.9, 0, 0.999999);
  const b2 = requireFinite(`${op}: beta2`, options.beta2 ?? 0.999, 0, 0.999999);
  const eps = requireFinite(`${op}: eps`, options.eps ?? 1e-8, 0);
  const wd = requireFinite(`${op}: weightDecay`, options.weightDecay ?? 0.01, 0);
  if (n === 0) return;
  const bc1 = 1 - b1 ** step, bc2 = 1 - b2 ** step;
  await withGpu(async (bufs) => {
    const gpu = bufs.gpu;
    bindable(gpu, op, `p (${n} f32)`, n);
    const pipe = await pipeline(gpu, "nn_adamw.wgsl", "adamw_step");
    const bp = bufs.input(p, true), bm = bufs.input(m, true), bv = bufs.input(v, true);
    await gpu.run(pipe, [
      bufs.uniform(packParams([n, { f: lr }, { f: b1 }, { f: b2 }, { f: eps }, { f: wd }, { f: bc1 }, {
        f: bc2,
      }])),
      bp,
      bufs.input(g),
      bm,
      bv,
    ], grid(gpu, op, Math.ceil(n / 256)));
    p.set(await bufs.read(bp, n));
    m.set(await bufs.read(bm, n));
    v.set(await bufs.read(bv, n));
  });
}
