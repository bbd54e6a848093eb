/**
 * The library loads from a URL: the repository is served over http by a plain static server, and a
 * separate Deno process with an empty module cache imports mod.ts from it and runs matmul on the wasm
 * backend (1 and 2 threads, so the worker pool loads over http too) and on webgpu when an adapter exists.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gpuAvailable } from "../../lib/runtime/gpu.ts";

const root = new URL("../../", import.meta.url);
const TYPES: Record<string, string> = {
  ".ts": "application/typescript",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".wgsl": "text/plain",
  ".json": "application/json",
};

Deno.test("import { matmul } from an http URL in a fresh Deno cache: wasm and webgpu", async () => {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} },
    async (req) => {
      const path = decodeURIComponent(new URL(req.url).pathname);
      if (path.includes("..")) return new Response("no", { status: 403 });
      try {
        const body = await Deno.readFile(new URL("." + path, root));
        const ext = path.slice(path.lastIndexOf("."));
        return new Response(body, { headers: { "content-type": TYPES[ext] ?? "application/octet-stream" } });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
  const dir = await mkdtemp(join(tmpdir(), "tessera-url-"));
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const withGpu = await gpuAvailable();
    const script = `
      import { matmul, shutdownPools } from "${base}/mod.ts";
      const a = Float32Array.from({ length: 96 * 80 }, (_, i) => (i % 7) - 3);
      const b = Float32Array.from({ length: 80 * 72 }, (_, i) => (i % 5) - 2);
      const ref = await matmul(a, b, 96, 80, 72, { backend: "ts" });
      const out = { wasm1: await matmul(a, b, 96, 80, 72, { backend: "wasm", threads: 1 }),
                    wasm2: await matmul(a, b, 96, 80, 72, { backend: "wasm", threads: 2 }) };
      ${withGpu ? 'out.webgpu = await matmul(a, b, 96, 80, 72, { backend: "webgpu" });' : ""}
      const same = Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.every((x, i) => x === ref[i])]));
      console.log(JSON.stringify(same));
      await shutdownPools();
    `;
    await writeFile(join(dir, "main.ts"), script);
    const cmd = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-lock", "--no-config", join(dir, "main.ts")],
      env: { DENO_DIR: join(dir, "cache"), NO_COLOR: "1", XDG_RUNTIME_DIR: dir },
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    });
    const res = await cmd.output();
    const stdout = new TextDecoder().decode(res.stdout), stderr = new TextDecoder().decode(res.stderr);
    assert.equal(res.code, 0, `child failed:\n${stderr}`);
    const last = stdout.trim().split("\n").at(-1)!;
    // integer-valued operands: every backend is exact
    assert.deepEqual(JSON.parse(last), { wasm1: true, wasm2: true, ...(withGpu ? { webgpu: true } : {}) });
    if (!withGpu) console.log("webgpu part not run: no WebGPU adapter in this runtime");
  } finally {
    ac.abort();
    await server.finished;
    await rm(dir, { recursive: true, force: true });
  }
});
