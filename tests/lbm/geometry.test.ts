import assert from "node:assert/strict";
import { InvalidArgumentError, ShapeMismatchError } from "../../lib/core/errors.ts";
import {
  boundaryPlan,
  channelMask,
  constrictionMask,
  contactAngleOnCylinder,
  cylinderMask,
  decodePNG,
  fieldPNG,
  fitCircle,
  maskFromPNG,
  randomPorousMask,
  residualInSlug,
  signedDistance,
} from "../../lib/lbm/mod.ts";

Deno.test("masks: cylinder area, channel walls, constriction gap, porous discs are seeded", () => {
  const c = cylinderMask(64, 64, 32, 32, 10);
  const area = c.reduce((a, v) => a + v, 0);
  assert.ok(Math.abs(area - Math.PI * 100) < 0.05 * Math.PI * 100, `area ${area}`);
  const ch = channelMask(8, 10, 2);
  assert.deepEqual([...Array(10).keys()].map((y) => ch[y * 8]), [1, 1, 0, 0, 0, 0, 0, 0, 1, 1]);
  const k = constrictionMask(40, 20, { x0: 10, length: 5, gap: 6 });
  let open = 0;
  for (let y = 0; y < 20; y++) open += k[y * 40 + 12] ? 0 : 1;
  assert.equal(open, 6);
  const p1 = randomPorousMask(80, 60, { count: 6, radius: 5, seed: 3 });
  const p2 = randomPorousMask(80, 60, { count: 6, radius: 5, seed: 3 });
  const p3 = randomPorousMask(80, 60, { count: 6, radius: 5, seed: 4 });
  assert.deepEqual(p1, p2);
  assert.notDeepEqual(p1, p3);
  assert.throws(() => randomPorousMask(20, 20, { count: 50, radius: 5, seed: 1 }), InvalidArgumentError);
});

Deno.test("PNG: encode a field, decode it, threshold it back into the same mask", async () => {
  const nx = 23, ny = 17, solid = cylinderMask(nx, ny, 11, 8, 5);
  const png = await fieldPNG(Float32Array.from(solid, (v) => 1 - v), nx, ny, { min: 0, max: 1 });
  const img = await decodePNG(png);
  assert.equal(img.width, nx);
  assert.equal(img.height, ny);
  const { mask } = await maskFromPNG(png, { threshold: 100 });
  assert.deepEqual(mask, solid);
  await assert.rejects(() => decodePNG(new Uint8Array(40)), /not a PNG/);
});

Deno.test("signed distance is exact for a flat wall", () => {
  const d = signedDistance(channelMask(4, 12, 1), 4, 12);
  for (let y = 1; y < 6; y++) assert.equal(d[y * 4], y);
  assert.equal(d[0], -1);
});

Deno.test("circle fit and contact angle on a synthetic cap", () => {
  const pts: Array<[number, number]> = [];
  for (let k = 0; k < 40; k++) pts.push([5 + 7 * Math.cos(k), -3 + 7 * Math.sin(k)]);
  const c = fitCircle(pts);
  assert.ok(Math.abs(c.cx - 5) < 1e-9 && Math.abs(c.cy + 3) < 1e-9 && Math.abs(c.r - 7) < 1e-9);
  // a drop of radius 12 whose centre sits d = sqrt(Rs^2 + Rd^2) from the cylinder: theta = 90 degrees
  const nx = 120, ny = 120, cyl = { cx: 60, cy: 40, r: 15 }, rs = 15.5, rd = 12;
  const solid = cylinderMask(nx, ny, cyl.cx, cyl.cy, cyl.r);
  const d = Math.hypot(rs, rd);
  const r1 = new Float32Array(nx * ny), r2 = new Float32Array(nx * ny);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const s = Math.hypot(x - 60, y - (40 + d)) - rd; // signed distance to the drop surface
      r1[y * nx + x] = 0.55 - 0.47 * Math.tanh(s / 2);
      r2[y * nx + x] = 0.55 + 0.47 * Math.tanh(s / 2);
    }
  }
  const ang = contactAngleOnCylinder(r1, r2, nx, ny, solid, cyl);
  assert.ok(Math.abs(ang.thetaDeg - 90) < 1, `theta ${ang.thetaDeg}`);
});

Deno.test("boundary plan: bounce links pair each wall link once, layer 2 only for E6/E8", () => {
  const nx = 10, ny = 10, solid = channelMask(nx, ny, 3);
  const p4 = boundaryPlan(solid, nx, ny, "E4", { type: "improved" });
  const p8 = boundaryPlan(solid, nx, ny, "E8", { type: "improved" });
  assert.equal(p4.bounceDst.length, 2 * nx * 3); // 3 upward links per bottom wall cell, same on top
  assert.equal(new Set(p4.bounceDst).size, p4.bounceDst.length);
  assert.equal(p4.targets.length, 2 * nx);
  assert.equal(p8.targets.length, 4 * nx);
  assert.equal(p8.layer1, 2 * nx);
});

Deno.test("residualInSlug finds the slug across the periodic seam and counts the defending films", () => {
  const nx = 20, ny = 6;
  const r1 = new Float32Array(nx * ny).fill(0.1), r2 = new Float32Array(nx * ny).fill(1);
  const solid = new Uint8Array(nx * ny);
  for (let x = 0; x < nx; x++) solid[x] = solid[(ny - 1) * nx + x] = 1; // channel walls
  // slug over columns 16..19 and 0..3 (8 columns, wrapping); fluid 2 keeps the row next to each wall
  for (const x of [16, 17, 18, 19, 0, 1, 2, 3]) {
    for (let y = 2; y <= 3; y++) r1[y * nx + x] = 1, r2[y * nx + x] = 0.1;
  }
  // a shorter run of fluid 1 elsewhere is not the slug
  r1[3 * nx + 10] = 1, r2[3 * nx + 10] = 0.1;
  const s = residualInSlug(r1, r2, nx, ny, solid);
  assert.equal(s.length, 8);
  assert.equal(s.residual, 0.5); // rows 1 and 4 of rows 1..4
  assert.equal(residualInSlug(r2, r1, nx, ny, solid).length, 6); // columns 4..9 (column 10 breaks the run)
  assert.throws(() => residualInSlug(r1, r2, nx, ny + 1, solid), ShapeMismatchError);
});
