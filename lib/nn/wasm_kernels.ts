/**
 * Calling lib/nn's wasm kernels (kernels-as/nn.ts, and kernels-as/linalg.ts for matmul) from eager
 * ops: pointers of tensors (copying in only tensors that do not already live in wasm memory), and a
 * synchronous split over the pool's threads for large calls.
 *
 * @module
 */
import { getArena, kernelSync, type WasmBlock } from "../runtime/wasm.ts";
import { getSyncPoolIfOpen } from "./backend.ts";
import { engine, type Tensor } from "./tensor.ts";

/** Whether an op over these tensors runs on wasm. */
export function useWasm(...ts: Tensor[]): boolean {
  if (engine.backend !== "wasm") return false;
  for (const t of ts) if (t.dtype !== "f32") return false;
  return true;
}

/** Temporary wasm blocks of one op call, freed by `release`. */
export class Temps {
  blocks: WasmBlock[] = [];
  /** The address of a tensor's data, copied into a temporary block when it is not in wasm memory. */
  ptr(t: Tensor): number {
    if (t.ptr >= 0) return t.ptr;
    const b = this.alloc(t.size * 4);
    getArena().f32(b.ptr, t.size).set(t.data);
    return b.ptr;
  }
  /** Integer indices copied into wasm memory. */
  i32(ids: Int32Array): number {
    const b = this.alloc(ids.length * 4);
    getArena().i32(b.ptr, ids.length).set(ids);
    return b.ptr;
  }
  /** A scratch block of `n` floats. */
  f32(n: number): number {
    return this.alloc(n * 4).ptr;
  }
  alloc(bytes: number): WasmBlock {
    const b = getArena().alloc(bytes);
    this.blocks.push(b);
    return b;
  }
  /** Frees every block. */
  release(): void {
    const a = getArena();
    for (const b of this.blocks) a.free(b);
    this.blocks = [];
  }
}

/** Below this much work (multiply-adds, roughly) a kernel runs on the calling thread alone. */
export const PARALLEL_MIN_WORK = 1 << 15;

/** Runs `family.fn(...args, i0, i1)` over [start, end), split over the pool when `work` is large. */
export function kcall(
  family: string,
  fn: string,
  args: number[],
  start: number,
  end: number,
  work: number,
  align = 1,
): void {
  const pool = engine.threads > 1 ? getSyncPoolIfOpen() : null;
  if (pool && work >= PARALLEL_MIN_WORK && end - start >= 2 * align) {
    pool.run(family, fn, args, start, end, align);
  } else {
    kernelSync(family)[fn](...args, start, end);
  }
}

/** C[m, n] = A[m, k] B[k, n] at the given addresses (kernels-as/linalg.ts, packed SIMD or scalar). */
export function matmulPtr(a: number, b: number, c: number, m: number, k: number, n: number): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    getArena().f32(c, m * n).fill(0);
    return;
  }
  const work = m * k * n;
  if (engine.variant === "scalar") {
    kcall("linalg", "matmul_f32_scalar_rows", [a, b, c, m, k, n], 0, m, work);
    return;
  }
  const temps = new Temps();
  try {
    const panels = n >> 3;
    const bp = temps.f32(Math.max(4, panels * 8 * k));
    if (panels > 0) kcall("linalg", "matmul_f32_pack_b", [b, bp, k, n], 0, panels, k * n);
    kcall("linalg", "matmul_f32_packed_rows", [a, b, bp, c, m, k, n], 0, m, work, 4);
  } finally {
    temps.release();
  }
}
