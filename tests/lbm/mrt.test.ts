import assert from "node:assert/strict";
import { InvalidArgumentError } from "../../lib/core/errors.ts";
import { Philox } from "../../lib/core/rng.ts";
import { linearFit } from "../../lib/core/stats.ts";
import {
  addMrtCorrection,
  channelMask,
  type CollisionOption,
  cylinderMask,
  dropletRadius,
  EX,
  EY,
  laplaceJump,
  magicRate,
  MultiComponentLBM,
  normalizeCollision,
  W,
  type WettingScheme,
} from "../../lib/lbm/mod.ts";
import { gpuUnavailableReason, releaseGpu } from "../../lib/runtime/gpu.ts";
import { shutdownPools } from "../../lib/runtime/pool.ts";
import { droplet, layeredPoiseuilleError, maxDiff } from "./helpers.ts";

/** Solves A x = b (Gaussian elimination with partial pivoting), A n x n row-major. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length, a = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const m = a[r][c] / a[c][c];
      for (let k = c; k <= n; k++) a[r][k] -= m * a[c][k];
    }
  }
  return a.map((r, i) => r[n] / r[i]);
}

Deno.test("MRT = BGK + correction equals a full moment-space MRT collision with Guo forcing", () => {
  // the moment matrix written from the velocities (not from collision.ts's rows): 1, e, eps, jx, qx, jy,
  // qy, pxx, pxy, and the collision m' = m - S (m - M feq) + (I - S/2) M Fbar solved back with a numeric
  // inverse
  const rows = (q: number) => {
    const ex = EX[q], ey = EY[q], e2 = ex * ex + ey * ey;
    return [
      1,
      3 * e2 - 4,
      4.5 * e2 * e2 - 10.5 * e2 + 4,
      ex,
      (3 * e2 - 5) * ex,
      ey,
      (3 * e2 - 5) * ey,
      ex * ex -
      ey * ey,
      ex * ey,
    ];
  };
  const M = Array.from({ length: 9 }, (_, k) => Array.from({ length: 9 }, (_, q) => rows(q)[k]));
  const rng = new Philox(11, 0);
  for (let trial = 0; trial < 20; trial++) {
    const tau = 0.55 + rng.uniform(), om = 1 / tau, sc = 1 - 0.5 / tau;
    const se = 0.3 + 1.6 * rng.uniform(), seps = 0.3 + 1.6 * rng.uniform(), sq = 0.3 + 1.6 * rng.uniform();
    const f = Array.from({ length: 9 }, (_, q) => W[q] * (0.5 + rng.uniform()));
    const r = f.reduce((a, b) => a + b, 0);
    const ux = 0.1 * (rng.uniform() - 0.5), uy = 0.1 * (rng.uniform() - 0.5);
    const fx = 1e-2 * (rng.uniform() - 0.5), fy = 1e-2 * (rng.uniform() - 0.5);
    const usq = ux * ux + uy * uy;
    const feq = f.map((_, q) => {
      const eu = EX[q] * ux + EY[q] * uy;
      return W[q] * r * (1 + 3 * eu + 4.5 * eu * eu - 1.5 * usq);
    });
    const fbar = f.map((_, q) => {
      const eu = EX[q] * ux + EY[q] * uy;
      return W[q] * (3 * ((EX[q] - ux) * fx + (EY[q] - uy) * fy) + 9 * eu * (EX[q] * fx + EY[q] * fy));
    });
    const S = [om, se, seps, om, sq, om, sq, om, om];
    const mv = (v: number[]) => M.map((row) => row.reduce((a, m, q) => a + m * v[q], 0));
    const m = mv(f), meq = mv(feq), mF = mv(fbar);
    const mPost = m.map((mk, k) => mk - S[k] * (mk - meq[k]) + (1 - S[k] / 2) * mF[k]);
    const want = solve(M, mPost);
    const got = f.map((fq, q) => fq - om * (fq - feq[q]) + sc * fbar[q]);
    addMrtCorrection(f, 0, r, ux, uy, fx, fy, [om - se, om - seps, om - sq], got);
    for (let q = 0; q < 9; q++) {
      assert.ok(Math.abs(got[q] - want[q]) < 1e-13, `trial ${trial} q ${q}: ${got[q]} vs ${want[q]}`);
    }
  }
});

Deno.test("collision options: defaults, the magic rate, BGK as the special case, bad rates rejected", async () => {
  assert.ok(Math.abs(magicRate(1) - 8 / 7) < 1e-15);
  // (tau - 1/2)(1/s_q - 1/2) = 3/16
  for (const tau of [0.6, 1, 1.7]) {
    assert.ok(Math.abs((tau - 0.5) * (1 / magicRate(tau) - 0.5) - 3 / 16) < 1e-15);
  }
  const c = normalizeCollision("mrt", [1, 0.8]);
  assert.equal(c.type, "mrt");
  if (c.type === "mrt") {
    assert.deepEqual([c.se, c.seps], [1, 1]);
    assert.ok(Math.abs(c.k[1][0] - (1.25 - 1)) < 1e-15 && Math.abs(c.k[0][2] - (1 - 8 / 7)) < 1e-15);
  }
  assert.deepEqual(normalizeCollision(undefined, [1, 1]), { type: "bgk" });
  for (const bad of [{ type: "mrt", se: 2 }, { type: "mrt", seps: 0 }, { type: "mrt", sq: NaN }]) {
    assert.throws(() => normalizeCollision(bad as never, [1, 1]), InvalidArgumentError);
  }
  assert.throws(() => normalizeCollision("trt" as never, [1, 1]), /"bgk", "mrt"/);
  assert.throws(
    () =>
      new MultiComponentLBM({
        nx: 8,
        ny: 8,
        tau: [1, 1],
        G: 0.9,
        stencil: "E4",
        collision: { type: "mrt", se: -1 },
      }),
    /collision\.se must be a relaxation rate in \(0, 2\)/,
  );
  // all rates 1/tau: MRT is BGK, bit for bit (the correction is exactly 0)
  const nx = 20, ny = 18, [r1, r2] = droplet(nx, ny, 5);
  const out = [];
  for (const collision of ["bgk", { type: "mrt", se: 1 / 0.8, seps: 1 / 0.8, sq: 1 / 0.8 }] as const) {
    const sim = new MultiComponentLBM({
      nx,
      ny,
      tau: [0.8, 0.8],
      G: 0.9,
      stencil: "E4",
      backend: "ts",
      collision,
    });
    sim.setDensities(r1, r2);
    await sim.run(20);
    out.push(await sim.populations());
    sim.dispose();
  }
  assert.equal(maxDiff(out[0], out[1]), 0);
});

const MRT = { type: "mrt", se: 1.4, seps: 1.2 } as const;

Deno.test("MRT: every backend agrees with the ts reference (wasm scalar, simd, 2 threads; walls, adhesion, E4/E8)", async () => {
  const nx = 36, ny = 32;
  const solid = cylinderMask(nx, ny, 18, 6, 6);
  const [r1, r2] = droplet(nx, ny, 8, 18, 18);
  const cases: Array<{ st: "E4" | "E8"; solid?: Uint8Array; wetting?: WettingScheme }> = [
    { st: "E4" }, // periodic, no solid
    { st: "E4", solid, wetting: { type: "martys-chen", gAds: [-0.08, 0.08] } },
    { st: "E8", solid, wetting: { type: "improved", phi: [1.1, 1], deltaRho: [0, 0.02] } },
  ];
  for (const c of cases) {
    const run = async (
      backend: "ts" | "wasm" | "webgpu",
      variant?: "simd" | "scalar",
      threads?: number,
      collision: CollisionOption = MRT,
    ) => {
      const sim = new MultiComponentLBM({
        nx,
        ny,
        tau: [1, 0.7],
        G: 0.9,
        stencil: c.st,
        solid: c.solid,
        wetting: c.wetting,
        bodyForce: [1e-5, -4e-6],
        collision,
        backend,
        variant,
        threads,
        stepsPerSubmit: 16,
      });
      sim.setDensities(r1, r2);
      await sim.run(60);
      const d = await sim.densities(), v = await sim.velocity(), m = await sim.mass();
      sim.dispose();
      return { d, v, m };
    };
    const ref = await run("ts");
    const runs: Array<[string, () => Promise<typeof ref>]> = [
      ["wasm scalar", () => run("wasm", "scalar", 1)],
      ["wasm simd", () => run("wasm", "simd", 1)],
      ["wasm simd x2", () => run("wasm", "simd", 2)],
    ];
    const noGpu = await gpuUnavailableReason();
    if (noGpu === null) runs.push(["webgpu", () => run("webgpu")]);
    else console.log(`MRT webgpu agreement skipped: ${noGpu}`);
    for (const [name, go] of runs) {
      const got = await go();
      const e = Math.max(maxDiff(ref.d[0], got.d[0]), maxDiff(ref.d[1], got.d[1]));
      const ev = Math.max(maxDiff(ref.v.ux, got.v.ux), maxDiff(ref.v.uy, got.v.uy));
      assert.ok(e < 2e-5, `${c.st} ${c.wetting?.type ?? "open"} ${name}: density diff ${e}`);
      assert.ok(ev < 2e-6, `${c.st} ${c.wetting?.type ?? "open"} ${name}: velocity diff ${ev}`);
      for (let k = 0; k < 2; k++) {
        assert.ok(Math.abs(got.m[k] - ref.m[k]) / ref.m[k] < 2e-6, `${name} mass ${got.m[k]} vs ${ref.m[k]}`);
      }
    }
    // the MRT run differs from BGK (the test would pass trivially otherwise)
    const db = (await run("ts", undefined, undefined, "bgk")).d;
    assert.ok(
      maxDiff(db[0], ref.d[0]) > 1e-4,
      `MRT and BGK densities differ by ${maxDiff(db[0], ref.d[0])} only`,
    );
  }
  await releaseGpu();
});

Deno.test("MRT conserves the mass of each component (ts to round-off, wasm simd in f32 without drift)", async () => {
  const nx = 40, ny = 36, [r1, r2] = droplet(nx, ny, 9);
  for (const backend of ["ts", "wasm"] as const) {
    const sim = new MultiComponentLBM({
      nx,
      ny,
      tau: [0.6, 0.9],
      G: 0.9,
      stencil: "E8",
      solid: channelMask(nx, ny, 2),
      wetting: { type: "martys-chen", gAds: [-0.05, 0.05] },
      bodyForce: [1e-6, 0],
      collision: "mrt",
      backend,
    });
    sim.setDensities(r1, r2);
    const m0 = await sim.mass();
    await sim.run(backend === "ts" ? 150 : 1500);
    const m1 = await sim.mass();
    const tol = backend === "ts" ? 1e-7 : 2e-6;
    for (let k = 0; k < 2; k++) {
      assert.ok(Math.abs(m1[k] - m0[k]) / m0[k] < tol, `${backend} component ${k}: ${m0[k]} -> ${m1[k]}`);
    }
    sim.dispose();
  }
});

Deno.test("MRT: Laplace law dp = sigma / R with R^2 > 0.99 (E4, tau 0.7, wasm)", async () => {
  const n = 64, inv: number[] = [], dp: number[] = [];
  for (const r0 of [9, 12, 15, 18]) {
    const [r1, r2] = droplet(n, n, r0);
    const sim = new MultiComponentLBM({
      nx: n,
      ny: n,
      tau: [0.7, 0.7],
      G: 0.9,
      stencil: "E4",
      collision: "mrt",
      backend: "wasm",
    });
    sim.setDensities(r1, r2);
    await sim.run(3000);
    const [d1, d2] = await sim.densities();
    const R = dropletRadius(d1, d2);
    inv.push(1 / R);
    dp.push(laplaceJump(d1, d2, 0.9, n, n, n / 2, n / 2, R / 2, R + 8));
    sim.dispose();
  }
  const fit = linearFit(inv, dp);
  assert.ok(fit.r2 > 0.99, `R^2 = ${fit.r2}`);
  assert.ok(fit.slope > 0, `sigma = ${fit.slope}`);
});

Deno.test("MRT: co-current layered Poiseuille flow, L2 error < 2% against the analytic profile", async () => {
  const l2 = await layeredPoiseuilleError("mrt");
  assert.ok(l2 < 0.02, `L2 error ${l2}`);
  await shutdownPools();
});
