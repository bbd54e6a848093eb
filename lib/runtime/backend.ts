/**
 * Backend selection: every kernel-backed operation takes `{ backend?: "ts" | "wasm" | "webgpu" | "auto" }`.
 *
 * - `ts`: the plain reference implementation, always available, the oracle in tests.
 * - `wasm`: AssemblyScript kernels compiled to WebAssembly with SIMD, parallel over the worker pool.
 * - `webgpu`: WGSL compute shaders on whatever WebGPU adapter exists.
 * - `auto`: the fastest backend available for that operation and size; `selectBackend` says which and why.
 *
 * @module
 */
import { BackendUnavailableError, describe, InvalidArgumentError } from "../core/errors.ts";

/** A concrete backend. */
export type Backend = "ts" | "wasm" | "webgpu";
/** What callers may ask for. */
export type BackendRequest = Backend | "auto";
/** The options every kernel-backed operation accepts. */
export interface BackendOptions {
  backend?: BackendRequest;
  /** Called with the backend that ran and why (useful with `auto`). */
  onBackend?: (choice: BackendChoice) => void;
}
/** The result of selecting a backend. */
export interface BackendChoice {
  backend: Backend;
  reason: string;
}

const KNOWN: readonly BackendRequest[] = ["ts", "wasm", "webgpu", "auto"];

/** Throws InvalidArgumentError unless `backend` is one of ts, wasm, webgpu, auto (undefined means auto). */
export function parseBackend(backend: unknown): BackendRequest {
  if (backend === undefined) return "auto";
  if (typeof backend !== "string" || !KNOWN.includes(backend as BackendRequest)) {
    throw new InvalidArgumentError(
      `unknown backend ${describe(backend)}; allowed: ${KNOWN.join(", ")}`,
    );
  }
  return backend as BackendRequest;
}

/** Probe results that selection uses; filled by the runtime. */
export interface BackendProbe {
  wasm: () => boolean;
  webgpu: () => Promise<boolean>;
}

/** What an operation tells selectBackend. */
export interface SelectOptions {
  /** The operation's name, for messages. */
  op: string;
  /** Backends the operation implements. Default: all three. */
  supported?: readonly Backend[];
  /** Order `auto` tries (each operation states its own, from benchmarks). Default: wasm, ts. */
  preference?: readonly Backend[];
}

/**
 * Resolves a request into a concrete backend.
 *
 * `auto` takes the first available backend of `preference` (for example wasm before webgpu for small
 * sizes, where upload and readback dominate). A concrete request that the operation does not implement,
 * or that cannot run here, throws BackendUnavailableError naming the backends that do work.
 */
export async function selectBackend(
  request: unknown,
  probe: BackendProbe,
  { op, supported = ["ts", "wasm", "webgpu"], preference = ["wasm", "ts"] }: SelectOptions,
): Promise<BackendChoice> {
  const req = parseBackend(request);
  const availability = async (b: Backend) =>
    !supported.includes(b) ? false : b === "ts" ? true : b === "wasm" ? probe.wasm() : await probe.webgpu();
  if (req === "auto") {
    for (const b of preference) {
      if (await availability(b)) {
        return { backend: b, reason: `auto: ${b} is the first available of [${preference}] for ${op}` };
      }
    }
    return { backend: "ts", reason: `auto: fell back to the ts reference for ${op}` };
  }
  if (!(await availability(req))) {
    const available: Backend[] = [];
    for (const b of ["ts", "wasm", "webgpu"] as Backend[]) if (await availability(b)) available.push(b);
    const reason = !supported.includes(req)
      ? `${op} has no ${req} implementation`
      : req === "webgpu"
      ? "no WebGPU adapter was found"
      : "WebAssembly with SIMD and shared memory is missing";
    throw new BackendUnavailableError(req, reason, available);
  }
  return { backend: req, reason: "requested" };
}
