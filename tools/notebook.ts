/**
 * Pure helpers for the Deno-kernel notebooks: build a valid nbformat 4.5 notebook from cell sources, and
 * check an executed notebook's outputs. Used by tools/run-notebooks.ts; no I/O here.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** One cell to put in a notebook. */
export interface CellSpec {
  type: "markdown" | "code";
  source: string;
  /** Cell id (nbformat: 1-64 of `[A-Za-z0-9_-]`); by default derived from the cell's type and source. */
  id?: string;
}

/** The fields of an nbformat 4 cell that the tools read. */
export interface NotebookCell {
  cell_type: string;
  id?: string;
  source: string | string[];
  outputs?: NotebookOutput[];
  execution_count?: number | null;
  metadata?: Record<string, unknown>;
}

/** The fields of an nbformat 4 output that the tools read. */
export interface NotebookOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
  traceback?: string[];
  data?: Record<string, unknown>;
}

/** An nbformat 4 notebook, as far as the tools read it. */
export interface Notebook {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/** Notebook metadata for the Deno kernel, as `deno jupyter --install` registers it. */
export const DENO_NOTEBOOK_METADATA = {
  kernelspec: { name: "deno", display_name: "Deno", language: "typescript" },
  language_info: { name: "typescript", file_extension: ".ts" },
};

const CELL_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Split a source string into Jupyter's list-of-lines form (each line keeps its "\n"). */
export function sourceLines(source: string): string[] {
  return source.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Join a cell's source, which nbformat allows as a string or a list of lines. */
export function sourceText(source: string | string[]): string {
  return Array.isArray(source) ? source.join("") : source;
}

/**
 * Build a notebook for the Deno kernel: nbformat 4.5 JSON with cell ids, code cells with empty outputs and
 * `execution_count: null`. Default ids are a short hash of type and source (deduplicated with a suffix), so
 * regenerating a notebook from the same sources gives the same file.
 *
 * @example
 * ```ts
 * import { makeNotebook } from "./notebook.ts";
 * const json = makeNotebook([
 *   { type: "markdown", source: "# Title" },
 *   { type: "code", source: 'console.log("hi");' },
 * ]);
 * ```
 */
export function makeNotebook(cells: CellSpec[]): string {
  const used = new Set<string>();
  const out = cells.map((cell, i) => {
    if (cell.type !== "markdown" && cell.type !== "code") {
      throw new TypeError(`cell ${i}: type must be "markdown" or "code", got ${JSON.stringify(cell.type)}`);
    }
    if (typeof cell.source !== "string") throw new TypeError(`cell ${i}: source must be a string`);
    let id = cell.id;
    if (id === undefined) {
      const base = createHash("sha256").update(`${cell.type}\0${cell.source}`).digest("hex").slice(0, 8);
      id = base;
      for (let k = 2; used.has(id); k++) id = `${base}-${k}`;
    } else if (!CELL_ID.test(id)) {
      throw new TypeError(`cell ${i}: id ${JSON.stringify(id)} must be 1-64 characters of [A-Za-z0-9_-]`);
    } else if (used.has(id)) {
      throw new TypeError(`cell ${i}: duplicate id ${JSON.stringify(id)}`);
    }
    used.add(id);
    const source = sourceLines(cell.source);
    return cell.type === "code"
      ? { cell_type: "code", execution_count: null, id, metadata: {}, outputs: [], source }
      : { cell_type: "markdown", id, metadata: {}, source };
  });
  const notebook = { cells: out, metadata: DENO_NOTEBOOK_METADATA, nbformat: 4, nbformat_minor: 5 };
  return JSON.stringify(notebook, null, 1) + "\n";
}

/** A line comment `// no-output` in a code cell says the cell is not expected to produce output. */
const NO_OUTPUT = /(^|\s)\/\/\s*no-output\b/m;

/** Whether a cell must show at least one output after execution. */
export function expectsOutput(cell: NotebookCell): boolean {
  if (cell.cell_type !== "code") return false;
  const text = sourceText(cell.source);
  return text.trim() !== "" && !NO_OUTPUT.test(text);
}

/** A failure found in a cell's outputs. */
export interface CellProblem {
  cell: number;
  id?: string;
  message: string;
}

/** What {@link checkOutputs} found in an executed notebook. */
export interface OutputCheck {
  /** Code cells expected to produce output. */
  expected: number;
  /** Of those, how many have at least one output. */
  withOutput: number;
  /** Indices (in `cells`) of expected cells with no output: the Deno kernel's dropped outputs. */
  missing: number[];
  /** Error outputs, and stderr streams carrying a Deno "error:" line, by cell. */
  errors: CellProblem[];
}

/**
 * Check an executed notebook: which cells that should have output have none, and which cells report an
 * error (an `error` output, or stderr text containing Deno's `error:`).
 *
 * @example
 * ```ts
 * import { checkOutputs } from "./notebook.ts";
 * const check = checkOutputs(JSON.parse(Deno.readTextFileSync("results/notebooks/x.ipynb")));
 * if (check.missing.length > 0) console.log("outputs dropped in cells", check.missing);
 * ```
 */
export function checkOutputs(notebook: Notebook): OutputCheck {
  if (!notebook || !Array.isArray(notebook.cells)) throw new TypeError("not a notebook: no cells array");
  const check: OutputCheck = { expected: 0, withOutput: 0, missing: [], errors: [] };
  notebook.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const outputs = cell.outputs ?? [];
    for (const output of outputs) {
      if (output.output_type === "error") {
        const message = `${output.ename ?? "Error"}: ${output.evalue ?? ""}`.trim();
        check.errors.push({ cell: i, id: cell.id, message });
      } else if (output.output_type === "stream" && output.name === "stderr") {
        const text = sourceText(output.text ?? "");
        if (text.includes("error:")) check.errors.push({ cell: i, id: cell.id, message: text.trim() });
      }
    }
    if (!expectsOutput(cell)) return;
    check.expected++;
    if (outputs.length > 0) check.withOutput++;
    else check.missing.push(i);
  });
  return check;
}
