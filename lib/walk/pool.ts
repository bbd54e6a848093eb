/**
 * Where a graph's pool lives: an ordinary ArrayBuffer (ts backend) or a block of the shared wasm memory
 * (wasm backend; the kernels of kernels-as/walk.ts run on it and the TypeScript engine reads the same
 * words for validation and statistics).
 *
 * @module
 */
import type { PoolHost } from "./engine.ts";
import { getArena, kernelSync, loadKernel, wasmAvailable, type WasmBlock } from "../runtime/wasm.ts";
import type { KernelExports } from "../runtime/wasm.ts";

/**
 * A pool in JS memory.
 *
 * @example
 * ```ts
 * import { ArrayPool } from "./pool.ts";
 * const p = new ArrayPool();
 * p.resize(1024);
 * p.views().m.length; // 1024
 * ```
 */
export class ArrayPool implements PoolHost {
  #m = new Uint32Array(0);
  resize(words: number): void {
    const words4 = (words + 3) & ~3;
    if (words4 <= this.#m.length) return;
    const m = new Uint32Array(words4);
    m.set(this.#m);
    this.#m = m;
  }
  views(): { m: Uint32Array; f: Float64Array } {
    return { m: this.#m, f: new Float64Array(this.#m.buffer) };
  }
  /** Bytes held. */
  get bytes(): number {
    return this.#m.byteLength;
  }
}

/**
 * A pool in the shared wasm memory; `ptr` is its byte address (it moves when the pool grows).
 *
 * @example
 * ```ts
 * import { WasmPool } from "./pool.ts";
 * const p = new WasmPool();
 * p.resize(1024);
 * p.free();
 * ```
 */
export class WasmPool implements PoolHost {
  #block: WasmBlock | null = null;
  #words = 0;
  get ptr(): number {
    return this.#block?.ptr ?? 0;
  }
  resize(words: number): void {
    const words4 = (words + 3) & ~3;
    if (words4 <= this.#words) return;
    const arena = getArena();
    const nb = arena.alloc(words4 * 4);
    const fresh = arena.u32(nb.ptr, words4);
    fresh.fill(0);
    if (this.#block) {
      fresh.set(arena.u32(this.#block.ptr, this.#words));
      arena.free(this.#block);
    }
    this.#block = nb;
    this.#words = words4;
  }
  views(): { m: Uint32Array; f: Float64Array } {
    const arena = getArena();
    const ptr = this.ptr;
    return { m: arena.u32(ptr, this.#words), f: arena.f64(ptr, this.#words >> 1) };
  }
  get bytes(): number {
    return this.#words * 4;
  }
  /** Returns the memory to the arena. */
  free(): void {
    if (this.#block) getArena().free(this.#block);
    this.#block = null;
    this.#words = 0;
  }
}

let walkKernelError: string | null = null;
let walkKernel: KernelExports | null = null;

/** Loads the walk kernels (once). Resolves to null with a reason where wasm cannot run. */
export async function loadWalkKernel(): Promise<KernelExports | null> {
  if (walkKernel) return walkKernel;
  if (!wasmAvailable()) {
    walkKernelError = "WebAssembly with SIMD and shared memory is missing";
    return null;
  }
  try {
    walkKernel = await loadKernel("walk");
    return walkKernel;
  } catch (e) {
    walkKernelError = (e as Error).message;
    return null;
  }
}

/** The walk kernels if they are loaded on this thread, else null. */
export function walkKernelSync(): KernelExports | null {
  if (walkKernel) return walkKernel;
  try {
    walkKernel = kernelSync("walk");
  } catch {
    return null;
  }
  return walkKernel;
}

/** Why the walk kernels are not available (null when they are or were not tried). */
export function walkKernelUnavailable(): string | null {
  return walkKernelError;
}
