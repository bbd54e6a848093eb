/**
 * Descriptive statistics, confidence intervals, a chi-square goodness-of-fit test and least-squares
 * line fits, with the special functions they need (log-gamma, regularized incomplete beta and gamma,
 * Student t distribution). Plain float64 TypeScript, no dependencies.
 *
 * Every function validates its input and throws InvalidArgumentError (empty sample, NaN, bad level...)
 * or ShapeMismatchError (arrays of different lengths) rather than returning NaN.
 *
 * @module
 */
import { describe, InvalidArgumentError, requireFinite, requireInt, ShapeMismatchError } from "./errors.ts";

/** A sample: any array-like of numbers (number[], Float64Array, Float32Array...). */
export type Sample = ArrayLike<number>;

/** Throws unless `xs` holds at least `min` values, all finite. */
function requireSample(name: string, xs: Sample, min = 1): void {
  if (xs === null || typeof xs !== "object" || typeof xs.length !== "number") {
    throw new InvalidArgumentError(`${name} must be an array of numbers, got ${describe(xs)}`);
  }
  if (xs.length < min) {
    throw new InvalidArgumentError(
      `${name} must hold at least ${min} value${min === 1 ? "" : "s"}, got ${xs.length}`,
    );
  }
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new InvalidArgumentError(`${name}[${i}] must be a finite number, got ${describe(v)}`);
    }
  }
}

function sorted(xs: Sample): Float64Array {
  return Float64Array.from(xs).sort();
}

function requireProbability(name: string, p: number): void {
  requireFinite(name, p, 0, 1);
}

/**
 * Arithmetic mean.
 *
 * @example
 * ```ts
 * import { mean } from "./stats.ts";
 * mean([1, 2, 3, 4]); // 2.5
 * ```
 */
export function mean(xs: Sample): number {
  requireSample("xs", xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const m = s / xs.length;
  // One correction pass keeps the mean accurate when values are large and close together.
  let c = 0;
  for (let i = 0; i < xs.length; i++) c += xs[i] - m;
  return m + c / xs.length;
}

/**
 * Sample variance (divides by n - 1; needs at least two values).
 *
 * @example
 * ```ts
 * import { variance } from "./stats.ts";
 * variance([2, 4, 4, 4, 5, 5, 7, 9]); // 4.571428...
 * ```
 */
export function variance(xs: Sample): number {
  requireSample("xs", xs, 2);
  const m = mean(xs);
  let ss = 0, c = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = xs[i] - m;
    ss += d * d;
    c += d;
  }
  return (ss - (c * c) / xs.length) / (xs.length - 1);
}

/**
 * Sample standard deviation, `sqrt(variance(xs))`.
 *
 * @example
 * ```ts
 * import { std } from "./stats.ts";
 * std([2, 4, 4, 4, 5, 5, 7, 9]); // 2.138...
 * ```
 */
export function std(xs: Sample): number {
  return Math.sqrt(variance(xs));
}

/** Type-7 quantile of an already sorted array. */
function sortedQuantile(s: Float64Array, p: number): number {
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (h - lo) * (s[hi] - s[lo]);
}

/**
 * Quantile by linear interpolation between order statistics (Hyndman-Fan type 7, the default of
 * numpy and R): `h = (n - 1) p`, `q = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h])`.
 *
 * @example
 * ```ts
 * import { quantile } from "./stats.ts";
 * quantile([1, 2, 3, 4], 0.25); // 1.75
 * ```
 */
export function quantile(xs: Sample, p: number): number {
  requireSample("xs", xs);
  requireProbability("p", p);
  return sortedQuantile(sorted(xs), p);
}

/**
 * Several type-7 quantiles at once (sorts once).
 *
 * @example
 * ```ts
 * import { quantiles } from "./stats.ts";
 * quantiles([1, 2, 3, 4, 5], [0.1, 0.5, 0.9]); // [1.4, 3, 4.6]
 * ```
 */
export function quantiles(xs: Sample, ps: ArrayLike<number>): number[] {
  requireSample("xs", xs);
  for (let i = 0; i < ps.length; i++) requireProbability(`ps[${i}]`, ps[i]);
  const s = sorted(xs);
  return Array.from(ps, (p) => sortedQuantile(s, p));
}

/**
 * Median (type-7 quantile at 0.5).
 *
 * @example
 * ```ts
 * import { median } from "./stats.ts";
 * median([3, 1, 2, 10]); // 2.5
 * ```
 */
export function median(xs: Sample): number {
  return quantile(xs, 0.5);
}

/** The summary that `summary` returns. */
export interface Summary {
  /** Number of values. */
  n: number;
  /** Arithmetic mean. */
  mean: number;
  /** Sample standard deviation; NaN when n = 1 (undefined for a single value). */
  std: number;
  /** Smallest value. */
  min: number;
  /** 10th percentile (type 7). */
  p10: number;
  /** Median (type 7). */
  median: number;
  /** 90th percentile (type 7). */
  p90: number;
  /** Largest value. */
  max: number;
}

