import assert from "node:assert/strict";
import {
  bicyclopentyl,
  chordlessCycles,
  chordlessCycleSet,
  chordlessPairs,
  cycleGraph,
  cycleLengthHistogram,
  decalin,
  erdosRenyi,
  Graph,
  gridGraph,
  loadGraphKernels,
  twoTriangles,
} from "../../lib/graph/mod.ts";
import { BackendUnavailableError, InvalidArgumentError } from "../../lib/core/errors.ts";
import { shutdownPools } from "../../lib/runtime/pool.ts";

/** Brute force: vertex subsets of size 3..maxLen whose induced subgraph is one cycle. */
function bruteForce(g: Graph, maxLen: number): Map<number, number> {
  const h = new Map<number, number>();
  const n = g.n;
  for (let mask = 1; mask < 1 << n; mask++) {
    const vs: number[] = [];
    for (let v = 0; v < n; v++) if (mask & (1 << v)) vs.push(v);
    if (vs.length < 3 || vs.length > maxLen) continue;
    if (!vs.every((v) => vs.filter((u) => g.hasEdge(u, v)).length === 2)) continue;
    // connected?
    const seen = new Set([vs[0]]), stack = [vs[0]];
    while (stack.length) {
      const x = stack.pop()!;
      for (const y of vs) if (!seen.has(y) && g.hasEdge(x, y)) (seen.add(y), stack.push(y));
    }
    if (seen.size === vs.length) h.set(vs.length, (h.get(vs.length) ?? 0) + 1);
  }
  return new Map([...h].sort((a, b) => a[0] - b[0]));
}

function assertInducedCycles(g: Graph, cycles: number[][]) {
  const keys = new Set<string>();
  for (const c of cycles) {
    const L = c.length;
    for (let i = 0; i < L; i++) {
      for (let j = i + 1; j < L; j++) {
        const adjacent = j === i + 1 || (i === 0 && j === L - 1);
        assert.equal(g.hasEdge(c[i], c[j]), adjacent, `cycle ${c}: pair ${c[i]},${c[j]}`);
      }
    }
    const key = [...c].sort((a, b) => a - b).join(",");
    assert.ok(!keys.has(key), `cycle ${c} found twice`);
    keys.add(key);
  }
}

Deno.test("chordless cycles: induced, once each, counts match brute force on random graphs", async () => {
  await loadGraphKernels();
  for (let seed = 1; seed <= 12; seed++) {
    const n = 6 + (seed % 4), p = 0.25 + 0.05 * (seed % 6);
    const g = erdosRenyi(n, p, seed);
    for (const maxLength of [3, 5, n]) {
      const ts = chordlessCycles(g, { maxLength });
      assertInducedCycles(g, ts);
      assert.deepEqual(cycleLengthHistogram(ts), bruteForce(g, maxLength), `seed ${seed} L ${maxLength}`);
      assert.deepEqual(chordlessCycles(g, { maxLength, backend: "wasm" }), ts);
    }
  }
});

Deno.test("chordless cycles: the paper's oracles and wasm threads agree with ts", async () => {
  assert.deepEqual(cycleLengthHistogram(chordlessCycles(decalin(), { maxLength: 10 })), new Map([[6, 2]]));
  assert.deepEqual(
    cycleLengthHistogram(chordlessCycles(bicyclopentyl(), { maxLength: 10 })),
    new Map([[5, 2]]),
  );
  assert.deepEqual(cycleLengthHistogram(chordlessCycles(cycleGraph(6), { maxLength: 6 })), new Map([[6, 1]]));
  assert.deepEqual(
    cycleLengthHistogram(chordlessCycles(twoTriangles(), { maxLength: 6 })),
    new Map([[3, 2]]),
  );
  assert.deepEqual(chordlessCycles(cycleGraph(6), { maxLength: 5 }), []);
  // a 4 x 5 grid: 12 unit squares of length 4; the longer induced cycles are the rims of rectangles
  const grid = gridGraph(4, 5);
  const h = cycleLengthHistogram(chordlessCycles(grid, { maxLength: 4 }));
  assert.deepEqual(h, new Map([[4, 12]]));
  const g = erdosRenyi(40, 0.12, 5);
  const ts = await chordlessCycleSet(g, { maxLength: 8 });
  const w2 = await chordlessCycleSet(g, { maxLength: 8, backend: "wasm", threads: 2 });
  assert.ok(ts.lengths.length > 50);
  assert.deepEqual(w2, ts);
  shutdownPools();
});

Deno.test("chordless pairs: distances on a cycle and on the complement", () => {
  const p = chordlessPairs(cycleGraph(6), { maxLength: 6 });
  assert.equal(p.cycles, 1);
  assert.deepEqual(p.pairs.map((r) => r.src.length), [6, 12, 12, 6]);
  for (let i = 0; i < p.pairs[3].src.length; i++) {
    assert.equal(Math.abs(p.pairs[3].src[i] - p.pairs[3].dst[i]), 3);
  }
  // the complement of C6 is the triangular prism: two triangles and three 4-cycles
  const q = chordlessPairs(cycleGraph(6), { maxLength: 6, complement: true });
  assert.equal(q.cycles, 5);
  assert.equal(q.pairs[0].src.length, 2 * 3 + 3 * 4);
});

Deno.test("chordless cycles: bad input gets clear errors", () => {
  assert.throws(() => chordlessCycles(cycleGraph(5), { maxLength: 2 }), /maxLength must be an integer >= 3/);
  const d = Graph.fromEdges(3, [[0, 1]], { directed: true });
  assert.throws(() => chordlessCycles(d, { maxLength: 3 }), /undirected/);
  const loop = Graph.fromEdges(3, [[0, 0], [0, 1]], { allowSelfLoops: true });
  assert.throws(() => chordlessCycles(loop, { maxLength: 3 }), InvalidArgumentError);
  assert.throws(() => chordlessCycles(cycleGraph(5), { backend: "gpu" as "ts" }), /backend must be/);
  assert.ok(BackendUnavailableError);
});
