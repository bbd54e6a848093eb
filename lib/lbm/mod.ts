/**
 * Two-component pseudopotential (Shan-Chen) lattice Boltzmann with several solid-fluid interaction
 * schemes, geometry helpers and observables.
 *
 * @example
 * ```ts
 * import { cylinderMask, MultiComponentLBM } from "./mod.ts";
 * const nx = 64, ny = 64;
 * const sim = new MultiComponentLBM({
 *   nx, ny, tau: [1, 1], G: 0.9, stencil: "E8",
 *   solid: cylinderMask(nx, ny, 32, 20, 10), wetting: { type: "improved", phi: [1.05, 1] },
 * });
 * sim.setDensities(new Float32Array(nx * ny).fill(1.02), new Float32Array(nx * ny).fill(0.076));
 * await sim.run(10);
 * const [rho1, rho2] = await sim.densities();
 * ```
 *
 * @module
 */
export { MultiComponentLBM, type MultiComponentLBMOptions } from "./simulation.ts";
export { LbmInstabilityError } from "./engine.ts";
export {
  addMrtCorrection,
  type Collision,
  type CollisionOption,
  magicRate,
  MRT_E,
  MRT_EPS,
  MRT_QX,
  MRT_QY,
  type MrtOptions,
  normalizeCollision,
} from "./collision.ts";
export {
  CS2,
  EX,
  EY,
  OPP,
  stencil,
  type StencilEntry,
  type StencilName,
  stencilReach,
  W,
} from "./lattice.ts";
export {
  type BoundaryPlan,
  boundaryPlan,
  type ImprovedParams,
  type ImprovedScheme,
  type ImprovedVirtualDensityScheme,
  type MartysChenScheme,
  normalizeWetting,
  type VirtualDensityScheme,
  WETTING_SCHEMES,
  type WettingScheme,
} from "./wetting.ts";
export {
  channelMask,
  constrictionMask,
  type ConstrictionOptions,
  cylinderMask,
  decodePNG,
  type GrayImage,
  maskFromPNG,
  type PorousOptions,
  randomPorousMask,
  signedDistance,
} from "./geometry.ts";
export {
  componentMass,
  contactAngleOnCylinder,
  type CylinderAngle,
  dropletRadius,
  fieldHeatmap,
  fieldPNG,
  fitCircle,
  interfacePoints,
  interfacePositionX,
  laplaceJump,
  maxSpeed,
  pressure,
  residualInSlug,
  type WallLayer,
  wallLayerProfile,
} from "./observables.ts";
export { layeredPoiseuille } from "./analytic.ts";
