/**
 * Runs the benchmarks: every bench/*.ts except run.ts and machine.ts (or the ones named), each in its
 * own process of the current runtime, one after the other, passing `--quick` through. Exits non-zero
 * when one fails.
 *
 * Usage: `bun bench/run.ts [--quick] [linalg roofline | bench/linalg.ts ...]`
 * (`deno task bench` and `bun run bench` run this with Bun; `deno run -A bench/run.ts` runs the files with Deno).
 *
 * `--quick` is for CI: fewer sizes and repetitions, the whole run in about a minute on 2 cores.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const NOT_BENCHMARKS = new Set(["run.ts", "machine.ts"]);

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const unknown = argv.filter((a) => a.startsWith("-") && a !== "--quick");
if (unknown.length > 0) {
  console.error(`unknown option ${unknown.join(" ")}; usage: bench/run.ts [--quick] [files...]`);
  process.exit(2);
}

const available = readdirSync(HERE).filter((f) => f.endsWith(".ts") && !NOT_BENCHMARKS.has(f)).sort();
const named = argv.filter((a) => !a.startsWith("-")).map((a) => {
  const f = basename(a).endsWith(".ts") ? basename(a) : `${basename(a)}.ts`;
  if (!available.includes(f)) {
    console.error(`no benchmark ${a}: bench/ has ${available.join(", ")}`);
    process.exit(2);
  }
  return f;
});
const files = named.length > 0 ? named : available;

/** The command that runs a TypeScript file with the runtime running this script. */
function command(file: string): string[] {
  const deno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  return deno ? [process.execPath, "run", "--allow-all", file] : [process.execPath, file];
}

function runOne(file: string): Promise<number> {
  const [cmd, ...rest] = command(join(HERE, file));
  return new Promise((resolve) => {
    const child = spawn(cmd, [...rest, ...(quick ? ["--quick"] : [])], { stdio: "inherit" });
    child.on("error", (e) => {
      console.error(`cannot start ${file}: ${e.message}`);
      resolve(127);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

const results: Array<{ file: string; code: number; seconds: number }> = [];
const started = performance.now();
for (const file of files) {
  console.log(`\n=== bench/${file}${quick ? " --quick" : ""} ===\n`);
  const t0 = performance.now();
  const code = await runOne(file);
  results.push({ file, code, seconds: (performance.now() - t0) / 1000 });
}

console.log(`\n=== summary (${quick ? "quick" : "full"}) ===`);
for (const r of results) {
  console.log(
    `${r.code === 0 ? "ok  " : "FAIL"}  bench/${r.file.padEnd(14)} ${r.seconds.toFixed(1)} s` +
      (r.code === 0 ? "" : `  (exit ${r.code})`),
  );
}
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
const failed = results.filter((r) => r.code !== 0).length;
if (failed > 0) {
  console.error(`${failed} of ${results.length} benchmark files failed`);
  process.exit(1);
}
