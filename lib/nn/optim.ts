/**
 * Optimizers (SGD with momentum, AdamW) and gradient clipping. Updates run in place under noGrad;
 * AdamW on f32 parameters in wasm memory uses the SIMD kernel kernels-as/nn.ts adamw_step.
 *
 * @module
 */
import { InvalidArgumentError, requireFinite } from "../core/errors.ts";
import { allocStorage, logOp, noGrad, Tensor } from "./tensor.ts";
import { kcall, useWasm } from "./wasm_kernels.ts";

function stateLike(p: Tensor): Tensor {
  return new Tensor(allocStorage(p.size, p.dtype, true), p.shape, p.dtype);
}

function checkParams(params: Tensor[]): Tensor[] {
  if (!Array.isArray(params) || params.some((p) => !(p instanceof Tensor))) {
    throw new InvalidArgumentError("optimizer: params must be an array of Tensors");
  }
  return params;
}

/**
 * Sets every parameter's gradient to zero (keeps the buffers).
 *
 * @example
 * ```ts
 * import { tensor, zeroGrad } from "./mod.ts";
 * const w = tensor([1], [1], { requiresGrad: true });
 * w.mul(w).sum().backward();
 * zeroGrad([w]); // w.grad is [0]
 * ```
 */
export function zeroGrad(params: Tensor[]): void {
  for (const p of params) p.grad?.data.fill(0);
}

/**
 * Scales gradients so their global L2 norm is at most maxNorm; returns the norm before clipping.
 * A non-finite norm throws (it would poison every parameter).
 *
 * @example
 * ```ts
 * import { clipGradNorm, tensor } from "./mod.ts";
 * const w = tensor([3, 4], [2], { requiresGrad: true });
 * w.mul(w).sum().mul(0.5).backward(); // grad = [3, 4], norm 5
 * clipGradNorm([w], 1); // 5; grad is now [0.6, 0.8]
 * ```
 */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  requireFinite("maxNorm", maxNorm, 0);
  let s = 0;
  for (const p of checkParams(params)) if (p.grad) { for (const g of p.grad.data) s += g * g; }
  const norm = Math.sqrt(s);
  if (!Number.isFinite(norm)) {
    throw new InvalidArgumentError(
      `clipGradNorm: gradient norm is ${norm}; a NaN/Inf gradient reached the parameters`,
    );
  }
  if (norm > maxNorm && norm > 0) {
    const f = maxNorm / norm;
    for (const p of params) if (p.grad) { for (let i = 0; i < p.grad.size; i++) p.grad.data[i] *= f; }
  }
  return norm;
}

/** Options of SGD. */
export interface SGDOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
}

/**
 * Stochastic gradient descent with optional momentum and (coupled) weight decay.
 *
 * @example
 * ```ts
 * import { SGD, tensor } from "./mod.ts";
 * const w = tensor([1], [1], { requiresGrad: true });
 * const opt = new SGD([w], { lr: 0.1 });
 * w.mul(w).sum().backward(); // grad 2
 * opt.step(); // w = 0.8
 * ```
 */
export class SGD {
  readonly params: Tensor[];
  lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  #velocity: Map<Tensor, Tensor> = new Map();

  constructor(params: Tensor[], options: SGDOptions) {
    this.params = checkParams(params);
    this.lr = requireFinite("lr", options.lr, 0);
    this.momentum = requireFinite("momentum", options.momentum ?? 0, 0, 1);
    this.weightDecay = requireFinite("weightDecay", options.weightDecay ?? 0, 0);
  }

  /** One update from the current gradients. */
  step(): void {
    noGrad(() => {
      for (const p of this.params) {
        if (!p.grad) continue;
        const g = p.grad.data, d = p.data;
        let v: Tensor | undefined;
        if (this.momentum > 0) {
          v = this.#velocity.get(p) ?? stateLike(p);
          this.#velocity.set(p, v);
        }
        for (let i = 0; i < d.length; i++) {
          let gi = g[i] + this.weightDecay * d[i];
          if (v) gi = v.data[i] = this.momentum * v.data[i] + gi;
          d[i] -= this.lr * gi;
        }
        logOp("sgd", "optimizer", [p, p.grad], [p]);
      }
    });
  }

  /** Zeroes the gradients of its parameters. */
  zeroGrad(): void {
    zeroGrad(this.params);
  }
}

/** Options of AdamW. */
export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter): p -= lr (m̂ / (sqrt(v̂) + eps) + wd p).
 *
 * @example
 * ```ts
 * import { AdamW, tensor } from "./mod.ts";
 * const w = tensor([1], [1], { requiresGrad: true });
 * const opt = new AdamW([w], { lr: 0.1, weightDecay: 0 });
 * w.mul(w).sum().backward();
 * opt.step(); // w ≈ 0.9 (the first Adam step moves by lr)
 * ```
 */
export class AdamW {
  readonly params: Tensor[];
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  stepCount = 0;
  #m = new Map<Tensor, Tensor>();
  #v = new Map<Tensor, Tensor>();

  constructor(params: Tensor[], options: AdamWOptions) {
    this.params = checkParams(params);
    this.lr = requireFinite("lr", options.lr, 0);
    this.beta1 = requireFinite("beta1", options.beta1 ?? 0.9, 0, 0.999999);
    this.beta2 = requireFinite("beta2", options.beta2 ?? 0.999, 0, 0.999999);
    this.eps = requireFinite("eps", options.eps ?? 1e-8, 0);
    this.weightDecay = requireFinite("weightDecay", options.weightDecay ?? 0.01, 0);
  }

  /** One update from the current gradients. */
  step(): void {
    this.stepCount++;
    const bc1 = 1 - this.beta1 ** this.stepCount, bc2 = 1 - this.beta2 ** this.stepCount;
    noGrad(() => {
      for (const p of this.params) {
        if (!p.grad) continue;
        const m = this.#m.get(p) ?? stateLike(p), v = this.#v.get(p) ?? stateLike(p);
        this.#m.set(p, m);
        this.#v.set(p, v);
        if (useWasm(p) && p.ptr >= 0 && p.grad.ptr >= 0 && m.ptr >= 0 && v.ptr >= 0) {
          kcall(
            "nn",
            "adamw_step",
            [
              p.ptr,
              p.grad.ptr,
              m.ptr,
              v.ptr,
              this.lr,
              this.beta1,
              this.beta2,
              this.eps,
              this.weightDecay,
              bc1,
              bc2,
            ],
            0,
            p.size,
            p.size * 4,
            4,
          );
        } else {
          const d = p.data, g = p.grad.data, md = m.data, vd = v.data;
          for (let i = 0; i < d.length; i++) {
            md[i] = this.beta1 * md[i] + (1 - this.beta1) * g[i];
            vd[i] = this.beta2 * vd[i] + (1 - this.beta2) * g[i] * g[i];
            d[i] -= this.lr * (md[i] / bc1 / (Math.sqrt(vd[i] / bc2) + this.eps) + this.weightDecay * d[i]);
          }
        }
        logOp("adamw", "optimizer", [p, p.grad, m, v], [p]);
      }
    });
  }

  /** Zeroes the gradients of its parameters. */
  zeroGrad(): void {
    zeroGrad(this.params);
  }
}
