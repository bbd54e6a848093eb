import assert from "node:assert/strict";
import { BackendUnavailableError, InvalidArgumentError, KernelLoadError } from "../../lib/core/errors.ts";
import {
  _setGpuFactoryForTests,
  bufferSizeClass,
  BufferUsage,
  getGpu,
  gpuAvailable,
  gpuUnavailableReason,
  loadShader,
} from "../../lib/runtime/gpu.ts";
import { measureGpuBandwidth, measureGpuPeak } from "../../lib/runtime/gpu_measure.ts";
import { matmulWebGPU } from "../../lib/linalg/webgpu.ts";

const noGpu = await gpuUnavailableReason();
if (noGpu) console.log(`skipping tests that need a WebGPU adapter: ${noGpu}`);
else console.log(`WebGPU adapter: ${(await getGpu()).describe()}`);
const needsGpu = { ignore: noGpu !== null };

Deno.test("bufferSizeClass rounds to powers of two, then to sixteenths above 1 MiB", () => {
  assert.equal(bufferSizeClass(0), 256);
  assert.equal(bufferSizeClass(257), 512);
  assert.equal(bufferSizeClass(1 << 20), 1 << 20);
  assert.equal(bufferSizeClass((1 << 20) + 1), (1 << 20) + (1 << 17));
  for (const n of [1, 1000, 123457, 5_000_000, 100_000_000]) {
    const c = bufferSizeClass(n);
    assert.ok(c >= n && c % 4 === 0 && c <= Math.max(256, 2 * n), `class ${c} for ${n}`);
  }
});

Deno.test("loadShader resolves names against kernels-wgsl/ and caches the text", async () => {
  const p1 = loadShader("matmul.wgsl");
  const p2 = loadShader(new URL("../../kernels-wgsl/matmul.wgsl", import.meta.url));
  assert.equal(p1, p2);
  const code = await p1;
  assert.match(code, /@compute/);
  await assert.rejects(loadShader("no-such-kernel.wgsl"), KernelLoadError);
});

Deno.test("no adapter: BackendUnavailableError naming ts and wasm", async () => {
  try {
    await _setGpuFactoryForTests(() => ({ requestAdapter: () => Promise.resolve(null) }) as unknown as GPU);
    const err = await getGpu().then(() => null, (e) => e);
    assert.ok(err instanceof BackendUnavailableError, String(err));
    assert.equal(err.backend, "webgpu");
    assert.deepEqual(err.available, ["ts", "wasm"]);
    assert.match(err.message, /no adapter/);
    assert.equal(await gpuAvailable(), false);
    await assert.rejects(
      matmulWebGPU(new Float32Array(1), new Float32Array(1), 1, 1, 1),
      BackendUnavailableError,
    );

    await _setGpuFactoryForTests(() => null);
    await assert.rejects(getGpu(), (e: unknown) => {
      assert.ok(e instanceof BackendUnavailableError);
      assert.match(e.message, /no WebGPU implementation/);
      assert.match(e.message, /ts, wasm/);
      return true;
    });
  } finally {
    await _setGpuFactoryForTests(null);
  }
});

Deno.test("getGpu returns one cached context with useful limits", needsGpu, async () => {
  const gpu = await getGpu();
  assert.equal(await getGpu(), gpu);
  assert.ok(gpu.describe().length > 0);
  assert.ok(gpu.limits.maxComputeInvocationsPerWorkgroup >= 256);
  assert.ok(gpu.limits.maxStorageBufferBindingSize >= 128 * 1024 * 1024);
  assert.equal(typeof gpu.hasTimestamps, "boolean");
  assert.equal(typeof gpu.adapterInfo.isFallbackAdapter, "boolean");
  // a CPU adapter is marked software (its timings are not a GPU's), and only then loops are limited
  const { vendor, architecture, device, description, isFallbackAdapter } = gpu.adapterInfo;
  const named = /llvmpipe|lavapipe|softpipe/i.test(`${vendor} ${architecture} ${device} ${description}`);
  assert.equal(gpu.software, named || isFallbackAdapter);
  assert.equal(gpu.loopIterationLimit === Infinity, !named);
});

Deno.test("pipelines are cached by key", needsGpu, async () => {
  const gpu = await getGpu();
  const code = await loadShader("stream.wgsl");
  const before = gpu.stats();
  const p1 = await gpu.pipeline("stream.wgsl", code, "copy");
  const p2 = await gpu.pipeline("stream.wgsl", code, "copy");
  assert.equal(p1, p2);
  const p3 = await gpu.pipeline("stream.wgsl", code, "triad");
  assert.notEqual(p1, p3);
  const after = gpu.stats();
  assert.ok(after.pipelineHits >= before.pipelineHits + 1);
  assert.ok(after.pipelinesCompiled <= before.pipelinesCompiled + 2);
});

