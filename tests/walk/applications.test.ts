import assert from "node:assert/strict";
import { DynamicGraph, walkWasmAvailable } from "../../lib/walk/mod.ts";
import { karateClub, lesMiserables } from "../../lib/graph/mod.ts";
import { shutdownPools } from "../../lib/runtime/pool.ts";
import { gofMerged } from "./helpers.ts";

const BACKENDS = walkWasmAvailable() ? (["ts", "wasm"] as const) : (["ts"] as const);

async function load(backend: "ts" | "wasm", which = karateClub) {
  const e = await which();
  const g = new DynamicGraph({ numVertices: e.numVertices, backend, fractionBits: 0, weightBits: 8 });
  g.insertEdges(e.src, e.dst, e.weight!);
  return g;
}

/** Row-stochastic transition matrix of the graph (weights as stored). */
function transition(g: DynamicGraph): number[][] {
  const n = g.numVertices;
  const P = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let v = 0; v < n; v++) {
    const { dst, weightInt } = g.neighbors(v);
    const W = weightInt.reduce((a, b) => a + b, 0);
    for (let i = 0; i < dst.length; i++) P[v][dst[i]] += weightInt[i] / W;
  }
  return P;
}

Deno.test("two-step walk frequencies match the exact P^2 (karate club)", async () => {
  for (const backend of BACKENDS) {
    const g = await load(backend);
    const P = transition(g);
    const start = 0, N = 20000;
    const walks = await g.deepWalk({ starts: new Uint32Array(N).fill(start), length: 3, seed: 5 });
    const obs = new Array(34).fill(0);
    for (let i = 0; i < N; i++) obs[walks[3 * i + 2]]++;
    const exact = new Array(34).fill(0);
    for (let a = 0; a < 34; a++) for (let b = 0; b < 34; b++) exact[b] += P[start][a] * P[a][b];
    const keep = exact.map((_, i) => i).filter((i) => exact[i] > 0);
    for (let i = 0; i < 34; i++) if (exact[i] === 0) assert.equal(obs[i], 0);
    const p = gofMerged(keep.map((i) => obs[i]), keep.map((i) => exact[i]));
    assert.ok(p > 1e-4, `${backend}: p = ${p}`);
    g.free();
  }
});

Deno.test("node2vec second-step transitions match brute force (Les Miserables)", async () => {
  for (const backend of BACKENDS) {
    const g = await load(backend, lesMiserables);
    const P = transition(g), n = g.numVertices;
    const pp = 0.5, qq = 2, start = 11, N = 20000; // 11 = Bamatabois's neighbour-rich community
    const walks = await g.node2vec({
      starts: new Uint32Array(N).fill(start),
      length: 3,
      seed: 8,
      p: pp,
      q: qq,
    });
    // exact joint law of (x1, x2): x1 ~ P[start], x2 ~ w(x1, x2) * f(start, x2), normalised per x1
    const joint = new Map<number, number>();
    for (let x1 = 0; x1 < n; x1++) {
      if (P[start][x1] === 0) continue;
      const row = P[x1].map((w, x2) => w * (x2 === start ? 1 / pp : P[start][x2] > 0 ? 1 : 1 / qq));
      const s = row.reduce((a, b) => a + b, 0);
      row.forEach((w, x2) => w > 0 && joint.set(x1 * n + x2, P[start][x1] * w / s));
    }
    const keys = [...joint.keys()];
    const obs = new Map<number, number>();
    for (let i = 0; i < N; i++) {
      const key = walks[3 * i + 1] * n + walks[3 * i + 2];
      assert.ok(joint.has(key), `impossible pair ${walks[3 * i + 1]}, ${walks[3 * i + 2]}`);
      obs.set(key, (obs.get(key) ?? 0) + 1);
    }
    const p = gofMerged(keys.map((k) => obs.get(k) ?? 0), keys.map((k) => joint.get(k)!));
    assert.ok(p > 1e-4, `${backend}: p = ${p}`);
    // the law differs from first order: a first-order walk returns to the start less often
    const back = keys.filter((k) => k % n === start).reduce((a, k) => a + (obs.get(k) ?? 0), 0) / N;
    const firstOrder = [...Array(n).keys()].reduce((a, x1) => a + P[start][x1] * P[x1][start], 0);
    assert.ok(back > firstOrder * 1.3, `return rate ${back} vs first-order ${firstOrder}`);
    g.free();
  }
});

Deno.test("PPR endpoints match power iteration (karate club)", async () => {
  for (const backend of BACKENDS) {
    const g = await load(backend);
    const P = transition(g), n = 34, alpha = 0.15, start = 33, N = 20000;
    let x = new Array(n).fill(0);
    x[start] = 1;
    const pi = new Array(n).fill(0);
    for (let t = 0; t < 300; t++) {
      for (let i = 0; i < n; i++) pi[i] += alpha * x[i];
      const y = new Array(n).fill(0);
      for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) y[b] += (1 - alpha) * x[a] * P[a][b];
      x = y;
    }
    const ends = await g.ppr({ starts: new Uint32Array(N).fill(start), seed: 3, alpha });
    const obs = new Array(n).fill(0);
    for (const e of ends) obs[e]++;
    const p = gofMerged(obs, pi);
    assert.ok(p > 1e-4, `${backend}: p = ${p}`);
    g.free();
  }
  await shutdownPools();
});
