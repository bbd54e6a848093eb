import assert from "node:assert/strict";
import { InvalidArgumentError } from "../../lib/core/errors.ts";
import {
  barChart,
  figureBundle,
  lineChart,
  renderSVG,
  rooflineChart,
  rooflineRows,
  scatter,
  specTitle,
} from "../../lib/core/figure.ts";

/** Number of SVG elements of a given vega aria role ("line mark", "point", "bar", "text mark"). */
function marks(svg: string, role: string): number {
  return svg.split(`aria-roledescription="${role}"`).length - 1;
}

const series = [
  { n: 1, ms: 2, backend: "ts" },
  { n: 2, ms: 3, backend: "ts" },
  { n: 4, ms: 5, backend: "ts" },
  { n: 1, ms: 1, backend: "wasm" },
  { n: 2, ms: 1.5, backend: "wasm" },
  { n: 4, ms: 2, backend: "wasm" },
];

Deno.test("lineChart renders one line per series, with points and the title", async () => {
  const spec = lineChart({
    data: series,
    x: "n",
    y: "ms",
    color: "backend",
    logX: true,
    logY: true,
    title: "Time per call",
    xTitle: "size",
    yTitle: "milliseconds",
  });
  const svg = await renderSVG(spec);
  assert.match(svg, /^<svg/);
  assert.ok(svg.includes(">Time per call</text>"));
  assert.ok(svg.includes(">milliseconds</text>"));
  assert.equal(marks(svg, "line mark"), 2);
  assert.equal(marks(svg, "point"), 6);
});

Deno.test("scatter and barChart draw one mark per row", async () => {
  const s = await renderSVG(scatter({ data: series, x: "n", y: "ms", title: "Scatter title" }));
  assert.equal(marks(s, "point"), 6);
  assert.ok(s.includes("Scatter title"));
  const b = await renderSVG(barChart({ data: series, x: "n", y: "ms", color: "backend", title: "Bars" }));
  assert.equal(marks(b, "bar"), 6);
  assert.ok(b.includes(">Bars</text>"));
});

Deno.test("rooflineRows follows min(peak, bandwidth * intensity) and hits the ridge", () => {
  const rows = rooflineRows([{ label: "cpu", bandwidthGBs: 15, peakGFLOPs: 100 }], 1 / 64, 64);
  assert.equal(rows.length, 14); // 13 powers of two plus the ridge at 100/15
  for (const r of rows) assert.equal(r.gflops, Math.min(100, 15 * r.intensity));
  assert.ok(rows.some((r) => Math.abs(r.intensity - 100 / 15) < 1e-12 && r.gflops === 100));
  assert.deepEqual([rows[0].intensity, rows.at(-1)!.intensity], [1 / 64, 64]);
});

Deno.test("rooflineChart draws a line per ceiling and kernel points named in the legend", async () => {
  const spec = rooflineChart({
    ceilings: [
      { label: "DRAM", bandwidthGBs: 15.7, peakGFLOPs: 135 },
      { label: "L2", bandwidthGBs: 60, peakGFLOPs: 135 },
    ],
    points: [
      { label: "saxpy", intensity: 1 / 6, gflops: 2.4 },
      { label: "matmul", intensity: 40, gflops: 100 },
      { label: "stencil", intensity: 0.005, gflops: 0.05 },
    ],
    title: "Roofline of this machine",
  });
  const svg = await renderSVG(spec);
  assert.ok(svg.includes("Roofline of this machine"));
  assert.equal(marks(svg, "line mark"), 2);
  assert.equal(marks(svg, "point"), 3);
  assert.ok(svg.includes(">matmul</text>"), "the legend names each kernel");
  // A point below 1/64 flop/byte widens the x domain instead of falling off the chart.
  const layer = (spec.layer as { encoding: { x: { scale: { domain: number[] } } } }[])[0];
  assert.deepEqual(layer.encoding.x.scale.domain, [0.005, 64]);
});

Deno.test("figureBundle has the three MIME types", async () => {
  const spec = scatter({ data: series, x: "n", y: "ms", title: "Bundle" });
  const bundle = await figureBundle(spec);
  assert.deepEqual(Object.keys(bundle).sort(), [
    "application/vnd.vegalite.v5+json",
    "image/svg+xml",
    "text/plain",
  ]);
  assert.equal(bundle["application/vnd.vegalite.v5+json"], spec);
  assert.match(bundle["image/svg+xml"], /^<svg/);
  assert.equal(bundle["text/plain"], "Bundle");
  assert.equal((await figureBundle(spec, "custom"))["text/plain"], "custom");
  assert.equal(specTitle({ title: { text: "T" } }), "T");
});

Deno.test("builders refuse data vega would silently drop", () => {
  const base = { x: "n", y: "ms", title: "t" };
  assert.throws(() => lineChart({ ...base, data: [] }), InvalidArgumentError);
  assert.throws(() => lineChart({ ...base, data: [{ n: 1 }] }), /no "ms"/);
  assert.throws(() => lineChart({ ...base, data: [{ n: 1, ms: "fast" }] }), /finite number/);
  assert.throws(() => lineChart({ ...base, data: [{ n: 0, ms: 1 }], logX: true }), /log axis/);
  assert.throws(() => scatter({ ...base, data: [{ n: 1, ms: -1 }], logY: true }), /log axis/);
  assert.throws(() => barChart({ ...base, data: [{ n: "a", ms: 1 }], color: "c" }), /no "c"/);
  const c = { label: "a", bandwidthGBs: 1, peakGFLOPs: 1 };
  assert.throws(() => rooflineChart({ ceilings: [] }), InvalidArgumentError);
  assert.throws(() => rooflineChart({ ceilings: [c, c] }), /unique/);
  assert.throws(() => rooflineChart({ ceilings: [{ ...c, bandwidthGBs: 0 }] }), /bandwidthGBs/);
  assert.throws(
    () => rooflineChart({ ceilings: [c], points: [{ label: "k", intensity: 1, gflops: NaN }] }),
    /gflops/,
  );
});

Deno.test("renderSVG reports specs vega-lite cannot compile", async () => {
  await assert.rejects(() => renderSVG(null as unknown as Record<string, unknown>), InvalidArgumentError);
  await assert.rejects(
    () => renderSVG({ mark: "nonsense", data: { values: [] } }),
    /vega-lite could not compile/,
  );
});
