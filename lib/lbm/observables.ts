/**
 * Observables of a two-component pseudopotential simulation: pressure, droplet radius and Laplace
 * pressure jump, interface contour and circle fit, contact angle on a cylinder, spurious currents, the
 * near-wall mass-transfer layer, interface position in a channel, and field snapshots (PNG bytes or a
 * vega-lite heatmap).
 *
 * @module
 */
import { InvalidArgumentError, requireInt, requireLength } from "../core/errors.ts";
import type { VegaLiteSpec } from "../core/figure.ts";
import { CS2 } from "./lattice.ts";

type Field = ArrayLike<number>;

/**
 * Bulk pressure p = c_s^2 (rho1 + rho2) + G rho1 rho2 (kappa = 1 convention), per cell.
 *
 * @example
 * ```ts
 * import { pressure } from "./observables.ts";
 * pressure(new Float32Array([1]), new Float32Array([0.1]), 0.9); // [0.3667 + 0.09]
 * ```
 */
export function pressure(rho1: Field, rho2: Field, G: number): Float64Array {
  requireLength("rho2", rho2, rho1.length, "rho1 and rho2 cover the same cells");
  const p = new Float64Array(rho1.length);
  for (let c = 0; c < p.length; c++) p[c] = CS2 * (rho1[c] + rho2[c]) + G * rho1[c] * rho2[c];
  return p;
}

/**
 * Largest |u| over fluid cells.
 *
 * @example
 * ```ts
 * import { maxSpeed } from "./observables.ts";
 * maxSpeed(new Float32Array([0.1, 0]), new Float32Array([0, 0.2])); // 0.2
 * ```
 */
export function maxSpeed(ux: Field, uy: Field, solid?: Uint8Array): number {
  let m = 0;
  for (let c = 0; c < ux.length; c++) if (!solid?.[c]) m = Math.max(m, Math.hypot(ux[c], uy[c]));
  return m;
}

/**
 * Mass of each component over fluid cells.
 *
 * @example
 * ```ts
 * import { componentMass } from "./observables.ts";
 * componentMass(new Float32Array([1, 2]), new Float32Array([3, 4])); // [3, 7]
 * ```
 */
export function componentMass(rho1: Field, rho2: Field, solid?: Uint8Array): [number, number] {
  let a = 0, b = 0;
  for (let c = 0; c < rho1.length; c++) {
    if (solid?.[c]) continue;
    a += rho1[c];
    b += rho2[c];
  }
  return [a, b];
}

/**
 * Equivalent radius of the component-1 droplet: sqrt(A / pi), A = sum over fluid cells of
 * (phi - phi_out) / (phi_in - phi_out), phi = (rho1 - rho2) / (rho1 + rho2), phi_in and phi_out its
 * largest and smallest values (the two bulk phases, so that dissolved densities do not count as area).
 *
 * @example
 * ```ts
 * import { dropletRadius } from "./observables.ts";
 * // dropletRadius(rho1, rho2) after a run
 * ```
 */
export function dropletRadius(rho1: Field, rho2: Field, solid?: Uint8Array): number {
  let lo = Infinity, hi = -Infinity;
  const phi = new Float64Array(rho1.length);
  for (let c = 0; c < rho1.length; c++) {
    if (solid?.[c]) continue;
    phi[c] = (rho1[c] - rho2[c]) / (rho1[c] + rho2[c]);
    lo = Math.min(lo, phi[c]);
    hi = Math.max(hi, phi[c]);
  }
  if (!(hi > lo)) throw new InvalidArgumentError("the field has a single phase: no droplet");
  let a = 0;
  for (let c = 0; c < rho1.length; c++) if (!solid?.[c]) a += (phi[c] - lo) / (hi - lo);
  return Math.sqrt(a / Math.PI);
}

