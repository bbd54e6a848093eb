/**
 * What every benchmark prints first: the machine it ran on, and the ceilings its kernels are quoted
 * against.
 *
 * - {@link printMachineHeader}: runtime and version, OS/arch, logical cores, CPU model (from
 *   /proc/cpuinfo when readable), the WebGPU adapter or "none (why)".
 * - {@link machinePeaks}: this process's measured roofline ceilings (STREAM triad GB/s and peak
 *   GFLOP/s per backend, 1 thread and N threads) from `measureMachine` of lib/experiments/roofline.ts,
 *   measured before the kernels so that fractions of peak compare numbers taken side by side.
 * - {@link printTable}: a plain-text table with aligned columns.
 *
 * Works under Bun and Deno (runtime globals are only read through `globalThis`).
 *
 * @module
 */
import { environmentInfo } from "../lib/core/report.ts";
import { formatValue, type Row } from "../lib/core/table.ts";
import { type CeilingRow, type MachineRoofline, measureMachine } from "../lib/experiments/roofline.ts";
import { getGpu, type GpuAdapterSummary, gpuUnavailableReason } from "../lib/runtime/gpu.ts";
import { defaultThreads } from "../lib/runtime/pool.ts";

/** Command-line flags shared by the bench files. */
export interface BenchArgs {
  /** `--quick`: fewer sizes and repetitions (CI). */
  quick: boolean;
}

/** The command-line arguments of this process (Bun: process.argv; Deno: Deno.args). */
export function scriptArgs(): string[] {
  const g = globalThis as {
    Deno?: { args: string[] };
    process?: { argv: string[] };
  };
  if (g.Deno) return g.Deno.args;
  return g.process?.argv.slice(2) ?? [];
}

/** Parses the flags every bench file understands. */
export function benchArgs(args: string[] = scriptArgs()): BenchArgs {
  return { quick: args.includes("--quick") };
}

/** The CPU model from /proc/cpuinfo, or null where it cannot be read (not Linux, no permission). */
export async function cpuModel(): Promise<string | null> {
  try {
    const fs = await import("node:fs/promises");
    const text = await fs.readFile("/proc/cpuinfo", "utf8");
    const m = /^(?:model name|Model|cpu model|Hardware)\s*:\s*(.+)$/m.exec(text);
    return m ? m[1].trim() : null;
  } catch {
    return null;
  }
}

/** Cache sizes from /sys (e.g. "L1d 32K, L2 512K, L3 32768K"), or null where not readable. */
export async function cacheSizes(): Promise<string | null> {
  try {
    const fs = await import("node:fs/promises");
    const dir = "/sys/devices/system/cpu/cpu0/cache";
    const parts: string[] = [];
    for (const entry of (await fs.readdir(dir)).filter((e) => e.startsWith("index")).sort()) {
      const read = async (f: string) => (await fs.readFile(`${dir}/${entry}/${f}`, "utf8")).trim();
      const [level, type, size] = await Promise.all([read("level"), read("type"), read("size")]);
      if (type === "Instruction") continue;
      parts.push(`L${level}${type === "Data" ? "d" : ""} ${size}`);
    }
    return parts.length ? parts.join(", ") + " (per cpu0)" : null;
  } catch {
    return null;
  }
}

/** Whether a WebGPU adapter is a CPU rasterizer (llvmpipe, lavapipe, SwiftShader, a fallback adapter). */
export function isSoftwareAdapter(info: GpuAdapterSummary): boolean {
  const text = [info.vendor, info.architecture, info.device, info.description].join(" ");
  return info.isFallbackAdapter || /llvmpipe|lavapipe|softpipe|swiftshader/i.test(text);
}

/**
 * The WebGPU adapter this process would use, or "none (why)"; a CPU rasterizer is named as such.
 * Never throws.
 */
export async function webgpuAdapter(): Promise<string> {
  const why = await gpuUnavailableReason();
  if (why !== null) return `none (${why})`;
  const gpu = await getGpu();
  return gpu.describe() +
    (isSoftwareAdapter(gpu.adapterInfo) ? " [CPU rasterizer: WebGPU rows are a correctness path]" : "");
}

/** The machine header as label/value pairs. */
export async function machineInfo(): Promise<Array<[string, string]>> {
  const env = environmentInfo();
  return [
    ["runtime", `${env.runtime} ${env.runtimeVersion}`],
    ["os/arch", `${env.os}/${env.arch}`],
    ["logical cores", String(env.cores)],
    ["threads (N)", String(defaultThreads())],
    ["cpu", (await cpuModel()) ?? "unknown (/proc/cpuinfo not readable)"],
    ["caches", (await cacheSizes()) ?? "unknown"],
    ["webgpu", await webgpuAdapter()],
    ["date", String(env.date)],
  ];
}

