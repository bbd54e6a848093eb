/**
 * WebAssembly kernels over one shared memory owned by TypeScript.
 *
 * Every kernel family in `kernels-as/build/<family>.wasm` imports `env.memory`, a shared
 * `WebAssembly.Memory` created here, and exports functions over pointers. A first-fit allocator on
 * the TypeScript side (`WasmArena`) hands out 16-byte aligned blocks; typed views are made on demand
 * from the current `memory.buffer` (shared buffers never detach, so a view stays valid after growth,
 * and `view()` re-made after growth covers the new bytes). Kernels never allocate and never copy.
 *
 * Modules are found relative to `import.meta.url`, so the same code loads them from a checkout
 * (file:), from a static server or CDN (http:, https:), in Deno, Bun and browsers.
 *
 * @module
 */
import {
  BackendUnavailableError,
  InvalidArgumentError,
  KernelLoadError,
  requireInt,
} from "../core/errors.ts";

const PAGE = 65536;
/** Pages declared as the maximum by every kernel module (4 GiB). */
const MODULE_MAX_PAGES = 65536;
/** Bytes below this address are never handed out (0 stays an invalid pointer). */
const HEAP_START = 1024;

/** A block of wasm memory: its address and size in bytes. */
export interface WasmBlock {
  readonly ptr: number;
  readonly bytes: number;
}

/**
 * The allocator for the shared kernel memory. First-fit over a sorted free list with coalescing;
 * grows the memory when no block fits.
 *
 * @example
 * ```ts
 * import { getArena } from "./wasm.ts";
 * const arena = getArena();
 * const x = arena.alloc(4 * 1024);
 * arena.f32(x.ptr, 1024).fill(1);
 * arena.free(x);
 * ```
 */
export class WasmArena {
  readonly memory: WebAssembly.Memory;
  readonly maxBytes: number;
  #free: Array<{ start: number; end: number }> = [];
  #live = new Map<number, number>();

  constructor(memory: WebAssembly.Memory, maxPages: number) {
    this.memory = memory;
    this.maxBytes = maxPages * PAGE;
    this.#free.push({ start: HEAP_START, end: memory.buffer.byteLength });
  }

