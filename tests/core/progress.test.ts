import assert from "node:assert/strict";
import { InvalidArgumentError } from "../../lib/core/errors.ts";
import { formatDuration, jupyterBroadcast, progress } from "../../lib/core/progress.ts";

function capture() {
  const out: string[] = [];
  return { out, write: (s: string) => void out.push(s) };
}

Deno.test("plain mode prints only one summary line at the end", () => {
  const { out, write } = capture();
  const p = progress({ label: "sweep", total: 3, mode: "plain", write });
  p.tick();
  p.tick(2, "last");
  assert.equal(out.length, 0);
  assert.equal(p.count, 3);
  p.done("ok");
  p.done(); // idempotent
  assert.equal(out.length, 1);
  assert.match(out[0], /^sweep: 3\/3 in \d+ ms \(ok\)\n$/);
});

Deno.test("quiet prints nothing at all", () => {
  const { out, write } = capture();
  const p = progress({ label: "q", total: 2, quiet: true, mode: "tty", write });
  assert.equal(p.mode, "quiet");
  p.tick(2);
  p.done();
  assert.deepEqual(out, []);
});

Deno.test("tty mode redraws a bar in place and ends with a newline", () => {
  const { out, write } = capture();
  const p = progress({ label: "lbm", total: 4, mode: "tty", write, intervalMs: 0 });
  p.tick(1, "step 1");
  p.tick(1);
  p.done();
  assert.equal(out.length, 3);
  const lines = out.map((s) => s.replaceAll("\x1b[K", "<clear-to-eol>"));
  assert.match(lines[0], /^\rlbm █{6}░{18} 25% 1\/4 .* eta .* step 1<clear-to-eol>$/);
  assert.match(lines[1], /50% 2\/4/);
  assert.match(lines[2], /^\rlbm: 2\/4 in \d+ ms<clear-to-eol>\n$/);
});

Deno.test("tty mode throttles redraws", () => {
  const { out, write } = capture();
  const p = progress({ label: "fast", total: 1000, mode: "tty", write, intervalMs: 60_000 });
  for (let i = 0; i < 1000; i++) p.tick();
  assert.equal(out.length, 1); // only the first tick draws within the interval
  p.done();
  assert.match(out[1], /fast: 1000\/1000/);
});

Deno.test("jupyter mode sends one display and then updates it", async () => {
  const sent: { type: string; content: Record<string, unknown> }[] = [];
  const broadcast = (type: string, content: Record<string, unknown>) => {
    sent.push({ type, content });
    return Promise.resolve();
  };
  const p = progress({ label: "nb", total: 2, broadcast, intervalMs: 0 });
  assert.equal(p.mode, "jupyter");
  p.tick();
  p.done();
  await Promise.resolve();
  assert.deepEqual(sent.map((m) => m.type), ["display_data", "update_display_data", "update_display_data"]);
  const ids = new Set(sent.map((m) => (m.content.transient as { display_id: string }).display_id));
  assert.equal(ids.size, 1);
  const last = sent.at(-1)!.content.data as Record<string, string>;
  assert.match(last["text/plain"], /^nb: 1\/2 in/);
  assert.match((sent[1].content.data as Record<string, string>)["text/html"], /<progress value="1" max="2"/);
});

Deno.test("auto mode is plain under CI and outside a notebook", () => {
  assert.equal(jupyterBroadcast(), undefined); // Deno.jupyter throws outside the kernel; must not leak
  const old = Deno.env.get("CI");
  Deno.env.set("CI", "true");
  try {
    const { out, write } = capture();
    const p = progress({ label: "ci", total: 1, write });
    assert.equal(p.mode, "plain");
    p.tick();
    p.done();
    assert.equal(out.length, 1);
  } finally {
    if (old === undefined) Deno.env.delete("CI");
    else Deno.env.set("CI", old);
  }
});

Deno.test("progress validates its options", () => {
  assert.throws(() => progress({ label: "x", total: -1 }), InvalidArgumentError);
  assert.throws(() => progress({ label: "x", total: 1.5 }), InvalidArgumentError);
  assert.throws(() => progress({ label: 3 as unknown as string, total: 1 }), InvalidArgumentError);
  assert.throws(() => progress({ label: "x", total: 1, mode: "fancy" as "tty" }), /mode must be/);
  const p = progress({ label: "x", total: 1, mode: "plain", write: () => {} });
  assert.throws(() => p.tick(-1), InvalidArgumentError);
  p.done();
  assert.throws(() => p.tick(), /after done/);
});

Deno.test("formatDuration", () => {
  assert.equal(formatDuration(850), "850 ms");
  assert.equal(formatDuration(12_345), "12.3 s");
  assert.equal(formatDuration(185_000), "3m 05s");
  assert.equal(formatDuration(3_720_000), "1h 02m");
  assert.throws(() => formatDuration(-1), InvalidArgumentError);
});
