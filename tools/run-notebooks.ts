/**
 * Execute notebooks headlessly with the Deno kernel and check that every cell produced its output.
 *
 * ```sh
 * bash tools/install-jupyter.sh                     # once per machine: Debian's Jupyter + the Deno kernelspec
 * deno run --allow-all tools/run-notebooks.ts [--quick] [--write] [--timeout <s>] [notebook.ipynb ...]
 * ```
 *
 * With no paths it runs every `notebooks/*.ipynb`. Each executed copy is kept in
 * `results/notebooks/<name>.ipynb`; `--write` also writes it over the source notebook (only on success).
 * `--quick` sets TESSERA_QUICK=1, which the notebooks read to pick quick mode. `--timeout` limits each cell
 * (seconds, default 600). Exit status 1 if any notebook failed.
 *
 * Execution uses nbclient from Debian's /usr/bin/python3 (the python3 on PATH may be another interpreter
 * that lacks it) through a small driver instead of `jupyter nbconvert --execute`, for one reason: the Deno
 * kernel sometimes publishes a cell's `status: idle` on IOPub a few milliseconds *before* the cell's last
 * output, and nbclient (which nbconvert uses) stops reading at idle, so that output is silently dropped
 * while the run reports success. The driver keeps reading IOPub after idle until it has been quiet for
 * {@link IOPUB_GRACE_S}. The output check and up to {@link MAX_ATTEMPTS} runs stay as a safety net.
 *
 * A cell is expected to produce output unless its source has a `// no-output` line comment. An exception in
 * a cell, an `error` output, or Deno's `error:` on stderr fails the notebook at once, with no re-run.
 *
 * @module
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { checkOutputs, type Notebook, type OutputCheck } from "./notebook.ts";

/** Runs of one notebook, at most, while outputs come back missing. */
export const MAX_ATTEMPTS = 3;
/** Seconds of IOPub silence after a cell's idle before its outputs are taken as complete. */
export const IOPUB_GRACE_S = 0.2;

const PYTHON = "/usr/bin/python3";
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SUMMARY_MARK = "@@run-notebooks ";

/** nbclient driver: argv = notebook, executed copy, cell timeout (s), IOPub grace (s). */
const DRIVER = `
import json, os, sys, time
from queue import Empty
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellExecutionError, CellTimeoutError, DeadKernelError
from jupyter_client.kernelspec import NoSuchKernel
try:
    from nbclient.util import ensure_async
except ImportError:
    from jupyter_core.utils import ensure_async

src, dst, timeout, grace = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])

class Client(NotebookClient):
    # Stock nbclient returns at the first idle; the Deno kernel can send idle before the last output.
    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        idle = False
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=grace if idle else None))
            except Empty:
                return
            if msg["parent_header"].get("msg_id") != parent_msg_id:
                continue
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                idle = True

nb = nbformat.read(src, as_version=4)
t0 = time.monotonic()
summary = {"status": "ok", "message": "", "startup_s": None}
# A kernelspec installed from another checkout points at a deno that may no longer exist: say so plainly
# instead of letting the kernel fail to start.
try:
    from jupyter_client.kernelspec import KernelSpecManager
    exe = KernelSpecManager().get_kernel_spec("deno").argv[0]
    if os.path.isabs(exe) and not os.path.exists(exe):
        summary.update(status="no-kernel",
                       message=f"the deno kernelspec runs {exe}, which does not exist: run bash tools/install-jupyter.sh")
        print(${JSON.stringify(SUMMARY_MARK)} + json.dumps(summary), flush=True)
        sys.exit(0)
except NoSuchKernel:
    pass  # reported by the client below
def started(**_):
    summary["startup_s"] = round(time.monotonic() - t0, 3)
client = Client(nb, timeout=timeout, kernel_name="deno", record_timing=False, on_notebook_start=started,
                resources={"metadata": {"path": os.path.dirname(os.path.abspath(src))}})
try:
    client.execute()
except CellExecutionError as e:
    summary.update(status="cell-error", message=str(e))
except CellTimeoutError as e:
    summary.update(status="timeout", message=str(e))
except DeadKernelError as e:
    summary.update(status="dead-kernel", message=str(e))
except NoSuchKernel as e:
    summary.update(status="no-kernel", message=f"{e}: run bash tools/install-jupyter.sh")
nbformat.write(nb, dst)
print(${JSON.stringify(SUMMARY_MARK)} + json.dumps(summary), flush=True)
`;

interface DriverResult {
  status: "ok" | "cell-error" | "timeout" | "dead-kernel" | "no-kernel" | "driver-failed";
  message: string;
  startup_s: number | null;
  stderr: string;
}

interface Options {
  quick: boolean;
  timeout: number;
  tmp: string;
}

