// Runs `npm ci` when the project's tools are not installed yet, so `npm run repro` and `npm test`
// work as the first commands on a machine with only Node and npm.
const fs = require("node:fs");
const path = require("node:path");
const { execSync } = require("node:child_process");
const root = path.join(__dirname, "..");
const need = ["deno", "bun", "asc"].filter((b) => !fs.existsSync(path.join(root, "node_modules", ".bin", b)));
if (need.length) {
  console.log(`installing the project's tools (missing: ${need.join(", ")}) with npm ci`);
  execSync("npm ci --no-audit --no-fund", { cwd: root, stdio: "inherit" });
}
