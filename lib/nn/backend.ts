/**
 * Choosing the backend of lib/nn's eager ops: "ts" (the reference; also every f64 tensor), or "wasm"
 * (f32 tensors in the shared wasm memory, hot ops in kernels-as/nn.ts and kernels-as/linalg.ts, split
 * over `threads` threads).
 *
 * @module
 */
import { InvalidArgumentError, requireInt } from "../core/errors.ts";
import { type BackendChoice, type BackendRequest, selectBackend } from "../runtime/backend.ts";
import { loadKernel, wasmAvailable } from "../runtime/wasm.ts";
import { closeSyncPool, getSyncPool, type SyncPool } from "../runtime/sync_pool.ts";
import { engine, type EngineConfig } from "./tensor.ts";

/** Options of `setBackend`. */
export interface SetBackendOptions {
  /** "ts", "wasm" or "auto" (wasm where it runs). WebGPU is offered by the standalone kernels only. */
  backend?: BackendRequest;
  /** Threads (caller included) for wasm kernels; default 1. */
  threads?: number;
  /** "simd" (default) or "scalar" matmul. */
  variant?: "simd" | "scalar";
}

let pool: SyncPool | null = null;

/**
 * Sets the backend of every following eager op; loads the kernels and starts worker threads.
 * Tensors made before keep their storage (f32 heap arrays are copied into wasm per call).
 *
 * @example
 * ```ts
 * import { setBackend } from "./mod.ts";
 * const choice = await setBackend({ backend: "wasm", threads: 2 });
 * choice.backend; // "wasm"
 * ```
 */
export async function setBackend(options: SetBackendOptions = {}): Promise<BackendChoice> {
  const threads = requireInt("threads", options.threads ?? 1, 1, 64);
  const variant = options.variant ?? "simd";
  if (variant !== "simd" && variant !== "scalar") {
    throw new InvalidArgumentError(`variant must be "simd" or "scalar", got ${String(variant)}`);
  }
  const choice = await selectBackend(options.backend ?? "ts", {
    wasm: wasmAvailable,
    webgpu: () => Promise.resolve(false),
  }, {
    op: "nn",
    supported: ["ts", "wasm"],
    preference: ["wasm", "ts"],
  });
  if (choice.backend === "wasm") {
    await loadKernel("nn");
    await loadKernel("linalg");
    if (threads > 1) pool = await getSyncPool(threads, ["nn", "linalg"]);
  }
  engine.backend = choice.backend as "ts" | "wasm";
  engine.threads = threads;
  engine.variant = variant;
  return choice;
}

/**
 * The current configuration.
 *
 * @example
 * ```ts
 * import { getBackend } from "./mod.ts";
 * getBackend().backend; // "ts" unless setBackend changed it
 * ```
 */
export function getBackend(): Readonly<EngineConfig> {
  return { ...engine };
}

/** The synchronous pool when one is running (used by wasm_kernels.ts). */
export function getSyncPoolIfOpen(): SyncPool | null {
  return pool;
}

/**
 * Stops lib/nn's worker threads and returns to the ts backend (tests call this at the end).
 *
 * @example
 * ```ts
 * import { shutdownNN } from "./mod.ts";
 * shutdownNN();
 * ```
 */
export function shutdownNN(): void {
  closeSyncPool();
  pool = null;
  engine.backend = "ts";
  engine.threads = 1;
}
