import assert from "node:assert/strict";
import { InvalidArgumentError, ShapeMismatchError } from "../../lib/core/errors.ts";
import { linearFit } from "../../lib/core/stats.ts";
import {
  channelMask,
  cylinderMask,
  dropletRadius,
  laplaceJump,
  LbmInstabilityError,
  maxSpeed,
  MultiComponentLBM,
  stencil,
  type WettingScheme,
} from "../../lib/lbm/mod.ts";
import { shutdownPools } from "../../lib/runtime/pool.ts";
import { droplet, layeredPoiseuilleError, maxDiff, RHO_MAIN, RHO_MINOR } from "./helpers.ts";

Deno.test("stencils: kappa = 1 and fourth-order isotropy", () => {
  for (const name of ["E4", "E6", "E8"] as const) {
    const s = stencil(name);
    assert.equal(s.length, { E4: 8, E6: 12, E8: 24 }[name]);
    const kappa = s.reduce((a, e) => a + e.w * e.dx * e.dx, 0);
    assert.ok(Math.abs(kappa - 1) < 1e-12, `${name} kappa ${kappa}`);
    const x4 = s.reduce((a, e) => a + e.w * e.dx ** 4, 0),
      x2y2 = s.reduce((a, e) => a + e.w * e.dx ** 2 * e.dy ** 2, 0);
    assert.ok(Math.abs(x4 - 3 * x2y2) < 1e-12, `${name} not isotropic at 4th order`);
  }
});

Deno.test("mass of each component is conserved (periodic, with and without walls), ts and wasm", async () => {
  const nx = 40, ny = 36;
  const [r1, r2] = droplet(nx, ny, 9);
  const cases: Array<
    { backend: "ts" | "wasm"; st: "E4" | "E8"; solid?: Uint8Array; wetting?: WettingScheme }
  > = [
    { backend: "ts", st: "E4" },
    { backend: "wasm", st: "E8" },
    {
      backend: "wasm",
      st: "E8",
      solid: cylinderMask(nx, ny, 20, 4, 5),
      wetting: { type: "improved", phi: [1.05, 1] },
    },
    {
      backend: "ts",
      st: "E4",
      solid: channelMask(nx, ny, 2),
      wetting: { type: "martys-chen", gAds: [-0.05, 0.05] },
    },
  ];
  for (const c of cases) {
    const sim = new MultiComponentLBM({
      nx,
      ny,
      tau: [1, 0.8],
      G: 0.9,
      stencil: c.st,
      backend: c.backend,
      solid: c.solid,
      wetting: c.wetting,
      bodyForce: [1e-6, 0],
    });
    sim.setDensities(r1, r2);
    const m0 = await sim.mass();
    await sim.run(150);
    const m1 = await sim.mass();
    const tol = c.backend === "ts" ? 1e-7 : 2e-6; // densities come back as f32
    for (let k = 0; k < 2; k++) {
      assert.ok(
        Math.abs(m1[k] - m0[k]) / m0[k] < tol,
        `${c.backend} ${c.st} component ${k}: ${m0[k]} -> ${m1[k]}`,
      );
    }
    sim.dispose();
  }
});

Deno.test("f32 backends do not drift in mass over a long run (wasm scalar and simd, tau 1 and 0.8)", async () => {
  // before the rest population took minus the sum of the other increments, the f32 weights (which sum
  // to 1 + 7.5e-9) made the mass grow by about 7e-9 per step at tau = 1: 1.5e-5 after 2000 steps
  const nx = 48, ny = 48, steps = 2000;
  const [r1, r2] = droplet(nx, ny, 12);
  for (const variant of ["simd", "scalar"] as const) {
    for (const tau of [[1, 1], [0.8, 1.2]] as const) {
      const sim = new MultiComponentLBM({ nx, ny, tau, G: 0.9, stencil: "E4", backend: "wasm", variant });
      sim.setDensities(r1, r2);
      const m0 = await sim.mass();
      await sim.run(steps);
      const m1 = await sim.mass();
      for (let k = 0; k < 2; k++) {
        const drift = Math.abs(m1[k] - m0[k]) / m0[k];
        assert.ok(drift < 1e-6, `${variant} tau ${tau} component ${k}: relative mass drift ${drift}`);
      }
      sim.dispose();
    }
  }
});

Deno.test("a uniform fluid at rest stays at rest (open and in a channel)", async () => {
  const nx = 24, ny = 20;
  for (const [backend, solid] of [["ts", undefined], ["wasm", channelMask(nx, ny, 2)]] as const) {
    const sim = new MultiComponentLBM({ nx, ny, tau: [0.9, 1.1], G: 0.9, stencil: "E8", backend, solid });
    sim.setDensities(new Float32Array(nx * ny).fill(RHO_MAIN), new Float32Array(nx * ny).fill(RHO_MINOR));
    await sim.run(100);
    const { ux, uy } = await sim.velocity();
    const [a, b] = await sim.densities();
    assert.ok(maxSpeed(ux, uy, sim.solid) < 1e-6, `${backend}: |u| = ${maxSpeed(ux, uy, sim.solid)}`);
    for (let c = 0; c < nx * ny; c++) {
      if (sim.solid[c]) continue;
      assert.ok(
        Math.abs(a[c] - RHO_MAIN) < 1e-5 && Math.abs(b[c] - RHO_MINOR) < 1e-5,
        `${backend} cell ${c}`,
      );
    }
    sim.dispose();
  }
});

