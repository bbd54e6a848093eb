/**
 * The tensor of lib/nn: contiguous f32 or f64 data with a shape and strides, eager execution, a tape
 * for reverse-mode autodiff, scopes that free wasm memory, and the operation log.
 *
 * f32 tensors created while the engine's backend is "wasm" live in the shared wasm memory (their
 * `data` is a view there and `ptr` its address), so kernels read them with no copy. f64 tensors are
 * always ordinary arrays and run on the ts reference (that is what gradient checks use).
 *
 * @module
 */
import { describe, InvalidArgumentError, ShapeMismatchError } from "../core/errors.ts";
import { getArena, type WasmBlock } from "../runtime/wasm.ts";

/** Element type of a tensor. */
export type DType = "f32" | "f64";
/** The data array of a tensor. */
export type TensorData = Float32Array | Float64Array;

/** Engine settings: which backend eager ops use, threads for wasm kernels, SIMD or scalar matmul. */
export interface EngineConfig {
  backend: "ts" | "wasm";
  threads: number;
  variant: "simd" | "scalar";
}

/** The current engine configuration (set with `setBackend` in backend.ts). */
export const engine: EngineConfig = { backend: "ts", threads: 1, variant: "simd" };

// ------------------------------------------------------------------------------------------ storage

const registry = new FinalizationRegistry<WasmBlock>((block) => {
  try {
    getArena().free(block);
  } catch {
    // already freed
  }
});

/** Where a tensor's elements live. */
export class Storage {
  #data: TensorData | null;
  readonly ptr: number;
  #block: WasmBlock | null;

  constructor(data: TensorData, block: WasmBlock | null) {
    this.#data = data;
    this.#block = block;
    this.ptr = block ? block.ptr : -1;
    if (block) registry.register(this, block, this);
  }

  /** The elements (throws once freed). */
  get data(): TensorData {
    if (!this.#data) {
      throw new InvalidArgumentError("tensor used after its scope ended (its memory was freed)");
    }
    return this.#data;
  }

  /** Whether the memory is still held. */
  get alive(): boolean {
    return this.#data !== null;
  }

