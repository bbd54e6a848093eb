/**
 * The Report every experiment returns, and its writers: a results folder (report.md, CSV per table,
 * report.json, SVG and vega-lite JSON per figure), a self-contained results/index.html over several
 * reports, and Jupyter display objects for notebooks.
 *
 * Files are written with node:fs/promises, so the same code runs under Deno and Bun.
 *
 * @module
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, InvalidArgumentError, requireFinite, requireInt } from "./errors.ts";
import { type Figure, type FigureBundle, figureBundle, renderSVG } from "./figure.ts";
import { escapeHTML, type Row, toCSV, toHTML, toMarkdown } from "./table.ts";
import { formatDuration } from "./progress.ts";

export type { Figure } from "./figure.ts";

/** One of the paper's headline numbers beside ours. */
export interface Claim {
  /** What is compared, e.g. "Peak bandwidth". */
  metric: string;
  /** The paper's number (or text such as "~2x"). */
  paper: string | number;
  /** Our number. */
  ours: string | number;
  /** Unit of both numbers. */
  unit?: string;
  /** How ours was obtained or why it differs. */
  note: string;
}

/** A table of a report; `name` is its file stem (name.csv). */
export interface ReportTable {
  /** File stem of the CSV: letters, digits, '.', '_', '-'. */
  name: string;
  /** Heading shown above the table. */
  title: string;
  /** The rows (see table.ts). */
  rows: Record<string, unknown>[];
  /** Optional caption. */
  caption?: string;
}

/** What an experiment's `run(options)` returns. */
export interface Report {
  /** Short id, e.g. "roofline", "lbm"; also the results/<paper>/ folder. */
  paper: string;
  /** Human-readable title. */
  title: string;
  /** Quick (minutes on 2 cores) or full run. */
  mode: "quick" | "full";
  /** RNG seed the run used. */
  seed: number;
  /** Markdown paragraph(s); says what is reconstructed / simulated. */
  summary: string;
  /** Tables, each written as CSV too. */
  tables: ReportTable[];
  /** Figures (see figure.ts), written as SVG and vega-lite JSON. */
  figures: Figure[];
  /** Each paper headline number beside ours. */
  claims: Claim[];
  /** Caveats, what differs and why. */
  notes: string[];
  /** Runtime, version, cores, adapter... (see `environmentInfo`). */
  environment: Record<string, string | number | boolean>;
  /** ISO time. */
  startedAt: string;
  /** Wall time of the run in ms. */
  durationMs: number;
  /** Raw machine-readable results (written to report.json). */
  data?: Record<string, unknown>;
}

type RuntimeGlobals = {
  Bun?: { version: string };
  Deno?: { version: { deno: string; v8: string; typescript: string }; build: { os: string; arch: string } };
  process?: { versions?: { node?: string }; platform?: string; arch?: string };
};

/** OS and architecture from `process`, named as Deno names them (win32 -> windows, x64 -> x86_64). */
function nodePlatform(g: RuntimeGlobals): { os: string; arch: string } {
  const os = g.process?.platform ?? "unknown", arch = g.process?.arch ?? "unknown";
  const archNames: Record<string, string> = { x64: "x86_64", arm64: "aarch64" };
  return { os: os === "win32" ? "windows" : os, arch: archNames[arch] ?? arch };
}

/**
 * Describes the machine and runtime: runtime ("deno", "bun", "node"), its version, OS, architecture
 * (named as Deno names them, whatever the runtime), logical cores and the current date, merged with
 * `extra` (e.g. the WebGPU adapter).
 *
 * @example
 * ```ts
 * import { environmentInfo } from "./report.ts";
 * environmentInfo({ adapter: "llvmpipe" });
 * // { runtime: "deno", runtimeVersion: "2.9.6", os: "linux", arch: "x86_64", cores: 2, date: "...", adapter: "llvmpipe" }
 * ```
 */
