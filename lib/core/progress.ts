/**
 * Progress reporting for long runs that behaves well everywhere:
 * - a terminal (stderr is a TTY): a bar redrawn in place, at most 10 times a second;
 * - a Jupyter notebook under the Deno kernel: one live output line, updated about once a second;
 * - CI (the `CI` environment variable is set) or output that is not a terminal: nothing until `done()`,
 *   which prints one summary line;
 * - `quiet: true`: nothing at all.
 *
 * Works under Deno and Bun (where the `Deno` global does not exist). `Deno.jupyter` throws outside the
 * kernel, so it is only touched inside a try.
 *
 * @module
 */
import { describe, InvalidArgumentError, requireFinite, requireInt } from "./errors.ts";
import { escapeHTML } from "./table.ts";

/** How progress is shown; "auto" picks from the environment as described in the module docs. */
export type ProgressMode = "auto" | "tty" | "plain" | "jupyter" | "quiet";

/** Sends a Jupyter IOPub message (the shape of `Deno.jupyter.broadcast`, synchronous or async). */
export type JupyterBroadcast = (type: string, content: Record<string, unknown>) => Promise<void> | void;

/** Options of `progress`. */
export interface ProgressOptions {
  /** What is being done, e.g. "lbm 256x256". */
  label: string;
  /** Number of steps expected (an integer >= 0). */
  total: number;
  /** Show nothing, not even the final line. */
  quiet?: boolean;
  /** Force a display mode (default "auto"). */
  mode?: ProgressMode;
  /** Where terminal and plain output goes (default: stderr). */
  write?: (text: string) => void;
  /** Where notebook updates go (default: `Deno.jupyter.broadcast` when running in the kernel). */
  broadcast?: JupyterBroadcast;
  /** Minimum time between redraws in ms (default 100 in a terminal, 1000 in a notebook). */
  intervalMs?: number;
}

/** A running progress display. */
export interface Progress {
  /** Records `n` more steps (default 1), with an optional note shown beside the bar. */
  tick(n?: number, note?: string): void;
  /** Finishes: prints the summary line (unless quiet). Calling it again does nothing. */
  done(note?: string): void;
  /** Steps recorded so far. */
  readonly count: number;
  /** The mode in use after "auto" was resolved. */
  readonly mode: Exclude<ProgressMode, "auto">;
}

type DenoLike = {
  jupyter?: { broadcast?: JupyterBroadcast };
  env: { get(name: string): string | undefined };
  permissions?: { querySync?(d: { name: "env"; variable: string }): { state: string } };
  stderr: { isTerminal(): boolean; writeSync(b: Uint8Array): number };
};
type ProcessLike = {
  env?: Record<string, string | undefined>;
  stderr?: { isTTY?: boolean; write(s: string): unknown };
};

const denoGlobal = (): DenoLike | undefined => (globalThis as { Deno?: DenoLike }).Deno;
const processGlobal = (): ProcessLike | undefined => (globalThis as { process?: ProcessLike }).process;

/** `Deno.jupyter.broadcast` when running inside the Deno Jupyter kernel, otherwise undefined. */
export function jupyterBroadcast(): JupyterBroadcast | undefined {
  const deno = denoGlobal();
  if (!deno) return undefined;
  try {
    const j = deno.jupyter;
    return typeof j?.broadcast === "function" ? j.broadcast.bind(j) : undefined;
  } catch {
    return undefined; // outside `deno jupyter` the getter throws
  }
}

/** Reads an environment variable without prompting for (or failing on) a missing Deno permission. */
function envVar(name: string): string | undefined {
  const deno = denoGlobal();
  if (deno) {
    try {
      const state = deno.permissions?.querySync?.({ name: "env", variable: name }).state;
      return state === "granted" ? deno.env.get(name) : undefined;
    } catch {
      return undefined;
    }
  }
  return processGlobal()?.env?.[name];
}

