// The streaming path's reserve bound (DynamicGraph #streamReserve): Engine.reserveForEdit is at least the
// full bound of one insert and of one delete whenever it gives one, the reserve terms it is computed from
// move only when a block is allocated or freed, and no edit bump-allocates more than the words reserved.
import assert from "node:assert/strict";
import { walkWasmAvailable } from "../../lib/walk/mod.ts";
import { smallThresholdGraph } from "./helpers.ts";
import { H_TOP } from "../../lib/walk/layout.ts";
import { Philox } from "../../lib/core/rng.ts";
import { walkKernelSync, type WasmPool } from "../../lib/walk/pool.ts";
import { shutdownPools } from "../../lib/runtime/pool.ts";

const BACKENDS = walkWasmAvailable() ? (["ts", "wasm"] as const) : (["ts"] as const);
if (!walkWasmAvailable()) console.log("stream_reserve: wasm kernels unavailable, ts engine only");

Deno.test("streaming reserve: the cached bound covers one edit, and its terms move only with an allocation", () => {
  for (const backend of BACKENDS) {
    // small thresholds, so that groups change kind (and lists are made, grown and freed) often, and a hub
    // whose dense groups sit near alpha/2 of the degree
    const g = smallThresholdGraph(backend, 40);
    const e = g.engine, m = () => e.m;
    const k = backend === "wasm" ? walkKernelSync()! : null;
    const ptr = () => (g.engine.host as WasmPool).ptr; // a reserve may move the pool
    const rng = new Philox(31);
    const live: Array<[number, number]> = [];
    let settled = 0, unsettled = 0, kept = 0, moved = 0;
    let lastCount = -1; // the kernel's allocation count after the last edit
    for (let i = 0; i < 3000; i++) {
      const del = live.length > 0 && rng.int(live.length < 250 ? 3 : 2) === 0;
      const at = del ? rng.int(live.length) : -1;
      const s = del ? live[at][0] : rng.int(4) === 0 ? 1 + rng.int(3) : 0;
      const terms = e.listTerms(s);
      const bound = e.reserveForEdit(s, terms);
      const full = Math.max(e.reserveFor(s, 1, 0), e.reserveFor(s, 0, 1));
      if (bound >= 0) {
        settled++;
        assert.ok(bound >= full, `${backend}: edit ${i}: reserveForEdit ${bound} < reserveFor ${full}`);
      } else unsettled++;
      const words = bound >= 0 ? bound : full;
      e.reserve(words);
      const top = m()[H_TOP], count = k ? -1 : e.allocations;
      let after: number;
      if (del) {
        const [, d] = live.splice(at, 1)[0];
        if (k) after = k.delete_one(ptr(), s, d) as number;
        else {
          g.deleteEdges(Uint32Array.of(s), Uint32Array.of(d));
          after = e.allocations;
        }
        assert.ok(after >= 0, `${backend}: edit ${i}: a live edge was not found`);
      } else {
        const d = rng.int(40), w = 1 + rng.int(1023);
        live.push([s, d]);
        if (k) after = k.insert_one(ptr(), s, d, w) as number;
        else {
          g.insertEdges(Uint32Array.of(s), Uint32Array.of(d), Float64Array.of(w));
          after = e.allocations;
        }
      }
      assert.ok(m()[H_TOP] - top <= words, `${backend}: edit ${i}: bump-allocated past the reserve`);
      const before = k ? lastCount : count;
      lastCount = after;
      if (k && i === 0) continue; // the kernel's count before the first edit is unknown
      if (after === before) {
        kept++;
        assert.deepEqual(e.listTerms(s), terms, `${backend}: edit ${i}: terms moved without an allocation`);
        assert.equal(m()[H_TOP], top, `${backend}: edit ${i}: bump-allocated without an allocation`);
      } else moved++;
    }
    // both branches ran: the bound without a scan, the scan; edits with and without allocations
    assert.ok(settled > 1000 && unsettled > 20, `${backend}: settled ${settled}, unsettled ${unsettled}`);
    assert.ok(kept > 1000 && moved > 50, `${backend}: kept ${kept}, moved ${moved}`);
    g.free();
  }
});

Deno.test("streaming reserve through the API: the cached terms are dropped when an edit or a batch moves them", async () => {
  for (const backend of BACKENDS) {
    const g = smallThresholdGraph(backend, 40);
    const e = g.engine, rng = new Philox(32);
    const live: Array<[number, number]> = [];
    let batches = 0, kept = 0;
    for (let i = 0; i < 2500; i++) {
      if (rng.int(50) === 0) {
        // a batch on the hub: more inserts than deletes, so that lists grow outside the streaming path
        const src = new Uint32Array(12), dst = Uint32Array.from(src, () => rng.int(40));
        await g.applyBatch({
          insert: { src, dst, weight: Float64Array.from(src, () => 1 + rng.int(1023)) },
        });
        dst.forEach((d) => live.push([0, d]));
        batches++;
        continue;
      }
      const del = live.length > 0 && rng.int(live.length < 250 ? 3 : 2) === 0;
      const at = del ? rng.int(live.length) : -1;
      const s = del ? live[at][0] : rng.int(4) === 0 ? 1 + rng.int(3) : 0;
      const words = g.streamReserveWords(s);
      const full = Math.max(e.reserveFor(s, 1, 0), e.reserveFor(s, 0, 1));
      assert.ok(words >= full, `${backend}: edit ${i}: reserves ${words} < reserveFor ${full}`);
      // the bound kept from an earlier edit (Engine.editBound) is the one found afresh
      const fresh = e.reserveForEdit(s, e.listTerms(s));
      assert.equal(words, fresh >= 0 ? fresh : e.reserveFor(s, 1, 1), `${backend}: edit ${i}: stale bound`);
      kept += words === fresh ? 1 : 0;
      const top = e.m[H_TOP];
      if (del) {
        const [, d] = live.splice(at, 1)[0];
        g.deleteEdges(Uint32Array.of(s), Uint32Array.of(d));
      } else {
        const d = rng.int(40);
        live.push([s, d]);
        g.insertEdges(Uint32Array.of(s), Uint32Array.of(d), Float64Array.of(1 + rng.int(1023)));
      }
      assert.ok(e.m[H_TOP] - top <= words, `${backend}: edit ${i}: bump-allocated past the reserve`);
    }
    assert.ok(batches > 20 && kept > 1000, `${backend}: ${batches} batches, ${kept} bounds without a scan`);
    g.free();
  }
});

Deno.test({ name: "stream_reserve: release the worker pools", fn: shutdownPools });
