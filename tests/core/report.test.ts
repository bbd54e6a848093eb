import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArgumentError } from "../../lib/core/errors.ts";
import { lineChart } from "../../lib/core/figure.ts";
import {
  displayFigure,
  displayReport,
  environmentInfo,
  markdownToHTML,
  readReports,
  type Report,
  reportMarkdown,
  writeIndex,
  writeReport,
} from "../../lib/core/report.ts";
import {
  aggregate,
  columnsOf,
  formatNumber,
  parseCSV,
  toCSV,
  toHTML,
  toMarkdown,
  toTable,
} from "../../lib/core/table.ts";

const rows = [
  { kernel: "saxpy", n: 1024, ms: 0.0000123, note: 'has "quotes", commas' },
  { kernel: "dot", n: 2048, ms: 1.5, note: "two\nlines" },
  { kernel: "a|b", n: 4096, ms: 12345.678, note: "" },
];

function sampleReport(paper = "roofline"): Report {
  return {
    paper,
    title: "Roofline <check>",
    mode: "quick",
    seed: 7,
    summary:
      "We **reconstruct** the roofline of `this machine`.\n\n- bandwidth from STREAM\n- peak from matmul",
    tables: [{ name: "kernels", title: "Kernel timings", rows, caption: "Median of 5 runs." }],
    figures: [{
      name: "time",
      title: "Time per call",
      spec: lineChart({ data: rows, x: "n", y: "ms", title: "Time per call", logY: true }),
      caption: "Log scale.",
    }],
    claims: [
      { metric: "Peak bandwidth", paper: 15.7, ours: 14.2, unit: "GB/s", note: "one core" },
      { metric: "Ridge point", paper: "8.6", ours: 9.1, note: "flop/byte" },
    ],
    notes: ["Timings drift on a shared machine; ratios hold."],
    environment: environmentInfo({ adapter: "none" }),
    startedAt: "2025-01-01T00:00:00.000Z",
    durationMs: 1234,
    data: { samples: new Float64Array([1, 2.5]), big: 12n },
  };
}

Deno.test("environmentInfo describes the runtime", () => {
  const env = environmentInfo({ adapter: "llvmpipe" });
  assert.equal(env.runtime, "deno");
  assert.equal(env.runtimeVersion, Deno.version.deno);
  assert.equal(env.os, Deno.build.os);
  assert.ok((env.cores as number) >= 1);
  assert.equal(env.adapter, "llvmpipe");
  assert.ok(!Number.isNaN(Date.parse(env.date as string)));
});

Deno.test("writeReport writes markdown, CSV, JSON, SVG and specs", async () => {
  const dir = join(await Deno.makeTempDir(), "results", "roofline");
  const report = sampleReport();
  const files = await writeReport(report, dir);
  assert.deepEqual(files.map((f) => f.slice(dir.length + 1)).sort(), [
    "kernels.csv",
    "report.json",
    "report.md",
    "time.svg",
    "time.vl.json",
  ]);
  const md = await readFile(join(dir, "report.md"), "utf8");
  assert.ok(md.startsWith("# Roofline <check>\n"));
  assert.ok(md.includes("| Metric | Paper | Ours | Unit | Note |"));
  assert.ok(md.includes("| Peak bandwidth | 15.7 | 14.2 | GB/s | one core |"));
  assert.ok(md.includes("![Time per call](time.svg)"));
  assert.ok(md.includes("| a\\|b | 4096 | 12346 |"));
  assert.ok(md.includes("1.23e-5"), "tiny values are not rounded to 0");
  assert.ok(md.includes("- Timings drift"));
  assert.ok(md.includes("| runtime | deno |"));

  const csv = parseCSV(await readFile(join(dir, "kernels.csv"), "utf8"));
  assert.deepEqual(
    csv,
    rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)]))),
  );

  const json = JSON.parse(await readFile(join(dir, "report.json"), "utf8"));
  assert.deepEqual(json.data, { samples: [1, 2.5], big: "12" });
  assert.deepEqual(json.claims, report.claims);
  assert.deepEqual(json.figures[0].spec, report.figures[0].spec);

  assert.match(
    await readFile(join(dir, "time.svg"), "utf8"),
    /^<svg[^>]*>[\s\S]*Time per call[\s\S]*<\/svg>$/,
  );
  assert.deepEqual(JSON.parse(await readFile(join(dir, "time.vl.json"), "utf8")), report.figures[0].spec);
});

Deno.test("writeIndex links every report and shows claims and figures", async () => {
  const results = await Deno.makeTempDir();
  const a = sampleReport("roofline"), b = { ...sampleReport("lbm"), title: "LBM", figures: [] };
  await writeReport(a, join(results, a.paper));
  await writeReport(b, join(results, b.paper));
  const path = await writeIndex(results, await readReports(results));
  assert.equal(path, join(results, "index.html"));
  const html = await readFile(path, "utf8");
  assert.ok(html.startsWith("<!doctype html>"));
  assert.ok(html.includes("<style>"));
  assert.ok(html.includes('<a href="roofline/report.md">report.md</a>'));
  assert.ok(html.includes('<a href="lbm/report.md">report.md</a>'));
  assert.ok(html.includes('<img src="roofline/time.svg" alt="Time per call">'));
  assert.ok(html.includes("<h2>Roofline &lt;check&gt;</h2>"));
  assert.ok(html.includes("<td>Peak bandwidth</td>"));
  assert.ok(html.includes("<strong>reconstruct</strong>"));
  assert.ok(html.indexOf('id="lbm"') < html.indexOf('id="roofline"'), "sorted by paper");
  await assert.rejects(() => writeIndex(results, [a, a]), /unique/);
});

