/**
 * Solid-fluid interaction schemes of the two-component pseudopotential model, and the per-step plans
 * (halfway bounce-back links, virtual-density fills) that every backend executes.
 *
 * Four schemes, side by side:
 * - `martys-chen`: adhesion force F_ads,s(x) = -G_ads,s rho_s(x) sum_k w_k s(x + c_k) c_k (s = 1 on
 *   solid nodes), with psi = 0 on solid nodes in the fluid-fluid force.
 * - `virtual-density`: constant densities rho_s,w on every solid node the interaction stencil reaches.
 * - `improved-virtual-density`: Li, Yu & Luo (PRE 100, 053313, 2019), per component: on each solid node
 *   next to fluid, rho_ave = sum_k w_k rho(x_s + c_k) s_f / sum_k w_k s_f over fluid D2Q9 neighbours,
 *   rho_w = clip(phi rho_ave - deltaRho, rhoMin, rhoMax). Solid nodes two layers deep (needed by E6/E8)
 *   are filled naively, layer by layer: the D2Q9 average of their layer-1 neighbours.
 * - `improved`: our reconstruction of the paper's scheme (labelled as such; the paper's exact equations are
 *   not reproduced here): layer 1 as above; each layer-2 node takes the E8-weighted average over every
 *   fluid and layer-1 node within the E8 stencil's reach (2 sqrt 2), fluid values passed through the same
 *   wetting transform: rho_w2 = clip((sum_fluid a_k (phi rho_k - deltaRho) + sum_layer1 a_k rho_w,k) /
 *   sum a_k, rhoMin, rhoMax), a_k = w_E8(|c_k|^2). On a staircase wall the layer-2 node thus sees the fluid
 *   it faces along the wall normal and diagonals, instead of an average of averages.
 *
 * @module
 */
import { describe, InvalidArgumentError } from "../core/errors.ts";
import { EX, EY, OPP, stencil, type StencilName, stencilReach, W } from "./lattice.ts";

/** Two numbers, one per component. */
export type Pair = readonly [number, number];

/** Martys-Chen adhesion: `gAds[s]` is G_ads of component s (usually gAds[1] = -gAds[0]). */
export interface MartysChenScheme {
  type: "martys-chen";
  gAds: Pair;
}

/** Constant virtual densities on solid nodes. */
export interface VirtualDensityScheme {
  type: "virtual-density";
  rhoW: Pair;
}

/** Parameters of the improved virtual-density schemes (per component). */
export interface ImprovedParams {
  /** Multiplier phi >= 1 on the neighbour average (wetting for that component). Default [1, 1]. */
  phi?: Pair;
  /** Subtracted density deltaRho >= 0 (non-wetting for that component). Default [0, 0]. */
  deltaRho?: Pair;
  /** Lower clip per component. Default [0, 0]. */
  rhoMin?: Pair;
  /** Upper clip per component. Default [Infinity, Infinity]. */
  rhoMax?: Pair;
}

/** Li-Yu-Luo (2019) improved virtual density, naive second layer. */
export interface ImprovedVirtualDensityScheme extends ImprovedParams {
  type: "improved-virtual-density";
}

/** Our reconstruction of the paper's improved scheme (second-layer reconstruction for E6/E8). */
export interface ImprovedScheme extends ImprovedParams {
  type: "improved";
}

/**
 * How solid nodes interact with the two fluids.
 *
 * @example
 * ```ts
 * import type { WettingScheme } from "./wetting.ts";
 * const neutral: WettingScheme = { type: "improved" };
 * const wetting1: WettingScheme = { type: "improved", phi: [1.1, 1], deltaRho: [0, 0.05] };
 * const adhesion: WettingScheme = { type: "martys-chen", gAds: [-0.1, 0.1] };
 * ```
 */
export type WettingScheme =
  | MartysChenScheme
  | VirtualDensityScheme
  | ImprovedVirtualDensityScheme
  | ImprovedScheme;

/** Names of the schemes. */
export const WETTING_SCHEMES = [
  "martys-chen",
  "virtual-density",
  "improved-virtual-density",
  "improved",
] as const;

