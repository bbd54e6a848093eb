import assert from "node:assert/strict";
import { axpy, dot, matmul } from "../../lib/linalg/mod.ts";
import { Philox } from "../../lib/core/rng.ts";
import { BackendUnavailableError, InvalidArgumentError, ShapeMismatchError } from "../../lib/core/errors.ts";
import { gpuAvailable } from "../../lib/runtime/gpu.ts";
import { shutdownPools } from "../../lib/runtime/pool.ts";
import { WasmF32 } from "../../lib/runtime/wasm.ts";

function random(n: number, rng: Philox, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.uniform() * 2 - 1) * scale);
}

/**
 * Elementwise error against a float64 reference, relative to Σ_p |a_ip| |b_pj| (the size of the
 * terms summed): the standard forward-error measure of a dot product, meaningful even where the
 * result is near zero by cancellation.
 */
function maxRelativeError(
  c: Float32Array,
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
): number {
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let ref = 0, mag = 0;
      for (let p = 0; p < k; p++) {
        ref += a[i * k + p] * b[p * n + j];
        mag += Math.abs(a[i * k + p] * b[p * n + j]);
      }
      worst = Math.max(worst, Math.abs(c[i * n + j] - ref) / (mag || 1));
    }
  }
  return worst;
}

const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [7, 7, 7],
  [63, 63, 63],
  [64, 64, 64],
  [65, 65, 65],
  [1, 257, 1],
  [257, 3, 33],
  [5, 300, 9],
  [130, 70, 257],
];

const gpu = await gpuAvailable();
const backends: Array<"ts" | "wasm" | "webgpu"> = ["ts", "wasm", ...(gpu ? ["webgpu" as const] : [])];
if (!gpu) console.log("matmul webgpu agreement not run: no WebGPU adapter in this runtime");

Deno.test("matmul: every backend within 1e-5 of a float64 reference, square and ragged shapes", async () => {
  const rng = new Philox(11);
  try {
    for (const [m, k, n] of SHAPES) {
      const a = random(m * k, rng), b = random(k * n, rng, 3);
      for (const backend of backends) {
        const c = await matmul(a, b, m, k, n, { backend });
        assert.equal(c.length, m * n);
        const err = maxRelativeError(c, a, b, m, k, n);
        assert.ok(err <= 1e-5, `${backend} ${m}x${k}x${n}: relative error ${err}`);
      }
      const scalar = await matmul(a, b, m, k, n, { backend: "wasm", variant: "scalar" });
      assert.ok(maxRelativeError(scalar, a, b, m, k, n) <= 1e-5);
    }
  } finally {
    await shutdownPools();
  }
});

Deno.test("matmul wasm: 1, 2 and 3 threads give bit-identical results; WasmF32 operands are used in place", async () => {
  const rng = new Philox(5);
  const [m, k, n] = [203, 301, 97];
  const a = random(m * k, rng), b = random(k * n, rng);
  try {
    const one = await matmul(a, b, m, k, n, { backend: "wasm", threads: 1 });
    assert.deepEqual(await matmul(a, b, m, k, n, { backend: "wasm", threads: 2 }), one);
    assert.deepEqual(await matmul(a, b, m, k, n, { backend: "wasm", threads: 3 }), one);
    const wa = WasmF32.from(a), wb = WasmF32.from(b);
    assert.deepEqual(await matmul(wa, wb, m, k, n, { backend: "wasm" }), one);
    wa.free();
    wb.free();
  } finally {
    await shutdownPools();
  }
});

Deno.test("matmul: zero-sized dimensions give the mathematically correct (empty or zero) result", async () => {
  assert.deepEqual(await matmul(new Float32Array(0), new Float32Array(0), 0, 0, 0), new Float32Array(0));
  assert.deepEqual(await matmul(new Float32Array(0), new Float32Array(0), 2, 0, 3), new Float32Array(6));
});

Deno.test("matmul: bad input gets a typed error that says what is allowed", async () => {
  const a = new Float32Array(6), b = new Float32Array(6);
  await assert.rejects(matmul(a, b, 2, 3, 3), ShapeMismatchError);
  await assert.rejects(matmul(a, new Float32Array(5), 2, 3, 2), /b has length 5, expected 6/);
  await assert.rejects(matmul(a, b, -2, -3, 2), InvalidArgumentError);
  await assert.rejects(matmul(a, b, 1.5, 4, 2), /m must be an integer/);
  await assert.rejects(matmul(a, b, NaN, 3, 2), /got NaN/);
  await assert.rejects(
    matmul(a, b, 2, 3, 2, { backend: "cuda" as "ts" }),
    /unknown backend "cuda"; allowed: ts, wasm, webgpu, auto/,
  );
  await assert.rejects(matmul([1, 2] as unknown as Float32Array, b, 1, 2, 3), /must be a Float32Array/);
  await assert.rejects(matmul(a, b, 2, 3, 2, { threads: 0 }), InvalidArgumentError);
  await assert.rejects(dot(a, new Float32Array(2)), ShapeMismatchError);
  await assert.rejects(dot(a, b, { backend: "webgpu" }), BackendUnavailableError);
  await assert.rejects(axpy(NaN, a, b), /alpha must be a finite number/);
});

Deno.test("dot and axpy agree across backends", async () => {
  const rng = new Philox(3);
  const x = random(10_001, rng), y = random(10_001, rng);
  const ref = await dot(x, y, { backend: "ts" });
  const w = await dot(x, y, { backend: "wasm" });
  const mag = x.reduce((s, v, i) => s + Math.abs(v * y[i]), 0);
  assert.ok(Math.abs(w - ref) / mag < 1e-6);
  const y1 = y.slice(), y2 = y.slice();
  await axpy(0.5, x, y1, { backend: "ts" });
  await axpy(0.5, x, y2, { backend: "wasm" });
  assert.deepEqual(y2, y1);
  await shutdownPools();
});
