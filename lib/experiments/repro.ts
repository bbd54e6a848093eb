/**
 * `deno task repro [experiment...] [--quick|--full] [--seed N] [--out DIR] [--list]`
 *
 * Runs experiments (every registered one when none is named, quick mode unless --full), writes
 * `<out>/<experiment>/` (report.md, CSV, JSON, SVG) and `<out>/index.html`, and prints each report's
 * claims. Exits non-zero if any experiment failed; the others still run.
 *
 * @module
 */
import { join } from "node:path";
import { EXPERIMENTS } from "./mod.ts";
import { InvalidArgumentError, requireInt } from "../core/errors.ts";
import { readReports, type Report, writeIndex, writeReport } from "../core/report.ts";
import { toMarkdown } from "../core/table.ts";
import { shutdownPools } from "../runtime/pool.ts";
import { releaseGpu } from "../runtime/gpu.ts";

/** Parsed command line. */
export interface ReproArgs {
  names: string[];
  quick: boolean;
  seed: number;
  out: string;
  list: boolean;
}

const USAGE = "usage: deno task repro [experiment...] [--quick|--full] [--seed N] [--out DIR] [--list]";

/** Parses repro's arguments; unknown flags and experiments are errors that list what is allowed. */
export function parseArgs(args: string[]): ReproArgs {
  const parsed: ReproArgs = { names: [], quick: true, seed: 1, out: "results", list: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--quick") parsed.quick = true;
    else if (a === "--full") parsed.quick = false;
    else if (a === "--list") parsed.list = true;
    else if (a === "--seed") parsed.seed = requireInt("--seed", Number(args[++i]), 0);
    else if (a === "--out") {
      parsed.out = args[++i];
      if (!parsed.out) throw new InvalidArgumentError(`--out needs a folder; ${USAGE}`);
    } else if (a.startsWith("-")) throw new InvalidArgumentError(`unknown option ${a}; ${USAGE}`);
    else parsed.names.push(a);
  }
  const known = EXPERIMENTS.map((e) => e.name);
  for (const n of parsed.names) {
    if (!known.includes(n)) {
      throw new InvalidArgumentError(`unknown experiment "${n}"; known: ${known.join(", ")}`);
    }
  }
  return parsed;
}

async function main(): Promise<number> {
  let args: ReproArgs;
  try {
    args = parseArgs(Deno.args);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (args.list) {
    for (const e of EXPERIMENTS) {
      console.log(`${e.name.padEnd(12)} ${e.title}${e.paper ? ` (${e.paper})` : ""}`);
    }
    return 0;
  }
  const chosen = args.names.length ? EXPERIMENTS.filter((e) => args.names.includes(e.name)) : EXPERIMENTS;
  const mode = args.quick ? "quick" : "full";
  let failed = 0;
  for (const e of chosen) {
    console.log(`\n== ${e.name}: ${e.title} (${mode}, seed ${args.seed})`);
    const t0 = performance.now();
    try {
      const { run } = await e.load();
      const report: Report = await run({ quick: args.quick, seed: args.seed });
      const files = await writeReport(report, join(args.out, e.name));
      if (report.claims.length) {
        console.log(toMarkdown(report.claims as unknown as Record<string, unknown>[]));
      }
      console.log(
        `${e.name}: ${files.length} files in ${join(args.out, e.name)} (${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s)`,
      );
    } catch (err) {
      failed++;
      console.error(`${e.name} FAILED: ${(err as Error)?.stack ?? err}`);
    }
  }
  const index = await writeIndex(args.out, await readReports(args.out));
  console.log(`\nindex: ${index}`);
  await shutdownPools();
  await releaseGpu();
  if (failed) console.error(`${failed} of ${chosen.length} experiments failed`);
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