const BIG = 3.0e38;

function pair(name: string, v: unknown, dflt: Pair, min = -Infinity): [number, number] {
  if (v === undefined) return [dflt[0], dflt[1]];
  if (!Array.isArray(v) || v.length !== 2) {
    throw new InvalidArgumentError(`${name} must be a pair [component1, component2], got ${describe(v)}`);
  }
  for (const x of v) {
    if (typeof x !== "number" || Number.isNaN(x) || x < min || x === -Infinity) {
      throw new InvalidArgumentError(`${name} entries must be numbers >= ${min}, got [${v.join(", ")}]`);
    }
  }
  return [v[0], v[1]];
}

/**
 * Checks a scheme and fills in defaults; throws InvalidArgumentError naming what is wrong.
 *
 * @example
 * ```ts
 * import { normalizeWetting } from "./wetting.ts";
 * normalizeWetting({ type: "improved" }); // phi [1, 1], deltaRho [0, 0], rhoMin [0, 0], rhoMax [Inf, Inf]
 * ```
 */
export function normalizeWetting(scheme: unknown): WettingScheme {
  if (scheme === null || typeof scheme !== "object" || !("type" in scheme)) {
    throw new InvalidArgumentError(
      `wetting must be an object with type one of ${WETTING_SCHEMES.join(", ")}, got ${describe(scheme)}`,
    );
  }
  const s = scheme as Record<string, unknown>;
  switch (s.type) {
    case "martys-chen": {
      const g = pair("gAds", s.gAds, [0, 0]);
      if (!g.every(Number.isFinite)) throw new InvalidArgumentError(`gAds must be finite, got [${g}]`);
      return { type: "martys-chen", gAds: g };
    }
    case "virtual-density": {
      if (s.rhoW === undefined) throw new InvalidArgumentError("virtual-density needs rhoW: [rho1w, rho2w]");
      const r = pair("rhoW", s.rhoW, [0, 0], 0);
      if (!r.every(Number.isFinite)) throw new InvalidArgumentError(`rhoW must be finite, got [${r}]`);
      return { type: "virtual-density", rhoW: r };
    }
    case "improved-virtual-density":
    case "improved": {
      const phi = pair("phi", s.phi, [1, 1], 0);
      const deltaRho = pair("deltaRho", s.deltaRho, [0, 0], 0);
      const rhoMin = pair("rhoMin", s.rhoMin, [0, 0], 0);
      const rhoMax = pair("rhoMax", s.rhoMax, [Infinity, Infinity], 0);
      for (const v of [...phi, ...deltaRho, ...rhoMin]) {
        if (!Number.isFinite(v)) throw new InvalidArgumentError(`phi, deltaRho and rhoMin must be finite`);
      }
      if (rhoMax[0] < rhoMin[0] || rhoMax[1] < rhoMin[1]) {
        throw new InvalidArgumentError(`rhoMax [${rhoMax}] must be >= rhoMin [${rhoMin}]`);
      }
      return { type: s.type, phi, deltaRho, rhoMin, rhoMax };
    }
    default:
      throw new InvalidArgumentError(
        `unknown wetting scheme ${describe(s.type)}; allowed: ${WETTING_SCHEMES.join(", ")}`,
      );
  }
}

/**
 * The per-step work that boundary handling needs, as flat index lists every backend runs the same way.
 *
 * - Bounce-back: before streaming, `f[bounceDst[i]] = f[bounceSrc[i]]` (component 1; component 2 adds
 *   9 N), which makes the pull-streaming of the next step a halfway bounce-back.
 * - Virtual densities: for target t (in order; layer-1 targets before layer-2 ones) and component s,
 *   rho_s[target] = clip(a_s T + P - d_s tsum[t] + c_s, lo_s, hi_s), with T = sum_k coefT[k] rho_s[src[k]],
 *   P = sum_k coefP[k] rho_s[src[k]] over k in [start[t], start[t+1]).
 */
