/**
 * The differentiable ops of lib/nn. Each op validates its inputs (a ShapeMismatchError or
 * InvalidArgumentError that names the op and the shapes), computes its output eagerly on the engine's
 * backend (ts reference with float64 accumulation, or the wasm kernels for f32), records itself in the
 * op log and, when an input needs a gradient, on the tape with its backward function.
 *
 * @module
 */
import { describe, InvalidArgumentError, ShapeMismatchError } from "../core/errors.ts";
import {
  type DType,
  empty,
  fmtShape,
  full,
  isGradEnabled,
  logOp,
  registerTensorOps,
  result,
  sizeOf,
  stridesOf,
  Tensor,
  type TensorData,
} from "./tensor.ts";
import { kcall, matmulPtr, Temps, useWasm } from "./wasm_kernels.ts";

/** A loss or activation became NaN or infinite. */
export class NonFiniteError extends InvalidArgumentError {}

type Operand = Tensor | number;

function requireTensor(op: string, name: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) {
    throw new InvalidArgumentError(`${op}: ${name} must be a Tensor, got ${describe(t)}`);
  }
  return t;
}

function sameDtype(op: string, ...ts: Tensor[]): DType {
  const d = ts[0].dtype;
  for (const t of ts) {
    if (t.dtype !== d) {
      throw new InvalidArgumentError(
        `${op}: wrong dtype: inputs are ${ts.map((x) => `${x.dtype}${fmtShape(x.shape)}`).join(" and ")}; ` +
          `all inputs must share one dtype (f32 or f64)`,
      );
    }
  }
  return d;
}

function asTensor(op: string, x: Operand, like: Tensor): Tensor {
  if (typeof x === "number") return full([], x, like.dtype);
  return requireTensor(op, "operand", x);
}

// ------------------------------------------------------------------------------------------ broadcasting

/** The broadcast shape of two shapes (numpy rules) or a ShapeMismatchError naming the op. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1, db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeMismatchError(
        `${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast (dimension ${i}: ${da} vs ${db})`,
      );
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

function bstrides(shape: readonly number[], out: readonly number[]): number[] {
  const s = stridesOf(shape);
  const r: number[] = new Array(out.length).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const o = out.length - shape.length + i;
    r[o] = shape[i] === 1 ? 0 : s[i];
  }
  return r;
}

/** Calls fn(outIndex, aIndex, bIndex) over the broadcast output. */
function eachBroadcast(
  out: readonly number[],
  sa: number[],
  sb: number[],
  fn: (o: number, ia: number, ib: number) => void,
): void {
  const n = sizeOf(out), nd = out.length;
  if (n === 0) return;
  const idx = new Array(nd).fill(0);
  let ia = 0, ib = 0;
  for (let o = 0; o < n; o++) {
    fn(o, ia, ib);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < out[d]) break;
      ia -= sa[d] * out[d];
      ib -= sb[d] * out[d];
      idx[d] = 0;
    }
  }
}

/** Sums a gradient of the broadcast shape down to `shape`. */
function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const out = empty(shape, g.dtype);
  const so = bstrides(shape, g.shape);
  const od = out.data, gd = g.data;
  eachBroadcast(g.shape, so, bstrides(g.shape, g.shape), (o, io) => {
    od[io] += gd[o];
  });
  return out;
}

function binary(
  op: string,
  a: Tensor,
  b: Tensor,
  f: (x: number, y: number) => number,
  grads: (g: Tensor, out: Tensor) => [Tensor | null, Tensor | null],
): Tensor {
  sameDtype(op, a, b);
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = empty(shape, a.dtype);
  const od = out.data, ad = a.data, bd = b.data;
  if (a.size === b.size && a.size === out.size) {
    for (let i = 0; i < od.length; i++) {
      od[i] = f(ad[i], bd[i]);
    }
  } else if (a.size === out.size && out.size % b.size === 0 && suffixOf(b.shape, shape)) {
    const m = b.size;
    for (let i = 0; i < od.length; i++) od[i] = f(ad[i], bd[i % m]);
  } else {eachBroadcast(shape, bstrides(a.shape, shape), bstrides(b.shape, shape), (o, i, j) =>
      od[o] = f(ad[i], bd[j]));}
  return result(op, out, [a, b], (g) => {
    const [ga, gb] = grads(g, out);
    return [ga && sumTo(ga, a.shape), gb && sumTo(gb, b.shape)];
  });
}

function suffixOf(s: readonly number[], of: readonly number[]): boolean {
  if (s.length > of.length) return false;
  for (let i = 0; i < s.length; i++) if (s[s.length - 1 - i] !== of[of.length - 1 - i]) return false;
  return true;
}

function mapTensor(x: Tensor, f: (v: number, i: number) => number): Tensor {
  const out = empty(x.shape, x.dtype);
  const xd = x.data, od = out.data;
  for (let i = 0; i < od.length; i++) od[i] = f(xd[i], i);
  return out;
}

function zip(a: Tensor, b: Tensor, shape: readonly number[], f: (x: number, y: number) => number): Tensor {
  // a and b are both of the broadcast (output) shape, or b is a scalar
  const out = empty(shape, a.dtype);
  const ad = a.data, bd = b.data, od = out.data;
  if (b.size === 1) { for (let i = 0; i < od.length; i++) od[i] = f(ad[i], bd[0]); }
  else if (a.size === od.length && b.size === od.length) {
    for (let i = 0; i < od.length; i++) od[i] = f(ad[i], bd[i]);
  } else {eachBroadcast(shape, bstrides(a.shape, shape), bstrides(b.shape, shape), (o, i, j) =>
      od[o] = f(ad[i], bd[j]));}
  return out;
}

/**
 * a + b with broadcasting.
 *
 * @example
 * ```ts
 * import { add, tensor } from "./mod.ts";
 * add(tensor([1, 2, 3, 4], [2, 2]), tensor([10, 20])).toArray(); // [11, 22, 13, 24]
 * ```
 */
export function add(a: Tensor, b: Operand): Tensor {
  requireTensor("add", "a", a);
  return binary("add", a, asTensor("add", b, a), (x, y) => x + y, (g) => [g, g]);
}

/**
 * a - b with broadcasting.
 *
 * @example
 * ```ts
 * import { sub, tensor } from "./mod.ts";
 * sub(tensor([3, 4]), 1).toArray(); // [2, 3]
 * ```
 */
export function sub(a: Tensor, b: Operand): Tensor {
  requireTensor("sub", "a", a);
  return binary("sub", a, asTensor("sub", b, a), (x, y) => x - y, (g) => [g, mapTensor(g, (v) => -v)]);
}

/**
 * a * b (elementwise) with broadcasting.
 *
 * @example
 * ```ts
 * import { mul, tensor } from "./mod.ts";
 * mul(tensor([1, 2]), 3).toArray(); // [3, 6]
 * ```
 */