/**
 * n, mean, sample std, min, 10th percentile, median, 90th percentile, max (type-7 quantiles).
 *
 * @example
 * ```ts
 * import { summary } from "./stats.ts";
 * summary([1, 2, 3, 4, 5]); // { n: 5, mean: 3, std: 1.58..., min: 1, p10: 1.4, median: 3, p90: 4.6, max: 5 }
 * ```
 */
export function summary(xs: Sample): Summary {
  requireSample("xs", xs);
  const s = sorted(xs);
  return {
    n: s.length,
    mean: mean(s),
    std: s.length > 1 ? std(s) : NaN,
    min: s[0],
    p10: sortedQuantile(s, 0.1),
    median: sortedQuantile(s, 0.5),
    p90: sortedQuantile(s, 0.9),
    max: s[s.length - 1],
  };
}

// ---------------------------------------------------------------------------------------------
// Special functions

const LANCZOS = [
  0.99999999999980993,
  676.5203681218851,
  -1259.1392167224028,
  771.32342877765313,
  -176.61502916214059,
  12.507343278686905,
  -0.13857109526572012,
  9.9843695780195716e-6,
  1.5056327351493116e-7,
];

/**
 * Natural log of the gamma function for x > 0 (Lanczos, g = 7; relative error ~1e-15).
 *
 * @example
 * ```ts
 * import { logGamma } from "./stats.ts";
 * Math.exp(logGamma(5)); // 24
 * ```
 */