export interface BoundaryPlan {
  bounceDst: Int32Array;
  bounceSrc: Int32Array;
  targets: Int32Array;
  /** Number of layer-1 targets (they come first; layer-2 targets read them). */
  layer1: number;
  start: Int32Array;
  src: Int32Array;
  coefT: Float32Array;
  coefP: Float32Array;
  tsum: Float32Array;
  /** Per component: a, d, c, lo, hi (a = phi, d = deltaRho, c = constant). 10 numbers. */
  params: Float32Array;
  /** Martys-Chen wall vector sum_k w_k s(x + c_k) c_k per cell (2N: x then y), or null. */
  wallVector: Float32Array | null;
  /** G_ads per component (zeros unless Martys-Chen). */
  gAds: [number, number];
}

/**
 * Builds the boundary plan for a mask (1 = solid), a stencil and a wetting scheme.
 *
 * @example
 * ```ts
 * import { boundaryPlan } from "./wetting.ts";
 * const solid = new Uint8Array(8 * 8);
 * for (let x = 0; x < 8; x++) solid[x] = 1; // a wall at y = 0
 * const plan = boundaryPlan(solid, 8, 8, "E4", { type: "improved" });
 * plan.targets.length; // 8: the wall row
 * ```
 */
export function boundaryPlan(
  solid: Uint8Array | null,
  nx: number,
  ny: number,
  stencilName: StencilName,
  wetting: WettingScheme,
): BoundaryPlan {
  wetting = normalizeWetting(wetting);
  const n = nx * ny;
  const empty: BoundaryPlan = {
    bounceDst: new Int32Array(0),
    bounceSrc: new Int32Array(0),
    targets: new Int32Array(0),
    layer1: 0,
    start: new Int32Array(1),
    src: new Int32Array(0),
    coefT: new Float32Array(0),
    coefP: new Float32Array(0),
    tsum: new Float32Array(0),
    params: new Float32Array(10),
    wallVector: null,
    gAds: [0, 0],
  };
  if (!solid || !solid.some((v) => v !== 0)) return empty;
  const idx = (x: number, y: number) => ((y + ny) % ny) * nx + ((x + nx) % nx);
  const dst: number[] = [], srcB: number[] = [];
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const c = y * nx + x;
      if (solid[c]) continue;
      for (let q = 1; q < 9; q++) {
        const s = idx(x - EX[q], y - EY[q]);
        if (solid[s]) {
          dst.push(q * n + s);
          srcB.push(OPP[q] * n + c);
        }
      }
    }
  }
  // layers: 1 = solid with a fluid D2Q9 neighbour; 2 = other solid within the stencil's reach of fluid
  const layer = new Uint8Array(n);
  const reach = stencilReach(stencilName);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const c = y * nx + x;
      if (!solid[c]) continue;
      let near = 99;
      for (let dy = -reach; dy <= reach; dy++) {
        for (let dx = -reach; dx <= reach; dx++) {
          if (!solid[idx(x + dx, y + dy)]) near = Math.min(near, Math.max(Math.abs(dx), Math.abs(dy)));
        }
      }
      if (near <= reach) layer[c] = near;
    }
  }
  const targets: number[] = [];
  for (const l of [1, 2]) for (let c = 0; c < n; c++) if (layer[c] === l) targets.push(c);
  const layer1 = targets.filter((c) => layer[c] === 1).length;
  const start = [0], src: number[] = [], coefT: number[] = [], coefP: number[] = [], tsum: number[] = [];
  const params = new Float32Array(10);
  let wallVector: Float32Array | null = null;
  let gAds: [number, number] = [0, 0];
  const e8 = stencil("E8");
  if (wetting.type === "improved" || wetting.type === "improved-virtual-density") {
    for (const t of targets) {
      const x = t % nx, y = (t - x) / nx;
      const entries: Array<[number, number, boolean]> = []; // src, weight, transformed
      if (layer[t] === 1) {
        for (let q = 1; q < 9; q++) {
          const s = idx(x + EX[q], y + EY[q]);
          if (!solid[s]) entries.push([s, W[q], true]);
        }
      } else if (wetting.type === "improved-virtual-density") {
        for (let q = 1; q < 9; q++) {
          const s = idx(x + EX[q], y + EY[q]);
          if (layer[s] === 1) entries.push([s, W[q], false]);
          else if (!solid[s]) entries.push([s, W[q], true]);
        }
      } else {
        for (const e of e8) {
          const s = idx(x + e.dx, y + e.dy);
          if (!solid[s]) entries.push([s, e.w, true]);
          else if (layer[s] === 1) entries.push([s, e.w, false]);
        }
      }
      const sum = entries.reduce((a, e) => a + e[1], 0);
      let ts = 0;
      for (const [s, w, tr] of entries) {
        src.push(s);
        coefT.push(tr ? w / sum : 0);
        coefP.push(tr ? 0 : w / sum);
        if (tr) ts += w / sum;
      }
      tsum.push(ts);
      start.push(src.length);
    }
    const { phi, deltaRho, rhoMin, rhoMax } = wetting as Required<ImprovedParams>;
    for (let k = 0; k < 2; k++) {
      params.set([phi[k], deltaRho[k], 0, rhoMin[k], Math.min(BIG, rhoMax[k])], 5 * k);
    }
  } else {
    for (const _ of targets) {
      tsum.push(0);
      start.push(0);
    }
    const rw = wetting.type === "virtual-density" ? wetting.rhoW : [0, 0];
    for (let k = 0; k < 2; k++) params.set([0, 0, rw[k], -BIG, BIG], 5 * k);
    if (wetting.type === "martys-chen") {
      gAds = [wetting.gAds[0], wetting.gAds[1]];
      wallVector = new Float32Array(2 * n);
      const st = stencil(stencilName);
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          let sx = 0, sy = 0;
          for (const e of st) {
            if (solid[idx(x + e.dx, y + e.dy)]) {
              sx += e.w * e.dx;
              sy += e.w * e.dy;
            }
          }
          wallVector[y * nx + x] = sx;
          wallVector[n + y * nx + x] = sy;
        }
      }
    }
  }
  return {
    bounceDst: Int32Array.from(dst),
    bounceSrc: Int32Array.from(srcB),
    targets: Int32Array.from(targets),
    layer1,
    start: Int32Array.from(start),
    src: Int32Array.from(src),
    coefT: Float32Array.from(coefT),
    coefP: Float32Array.from(coefP),
    tsum: Float32Array.from(tsum),
    params,
    wallVector,
    gAds,
  };
}

