/**
 * Tables as plain row arrays (`Array<Record<string, unknown>>`): rendering to markdown, CSV and HTML
 * with no dependencies (so reports can be written under Bun or without npm packages), a CSV parser,
 * and arquero for grouping and aggregation when that adds value.
 *
 * Numbers are shown with a fixed number of significant digits; values too small or too large for that
 * switch to exponent notation rather than being rounded to 0.
 *
 * @module
 */
import { describe, InvalidArgumentError, requireInt } from "./errors.ts";
import { loadArquero } from "./npm.ts";

/** One table row: column name to value. */
export type Row = Record<string, unknown>;

/** Options shared by the renderers. */
export interface RenderOptions {
  /** Columns to show, in order (default: every key, in the order first seen). */
  columns?: string[];
  /** Significant digits for non-integer numbers (default 4; CSV defaults to full precision). */
  digits?: number;
}

function requireRows(rows: unknown): asserts rows is Row[] {
  if (!Array.isArray(rows)) {
    throw new InvalidArgumentError(`rows must be an array of objects, got ${describe(rows)}`);
  }
  rows.forEach((r, i) => {
    if (r === null || typeof r !== "object" || Array.isArray(r)) {
      throw new InvalidArgumentError(`rows[${i}] must be a plain object, got ${describe(r)}`);
    }
  });
}

/**
 * Every column name in `rows`, in the order first seen.
 *
 * @example
 * ```ts
 * import { columnsOf } from "./table.ts";
 * columnsOf([{ a: 1 }, { b: 2, a: 3 }]); // ["a", "b"]
 * ```
 */
export function columnsOf(rows: Row[]): string[] {
  requireRows(rows);
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/** Trims trailing zeros of the mantissa: "1.500" -> "1.5", "2.000e-7" -> "2e-7". */
function trimZeros(s: string): string {
  const [mant, exp] = s.split("e");
  const m = mant.includes(".") ? mant.replace(/\.?0+$/, "") : mant;
  return exp === undefined ? m : `${m}e${exp.replace("+", "")}`;
}

/**
 * Formats a number with `digits` significant digits. Integers print exactly (below 1e15); values
 * with |x| < 1e-3 or |x| >= 1e15 use exponent notation, so a tiny value never prints as 0.
 *
 * @example
 * ```ts
 * import { formatNumber } from "./table.ts";
 * formatNumber(3.14159);   // "3.142"
 * formatNumber(0.0000123); // "1.23e-5"
 * formatNumber(123456.7);  // "123457"
 * ```
 */
export function formatNumber(x: number, digits = 4): string {
  requireInt("digits", digits, 1, 21);
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  if (x === 0) return "0";
  const ax = Math.abs(x);
  if (Number.isInteger(x) && ax < 1e15) return String(x);
  if (ax < 1e-3 || ax >= 1e15) return trimZeros(x.toExponential(digits - 1));
  // Large non-integers keep every integer digit rather than switching to exponent form.
  if (ax >= 10 ** digits) return String(Math.round(x));
  return trimZeros(x.toPrecision(digits));
}

/**
 * Formats any cell value for display: numbers via `formatNumber`, null/undefined as "", Dates as ISO,
 * arrays and objects as JSON.
 *
 * @example
 * ```ts
 * import { formatValue } from "./table.ts";
 * formatValue(2 / 3); // "0.6667"
 * formatValue(null);  // ""
 * ```
 */
export function formatValue(v: unknown, digits = 4): string {
  if (typeof v === "number") return formatNumber(v, digits);
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v instanceof Date) return v.toISOString();
  if (ArrayBuffer.isView(v)) return JSON.stringify(Array.from(v as unknown as ArrayLike<number>));
  return JSON.stringify(v);
}

function resolveColumns(rows: Row[], columns?: string[]): string[] {
  requireRows(rows);
  if (columns === undefined) return columnsOf(rows);
  if (!Array.isArray(columns) || columns.some((c) => typeof c !== "string")) {
    throw new InvalidArgumentError(`columns must be an array of strings, got ${describe(columns)}`);
  }
  return columns;
}