Deno.test("reports with unsafe or duplicate names are refused", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(() => writeReport({ ...sampleReport(), paper: "../x" }, dir), InvalidArgumentError);
  const r = sampleReport();
  r.tables.push({ ...r.tables[0] });
  await assert.rejects(() => writeReport(r, dir), /two tables are named "kernels"/);
  assert.throws(() => reportMarkdown({ ...sampleReport(), mode: "fast" as "quick" }), /mode/);
  assert.throws(() => reportMarkdown({ ...sampleReport(), seed: -1 }), /seed/);
});

Deno.test("displayReport and displayFigure give Jupyter MIME bundles", async () => {
  const report = sampleReport();
  const display = displayReport(report)[Symbol.for("Jupyter.display")];
  const bundle = await display();
  assert.deepEqual(Object.keys(bundle).sort(), ["text/html", "text/plain"]);
  assert.ok(bundle["text/html"].includes("<svg"));
  assert.ok(bundle["text/html"].includes("<td>Peak bandwidth</td>"));
  assert.ok(bundle["text/html"].includes("Kernel timings"));
  assert.equal(bundle["text/plain"], reportMarkdown(report));
  const fig = await displayFigure(report.figures[0])[Symbol.for("Jupyter.display")]();
  assert.deepEqual(Object.keys(fig).sort(), [
    "application/vnd.vegalite.v5+json",
    "image/svg+xml",
    "text/plain",
  ]);
  assert.equal(fig["text/plain"], "Time per call: Log scale.");
});

Deno.test("markdownToHTML handles paragraphs, lists and inline markup", () => {
  assert.equal(
    markdownToHTML("A *b* `c<d>` [e](f.md) snake_case_name\n\n- one\n- two"),
    '<p>A <em>b</em> <code>c&lt;d&gt;</code> <a href="f.md">e</a> snake_case_name</p>\n<ul><li>one</li><li>two</li></ul>',
  );
  assert.equal(markdownToHTML("[x](javascript:alert)"), "<p>x</p>");
});

Deno.test("formatNumber keeps significant digits and never rounds tiny values to 0", () => {
  assert.equal(formatNumber(3.14159), "3.142");
  assert.equal(formatNumber(0.0000123), "1.23e-5");
  assert.equal(formatNumber(-2e-300), "-2e-300");
  assert.equal(formatNumber(123456.7), "123457");
  assert.equal(formatNumber(0.5), "0.5");
  assert.equal(formatNumber(42), "42");
  assert.equal(formatNumber(1e20), "1e20");
  assert.equal(formatNumber(NaN), "NaN");
  assert.equal(formatNumber(1 / 3, 2), "0.33");
  assert.throws(() => formatNumber(1, 0), InvalidArgumentError);
});

Deno.test("plain renderers quote and escape", () => {
  assert.deepEqual(columnsOf([{ a: 1 }, { b: 2, a: 3 }]), ["a", "b"]);
  assert.equal(toMarkdown([{ n: 1, s: "x|y" }]), "| n | s |\n| ---: | --- |\n| 1 | x\\|y |\n");
  assert.equal(toCSV([{ a: " lead", b: 'q"q', c: null }]), 'a,b,c\n" lead","q""q",\n');
  assert.equal(toCSV([{ x: 1 / 3 }]), `x\n${1 / 3}\n`, "CSV keeps full precision");
  assert.ok(toHTML([{ a: "<b>" }], { caption: "c&d" }).includes("<caption>c&amp;d</caption>"));
  assert.ok(toHTML([{ a: "<b>" }]).includes("<td>&lt;b&gt;</td>"));
  assert.deepEqual(parseCSV('a,b\r\n1,"x, ""y"""\r\n'), [{ a: "1", b: 'x, "y"' }]);
  assert.throws(() => parseCSV('a\n"open'), /quoted field/);
  assert.throws(() => parseCSV("a,b\n1"), /1 fields/);
  assert.throws(() => toMarkdown([1] as unknown as Record<string, unknown>[]), InvalidArgumentError);
});

Deno.test("aggregate groups rows with arquero", async () => {
  const data = [
    { k: "a", g: 1, x: 1 },
    { k: "a", g: 2, x: 3 },
    { k: "b", g: 1, x: 5 },
    { k: "a", g: 1, x: 11 },
  ];
  assert.deepEqual(await aggregate(data, "k", { x: "median" }), [{ k: "a", x: 3 }, { k: "b", x: 5 }]);
  assert.deepEqual(await aggregate(data, ["k", "g"], { x: "mean" }), [
    { k: "a", g: 1, x: 6 },
    { k: "a", g: 2, x: 3 },
    { k: "b", g: 1, x: 5 },
  ]);
  assert.deepEqual(await aggregate(data, "k", { x: "count" }), [{ k: "a", x: 3 }, { k: "b", x: 1 }]);
  assert.equal((await toTable(data)).numRows(), 4);
  await assert.rejects(() => aggregate(data, "nope", { x: "mean" }), /groupBy column "nope"/);
  await assert.rejects(() => aggregate(data, "k", { x: "avg" as "mean" }), /unknown aggregate/);
  await assert.rejects(() => aggregate(data, "k", { y: "mean" }), /column "y"/);
});
