// npm links node_modules/.bin/deno straight to the Deno executable. `deno task` runs anything it
// finds in node_modules/.bin as a JavaScript program, so every task that calls `deno` would fail
// with a syntax error on the executable. Point the link at the package's JavaScript launcher
// instead: tasks then work whether Deno came from npm or from elsewhere.
const fs = require("node:fs");
const path = require("node:path");
const bin = path.join(__dirname, "..", "node_modules", ".bin", "deno");
const launcher = path.join("..", "deno", "bin.cjs");
try {
  if (fs.readlinkSync(bin) !== launcher) {
    fs.unlinkSync(bin);
    fs.symlinkSync(launcher, bin);
    fs.chmodSync(path.join(__dirname, "..", "node_modules", "deno", "bin.cjs"), 0o755);
    console.log("node_modules/.bin/deno -> " + launcher);
  }
} catch (e) {
  if (e.code !== "ENOENT" && e.code !== "EINVAL") throw e;
}