/** Execute one notebook once into `out` with the nbclient driver. */
async function execute(path: string, out: string, opts: Options): Promise<DriverResult> {
  const env: Record<string, string> = { ...Deno.env.toObject(), NO_COLOR: "1", XDG_RUNTIME_DIR: opts.tmp };
  if (opts.quick) env.TESSERA_QUICK = "1";
  else delete env.TESSERA_QUICK;
  const args = ["-c", DRIVER, path, out, String(opts.timeout), String(IOPUB_GRACE_S)];
  const hint = "is Jupyter installed? (bash tools/install-jupyter.sh)";
  let done;
  try {
    done = await new Deno.Command(PYTHON, { args, env, clearEnv: true }).output();
  } catch (e) {
    return {
      status: "driver-failed",
      message: `${PYTHON}: ${(e as Error).message}; ${hint}`,
      startup_s: null,
      stderr: "",
    };
  }
  const text = new TextDecoder();
  const err = text.decode(done.stderr);
  const mark = text.decode(done.stdout).split("\n").find((line) => line.startsWith(SUMMARY_MARK));
  if (done.code !== 0 || mark === undefined) {
    return {
      status: "driver-failed",
      message: `driver exited ${done.code}; ${hint}`,
      startup_s: null,
      stderr: err,
    };
  }
  return { ...JSON.parse(mark.slice(SUMMARY_MARK.length)), stderr: err };
}

interface NotebookResult {
  ok: boolean;
  attempts: number;
  seconds: number;
  startup: number | null;
  check: OutputCheck | null;
}

/** Run a notebook until its outputs are complete (at most MAX_ATTEMPTS times), reporting problems. */
async function runNotebook(path: string, write: boolean, opts: Options): Promise<NotebookResult> {
  const resultsDir = join(REPO, "results", "notebooks");
  mkdirSync(resultsDir, { recursive: true });
  const kept = join(resultsDir, basename(path));
  const executed = join(opts.tmp, basename(path));
  const t0 = performance.now();
  const result: NotebookResult = { ok: false, attempts: 0, seconds: 0, startup: null, check: null };
  while (result.attempts < MAX_ATTEMPTS) {
    result.attempts++;
    const run = await execute(path, executed, opts);
    result.startup = run.startup_s;
    if (run.status === "driver-failed" || run.status === "no-kernel") {
      console.error(`${path}: ${run.message}\n${run.stderr.trim()}`);
      break;
    }
    copyFileSync(executed, kept);
    const check = checkOutputs(JSON.parse(readFileSync(executed, "utf8")) as Notebook);
    result.check = check;
    if (run.status !== "ok") {
      console.error(`${path}: ${run.status}\n${run.message.trim()}`);
      if (run.message.includes("Error: Execution failed")) {
        console.error('(the Deno kernel reports a syntax error in a cell only as "Execution failed")');
      }
      const stderr = run.stderr.split("\n").filter((line) => line.trim() && !line.includes("is unstable"));
      if (stderr.length > 0) console.error(`kernel stderr:\n${stderr.join("\n")}`);
      break;
    }
    if (check.errors.length > 0) {
      for (const e of check.errors) {
        console.error(`${path}: cell ${e.cell} (${e.id ?? "no id"}): ${e.message}`);
      }
      break;
    }
    if (check.missing.length === 0) {
      result.ok = true;
      break;
    }
    console.error(`${path}: attempt ${result.attempts}: no output from cells ${check.missing.join(", ")}`);
  }
  if (!result.ok && result.check && result.check.missing.length > 0 && result.attempts === MAX_ATTEMPTS) {
    console.error(`${path}: a cell that is silent on purpose needs a "// no-output" comment`);
  }
  result.seconds = (performance.now() - t0) / 1000;
  if (result.ok && write) copyFileSync(executed, path);
  return result;
}

function usage(): never {
  console.error(
    "usage: deno run --allow-all tools/run-notebooks.ts [--quick] [--write] [--timeout <s>] [notebook.ipynb ...]",
  );
  Deno.exit(2);
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      allowPositionals: true,
      options: {
        quick: { type: "boolean", default: false },
        write: { type: "boolean", default: false },
        timeout: { type: "string", default: "600" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    console.error((e as Error).message);
    usage();
  }
  const { values, positionals } = parsed;
  if (values.help) usage();
  const timeout = Number(values.timeout);
  if (!Number.isInteger(timeout) || timeout <= 0) {
    console.error(`--timeout must be a positive whole number of seconds, got ${values.timeout}`);
    usage();
  }
  const paths = positionals.length > 0 ? positionals : readdirSync(join(REPO, "notebooks"))
    .filter((name) => name.endsWith(".ipynb"))
    .sort()
    .map((name) => join(REPO, "notebooks", name));
  if (paths.length === 0) {
    console.error("no notebooks to run");
    return 0;
  }

  const tmp = mkdtempSync(join(tmpdir(), "run-notebooks-"));
  let failed = 0;
  try {
    for (const path of paths) {
      const r = await runNotebook(path, values.write, { quick: values.quick, timeout, tmp });
      if (!r.ok) failed++;
      const outputs = r.check ? `${r.check.withOutput}/${r.check.expected}` : "-";
      const startup = r.startup === null ? "" : ` (kernel ${r.startup.toFixed(1)} s)`;
      const seconds = `${r.seconds.toFixed(1)} s${startup}`;
      console.log(
        `${r.ok ? "ok  " : "FAIL"} ${basename(path)}  attempts ${r.attempts}  ${seconds}  outputs ${outputs}`,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (failed > 0) console.error(`${failed} of ${paths.length} notebooks failed`);
  return failed > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
