import assert from "node:assert/strict";
import { InvalidArgumentError } from "../../lib/core/errors.ts";
import { fillU32, fillUniformF32 } from "../../lib/core/rng.ts";
import { fillU32WebGPU, fillUniformF32WebGPU } from "../../lib/core/rng_webgpu.ts";
import { gpuUnavailableReason } from "../../lib/runtime/gpu.ts";

const noGpu = await gpuUnavailableReason();
if (noGpu) console.log(`skipping WebGPU Philox tests: ${noGpu}`);
const needsGpu = { ignore: noGpu !== null };

const hex = (w: Uint32Array) => [...w].map((x) => x.toString(16).padStart(8, "0")).join(" ");

Deno.test("Philox on WebGPU: known-answer block for counter 0, key 0", needsGpu, async () => {
  // philox4x32([0, 0, 0, 0], [0, 0]) from the Random123 known-answer tests.
  assert.equal(hex(await fillU32WebGPU(4, 0, 0, 0)), "6627e8d5 e169c58d bc57ac4c 9b00dbd8");
});

// [n, seed, stream, offset]: seeds above 2^32 use both key words, offsets not a multiple of 4 start
// mid-block, offsets above 2^34 carry into the high counter word, sizes cross workgroup boundaries.
const CASES: [number, number, number, number][] = [
  [1, 0, 0, 0],
  [3, 1, 0, 1],
  [1000, 42, 0, 0],
  [1025, 42, 7, 3],
  [4099, 2 ** 32, 1, 5],
  [777, 2 ** 40 + 12345, 0xffffffff, 2],
  [257, 2 ** 53 - 1, 3, 2 ** 34 + 1],
  [100, 9, 2, 4 * (2 ** 32 - 1) - 2], // the block index wraps its low word inside the fill
  [70_000, 123456789, 11, 6],
];

for (const [n, seed, stream, offset] of CASES) {
  Deno.test(
    `Philox on WebGPU is bit-identical to rng.ts: n=${n} seed=${seed} stream=${stream} offset=${offset}`,
    needsGpu,
    async () => {
      const gpuWords = await fillU32WebGPU(n, seed, stream, offset);
      const tsWords = fillU32(new Uint32Array(n), seed, stream, offset);
      assert.equal(gpuWords.length, n);
      const firstBad = gpuWords.findIndex((w, i) => w !== tsWords[i]);
      assert.equal(firstBad, -1, `u32 word ${firstBad} differs`);

      const gpuF = await fillUniformF32WebGPU(n, seed, stream, offset);
      const tsF = fillUniformF32(new Float32Array(n), seed, stream, offset);
      const gpuBits = new Uint32Array(gpuF.buffer, gpuF.byteOffset, n);
      const tsBits = new Uint32Array(tsF.buffer, tsF.byteOffset, n);
      const firstBadF = gpuBits.findIndex((w, i) => w !== tsBits[i]);
      assert.equal(firstBadF, -1, `f32 value ${firstBadF} differs`);
      assert.ok(gpuF.every((x) => x >= 0 && x < 1));
    },
  );
}

Deno.test("Philox on WebGPU: n = 0 and invalid arguments", needsGpu, async () => {
  assert.equal((await fillU32WebGPU(0, 1)).length, 0);
  await assert.rejects(fillU32WebGPU(4, -1), InvalidArgumentError);
  await assert.rejects(fillU32WebGPU(4, 1.5), InvalidArgumentError);
  await assert.rejects(fillU32WebGPU(4, 1, 2 ** 32), InvalidArgumentError);
  await assert.rejects(fillUniformF32WebGPU(4, 1, 0, -3), InvalidArgumentError);
  await assert.rejects(fillU32WebGPU(-1, 1), InvalidArgumentError);
});
