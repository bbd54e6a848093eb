/** Shared helpers of the WebGPU tests. */
import { getGpu } from "../../lib/runtime/gpu.ts";

/**
 * Runs `fn` with the device's loop limit (GpuContext.loopIterationLimit) set to `limit`, restored after:
 * the hosts then split their work as on an adapter that caps an invocation's loops.
 */
export async function withLoopLimit<T>(limit: number, fn: () => Promise<T>): Promise<T> {
  const ctx = await getGpu();
  const saved = ctx.loopIterationLimit;
  ctx.loopIterationLimit = limit;
  try {
    return await fn();
  } finally {
    ctx.loopIterationLimit = saved;
  }
}