/**
 * Pressure jump across a droplet of component 1 centred at (cx, cy): mean pressure within radius
 * `inner` of the centre minus the mean pressure of cells farther than `outer` from it (periodic
 * distances).
 *
 * @example
 * ```ts
 * import { laplaceJump } from "./observables.ts";
 * // laplaceJump(rho1, rho2, 0.9, nx, ny, nx / 2, ny / 2, 0.5 * R, R + 10)
 * ```
 */
export function laplaceJump(
  rho1: Field,
  rho2: Field,
  G: number,
  nx: number,
  ny: number,
  cx: number,
  cy: number,
  inner: number,
  outer: number,
): number {
  const p = pressure(rho1, rho2, G);
  let si = 0, ni = 0, so = 0, no = 0;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const dx = Math.min(Math.abs(x - cx), nx - Math.abs(x - cx));
      const dy = Math.min(Math.abs(y - cy), ny - Math.abs(y - cy));
      const r = Math.hypot(dx, dy);
      if (r <= inner) {
        si += p[y * nx + x];
        ni++;
      } else if (r >= outer) {
        so += p[y * nx + x];
        no++;
      }
    }
  }
  if (!ni || !no) throw new InvalidArgumentError(`no cells inside ${inner} or beyond ${outer} of the centre`);
  return si / ni - so / no;
}

/**
 * Points of the rho1 = rho2 contour, by linear interpolation along lattice edges between fluid cells.
 *
 * @example
 * ```ts
 * import { interfacePoints } from "./observables.ts";
 * // const pts = interfacePoints(rho1, rho2, nx, ny, solid);
 * ```
 */
export function interfacePoints(
  rho1: Field,
  rho2: Field,
  nx: number,
  ny: number,
  solid?: Uint8Array,
): Array<[number, number]> {
  const pts: Array<[number, number]> = [];
  const phi = (c: number) => rho1[c] - rho2[c];
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const c = y * nx + x;
      if (solid?.[c]) continue;
      if (x + 1 < nx && !solid?.[c + 1] && phi(c) * phi(c + 1) < 0) {
        pts.push([x + phi(c) / (phi(c) - phi(c + 1)), y]);
      }
      if (y + 1 < ny && !solid?.[c + nx] && phi(c) * phi(c + nx) < 0) {
        pts.push([x, y + phi(c) / (phi(c) - phi(c + nx))]);
      }
    }
  }
  return pts;
}

/**
 * Least-squares circle through points (Kasa's algebraic fit): centre and radius.
 *
 * @example
 * ```ts
 * import { fitCircle } from "./observables.ts";
 * fitCircle([[1, 0], [0, 1], [-1, 0], [0, -1]]); // { cx: 0, cy: 0, r: 1 }
 * ```
 */
export function fitCircle(points: Array<[number, number]>): { cx: number; cy: number; r: number } {
  if (points.length < 3) {
    throw new InvalidArgumentError(`a circle fit needs >= 3 points, got ${points.length}`);
  }
  // minimise sum (x^2 + y^2 + D x + E y + F)^2: normal equations of a 3x3 system
  const A = [[0, 0, 0], [0, 0, 0], [0, 0, 0]], b = [0, 0, 0];
  for (const [x, y] of points) {
    const row = [x, y, 1], z = -(x * x + y * y);
    for (let i = 0; i < 3; i++) {
      b[i] += row[i] * z;
      for (let j = 0; j < 3; j++) A[i][j] += row[i] * row[j];
    }
  }
  // Gaussian elimination with partial pivoting
  for (let i = 0; i < 3; i++) {
    let p = i;
    for (let r = i + 1; r < 3; r++) if (Math.abs(A[r][i]) > Math.abs(A[p][i])) p = r;
    [A[i], A[p]] = [A[p], A[i]];
    [b[i], b[p]] = [b[p], b[i]];
    if (Math.abs(A[i][i]) < 1e-12) throw new InvalidArgumentError("points are collinear: no circle fits");
    for (let r = i + 1; r < 3; r++) {
      const m = A[r][i] / A[i][i];
      for (let j = i; j < 3; j++) A[r][j] -= m * A[i][j];
      b[r] -= m * b[i];
    }
  }
  const s = [0, 0, 0];
  for (let i = 2; i >= 0; i--) {
    let v = b[i];
    for (let j = i + 1; j < 3; j++) v -= A[i][j] * s[j];
    s[i] = v / A[i][i];
  }
  const cx = -s[0] / 2, cy = -s[1] / 2;
  return { cx, cy, r: Math.sqrt(Math.max(0, cx * cx + cy * cy - s[2])) };
}

