/**
 * Figures as vega-lite specs, rendered to SVG headlessly (no canvas, no browser), plus the small
 * spec builders the experiments share: line, bar, scatter and roofline charts.
 *
 * vega and vega-lite are loaded lazily (see npm.ts), so building specs needs no npm package; only
 * `renderSVG` and `figureBundle` do.
 *
 * Builders refuse data that vega would silently drop (rows missing a field, non-numeric or non-finite
 * values on a quantitative axis, values <= 0 on a log axis) instead of drawing a chart with holes.
 *
 * @module
 */
import { describe, InvalidArgumentError, requireFinite, requireInt } from "./errors.ts";
import { loadVega, loadVegaLite } from "./npm.ts";

/** A vega-lite specification (a JSON object, see https://vega.github.io/vega-lite/). */
export type VegaLiteSpec = Record<string, unknown>;

/** A named figure of a report: `name` is its file stem (name.svg, name.vl.json). */
export interface Figure {
  /** File stem: letters, digits, '.', '_', '-'. */
  name: string;
  /** Human-readable title. */
  title: string;
  /** The vega-lite spec. */
  spec: VegaLiteSpec;
  /** Optional caption shown under the figure. */
  caption?: string;
}

/** A Jupyter MIME bundle for a figure. */
export interface FigureBundle {
  /** The spec, for interactive rendering. */
  "application/vnd.vegalite.v5+json": VegaLiteSpec;
  /** The static rendering. */
  "image/svg+xml": string;
  /** Fallback text: the title. */
  "text/plain": string;
}

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

function requireSpec(spec: unknown): asserts spec is VegaLiteSpec {
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
    throw new InvalidArgumentError(`spec must be a vega-lite spec object, got ${describe(spec)}`);
  }
}

/**
 * Compiles a vega-lite spec and renders it to an SVG string, headlessly.
 *
 * @example
 * ```ts
 * import { lineChart, renderSVG } from "./figure.ts";
 * const svg = await renderSVG(lineChart({ data: [{ n: 1, t: 2 }, { n: 2, t: 3 }], x: "n", y: "t", title: "T" }));
 * ```
 */
