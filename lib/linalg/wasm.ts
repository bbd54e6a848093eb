/**
 * The wasm backend of linalg: AssemblyScript kernels (kernels-as/linalg.ts) over the shared memory,
 * split over the worker pool for large sizes.
 *
 * @module
 */
import { getPool } from "../runtime/pool.ts";
import { loadKernel, WasmF32 } from "../runtime/wasm.ts";

/** Operands may already live in wasm memory (no copy) or be ordinary arrays (copied in). */
export type F32Input = Float32Array | WasmF32;

/** Options of the wasm kernels. */
export interface WasmKernelOptions {
  /** Threads (caller + workers). Default: every core for large sizes, 1 for small ones. */
  threads?: number;
  /** "simd" (default) or the "scalar" baseline. */
  variant?: "simd" | "scalar";
}

/** Below this many multiply-adds a matmul runs on one thread: messaging would cost more than it saves. */
export const MATMUL_PARALLEL_MIN_FLOPS = 1 << 18;

function toWasm(x: F32Input, owned: WasmF32[]): WasmF32 {
  if (x instanceof WasmF32) return x;
  const w = WasmF32.from(x);
  owned.push(w);
  return w;
}

/** C = A B on wasm. With `out` given (a WasmF32 of m*n), writes there and copies nothing out. */
export async function matmulWasm(
  a: F32Input,
  b: F32Input,
  m: number,
  k: number,
  n: number,
  options: WasmKernelOptions & { out?: WasmF32 } = {},
): Promise<Float32Array> {
  const owned: WasmF32[] = [];
  try {
    const wa = toWasm(a, owned), wb = toWasm(b, owned);
    const c = options.out ?? new WasmF32(m * n);
    if (!options.out) owned.push(c);
    const big = m * k * n >= MATMUL_PARALLEL_MIN_FLOPS;
    const threads = options.threads ?? (big ? undefined : 1);
    const kern = await loadKernel("linalg");
    if (options.variant === "scalar") {
      if (threads === 1) kern.matmul_f32_scalar_rows(wa.ptr, wb.ptr, c.ptr, m, k, n, 0, m);
      else {
        const pool = await getPool(threads);
        await pool.parallelFor("linalg", "matmul_f32_scalar_rows", [wa.ptr, wb.ptr, c.ptr, m, k, n], 0, m);
      }
    } else {
      // pack B into 8-column panels (see kernels-as/linalg.ts), then the blocked 4 x 8 SIMD kernel
      const panels = n >> 3;
      const bp = new WasmF32(Math.max(1, panels * 8 * k));
      owned.push(bp);
      if (threads === 1) {
        kern.matmul_f32_pack_b(wb.ptr, bp.ptr, k, n, 0, panels);
        kern.matmul_f32_packed_rows(wa.ptr, wb.ptr, bp.ptr, c.ptr, m, k, n, 0, m);
      } else {
        const pool = await getPool(threads);
        await pool.parallelFor("linalg", "matmul_f32_pack_b", [wb.ptr, bp.ptr, k, n], 0, panels);
        await pool.parallelFor(
          "linalg",
          "matmul_f32_packed_rows",
          [wa.ptr, wb.ptr, bp.ptr, c.ptr, m, k, n],
          0,
          m,
          {
            align: 4,
          },
        );
      }
    }
    return options.out ? options.out.array : c.toArray();
  } finally {
    for (const w of owned) w.free();
  }
}

/** Σ x[i] y[i] on wasm (f32 products, f32x4 partial sums). */
export async function dotWasm(x: F32Input, y: F32Input, options: WasmKernelOptions = {}): Promise<number> {
  const owned: WasmF32[] = [];
  try {
    const wx = toWasm(x, owned), wy = toWasm(y, owned);
    const kern = await loadKernel("linalg");
    const fn = options.variant === "scalar" ? "dot_f32_scalar" : "dot_f32_simd";
    return kern[fn](wx.ptr, wy.ptr, wx.length) as number;
  } finally {
    for (const w of owned) w.free();
  }
}

/** y += alpha x on wasm, in place when y is a WasmF32; returns y's new contents. */
export async function axpyWasm(
  alpha: number,
  x: F32Input,
  y: F32Input,
  options: WasmKernelOptions = {},
): Promise<Float32Array> {
  const owned: WasmF32[] = [];
  try {
    const wx = toWasm(x, owned), wy = toWasm(y, owned);
    const fn = options.variant === "scalar" ? "axpy_f32_scalar" : "axpy_f32_simd";
    const threads = options.threads ?? (wy.length >= 1 << 20 ? undefined : 1);
    if (threads === 1) (await loadKernel("linalg"))[fn](alpha, wx.ptr, wy.ptr, 0, wy.length);
    else {
      const pool = await getPool(threads);
      await pool.parallelFor("linalg", fn, [alpha, wx.ptr, wy.ptr], 0, wy.length, { align: 16 });
    }
    if (y instanceof Float32Array) {
      y.set(wy.array);
      return y;
    }
    return wy.array;
  } finally {
    for (const w of owned) w.free();
  }
}