Deno.test("buffer pool reuses released buffers by usage and size class", needsGpu, async () => {
  const gpu = await getGpu();
  const usage = BufferUsage.STORAGE | BufferUsage.COPY_SRC;
  const b1 = gpu.acquire(1000, usage);
  assert.equal(b1.size, 1024);
  gpu.release(b1);
  const created = gpu.stats().buffersCreated;
  const b2 = gpu.acquire(1020, usage);
  assert.equal(b2, b1);
  const b3 = gpu.acquire(1000, BufferUsage.STORAGE); // other usage: a new buffer
  assert.notEqual(b3, b1);
  assert.equal(gpu.stats().buffersCreated, created + 1);
  gpu.release(b2, b3);
  assert.throws(() => gpu.release(b2), InvalidArgumentError);

  // A kernel called twice with the same sizes allocates nothing the second time.
  const a = new Float32Array(64 * 64).fill(1);
  await matmulWebGPU(a, a, 64, 64, 64);
  const mid = gpu.stats().buffersCreated;
  await matmulWebGPU(a, a, 64, 64, 64);
  assert.equal(gpu.stats().buffersCreated, mid);
});

Deno.test(
  "upload and readback round-trip, including lengths that are not a multiple of 4 bytes",
  needsGpu,
  async () => {
    const gpu = await getGpu();
    const data = new Uint8Array([1, 2, 3, 4, 5]);
    const buf = gpu.upload(data, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
    assert.deepEqual(new Uint8Array(await gpu.readback(buf, 5)), data);
    gpu.release(buf);
    const f = new Float32Array(1000).map((_, i) => i * 0.5);
    const fb = gpu.upload(f, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
    assert.deepEqual(new Float32Array(await gpu.readback(fb, 4000)), f);
    assert.deepEqual(new Float32Array(await gpu.readback(fb, 8, 16)), f.subarray(4, 6));
    await assert.rejects(gpu.readback(fb, 8, 2), InvalidArgumentError);
    gpu.release(fb);
  },
);

Deno.test(
  "a WGSL compile error surfaces as KernelLoadError with the compiler's message",
  needsGpu,
  async () => {
    const gpu = await getGpu();
    const bad = "@compute @workgroup_size(1)\nfn main() {\n  let x: u32 = undefined_name;\n}\n";
    await assert.rejects(gpu.pipeline("bad", bad, "main"), (e: unknown) => {
      assert.ok(e instanceof KernelLoadError, String(e));
      assert.match(e.message, /"bad"/);
      assert.match(e.message, /undefined_name|line 3/);
      return true;
    });
    // A failed compile is not cached as a success, and a missing entry point is reported too.
    await assert.rejects(gpu.pipeline("bad", bad, "main"), KernelLoadError);
    const code = await loadShader("stream.wgsl");
    await assert.rejects(gpu.pipeline("stream.wgsl", code, "no_such_entry"), KernelLoadError);
  },
);

Deno.test("run reports GPU time when timestamps exist", needsGpu, async () => {
  const gpu = await getGpu();
  const code = await loadShader("stream.wgsl");
  const copy = await gpu.pipeline("stream.wgsl", code, "copy");
  const n4 = 1024;
  const params = gpu.upload(new Uint32Array([n4, 0, 4 * 256, 0]), BufferUsage.UNIFORM);
  const src = gpu.upload(new Float32Array(4 * n4).map((_, i) => i));
  const dst = gpu.acquire(16 * n4, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
  const bind = [params, { buffer: dst, size: 16 * n4 }, { buffer: src, size: 16 * n4 }];
  const plain = await gpu.run(copy, bind, 4);
  assert.equal(plain.gpuNs, null);
  const timed = await gpu.run(copy, bind, 4, { timestamps: true, repeat: 2 });
  if (gpu.hasTimestamps) assert.ok(timed.gpuNs === null || timed.gpuNs > 0);
  else assert.equal(timed.gpuNs, null);
  console.log(
    `  timestamps: ${gpu.hasTimestamps}, copy of 16 KiB x2: ${timed.gpuNs} ns (llvmpipe-class timing)`,
  );
  const out = new Float32Array(await gpu.readback(dst, 16 * n4));
  assert.equal(out[4 * n4 - 1], 4 * n4 - 1);
  await assert.rejects(gpu.run(copy, bind, 1e9), InvalidArgumentError);
  gpu.release(params, src, dst);
});

Deno.test("bandwidth and peak measurements run and give positive numbers", needsGpu, async () => {
  const bw = await measureGpuBandwidth({ bytes: 1 << 20, reps: 2 });
  assert.ok(bw.copyGBs > 0 && Number.isFinite(bw.copyGBs));
  assert.ok(bw.triadGBs > 0 && Number.isFinite(bw.triadGBs));
  const peak = await measureGpuPeak({ workgroups: 4, iterations: 256, reps: 1 });
  assert.ok(peak.gflops > 0 && Number.isFinite(peak.gflops));
  console.log(
    `  ${bw.adapter}: copy ${bw.copyGBs.toFixed(2)} GB/s, triad ${bw.triadGBs.toFixed(2)} GB/s, ` +
      `fma ${peak.gflops.toFixed(1)} GFLOP/s (${bw.method}; correctness-path numbers, not GPU speed)`,
  );
  await assert.rejects(measureGpuBandwidth({ bytes: 17 }), InvalidArgumentError);
});

Deno.test("device loss drops the cached context", needsGpu, async () => {
  const gpu = await getGpu();
  gpu.device.destroy();
  await gpu.device.lost;
  await new Promise((r) => setTimeout(r, 0));
  const again = await getGpu();
  assert.notEqual(again, gpu);
  const c = await matmulWebGPU(new Float32Array([2]), new Float32Array([3]), 1, 1, 1);
  assert.deepEqual([...c], [6]);
});
