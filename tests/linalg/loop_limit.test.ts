import assert from "node:assert/strict";
import { Philox } from "../../lib/core/rng.ts";
import { matmulTs } from "../../lib/linalg/reference.ts";
import { matmulSlicesPerDispatch, matmulWebGPU } from "../../lib/linalg/webgpu.ts";
import { getGpu, gpuUnavailableReason } from "../../lib/runtime/gpu.ts";
import { withLoopLimit } from "../runtime/gpu_helpers.ts";

// matmul.wgsl on adapters that stop an invocation's loops after GpuContext.loopIterationLimit
// iterations in all (llvmpipe: 65535, silently). One invocation walks every k slice of 16: at most
// 40 + 85 ceil(k / 16) iterations counting every loop (llvmpipe unrolls the short constant loops and
// counts about 18 per slice: k = 70000 stopped at 58255 before the host split k over dispatches).

const noGpu = await gpuUnavailableReason();
if (noGpu) console.log(`skipping WebGPU matmul loop-limit tests: ${noGpu}`);
const needsGpu = { ignore: noGpu !== null };

/** Integers in [-r, r] from a fixed Philox stream (their products' sums are exact in f32). */
function randInt(n: number, stream: number, r: number): Float32Array {
  const rng = new Philox(31, stream);
  return Float32Array.from({ length: n }, () => rng.int(2 * r + 1) - r);
}

Deno.test(
  "matmulWebGPU with k = 70000 equals the ts product exactly (integer entries)",
  needsGpu,
  async () => {
    const gpu = await getGpu();
    const m = 3, k = 70000, n = 5;
    console.log(
      `  ${gpu.describe()}: loop limit ${gpu.loopIterationLimit}, ${
        matmulSlicesPerDispatch(gpu)
      } slices per dispatch`,
    );
    const a = randInt(m * k, 1, 2), b = randInt(k * n, 2, 2);
    const c = await matmulWebGPU(a, b, m, k, n);
    assert.deepEqual([...c], [...matmulTs(a, b, m, k, n)]);
  },
);

Deno.test(
  "matmulSlicesPerDispatch: unlimited without a cap, within 3/4 of a finite one",
  needsGpu,
  async () => {
    const gpu = await getGpu();
    for (const limit of [Infinity, 65535, 2000, 10]) {
      const s = await withLoopLimit(limit, () => Promise.resolve(matmulSlicesPerDispatch(gpu)));
      if (limit === Infinity) assert.equal(s, Infinity);
      else {
        assert.ok(s >= 1 && Number.isInteger(s));
        if (s > 1) assert.ok(40 + 85 * s <= 0.75 * limit, `${s} slices under limit ${limit}`);
      }
    }
  },
);

Deno.test(
  "matmulWebGPU split over dispatches (forced limit) equals one dispatch bit for bit",
  needsGpu,
  async () => {
    const rng = new Philox(32, 0);
    const m = 70, k = 700, n = 65;
    const a = Float32Array.from({ length: m * k }, () => rng.normal());
    const b = Float32Array.from({ length: k * n }, () => rng.normal());
    const one = await matmulWebGPU(a, b, m, k, n);
    // limit 2000 -> 17 slices (272 of k) per dispatch: 3 dispatches
    const split = await withLoopLimit(2000, () => matmulWebGPU(a, b, m, k, n));
    assert.deepEqual(split, one);
    const ref = matmulTs(a, b, m, k, n);
    let err = 0, scale = 0;
    for (let i = 0; i < ref.length; i++) {
      err = Math.max(err, Math.abs(one[i] - ref[i]));
      scale = Math.max(scale, Math.abs(ref[i]));
    }
    assert.ok(err / scale <= 1e-5, `relative max error ${err / scale}`);
  },
);