export async function renderSVG(spec: VegaLiteSpec): Promise<string> {
  requireSpec(spec);
  const [vega, vl] = await Promise.all([loadVega(), loadVegaLite()]);
  let compiled;
  try {
    // vega tags data objects in place (Symbol(vega_id)); render a copy so the caller's spec is untouched.
    compiled = vl.compile(structuredClone(spec) as never).spec;
  } catch (e) {
    throw new InvalidArgumentError(`vega-lite could not compile the spec: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The title text of a spec (`title` may be a string, an array of lines, or `{ text }`). */
export function specTitle(spec: VegaLiteSpec): string | undefined {
  const t = spec.title as unknown;
  const text = typeof t === "object" && t !== null && !Array.isArray(t) ? (t as { text?: unknown }).text : t;
  if (typeof text === "string") return text;
  if (Array.isArray(text)) return text.join(" ");
  return undefined;
}

/**
 * A Jupyter MIME bundle with the vega-lite spec, its SVG rendering, and a plain-text fallback.
 *
 * @example
 * ```ts
 * import { figureBundle, scatter } from "./figure.ts";
 * const bundle = await figureBundle(scatter({ data: [{ a: 1, b: 2 }], x: "a", y: "b", title: "B vs A" }));
 * Object.keys(bundle); // ["application/vnd.vegalite.v5+json", "image/svg+xml", "text/plain"]
 * ```
 */
export async function figureBundle(spec: VegaLiteSpec, text?: string): Promise<FigureBundle> {
  requireSpec(spec);
  return {
    "application/vnd.vegalite.v5+json": spec,
    "image/svg+xml": await renderSVG(spec),
    "text/plain": text ?? specTitle(spec) ?? "vega-lite figure",
  };
}

// ---------------------------------------------------------------------------------------------
// Spec builders

/** Options shared by the chart builders. */
export interface ChartOptions {
  /** Rows to plot; every row must hold the x, y (and color) fields. */
  data: Record<string, unknown>[];
  /** Field on the x axis. */
  x: string;
  /** Field on the y axis (quantitative). */
  y: string;
  /** Field that splits the data into coloured series. */
  color?: string;
  /** Chart title. */
  title: string;
  /** x axis title (default: the field name). */
  xTitle?: string;
  /** y axis title (default: the field name). */
  yTitle?: string;
  /** Plot size in pixels (default 480 x 300). */
  width?: number;
  /** Plot height in pixels (default 300). */
  height?: number;
}

/** Options of `lineChart` and `scatter`. */
export interface XYChartOptions extends ChartOptions {
  /** Log-scale the x axis (values must be > 0). */
  logX?: boolean;
  /** Log-scale the y axis (values must be > 0). */
  logY?: boolean;
  /** Type of the x field (default "quantitative"). */
  xType?: "quantitative" | "ordinal" | "nominal" | "temporal";
}

type Check = "any" | "number" | "positive";

function checkData(data: unknown, fields: [string | undefined, Check, string][]): Record<string, unknown>[] {
  if (!Array.isArray(data) || data.length === 0) {
    throw new InvalidArgumentError(`data must be a non-empty array of rows, got ${describe(data)}`);
  }
  for (const [field, check, role] of fields) {
    if (field === undefined) continue;
    if (typeof field !== "string" || field === "") {
      throw new InvalidArgumentError(`${role} must be a field name, got ${describe(field)}`);
    }
    data.forEach((row, i) => {
      if (row === null || typeof row !== "object") {
        throw new InvalidArgumentError(`data[${i}] is not an object`);
      }
      const v = (row as Record<string, unknown>)[field];
      if (v === undefined || v === null) {
        throw new InvalidArgumentError(`data[${i}] has no "${field}" (the ${role} field)`);
      }
      if (check !== "any" && (typeof v !== "number" || !Number.isFinite(v))) {
        throw new InvalidArgumentError(`data[${i}].${field} must be a finite number, got ${describe(v)}`);
      }
      if (check === "positive" && (v as number) <= 0) {
        throw new InvalidArgumentError(`data[${i}].${field} = ${v}: a log axis needs values > 0`);
      }
    });
  }
  return data.map((row) => ({ ...row }));
}

function base(o: ChartOptions): VegaLiteSpec {
  if (typeof o.title !== "string") {
    throw new InvalidArgumentError(`title must be a string, got ${describe(o.title)}`);
  }
  return {
    $schema: SCHEMA,
    title: o.title,
    width: requireInt("width", o.width ?? 480, 10, 10000),
    height: requireInt("height", o.height ?? 300, 10, 10000),
    background: "white",
  };
}

function axis(field: string, type: string, title: string | undefined, log: boolean | undefined) {
  return { field, type, title: title ?? field, ...(log ? { scale: { type: "log" } } : {}) };
}

function colorEncoding(field: string | undefined) {
  return field === undefined ? {} : { color: { field, type: "nominal", title: field } };
}

function xyChart(o: XYChartOptions, mark: Record<string, unknown>): VegaLiteSpec {
  const xType = o.xType ?? "quantitative";
  const xCheck: Check = xType === "quantitative" ? (o.logX ? "positive" : "number") : "any";
  if (o.logX && xType !== "quantitative") {
    throw new InvalidArgumentError(`logX needs a quantitative x, not ${xType}`);
  }
  const data = checkData(o.data, [[o.x, xCheck, "x"], [o.y, o.logY ? "positive" : "number", "y"], [
    o.color,
    "any",
    "color",
  ]]);
  return {
    ...base(o),
    data: { values: data },
    mark: { ...mark, tooltip: true },
    encoding: {
      x: axis(o.x, xType, o.xTitle, o.logX),
      y: axis(o.y, "quantitative", o.yTitle, o.logY),
      ...colorEncoding(o.color),
    },
  };
}

/**
 * A line chart (one line per `color` value, points marked), optionally log-scaled.
 *
 * @example
 * ```ts
 * import { lineChart } from "./figure.ts";
 * const spec = lineChart({
 *   data: [{ n: 1, ms: 3, backend: "ts" }, { n: 2, ms: 5, backend: "ts" }],
 *   x: "n", y: "ms", color: "backend", logY: true, title: "Time vs size", xTitle: "n", yTitle: "ms",
 * });
 * ```
 */
export function lineChart(o: XYChartOptions & { points?: boolean }): VegaLiteSpec {
  return xyChart(o, { type: "line", point: o.points ?? true });
}

/**
 * A scatter plot, optionally log-scaled and coloured by a field.
 *
 * @example
 * ```ts
 * import { scatter } from "./figure.ts";
 * const spec = scatter({ data: [{ a: 1, b: 2 }, { a: 2, b: 3 }], x: "a", y: "b", title: "b against a" });
 * ```
 */
export function scatter(o: XYChartOptions): VegaLiteSpec {
  return xyChart(o, { type: "point", filled: true });
}

/**
 * A bar chart of a quantitative `y` per category `x`; with `color`, bars are grouped side by side.
 *
 * @example
 * ```ts
 * import { barChart } from "./figure.ts";
 * const spec = barChart({
 *   data: [{ kernel: "dot", speedup: 4.1, backend: "wasm" }, { kernel: "dot", speedup: 1, backend: "ts" }],
 *   x: "kernel", y: "speedup", color: "backend", title: "Speed-up over ts",
 * });
 * ```
 */
export function barChart(o: ChartOptions & { logY?: boolean }): VegaLiteSpec {
  const data = checkData(o.data, [[o.x, "any", "x"], [o.y, o.logY ? "positive" : "number", "y"], [
    o.color,
    "any",
    "color",
  ]]);
  return {
    ...base(o),
    data: { values: data },
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: o.x, type: "nominal", title: o.xTitle ?? o.x, sort: null },
      y: axis(o.y, "quantitative", o.yTitle, o.logY),
      ...colorEncoding(o.color),
      ...(o.color === undefined ? {} : { xOffset: { field: o.color, type: "nominal" } }),
    },
  };
}

/** One roofline ceiling: a memory bandwidth and a compute peak. */
export interface RooflineCeiling {
  /** Legend label, unique per chart. */
  label: string;
  /** Memory bandwidth in GB/s (1e9 bytes per second). */
  bandwidthGBs: number;
  /** Peak compute in GFLOP/s. */
  peakGFLOPs: number;
}

/** One measured kernel on a roofline plot. */
export interface RooflinePoint {
  /** Kernel name, printed beside the point. */
  label: string;
  /** Arithmetic intensity in flop/byte. */
  intensity: number;
  /** Measured GFLOP/s. */
  gflops: number;
}

/** Options of `rooflineChart`. */
export interface RooflineOptions {
  /** At least one ceiling. */
  ceilings: RooflineCeiling[];
  /** Measured kernels (optional). */
  points?: RooflinePoint[];
  /** Chart title (default "Roofline"). */
  title?: string;
  /** Intensity range of the ceiling lines (default 1/64 to 64 flop/byte; widened to include points). */
  minIntensity?: number;
  /** Upper end of the intensity range (default 64). */
  maxIntensity?: number;
  /** Plot width in pixels (default 480). */
  width?: number;
  /** Plot height in pixels (default 300). */
  height?: number;
}

function requireCeilings(ceilings: RooflineCeiling[]): void {
  if (!Array.isArray(ceilings) || ceilings.length === 0) {
    throw new InvalidArgumentError("a roofline needs at least one ceiling");
  }
  const labels = new Set<string>();
  ceilings.forEach((c, i) => {
    if (typeof c.label !== "string" || labels.has(c.label)) {
      throw new InvalidArgumentError(
        `ceilings[${i}].label must be a unique string, got ${describe(c.label)}`,
      );
    }
    labels.add(c.label);
    requireFinite(`ceilings[${i}].bandwidthGBs`, c.bandwidthGBs, Number.MIN_VALUE);
    requireFinite(`ceilings[${i}].peakGFLOPs`, c.peakGFLOPs, Number.MIN_VALUE);
  });
}

/**
 * The ceiling lines of a roofline, `min(peak, bandwidth * intensity)`, sampled at powers of two and
 * at each ridge point `peak / bandwidth`, so the kink is drawn exactly.
 *
 * @example
 * ```ts
 * import { rooflineRows } from "./figure.ts";
 * rooflineRows([{ label: "cpu", bandwidthGBs: 15, peakGFLOPs: 100 }], 1 / 64, 64).length; // 13 + ridge = 14
 * ```
 */
export function rooflineRows(
  ceilings: RooflineCeiling[],
  minIntensity: number,
  maxIntensity: number,
): { ceiling: string; intensity: number; gflops: number }[] {
  requireFinite("minIntensity", minIntensity, Number.MIN_VALUE);
  requireFinite("maxIntensity", maxIntensity, minIntensity);
  requireCeilings(ceilings);
  const rows = [];
  for (const c of ceilings) {
    const grid = new Set<number>([minIntensity, maxIntensity]);
    for (let e = Math.ceil(Math.log2(minIntensity)); 2 ** e <= maxIntensity; e++) grid.add(2 ** e);
    const ridge = c.peakGFLOPs / c.bandwidthGBs;
    if (ridge > minIntensity && ridge < maxIntensity) grid.add(ridge);
    for (const ai of [...grid].sort((a, b) => a - b)) {
      rows.push({ ceiling: c.label, intensity: ai, gflops: Math.min(c.peakGFLOPs, c.bandwidthGBs * ai) });
    }
  }
  return rows;
}

/**
 * A log-log roofline chart: one line per ceiling, `min(peak, bandwidth * intensity)` over arithmetic
 * intensity, and the measured kernels as points named in the legend.
 *
 * @example
 * ```ts
 * import { rooflineChart } from "./figure.ts";
 * const spec = rooflineChart({
 *   ceilings: [{ label: "2 cores, f32 SIMD", bandwidthGBs: 15.7, peakGFLOPs: 135 }],
 *   points: [{ label: "saxpy", intensity: 2 / 12, gflops: 2.4 }],
 *   title: "Roofline",
 * });
 * ```
 */
export function rooflineChart(o: RooflineOptions): VegaLiteSpec {
  requireCeilings(o.ceilings);
  const points = o.points ?? [];
  if (!Array.isArray(points)) {
    throw new InvalidArgumentError(`points must be an array, got ${describe(points)}`);
  }
  points.forEach((p, i) => {
    if (typeof p.label !== "string") throw new InvalidArgumentError(`points[${i}].label must be a string`);
    requireFinite(`points[${i}].intensity`, p.intensity, Number.MIN_VALUE);
    requireFinite(`points[${i}].gflops`, p.gflops, Number.MIN_VALUE);
  });
  const lo = Math.min(o.minIntensity ?? 1 / 64, ...points.map((p) => p.intensity));
  const hi = Math.max(o.maxIntensity ?? 64, ...points.map((p) => p.intensity));
  const x = { field: "intensity", type: "quantitative", title: "Arithmetic intensity (flop/byte)" };
  const y = { field: "gflops", type: "quantitative", title: "GFLOP/s" };
  const logX = { ...x, scale: { type: "log", domain: [lo, hi] } };
  const logY = { ...y, scale: { type: "log" } };
  const layer: Record<string, unknown>[] = [{
    data: { values: rooflineRows(o.ceilings, lo, hi) },
    mark: { type: "line", tooltip: true },
    encoding: {
      x: logX,
      y: logY,
      color: { field: "ceiling", type: "nominal", title: "Ceiling", sort: null, legend: { labelLimit: 360 } },
    },
  }];
  if (points.length > 0) {
    const values = points.map((p) => ({ kernel: p.label, intensity: p.intensity, gflops: p.gflops }));
    layer.push(
      {
        data: { values },
        mark: { type: "point", filled: true, size: 60, color: "black", tooltip: true },
        encoding: {
          x: logX,
          y: logY,
          // the legend names the kernels: labels beside the points overlap where points cluster
          shape: {
            field: "kernel",
            type: "nominal",
            title: "Kernel",
            sort: null,
            legend: { labelLimit: 360 },
          },
        },
      },
    );
  }
  return {
    ...base({ title: o.title ?? "Roofline", width: o.width, height: o.height } as ChartOptions),
    layer,
  };
}
