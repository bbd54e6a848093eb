import assert from "node:assert/strict";
import { BufferUsage, getGpu, gpuUnavailableReason, loadShader } from "../../lib/runtime/gpu.ts";
import { gpuPeakPlan, measureGpuPeak } from "../../lib/runtime/gpu_measure.ts";

// The GPU roofline controls on adapters that stop an invocation's loops after
// GpuContext.loopIterationLimit iterations in all (llvmpipe: 65535, silently). stream.wgsl loops
// ceil(n / invocations) <= 2 times per invocation (measureGpuBandwidth dispatches up to the
// per-dimension limit of workgroups); peak.wgsl loops `iterations` times, so measureGpuPeak with more
// trips than the cap counted flops that never ran, until it split them (gpuPeakPlan).

const noGpu = await gpuUnavailableReason();
if (noGpu) console.log(`skipping WebGPU loop-limit tests of the roofline controls: ${noGpu}`);
const needsGpu = { ignore: noGpu !== null };

/** out[0] of peak.wgsl with mul = 1, add = 1 after `trips` trips per dispatch: 32 trips + the seeds. */
async function peakCount(trips: number): Promise<number> {
  const gpu = await getGpu();
  const pipeline = await gpu.pipeline("peak.wgsl", await loadShader("peak.wgsl"), "peak");
  const words = new Uint32Array([trips, 0, 0, 0]);
  new Float32Array(words.buffer, 4, 2).set([1, 1]);
  const params = gpu.upload(words, BufferUsage.UNIFORM);
  const out = gpu.acquire(4 * 256, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
  try {
    await gpu.run(pipeline, [params, { buffer: out, size: 4 * 256 }], 1);
    return new Float32Array(await gpu.readback(out, 4))[0];
  } finally {
    gpu.release(params, out);
  }
}

// Invocation 0 starts its 32 lanes at 0, 0.1, 0.2, 0.3 plus 0 .. 7: sum 4 (0 + 1 + ... + 7) * 4 + 8 * 0.6.
const SEEDS = 4 * 28 + 8 * 0.6;

Deno.test(
  "gpuPeakPlan: one dispatch without a cap; under 3/4 of a finite cap, covering every trip",
  needsGpu,
  async () => {
    const gpu = await getGpu();
    const plan = gpuPeakPlan(gpu, 100_000);
    console.log(`  ${gpu.describe()}, loop limit ${gpu.loopIterationLimit}: 100000 trips as`, plan);
    if (!Number.isFinite(gpu.loopIterationLimit)) assert.deepEqual(plan, { dispatches: 1, trips: 100_000 });
    else {
      assert.ok(plan.trips <= 0.75 * gpu.loopIterationLimit);
      assert.ok(plan.dispatches * plan.trips >= 100_000 && (plan.dispatches - 1) * plan.trips < 100_000);
    }
    assert.deepEqual(gpuPeakPlan(gpu, 2048), { dispatches: 1, trips: 2048 }); // the roofline's default
  },
);

Deno.test(
  "peak.wgsl runs every trip of gpuPeakPlan's dispatches (counted with mul 1, add 1)",
  needsGpu,
  async () => {
    const gpu = await getGpu();
    const plan = gpuPeakPlan(gpu, 100_000);
    const got = await peakCount(plan.trips);
    assert.ok(
      Math.abs(got - (32 * plan.trips + SEEDS)) <= 1e-5 * 32 * plan.trips,
      `${got} for ${plan.trips} trips`,
    );
    // For the record: one dispatch of 100000 trips, which crosses a finite cap.
    const single = await peakCount(100_000);
    console.log(`  one dispatch of 100000 trips counted ${((single - SEEDS) / 32).toFixed(0)} trips`);
    if (!Number.isFinite(gpu.loopIterationLimit)) {
      assert.ok(Math.abs(single - (32 * 100_000 + SEEDS)) <= 1e-5 * 32 * 100_000);
    }
  },
);

Deno.test("measureGpuPeak with 100000 trips counts the flops its dispatches ran", needsGpu, async () => {
  const gpu = await getGpu();
  const peak = await measureGpuPeak({ workgroups: 1, iterations: 100_000, reps: 1 });
  const plan = gpuPeakPlan(gpu, 100_000);
  assert.equal(peak.flops, 256 * plan.dispatches * plan.trips * 64);
  assert.ok(peak.gflops > 0 && Number.isFinite(peak.gflops));
});