  /** Bytes currently handed out. */
  get liveBytes(): number {
    let s = 0;
    for (const b of this.#live.values()) s += b;
    return s;
  }

  /** Allocates `bytes` (rounded up to 16) at a 16-byte aligned address. Contents are not cleared. */
  alloc(bytes: number): WasmBlock {
    requireInt("bytes", bytes, 0, this.maxBytes);
    const size = Math.max(16, (bytes + 15) & ~15);
    for (let attempt = 0; attempt < 2; attempt++) {
      for (let i = 0; i < this.#free.length; i++) {
        const f = this.#free[i];
        if (f.end - f.start >= size) {
          const ptr = f.start;
          f.start += size;
          if (f.start === f.end) this.#free.splice(i, 1);
          this.#live.set(ptr, size);
          return { ptr, bytes: size };
        }
      }
      this.#grow(size);
    }
    throw new InvalidArgumentError(`cannot allocate ${bytes} bytes of wasm memory`);
  }

  /** Returns a block to the free list. Freeing an unknown or already freed block throws. */
  free(block: WasmBlock | number): void {
    const ptr = typeof block === "number" ? block : block.ptr;
    const size = this.#live.get(ptr);
    if (size === undefined) throw new InvalidArgumentError(`free of ${ptr}: not a live block of this arena`);
    this.#live.delete(ptr);
    const end = ptr + size;
    let i = 0;
    while (i < this.#free.length && this.#free[i].start < ptr) i++;
    this.#free.splice(i, 0, { start: ptr, end });
    // coalesce with the next and the previous block
    if (i + 1 < this.#free.length && this.#free[i + 1].start === end) {
      this.#free[i].end = this.#free[i + 1].end;
      this.#free.splice(i + 1, 1);
    }
    if (i > 0 && this.#free[i - 1].end === ptr) {
      this.#free[i - 1].end = this.#free[i].end;
      this.#free.splice(i, 1);
    }
  }

  /** Runs `fn` and frees every block it allocated through `take`, even when it throws. */
  scoped<T>(fn: (take: (bytes: number) => WasmBlock) => T): T {
    const blocks: WasmBlock[] = [];
    try {
      return fn((bytes) => {
        const b = this.alloc(bytes);
        blocks.push(b);
        return b;
      });
    } finally {
      for (const b of blocks) this.free(b);
    }
  }

  #grow(size: number): void {
    const have = this.memory.buffer.byteLength;
    const last = this.#free[this.#free.length - 1];
    const tailFree = last && last.end === have ? last.end - last.start : 0;
    const need = size - tailFree;
    const pages = Math.max(Math.ceil(need / PAGE), Math.ceil(have / PAGE / 4)); // grow by >= 25%
    const allowed = Math.min(pages, this.maxBytes / PAGE - have / PAGE);
    if (allowed * PAGE < need) {
      throw new InvalidArgumentError(
        `wasm memory limit reached: ${size} bytes requested, ${have - this.liveBytes} free of ${have}, ` +
          `maximum ${this.maxBytes} bytes (set TESSERA_WASM_MAX_MB to raise it)`,
      );
    }
    this.memory.grow(allowed);
    const end = this.memory.buffer.byteLength;
    if (last && last.end === have) last.end = end;
    else this.#free.push({ start: have, end });
  }

  /** A Float32Array view of `length` elements at `ptr` over the current buffer. */
  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }
  /** A Float64Array view (ptr must be 8-byte aligned). */
  f64(ptr: number, length: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, length);
  }
  /** A Uint32Array view. */
  u32(ptr: number, length: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, ptr, length);
  }
  /** An Int32Array view. */
  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, length);
  }
  /** A Uint8Array view. */
  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, length);
  }
}

let arena: WasmArena | null = null;

function maxPagesFromEnv(): number {
  let mb = 2048;
  try {
    const v = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
      ?.TESSERA_WASM_MAX_MB;
    if (v) mb = requireInt("TESSERA_WASM_MAX_MB", Number(v), 1, 4096);
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw e;
  }
  return Math.min(MODULE_MAX_PAGES, Math.ceil((mb * 1024 * 1024) / PAGE));
}

/** Whether this runtime can run the wasm backend (WebAssembly with SIMD and shared memory). */
export function wasmAvailable(): boolean {
  return wasmUnavailableReason() === null;
}

let unavailable: string | null | undefined;
function wasmUnavailableReason(): string | null {
  if (unavailable !== undefined) return unavailable;
  try {
    if (typeof WebAssembly !== "object") unavailable = "WebAssembly is missing";
    else if (typeof SharedArrayBuffer !== "function") {
      unavailable = "SharedArrayBuffer is missing (browsers need cross-origin isolation: COOP/COEP headers)";
    } else {
      // a module with one v128 instruction: validates only where SIMD exists
      const simd = new Uint8Array([
        0,
        97,
        115,
        109,
        1,
        0,
        0,
        0,
        1,
        5,
        1,
        96,
        0,
        1,
        123,
        3,
        2,
        1,
        0,
        10,
        10,
        1,
        8,
        0,
        65,
        0,
        253,
        15,
        253,
        98,
        11,
      ]);
      unavailable = WebAssembly.validate(simd) ? null : "WebAssembly SIMD is not supported by this runtime";
    }
  } catch (e) {
    unavailable = `WebAssembly probe failed: ${(e as Error).message}`;
  }
  return unavailable;
}

/** The process-wide arena over the shared kernel memory (created on first use). */
export function getArena(): WasmArena {
  if (arena) return arena;
  const reason = wasmUnavailableReason();
  if (reason) throw new BackendUnavailableError("wasm", reason, ["ts"]);
  const maxPages = maxPagesFromEnv();
  const memory = new WebAssembly.Memory({ initial: 16, maximum: maxPages, shared: true });
  arena = new WasmArena(memory, maxPages);
  return arena;
}

