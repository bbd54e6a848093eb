/**
 * Finite-difference gradient checks in float64.
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.ts";
import { noGrad, type Tensor } from "./tensor.ts";

/** Result of a gradient check: the worst relative error over every checked element. */
export interface GradCheckResult {
  maxRelError: number;
  maxAbsError: number;
  checked: number;
  /** Where the worst error is: input index and element. */
  worst: { input: number; element: number; analytic: number; numeric: number };
}

/**
 * Compares the tape's gradient of `fn(...inputs)` (a scalar) with central differences
 * (f(x + h) - f(x - h)) / 2h for every element of every input. Inputs must be f64 tensors with
 * requiresGrad. Relative error is |a - n| / max(1, |a|, |n|).
 *
 * @example
 * ```ts
 * import { gradCheck, tensor } from "./mod.ts";
 * const x = tensor([1, 2], [2], { dtype: "f64", requiresGrad: true });
 * gradCheck((a) => a.mul(a).sum(), [x]).maxRelError < 1e-8; // true
 * ```
 */
export function gradCheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: { h?: number; maxElements?: number } = {},
): GradCheckResult {
  for (const x of inputs) {
    if (x.dtype !== "f64") throw new InvalidArgumentError(`gradCheck needs f64 inputs, got ${x.dtype}`);
  }
  const h = options.h ?? 1e-6;
  for (const x of inputs) x.grad = null;
  const y = fn(...inputs);
  y.backward();
  const analytic = inputs.map((x) => (x.grad ? Float64Array.from(x.grad.data) : new Float64Array(x.size)));
  let maxRel = 0, maxAbs = 0, checked = 0;
  let worst = { input: -1, element: -1, analytic: 0, numeric: 0 };
  noGrad(() => {
    inputs.forEach((x, k) => {
      const n = Math.min(x.size, options.maxElements ?? Infinity);
      for (let i = 0; i < n; i++) {
        const keep = x.data[i];
        x.data[i] = keep + h;
        const fp = fn(...inputs).item();
        x.data[i] = keep - h;
        const fm = fn(...inputs).item();
        x.data[i] = keep;
        const num = (fp - fm) / (2 * h), an = analytic[k][i];
        const abs = Math.abs(an - num), rel = abs / Math.max(1, Math.abs(an), Math.abs(num));
        checked++;
        if (abs > maxAbs) maxAbs = abs;
        if (rel > maxRel || worst.input < 0) {
          maxRel = Math.max(rel, maxRel);
          worst = { input: k, element: i, analytic: an, numeric: num };
        }
      }
    });
  });
  return { maxRelError: maxRel, maxAbsError: maxAbs, checked, worst };
}
