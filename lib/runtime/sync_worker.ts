/**
 * The worker side of lib/nn's synchronous pool: instantiates kernel families against the shared
 * memory, then waits on a shared control block (Atomics.wait) for jobs, runs them and signals
 * completion. No message is exchanged per job, so a dispatch costs microseconds.
 *
 * @module
 */
import { CTRL } from "./sync_layout.ts";

interface Init {
  memory: WebAssembly.Memory;
  modules: Array<{ family: string; module: WebAssembly.Module }>;
  names: string[];
  ctrl: SharedArrayBuffer;
  args: SharedArrayBuffer;
}

function serve(init: Init): void {
  const fns: Array<(...a: number[]) => unknown> = [];
  const byFamily = new Map<string, Record<string, unknown>>();
  for (const { family, module } of init.modules) {
    byFamily.set(family, new WebAssembly.Instance(module, { env: { memory: init.memory } }).exports);
  }
  for (const name of init.names) {
    const [family, fn] = name.split(".");
    fns.push(byFamily.get(family)![fn] as (...a: number[]) => unknown);
  }
  const ctrl = new Int32Array(init.ctrl);
  const args = new Float64Array(init.args);
  Atomics.store(ctrl, CTRL.ready, 1);
  Atomics.notify(ctrl, CTRL.ready);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctrl, CTRL.seq, seen);
    const seq = Atomics.load(ctrl, CTRL.seq);
    if (seq === seen) continue;
    seen = seq;
    const fn = ctrl[CTRL.fn];
    if (fn < 0) return;
    try {
      const n = ctrl[CTRL.nargs];
      const a: number[] = [];
      for (let i = 0; i < n; i++) a.push(args[i]);
      fns[fn](...a);
      ctrl[CTRL.error] = 0;
    } catch {
      ctrl[CTRL.error] = 1;
    }
    Atomics.store(ctrl, CTRL.done, seq);
    Atomics.notify(ctrl, CTRL.done);
  }
}

try {
  const wt = await import("node:worker_threads");
  if (wt.parentPort) wt.parentPort.once("message", (m: Init) => serve(m));
  else throw new Error("not a worker_threads worker");
} catch {
  (globalThis as unknown as { onmessage: (e: MessageEvent) => void }).onmessage = (e) => serve(e.data);
}