  /** Returns wasm memory now (heap arrays are left to the garbage collector). */
  free(): void {
    if (!this.#data) return;
    this.#data = null;
    if (this.#block) {
      registry.unregister(this);
      getArena().free(this.#block);
      this.#block = null;
    }
  }
}

const scopes: Array<Set<Storage>> = [];

/** Allocates storage for `n` elements; f32 goes to wasm memory under the wasm backend. */
export function allocStorage(n: number, dtype: DType, persistent = false): Storage {
  if (dtype === "f64") return new Storage(new Float64Array(n), null);
  if (engine.backend !== "wasm") return new Storage(new Float32Array(n), null);
  const arena = getArena();
  const block = arena.alloc(n * 4);
  const data = arena.f32(block.ptr, n);
  data.fill(0);
  const s = new Storage(data, block);
  if (!persistent && scopes.length) scopes[scopes.length - 1].add(s);
  return s;
}

/**
 * Runs `fn`; wasm memory of tensors created inside is freed at the end, except for the tensors in the
 * returned value (a tensor, or an array or object of tensors), which move to the enclosing scope.
 *
 * @example
 * ```ts
 * import { tidy, tensor } from "./mod.ts";
 * const y = tidy(() => tensor([1, 2, 3]).mul(tensor([2, 2, 2])).sum());
 * y.item(); // 12
 * ```
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Storage>();
  scopes.push(scope);
  let out: T;
  try {
    out = fn();
  } finally {
    scopes.pop();
  }
  const keep = new Set<Storage>();
  collectKept(out, keep, 0);
  const parent = scopes.length ? scopes[scopes.length - 1] : null;
  for (const s of scope) {
    if (keep.has(s)) parent?.add(s);
    else s.free();
  }
  return out;
}

function collectKept(v: unknown, keep: Set<Storage>, depth: number): void {
  if (depth > 4 || v === null || typeof v !== "object") return;
  if (v instanceof Tensor) {
    keep.add(v.storage);
    if (v.grad) keep.add(v.grad.storage);
    return;
  }
  if (Array.isArray(v)) { for (const x of v) collectKept(x, keep, depth + 1); }
  else for (const x of Object.values(v as Record<string, unknown>)) collectKept(x, keep, depth + 1);
}

// ------------------------------------------------------------------------------------------ grad mode

let gradEnabled = true;

/**
 * Runs `fn` without recording the tape (inference, optimizer updates).
 *
 * @example
 * ```ts
 * import { noGrad, tensor } from "./mod.ts";
 * const w = tensor([1, 2], [2], { requiresGrad: true });
 * noGrad(() => w.mul(w)).requiresGrad; // false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Whether ops currently record the tape. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

// ------------------------------------------------------------------------------------------ op log

/** One tensor in an op-log entry. */
export interface LoggedTensor {
  id: number;
  shape: number[];
  dtype: DType;
  bytes: number;
}

/** One executed op: its type, phase, inputs and outputs (ids, shapes, bytes). */
export interface OpLogEntry {
  seq: number;
  op: string;
  phase: "forward" | "backward" | "optimizer";
  inputs: LoggedTensor[];
  outputs: LoggedTensor[];
  /** Bytes of all inputs and outputs. */
  bytes: number;
  backend: "ts" | "wasm";
}

let opLog: OpLogEntry[] | null = null;

/**
 * Starts recording every executed op (forward, backward and optimizer) into a fresh log.
 *
 * @example
 * ```ts
 * import { startOpLog, stopOpLog, tensor } from "./mod.ts";
 * startOpLog();
 * tensor([1, 2]).add(tensor([3, 4]));
 * stopOpLog()[0].op; // "add"
 * ```
 */
export function startOpLog(): void {
  opLog = [];
}

/**
 * Stops recording and returns the log.
 *
 * @example
 * ```ts
 * import { startOpLog, stopOpLog } from "./mod.ts";
 * startOpLog();
 * const log = stopOpLog(); // []
 * ```
 */
export function stopOpLog(): OpLogEntry[] {
  const l = opLog ?? [];
  opLog = null;
  return l;
}

function logged(t: Tensor): LoggedTensor {
  return { id: t.id, shape: [...t.shape], dtype: t.dtype, bytes: t.size * (t.dtype === "f32" ? 4 : 8) };
}

/** Appends an entry to the op log when recording (called by every op). */
export function logOp(
  op: string,
  phase: OpLogEntry["phase"],
  inputs: Tensor[],
  outputs: Tensor[],
): void {
  if (!opLog) return;
  const ins = inputs.map(logged), outs = outputs.map(logged);
  let bytes = 0;
  for (const t of ins) bytes += t.bytes;
  for (const t of outs) bytes += t.bytes;
  const backend = [...inputs, ...outputs].every((t) => t.dtype === "f32") ? engine.backend : "ts";
  opLog.push({ seq: opLog.length, op, phase, inputs: ins, outputs: outs, bytes, backend });
}

// ------------------------------------------------------------------------------------------ tensor

/** A tape node: how to send an output gradient back to the inputs. */
export interface TapeNode {
  op: string;
  inputs: Tensor[];
  /** Returns the gradient for each input (null where none flows). */
  backward: (grad: Tensor) => Array<Tensor | null>;
}

let nextId = 1;

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Formats a shape for error messages: [2, 3]. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * An n-dimensional array of f32 or f64 with an optional gradient.
 *
 * @example
 * ```ts
 * import { tensor } from "./mod.ts";
 * const w = tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
 * const loss = w.mul(w).sum();
 * loss.backward();
 * w.grad!.toArray(); // [2, 4, 6, 8]
 * ```
 */
export class Tensor {
  readonly id: number;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly dtype: DType;
  readonly storage: Storage;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  /** The op that produced this tensor, when recorded on the tape. */
  node: TapeNode | null = null;
  /** Set for tensors made outside any scope (parameters): their gradients persist too. */
  readonly persistent: boolean;

  constructor(storage: Storage, shape: readonly number[], dtype: DType, requiresGrad = false) {
    this.id = nextId++;
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.strides = Object.freeze(stridesOf(shape));
    this.dtype = dtype;
    this.requiresGrad = requiresGrad;
    this.persistent = scopes.length === 0;
    if (storage.data.length !== sizeOf(shape)) {
      throw new ShapeMismatchError(
        `tensor data has ${storage.data.length} elements, shape ${fmtShape(shape)} needs ${sizeOf(shape)}`,
      );
    }
  }

  /** The elements, row-major. */
  get data(): TensorData {
    return this.storage.data;
  }
  /** Number of elements. */
  get size(): number {
    return this.storage.data.length;
  }
  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }
  /** Address in wasm memory, or -1 for an ordinary array. */
  get ptr(): number {
    return this.storage.ptr;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeMismatchError(`item() needs a one-element tensor, got shape ${fmtShape(this.shape)}`);
    }
    return this.data[0];
  }

  /** The elements as a plain array. */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /** Frees this tensor's wasm memory now (parameters, caches); using it afterwards throws. */
  dispose(): void {
    this.storage.free();
    this.grad?.storage.free();
  }

