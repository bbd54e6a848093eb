import assert from "node:assert/strict";
import { InvalidArgumentError, ShapeMismatchError } from "../../lib/core/errors.ts";
import { Philox } from "../../lib/core/rng.ts";
import {
  chiSquareGOF,
  chiSquareSurvival,
  linearFit,
  logGamma,
  mean,
  meanCI,
  median,
  quantile,
  quantiles,
  regularizedBeta,
  regularizedGammaP,
  regularizedGammaQ,
  std,
  studentTCdf,
  studentTQuantile,
  summary,
  variance,
} from "../../lib/core/stats.ts";

function near(actual: number, expected: number, tol: number, what = "") {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what} expected ${expected} ± ${tol}, got ${actual} (off by ${actual - expected})`,
  );
}

Deno.test("mean, variance and std of known samples", () => {
  assert.equal(mean([1, 2, 3, 4]), 2.5);
  near(variance([2, 4, 4, 4, 5, 5, 7, 9]), 32 / 7, 1e-14);
  near(std([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7), 1e-14);
  near(mean(new Float64Array([1e9 + 1, 1e9 + 2, 1e9 + 3])), 1e9 + 2, 1e-6);
  near(variance(new Float64Array([1e9, 1e9 + 2])), 2, 1e-6, "large offset, variance");
});

Deno.test("descriptive statistics reject empty, short and non-finite input", () => {
  assert.throws(() => mean([]), InvalidArgumentError);
  assert.throws(() => mean([1, NaN]), /xs\[1\] must be a finite number, got NaN/);
  assert.throws(() => mean([1, Infinity]), InvalidArgumentError);
  assert.throws(() => variance([3]), /at least 2 values/);
  assert.throws(() => mean("abc" as unknown as number[]), InvalidArgumentError);
});

Deno.test("quantile is type 7 (numpy's default)", () => {
  assert.equal(quantile([1, 2, 3, 4], 0.25), 1.75); // np.quantile([1,2,3,4], .25)
  assert.equal(quantile([5, 1, 3], 0), 1);
  assert.equal(quantile([5, 1, 3], 1), 5);
  assert.equal(quantile([7], 0.3), 7);
  assert.deepEqual(quantiles([1, 2, 3, 4, 5], [0.1, 0.5, 0.9]).map((q) => +q.toFixed(12)), [1.4, 3, 4.6]);
  near(quantile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9), 91, 1e-12);
  assert.equal(median([3, 1, 2, 10]), 2.5);
  assert.equal(median([3, 1, 2]), 2);
  assert.throws(() => quantile([1, 2], 1.5), InvalidArgumentError);
  assert.throws(() => quantiles([1, 2], [0.5, NaN]), /ps\[1\]/);
});

Deno.test("summary reports n, mean, std, min, p10, median, p90, max", () => {
  const s = summary([5, 1, 4, 2, 3]);
  assert.deepEqual({ ...s, std: +s.std.toFixed(12), p10: +s.p10.toFixed(12), p90: +s.p90.toFixed(12) }, {
    n: 5,
    mean: 3,
    std: +Math.sqrt(2.5).toFixed(12),
    min: 1,
    p10: 1.4,
    median: 3,
    p90: 4.6,
    max: 5,
  });
  assert.ok(Number.isNaN(summary([2]).std));
});

Deno.test("special functions match known values", () => {
  near(Math.exp(logGamma(5)), 24, 1e-12);
  near(logGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14);
  near(logGamma(100), 359.1342053695754, 1e-10);
  near(logGamma(0.1), 2.252712651734206, 1e-13);
  near(regularizedBeta(0.3, 1, 1), 0.3, 1e-15);
  near(regularizedBeta(0.5, 2, 2), 0.5, 1e-15);
  near(regularizedBeta(0.3, 2.5, 4), 0.3521975859067672, 1e-13); // scipy.special.betainc
  near(regularizedGammaP(1, 1), 1 - Math.exp(-1), 1e-15);
  near(regularizedGammaP(3, 2) + regularizedGammaQ(3, 2), 1, 1e-15);
  near(regularizedGammaQ(3, 2), 5 * Math.exp(-2), 1e-14); // Q(n, x) = e^-x sum_{k<n} x^k/k!
  assert.throws(() => logGamma(0), InvalidArgumentError);
  assert.throws(() => regularizedBeta(1.2, 1, 1), InvalidArgumentError);
});

Deno.test("Student t quantiles match tables", () => {
  near(studentTQuantile(0.975, 9), 2.2621571627982, 1e-10);
  near(studentTQuantile(0.975, 1), 12.706204736174694, 1e-9);
  near(studentTQuantile(0.975, 4), 2.7764451051977943, 1e-10);
  near(studentTQuantile(0.995, 30), 2.7499956535672254, 1e-10);
  near(studentTQuantile(0.9995, 1), 636.6192487687897, 1e-6);
  near(studentTQuantile(0.975, 1e6), 1.959966356814107, 1e-8);
  near(studentTQuantile(0.025, 9), -2.2621571627982, 1e-10);
  assert.equal(studentTQuantile(0.5, 3), 0);
  assert.equal(studentTCdf(0, 7), 0.5);
  for (const df of [1, 2.5, 9, 40]) {
    for (const p of [0.001, 0.1, 0.6, 0.95, 0.999]) near(studentTCdf(studentTQuantile(p, df), df), p, 1e-12);
  }
  assert.throws(() => studentTQuantile(1, 3), InvalidArgumentError);
  assert.throws(() => studentTQuantile(0.5, 0), InvalidArgumentError);
});

Deno.test("meanCI uses the t distribution", () => {
  const ci = meanCI([9.8, 10.1, 10.0, 9.9, 10.2]);
  near(ci.mean, 10, 1e-12);
  near(ci.halfWidth, 2.7764451051977943 * Math.sqrt(0.025 / 5), 1e-10);
  near(ci.lower, 10 - ci.halfWidth, 1e-12);
  assert.equal(ci.df, 4);
  const wide = meanCI([9.8, 10.1, 10.0, 9.9, 10.2], { level: 0.99 });
  assert.ok(wide.halfWidth > ci.halfWidth);
  assert.throws(() => meanCI([1]), InvalidArgumentError);
  assert.throws(() => meanCI([1, 2], { level: 1 }), InvalidArgumentError);
});

Deno.test("chi-square tail probabilities match tables", () => {
  near(chiSquareSurvival(3.841, 1), 0.05, 2e-5);
  near(chiSquareSurvival(6.635, 1), 0.01, 2e-6);
  near(chiSquareSurvival(11.070, 5), 0.05, 2e-5);
  near(chiSquareSurvival(18.307, 10), 0.05, 2e-5);
  near(chiSquareSurvival(0.5, 3), 0.9188914116546758, 1e-13); // scipy.stats.chi2.sf
  near(chiSquareSurvival(200, 3) / 4.218541107192018e-43, 1, 1e-10);
});

Deno.test("chiSquareGOF with probabilities or counts", () => {
  const r = chiSquareGOF([18, 22, 20, 40], [0.25, 0.25, 0.25, 0.25]);
  near(r.statistic, 12.32, 1e-12);
  assert.equal(r.df, 3);
  near(r.pValue, 0.006363629995195269, 1e-14); // scipy.stats.chisquare
  assert.deepEqual(r.expected, [25, 25, 25, 25]);
  const counts = chiSquareGOF([18, 22, 20, 40], [25, 25, 25, 25]);
  assert.equal(counts.statistic, r.statistic);
  assert.equal(chiSquareGOF([18, 22, 20, 40], [25, 25, 25, 25], { ddof: 1 }).df, 2);
});

Deno.test("chiSquareGOF validates its input", () => {
  assert.throws(() => chiSquareGOF([1, 2, 3], [1, 2]), ShapeMismatchError);
  assert.throws(() => chiSquareGOF([1, -2, 3], [1, 1, 1]), /negative/);
  assert.throws(() => chiSquareGOF([1, 2, 3], [3, 0, 3]), /must be > 0/);
  assert.throws(() => chiSquareGOF([1, 2, 3], [1, 1, 1]), /sums to 3/);
  assert.throws(() => chiSquareGOF([1, 2, 3], [2, 2, 2], { ddof: 2 }), /df/);
  assert.throws(
    () => chiSquareGOF([1, 2], [1.5, 1.5], { expectedAs: "probabilities" }),
    InvalidArgumentError,
  );
});

Deno.test("chiSquareGOF does not reject a fair Philox die (fixed seed)", () => {
  const rng = new Philox(2024);
  const counts = new Array(6).fill(0);
  for (let i = 0; i < 6000; i++) counts[rng.int(6)]++;
  const r = chiSquareGOF(counts, new Array(6).fill(1 / 6));
  assert.ok(r.pValue > 0.001, `p = ${r.pValue}`);
  const biased = chiSquareGOF(counts, [0.25, 0.15, 0.15, 0.15, 0.15, 0.15]);
  assert.ok(biased.pValue < 1e-6, `p = ${biased.pValue}`);
});

Deno.test("linearFit recovers exact lines", () => {
  const f = linearFit([0, 1, 2, 3], [1, 3, 5, 7]);
  assert.equal(f.slope, 2);
  assert.equal(f.intercept, 1);
  assert.equal(f.r2, 1);
  near(f.slopeStderr, 0, 1e-15);
  const g = linearFit([1, 2, 3], [4, 4, 4]);
  assert.deepEqual([g.slope, g.intercept, g.r2], [0, 4, 1]);
  assert.ok(Number.isNaN(linearFit([0, 1], [0, 1]).slopeStderr));
});

Deno.test("linearFit on noisy data (fixed seed)", () => {
  const rng = new Philox(11);
  const x = Array.from({ length: 200 }, (_, i) => i / 20);
  const y = x.map((v) => 3 * v + 2 + 0.5 * rng.normal());
  const f = linearFit(x, y);
  assert.ok(Math.abs(f.slope - 3) < 4 * f.slopeStderr, `slope ${f.slope} ± ${f.slopeStderr}`);
  assert.ok(Math.abs(f.intercept - 2) < 4 * f.interceptStderr, `intercept ${f.intercept}`);
  // R^2 of a simple regression is the squared correlation.
  const mx = mean(x), my = mean(y);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  near(f.r2, (sxy * sxy) / (sxx * syy), 1e-12);
  assert.ok(f.r2 > 0.98 && f.r2 < 1, `r2 ${f.r2}`);
  // Expected slope standard error: sigma / sqrt(Sxx) with sigma = 0.5.
  near(f.slopeStderr, 0.5 / Math.sqrt(sxx), 0.1 * 0.5 / Math.sqrt(sxx));
});

Deno.test("linearFit validates its input", () => {
  assert.throws(() => linearFit([1, 2, 3], [1, 2]), ShapeMismatchError);
  assert.throws(() => linearFit([2, 2, 2], [1, 2, 3]), /slope is undefined/);
  assert.throws(() => linearFit([1], [1]), InvalidArgumentError);
  assert.throws(() => linearFit([1, 2, NaN], [1, 2, 3]), /x\[2\]/);
});