export function logGamma(x: number): number {
  requireFinite("x", x);
  if (x <= 0) throw new InvalidArgumentError(`logGamma needs x > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const EPS = 1e-15;
const TINY = 1e-300;
const MAX_ITER = 10000;

/** Continued fraction for the incomplete beta function (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b, qap = a + 1, qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITER; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return h;
  }
  throw new InvalidArgumentError(`incomplete beta did not converge for x=${x}, a=${a}, b=${b}`);
}

/**
 * Regularized incomplete beta function I_x(a, b) for x in [0, 1], a, b > 0.
 *
 * @example
 * ```ts
 * import { regularizedBeta } from "./stats.ts";
 * regularizedBeta(0.5, 2, 2); // 0.5
 * ```
 */
export function regularizedBeta(x: number, a: number, b: number): number {
  requireFinite("x", x, 0, 1);
  if (!(a > 0) || !(b > 0) || !Number.isFinite(a) || !Number.isFinite(b)) {
    throw new InvalidArgumentError(`regularizedBeta needs finite a > 0 and b > 0, got a=${a}, b=${b}`);
  }
  if (x === 0 || x === 1) return x;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  const front = Math.exp(lnFront);
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use symmetry otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function requireShape(name: string, a: number): void {
  if (!(a > 0) || !Number.isFinite(a)) {
    throw new InvalidArgumentError(`${name} must be finite and > 0, got ${a}`);
  }
}

/**
 * Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a), for a > 0, x >= 0.
 *
 * @example
 * ```ts
 * import { regularizedGammaP } from "./stats.ts";
 * regularizedGammaP(1, 1); // 1 - e^-1 = 0.632...
 * ```
 */
export function regularizedGammaP(a: number, x: number): number {
  requireShape("a", a);
  requireFinite("x", x, 0);
  if (x === 0) return 0;
  return x < a + 1 ? gammaSeries(a, x) : 1 - gammaContinuedFraction(a, x);
}

/**
 * Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x), accurate in the far tail.
 *
 * @example
 * ```ts
 * import { regularizedGammaQ } from "./stats.ts";
 * regularizedGammaQ(0.5, 3.841 / 2); // 0.05 (chi-square, 1 df)
 * ```
 */
export function regularizedGammaQ(a: number, x: number): number {
  requireShape("a", a);
  requireFinite("x", x, 0);
  if (x === 0) return 1;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaContinuedFraction(a, x);
}

function gammaSeries(a: number, x: number): number {
  let ap = a, sum = 1 / a, del = sum;
  for (let n = 0; n < MAX_ITER; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
}

function gammaContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a, c = 1 / TINY, d = 1 / b, h = d;
  for (let i = 1; i <= MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}

function requireDf(df: number): void {
  if (!(df > 0) || !Number.isFinite(df)) {
    throw new InvalidArgumentError(`degrees of freedom must be finite and > 0, got ${describe(df)}`);
  }
}

/**
 * Student t cumulative distribution P(T <= t) with `df` degrees of freedom, via
 * `I_{df/(df+t^2)}(df/2, 1/2)`.
 *
 * @example
 * ```ts
 * import { studentTCdf } from "./stats.ts";
 * studentTCdf(2.262, 9); // 0.975
 * ```
 */
export function studentTCdf(t: number, df: number): number {
  requireDf(df);
  if (Number.isNaN(t)) throw new InvalidArgumentError("t must not be NaN");
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

function studentTPdf(t: number, df: number): number {
  const ln = logGamma((df + 1) / 2) - logGamma(df / 2) - 0.5 * Math.log(df * Math.PI) -
    ((df + 1) / 2) * Math.log1p((t * t) / df);
  return Math.exp(ln);
}

/**
 * Inverse of the Student t CDF: the t with P(T <= t) = p, for p in (0, 1). Newton steps kept inside
 * a bisection bracket, so it always converges.
 *
 * @example
 * ```ts
 * import { studentTQuantile } from "./stats.ts";
 * studentTQuantile(0.975, 9); // 2.2622
 * ```
 */
export function studentTQuantile(p: number, df: number): number {
  requireDf(df);
  requireFinite("p", p, 0, 1);
  if (p === 0 || p === 1) throw new InvalidArgumentError(`p must be in the open interval (0, 1), got ${p}`);
  if (p === 0.5) return 0;
  // Solve in the upper tail for accuracy, then mirror.
  const upper = p > 0.5;
  const q = upper ? 1 - p : p; // target tail probability P(T > t), t > 0
  const tail = (t: number) => 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  let lo = 0, hi = 1;
  while (tail(hi) > q) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) throw new InvalidArgumentError(`t quantile out of range for p=${p}, df=${df}`);
  }
  let t = (lo + hi) / 2;
  for (let i = 0; i < 200; i++) {
    const f = tail(t) - q; // decreasing in t
    if (f === 0) break;
    if (f > 0) lo = t;
    else hi = t;
    let next = t + f / studentTPdf(t, df);
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    const step = Math.abs(next - t);
    t = next;
    if (step <= 1e-16 * t || hi - lo <= 1e-16 * hi) break;
  }
  return upper ? t : -t;
}

/** A confidence interval for the mean. */
export interface MeanCI {
  /** Sample size. */
  n: number;
  /** Sample mean. */
  mean: number;
  /** Sample standard deviation. */
  std: number;
  /** Standard error of the mean, std / sqrt(n). */
  stderr: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
  /** Degrees of freedom, n - 1. */
  df: number;
  /** Half-width t * stderr. */
  halfWidth: number;
  /** mean - halfWidth. */
  lower: number;
  /** mean + halfWidth. */
  upper: number;
}

/**
 * Two-sided Student t confidence interval for the mean (default level 0.95; needs n >= 2).
 *
 * @example
 * ```ts
 * import { meanCI } from "./stats.ts";
 * const ci = meanCI([9.8, 10.1, 10.0, 9.9, 10.2]);
 * console.log(ci.lower, ci.upper);
 * ```
 */
export function meanCI(xs: Sample, options: { level?: number } = {}): MeanCI {
  requireSample("xs", xs, 2);
  const level = options.level ?? 0.95;
  requireFinite("level", level, 0, 1);
  if (level === 0 || level === 1) throw new InvalidArgumentError(`level must be in (0, 1), got ${level}`);
  const n = xs.length, m = mean(xs), s = std(xs), se = s / Math.sqrt(n);
  const t = studentTQuantile(1 - (1 - level) / 2, n - 1);
  const halfWidth = t * se;
  return {
    n,
    mean: m,
    std: s,
    stderr: se,
    level,
    df: n - 1,
    halfWidth,
    lower: m - halfWidth,
    upper: m + halfWidth,
  };
}

/**
 * Upper tail P(X > x) of the chi-square distribution with `df` degrees of freedom.
 *
 * @example
 * ```ts
 * import { chiSquareSurvival } from "./stats.ts";
 * chiSquareSurvival(3.841, 1); // 0.05
 * ```
 */
export function chiSquareSurvival(x: number, df: number): number {
  requireDf(df);
  requireFinite("x", x, 0);
  return regularizedGammaQ(df / 2, x / 2);
}

/** Result of a chi-square goodness-of-fit test. */
export interface ChiSquareResult {
  /** Pearson's statistic, sum of (O - E)^2 / E. */
  statistic: number;
  /** Degrees of freedom, k - 1 - ddof. */
  df: number;
  /** P(chi-square with df degrees of freedom > statistic). */
  pValue: number;
  /** The expected counts used (after scaling probabilities to the observed total). */
  expected: number[];
}

/** Options of `chiSquareGOF`. */
export interface ChiSquareOptions {
  /** Parameters estimated from the data; df = k - 1 - ddof. Default 0. */
  ddof?: number;
  /**
   * How to read the second argument: expected `"counts"` (must sum to the observed total),
   * `"probabilities"` (must sum to 1, scaled by the observed total), or `"auto"` (default): counts when
   * the sums agree, probabilities when it sums to 1.
   */
  expectedAs?: "auto" | "counts" | "probabilities";
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-8 * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * Pearson chi-square goodness-of-fit test of observed counts against expected counts or probabilities.
 *
 * @example
 * ```ts
 * import { chiSquareGOF } from "./stats.ts";
 * const r = chiSquareGOF([18, 22, 20, 40], [0.25, 0.25, 0.25, 0.25]);
 * console.log(r.statistic, r.df, r.pValue); // 12.32, 3, 0.00636
 * ```
 */
export function chiSquareGOF(
  observed: Sample,
  expected: Sample,
  options: ChiSquareOptions = {},
): ChiSquareResult {
  requireSample("observed", observed, 2);
  requireSample("expected", expected, 2);
  if (observed.length !== expected.length) {
    throw new ShapeMismatchError(
      `observed has ${observed.length} categories but expected has ${expected.length}; they must match`,
    );
  }
  const ddof = requireInt("ddof", options.ddof ?? 0, 0);
  const k = observed.length, df = k - 1 - ddof;
  if (df < 1) {
    throw new InvalidArgumentError(`df = k - 1 - ddof = ${k} - 1 - ${ddof} = ${df}; it must be >= 1`);
  }
  let sumO = 0, sumE = 0;
  for (let i = 0; i < k; i++) {
    if (observed[i] < 0) throw new InvalidArgumentError(`observed[${i}] = ${observed[i]} is negative`);
    if (!(expected[i] > 0)) {
      throw new InvalidArgumentError(
        `expected[${i}] = ${expected[i]}: expected counts/probabilities must be > 0`,
      );
    }
    sumO += observed[i];
    sumE += expected[i];
  }
  const as = options.expectedAs ?? "auto";
  let scale: number;
  if (as === "counts" || (as === "auto" && close(sumE, sumO))) {
    if (!close(sumE, sumO)) {
      throw new InvalidArgumentError(`expected counts sum to ${sumE} but observed counts sum to ${sumO}`);
    }
    scale = 1;
  } else if (as === "probabilities" || as === "auto") {
    if (!close(sumE, 1)) {
      throw new InvalidArgumentError(
        `expected sums to ${sumE}: pass counts summing to the observed total ${sumO} or probabilities summing to 1`,
      );
    }
    scale = sumO / sumE;
  } else {
    throw new InvalidArgumentError(
      `expectedAs must be "auto", "counts" or "probabilities", got ${describe(as)}`,
    );
  }
  let statistic = 0;
  const exp = Array.from(expected, (e) => e * scale);
  for (let i = 0; i < k; i++) statistic += (observed[i] - exp[i]) ** 2 / exp[i];
  return { statistic, df, pValue: chiSquareSurvival(statistic, df), expected: exp };
}

/** Result of a least-squares line fit y = slope * x + intercept. */
export interface LinearFit {
  /** Number of points. */
  n: number;
  /** Fitted slope. */
  slope: number;
  /** Fitted intercept. */
  intercept: number;
  /** Coefficient of determination; 1 when y is constant (the line fits exactly). */
  r2: number;
  /** Standard error of the slope (NaN when n = 2: no residual degrees of freedom). */
  slopeStderr: number;
  /** Standard error of the intercept (NaN when n = 2). */
  interceptStderr: number;
}

/**
 * Ordinary least-squares fit of y = slope * x + intercept (needs n >= 2 and x not all equal).
 *
 * @example
 * ```ts
 * import { linearFit } from "./stats.ts";
 * linearFit([0, 1, 2, 3], [1, 3, 5, 7]); // { slope: 2, intercept: 1, r2: 1, slopeStderr: 0, ... }
 * ```
 */
export function linearFit(x: Sample, y: Sample): LinearFit {
  requireSample("x", x, 2);
  requireSample("y", y, 2);
  if (x.length !== y.length) {
    throw new ShapeMismatchError(`x has length ${x.length} but y has length ${y.length}; they must match`);
  }
  const n = x.length, mx = mean(x), my = mean(y);
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx, dy = y[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) {
    throw new InvalidArgumentError(`all ${n} x values are equal (${x[0]}): the slope is undefined`);
  }
  const slope = sxy / sxx, intercept = my - slope * mx;
  let ssRes = 0;
  for (let i = 0; i < n; i++) ssRes += (y[i] - intercept - slope * x[i]) ** 2;
  const r2 = syy === 0 ? 1 : Math.max(0, 1 - ssRes / syy);
  const s2 = n > 2 ? ssRes / (n - 2) : NaN;
  return {
    n,
    slope,
    intercept,
    r2,
    slopeStderr: Math.sqrt(s2 / sxx),
    interceptStderr: Math.sqrt(s2 * (1 / n + (mx * mx) / sxx)),
  };
}