  /**
   * Reverse-mode autodiff: accumulates d(this)/d(leaf) into `.grad` of every tensor on the tape that
   * requires a gradient. `this` must be a scalar unless `grad` is given.
   */
  backward(grad?: Tensor): void {
    if (!grad && this.size !== 1) {
      throw new ShapeMismatchError(
        `backward() without a gradient needs a scalar, got shape ${fmtShape(this.shape)}`,
      );
    }
    if (grad && grad.size !== this.size) {
      throw new ShapeMismatchError(
        `backward: gradient shape ${fmtShape(grad.shape)} does not match ${fmtShape(this.shape)}`,
      );
    }
    if (!this.requiresGrad) {
      throw new InvalidArgumentError("backward() on a tensor that does not require a gradient");
    }
    // the tape: every recorded node reachable from this tensor, in reverse creation order
    const order: Tensor[] = [];
    const seen = new Set<number>();
    const stack: Tensor[] = [this];
    while (stack.length) {
      const t = stack.pop()!;
      if (seen.has(t.id)) continue;
      seen.add(t.id);
      order.push(t);
      if (t.node) { for (const i of t.node.inputs) if (i.requiresGrad && !seen.has(i.id)) stack.push(i); }
    }
    order.sort((a, b) => b.id - a.id);
    const grads = new Map<number, Tensor>();
    grads.set(this.id, grad ?? full(this.shape, 1, this.dtype));
    noGrad(() => {
      for (const t of order) {
        const g = grads.get(t.id);
        if (!g) continue;
        if (!t.node) {
          accumulateLeaf(t, g);
          continue;
        }
        const gin = t.node.backward(g);
        logOp(t.node.op, "backward", [g, ...t.node.inputs], gin.filter((x): x is Tensor => x !== null));
        t.node.inputs.forEach((inp, k) => {
          const gi = gin[k];
          if (!gi || !inp.requiresGrad) return;
          const have = grads.get(inp.id);
          if (!have) grads.set(inp.id, gi);
          else {
            // a fresh sum: gradient tensors may be shared between inputs (add returns [g, g])
            const sum = new Tensor(allocStorage(have.size, have.dtype), have.shape, have.dtype);
            sum.data.set(have.data);
            addInto(sum, gi);
            grads.set(inp.id, sum);
          }
        });
      }
    });
  }
  /** Elementwise sum with broadcasting (ops.add). */
  add(b: Tensor | number): Tensor {
    return tensorOps().add(this, b);
  }
  /** Elementwise difference with broadcasting (ops.sub). */
  sub(b: Tensor | number): Tensor {
    return tensorOps().sub(this, b);
  }
  /** Elementwise product with broadcasting (ops.mul). */
  mul(b: Tensor | number): Tensor {
    return tensorOps().mul(this, b);
  }
  /** Elementwise quotient with broadcasting (ops.div). */
  div(b: Tensor | number): Tensor {
    return tensorOps().div(this, b);
  }
  /** Batched matrix product (ops.matmul). */
  matmul(b: Tensor): Tensor {
    return tensorOps().matmul(this, b);
  }
  /** Sum over an axis or everything (ops.sum). */
  sum(axis?: number, keepDims?: boolean): Tensor {
    return tensorOps().sum(this, axis, keepDims);
  }
  /** Mean over an axis or everything (ops.mean). */
  mean(axis?: number, keepDims?: boolean): Tensor {
    return tensorOps().mean(this, axis, keepDims);
  }
  /** ReLU (ops.relu). */
  relu(): Tensor {
    return tensorOps().relu(this);
  }
  /** GELU (ops.gelu). */
  gelu(): Tensor {
    return tensorOps().gelu(this);
  }
  /** SiLU (ops.silu). */
  silu(): Tensor {
    return tensorOps().silu(this);
  }
  /** Softmax over the last axis (ops.softmax). */
  softmax(): Tensor {
    return tensorOps().softmax(this);
  }
  /** Log-softmax over the last axis (ops.logSoftmax). */
  logSoftmax(): Tensor {
    return tensorOps().logSoftmax(this);
  }
  /** Same data, another shape (ops.reshape). */
  reshape(shape: readonly number[]): Tensor {
    return tensorOps().reshape(this, shape);
  }
  /** Axes reordered (ops.permute). */
  permute(dims: readonly number[]): Tensor {
    return tensorOps().permute(this, dims);
  }
  /** The last two axes swapped (ops.transpose). */
  transpose(): Tensor {
    return tensorOps().transpose(this);
  }
}

function addInto(dst: Tensor, src: Tensor): void {
  const d = dst.data, s = src.data;
  for (let i = 0; i < d.length; i++) d[i] += s[i];
}

function accumulateLeaf(t: Tensor, g: Tensor): void {
  if (!t.grad) {
    const s = allocStorage(t.size, t.dtype, t.persistent);
    t.grad = new Tensor(s, t.shape, t.dtype);
  }
  addInto(t.grad, g);
}

// ------------------------------------------------------------------------------------------ creation