export function mul(a: Tensor, b: Operand): Tensor {
  requireTensor("mul", "a", a);
  const bt = asTensor("mul", b, a);
  return binary(
    "mul",
    a,
    bt,
    (x, y) => x * y,
    (g) => [zip(g, bt, g.shape, (u, v) => u * v), zip(g, a, g.shape, (u, v) => u * v)],
  );
}

/**
 * a / b (elementwise) with broadcasting.
 *
 * @example
 * ```ts
 * import { div, tensor } from "./mod.ts";
 * div(tensor([2, 4]), 2).toArray(); // [1, 2]
 * ```
 */
export function div(a: Tensor, b: Operand): Tensor {
  requireTensor("div", "a", a);
  const bt = asTensor("div", b, a);
  return binary("div", a, bt, (x, y) => x / y, (g, out) => [
    zip(g, bt, g.shape, (u, v) => u / v),
    zip(zip(g, out, g.shape, (u, o) => -u * o), bt, g.shape, (u, v) => u / v),
  ]);
}

// ------------------------------------------------------------------------------------------ unary

function unary(
  op: string,
  x: Tensor,
  f: (v: number) => number,
  df: (v: number, y: number) => number,
): Tensor {
  requireTensor(op, "x", x);
  const out = mapTensor(x, f);
  return result(op, out, [x], (g) => {
    const xd = x.data, yd = out.data, gd = g.data;
    return [mapTensor(g, (_, i) => gd[i] * df(xd[i], yd[i]))];
  });
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * max(x, 0).
 *
 * @example
 * ```ts
 * import { relu, tensor } from "./mod.ts";
 * relu(tensor([-1, 2])).toArray(); // [0, 2]
 * ```
 */
export function relu(x: Tensor): Tensor {
  return unary("relu", x, (v) => (v > 0 ? v : 0), (v) => (v > 0 ? 1 : 0));
}

/**
 * GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
 *
 * @example
 * ```ts
 * import { gelu, tensor } from "./mod.ts";
 * gelu(tensor([0])).item(); // 0
 * ```
 */
export function gelu(x: Tensor): Tensor {
  return unary(
    "gelu",
    x,
    (v) => 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))),
    (v) => {
      const u = SQRT_2_OVER_PI * (v + 0.044715 * v * v * v);
      const t = Math.tanh(u);
      return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
    },
  );
}

/**
 * SiLU: x sigmoid(x).
 *
 * @example
 * ```ts
 * import { silu, tensor } from "./mod.ts";
 * silu(tensor([0])).item(); // 0
 * ```
 */
export function silu(x: Tensor): Tensor {
  return unary("silu", x, (v) => v / (1 + Math.exp(-v)), (v) => {
    const s = 1 / (1 + Math.exp(-v));
    return s * (1 + v * (1 - s));
  });
}

/**
 * Elementwise e^x.
 *
 * @example
 * ```ts
 * import { exp, tensor } from "./mod.ts";
 * exp(tensor([0])).item(); // 1
 * ```
 */
export function exp(x: Tensor): Tensor {
  return unary("exp", x, Math.exp, (_, y) => y);
}

/**
 * Elementwise natural log.
 *
 * @example
 * ```ts
 * import { log, tensor } from "./mod.ts";
 * log(tensor([1])).item(); // 0
 * ```
 */
export function log(x: Tensor): Tensor {
  return unary("log", x, Math.log, (v) => 1 / v);
}

/**
 * Elementwise tanh.
 *
 * @example
 * ```ts
 * import { tanh, tensor } from "./mod.ts";
 * tanh(tensor([0])).item(); // 0
 * ```
 */
export function tanh(x: Tensor): Tensor {
  return unary("tanh", x, Math.tanh, (_, y) => 1 - y * y);
}

// ------------------------------------------------------------------------------------------ shape

/**
 * The same elements with a new shape (one dimension may be -1). Copies (tensors are contiguous).
 *
 * @example
 * ```ts
 * import { reshape, tensor } from "./mod.ts";
 * reshape(tensor([1, 2, 3, 4]), [2, -1]).shape; // [2, 2]
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  requireTensor("reshape", "x", x);
  const sh = [...shape];
  const free = sh.indexOf(-1);
  if (free >= 0) {
    const rest = sizeOf(sh.filter((_, i) => i !== free));
    sh[free] = rest === 0 ? 0 : x.size / rest;
  }
  if (sh.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(sh) !== x.size) {
    throw new ShapeMismatchError(
      `reshape: cannot view ${fmtShape(x.shape)} (${x.size} elements) as ${fmtShape(shape)}`,
    );
  }
  const out = empty(sh, x.dtype);
  out.data.set(x.data);
  return result("reshape", out, [x], (g) => {
    const gx = empty(x.shape, g.dtype);
    gx.data.set(g.data);
    return [gx];
  });
}

function permuteData(x: Tensor, dims: readonly number[]): Tensor {
  const shape = dims.map((d) => x.shape[d]);
  const out = empty(shape, x.dtype);
  const xs = x.strides;
  const src = dims.map((d) => xs[d]);
  const xd = x.data, od = out.data;
  eachBroadcast(shape, src, stridesOf(shape), (o, i) => (od[o] = xd[i]));
  return out;
}

/**
 * Reorders dimensions: out.shape[i] = x.shape[dims[i]].
 *
 * @example
 * ```ts
 * import { permute, tensor } from "./mod.ts";
 * permute(tensor([1, 2, 3, 4, 5, 6], [2, 3]), [1, 0]).toArray(); // [1, 4, 2, 5, 3, 6]
 * ```
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  requireTensor("permute", "x", x);
  const sorted = [...dims].sort((p, q) => p - q);
  if (dims.length !== x.ndim || sorted.some((d, i) => d !== i)) {
    throw new InvalidArgumentError(
      `permute: dims ${fmtShape(dims)} must be a permutation of 0..${x.ndim - 1} for shape ${
        fmtShape(x.shape)
      }`,
    );
  }
  const inv = new Array(dims.length);
  dims.forEach((d, i) => (inv[d] = i));
  return result("permute", permuteData(x, dims), [x], (g) => [permuteData(g, inv)]);
}

/**
 * Swaps the last two dimensions.
 *
 * @example
 * ```ts
 * import { transpose, tensor } from "./mod.ts";
 * transpose(tensor([1, 2, 3, 4, 5, 6], [2, 3])).shape; // [3, 2]
 * ```
 */
export function transpose(x: Tensor): Tensor {
  requireTensor("transpose", "x", x);
  if (x.ndim < 2) {
    throw new ShapeMismatchError(`transpose: needs at least 2 dimensions, got ${fmtShape(x.shape)}`);
  }
  const dims = x.shape.map((_, i) => i);
  [dims[x.ndim - 2], dims[x.ndim - 1]] = [dims[x.ndim - 1], dims[x.ndim - 2]];
  return permute(x, dims);
}

// ------------------------------------------------------------------------------------------ matmul