function isNumericColumn(rows: Row[], col: string): boolean {
  let any = false;
  for (const r of rows) {
    const v = r[col];
    if (v === null || v === undefined) continue;
    if (typeof v !== "number") return false;
    any = true;
  }
  return any;
}

/**
 * Renders rows as a GitHub-flavoured markdown table (numeric columns right-aligned; `|` and newlines
 * in cells escaped).
 *
 * @example
 * ```ts
 * import { toMarkdown } from "./table.ts";
 * toMarkdown([{ n: 1, t: 0.5 }]); // "| n | t |\n| ---: | ---: |\n| 1 | 0.5 |\n"
 * ```
 */
export function toMarkdown(rows: Row[], options: RenderOptions = {}): string {
  const cols = resolveColumns(rows, options.columns);
  const digits = options.digits ?? 4;
  const cell = (s: string) => s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
  const lines = [
    `| ${cols.map(cell).join(" | ")} |`,
    `| ${cols.map((c) => (isNumericColumn(rows, c) ? "---:" : "---")).join(" | ")} |`,
  ];
  for (const r of rows) lines.push(`| ${cols.map((c) => cell(formatValue(r[c], digits))).join(" | ")} |`);
  return lines.join("\n") + "\n";
}

function csvField(s: string): string {
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Renders rows as CSV (RFC 4180 quoting: fields with commas, quotes, line breaks or edge spaces are
 * quoted, quotes doubled). Numbers keep full precision unless `digits` is given.
 *
 * @example
 * ```ts
 * import { toCSV } from "./table.ts";
 * toCSV([{ name: 'a "b", c', x: 0.1 }]); // 'name,x\n"a ""b"", c",0.1\n'
 * ```
 */
export function toCSV(rows: Row[], options: RenderOptions = {}): string {
  const cols = resolveColumns(rows, options.columns);
  const fmt = (v: unknown) =>
    typeof v === "number" && options.digits === undefined ? String(v) : formatValue(v, options.digits ?? 4);
  const lines = [cols.map(csvField).join(",")];
  for (const r of rows) lines.push(cols.map((c) => csvField(fmt(r[c]))).join(","));
  return lines.join("\n") + "\n";
}

/**
 * Parses CSV text (RFC 4180: quoted fields may hold commas, doubled quotes and line breaks) into rows of
 * strings keyed by the header line.
 *
 * @example
 * ```ts
 * import { parseCSV } from "./table.ts";
 * parseCSV('a,b\n1,"x, y"\n'); // [{ a: "1", b: "x, y" }]
 * ```
 */
export function parseCSV(text: string): Record<string, string>[] {
  if (typeof text !== "string") {
    throw new InvalidArgumentError(`text must be a string, got ${describe(text)}`);
  }
  const records: string[][] = [];
  let field = "", record: string[] = [], i = 0, quoted = false;
  const endRecord = () => {
    record.push(field);
    records.push(record);
    field = "";
    record = [];
  };
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), (i += 2);
      else if (ch === '"') (quoted = false), i++;
      else (field += ch), i++;
    } else if (ch === '"' && field === "") (quoted = true), i++;
    else if (ch === ",") record.push(field), (field = ""), i++;
    else if (ch === "\r" && text[i + 1] === "\n") endRecord(), (i += 2);
    else if (ch === "\n") endRecord(), i++;
    else (field += ch), i++;
  }
  if (quoted) throw new InvalidArgumentError("CSV ends inside a quoted field");
  if (field !== "" || record.length > 0) endRecord();
  if (records.length === 0) return [];
  const [header, ...body] = records;
  return body.map((rec, r) => {
    if (rec.length !== header.length) {
      throw new InvalidArgumentError(
        `CSV line ${r + 2} has ${rec.length} fields, the header has ${header.length}`,
      );
    }
    return Object.fromEntries(header.map((h, j) => [h, rec[j]]));
  });
}

/**
 * Escapes `& < > " '` for HTML text and attribute values.
 *
 * @example
 * ```ts
 * import { escapeHTML } from "./table.ts";
 * escapeHTML("a < b"); // "a &lt; b"
 * ```
 */