/** Prints the machine header (and the name of the benchmark and its mode). */
export async function printMachineHeader(title: string, args: BenchArgs): Promise<void> {
  const info = await machineInfo();
  const width = Math.max(...info.map(([k]) => k.length));
  console.log(`# ${title} (${args.quick ? "quick" : "full"} mode)`);
  for (const [k, v] of info) console.log(`${k.padEnd(width)}  ${v}`);
  console.log();
}

/** The ceilings the benchmarks quote fractions of, measured in this process. */
export interface MachinePeaks {
  /** Every ceiling measured (ts, wasm scalar, wasm simd x1, wasm simd xN). */
  ceilings: CeilingRow[];
  /** Threads of the multi-threaded row (1 when the machine has one core). */
  threads: number;
  /** The ceiling of a backend ("ts (f64 numbers)", "wasm scalar", "wasm simd") at a thread count. */
  find(backend: string, threads?: number): CeilingRow | undefined;
  /** The full measurement, for callers that want the matmul points too. */
  roofline: MachineRoofline;
}

/** Options of {@link machinePeaks}. */
export interface MachinePeaksOptions {
  /**
   * Quick ceilings (measureMachine's quick setting: best of 3, peak loops of 2^20 iterations, about 2 s)
   * or full ones (best of 10, 2^22 iterations, about 5 s, steadier on a shared machine). Default true.
   */
  quick?: boolean;
  /** Threads of the multi-threaded row. Default: every core (TESSERA_THREADS overrides). */
  threads?: number;
  /** Print the ceilings table. Default true. */
  print?: boolean;
}

/**
 * Measures this machine's ceilings with `measureMachine({ quick, webgpu: false, quiet: true })`:
 * STREAM copy/triad and peak multiply-add throughput for ts, wasm scalar, wasm simd on 1 thread and on
 * `threads`. Run it in the benchmark's own process, before the kernels.
 */
export async function machinePeaks(options: MachinePeaksOptions = {}): Promise<MachinePeaks> {
  const threads = options.threads ?? defaultThreads();
  const quick = options.quick ?? true;
  const roofline = await measureMachine({ quick, webgpu: false, quiet: true, threads });
  const peaks: MachinePeaks = {
    ceilings: roofline.ceilings,
    threads,
    find: (backend, t = 1) => roofline.ceilings.find((r) => r.backend === backend && r.threads === t),
    roofline,
  };
  if (options.print ?? true) {
    printTable(
      `Ceilings measured in this process before the kernels (measureMachine ${quick ? "quick" : "full"}: ` +
        `STREAM on 2^24 f32, best of ${quick ? 3 : 10})`,
      roofline.ceilings.map((r) => ({
        backend: r.backend,
        threads: r.threads,
        "copy GB/s": r.copyGBs,
        "triad GB/s": r.triadGBs,
        "peak GFLOP/s": r.peakGFLOPs,
      })),
    );
  }
  return peaks;
}

/** Options of {@link printTable}. */
export interface PrintTableOptions {
  /** Columns in order (default: every key in the order first seen). */
  columns?: string[];
  /** Significant digits of non-integer numbers (default 3). */
  digits?: number;
  /** Lines printed under the table. */
  notes?: string[];
}

/**
 * Formats rows as a plain-text table: numbers right-aligned with `digits` significant digits,
 * text left-aligned, missing values as "-".
 *
 * @example
 * ```ts
 * import { formatTable } from "./machine.ts";
 * formatTable([{ n: 64, "GFLOP/s": 1.234 }]);
 * // "n   GFLOP/s\n--  -------\n64     1.23\n"
 * ```
 */
export function formatTable(rows: Row[], options: PrintTableOptions = {}): string {
  const cols = options.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const digits = options.digits ?? 3;
  const numeric = cols.map((c) => rows.some((r) => typeof r[c] === "number"));
  const cells = rows.map((r) =>
    cols.map((c) => {
      const v = r[c];
      return v === undefined || v === null || (typeof v === "number" && Number.isNaN(v))
        ? "-"
        : formatValue(v, digits);
    })
  );
  const widths = cols.map((c, j) => Math.max(c.length, ...cells.map((row) => row[j].length)));
  const pad = (s: string, j: number) => (numeric[j] ? s.padStart(widths[j]) : s.padEnd(widths[j]));
  const lines = [
    cols.map((c, j) => pad(c, j)).join("  "),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...cells.map((row) => row.map(pad).join("  ")),
  ];
  return lines.map((l) => l.trimEnd()).join("\n") + "\n";
}

/** Prints a titled plain-text table (see {@link formatTable}). */
export function printTable(title: string, rows: Row[], options: PrintTableOptions = {}): void {
  console.log(`\n## ${title}\n`);
  console.log(formatTable(rows, options));
  for (const n of options.notes ?? []) console.log(n);
  if (options.notes?.length) console.log();
}

/** a / b, or NaN when either is missing or b is 0 (printed as "-"). */
export function ratio(a: number | undefined, b: number | undefined): number {
  return a === undefined || b === undefined || b === 0 ? NaN : a / b;
}