function mmTs(
  a: TensorData,
  ao: number,
  b: TensorData,
  bo: number,
  c: TensorData,
  co: number,
  m: number,
  k: number,
  n: number,
  accumulate = false,
): void {
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    if (accumulate) { for (let j = 0; j < n; j++) row[j] = c[co + i * n + j]; }
    else row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = a[ao + i * k + p];
      if (av === 0) continue;
      const bb = bo + p * n;
      for (let j = 0; j < n; j++) row[j] += av * b[bb + j];
    }
    for (let j = 0; j < n; j++) c[co + i * n + j] = row[j];
  }
}

function transposeTs(
  a: TensorData,
  ao: number,
  rows: number,
  cols: number,
  out: TensorData,
  oo: number,
): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[oo + c * rows + r] = a[ao + r * cols + c];
}

/** C = A B over `batch` products; bShared: one B for all. Runs on the engine's backend. */
function bmm(
  a: Tensor,
  b: Tensor,
  batch: number,
  m: number,
  k: number,
  n: number,
  bShared: boolean,
  out: Tensor,
): void {
  if (useWasm(a, b, out) && out.ptr >= 0) {
    const t = new Temps();
    try {
      const pa = t.ptr(a), pb = t.ptr(b);
      if (bShared) matmulPtr(pa, pb, out.ptr, batch * m, k, n);
      else {for (let i = 0; i < batch; i++) {
          matmulPtr(pa + i * m * k * 4, pb + i * k * n * 4, out.ptr + i * m * n * 4, m, k, n);
        }}
    } finally {
      t.release();
    }
    return;
  }
  if (bShared) mmTs(a.data, 0, b.data, 0, out.data, 0, batch * m, k, n);
  else {for (let i = 0; i < batch; i++) {
      mmTs(a.data, i * m * k, b.data, i * k * n, out.data, i * m * n, m, k, n);
    }}
}

/** Transposes the last two dims of a [batch, rows, cols] tensor on the engine's backend. */
function tr(x: Tensor, batch: number, rows: number, cols: number): Tensor {
  const out = empty([batch, cols, rows], x.dtype);
  if (useWasm(x, out) && out.ptr >= 0) {
    const t = new Temps();
    try {
      kcall("nn", "transpose_batched", [t.ptr(x), out.ptr, rows, cols], 0, batch, batch * rows * cols);
    } finally {
      t.release();
    }
  } else {for (let i = 0; i < batch; i++) {
      transposeTs(x.data, i * rows * cols, rows, cols, out.data, i * rows * cols);
    }}
  return out;
}

/**
 * Matrix product over the last two dimensions: a [..., m, k] times b [k, n] (shared by every batch) or
 * b [..., k, n] with the same leading dimensions as a.
 *
 * @example
 * ```ts
 * import { matmul, tensor } from "./mod.ts";
 * matmul(tensor([1, 2, 3, 4], [2, 2]), tensor([5, 6, 7, 8], [2, 2])).toArray(); // [19, 22, 43, 50]
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  requireTensor("matmul", "a", a);
  requireTensor("matmul", "b", b);
  sameDtype("matmul", a, b);
  if (a.ndim < 2 || b.ndim < 2) {
    throw new ShapeMismatchError(
      `matmul: needs a [..., m, k] and b [k, n] or [..., k, n], got ${fmtShape(a.shape)} and ${
        fmtShape(b.shape)
      }`,
    );
  }
  const m = a.shape[a.ndim - 2], k = a.shape[a.ndim - 1];
  const k2 = b.shape[b.ndim - 2], n = b.shape[b.ndim - 1];
  const lead = a.shape.slice(0, -2);
  const bShared = b.ndim === 2;
  const leadOk = bShared || (b.ndim === a.ndim && b.shape.slice(0, -2).every((d, i) => d === lead[i]));
  if (k !== k2 || !leadOk) {
    throw new ShapeMismatchError(
      `matmul: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} do not multiply ` +
        `(need a [..., m, k] and b [k, n] or [..., k, n] with the same leading dimensions)`,
    );
  }
  const batch = sizeOf(lead);
  const out = empty([...lead, m, n], a.dtype);
  bmm(a, b, batch, m, k, n, bShared, out);
  return result("matmul", out, [a, b], (g) => {
    let ga: Tensor | null = null, gb: Tensor | null = null;
    if (a.requiresGrad) {
      // dA = dC B^T
      const bt = tr(b, bShared ? 1 : batch, k, n);
      ga = empty(a.shape, a.dtype);
      bmm(g, bt, batch, m, n, k, bShared, ga);
    }
    if (b.requiresGrad) {
      // dB = A^T dC (summed over the batch when B is shared)
      if (bShared) {
        const at = tr(a, 1, batch * m, k);
        gb = empty(b.shape, b.dtype);
        bmm(at, g, 1, k, batch * m, n, true, gb);
      } else {
        const at = tr(a, batch, m, k);
        gb = empty(b.shape, b.dtype);
        bmm(at, g, batch, k, m, n, false, gb);
      }
    }
    return [ga, gb];
  });
}

// ------------------------------------------------------------------------------------------ reductions

function checkAxis(op: string, x: Tensor, axis: number): number {
  const ax = axis < 0 ? axis + x.ndim : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= x.ndim) {
    throw new InvalidArgumentError(`${op}: axis ${axis} out of range for shape ${fmtShape(x.shape)}`);
  }
  return ax;
}

function reduceAxis(
  op: string,
  x: Tensor,
  axis: number | undefined,
  keepDims: boolean,
  scale: (n: number) => number,
): Tensor {
  requireTensor(op, "x", x);
  if (axis === undefined) {
    let s = 0;
    const xd = x.data;
    for (let i = 0; i < xd.length; i++) s += xd[i];
    const f = scale(x.size);
    const out = full([], s * f, x.dtype);
    return result(op, out, [x], (g) => [full(x.shape, g.data[0] * f, x.dtype)]);
  }
  const ax = checkAxis(op, x, axis);
  const outer = sizeOf(x.shape.slice(0, ax)), len = x.shape[ax], inner = sizeOf(x.shape.slice(ax + 1));
  const shape = keepDims ? x.shape.map((d, i) => (i === ax ? 1 : d)) : x.shape.filter((_, i) => i !== ax);
  const out = empty(shape, x.dtype);
  const f = scale(len);
  const xd = x.data, od = out.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let l = 0; l < len; l++) s += xd[(o * len + l) * inner + i];
      od[o * inner + i] = s * f;
    }
  }
  return result(op, out, [x], (g) => {
    const gx = empty(x.shape, x.dtype);
    const gd = g.data, gxd = gx.data;
    for (let o = 0; o < outer; o++) {
      for (let l = 0; l < len; l++) {
        for (let i = 0; i < inner; i++) gxd[(o * len + l) * inner + i] = gd[o * inner + i] * f;
      }
    }
    return [gx];
  });
}

/**
 * Sum of all elements (axis omitted) or along one axis.
 *
 * @example
 * ```ts
 * import { sum, tensor } from "./mod.ts";
 * sum(tensor([1, 2, 3, 4], [2, 2]), 1).toArray(); // [3, 7]
 * ```
 */
