/**
 * `deno task bench [--quick] [files...]`: runs bench/run.ts under Bun. (Inside `deno task`, a `bun`
 * command would resolve to node_modules/.bin/bun and be run as JavaScript, so this finds the Bun
 * executable itself: the npm-installed one, else `bun` on PATH.)
 *
 * @module
 */
import { existsSync } from "node:fs";

const local = new URL("../node_modules/bun/bin/bun.exe", import.meta.url);
const bun = existsSync(local) ? local.pathname : "bun";
const script = new URL("../bench/run.ts", import.meta.url).pathname;
try {
  const { code } = await new Deno.Command(bun, { args: [script, ...Deno.args] }).spawn().status;
  Deno.exit(code);
} catch (e) {
  console.error(`cannot start Bun (${bun}): ${(e as Error).message}. Run \`npm ci\` to install it.`);
  Deno.exit(1);
}