export function environmentInfo(
  extra: Record<string, string | number | boolean> = {},
): Record<string, string | number | boolean> {
  const g = globalThis as RuntimeGlobals;
  const env: Record<string, string | number | boolean> = {};
  if (g.Bun) {
    Object.assign(env, { runtime: "bun", runtimeVersion: g.Bun.version, ...nodePlatform(g) });
  } else if (g.Deno) {
    Object.assign(env, { runtime: "deno", runtimeVersion: g.Deno.version.deno, v8: g.Deno.version.v8 });
    Object.assign(env, {
      typescript: g.Deno.version.typescript,
      os: g.Deno.build.os,
      arch: g.Deno.build.arch,
    });
  } else if (g.process?.versions?.node) {
    Object.assign(env, { runtime: "node", runtimeVersion: g.process.versions.node, ...nodePlatform(g) });
  } else {
    Object.assign(env, { runtime: "unknown", runtimeVersion: "unknown", os: "unknown", arch: "unknown" });
  }
  env.cores = globalThis.navigator?.hardwareConcurrency ?? 0;
  env.date = new Date().toISOString();
  return Object.assign(env, extra);
}

// ---------------------------------------------------------------------------------------------
// Validation

const FILE_STEM = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function requireStem(what: string, name: unknown): void {
  if (typeof name !== "string" || !FILE_STEM.test(name) || name.includes("..")) {
    throw new InvalidArgumentError(
      `${what} must be a file-name stem (letters, digits, ".", "_", "-"; no leading dot), got ${
        describe(name)
      }`,
    );
  }
}

function requireString(what: string, v: unknown): void {
  if (typeof v !== "string") throw new InvalidArgumentError(`${what} must be a string, got ${describe(v)}`);
}

function requireUnique(what: string, names: string[]): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new InvalidArgumentError(`two ${what} are named "${n}"; names must be unique`);
    seen.add(n);
  }
}

/**
 * Checks that a report is complete and that its names are safe file names; throws InvalidArgumentError
 * naming the first problem.
 *
 * @example
 * ```ts
 * import { type Report, validateReport } from "./report.ts";
 * declare const report: Report; // e.g. returned by an experiment's run()
 * validateReport(report); // throws if report.paper were "../x"
 * ```
 */
