import assert from "node:assert/strict";
import { Philox } from "../../lib/core/rng.ts";
import { ginAggregate, incomingCsr } from "../../lib/gnn/mod.ts";
import { gpuUnavailableReason } from "../../lib/runtime/gpu.ts";
import { withLoopLimit } from "../runtime/gpu_helpers.ts";

// gnn_aggregate.wgsl on adapters that stop an invocation's loops after GpuContext.loopIterationLimit
// iterations in all (llvmpipe: 65535, silently). One invocation per (vertex, column) walks the vertex's
// in-arcs: in-degree iterations, so a hub of more than 65535 neighbours was cut short there before the
// host split the arcs over dispatches.

const noGpu = await gpuUnavailableReason();
if (noGpu) console.log(`skipping WebGPU gnn loop-limit tests: ${noGpu}`);
const needsGpu = { ignore: noGpu !== null };

Deno.test("ginAggregate on webgpu: a hub of 100000 neighbours equals ts exactly", needsGpu, async () => {
  const n = 100001, d = 2;
  const src = Array.from({ length: n - 1 }, (_, i) => i + 1);
  const dst = new Array<number>(n - 1).fill(0);
  for (let i = 0; i < 50; i++) dst[i * 2000] = 1 + i; // a few other arcs
  const csr = incomingCsr(n, src, dst);
  const rng = new Philox(41, 0);
  const h = Float32Array.from({ length: n * d }, () => rng.int(7) - 3); // integer sums: exact
  const ts = await ginAggregate(h, d, csr, { backend: "ts", eps: 0.5 });
  const gpu = await ginAggregate(h, d, csr, { backend: "webgpu", eps: 0.5 });
  assert.deepEqual([...gpu], [...ts]);
});

Deno.test(
  "ginAggregate on webgpu split over dispatches (forced limit) equals one dispatch bit for bit",
  needsGpu,
  async () => {
    const n = 300, d = 3;
    const rng = new Philox(42, 0);
    const src: number[] = [], dst: number[] = [];
    for (let i = 0; i < 2000; i++) {
      src.push(rng.int(n));
      dst.push(rng.int(5) === 0 ? rng.int(n) : 7); // vertex 7 is a hub of ~1600 arcs
    }
    const csr = incomingCsr(n, src, dst);
    const h = Float32Array.from({ length: n * d }, () => rng.normal());
    const one = await ginAggregate(h, d, csr, { backend: "webgpu", eps: 0.25 });
    const split = await withLoopLimit(200, () => ginAggregate(h, d, csr, { backend: "webgpu", eps: 0.25 }));
    assert.deepEqual(split, one); // 150 arcs per dispatch: 11 dispatches
    const ts = await ginAggregate(h, d, csr, { backend: "ts", eps: 0.25 });
    for (let i = 0; i < ts.length; i++) assert.ok(Math.abs(one[i] - ts[i]) <= 1e-4 * (1 + Math.abs(ts[i])));
  },
);
