/**
 * The runtime: backend selection, wasm kernels over one shared memory, the worker pool, and WebGPU.
 *
 * @module
 */
export { parseBackend, selectBackend } from "./backend.ts";
export type { Backend, BackendChoice, BackendOptions, BackendRequest } from "./backend.ts";
export { compileKernel, getArena, kernelUrl, loadKernel, WasmArena, wasmAvailable, WasmF32 } from "./wasm.ts";
export type { KernelExports, WasmBlock } from "./wasm.ts";
export { defaultThreads, getPool, shutdownPools, WorkerKernelError, WorkerPool } from "./pool.ts";
export type { ParallelForOptions } from "./pool.ts";
export {
  getGpu,
  gpuAvailable,
  GpuContext,
  gpuUnavailableReason,
  loadShader,
  loadShaderWith,
  releaseGpu,
} from "./gpu.ts";
export { type GpuPeakPlan, gpuPeakPlan, measureGpuBandwidth, measureGpuPeak } from "./gpu_measure.ts";
export { closeSyncPool, getSyncPool, SyncPool, SyncPoolError } from "./sync_pool.ts";