Deno.test("backends agree after N steps: ts vs wasm scalar, simd, 2 threads, every wetting scheme", async () => {
  const nx = 36, ny = 32;
  const solid = cylinderMask(nx, ny, 18, 6, 6);
  const [r1, r2] = droplet(nx, ny, 8, 18, 18);
  const schemes: WettingScheme[] = [
    { type: "martys-chen", gAds: [-0.08, 0.08] },
    { type: "virtual-density", rhoW: [0.7, 0.4] },
    { type: "improved-virtual-density", phi: [1.1, 1], deltaRho: [0, 0.02] },
    { type: "improved", phi: [1.1, 1], deltaRho: [0, 0.02] },
  ];
  for (const wetting of schemes) {
    for (const st of ["E4", "E8"] as const) {
      const run = async (backend: "ts" | "wasm", variant?: "simd" | "scalar", threads?: number) => {
        const sim = new MultiComponentLBM({
          nx,
          ny,
          tau: [1, 0.7],
          G: 0.9,
          stencil: st,
          solid,
          wetting,
          backend,
          variant,
          threads,
        });
        sim.setDensities(r1, r2);
        await sim.run(60);
        const d = await sim.densities(), v = await sim.velocity();
        sim.dispose();
        return { d, v };
      };
      const ref = await run("ts");
      for (const [variant, threads] of [["scalar", 1], ["simd", 1], ["simd", 2]] as const) {
        const got = await run("wasm", variant, threads);
        const e = Math.max(maxDiff(ref.d[0], got.d[0]), maxDiff(ref.d[1], got.d[1]));
        const ev = Math.max(maxDiff(ref.v.ux, got.v.ux), maxDiff(ref.v.uy, got.v.uy));
        assert.ok(e < 2e-5, `${wetting.type} ${st} ${variant} x${threads}: density diff ${e}`);
        assert.ok(ev < 2e-6, `${wetting.type} ${st} ${variant} x${threads}: velocity diff ${ev}`);
      }
    }
  }
});

Deno.test("the SIMD rows agree with the ts reference on a periodic lattice, with a body force", async () => {
  // no solid cell: every group of 4 cells runs the SIMD passes, the two cells at each end the scalar cell
  const nx = 42, ny = 14;
  const [r1, r2] = droplet(nx, ny, 5, 20, 7);
  const run = async (backend: "ts" | "wasm", threads = 1) => {
    const sim = new MultiComponentLBM({
      nx,
      ny,
      tau: [0.8, 1.2],
      G: 0.9,
      stencil: "E4",
      bodyForce: [1e-5, -5e-6],
      backend,
      variant: backend === "wasm" ? "simd" : undefined,
      threads,
    });
    sim.setDensities(r1, r2);
    await sim.run(60);
    const d = await sim.densities(), v = await sim.velocity();
    sim.dispose();
    return { d, v };
  };
  const ref = await run("ts");
  for (const threads of [1, 2]) {
    const got = await run("wasm", threads);
    const e = Math.max(maxDiff(ref.d[0], got.d[0]), maxDiff(ref.d[1], got.d[1]));
    const ev = Math.max(maxDiff(ref.v.ux, got.v.ux), maxDiff(ref.v.uy, got.v.uy));
    assert.ok(e < 2e-5, `x${threads}: density diff ${e}`);
    assert.ok(ev < 2e-6, `x${threads}: velocity diff ${ev}`);
  }
});

Deno.test("the fused wasm sweep gives bit-identical results on 1, 2 and 3 threads (walls across range edges)", async () => {
  // the rows are claimed in blocks of 4: the channel walls and the cylinder put bounce links and virtual
  // densities on both sides of block edges, and every thread runs the SIMD rows through its own scratch
  // slot (E4 or the E8 stencil table, MRT coefficients). A thread must never store into a solid node: a
  // neighbouring block's bounce links may be writing there.
  const nx = 40, ny = 30;
  const walls = channelMask(nx, ny, 2);
  const cyl = cylinderMask(nx, ny, 20, 15, 5);
  for (let c = 0; c < nx * ny; c++) walls[c] |= cyl[c];
  const [r1, r2] = droplet(nx, ny, 6, 10, 12);
  const cases: Array<
    { solid: Uint8Array; wetting: WettingScheme; stencil?: "E4" | "E8"; collision?: "bgk" | "mrt" }
  > = [
    { solid: walls, wetting: { type: "martys-chen", gAds: [-0.05, 0.05] } },
    { solid: cyl, wetting: { type: "improved-virtual-density", phi: [1.1, 1], deltaRho: [0, 0.02] } },
    { solid: walls, wetting: { type: "improved", phi: [1.1, 1] }, stencil: "E8", collision: "mrt" },
  ];
  for (const { solid, wetting, stencil, collision } of cases) {
    const out = [];
    for (const threads of [1, 2, 3]) {
      const sim = new MultiComponentLBM({
        nx,
        ny,
        tau: [1, 0.8],
        G: 0.9,
        stencil: stencil ?? "E4",
        solid,
        wetting,
        collision,
        bodyForce: [1e-5, 0],
        backend: "wasm",
        threads,
      });
      sim.setDensities(r1, r2);
      await sim.run(40);
      out.push({ d: await sim.densities(), v: await sim.velocity() });
      sim.dispose();
    }
    for (const t of [1, 2]) {
      assert.deepEqual(
        out[t].d,
        out[0].d,
        `${wetting.type}: densities on ${t + 1} threads differ from 1 thread`,
      );
      assert.deepEqual(
        out[t].v,
        out[0].v,
        `${wetting.type}: velocity on ${t + 1} threads differs from 1 thread`,
      );
    }
  }
});

