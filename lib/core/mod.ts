/**
 * Shared numerics and reporting: typed errors, the Philox RNG (TS, wasm, WebGPU), statistics,
 * tables, figures, progress and the Report type with its writers.
 *
 * @module
 */
export {
  BackendUnavailableError,
  InvalidArgumentError,
  KernelLoadError,
  requireFinite,
  requireInt,
  requireLength,
  ShapeMismatchError,
  TesseraError,
} from "./errors.ts";
export { fillU32, fillUniformF32, Philox, philox4x32, seedKey } from "./rng.ts";
export { fillU32Wasm, fillUniformF32Wasm } from "./rng_wasm.ts";
export { fillU32WebGPU, fillUniformF32WebGPU } from "./rng_webgpu.ts";
export {
  chiSquareGOF,
  linearFit,
  mean,
  meanCI,
  median,
  quantile,
  quantiles,
  std,
  studentTQuantile,
  summary,
  variance,
} from "./stats.ts";
export type { ChiSquareResult, LinearFit, MeanCI, Summary } from "./stats.ts";
export { aggregate, parseCSV, toCSV, toHTML, toMarkdown, toTable } from "./table.ts";
export { barChart, figureBundle, lineChart, renderSVG, rooflineChart, scatter } from "./figure.ts";
export type { Figure, RooflineCeiling, RooflinePoint, VegaLiteSpec } from "./figure.ts";
export { progress } from "./progress.ts";
export type { Progress, ProgressOptions } from "./progress.ts";
export {
  displayFigure,
  displayReport,
  environmentInfo,
  readReports,
  reportMarkdown,
  writeIndex,
  writeReport,
} from "./report.ts";
export type { Claim, Report, ReportTable } from "./report.ts";