export function sum(x: Tensor, axis?: number, keepDims = false): Tensor {
  return reduceAxis("sum", x, axis, keepDims, () => 1);
}

/**
 * Mean of all elements (axis omitted) or along one axis.
 *
 * @example
 * ```ts
 * import { mean, tensor } from "./mod.ts";
 * mean(tensor([1, 2, 3, 4])).item(); // 2.5
 * ```
 */
export function mean(x: Tensor, axis?: number, keepDims = false): Tensor {
  return reduceAxis("mean", x, axis, keepDims, (n) => 1 / n);
}

// ------------------------------------------------------------------------------------------ indices

/** Integer indices: an Int32Array or an array of integers. */
export type Indices = Int32Array | readonly number[];

function toIndices(op: string, ids: Indices, bound: number, what: string): Int32Array {
  if (!(ids instanceof Int32Array) && !Array.isArray(ids)) {
    throw new InvalidArgumentError(`${op}: indices must be an Int32Array or number[], got ${describe(ids)}`);
  }
  const out = ids instanceof Int32Array ? ids : Int32Array.from(ids as number[]);
  for (let i = 0; i < out.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || v < 0 || v >= bound) {
      throw new InvalidArgumentError(
        `${op}: index ${describe(v)} at position ${i} is out of range [0, ${bound}) for ${what}`,
      );
    }
  }
  return out;
}

function gatherRowsRaw(table: Tensor, idx: Int32Array, d: number, out: Tensor): void {
  if (useWasm(table, out) && out.ptr >= 0) {
    const t = new Temps();
    try {
      kcall("nn", "gather_rows", [t.ptr(table), t.i32(idx), out.ptr, d], 0, idx.length, idx.length * d);
    } finally {
      t.release();
    }
    return;
  }
  const td = table.data, od = out.data;
  for (let r = 0; r < idx.length; r++) od.set(td.subarray(idx[r] * d, idx[r] * d + d), r * d);
}

function scatterRowsRaw(src: Tensor, idx: Int32Array, d: number, out: Tensor): void {
  if (useWasm(src, out) && out.ptr >= 0) {
    const t = new Temps();
    try {
      kcall(
        "nn",
        "scatter_add_rows",
        [t.ptr(src), t.i32(idx), out.ptr, idx.length, d],
        0,
        d,
        idx.length * d,
        4,
      );
    } finally {
      t.release();
    }
    return;
  }
  const sd = src.data, od = out.data;
  for (let r = 0; r < idx.length; r++) {
    const o = idx[r] * d, s = r * d;
    for (let c = 0; c < d; c++) od[o + c] += sd[s + c];
  }
}

/**
 * Rows of `table` [V, D] picked by integer ids: out[..., :] = table[ids[...], :]; output shape
 * [...idsShape, D]. Gradient: scatter-add into the table.
 *
 * @example
 * ```ts
 * import { embedding, tensor } from "./mod.ts";
 * embedding(tensor([0, 1, 2, 3, 4, 5], [3, 2]), [2, 0]).toArray(); // [4, 5, 0, 1]
 * ```
 */
export function embedding(table: Tensor, ids: Indices, idsShape?: readonly number[]): Tensor {
  return gatherRowsOp("embedding", table, ids, idsShape);
}

/**
 * Rows of x [N, D] by index (the same as embedding, under the name of a gather).
 *
 * @example
 * ```ts
 * import { gatherRows, tensor } from "./mod.ts";
 * gatherRows(tensor([1, 2, 3, 4], [2, 2]), [1, 1]).toArray(); // [3, 4, 3, 4]
 * ```
 */
export function gatherRows(x: Tensor, ids: Indices): Tensor {
  return gatherRowsOp("gather", x, ids);
}

function gatherRowsOp(op: string, table: Tensor, ids: Indices, idsShape?: readonly number[]): Tensor {
  requireTensor(op, "table", table);
  if (table.ndim !== 2) {
    throw new ShapeMismatchError(`${op}: table must be 2-D [V, D], got ${fmtShape(table.shape)}`);
  }
  const [v, d] = table.shape;
  const idx = toIndices(op, ids, v, `table ${fmtShape(table.shape)}`);
  const ish = idsShape ?? [idx.length];
  if (sizeOf(ish) !== idx.length) {
    throw new ShapeMismatchError(`${op}: ${idx.length} ids cannot have shape ${fmtShape(ish)}`);
  }
  const out = empty([...ish, d], table.dtype);
  gatherRowsRaw(table, idx, d, out);
  return result(op, out, [table], (g) => {
    const gt = empty(table.shape, table.dtype);
    scatterRowsRaw(g, idx, d, gt);
    return [gt];
  });
}

/**
 * Segment sum (graph message passing): out[s, :] = Σ_{i: ids[i] = s} src[i, :], out [numSegments, D].
 *
 * @example
 * ```ts
 * import { segmentSum, tensor } from "./mod.ts";
 * segmentSum(tensor([1, 2, 3], [3, 1]), [0, 1, 0], 2).toArray(); // [4, 2]
 * ```
 */
export function segmentSum(src: Tensor, ids: Indices, numSegments: number): Tensor {
  requireTensor("segmentSum", "src", src);
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new InvalidArgumentError(
      `segmentSum: numSegments must be a non-negative integer, got ${describe(numSegments)}`,
    );
  }
  if (src.ndim !== 2) {
    throw new ShapeMismatchError(`segmentSum: src must be 2-D [N, D], got ${fmtShape(src.shape)}`);
  }
  const [n, d] = src.shape;
  const idx = toIndices("segmentSum", ids, numSegments, `${numSegments} segments`);
  if (idx.length !== n) {
    throw new ShapeMismatchError(
      `segmentSum: ${idx.length} segment ids for src ${fmtShape(src.shape)} (need ${n})`,
    );
  }
  const out = empty([numSegments, d], src.dtype);
  scatterRowsRaw(src, idx, d, out);
  return result("segmentSum", out, [src], (g) => {
    const gs = empty(src.shape, src.dtype);
    gatherRowsRaw(g, idx, d, gs);
    return [gs];
  });
}

/**
 * base + scatter of src rows into rows idx: out = base; out[idx[i], :] += src[i, :].
 *
 * @example
 * ```ts
 * import { scatterAdd, tensor } from "./mod.ts";
 * scatterAdd(tensor([0, 0], [2, 1]), [1, 1], tensor([2, 3], [2, 1])).toArray(); // [0, 5]
 * ```
 */
export function scatterAdd(base: Tensor, idx: Indices, src: Tensor): Tensor {
  requireTensor("scatterAdd", "base", base);
  requireTensor("scatterAdd", "src", src);
  if (base.ndim !== 2 || src.ndim !== 2 || base.shape[1] !== src.shape[1]) {
    throw new ShapeMismatchError(
      `scatterAdd: base [S, D] and src [N, D] must share D, got ${fmtShape(base.shape)} and ${
        fmtShape(src.shape)
      }`,
    );
  }
  return add(base, segmentSum(src, idx, base.shape[0]));
}