export function validateReport(report: Report): void {
  if (report === null || typeof report !== "object") {
    throw new InvalidArgumentError(`report must be an object, got ${describe(report)}`);
  }
  requireStem("report.paper", report.paper);
  requireString("report.title", report.title);
  requireString("report.summary", report.summary);
  requireString("report.startedAt", report.startedAt);
  if (report.mode !== "quick" && report.mode !== "full") {
    throw new InvalidArgumentError(`report.mode must be "quick" or "full", got ${describe(report.mode)}`);
  }
  requireInt("report.seed", report.seed, 0);
  requireFinite("report.durationMs", report.durationMs, 0);
  for (const key of ["tables", "figures", "claims", "notes"] as const) {
    if (!Array.isArray(report[key])) throw new InvalidArgumentError(`report.${key} must be an array`);
  }
  report.tables.forEach((t, i) => {
    requireStem(`tables[${i}].name`, t.name);
    requireString(`tables[${i}].title`, t.title);
    if (!Array.isArray(t.rows)) throw new InvalidArgumentError(`tables[${i}].rows must be an array of rows`);
  });
  report.figures.forEach((f, i) => {
    requireStem(`figures[${i}].name`, f.name);
    requireString(`figures[${i}].title`, f.title);
    if (f.spec === null || typeof f.spec !== "object") {
      throw new InvalidArgumentError(`figures[${i}].spec must be a vega-lite spec object`);
    }
  });
  requireUnique("tables", report.tables.map((t) => t.name));
  requireUnique("figures", report.figures.map((f) => f.name));
  report.claims.forEach((c, i) => {
    requireString(`claims[${i}].metric`, c.metric);
    requireString(`claims[${i}].note`, c.note);
    for (const k of ["paper", "ours"] as const) {
      if (typeof c[k] !== "string" && typeof c[k] !== "number") {
        throw new InvalidArgumentError(`claims[${i}].${k} must be a string or number, got ${describe(c[k])}`);
      }
    }
  });
  report.notes.forEach((n, i) => requireString(`notes[${i}]`, n));
  if (report.environment === null || typeof report.environment !== "object") {
    throw new InvalidArgumentError("report.environment must be an object (see environmentInfo)");
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

function claimRows(claims: Claim[]): Row[] {
  return claims.map((c) => ({
    Metric: c.metric,
    Paper: c.paper,
    Ours: c.ours,
    Unit: c.unit ?? "",
    Note: c.note,
  }));
}

function environmentRows(env: Report["environment"]): Row[] {
  return Object.entries(env).map(([key, value]) => ({ Key: key, Value: String(value) }));
}

function metaLine(r: Report): string {
  return `paper \`${r.paper}\` · ${r.mode} mode · seed ${r.seed} · started ${r.startedAt} · ` +
    `took ${formatDuration(r.durationMs)}`;
}

/**
 * The report as markdown: title, summary, claims, tables, figures (as `![title](name.svg)`), notes and
 * environment. This is the text of report.md.
 *
 * @example
 * ```ts
 * import { type Report, reportMarkdown } from "./report.ts";
 * declare const report: Report;
 * await Deno.writeTextFile("report.md", reportMarkdown(report));
 * ```
 */
export function reportMarkdown(report: Report): string {
  validateReport(report);
  const out = [`# ${report.title}`, "", `_${metaLine(report)}_`, "", report.summary.trim(), ""];
  if (report.claims.length > 0) {
    out.push("## Paper vs. ours", "", toMarkdown(claimRows(report.claims)));
  }
  if (report.tables.length > 0) {
    out.push("## Tables", "");
    for (const t of report.tables) {
      out.push(`### ${t.title}`, "");
      if (t.caption) out.push(t.caption, "");
      out.push(
        t.rows.length > 0 ? toMarkdown(t.rows) : "_(no rows)_\n",
        `Data: [${t.name}.csv](${t.name}.csv)`,
        "",
      );
    }
  }
  if (report.figures.length > 0) {
    out.push("## Figures", "");
    for (const f of report.figures) {
      out.push(`### ${f.title}`, "", `![${f.title.replace(/[[\]]/g, "")}](${f.name}.svg)`, "");
      if (f.caption) out.push(f.caption, "");
      out.push(`Spec: [${f.name}.vl.json](${f.name}.vl.json)`, "");
    }
  }
  if (report.notes.length > 0) {
    out.push("## Notes", "", ...report.notes.map((n) => `- ${n.replace(/\n/g, "\n  ")}`), "");
  }
  out.push("## Environment", "", toMarkdown(environmentRows(report.environment)));
  return out.join("\n");
}

/** JSON.stringify replacer: typed arrays as arrays, Maps as objects, Sets as arrays, bigints as strings. */
function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  if (v instanceof Map) return Object.fromEntries(v);
  if (v instanceof Set) return [...v];
  return v;
}

/**
 * Writes a report into `dir` (created if missing): report.md, report.json (everything, including `data`
 * and figure specs; NaN and Infinity become null), one `<table>.csv` per table, and `<figure>.svg` plus
 * `<figure>.vl.json` per figure. Returns the paths written.
 *
 * @example
 * ```ts
 * import { type Report, writeReport } from "./report.ts";
 * declare const report: Report;
 * const files = await writeReport(report, `results/${report.paper}`);
 * ```
 */
export async function writeReport(report: Report, dir: string): Promise<string[]> {
  validateReport(report);
  requireString("dir", dir);
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    ["report.md", reportMarkdown(report)],
    ["report.json", JSON.stringify(report, jsonReplacer, 2) + "\n"],
  ];
  for (const t of report.tables) files.push([`${t.name}.csv`, toCSV(t.rows)]);
  for (const f of report.figures) {
    files.push([`${f.name}.svg`, await renderSVG(f.spec)]);
    files.push([`${f.name}.vl.json`, JSON.stringify(f.spec, jsonReplacer, 2) + "\n"]);
  }
  const paths = [];
  for (const [name, text] of files) {
    const path = join(dir, name);
    await writeFile(path, text);
    paths.push(path);
  }
  return paths;
}