/** Result of {@link contactAngleOnCylinder}. */
export interface CylinderAngle {
  /** Contact angle measured through component 1, degrees. */
  thetaDeg: number;
  /** Fitted droplet circle. */
  drop: { cx: number; cy: number; r: number };
  /** Distance between the centres. */
  d: number;
  /** Contour points used in the fit. */
  points: number;
}

/**
 * Contact angle of a component-1 drop resting on a staircase cylinder (centre cx, cy, radius R):
 * cos(theta) = (Rs^2 + Rd^2 - d^2) / (2 Rs Rd), Rs = R + 0.5, Rd and the drop centre from a circle fit of
 * the rho1 = rho2 contour at distance > Rs + `margin` from the cylinder centre (default margin 3).
 *
 * @example
 * ```ts
 * import { contactAngleOnCylinder } from "./observables.ts";
 * // contactAngleOnCylinder(rho1, rho2, nx, ny, solid, { cx: 100, cy: 60, r: 25 })
 * ```
 */
export function contactAngleOnCylinder(
  rho1: Field,
  rho2: Field,
  nx: number,
  ny: number,
  solid: Uint8Array,
  cyl: { cx: number; cy: number; r: number },
  margin = 3,
): CylinderAngle {
  const rs = cyl.r + 0.5;
  const pts = interfacePoints(rho1, rho2, nx, ny, solid).filter(([x, y]) =>
    Math.hypot(x - cyl.cx, y - cyl.cy) > rs + margin
  );
  const drop = fitCircle(pts);
  const d = Math.hypot(drop.cx - cyl.cx, drop.cy - cyl.cy);
  const cos = (rs * rs + drop.r * drop.r - d * d) / (2 * rs * drop.r);
  return {
    thetaDeg: (Math.acos(Math.max(-1, Math.min(1, cos))) * 180) / Math.PI,
    drop,
    d,
    points: pts.length,
  };
}

/** Result of {@link wallLayerProfile}. */
export interface WallLayer {
  /** Mean density of the minor component per fluid layer k = 1..layers next to the wall. */
  minor: number[];
  /** Bulk minor density (mean over cells farther than `layers` from any wall in the same region). */
  bulk: number;
  /** (minor[0] - bulk) / bulk: the relative excess in the first fluid layer. */
  firstLayerExcess: number;
  /** Layers whose relative deviation from bulk exceeds `tol`: the mass-transfer layer thickness. */
  thickness: number;
}

/**
 * The mass-transfer layer: the density of the minor component of a region (component `minor` = 0 or 1)
 * in fluid layers next to the wall, against its bulk value, over the cells selected by `region`
 * (e.g. far from a drop). Layers are by distance to the nearest solid cell (signedDistance values
 * in (k - 0.5, k + 0.5]).
 *
 * @example
 * ```ts
 * import { wallLayerProfile } from "./observables.ts";
 * // wallLayerProfile(rho1, signedDist, (c) => farFromDrop(c), 0, 6)
 * ```
 */
export function wallLayerProfile(
  rhoMinor: Field,
  distance: Float64Array,
  region: (cell: number) => boolean,
  layers = 6,
  tol = 0.05,
): WallLayer {
  const sum = new Array(layers).fill(0), cnt = new Array(layers).fill(0);
  let bs = 0, bn = 0;
  for (let c = 0; c < rhoMinor.length; c++) {
    const d = distance[c];
    if (d <= 0 || !region(c)) continue;
    const k = Math.round(d) - 1;
    if (k < layers) {
      sum[k] += rhoMinor[c];
      cnt[k]++;
    } else if (d > layers + 2) {
      bs += rhoMinor[c];
      bn++;
    }
  }
  if (!bn || !cnt[0]) {
    throw new InvalidArgumentError("the region has no bulk cells or no cells next to the wall");
  }
  const bulk = bs / bn;
  const minor = sum.map((s, k) => (cnt[k] ? s / cnt[k] : NaN));
  let thickness = 0;
  while (thickness < layers && Math.abs(minor[thickness] / bulk - 1) > tol) thickness++;
  return { minor, bulk, firstLayerExcess: minor[0] / bulk - 1, thickness };
}