const modules = new Map<string, Promise<WebAssembly.Module>>();
const instances = new Map<string, WebAssembly.Instance>();

/** The URL of a kernel family's compiled module. */
export function kernelUrl(family: string): URL {
  if (!/^[a-z][a-z0-9_]*$/.test(family)) {
    throw new InvalidArgumentError(
      `kernel family must match /^[a-z][a-z0-9_]*$/, got ${JSON.stringify(family)}`,
    );
  }
  return new URL(`../../kernels-as/build/${family}.wasm`, import.meta.url);
}

/** Compiles (once) the module of a kernel family, loading it by URL. */
export function compileKernel(family: string): Promise<WebAssembly.Module> {
  let p = modules.get(family);
  if (!p) {
    const url = kernelUrl(family);
    p = (async () => {
      let bytes: ArrayBuffer;
      try {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
        bytes = await res.arrayBuffer();
      } catch (e) {
        throw new KernelLoadError(`cannot fetch kernel module ${url.href}: ${(e as Error).message}`);
      }
      try {
        return await WebAssembly.compile(bytes);
      } catch (e) {
        throw new KernelLoadError(`kernel module ${url.href} does not compile: ${(e as Error).message}`);
      }
    })();
    modules.set(family, p);
    p.catch(() => modules.delete(family));
  }
  return p;
}

/** The exports of a kernel family, instantiated on this thread against the shared memory. */
export type KernelExports = Record<string, (...args: number[]) => number | void>;

/** Loads and instantiates a kernel family on the calling thread. */
export async function loadKernel(family: string): Promise<KernelExports> {
  const have = instances.get(family);
  if (have) return have.exports as unknown as KernelExports;
  const module = await compileKernel(family);
  const memory = getArena().memory;
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { env: { memory } });
  } catch (e) {
    throw new KernelLoadError(`kernel family ${family} failed to instantiate: ${(e as Error).message}`);
  }
  instances.set(family, instance);
  return instance.exports as unknown as KernelExports;
}

/** The already-loaded exports of a family (throws if `loadKernel` has not completed). */
export function kernelSync(family: string): KernelExports {
  const have = instances.get(family);
  if (!have) {
    throw new KernelLoadError(`kernel family ${family} is not loaded yet: await loadKernel("${family}")`);
  }
  return have.exports as unknown as KernelExports;
}

/** Resolved size limit helpers shared by wrappers. */
export const WASM_LIMITS = { pageBytes: PAGE, heapStart: HEAP_START };

/**
 * A Float32 array that lives in the shared kernel memory: pass it to kernel-backed operations to
 * avoid copies. `array` is a fresh view (valid after memory growth); `free()` returns the memory.
 *
 * @example
 * ```ts
 * import { WasmF32 } from "./wasm.ts";
 * const x = WasmF32.from(new Float32Array([1, 2, 3]));
 * x.array[0] = 5;
 * x.free();
 * ```
 */
export class WasmF32 {
  readonly ptr: number;
  readonly length: number;
  #arena: WasmArena;
  #freed = false;

  constructor(length: number, arenaOverride?: WasmArena) {
    requireInt("length", length, 0);
    this.#arena = arenaOverride ?? getArena();
    this.length = length;
    this.ptr = this.#arena.alloc(length * 4).ptr;
  }

  /** Copies `data` into a new WasmF32. */
  static from(data: ArrayLike<number>): WasmF32 {
    const w = new WasmF32(data.length);
    w.array.set(data);
    return w;
  }

  /** A view over the current memory buffer. */
  get array(): Float32Array {
    if (this.#freed) throw new InvalidArgumentError("this WasmF32 has been freed");
    return this.#arena.f32(this.ptr, this.length);
  }

  /** A copy of the contents as an ordinary Float32Array. */
  toArray(): Float32Array {
    return this.array.slice();
  }

  /** Returns the memory; using the array afterwards throws. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    this.#arena.free(this.ptr);
  }
}
