/**
 * The message-passing primitive of GIN-style layers as a standalone kernel-backed operation:
 * out = (1 + eps) h + A h, with A given as a CSR of incoming arcs. Backends: "ts" (reference, float64
 * accumulation), "wasm" (kernels-as/graph.ts gin_aggregate, SIMD over feature columns, rows split over
 * the worker pool) and "webgpu" (kernels-wgsl/gnn_aggregate.wgsl). Used by the benchmark and as the
 * checked reference of the model's gather + segment-sum path.
 *
 * @module
 */
import { InvalidArgumentError, requireFinite, requireInt, requireLength } from "../core/errors.ts";
import { type BackendChoice, type BackendRequest, selectBackend } from "../runtime/backend.ts";
import { getPool } from "../runtime/pool.ts";
import { getArena, loadKernel, wasmAvailable, type WasmBlock } from "../runtime/wasm.ts";
import { BufferUsage, getGpu, gpuAvailable, loadShader, requireBindable } from "../runtime/gpu.ts";

/** Incoming arcs of each vertex: arcs rowOff[v] .. rowOff[v + 1] bring src[k] into v. */
export interface IncomingCsr {
  n: number;
  rowOff: Uint32Array;
  src: Uint32Array;
}

/**
 * Builds the incoming-arc CSR of a relation given as arc lists (src[i] -> dst[i]), ordered by dst.
 *
 * @example
 * ```ts
 * import { incomingCsr } from "./aggregate.ts";
 * incomingCsr(3, [0, 2], [1, 1]).rowOff; // Uint32Array [0, 0, 2, 2]
 * ```
 */
export function incomingCsr(n: number, src: ArrayLike<number>, dst: ArrayLike<number>): IncomingCsr {
  requireInt("n", n, 0);
  if (src.length !== dst.length) {
    throw new InvalidArgumentError(`incomingCsr: ${src.length} sources but ${dst.length} destinations`);
  }
  const rowOff = new Uint32Array(n + 1);
  for (let i = 0; i < dst.length; i++) {
    const d = dst[i], s = src[i];
    if (!Number.isInteger(d) || d < 0 || d >= n || !Number.isInteger(s) || s < 0 || s >= n) {
      throw new InvalidArgumentError(`incomingCsr: arc ${i} (${s} -> ${d}) has a vertex outside [0, ${n})`);
    }
    rowOff[d + 1]++;
  }
  for (let v = 0; v < n; v++) rowOff[v + 1] += rowOff[v];
  const fill = rowOff.slice(0, n), out = new Uint32Array(src.length);
  for (let i = 0; i < dst.length; i++) out[fill[dst[i]]++] = src[i];
  return { n, rowOff, src: out };
}

/** Options of ginAggregate. */
export interface AggregateOptions {
  backend?: BackendRequest;
  /** Self weight: out = (1 + eps) h + A h. Default 0. */
  eps?: number;
  /** Threads for wasm. Default 1. */
  threads?: number;
  /** Told which backend ran. */
  onBackend?: (choice: BackendChoice) => void;
}

function ginAggregateTs(h: Float32Array, d: number, csr: IncomingCsr, eps: number): Float32Array {
  const out = new Float32Array(csr.n * d);
  const acc = new Float64Array(d);
  for (let v = 0; v < csr.n; v++) {
    for (let c = 0; c < d; c++) acc[c] = (1 + eps) * h[v * d + c];
    for (let k = csr.rowOff[v]; k < csr.rowOff[v + 1]; k++) {
      const u = csr.src[k] * d;
      for (let c = 0; c < d; c++) acc[c] += h[u + c];
    }
    for (let c = 0; c < d; c++) out[v * d + c] = acc[c];
  }
  return out;
}

async function ginAggregateWasm(
  h: Float32Array,
  d: number,
  csr: IncomingCsr,
  eps: number,
  threads: number,
): Promise<Float32Array> {
  const kern = await loadKernel("graph");
  const arena = getArena(), blocks: WasmBlock[] = [];
  const alloc = (bytes: number) => {
    const b = arena.alloc(Math.max(16, bytes));
    blocks.push(b);
    return b.ptr;
  };
  try {
    const hp = alloc(4 * h.length), rp = alloc(4 * (csr.n + 1)), sp = alloc(4 * csr.src.length);
    const op = alloc(4 * csr.n * d);
    new Float32Array(arena.memory.buffer, hp, h.length).set(h);
    arena.u32(rp, csr.n + 1).set(csr.rowOff);
    arena.u32(sp, csr.src.length).set(csr.src);
    if (threads === 1) kern.gin_aggregate(hp, rp, sp, op, d, eps, 0, csr.n);
    else {
      const pool = await getPool(threads);
      await pool.parallelFor("graph", "gin_aggregate", [hp, rp, sp, op, d, eps], 0, csr.n);
    }
    return new Float32Array(arena.memory.buffer, op, csr.n * d).slice();
  } finally {
    for (const b of blocks) arena.free(b);
  }
}