/**
 * Mean x position of the rho1 = rho2 interface in rows of a channel (points of the contour, averaged),
 * or NaN when there is none.
 *
 * @example
 * ```ts
 * import { interfacePositionX } from "./observables.ts";
 * // interfacePositionX(rho1, rho2, nx, ny, solid)
 * ```
 */
export function interfacePositionX(
  rho1: Field,
  rho2: Field,
  nx: number,
  ny: number,
  solid?: Uint8Array,
): number {
  const pts = interfacePoints(rho1, rho2, nx, ny, solid);
  return pts.length ? pts.reduce((s, p) => s + p[0], 0) / pts.length : NaN;
}

// ---------------------------------------------------------------------------------------------------
// Snapshots

const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

function colour(t: number): [number, number, number] {
  const u = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1),
    i = Math.min(VIRIDIS.length - 2, Math.floor(u));
  const f = u - i;
  return [0, 1, 2].map((k) => Math.round(VIRIDIS[i][k] * (1 - f) + VIRIDIS[i + 1][k] * f)) as [
    number,
    number,
    number,
  ];
}

const CRC = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC[(c ^ b) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A field as an RGB PNG (viridis colour map, solid cells grey, y up), `scale` pixels per cell.
 *
 * @example
 * ```ts
 * import { fieldPNG } from "./observables.ts";
 * const png = await fieldPNG(new Float32Array([0, 1, 2, 3]), 2, 2, { scale: 4 });
 * ```
 */
export async function fieldPNG(
  values: Field,
  nx: number,
  ny: number,
  options: { solid?: Uint8Array; min?: number; max?: number; scale?: number } = {},
): Promise<Uint8Array> {
  requireLength("values", values, nx * ny, "nx * ny cells");
  const s = options.scale ?? 1;
  let lo = options.min ?? Infinity, hi = options.max ?? -Infinity;
  if (options.min === undefined || options.max === undefined) {
    for (let c = 0; c < values.length; c++) {
      if (options.solid?.[c]) continue;
      if (options.min === undefined) lo = Math.min(lo, values[c]);
      if (options.max === undefined) hi = Math.max(hi, values[c]);
    }
  }
  const w = nx * s, h = ny * s, raw = new Uint8Array(h * (3 * w + 1));
  for (let py = 0; py < h; py++) {
    const y = ny - 1 - Math.floor(py / s);
    for (let px = 0; px < w; px++) {
      const c = y * nx + Math.floor(px / s);
      const rgb = options.solid?.[c] ? [128, 128, 128] : colour((values[c] - lo) / (hi - lo || 1));
      raw.set(rgb, py * (3 * w + 1) + 1 + 3 * px);
    }
  }
  const { deflateSync } = await import("node:zlib");
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length), dv = new DataView(out.buffer);
    dv.setUint32(0, data.length);
    out.set([...type].map((ch) => ch.charCodeAt(0)), 4);
    out.set(data, 8);
    dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
    return out;
  };
  const ihdr = new Uint8Array(13), dv = new DataView(ihdr.buffer);
  dv.setUint32(0, w);
  dv.setUint32(4, h);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * A vega-lite heatmap of a field, averaged into blocks so that at most `maxSide` blocks span each axis
 * (solid cells excluded from the averages; all-solid blocks omitted).
 *
 * @example
 * ```ts
 * import { fieldHeatmap } from "./observables.ts";
 * const spec = fieldHeatmap(new Float32Array(16).fill(1), 4, 4, { title: "rho1" });
 * ```
 */
