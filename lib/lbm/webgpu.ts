/**
 * The WebGPU backend of the LBM: kernels-wgsl/lbm.wgsl, ping-pong population buffers, many steps encoded
 * per submission, and an on-device status word that records the first step and cell with a bad density.
 * On a machine without a GPU the adapter is llvmpipe (a CPU rasterizer): right answers, not GPU speed.
 *
 * @module
 */
import { InvalidArgumentError, requireInt } from "../core/errors.ts";
import { BufferUsage, getGpu, type GpuContext, loadShader, requireBindable } from "../runtime/gpu.ts";
import { type LbmEngine, LbmInstabilityError } from "./engine.ts";
import { type LbmParams, velocityFrom } from "./reference.ts";
import { W } from "./lattice.ts";

const NONE = 0xffffffff;
const ENTRIES = ["bounce_fill", "density", "fill_layer1", "fill_layer2", "collide", "advance"] as const;
type Entry = typeof ENTRIES[number];
/** Bindings each entry point uses (layout "auto" keeps only these). */
const USES: Record<Entry, number[]> = {
  bounce_fill: [0, 8, 9],
  density: [0, 1, 3, 4, 7],
  fill_layer1: [0, 3, 8],
  fill_layer2: [0, 3, 8],
  collide: [0, 1, 2, 3, 4, 5, 6],
  advance: [7],
};

/**
 * The WebGPU engine.
 *
 * @example
 * ```ts
 * // created by MultiComponentLBM with backend "webgpu"; see mod.ts
 * ```
 */
export class WebGpuLbm implements LbmEngine {
  readonly name = "webgpu" as const;
  readonly p: LbmParams;
  readonly stepsPerSubmit: number;
  #gpu: GpuContext;
  #pipes = new Map<Entry, GPUComputePipeline>();
  #buf: Record<string, GPUBuffer> = {};
  #parity = 0;
  #groups: Array<Map<Entry, GPUBindGroup>> = [];
  #n: number;

  private constructor(p: LbmParams, gpu: GpuContext, stepsPerSubmit: number) {
    this.p = p;
    this.#gpu = gpu;
    this.#n = p.nx * p.ny;
    this.stepsPerSubmit = stepsPerSubmit;
  }

  /** Compiles the pipelines and allocates the buffers. */
  static async create(p: LbmParams, options: { stepsPerSubmit?: number } = {}): Promise<WebGpuLbm> {
    const gpu = await getGpu();
    const n = p.nx * p.ny;
    requireBindable(gpu, `populations (2 x 9 x ${n} f32)`, 72 * n);
    const e = new WebGpuLbm(p, gpu, requireInt("stepsPerSubmit", options.stepsPerSubmit ?? 64, 1));
    const code = await loadShader("lbm.wgsl");
    for (const entry of ENTRIES) e.#pipes.set(entry, await gpu.pipeline("lbm.wgsl", code, entry));
    e.#allocate();
    return e;
  }

