import assert from "node:assert/strict";
import { fillU32, fillUniformF32, Philox, philox4x32, seedKey } from "../../lib/core/rng.ts";
import { fillU32Wasm, fillUniformF32Wasm } from "../../lib/core/rng_wasm.ts";
import { InvalidArgumentError } from "../../lib/core/errors.ts";
import { WasmF32 } from "../../lib/runtime/wasm.ts";
import { shutdownPools } from "../../lib/runtime/pool.ts";

const hex = (a: Uint32Array) => [...a].map((x) => x.toString(16).padStart(8, "0")).join(" ");

Deno.test("philox4x32-10 matches the Random123 known-answer vectors", () => {
  assert.equal(hex(philox4x32([0, 0, 0, 0], [0, 0])), "6627e8d5 e169c58d bc57ac4c 9b00dbd8");
  assert.equal(
    hex(philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])),
    "408f276d 41c83b0e a20bc7c6 6d5451fd",
  );
  assert.equal(
    hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])),
    "d16cfe09 94fdcceb 5001e420 24126ea1",
  );
});

Deno.test("stream layout: word i is lane i%4 of block floor(i/4); offsets and sequential draws agree", () => {
  const seed = 2 ** 40 + 12345, stream = 7;
  const words = fillU32(new Uint32Array(37), seed, stream);
  const [k0, k1] = seedKey(seed);
  for (let i = 0; i < words.length; i++) {
    assert.equal(words[i], philox4x32([Math.floor(i / 4), 0, stream, 0], [k0, k1])[i % 4]);
  }
  assert.deepEqual(fillU32(new Uint32Array(10), seed, stream, 27), words.slice(27));
  const rng = new Philox(seed, stream);
  for (let i = 0; i < words.length; i++) assert.equal(rng.nextU32(), words[i]);
  rng.seek(5);
  assert.equal(rng.nextU32(), words[5]);
  const f = fillUniformF32(new Float32Array(37), seed, stream);
  for (let i = 0; i < f.length; i++) assert.equal(f[i], Math.fround((words[i] >>> 8) / 2 ** 24));
});

Deno.test("uniform draws: range, mean and a 16-bin chi-square at a fixed seed", () => {
  const rng = new Philox(1);
  const bins = new Array(16).fill(0);
  const n = 64000;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    bins[Math.floor(u * 16)]++;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.005);
  const e = n / 16;
  const chi2 = bins.reduce((s, o) => s + (o - e) ** 2 / e, 0);
  assert.ok(chi2 < 37.7, `chi2 ${chi2} exceeds the 0.001 critical value of 15 dof`);
  for (let i = 0; i < 1000; i++) {
    const k = rng.int(7);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
  }
});

Deno.test("bad seeds, streams and offsets are rejected", () => {
  assert.throws(() => new Philox(-1), InvalidArgumentError);
  assert.throws(() => new Philox(1.5), InvalidArgumentError);
  assert.throws(() => new Philox(NaN), InvalidArgumentError);
  assert.throws(() => new Philox(1, 2 ** 32), InvalidArgumentError);
  assert.throws(() => fillU32(new Uint32Array(1), 1, 0, -4), InvalidArgumentError);
  assert.throws(() => new Philox(1).int(0), InvalidArgumentError);
});

Deno.test("the AssemblyScript kernel produces the same streams, on 1 and 2 threads", async () => {
  for (
    const [seed, stream, offset, n] of [[0, 0, 0, 17], [42, 3, 5, 1000], [
      2 ** 33 + 9,
      2 ** 31,
      2 ** 32 - 2,
      9,
    ]]
  ) {
    assert.deepEqual(
      await fillU32Wasm(new Uint32Array(n), seed, stream, offset),
      fillU32(new Uint32Array(n), seed, stream, offset),
    );
    assert.deepEqual(
      await fillUniformF32Wasm(new Float32Array(n), seed, stream, offset),
      fillUniformF32(new Float32Array(n), seed, stream, offset),
    );
  }
  const big = new WasmF32(200_003);
  try {
    await fillUniformF32Wasm(big, 9, 1, 3, 2);
    assert.deepEqual(big.toArray(), fillUniformF32(new Float32Array(200_003), 9, 1, 3));
  } finally {
    big.free();
    await shutdownPools();
  }
});