export function escapeHTML(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/**
 * Renders rows as an HTML `<table>` (escaped; numeric columns get `class="num"`).
 *
 * @example
 * ```ts
 * import { toHTML } from "./table.ts";
 * toHTML([{ a: 1 }], { caption: "One row" }); // "<table><caption>One row</caption>..."
 * ```
 */
export function toHTML(rows: Row[], options: RenderOptions & { caption?: string } = {}): string {
  const cols = resolveColumns(rows, options.columns);
  const digits = options.digits ?? 4;
  const num = cols.map((c) => isNumericColumn(rows, c));
  const attr = (j: number) => (num[j] ? ' class="num"' : "");
  const parts = ["<table>"];
  if (options.caption) parts.push(`<caption>${escapeHTML(options.caption)}</caption>`);
  parts.push(`<thead><tr>${cols.map((c, j) => `<th${attr(j)}>${escapeHTML(c)}</th>`).join("")}</tr></thead>`);
  parts.push("<tbody>");
  for (const r of rows) {
    parts.push(
      `<tr>${
        cols.map((c, j) => `<td${attr(j)}>${escapeHTML(formatValue(r[c], digits))}</td>`).join("")
      }</tr>`,
    );
  }
  parts.push("</tbody></table>");
  return parts.join("\n");
}

/**
 * Wraps rows in an arquero table (loads arquero on first use).
 *
 * @example
 * ```ts
 * import { toTable } from "./table.ts";
 * const t = await toTable([{ k: "a", x: 1 }, { k: "a", x: 3 }]);
 * console.log(t.numRows()); // 2
 * ```
 */
export async function toTable(rows: Row[]): Promise<import("npm:arquero@8.0.3").ColumnTable> {
  requireRows(rows);
  const aq = await loadArquero();
  return aq.from(rows);
}

/** Aggregations `aggregate` understands (arquero op names). */
export const AGGREGATES = [
  "count",
  "sum",
  "mean",
  "median",
  "min",
  "max",
  "stdev",
  "variance",
  "distinct",
] as const;
/** One of `AGGREGATES`. */
export type Aggregate = typeof AGGREGATES[number];

/**
 * Groups rows by one or more columns and aggregates other columns with arquero ops. Each output row
 * holds the group keys and, for each `{ column: op }`, the aggregate under the same column name.
 * Groups appear in the order first seen.
 *
 * @example
 * ```ts
 * import { aggregate } from "./table.ts";
 * const rows = [{ k: "a", x: 1 }, { k: "a", x: 3 }, { k: "b", x: 5 }];
 * await aggregate(rows, "k", { x: "mean" }); // [{ k: "a", x: 2 }, { k: "b", x: 5 }]
 * ```
 */
export async function aggregate(
  rows: Row[],
  groupBy: string | string[],
  spec: Record<string, Aggregate>,
): Promise<Row[]> {
  requireRows(rows);
  const keys = typeof groupBy === "string" ? [groupBy] : groupBy;
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== "string")) {
    throw new InvalidArgumentError(
      `groupBy must be a column name or an array of them, got ${describe(groupBy)}`,
    );
  }
  const cols = new Set(columnsOf(rows));
  for (const k of keys) {
    if (!cols.has(k)) {
      throw new InvalidArgumentError(`groupBy column "${k}" is not in the rows (${[...cols]})`);
    }
  }
  const entries = Object.entries(spec ?? {});
  if (entries.length === 0) throw new InvalidArgumentError("spec must name at least one column to aggregate");
  for (const [col, op] of entries) {
    if (!cols.has(col)) throw new InvalidArgumentError(`column "${col}" is not in the rows (${[...cols]})`);
    if (!(AGGREGATES as readonly string[]).includes(op)) {
      throw new InvalidArgumentError(
        `unknown aggregate ${describe(op)} for "${col}"; use one of ${AGGREGATES}`,
      );
    }
    if (keys.includes(col)) {
      throw new InvalidArgumentError(`column "${col}" is both a group key and aggregated`);
    }
  }
  if (rows.length === 0) return [];
  const aq = await loadArquero();
  const ops = aq.op as unknown as Record<string, (col: string) => unknown>;
  const rollup = Object.fromEntries(
    entries.map(([col, op]) => [col, op === "count" ? aq.op.count() : ops[op](col)]),
  );
  return aq.from(rows).groupby(...keys).rollup(rollup as never).objects() as Row[];
}