/**
 * Picks one element per row: out[i] = x[i, idx[i]] for x [N, C].
 *
 * @example
 * ```ts
 * import { gather, tensor } from "./mod.ts";
 * gather(tensor([1, 2, 3, 4], [2, 2]), [1, 0]).toArray(); // [2, 3]
 * ```
 */
export function gather(x: Tensor, idx: Indices): Tensor {
  requireTensor("gather", "x", x);
  if (x.ndim !== 2) throw new ShapeMismatchError(`gather: x must be 2-D [N, C], got ${fmtShape(x.shape)}`);
  const [n, c] = x.shape;
  const ids = toIndices("gather", idx, c, `x ${fmtShape(x.shape)}`);
  if (ids.length !== n) {
    throw new ShapeMismatchError(`gather: ${ids.length} indices for x ${fmtShape(x.shape)} (need ${n})`);
  }
  const out = empty([n], x.dtype);
  for (let i = 0; i < n; i++) out.data[i] = x.data[i * c + ids[i]];
  return result("gather", out, [x], (g) => {
    const gx = empty(x.shape, x.dtype);
    for (let i = 0; i < n; i++) gx.data[i * c + ids[i]] += g.data[i];
    return [gx];
  });
}

// ------------------------------------------------------------------------------------------ softmax

function rowsOf(x: Tensor): [number, number] {
  const cols = x.shape[x.ndim - 1] ?? 1;
  return [cols === 0 ? 0 : x.size / cols, cols];
}

function softmaxTs(xd: TensorData, yd: TensorData, rows: number, cols: number, log: boolean): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) mx = Math.max(mx, xd[o + j]);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(xd[o + j] - mx);
    if (log) {
      const lse = mx + Math.log(s);
      for (let j = 0; j < cols; j++) yd[o + j] = xd[o + j] - lse;
    } else for (let j = 0; j < cols; j++) yd[o + j] = Math.exp(xd[o + j] - mx) / s;
  }
}

function rowKernel(
  op: string,
  fn: string,
  ins: Tensor[],
  out: Tensor,
  extra: number[],
  rows: number,
  cols: number,
): boolean {
  if (!useWasm(...ins, out) || out.ptr < 0) return false;
  const t = new Temps();
  try {
    kcall("nn", fn, [...ins.map((x) => t.ptr(x)), out.ptr, ...extra], 0, rows, rows * cols * 8);
  } finally {
    t.release();
  }
  return op.length >= 0;
}

/**
 * Softmax over the last axis.
 *
 * @example
 * ```ts
 * import { softmax, tensor } from "./mod.ts";
 * softmax(tensor([0, 0])).toArray(); // [0.5, 0.5]
 * ```
 */
export function softmax(x: Tensor): Tensor {
  requireTensor("softmax", "x", x);
  if (x.ndim < 1) throw new ShapeMismatchError(`softmax: needs at least 1 dimension, got a scalar`);
  const [rows, cols] = rowsOf(x);
  const out = empty(x.shape, x.dtype);
  if (!rowKernel("softmax", "softmax_rows", [x], out, [cols], rows, cols)) {
    softmaxTs(x.data, out.data, rows, cols, false);
  }
  return result("softmax", out, [x], (g) => {
    const gx = empty(x.shape, x.dtype);
    if (!rowKernel("softmax", "softmax_bwd_rows", [out, g], gx, [cols], rows, cols)) {
      const y = out.data, gd = g.data, d = gx.data;
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        let s = 0;
        for (let j = 0; j < cols; j++) s += y[o + j] * gd[o + j];
        for (let j = 0; j < cols; j++) d[o + j] = y[o + j] * (gd[o + j] - s);
      }
    }
    return [gx];
  });
}

/**
 * log(softmax(x)) over the last axis, computed stably.
 *
 * @example
 * ```ts
 * import { logSoftmax, tensor } from "./mod.ts";
 * Math.exp(logSoftmax(tensor([1, 1])).data[0]); // 0.5
 * ```
 */
export function logSoftmax(x: Tensor): Tensor {
  requireTensor("logSoftmax", "x", x);
  if (x.ndim < 1) throw new ShapeMismatchError(`logSoftmax: needs at least 1 dimension, got a scalar`);
  const [rows, cols] = rowsOf(x);
  const out = empty(x.shape, x.dtype);
  if (!rowKernel("logSoftmax", "log_softmax_rows", [x], out, [cols], rows, cols)) {
    softmaxTs(x.data, out.data, rows, cols, true);
  }
  return result("logSoftmax", out, [x], (g) => {
    const gx = empty(x.shape, x.dtype);
    if (!rowKernel("logSoftmax", "log_softmax_bwd_rows", [out, g], gx, [cols], rows, cols)) {
      const y = out.data, gd = g.data, d = gx.data;
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        let s = 0;
        for (let j = 0; j < cols; j++) s += gd[o + j];
        for (let j = 0; j < cols; j++) d[o + j] = gd[o + j] - Math.exp(y[o + j]) * s;
      }
    }
    return [gx];
  });
}

// ------------------------------------------------------------------------------------------ norms

function checkNormParam(op: string, x: Tensor, p: Tensor, name: string): void {
  requireTensor(op, name, p);
  const cols = x.shape[x.ndim - 1];
  if (p.ndim !== 1 || p.shape[0] !== cols) {
    throw new ShapeMismatchError(
      `${op}: ${name} must have shape [${cols}] for x ${fmtShape(x.shape)}, got ${fmtShape(p.shape)}`,
    );
  }
}