async function ginAggregateWebGPU(
  h: Float32Array,
  d: number,
  csr: IncomingCsr,
  eps: number,
): Promise<Float32Array> {
  const gpu = await getGpu();
  const total = csr.n * d;
  requireBindable(gpu, `h (${csr.n} x ${d} f32)`, 4 * total);
  requireBindable(gpu, `arcs (${csr.src.length} u32)`, 4 * csr.src.length);
  if (total === 0) return new Float32Array(0);
  const groups = Math.ceil(total / 256), maxWg = gpu.limits.maxComputeWorkgroupsPerDimension;
  const gx = Math.min(groups, maxWg), gy = Math.ceil(groups / gx);
  // An invocation walks its vertex's in-arcs: on adapters that stop an invocation's loops after
  // loopIterationLimit iterations (llvmpipe) hubs are walked over several dispatches (one on GPUs).
  let maxDegree = 0;
  for (let v = 0; v < csr.n; v++) maxDegree = Math.max(maxDegree, csr.rowOff[v + 1] - csr.rowOff[v]);
  const perPass = Math.max(1, Math.floor(0.75 * gpu.loopIterationLimit));
  const passes = Number.isFinite(perPass) ? Math.max(1, Math.ceil(maxDegree / perPass)) : 1;
  const paramsOf = (kOff: number, kCap: number) => {
    const params = new ArrayBuffer(32);
    new Uint32Array(params, 0, 2).set([csr.n, d]);
    new Float32Array(params, 8, 1)[0] = eps;
    new Uint32Array(params, 12, 3).set([gx, kOff, kCap]);
    return new Uint32Array(params);
  };
  const pipeline = await gpu.pipeline("gnn_aggregate.wgsl", await loadShader("gnn_aggregate.wgsl"), "main");
  const held: GPUBuffer[] = [];
  try {
    const hb = gpu.upload(h), rb = gpu.upload(csr.rowOff);
    held.push(hb, rb);
    const sb = gpu.upload(csr.src.length ? csr.src : new Uint32Array(1));
    held.push(sb);
    const ob = gpu.acquire(4 * total, BufferUsage.STORAGE | BufferUsage.COPY_SRC);
    held.push(ob);
    for (let p = 0; p < passes; p++) {
      const pb = gpu.upload(
        paramsOf(passes === 1 ? 0 : p * perPass, passes === 1 ? 0xffffffff : perPass),
        BufferUsage.UNIFORM,
      );
      held.push(pb);
      await gpu.run(pipeline, [
        pb,
        { buffer: hb, size: 4 * total },
        { buffer: rb, size: 4 * (csr.n + 1) },
        { buffer: sb, size: 4 * Math.max(1, csr.src.length) },
        { buffer: ob, size: 4 * total },
      ], [gx, gy]);
    }
    return new Float32Array(await gpu.readback(ob, 4 * total)).slice();
  } finally {
    gpu.release(...held);
  }
}

/**
 * out[v, :] = (1 + eps) h[v, :] + sum of h[u, :] over incoming arcs u -> v; h is [n, d] row-major f32.
 *
 * @example
 * ```ts
 * import { ginAggregate, incomingCsr } from "./aggregate.ts";
 * const csr = incomingCsr(2, [0, 1], [1, 0]);
 * await ginAggregate(new Float32Array([1, 2]), 1, csr); // Float32Array [3, 3]
 * ```
 */
export async function ginAggregate(
  h: Float32Array,
  d: number,
  csr: IncomingCsr,
  options: AggregateOptions = {},
): Promise<Float32Array> {
  requireInt("d", d, 1);
  if (!(h instanceof Float32Array)) throw new InvalidArgumentError("ginAggregate: h must be a Float32Array");
  requireLength("h", h, csr.n * d, `h is n x d = ${csr.n} x ${d}`);
  requireLength("rowOff", csr.rowOff, csr.n + 1, "rowOff has n + 1 offsets");
  requireLength("src", csr.src, csr.rowOff[csr.n], "src has rowOff[n] arcs");
  const eps = requireFinite("eps", options.eps ?? 0);
  const threads = requireInt("threads", options.threads ?? 1, 1, 64);
  const choice = await selectBackend(options.backend ?? "ts", { wasm: wasmAvailable, webgpu: gpuAvailable }, {
    op: "ginAggregate",
    supported: ["ts", "wasm", "webgpu"],
    preference: ["wasm", "ts", "webgpu"],
  });
  options.onBackend?.(choice);
  if (choice.backend === "wasm") return await ginAggregateWasm(h, d, csr, eps, threads);
  if (choice.backend === "webgpu") return await ginAggregateWebGPU(h, d, csr, eps);
  return ginAggregateTs(h, d, csr, eps);
}
