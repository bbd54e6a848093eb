import assert from "node:assert/strict";
import { InvalidArgumentError, ShapeMismatchError } from "../../lib/core/errors.ts";
import { fillUniformF32 } from "../../lib/core/rng.ts";
import { matmulWebGPU } from "../../lib/linalg/webgpu.ts";
import { getGpu, gpuUnavailableReason } from "../../lib/runtime/gpu.ts";

const noGpu = await gpuUnavailableReason();
if (noGpu) console.log(`skipping WebGPU matmul tests: ${noGpu}`);
const needsGpu = { ignore: noGpu !== null };

/** Uniform values in [-1, 1) from a fixed Philox stream. */
function randomMatrix(len: number, stream: number): Float32Array {
  const u = fillUniformF32(new Float32Array(len), 2024, stream);
  for (let i = 0; i < len; i++) u[i] = 2 * u[i] - 1;
  return u;
}

/** float64 reference product of the f32 inputs. */
function matmulRef(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      for (let j = 0; j < n; j++) c[i * n + j] += aip * b[p * n + j];
    }
  }
  return c;
}

/** Relative error in the max norm: max |c - ref| / max |ref|. */
function relMaxError(c: Float32Array, ref: Float64Array): number {
  let err = 0, scale = 0;
  for (let i = 0; i < ref.length; i++) {
    err = Math.max(err, Math.abs(c[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return scale === 0 ? err : err / scale;
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [7, 7, 7],
  [63, 64, 65],
  [64, 64, 64],
  [65, 65, 65],
  [257, 33, 129],
  [1, 257, 1],
];

for (const [m, k, n] of SHAPES) {
  Deno.test(
    `matmulWebGPU ${m}x${k} * ${k}x${n} matches float64 within 1e-5 (max-norm relative)`,
    needsGpu,
    async () => {
      const a = randomMatrix(m * k, 1), b = randomMatrix(k * n, 2);
      const c = await matmulWebGPU(a, b, m, k, n);
      assert.equal(c.length, m * n);
      const err = relMaxError(c, matmulRef(a, b, m, k, n));
      assert.ok(err <= 1e-5, `relative max error ${err} for ${m}x${k}x${n}`);
    },
  );
}

Deno.test("matmulWebGPU: exact small product, empty sizes and k = 0", needsGpu, async () => {
  const c = await matmulWebGPU(
    new Float32Array([1, 2, 3, 4, 5, 6]),
    new Float32Array([7, 8, 9, 10, 11, 12]),
    2,
    3,
    2,
  );
  assert.deepEqual([...c], [58, 64, 139, 154]);
  assert.equal((await matmulWebGPU(new Float32Array(0), new Float32Array(0), 0, 0, 5)).length, 0);
  assert.deepEqual([...(await matmulWebGPU(new Float32Array(0), new Float32Array(0), 2, 0, 2))], [
    0,
    0,
    0,
    0,
  ]);
});

Deno.test("matmulWebGPU: bad shapes and sizes past the binding limit are rejected", needsGpu, async () => {
  await assert.rejects(matmulWebGPU(new Float32Array(3), new Float32Array(4), 2, 2, 2), ShapeMismatchError);
  await assert.rejects(
    matmulWebGPU(new Float32Array(4), new Float32Array(4), 2, -1, 2),
    InvalidArgumentError,
  );
  const limit = (await getGpu()).limits.maxStorageBufferBindingSize;
  const k = Math.floor(limit / 4) + 1;
  await assert.rejects(matmulWebGPU(new Float32Array(1), new Float32Array(1), 1, k, 1), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError);
    assert.match(e.message, /maxStorageBufferBindingSize/);
    assert.match(e.message, new RegExp(String(limit)));
    return true;
  });
});