/**
 * Layer normalization over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta.
 *
 * @example
 * ```ts
 * import { layerNorm, tensor } from "./mod.ts";
 * layerNorm(tensor([1, 3]), tensor([1, 1]), tensor([0, 0]), 0).toArray(); // [-1, 1]
 * ```
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  requireTensor("layerNorm", "x", x);
  checkNormParam("layerNorm", x, gamma, "gamma");
  checkNormParam("layerNorm", x, beta, "beta");
  sameDtype("layerNorm", x, gamma, beta);
  const [rows, cols] = rowsOf(x);
  const out = empty(x.shape, x.dtype), mu = empty([rows], x.dtype), rs = empty([rows], x.dtype);
  const wasm = useWasm(x, gamma, beta, out) && out.ptr >= 0 && mu.ptr >= 0;
  if (wasm) {
    const t = new Temps();
    try {
      kcall(
        "nn",
        "layernorm_rows",
        [t.ptr(x), t.ptr(gamma), t.ptr(beta), out.ptr, mu.ptr, rs.ptr, cols, eps],
        0,
        rows,
        rows * cols * 8,
      );
    } finally {
      t.release();
    }
  } else {
    const xd = x.data, g = gamma.data, b = beta.data, y = out.data;
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += xd[o + j];
      const m = s / cols;
      let v = 0;
      for (let j = 0; j < cols; j++) v += (xd[o + j] - m) ** 2;
      const inv = 1 / Math.sqrt(v / cols + eps);
      for (let j = 0; j < cols; j++) y[o + j] = (xd[o + j] - m) * inv * g[j] + b[j];
      mu.data[r] = m;
      rs.data[r] = inv;
    }
  }
  return result("layerNorm", out, [x, gamma, beta], (g) => {
    const gx = empty(x.shape, x.dtype), gg = empty(gamma.shape, x.dtype), gb = empty(beta.shape, x.dtype);
    if (useWasm(x, g, gx) && gx.ptr >= 0 && gg.ptr >= 0) {
      const t = new Temps();
      try {
        const px = t.ptr(x), pg = t.ptr(g);
        kcall(
          "nn",
          "layernorm_bwd_rows",
          [px, t.ptr(gamma), pg, mu.ptr, rs.ptr, gx.ptr, cols],
          0,
          rows,
          rows * cols * 8,
        );
        kcall(
          "nn",
          "layernorm_bwd_params",
          [px, pg, mu.ptr, rs.ptr, gg.ptr, gb.ptr, rows, cols],
          0,
          cols,
          rows * cols * 4,
        );
      } finally {
        t.release();
      }
    } else {
      const xd = x.data, gd = g.data, ga = gamma.data;
      for (let r = 0; r < rows; r++) {
        const o = r * cols, m = mu.data[r], inv = rs.data[r];
        let s1 = 0, s2 = 0;
        for (let j = 0; j < cols; j++) {
          const dh = gd[o + j] * ga[j];
          s1 += dh;
          s2 += dh * (xd[o + j] - m) * inv;
          gg.data[j] += gd[o + j] * (xd[o + j] - m) * inv;
          gb.data[j] += gd[o + j];
        }
        s1 /= cols;
        s2 /= cols;
        for (let j = 0; j < cols; j++) {
          gx.data[o + j] = inv * (gd[o + j] * ga[j] - s1 - (xd[o + j] - m) * inv * s2);
        }
      }
    }
    return [gx, gg, gb];
  });
}

/**
 * RMS normalization over the last axis: x / sqrt(mean(x²) + eps) * gamma.
 *
 * @example
 * ```ts
 * import { rmsNorm, tensor } from "./mod.ts";
 * rmsNorm(tensor([3, 4]), tensor([1, 1]), 0).data[1]; // 4 / sqrt(12.5)
 * ```
 */
export function rmsNorm(x: Tensor, gamma: Tensor, eps = 1e-5): Tensor {
  requireTensor("rmsNorm", "x", x);
  checkNormParam("rmsNorm", x, gamma, "gamma");
  sameDtype("rmsNorm", x, gamma);
  const [rows, cols] = rowsOf(x);
  const out = empty(x.shape, x.dtype), rs = empty([rows], x.dtype);
  if (useWasm(x, gamma, out) && out.ptr >= 0 && rs.ptr >= 0) {
    const t = new Temps();
    try {
      kcall(
        "nn",
        "rmsnorm_rows",
        [t.ptr(x), t.ptr(gamma), out.ptr, rs.ptr, cols, eps],
        0,
        rows,
        rows * cols * 4,
      );
    } finally {
      t.release();
    }
  } else {
    const xd = x.data, g = gamma.data, y = out.data;
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += xd[o + j] * xd[o + j];
      const inv = 1 / Math.sqrt(s / cols + eps);
      for (let j = 0; j < cols; j++) y[o + j] = xd[o + j] * inv * g[j];
      rs.data[r] = inv;
    }
  }
  return result("rmsNorm", out, [x, gamma], (g) => {
    const gx = empty(x.shape, x.dtype), gg = empty(gamma.shape, x.dtype);
    if (useWasm(x, g, gx) && gx.ptr >= 0 && gg.ptr >= 0) {
      const t = new Temps();
      try {
        const px = t.ptr(x), pg = t.ptr(g);
        kcall(
          "nn",
          "rmsnorm_bwd_rows",
          [px, t.ptr(gamma), pg, rs.ptr, gx.ptr, cols],
          0,
          rows,
          rows * cols * 4,
        );
        kcall("nn", "rmsnorm_bwd_params", [px, pg, rs.ptr, gg.ptr, rows, cols], 0, cols, rows * cols * 2);
      } finally {
        t.release();
      }
    } else {
      const xd = x.data, gd = g.data, ga = gamma.data;
      for (let r = 0; r < rows; r++) {
        const o = r * cols, inv = rs.data[r];
        let s = 0;
        for (let j = 0; j < cols; j++) {
          s += gd[o + j] * ga[j] * xd[o + j];
          gg.data[j] += gd[o + j] * xd[o + j] * inv;
        }
        const c = (s / cols) * inv * inv;
        for (let j = 0; j < cols; j++) gx.data[o + j] = inv * (gd[o + j] * ga[j] - xd[o + j] * c);
      }
    }
    return [gx, gg];
  });
}

// ------------------------------------------------------------------------------------------ attention

function attentionFwdTs(
  q: TensorData,
  k: TensorData,
  v: TensorData,
  o: TensorData,
  p: TensorData,
  heads: number,
  tq: number,
  tk: number,
  stride: number,
  d: number,
  scale: number,
): void {
  const off = tk - tq;
  for (let h = 0; h < heads; h++) {
    const qb = h * tq * d, kb = h * stride * d, pb = h * tq * tk;
    for (let i = 0; i < tq; i++) {
      const last = off + i;
      let mx = -Infinity;
      for (let j = 0; j <= last; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += q[qb + i * d + c] * k[kb + j * d + c];
        p[pb + i * tk + j] = s * scale;
        mx = Math.max(mx, s * scale);
      }
      let z = 0;
      for (let j = 0; j <= last; j++) z += Math.exp(p[pb + i * tk + j] - mx);
      for (let j = 0; j < tk; j++) p[pb + i * tk + j] = j <= last ? Math.exp(p[pb + i * tk + j] - mx) / z : 0;
      for (let c = 0; c < d; c++) {
        let s = 0;
        for (let j = 0; j <= last; j++) s += p[pb + i * tk + j] * v[kb + j * d + c];
        o[qb + i * d + c] = s;
      }
    }
  }
}

function checkAttention(op: string, q: Tensor, k: Tensor, v: Tensor): void {
  requireTensor(op, "q", q);
  requireTensor(op, "k", k);
  requireTensor(op, "v", v);
  sameDtype(op, q, k, v);
  if (q.ndim !== 4 || k.ndim !== 4 || v.ndim !== 4) {
    throw new ShapeMismatchError(
      `${op}: q, k, v must be 4-D [B, H, T, D], got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${
        fmtShape(v.shape)
      }`,
    );
  }
}

