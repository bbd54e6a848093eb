/**
 * The worker side of the pool: instantiates kernel families against the shared memory it is given
 * and runs exported functions on request. Works under node:worker_threads (Deno, Bun, Node) and as a
 * web worker (browsers).
 *
 * @module
 */

interface Port {
  post(msg: unknown): void;
  listen(fn: (msg: WorkerRequest) => void): void;
}

/** Messages the pool sends. */
export type WorkerRequest =
  | { type: "init"; memory: WebAssembly.Memory }
  | { type: "load"; family: string; module: WebAssembly.Module }
  | { type: "run"; id: number; family: string; fn: string; args: number[] };

async function port(): Promise<Port> {
  try {
    const wt = await import("node:worker_threads");
    if (wt.parentPort) {
      const p = wt.parentPort;
      return { post: (m) => p.postMessage(m), listen: (fn) => p.on("message", fn) };
    }
  } catch {
    // not a node-compatible runtime: a web worker
  }
  const scope = globalThis as unknown as {
    postMessage(m: unknown): void;
    addEventListener(t: string, fn: (e: MessageEvent) => void): void;
  };
  return {
    post: (m) => scope.postMessage(m),
    listen: (fn) => scope.addEventListener("message", (e) => fn(e.data)),
  };
}

const p = await port();
let memory: WebAssembly.Memory | null = null;
const families = new Map<string, Record<string, (...a: number[]) => unknown>>();

p.listen((msg) => {
  if (msg.type === "init") {
    memory = msg.memory;
    return;
  }
  if (msg.type === "load") {
    const inst = new WebAssembly.Instance(msg.module, { env: { memory: memory! } });
    families.set(msg.family, inst.exports as Record<string, (...a: number[]) => unknown>);
    return;
  }
  try {
    const f = families.get(msg.family)?.[msg.fn];
    if (typeof f !== "function") throw new Error(`no function ${msg.fn} in kernel family ${msg.family}`);
    f(...msg.args);
    p.post({ id: msg.id });
  } catch (e) {
    p.post({ id: msg.id, error: String((e as Error)?.message ?? e) });
  }
});
p.post({ ready: true });