function isCI(): boolean {
  const v = envVar("CI");
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

function stderrIsTTY(): boolean {
  const deno = denoGlobal();
  try {
    if (deno) return deno.stderr.isTerminal();
    return processGlobal()?.stderr?.isTTY === true;
  } catch {
    return false;
  }
}

const encoder = new TextEncoder();

function writeStderr(text: string): void {
  const deno = denoGlobal();
  if (deno) {
    let bytes = encoder.encode(text);
    while (bytes.length > 0) bytes = bytes.subarray(deno.stderr.writeSync(bytes));
    return;
  }
  const stderr = processGlobal()?.stderr;
  if (stderr) stderr.write(text);
  else console.error(text.replace(/\n$/, ""));
}

/**
 * Formats a duration for humans: "850 ms", "12.3 s", "3m 05s", "1h 02m".
 *
 * @example
 * ```ts
 * import { formatDuration } from "./progress.ts";
 * formatDuration(185000); // "3m 05s"
 * ```
 */
export function formatDuration(ms: number): string {
  requireFinite("ms", ms, 0);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

function resolveMode(o: ProgressOptions): Exclude<ProgressMode, "auto"> {
  const mode = o.mode ?? "auto";
  if (!["auto", "tty", "plain", "jupyter", "quiet"].includes(mode)) {
    throw new InvalidArgumentError(`mode must be auto, tty, plain, jupyter or quiet, got ${describe(mode)}`);
  }
  if (o.quiet) return "quiet";
  if (mode !== "auto") return mode;
  if (o.broadcast ?? jupyterBroadcast()) return "jupyter";
  if (isCI()) return "plain";
  return stderrIsTTY() ? "tty" : "plain";
}

const BAR = 24;

/**
 * Starts a progress display. Call `tick()` per step and `done()` at the end.
 *
 * @example
 * ```ts
 * import { progress } from "./progress.ts";
 * const p = progress({ label: "sweep", total: 3 });
 * for (let i = 0; i < 3; i++) p.tick(1, `size ${2 ** i}`);
 * p.done(); // stderr: "sweep: 3/3 in 2 ms"
 * ```
 */
export function progress(options: ProgressOptions): Progress {
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError(`progress needs an options object, got ${describe(options)}`);
  }
  const { label } = options;
  if (typeof label !== "string") {
    throw new InvalidArgumentError(`label must be a string, got ${describe(label)}`);
  }
  const total = requireInt("total", options.total, 0);
  const mode = resolveMode(options);
  const write = options.write ?? writeStderr;
  let broadcast = mode === "jupyter" ? options.broadcast ?? jupyterBroadcast() : undefined;
  const interval = requireFinite("intervalMs", options.intervalMs ?? (mode === "jupyter" ? 1000 : 100), 0);
  const start = performance.now();
  const displayId = `tessera-progress-${Math.random().toString(36).slice(2)}`;
  let count = 0, lastDraw = -Infinity, finished = false, shown = false;

  const line = (note?: string, final = false): string => {
    const elapsed = performance.now() - start;
    const frac = total > 0 ? Math.min(count / total, 1) : 1;
    if (final) return `${label}: ${count}/${total} in ${formatDuration(elapsed)}${note ? ` (${note})` : ""}`;
    const filled = Math.round(frac * BAR);
    const eta = count > 0 && count < total
      ? ` eta ${formatDuration((elapsed / count) * (total - count))}`
      : "";
    return `${label} ${"█".repeat(filled)}${"░".repeat(BAR - filled)} ${Math.floor(frac * 100)}% ` +
      `${count}/${total} ${formatDuration(elapsed)}${eta}${note ? ` ${note}` : ""}`;
  };

  const notebook = (text: string, final: boolean) => {
    const html = final
      ? `<code>${escapeHTML(text)}</code>`
      : `<progress value="${Math.min(count, total)}" max="${total}" ` +
        `style="vertical-align: middle"></progress> <code>${escapeHTML(text)}</code>`;
    const content = {
      data: { "text/plain": text, "text/html": html },
      metadata: {},
      transient: { display_id: displayId },
    };
    if (broadcast) {
      // Deno 2.9's broadcast is synchronous and returns undefined; other versions return a promise.
      const refuse = () => void (broadcast = undefined); // fall back to printed lines
      try {
        const result = broadcast(shown ? "update_display_data" : "display_data", content);
        if (result && typeof result.then === "function") result.then(undefined, refuse);
        shown = true;
      } catch {
        refuse();
        console.log(text);
      }
    } else console.log(text);
  };

  const draw = (note?: string) => {
    if (mode === "tty") write(`\r${line(note)}\x1b[K`);
    else if (mode === "jupyter") notebook(line(note), false);
  };

  if (mode === "jupyter") draw();
  return {
    get count() {
      return count;
    },
    mode,
    tick(n = 1, note?: string) {
      requireFinite("n", n, 0);
      if (finished) throw new InvalidArgumentError(`progress "${label}" is done; tick() after done()`);
      count += n;
      const now = performance.now();
      if (now - lastDraw >= interval) {
        lastDraw = now;
        draw(note);
      }
    },
    done(note?: string) {
      if (finished) return;
      finished = true;
      const text = line(note, true);
      if (mode === "tty") write(`\r${text}\x1b[K\n`);
      else if (mode === "plain") write(`${text}\n`);
      else if (mode === "jupyter") notebook(text, true);
    },
  };
}