/**
 * Causal scaled dot-product attention over q, k, v [B, H, T, D]: query i attends keys 0..i with
 * weights softmax(q k^T / sqrt(D)).
 *
 * @example
 * ```ts
 * import { causalAttention, tensor } from "./mod.ts";
 * const x = tensor([1, 0, 0, 1], [1, 1, 2, 2]);
 * causalAttention(x, x, x).data[0]; // 1: the first query sees only the first key
 * ```
 */
export function causalAttention(q: Tensor, k: Tensor, v: Tensor): Tensor {
  checkAttention("causalAttention", q, k, v);
  if (!q.shape.every((dd, i) => dd === k.shape[i] && dd === v.shape[i])) {
    throw new ShapeMismatchError(
      `causalAttention: q, k, v must have equal shapes, got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${
        fmtShape(v.shape)
      }`,
    );
  }
  const [b, h, t, d] = q.shape;
  const bh = b * h, scale = 1 / Math.sqrt(d);
  const out = empty(q.shape, q.dtype), p = empty([bh, t, t], q.dtype);
  if (useWasm(q, k, v, out) && out.ptr >= 0 && p.ptr >= 0) {
    const tm = new Temps();
    try {
      kcall(
        "nn",
        "attention_fwd",
        [tm.ptr(q), tm.ptr(k), tm.ptr(v), out.ptr, p.ptr, t, t, t, d, scale],
        0,
        bh,
        bh * t * t * d,
      );
    } finally {
      tm.release();
    }
  } else attentionFwdTs(q.data, k.data, v.data, out.data, p.data, bh, t, t, t, d, scale);
  return result("causalAttention", out, [q, k, v], (g) => {
    const dq = empty(q.shape, q.dtype), dk = empty(k.shape, k.dtype), dv = empty(v.shape, v.dtype);
    if (useWasm(q, g, dq) && dq.ptr >= 0) {
      const tm = new Temps();
      try {
        const sc = tm.f32(bh * t);
        kcall(
          "nn",
          "attention_bwd",
          [tm.ptr(q), tm.ptr(k), tm.ptr(v), p.ptr, tm.ptr(g), dq.ptr, dk.ptr, dv.ptr, sc, t, d, scale],
          0,
          bh,
          bh * t * t * d * 3,
        );
      } finally {
        tm.release();
      }
    } else {
      const qd = q.data, kd = k.data, vd = v.data, pd = p.data, gd = g.data;
      const dp = new Float64Array(t);
      for (let hh = 0; hh < bh; hh++) {
        const base = hh * t * d, pb = hh * t * t;
        for (let i = 0; i < t; i++) {
          let s = 0;
          for (let j = 0; j <= i; j++) {
            let x = 0;
            for (let c = 0; c < d; c++) x += gd[base + i * d + c] * vd[base + j * d + c];
            dp[j] = x;
            s += x * pd[pb + i * t + j];
          }
          for (let j = 0; j <= i; j++) {
            const pij = pd[pb + i * t + j], ds = pij * (dp[j] - s) * scale;
            for (let c = 0; c < d; c++) {
              dq.data[base + i * d + c] += ds * kd[base + j * d + c];
              dk.data[base + j * d + c] += ds * qd[base + i * d + c];
              dv.data[base + j * d + c] += pij * gd[base + i * d + c];
            }
          }
        }
      }
    }
    return [dq, dk, dv];
  });
}

/**
 * Attention of new queries q [B, H, Tq, D] against a key/value cache [B, H, capacity, D] whose first
 * `length` positions are filled (the queries are the last Tq of them). Inference only: no gradient.
 *
 * @example
 * ```ts
 * import { cachedAttention, tensor } from "./mod.ts";
 * const kv = tensor([1, 0, 0, 1, 0, 0], [1, 1, 3, 2]); // capacity 3, 2 filled
 * cachedAttention(tensor([0, 1], [1, 1, 1, 2]), kv, kv, 2).shape; // [1, 1, 1, 2]
 * ```
 */
export function cachedAttention(q: Tensor, kCache: Tensor, vCache: Tensor, length: number): Tensor {
  checkAttention("cachedAttention", q, kCache, vCache);
  const [b, h, tq, d] = q.shape;
  const cap = kCache.shape[2];
  if (
    kCache.shape[0] !== b || kCache.shape[1] !== h || kCache.shape[3] !== d ||
    !kCache.shape.every((x, i) => x === vCache.shape[i])
  ) {
    throw new ShapeMismatchError(
      `cachedAttention: caches must be [${b}, ${h}, capacity, ${d}] for q ${fmtShape(q.shape)}, got ` +
        `${fmtShape(kCache.shape)} and ${fmtShape(vCache.shape)}`,
    );
  }
  if (!Number.isInteger(length) || length < tq || length > cap) {
    throw new InvalidArgumentError(
      `cachedAttention: length ${describe(length)} must be in [${tq}, ${cap}] (Tq to capacity)`,
    );
  }
  if (isGradEnabled() && (q.requiresGrad || kCache.requiresGrad || vCache.requiresGrad)) {
    throw new InvalidArgumentError(
      "cachedAttention is inference-only: run it under noGrad(), or use causalAttention",
    );
  }
  const bh = b * h, scale = 1 / Math.sqrt(d);
  const out = empty(q.shape, q.dtype);
  if (useWasm(q, kCache, vCache, out) && out.ptr >= 0) {
    const tm = new Temps();
    try {
      const p = tm.f32(bh * tq * length);
      kcall(
        "nn",
        "attention_fwd",
        [tm.ptr(q), tm.ptr(kCache), tm.ptr(vCache), out.ptr, p, tq, length, cap, d, scale],
        0,
        bh,
        bh * tq * length * d,
      );
    } finally {
      tm.release();
    }
  } else {
    const p = new Float64Array(bh * tq * length);
    attentionFwdTs(q.data, kCache.data, vCache.data, out.data, p, bh, tq, length, cap, d, scale);
  }
  logOp("cachedAttention", "forward", [q, kCache, vCache], [out]);
  return out;
}

// ------------------------------------------------------------------------------------------ losses

function checkFiniteLoss(op: string, value: number, shapes: string): void {
  if (!Number.isFinite(value)) {
    throw new NonFiniteError(
      `${op}: loss is ${value} for inputs ${shapes}; check the inputs for NaN/Inf and lower the learning rate`,
    );
  }
}

/** Options of crossEntropy. */
export interface CrossEntropyOptions {
  /** Targets equal to this are skipped (e.g. padding); the mean is over the rest. */
  ignoreIndex?: number;
}

/**
 * Mean cross-entropy of logits [N, C] against integer targets [N] (log-softmax fused in).
 *
 * @example
 * ```ts
 * import { crossEntropy, tensor } from "./mod.ts";
 * crossEntropy(tensor([0, 0], [1, 2]), [1]).item(); // ln 2
 * ```
 */