  #allocate(): void {
    const p = this.p, n = this.#n, plan = p.plan, dev = this.#gpu.device;
    const S = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
    const make = (bytes: number, usage = S) =>
      dev.createBuffer({ size: Math.max(16, Math.ceil(bytes / 4) * 4), usage });
    this.#buf.f0 = make(72 * n);
    this.#buf.f1 = make(72 * n);
    this.#buf.rho = make(8 * n);
    this.#buf.mask = make(4 * n);
    this.#gpu.write(this.#buf.mask, Uint32Array.from(p.solid));
    this.#buf.wall = make(plan.wallVector ? 8 * n : 16);
    if (plan.wallVector) this.#gpu.write(this.#buf.wall, plan.wallVector);
    const stn = new Float32Array(4 * Math.max(1, p.stencil.length));
    p.stencil.forEach((e, k) => stn.set([e.dx, e.dy, e.w * e.dx, e.w * e.dy], 4 * k));
    this.#buf.stn = make(stn.byteLength);
    this.#gpu.write(this.#buf.stn, stn);
    this.#buf.status = make(16);
    // plan: targets, start, src, coefT, coefP, tsum, bounce pairs (u32 words)
    const T = plan.targets.length, Sz = plan.src.length, B = plan.bounceDst.length;
    const words = new Uint32Array(Math.max(4, T + (T + 1) + 3 * Sz + T + 2 * B));
    const f2u = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
    let o = 0;
    const put = (a: Uint32Array) => {
      const at = o;
      words.set(a, o);
      o += a.length;
      return at;
    };
    const oTargets = put(new Uint32Array(plan.targets.buffer, plan.targets.byteOffset, T));
    const oStart = put(new Uint32Array(plan.start.buffer, plan.start.byteOffset, T + 1));
    const oSrc = put(new Uint32Array(plan.src.buffer, plan.src.byteOffset, Sz));
    const oCT = put(f2u(plan.coefT)), oCP = put(f2u(plan.coefP)), oTsum = put(f2u(plan.tsum));
    const pairs = new Uint32Array(2 * B);
    for (let i = 0; i < B; i++) {
      pairs[2 * i] = plan.bounceDst[i];
      pairs[2 * i + 1] = plan.bounceSrc[i];
    }
    const oBounce = put(pairs);
    this.#buf.plan = make(4 * words.length);
    this.#gpu.write(this.#buf.plan, words);
    const params = new ArrayBuffer(96 + 48 + 32), u = new Uint32Array(params), f = new Float32Array(params);
    u.set([p.nx, p.ny, n, p.stencil.length]);
    f.set([
      1 / p.tau[0],
      1 / p.tau[1],
      1 - 0.5 / p.tau[0],
      1 - 0.5 / p.tau[1],
      p.G,
      p.bodyForce[0],
      p.bodyForce[1],
      plan.gAds[0],
      plan.gAds[1],
    ], 4);
    u.set([plan.wallVector ? 1 : 0, B, plan.layer1, T, oTargets, oStart, oSrc, oCT, oCP, oTsum, oBounce], 13);
    f.set(plan.params, 24);
    // MRT: the correction factors of each component and the flag (kernels-wgsl/lbm.wgsl, Params.mrt*)
    const col = p.collision;
    if (col?.type === "mrt") {
      f.set([col.k[0][0] / 36, col.k[0][1] / 36, col.k[0][2] / 12, 1], 36);
      f.set([col.k[1][0] / 36, col.k[1][1] / 36, col.k[1][2] / 12, 0], 40);
    }
    this.#buf.params = make(params.byteLength, BufferUsage.UNIFORM | BufferUsage.COPY_DST);
    this.#gpu.write(this.#buf.params, new Uint8Array(params));
    for (const parity of [0, 1]) {
      const cur = parity === 0 ? this.#buf.f0 : this.#buf.f1,
        next = parity === 0 ? this.#buf.f1 : this.#buf.f0;
      const all: Record<number, GPUBuffer> = {
        0: this.#buf.params,
        1: cur,
        2: next,
        3: this.#buf.rho,
        4: this.#buf.mask,
        5: this.#buf.wall,
        6: this.#buf.stn,
        7: this.#buf.status,
        8: this.#buf.plan,
        9: cur,
      };
      const groups = new Map<Entry, GPUBindGroup>();
      for (const entry of ENTRIES) {
        groups.set(
          entry,
          dev.createBindGroup({
            layout: this.#pipes.get(entry)!.getBindGroupLayout(0),
            entries: USES[entry].map((b) => ({ binding: b, resource: { buffer: all[b] } })),
          }),
        );
      }
      this.#groups.push(groups);
    }
  }

  setDensities(r1: Float32Array, r2: Float32Array): Promise<void> {
    const n = this.#n, f = new Float32Array(18 * n);
    for (let q = 0; q < 9; q++) {
      for (let c = 0; c < n; c++) {
        f[q * n + c] = W[q] * r1[c];
        f[(9 + q) * n + c] = W[q] * r2[c];
      }
    }
    this.#gpu.write(this.#buf.f0, f);
    this.#gpu.write(this.#buf.f1, f);
    this.#parity = 0;
    this.#gpu.write(this.#buf.status, new Uint32Array([0, NONE, NONE, 0]));
    return Promise.resolve();
  }

  #dispatch(pass: GPUComputePassEncoder, entry: Entry, count: number): void {
    if (count <= 0) return;
    const wg = Math.ceil(count / 256);
    const max = this.#gpu.limits.maxComputeWorkgroupsPerDimension;
    if (wg > max * max) throw new InvalidArgumentError(`${count} cells exceed this device's dispatch limits`);
    pass.setPipeline(this.#pipes.get(entry)!);
    pass.setBindGroup(0, this.#groups[this.#parity].get(entry)!);
    if (entry === "advance") pass.dispatchWorkgroups(1);
    else if (wg <= max) pass.dispatchWorkgroups(wg);
    else pass.dispatchWorkgroups(max, Math.ceil(wg / max));
  }

  #prepare(pass: GPUComputePassEncoder): void {
    const plan = this.p.plan;
    this.#dispatch(pass, "bounce_fill", plan.bounceDst.length);
    this.#dispatch(pass, "density", this.#n);
    this.#dispatch(pass, "fill_layer1", plan.layer1);
    this.#dispatch(pass, "fill_layer2", plan.targets.length - plan.layer1);
  }

  async #status(): Promise<Uint32Array> {
    return new Uint32Array(await this.#gpu.readback(this.#buf.status, 16));
  }

  async run(steps: number, done: number): Promise<void> {
    const dev = this.#gpu.device;
    for (let s0 = 0; s0 < steps; s0 += this.stepsPerSubmit) {
      const enc = dev.createCommandEncoder({ label: "lbm steps" });
      const pass = enc.beginComputePass();
      for (let s = s0; s < Math.min(steps, s0 + this.stepsPerSubmit); s++) {
        this.#prepare(pass);
        this.#dispatch(pass, "collide", this.#n);
        this.#dispatch(pass, "advance", 1);
        this.#parity ^= 1;
      }
      pass.end();
      dev.queue.submit([enc.finish()]);
    }
    // the densities of the final state are checked too
    const enc = dev.createCommandEncoder();
    const pass = enc.beginComputePass();
    this.#prepare(pass);
    pass.end();
    dev.queue.submit([enc.finish()]);
    const st = await this.#status();
    if (st[1] !== NONE) {
      const c = st[2] >>> 1;
      throw new LbmInstabilityError(st[1], {
        x: c % this.p.nx,
        y: Math.floor(c / this.p.nx),
        component: (st[2] & 1) as 0 | 1,
        value: NaN,
      });
    }
    if (st[0] !== done + steps) {
      throw new InvalidArgumentError(`webgpu step counter ${st[0]} != ${done + steps}: the device lost work`);
    }
  }

  async #prepared(): Promise<void> {
    const enc = this.#gpu.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    this.#prepare(pass);
    pass.end();
    this.#gpu.device.queue.submit([enc.finish()]);
    await Promise.resolve();
  }

  async densities(): Promise<[Float32Array, Float32Array]> {
    await this.#prepared();
    const n = this.#n, rho = new Float32Array(await this.#gpu.readback(this.#buf.rho, 8 * n));
    return [rho.slice(0, n), rho.slice(n)];
  }

  async populations(): Promise<Float32Array> {
    await this.#prepared();
    const cur = this.#parity === 0 ? this.#buf.f0 : this.#buf.f1;
    return new Float32Array(await this.#gpu.readback(cur, 72 * this.#n));
  }

  async velocity(): Promise<{ ux: Float32Array; uy: Float32Array }> {
    const [r1, r2] = await this.densities();
    const f = await this.populations();
    const { ux, uy } = velocityFrom(this.p, f, r1, r2);
    return { ux: Float32Array.from(ux), uy: Float32Array.from(uy) };
  }

  dispose(): void {
    for (const b of Object.values(this.#buf)) b.destroy();
    this.#buf = {};
  }
}
