/**
 * Compiles every kernel family `kernels-as/<family>.ts` into `kernels-as/build/<family>.wasm` with
 * the one set of flags the runtime expects, or, with `--check`, compiles into a temporary folder and
 * fails if any committed binary differs from its sources.
 *
 *   deno task build          # rebuild the committed binaries
 *   deno task check:wasm     # prove the committed binaries match the sources
 *
 * @module
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The flags every family is compiled with (see docs/ARCHITECTURE.md, "Kernels"). */
export const ASC_FLAGS = [
  "-O3",
  "--noAssert",
  "--runtime",
  "stub",
  "--use",
  "abort=",
  "--enable",
  "simd",
  "--enable",
  "threads",
  "--importMemory",
  "--sharedMemory",
  "--initialMemory",
  "16",
  "--maximumMemory",
  "65536",
];

const root = new URL("..", import.meta.url).pathname;
const src = join(root, "kernels-as");
const out = join(root, "kernels-as", "build");
const asc = join(root, "node_modules", "assemblyscript", "bin", "asc.js");

/** Top-level section ids of a wasm binary, to prove a kernel has no static data. */
export function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let i = 8;
  while (i < bytes.length) {
    const id = bytes[i++];
    let size = 0, shift = 0, b: number;
    do {
      b = bytes[i++];
      size |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    ids.push(id);
    i += size;
  }
  return ids;
}

async function compile(family: string, dir: string): Promise<Uint8Array> {
  const target = join(dir, `${family}.wasm`);
  // asc runs under Node (Deno's node:child_process would re-route a `node` command to Deno itself)
  const { code } = await new Deno.Command("node", {
    args: [asc, join(src, `${family}.ts`), ...ASC_FLAGS, "-o", target],
  })
    .spawn().status;
  if (code !== 0) throw new Error(`asc failed on kernels-as/${family}.ts (exit ${code})`);
  const bytes = new Uint8Array(await readFile(target));
  if (sectionIds(bytes).includes(11)) {
    throw new Error(
      `${family}.wasm has a data section: kernels must not keep static data in the shared memory ` +
        `(every family shares one memory, so it would overlap with other families and the heap)`,
    );
  }
  return bytes;
}

async function main() {
  const check = Deno.args.includes("--check");
  const families = (await readdir(src)).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort();
  const dir = check ? await mkdtemp(join(tmpdir(), "tessera-wasm-")) : out;
  let stale = 0;
  try {
    for (const family of families) {
      const fresh = await compile(family, dir);
      if (!check) {
        console.log(`built kernels-as/build/${family}.wasm (${fresh.length} bytes)`);
        continue;
      }
      let committed: Uint8Array | null = null;
      try {
        committed = new Uint8Array(await readFile(join(out, `${family}.wasm`)));
      } catch {
        committed = null;
      }
      const same = committed !== null && committed.length === fresh.length &&
        committed.every((b, i) => b === fresh[i]);
      console.log(`${same ? "ok   " : "STALE"} kernels-as/build/${family}.wasm`);
      if (!same) stale++;
    }
    const extra = (await readdir(out)).filter((f) =>
      f.endsWith(".wasm") && !families.includes(f.slice(0, -5))
    );
    for (const f of extra) {
      console.log(`STALE kernels-as/build/${f} has no source`);
      stale++;
    }
  } finally {
    if (check) await rm(dir, { recursive: true, force: true });
  }
  if (stale) {
    console.error(`${stale} committed kernel binaries differ from their sources: run \`deno task build\``);
    Deno.exit(1);
  }
}

if (import.meta.main) await main();