export function crossEntropy(logits: Tensor, targets: Indices, options: CrossEntropyOptions = {}): Tensor {
  requireTensor("crossEntropy", "logits", logits);
  if (logits.ndim !== 2) {
    throw new ShapeMismatchError(`crossEntropy: logits must be 2-D [N, C], got ${fmtShape(logits.shape)}`);
  }
  const [n, c] = logits.shape;
  const ign = options.ignoreIndex;
  const raw = targets instanceof Int32Array ? targets : Int32Array.from(targets as number[]);
  if (raw.length !== n) {
    throw new ShapeMismatchError(
      `crossEntropy: ${raw.length} targets for logits ${fmtShape(logits.shape)} (need ${n})`,
    );
  }
  for (let i = 0; i < n; i++) {
    if (raw[i] === ign) continue;
    if (!Number.isInteger(targets[i]) || raw[i] < 0 || raw[i] >= c) {
      throw new InvalidArgumentError(
        `crossEntropy: target ${describe(targets[i])} at position ${i} is out of range [0, ${c}) for logits ${
          fmtShape(logits.shape)
        }`,
      );
    }
  }
  const lp = empty(logits.shape, logits.dtype);
  if (!rowKernel("crossEntropy", "log_softmax_rows", [logits], lp, [c], n, c)) {
    softmaxTs(logits.data, lp.data, n, c, true);
  }
  let s = 0, count = 0;
  for (let i = 0; i < n; i++) {
    if (raw[i] === ign) continue;
    s -= lp.data[i * c + raw[i]];
    count++;
  }
  const value = count ? s / count : 0;
  checkFiniteLoss("crossEntropy", value, `logits ${fmtShape(logits.shape)}, targets [${n}]`);
  const out = full([], value, logits.dtype);
  return result("crossEntropy", out, [logits], (g) => {
    const gl = empty(logits.shape, logits.dtype);
    const f = count ? g.data[0] / count : 0, ld = lp.data, gd = gl.data;
    for (let i = 0; i < n; i++) {
      if (raw[i] === ign) continue;
      for (let j = 0; j < c; j++) gd[i * c + j] = Math.exp(ld[i * c + j]) * f;
      gd[i * c + raw[i]] -= f;
    }
    return [gl];
  });
}

function pairLoss(
  op: string,
  a: Tensor,
  b: Tensor,
  f: (d: number) => number,
  df: (d: number) => number,
): Tensor {
  requireTensor(op, "prediction", a);
  requireTensor(op, "target", b);
  sameDtype(op, a, b);
  if (a.size !== b.size || !a.shape.every((d, i) => d === b.shape[i])) {
    throw new ShapeMismatchError(
      `${op}: prediction ${fmtShape(a.shape)} and target ${fmtShape(b.shape)} differ`,
    );
  }
  let s = 0;
  for (let i = 0; i < a.size; i++) s += f(a.data[i] - b.data[i]);
  const n = Math.max(1, a.size);
  checkFiniteLoss(op, s / n, `${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const out = full([], s / n, a.dtype);
  return result(op, out, [a, b], (g) => {
    const ga = empty(a.shape, a.dtype), gb = empty(b.shape, b.dtype), k = g.data[0] / n;
    for (let i = 0; i < a.size; i++) {
      const d = df(a.data[i] - b.data[i]) * k;
      ga.data[i] = d;
      gb.data[i] = -d;
    }
    return [ga, gb];
  });
}

/**
 * Mean squared error.
 *
 * @example
 * ```ts
 * import { mseLoss, tensor } from "./mod.ts";
 * mseLoss(tensor([1, 2]), tensor([1, 4])).item(); // 2
 * ```
 */
export function mseLoss(prediction: Tensor, target: Tensor): Tensor {
  return pairLoss("mseLoss", prediction, target, (d) => d * d, (d) => 2 * d);
}

/**
 * Mean absolute error (gradient sign(d), 0 at 0).
 *
 * @example
 * ```ts
 * import { l1Loss, tensor } from "./mod.ts";
 * l1Loss(tensor([1, 2]), tensor([1, 4])).item(); // 1
 * ```
 */
export function l1Loss(prediction: Tensor, target: Tensor): Tensor {
  return pairLoss("l1Loss", prediction, target, Math.abs, Math.sign);
}

// ------------------------------------------------------------------------------------------ routing

/** Result of top-k routing. */
export interface TopKRouting {
  /** [N, k]: softmax over each token's k largest router logits (differentiable). */
  weights: Tensor;
  /** [N * k] expert index of each weight, row-major. */
  indices: Int32Array;
  /** Tokens routed to each expert. */
  counts: Int32Array;
}

/**
 * Mixture-of-experts routing: picks each row's k largest logits of [N, E] (ties go to the lower
 * index) and normalizes them with a softmax.
 *
 * @example
 * ```ts
 * import { tensor, topKRouting } from "./mod.ts";
 * const r = topKRouting(tensor([0, 1, 2], [1, 3]), 2);
 * Array.from(r.indices); // [2, 1]
 * ```
 */
export function topKRouting(logits: Tensor, k: number): TopKRouting {
  requireTensor("topKRouting", "logits", logits);
  if (logits.ndim !== 2) {
    throw new ShapeMismatchError(`topKRouting: logits must be [N, E], got ${fmtShape(logits.shape)}`);
  }
  const [n, e] = logits.shape;
  if (!Number.isInteger(k) || k < 1 || k > e) {
    throw new InvalidArgumentError(
      `topKRouting: k must be an integer in [1, ${e}] for logits ${fmtShape(logits.shape)}, got ${
        describe(k)
      }`,
    );
  }
  const indices = new Int32Array(n * k), counts = new Int32Array(e);
  const w = empty([n, k], logits.dtype);
  const ld = logits.data;
  const order = new Array(e);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < e; j++) order[j] = j;
    order.sort((p: number, q: number) => ld[i * e + q] - ld[i * e + p] || p - q);
    let mx = -Infinity;
    for (let j = 0; j < k; j++) mx = Math.max(mx, ld[i * e + order[j]]);
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.exp(ld[i * e + order[j]] - mx);
    for (let j = 0; j < k; j++) {
      indices[i * k + j] = order[j];
      counts[order[j]]++;
      w.data[i * k + j] = Math.exp(ld[i * e + order[j]] - mx) / z;
    }
  }
  const weights = result("topKRouting", w, [logits], (g) => {
    const gl = empty(logits.shape, logits.dtype);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += g.data[i * k + j] * w.data[i * k + j];
      for (let j = 0; j < k; j++) {
        gl.data[i * e + indices[i * k + j]] += w.data[i * k + j] * (g.data[i * k + j] - s);
      }
    }
    return [gl];
  });
  return { weights, indices, counts };
}

// ------------------------------------------------------------------------------------------ methods

registerTensorOps({
  add,
  sub,
  mul,
  div,
  matmul,
  sum,
  mean,
  relu,
  gelu,
  silu,
  softmax,
  logSoftmax,
  reshape,
  permute,
  transpose,
});