export function fieldHeatmap(
  values: Field,
  nx: number,
  ny: number,
  options: { title: string; solid?: Uint8Array; maxSide?: number; field?: string; width?: number },
): VegaLiteSpec {
  requireLength("values", values, nx * ny, "nx * ny cells");
  const b = Math.max(1, Math.ceil(Math.max(nx, ny) / (options.maxSide ?? 60)));
  const field = options.field ?? "value";
  const rows: Record<string, number>[] = [];
  for (let by = 0; by < ny; by += b) {
    for (let bx = 0; bx < nx; bx += b) {
      let s = 0, k = 0;
      for (let y = by; y < Math.min(ny, by + b); y++) {
        for (let x = bx; x < Math.min(nx, bx + b); x++) {
          if (options.solid?.[y * nx + x]) continue;
          s += values[y * nx + x];
          k++;
        }
      }
      if (k) rows.push({ x: bx, y: by, x2: bx + b, y2: by + b, [field]: Number((s / k).toPrecision(4)) });
    }
  }
  const width = options.width ?? 360;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: options.title,
    width,
    height: Math.max(10, Math.round((width * ny) / nx)),
    background: "white",
    data: { values: rows },
    mark: { type: "rect" },
    encoding: {
      x: { field: "x", type: "quantitative", title: "x", scale: { domain: [0, nx] } },
      x2: { field: "x2" },
      y: { field: "y", type: "quantitative", title: "y", scale: { domain: [0, ny] } },
      y2: { field: "y2" },
      color: { field, type: "quantitative", scale: { scheme: "viridis" } },
    },
  };
}

/**
 * The invading slug of a periodic channel and the defending fluid left in it: the slug is the longest cyclic
 * run of columns whose centre-line cell is fluid 1 (phi > 0); the residual saturation is the share of the
 * slug's fluid cells where fluid 2 dominates (phi < 0), the films it leaves on the walls.
 *
 * @example
 * ```ts
 * import { residualInSlug } from "./observables.ts";
 * const r1 = new Float32Array(8 * 5).fill(1), r2 = new Float32Array(8 * 5).fill(0.1);
 * residualInSlug(r1, r2, 8, 5); // { length: 8, residual: 0 }
 * ```
 */
export function residualInSlug(
  r1: Field,
  r2: Field,
  nx: number,
  ny: number,
  solid?: Uint8Array,
): { length: number; residual: number } {
  requireInt("nx", nx, 1);
  requireInt("ny", ny, 1);
  requireLength("rho1", r1, nx * ny, "nx * ny");
  requireLength("rho2", r2, nx * ny, "nx * ny");
  if (solid !== undefined) requireLength("solid", solid, nx * ny, "nx * ny");
  const yc = Math.floor(ny / 2);
  const inSlug = Array.from({ length: nx }, (_, x) => r1[yc * nx + x] > r2[yc * nx + x]);
  if (inSlug.every(Boolean)) return { length: nx, residual: residualOver(0, nx) };
  // start the scan after a column outside the slug, so a run that wraps around is counted once
  const start = inSlug.indexOf(false);
  let best = 0, bestFrom = 0, run = 0, from = 0;
  for (let i = 1; i <= nx; i++) {
    const x = (start + i) % nx;
    if (inSlug[x]) {
      if (run === 0) from = x;
      run++;
      if (run > best) best = run, bestFrom = from;
    } else run = 0;
  }
  return { length: best, residual: best === 0 ? 0 : residualOver(bestFrom, best) };

  function residualOver(x0: number, len: number): number {
    let fluid = 0, held = 0;
    for (let i = 0; i < len; i++) {
      const x = (x0 + i) % nx;
      for (let y = 0; y < ny; y++) {
        const c = y * nx + x;
        if (solid && solid[c]) continue;
        fluid++;
        if (r2[c] > r1[c]) held++;
      }
    }
    return fluid === 0 ? 0 : held / fluid;
  }
}
