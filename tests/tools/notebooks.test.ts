import assert from "node:assert/strict";
import {
  checkOutputs,
  DENO_NOTEBOOK_METADATA,
  expectsOutput,
  makeNotebook,
  type Notebook,
  type NotebookCell,
  sourceLines,
} from "../../tools/notebook.ts";

const code = (source: string | string[], outputs: NotebookCell["outputs"] = []): NotebookCell => ({
  cell_type: "code",
  source,
  outputs,
  execution_count: null,
});
const notebook = (cells: NotebookCell[]): Notebook => ({
  cells,
  metadata: {},
  nbformat: 4,
  nbformat_minor: 5,
});
const stdout = (text: string) => ({ output_type: "stream", name: "stdout", text });

Deno.test("sourceLines splits into Jupyter's list of lines, each keeping its newline", () => {
  assert.deepEqual(sourceLines(""), []);
  assert.deepEqual(sourceLines("a"), ["a"]);
  assert.deepEqual(sourceLines("a\n"), ["a\n"]);
  assert.deepEqual(sourceLines("a\n\nb"), ["a\n", "\n", "b"]);
});

Deno.test("makeNotebook writes nbformat 4.5 for the Deno kernel", () => {
  const text = makeNotebook([
    { type: "markdown", source: "# Title\n\nText." },
    { type: "code", source: 'import { x } from "./x.ts";\nx' },
  ]);
  assert.ok(text.endsWith("}\n"));
  const nb = JSON.parse(text);
  assert.equal(nb.nbformat, 4);
  assert.equal(nb.nbformat_minor, 5);
  assert.deepEqual(nb.metadata, DENO_NOTEBOOK_METADATA);
  assert.equal(nb.metadata.kernelspec.name, "deno");
  const [md, cell] = nb.cells;
  assert.deepEqual(Object.keys(md).sort(), ["cell_type", "id", "metadata", "source"]);
  assert.deepEqual(md.source, ["# Title\n", "\n", "Text."]);
  assert.equal(cell.cell_type, "code");
  assert.deepEqual(cell.outputs, []);
  assert.equal(cell.execution_count, null);
  assert.equal(cell.source.join(""), 'import { x } from "./x.ts";\nx');
  for (const c of nb.cells) assert.match(c.id, /^[A-Za-z0-9_-]{1,64}$/);
});

Deno.test("makeNotebook ids are stable, unique, and can be given", () => {
  const cells = [
    { type: "code" as const, source: "1" },
    { type: "code" as const, source: "1" },
    { type: "markdown" as const, source: "1" },
  ];
  const ids = JSON.parse(makeNotebook(cells)).cells.map((c: { id: string }) => c.id);
  assert.equal(new Set(ids).size, 3);
  assert.equal(ids[1], `${ids[0]}-2`);
  assert.equal(makeNotebook(cells), makeNotebook(cells));
  const given = JSON.parse(makeNotebook([{ type: "code", source: "1", id: "setup" }]));
  assert.equal(given.cells[0].id, "setup");
});

Deno.test("makeNotebook rejects bad cells with a clear error", () => {
  assert.throws(
    () => makeNotebook([{ type: "raw" as "code", source: "" }]),
    /type must be "markdown" or "code"/,
  );
  assert.throws(
    () => makeNotebook([{ type: "code", source: "", id: "has space" }]),
    /id "has space" must be/,
  );
  assert.throws(
    () => makeNotebook([{ type: "code", source: "1", id: "a" }, { type: "code", source: "2", id: "a" }]),
    /duplicate id "a"/,
  );
});

Deno.test("expectsOutput: code cells with source, unless marked // no-output", () => {
  assert.equal(expectsOutput(code("1 + 1")), true);
  assert.equal(expectsOutput(code("const x = 1; // no-output")), false);
  assert.equal(expectsOutput(code("// no-output\nconst x = 1;")), false);
  assert.equal(expectsOutput(code(["//no-output\n", "let y;"])), false);
  assert.equal(expectsOutput(code("const url = 'http://no-output.example'; url")), true);
  assert.equal(expectsOutput(code("  \n")), false);
  assert.equal(expectsOutput({ cell_type: "markdown", source: "# x" }), false);
});

Deno.test("checkOutputs finds the cells whose output was dropped", () => {
  const nb = notebook([
    { cell_type: "markdown", source: "# x" },
    code('console.log("a")', [stdout("a\n")]),
    code("1 + 1"),
    code("const k = 1; // no-output"),
    code("k", [{ output_type: "execute_result", data: { "text/plain": "1" } }]),
    code("2"),
  ]);
  const check = checkOutputs(nb);
  assert.deepEqual(check, { expected: 4, withOutput: 2, missing: [2, 5], errors: [] });
});

Deno.test("checkOutputs reports error outputs and Deno errors on stderr", () => {
  const nb = notebook([
    code("boom()", [{
      output_type: "error",
      ename: "RangeError",
      evalue: "n must be positive",
      traceback: [],
    }]),
    code("warn()", [{ output_type: "stream", name: "stderr", text: ["Warning: slow path\n"] }]),
    code("x()", [{
      output_type: "stream",
      name: "stderr",
      text: ["error: Uncaught (in promise) ", "Error: x\n"],
    }]),
  ]);
  nb.cells[2].id = "c2";
  const check = checkOutputs(nb);
  assert.deepEqual(check.missing, []);
  assert.deepEqual(check.errors, [
    { cell: 0, id: undefined, message: "RangeError: n must be positive" },
    { cell: 2, id: "c2", message: "error: Uncaught (in promise) Error: x" },
  ]);
});

Deno.test("checkOutputs rejects something that is not a notebook", () => {
  assert.throws(() => checkOutputs({} as Notebook), /not a notebook/);
});

/** Debian's nbformat, when installed (tools/install-jupyter.sh), validates what makeNotebook writes. */
function hasNbformat(): boolean {
  try {
    return new Deno.Command("/usr/bin/python3", { args: ["-c", "import nbformat"] }).outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "makeNotebook output passes nbformat's own validation",
  ignore: !hasNbformat(),
  async fn() {
    const path = await Deno.makeTempFile({ suffix: ".ipynb" });
    try {
      await Deno.writeTextFile(
        path,
        makeNotebook([{ type: "markdown", source: "# x" }, { type: "code", source: "1" }]),
      );
      // Warnings are errors here: nbformat warns (MissingIDFieldWarning and the like) rather than failing.
      const script = "import sys, warnings, nbformat\n" +
        "warnings.simplefilter('error')\n" +
        "nbformat.validate(nbformat.read(sys.argv[1], as_version=4))\n";
      const { success, stderr } = await new Deno.Command("/usr/bin/python3", { args: ["-c", script, path] })
        .output();
      assert.ok(success, new TextDecoder().decode(stderr));
    } finally {
      await Deno.remove(path);
    }
  },
});