/**
 * Applies the virtual-density fill of a plan to density arrays (TS reference; targets in [t0, t1)).
 *
 * @example
 * ```ts
 * import { applyFill, boundaryPlan } from "./wetting.ts";
 * const solid = new Uint8Array(64); solid.fill(1, 0, 8);
 * const plan = boundaryPlan(solid, 8, 8, "E4", { type: "virtual-density", rhoW: [0.5, 0.5] });
 * const rho1 = new Float64Array(64).fill(1), rho2 = new Float64Array(64).fill(0.1);
 * applyFill(plan, rho1, rho2, 0, plan.targets.length); // rho1[0..7] = 0.5
 * ```
 */
export function applyFill(
  plan: BoundaryPlan,
  rho1: Float64Array | Float32Array,
  rho2: Float64Array | Float32Array,
  t0: number,
  t1: number,
): void {
  const p = plan.params;
  const rhos = [rho1, rho2];
  for (let t = t0; t < t1; t++) {
    for (let s = 0; s < 2; s++) {
      const rho = rhos[s];
      let T = 0, P = 0;
      for (let k = plan.start[t]; k < plan.start[t + 1]; k++) {
        T += plan.coefT[k] * rho[plan.src[k]];
        P += plan.coefP[k] * rho[plan.src[k]];
      }
      const v = p[5 * s] * T + P - p[5 * s + 1] * plan.tsum[t] + p[5 * s + 2];
      rho[plan.targets[t]] = Math.min(p[5 * s + 4], Math.max(p[5 * s + 3], v));
    }
  }
}