function dtypeOf(dtype: unknown): DType {
  if (dtype === undefined) return "f32";
  if (dtype === "f32" || dtype === "f64") return dtype;
  throw new InvalidArgumentError(`dtype must be "f32" or "f64", got ${describe(dtype)}`);
}

/** Checks a shape: non-negative integers. */
export function checkShape(op: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InvalidArgumentError(
      `${op}: shape must be an array of non-negative integers, got ${String(shape)}`,
    );
  }
}

/** A new tensor of `shape` with uninitialized (zero) elements. */
export function empty(shape: readonly number[], dtype: DType = "f32"): Tensor {
  checkShape("empty", shape);
  return new Tensor(allocStorage(sizeOf(shape), dtype), shape, dtype);
}

/**
 * A tensor filled with `value`.
 *
 * @example
 * ```ts
 * import { full } from "./mod.ts";
 * full([2, 2], 3).toArray(); // [3, 3, 3, 3]
 * ```
 */
export function full(shape: readonly number[], value: number, dtype: DType = "f32"): Tensor {
  const t = empty(shape, dtypeOf(dtype));
  t.data.fill(value);
  return t;
}

/** Options of tensor creation. */
export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

/**
 * A tensor from numbers (copied). Shape defaults to 1-D. Typed arrays of another type than the dtype,
 * or non-finite-number entries that are not numbers, are rejected.
 *
 * @example
 * ```ts
 * import { tensor } from "./mod.ts";
 * const x = tensor([1, 2, 3, 4, 5, 6], [2, 3], { dtype: "f64" });
 * x.shape; // [2, 3]
 * ```
 */
export function tensor(
  values: ArrayLike<number>,
  shape?: readonly number[],
  options: TensorOptions = {},
): Tensor {
  const dtype = dtypeOf(options.dtype);
  if (!values || typeof (values as ArrayLike<number>).length !== "number") {
    throw new InvalidArgumentError(`tensor: values must be an array of numbers, got ${describe(values)}`);
  }
  if (values instanceof Float64Array && dtype === "f32") {
    throw new InvalidArgumentError(
      `tensor: got a Float64Array for dtype "f32"; pass { dtype: "f64" } or convert with Float32Array.from`,
    );
  }
  if (
    !(values instanceof Float32Array || values instanceof Float64Array) && ArrayBuffer.isView(values)
  ) {
    throw new InvalidArgumentError(
      `tensor: wrong dtype ${values.constructor.name}; allowed: number[], Float32Array, Float64Array`,
    );
  }
  const sh = shape ?? [values.length];
  checkShape("tensor", sh);
  if (sizeOf(sh) !== values.length) {
    throw new ShapeMismatchError(`tensor: ${values.length} values cannot have shape ${fmtShape(sh)}`);
  }
  const t = empty(sh, dtype);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number") {
      throw new InvalidArgumentError(`tensor: element ${i} is ${describe(v)}, not a number`);
    }
    t.data[i] = v;
  }
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

/** Makes a result tensor of an op and, when any input needs a gradient, its tape node. */
export function result(
  op: string,
  out: Tensor,
  inputs: Tensor[],
  backward: TapeNode["backward"],
): Tensor {
  logOp(op, "forward", inputs, [out]);
  if (gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, backward };
  }
  return out;
}

/** The functional ops behind Tensor's chaining methods (`x.add(y)`); ops.ts registers them when it loads. */
export interface TensorMethodOps {
  add(t: Tensor, b: Tensor | number): Tensor;
  sub(t: Tensor, b: Tensor | number): Tensor;
  mul(t: Tensor, b: Tensor | number): Tensor;
  div(t: Tensor, b: Tensor | number): Tensor;
  matmul(t: Tensor, b: Tensor): Tensor;
  sum(t: Tensor, axis?: number, keepDims?: boolean): Tensor;
  mean(t: Tensor, axis?: number, keepDims?: boolean): Tensor;
  relu(t: Tensor): Tensor;
  gelu(t: Tensor): Tensor;
  silu(t: Tensor): Tensor;
  softmax(t: Tensor): Tensor;
  logSoftmax(t: Tensor): Tensor;
  reshape(t: Tensor, shape: readonly number[]): Tensor;
  permute(t: Tensor, dims: readonly number[]): Tensor;
  transpose(t: Tensor): Tensor;
}

let methodOps: TensorMethodOps | null = null;

/** Called once by ops.ts: keeps tensor.ts free of an import cycle with the ops. */
export function registerTensorOps(ops: TensorMethodOps): void {
  methodOps = ops;
}

function tensorOps(): TensorMethodOps {
  if (!methodOps) throw new Error("Tensor methods need lib/nn/ops.ts: import lib/nn/mod.ts");
  return methodOps;
}
