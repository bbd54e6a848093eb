import assert from "node:assert/strict";
import {
  cylinderMask,
  LbmInstabilityError,
  MultiComponentLBM,
  type WettingScheme,
} from "../../lib/lbm/mod.ts";
import { gpuUnavailableReason, releaseGpu } from "../../lib/runtime/gpu.ts";
import { droplet, maxDiff } from "./helpers.ts";

const noGpu = await gpuUnavailableReason();
if (noGpu) console.log(`skipping WebGPU LBM tests: ${noGpu}`);
const needsGpu = { ignore: noGpu !== null };

Deno.test({
  name: "webgpu agrees with the ts reference after N steps (every wetting scheme, E4 and E8)",
  ...needsGpu,
  async fn() {
    const nx = 36, ny = 32;
    const solid = cylinderMask(nx, ny, 18, 6, 6);
    const [r1, r2] = droplet(nx, ny, 8, 18, 18);
    const schemes: WettingScheme[] = [
      { type: "martys-chen", gAds: [-0.08, 0.08] },
      { type: "virtual-density", rhoW: [0.7, 0.4] },
      { type: "improved", phi: [1.1, 1], deltaRho: [0, 0.02] },
    ];
    for (const wetting of schemes) {
      for (const st of ["E4", "E8"] as const) {
        const out = [];
        for (const backend of ["ts", "webgpu"] as const) {
          const sim = new MultiComponentLBM({
            nx,
            ny,
            tau: [1, 0.7],
            G: 0.9,
            stencil: st,
            solid,
            wetting,
            backend,
            bodyForce: [1e-5, 0],
            stepsPerSubmit: 16,
          });
          sim.setDensities(r1, r2);
          await sim.run(60);
          out.push({ d: await sim.densities(), v: await sim.velocity(), m: await sim.mass() });
          sim.dispose();
        }
        const [ref, gpu] = out;
        const e = Math.max(maxDiff(ref.d[0], gpu.d[0]), maxDiff(ref.d[1], gpu.d[1]));
        const ev = Math.max(maxDiff(ref.v.ux, gpu.v.ux), maxDiff(ref.v.uy, gpu.v.uy));
        assert.ok(e < 2e-5, `${wetting.type} ${st}: density diff ${e}`);
        assert.ok(ev < 2e-6, `${wetting.type} ${st}: velocity diff ${ev}`);
        assert.ok(Math.abs(gpu.m[0] - ref.m[0]) / ref.m[0] < 2e-6, `mass ${gpu.m[0]} vs ${ref.m[0]}`);
      }
    }
  },
});

Deno.test({
  name: "webgpu does not drift in mass over a long run (f32 weights must not bias the collision)",
  ...needsGpu,
  async fn() {
    const nx = 32, ny = 32, steps = 1500;
    const [r1, r2] = droplet(nx, ny, 8);
    const sim = new MultiComponentLBM({
      nx,
      ny,
      tau: [1, 1],
      G: 0.9,
      stencil: "E4",
      backend: "webgpu",
      stepsPerSubmit: 100,
    });
    sim.setDensities(r1, r2);
    const m0 = await sim.mass();
    await sim.run(steps);
    const m1 = await sim.mass();
    sim.dispose();
    for (let k = 0; k < 2; k++) {
      const drift = Math.abs(m1[k] - m0[k]) / m0[k];
      assert.ok(drift < 1e-6, `component ${k}: relative mass drift ${drift} after ${steps} steps`);
    }
  },
});

Deno.test({
  name: "webgpu: an unstable run stops with the same step and cell as the ts reference",
  ...needsGpu,
  async fn() {
    const nx = 24, ny = 24;
    const errs = [];
    for (const backend of ["ts", "webgpu"] as const) {
      const sim = new MultiComponentLBM({
        nx,
        ny,
        tau: [0.51, 0.51],
        G: 4,
        stencil: "E4",
        backend,
        stepsPerSubmit: 7,
      });
      sim.setDensities(...droplet(nx, ny, 6));
      const err = await sim.run(500).then(() => null, (e) => e);
      assert.ok(err instanceof LbmInstabilityError, `${backend}: ${err}`);
      errs.push(err);
      sim.dispose();
    }
    assert.equal(errs[1].step, errs[0].step);
    assert.ok(
      Math.abs(errs[1].y - errs[0].y) <= 2,
      `cells ${errs[0].x},${errs[0].y} vs ${errs[1].x},${errs[1].y}`,
    );
    await releaseGpu();
  },
});
