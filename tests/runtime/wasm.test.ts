import assert from "node:assert/strict";
import { getArena, kernelUrl, loadKernel, WasmArena, WasmF32 } from "../../lib/runtime/wasm.ts";
import { getPool, shutdownPools, splitRange } from "../../lib/runtime/pool.ts";
import { InvalidArgumentError, KernelLoadError } from "../../lib/core/errors.ts";

Deno.test("arena: aligned, non-overlapping blocks; free coalesces; double free throws", () => {
  const mem = new WebAssembly.Memory({ initial: 1, maximum: 8, shared: true });
  const arena = new WasmArena(mem, 8);
  const a = arena.alloc(10), b = arena.alloc(100), c = arena.alloc(1);
  for (const x of [a, b, c]) assert.equal(x.ptr % 16, 0);
  assert.ok(a.ptr + a.bytes <= b.ptr && b.ptr + b.bytes <= c.ptr);
  arena.free(b);
  assert.throws(() => arena.free(b), InvalidArgumentError);
  const d = arena.alloc(100);
  assert.equal(d.ptr, b.ptr, "a freed block is reused first-fit");
  arena.free(a);
  arena.free(d);
  arena.free(c);
  assert.equal(arena.liveBytes, 0);
  const big = arena.alloc(65536 * 3); // forces growth
  assert.ok(mem.buffer.byteLength >= 65536 * 4);
  arena.f32(big.ptr, 4).set([1, 2, 3, 4]);
  assert.deepEqual([...arena.f32(big.ptr, 4)], [1, 2, 3, 4]);
  assert.throws(() => arena.alloc(65536 * 8), InvalidArgumentError);
  assert.throws(() => arena.alloc(-1), InvalidArgumentError);
  assert.throws(() => arena.alloc(1.5), InvalidArgumentError);
});

Deno.test("views made before memory growth keep their data; WasmF32 survives growth", () => {
  const x = WasmF32.from([1, 2, 3]);
  const before = x.array;
  const hog = getArena().alloc(64 << 20);
  assert.deepEqual([...before], [1, 2, 3]);
  assert.deepEqual([...x.array], [1, 2, 3]);
  getArena().free(hog);
  x.free();
  assert.throws(() => x.array, InvalidArgumentError);
});

Deno.test("kernel loading: URL relative to the module; unknown family is a KernelLoadError", async () => {
  assert.match(kernelUrl("linalg").href, /kernels-as\/build\/linalg\.wasm$/);
  assert.throws(() => kernelUrl("../x"), InvalidArgumentError);
  await assert.rejects(loadKernel("no_such_family"), KernelLoadError);
  const k = await loadKernel("linalg");
  assert.equal(typeof k.matmul_f32_packed_rows, "function");
});

Deno.test("splitRange covers the range once, aligned", () => {
  for (
    const [s, e, p, al] of [[0, 100, 2, 16], [3, 1000, 3, 4], [0, 5, 4, 4], [0, 1, 8, 1], [10, 10, 2, 1]]
  ) {
    const parts = splitRange(s, e, p, al);
    let at = s;
    for (const [lo, hi] of parts) {
      assert.equal(lo, at);
      assert.ok(hi > lo);
      if (hi !== e) assert.equal((hi - s) % al, 0);
      at = hi;
    }
    assert.equal(at, e === s ? s : e);
    assert.ok(parts.length <= p);
  }
});

Deno.test("pool: 2 threads run a kernel over one shared memory; worker errors reject", async () => {
  try {
    const pool = await getPool(2);
    const n = 100_000;
    const b = WasmF32.from(Float32Array.from({ length: n }, (_, i) => i));
    const c = WasmF32.from(new Float32Array(n).fill(2));
    const a = new WasmF32(n);
    await pool.parallelFor("roofline", "triad_simd", [a.ptr, b.ptr, c.ptr, 0.5], 0, n, { align: 16 });
    const out = a.array;
    for (let i = 0; i < n; i += 997) assert.equal(out[i], i + 1);
    assert.equal(out[n - 1], n);
    await assert.rejects(pool.parallelFor("roofline", "nope", [], 0, 10), InvalidArgumentError);
    for (const w of [a, b, c]) w.free();
  } finally {
    await shutdownPools();
  }
});