/**
 * Reads every `<resultsDir>/<paper>/report.json`, sorted by paper id (for rebuilding the index after
 * re-running only some papers). Folders without a report.json are skipped.
 *
 * @example
 * ```ts
 * import { readReports, writeIndex } from "./report.ts";
 * await writeIndex("results", await readReports("results"));
 * ```
 */
export async function readReports(resultsDir: string): Promise<Report[]> {
  requireString("resultsDir", resultsDir);
  const reports: Report[] = [];
  for (const entry of await readdir(resultsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    let text: string;
    try {
      text = await readFile(join(resultsDir, entry.name, "report.json"), "utf8");
    } catch {
      continue;
    }
    reports.push(JSON.parse(text) as Report);
  }
  return reports.sort((a, b) => a.paper.localeCompare(b.paper));
}

/** A small markdown subset to HTML: paragraphs, "- " lists, #-headings, `code`, **bold**, *em*, links. */
export function markdownToHTML(md: string): string {
  const inline = (s: string) =>
    escapeHTML(s)
      .replace(/`([^`]+)`/g, "<code>$1</code>")
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[^*\w])[*_]([^*_]+)[*_](?![*\w])/g, "$1<em>$2</em>")
      .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, text, href) =>
        /^(https?:|#|[\w./-]+$)/.test(href) ? `<a href="${href}">${text}</a>` : text);
  return md.trim().split(/\n\s*\n/).map((block) => {
    const lines = block.split("\n");
    if (lines.every((l) => /^\s*[-*] /.test(l) || /^\s+\S/.test(l))) {
      const items = block.split(/\n(?=\s*[-*] )/).map((l) =>
        `<li>${inline(l.replace(/^\s*[-*] /, ""))}</li>`
      );
      return `<ul>${items.join("")}</ul>`;
    }
    const h = /^(#{1,6}) (.*)$/.exec(block);
    if (h && lines.length === 1) return `<h${h[1].length + 2}>${inline(h[2])}</h${h[1].length + 2}>`;
    return `<p>${inline(block)}</p>`;
  }).join("\n");
}

const CSS = `
body { font: 15px/1.5 system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { border-bottom: 2px solid #ddd; } h2 { margin-top: 2.5em; border-bottom: 1px solid #eee; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
caption { caption-side: bottom; color: #666; font-size: 13px; padding-top: 4px; text-align: left; }
figure { display: inline-block; margin: 0.5em 1em 0.5em 0; } figure img, figure svg { max-width: 100%; }
figcaption, .meta { color: #666; font-size: 13px; } code { background: #f4f4f4; padding: 0 3px; }
nav a { margin-right: 1em; }`;

/**
 * Writes `<resultsDir>/index.html`: one self-contained page (inline CSS) linking each report's
 * report.md and report.json, with its summary, claims table and figures (`<img>` of the SVGs written by
 * `writeReport`). Returns the path.
 *
 * @example
 * ```ts
 * import { type Report, writeIndex } from "./report.ts";
 * declare const lbm: Report, roofline: Report;
 * await writeIndex("results", [lbm, roofline]);
 * ```
 */
export async function writeIndex(resultsDir: string, reports: Report[]): Promise<string> {
  requireString("resultsDir", resultsDir);
  if (!Array.isArray(reports)) {
    throw new InvalidArgumentError(`reports must be an array, got ${describe(reports)}`);
  }
  reports.forEach(validateReport);
  requireUnique("reports", reports.map((r) => r.paper));
  const e = escapeHTML;
  const sections = reports.map((r) => {
    const p = encodeURIComponent(r.paper);
    const figures = r.figures.map((f) =>
      `<figure><img src="${p}/${encodeURIComponent(f.name)}.svg" alt="${e(f.title)}">` +
      `<figcaption>${e(f.caption ?? f.title)}</figcaption></figure>`
    );
    return [
      `<section id="${e(r.paper)}">`,
      `<h2>${e(r.title)}</h2>`,
      `<p class="meta">${e(metaLine(r).replace(/`/g, ""))} · <a href="${p}/report.md">report.md</a> · ` +
      `<a href="${p}/report.json">report.json</a></p>`,
      markdownToHTML(r.summary),
      r.claims.length > 0 ? toHTML(claimRows(r.claims), { caption: "Paper vs. ours" }) : "",
      ...figures,
      `</section>`,
    ].join("\n");
  });
  const nav = reports.map((r) => `<a href="#${e(r.paper)}">${e(r.paper)}</a>`).join(" ");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tessera results</title><style>${CSS}</style></head>
<body><h1>Tessera results</h1>
<nav>${nav}</nav>
${sections.join("\n")}
</body></html>
`;
  await mkdir(resultsDir, { recursive: true });
  const path = join(resultsDir, "index.html");
  await writeFile(path, html);
  return path;
}

/** Prefixes SVG ids so that several inline SVGs on one page cannot collide (clip paths, gradients). */
function scopeSvgIds(svg: string, prefix: string): string {
  return svg.replace(/\bid="([^"]+)"/g, `id="${prefix}$1"`).replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}$1"`);
}

let displayCounter = 0;

/** A value that the Deno Jupyter kernel displays with every type of its MIME bundle. */
export interface JupyterDisplayable<T> {
  /** `Symbol.for("Jupyter.display")`: returns the MIME bundle. */
  [key: symbol]: () => Promise<T>;
}

/**
 * A notebook display of a report: summary, claims, tables (HTML) and figures (inline SVG), plus the
 * markdown as text/plain. Make it the last expression of a cell (or pass it to `Deno.jupyter.display`).
 *
 * @example
 * ```ts
 * import { displayReport, type Report } from "./report.ts";
 * declare const report: Report; // e.g. `await run({ mode: "quick", seed: 1 })`
 * displayReport(report); // as the last expression of a notebook cell
 * ```
 */
export function displayReport(
  report: Report,
): JupyterDisplayable<{ "text/html": string; "text/plain": string }> {
  validateReport(report);
  return {
    [Symbol.for("Jupyter.display")]: async () => {
      const e = escapeHTML;
      const html = [`<div class="tessera-report">`, `<h2>${e(report.title)}</h2>`];
      html.push(
        `<p><small>${e(metaLine(report).replace(/`/g, ""))}</small></p>`,
        markdownToHTML(report.summary),
      );
      if (report.claims.length > 0) {
        html.push(toHTML(claimRows(report.claims), { caption: "Paper vs. ours" }));
      }
      for (const t of report.tables) {
        html.push(`<h3>${e(t.title)}</h3>`, toHTML(t.rows, { caption: t.caption }));
      }
      for (const f of report.figures) {
        const svg = scopeSvgIds(await renderSVG(f.spec), `f${++displayCounter}-`);
        html.push(`<figure>${svg}<figcaption>${e(f.caption ?? f.title)}</figcaption></figure>`);
      }
      if (report.notes.length > 0) {
        html.push("<h3>Notes</h3>", `<ul>${report.notes.map((n) => `<li>${e(n)}</li>`).join("")}</ul>`);
      }
      html.push("</div>");
      return { "text/html": html.join("\n"), "text/plain": reportMarkdown(report) };
    },
  };
}

/**
 * A notebook display of one figure: vega-lite spec, SVG and a text fallback (see `figureBundle`).
 *
 * @example
 * ```ts
 * import { displayFigure, type Report } from "./report.ts";
 * declare const report: Report;
 * displayFigure(report.figures[0]);
 * ```
 */
export function displayFigure(fig: Figure): JupyterDisplayable<FigureBundle> {
  if (fig === null || typeof fig !== "object") {
    throw new InvalidArgumentError(`fig must be a Figure, got ${describe(fig)}`);
  }
  requireString("fig.title", fig.title);
  const text = fig.caption ? `${fig.title}: ${fig.caption}` : fig.title;
  return { [Symbol.for("Jupyter.display")]: () => figureBundle(fig.spec, text) };
}
