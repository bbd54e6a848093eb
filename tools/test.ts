/**
 * The test suite: every `tests/**\/*.test.ts` file (or those under the paths given) in its own `deno test`
 * process, one after another, then a summary. One process per file because the WebGPU runtime has
 * crashed at process exit ("double free or corruption") after every test of a run had passed, more often
 * the more GPU work one process had done; a file per process keeps each process's GPU work small, and a
 * crash is still reported as a failure of that file (nothing is retried).
 *
 * Run: `deno task test [paths...]` (the npm script `npm test` runs the same).
 *
 * @module
 */
import { join, relative } from "node:path";
import { readdirSync, statSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;

function testFiles(path: string): string[] {
  const st = statSync(path);
  if (st.isFile()) return path.endsWith(".test.ts") ? [path] : [];
  return readdirSync(path).sort().flatMap((name) => testFiles(join(path, name)));
}

const targets = Deno.args.length ? Deno.args.map((a) => join(Deno.cwd(), a)) : [join(root, "tests")];
const files = targets.flatMap(testFiles);
if (files.length === 0) {
  console.error(`no *.test.ts files under ${Deno.args.join(", ") || "tests/"}`);
  Deno.exit(2);
}

let passed = 0, failedTests = 0, ignored = 0;
const failures: string[] = [];
const t0 = performance.now();
const decoder = new TextDecoder();
for (const file of files) {
  const name = relative(root, file);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", file],
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let out = "";
  for await (const chunk of child.stdout) {
    const text = decoder.decode(chunk, { stream: true });
    out += text;
    await Deno.stdout.write(chunk);
  }
  const status = await child.status;
  // the summary line: "ok | 3 passed | 0 failed | 1 ignored (2s)" (colours stripped)
  // deno-lint-ignore no-control-regex
  const plain = out.replace(/\x1b\[[0-9;]*m/g, "");
  const m = plain.match(
    /(?:ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \| (\d+) ignored)?/,
  );
  if (m) {
    passed += Number(m[1]);
    failedTests += Number(m[3]);
    ignored += Number(m[4] ?? 0);
  }
  if (!status.success) {
    const after = m && Number(m[3]) === 0 ? " after all its tests had passed" : "";
    failures.push(
      `${name}: exit code ${status.code}${status.signal ? `, signal ${status.signal}` : ""}${after}`,
    );
  }
}
const secs = ((performance.now() - t0) / 1e3).toFixed(0);
console.log(
  `\n${files.length} test files, ${passed} tests passed, ${failedTests} failed, ${ignored} ignored (${secs} s)`,
);
if (failures.length) {
  console.log(`${failures.length} file(s) failed:\n  ${failures.join("\n  ")}`);
  Deno.exit(1);
}