Deno.test("Laplace law: dp = sigma / R with R^2 > 0.99 (E4, wasm)", async () => {
  const n = 64, G = 0.9;
  const inv: number[] = [], dp: number[] = [];
  for (const r0 of [9, 12, 15, 18]) {
    const sim = new MultiComponentLBM({ nx: n, ny: n, tau: [1, 1], G, stencil: "E4", backend: "wasm" });
    sim.setDensities(...droplet(n, n, r0));
    await sim.run(3000);
    const [a, b] = await sim.densities();
    const R = dropletRadius(a, b);
    inv.push(1 / R);
    dp.push(laplaceJump(a, b, G, n, n, n / 2, n / 2, R / 2, R + 8));
    sim.dispose();
  }
  const fit = linearFit(inv, dp);
  assert.ok(fit.r2 > 0.99, `R^2 = ${fit.r2}`);
  assert.ok(fit.slope > 0, `sigma = ${fit.slope}`);
  assert.ok(
    Math.abs(fit.intercept) < 0.2 * fit.slope / 9,
    `intercept ${fit.intercept} vs sigma/R ${fit.slope / 9}`,
  );
});

Deno.test("co-current layered Poiseuille flow: L2 error < 2% against the analytic profile", async () => {
  const l2 = await layeredPoiseuilleError("bgk");
  assert.ok(l2 < 0.02, `L2 error ${l2}`);
});

Deno.test("bad input gets a clear error", async () => {
  const base = { nx: 16, ny: 16, tau: [1, 1] as [number, number], G: 0.9, stencil: "E4" as const };
  assert.throws(() => new MultiComponentLBM({ ...base, tau: [0.5, 1] }), InvalidArgumentError);
  assert.throws(
    () => new MultiComponentLBM({ ...base, tau: [1, 0.3] }),
    /tau\[1\] must be a finite number > 0.5/,
  );
  assert.throws(() => new MultiComponentLBM({ ...base, nx: 3 }), InvalidArgumentError);
  assert.throws(() => new MultiComponentLBM({ ...base, stencil: "E10" as "E4" }), /E4, E6, E8/);
  assert.throws(() => new MultiComponentLBM({ ...base, solid: new Uint8Array(10) }), ShapeMismatchError);
  assert.throws(
    () => new MultiComponentLBM({ ...base, solid: new Uint8Array(256).fill(2) }),
    /0 \(fluid\) or 1/,
  );
  assert.throws(
    () => new MultiComponentLBM({ ...base, wetting: { type: "nope" } as unknown as WettingScheme }),
    /unknown wetting/,
  );
  assert.throws(() => new MultiComponentLBM({ ...base, bodyForce: [NaN, 0] }), InvalidArgumentError);
  const sim = new MultiComponentLBM(base);
  assert.throws(
    () => sim.setDensities(new Float32Array(256), new Float32Array(256).fill(1)),
    /must be finite and > 0/,
  );
  assert.throws(
    () => sim.setDensities(new Float32Array(255).fill(1), new Float32Array(256).fill(1)),
    ShapeMismatchError,
  );
  const r = new Float32Array(256).fill(1);
  r[17] = -1;
  assert.throws(() => sim.setDensities(new Float32Array(256).fill(1), r), /rho2\[17\] \(x=1, y=1\)/);
  await assert.rejects(() => sim.run(1), /setDensities/);
});

Deno.test("an unstable run stops with the step and the cell", async () => {
  for (const backend of ["ts", "wasm"] as const) {
    const nx = 24, ny = 24;
    const sim = new MultiComponentLBM({ nx, ny, tau: [0.51, 0.51], G: 4, stencil: "E4", backend });
    sim.setDensities(...droplet(nx, ny, 6));
    const err = await sim.run(500).then(() => null, (e) => e);
    assert.ok(err instanceof LbmInstabilityError, `${backend}: expected LbmInstabilityError, got ${err}`);
    assert.ok(err.step >= 1 && err.step <= 500, `step ${err.step}`);
    assert.ok(err.x >= 0 && err.x < nx && err.y >= 0 && err.y < ny);
    assert.match(err.message, /after step \d+ the density of component [12] at cell \(x=\d+, y=\d+\)/);
  }
  await shutdownPools();
});
