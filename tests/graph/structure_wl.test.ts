import assert from "node:assert/strict";
import {
  bicyclopentyl,
  colorRefinement,
  completeBipartite,
  countClasses,
  cslGraph,
  cycleGraph,
  decalin,
  erdosRenyi,
  Graph,
  gridGraph,
  parseGraph6File,
  prismGraph,
  randomRegular,
  type RefinementMethod,
  rookGraph,
  separated,
  shrikhandeGraph,
  stronglyRegularFamily,
  twoTriangles,
} from "../../lib/graph/mod.ts";
import { InvalidArgumentError } from "../../lib/core/errors.ts";

function relabel(g: Graph, perm: number[]): Graph {
  return Graph.fromEdges(g.n, g.edges().map(([u, v]) => [perm[u], perm[v]] as [number, number]));
}

Deno.test("Graph: CSR, graph6 round trip, builders", () => {
  const g = Graph.fromEdges(4, [[0, 1], [2, 1], [3, 0]], { directed: false });
  assert.deepEqual([...g.neighbors(1)], [0, 2]);
  assert.equal(g.numEdges, 3);
  assert.ok(g.hasEdge(1, 2) && !g.hasEdge(0, 2));
  const d = Graph.fromEdges(3, [[0, 1], [1, 0]], { directed: true });
  assert.equal(d.numEdges, 2);
  const t = Graph.fromGraph6("Bw");
  assert.deepEqual(t.edges(), [[0, 1], [0, 2], [1, 2]]);
  const h = Graph.fromGraph6("G?otYw");
  assert.equal(h.n, 8);
  assert.equal(h.toGraph6(), "G?otYw");
  for (let seed = 1; seed < 6; seed++) {
    const r = erdosRenyi(70, 0.1, seed); // 70 vertices: the 4-byte size header
    assert.deepEqual(Graph.fromGraph6(r.toGraph6()).edges(), r.edges());
  }
  assert.equal(parseGraph6File(">>graph6<<Bw\n\nBw\n").length, 2);
  assert.equal(gridGraph(3, 4).numEdges, 17);
  assert.equal(cslGraph(41, 5).numEdges, 82);
  const rr = randomRegular(30, 3, 2);
  for (let v = 0; v < 30; v++) assert.equal(rr.degree(v), 3);
  for (const s of [rookGraph(4), shrikhandeGraph()]) {
    // srg(16, 6, 2, 2): adjacent pairs share 2 neighbours, non-adjacent pairs share 2
    for (let u = 0; u < 16; u++) {
      assert.equal(s.degree(u), 6);
      for (let v = u + 1; v < 16; v++) {
        const common = [...s.neighbors(u)].filter((x) => s.hasEdge(v, x)).length;
        assert.equal(common, 2);
      }
    }
  }
  const nodeFeatures = new Float32Array([1, 2, 3]);
  const f = Graph.fromEdges(3, [[0, 1]], {
    nodeFeatures,
    nodeFeatureDim: 1,
    edgeFeatures: new Float32Array([7]),
    edgeFeatureDim: 1,
  });
  assert.deepEqual([...f.arcFeatures!], [7, 7]);
});

Deno.test("Graph: bad input gets clear errors", () => {
  assert.throws(() => Graph.fromEdges(3, [[0, 0]]), /self-loop/);
  assert.throws(() => Graph.fromEdges(3, [[0, 1], [1, 0]]), /duplicate edge \(0, 1\)/);
  assert.throws(() => Graph.fromEdges(3, [[0, 1], [0, 1]], { directed: true }), /duplicate edge/);
  assert.throws(() => Graph.fromEdges(3, [[0, 3]]), /out of range; ids must be integers in \[0, 3\)/);
  assert.throws(() => Graph.fromEdges(3, [[0, 1.5]]), InvalidArgumentError);
  assert.throws(
    () => Graph.fromEdges(3, [[0, 1]], { nodeFeatures: new Float32Array(2), nodeFeatureDim: 1 }),
    /nodeFeatures/,
  );
  assert.throws(() => Graph.fromGraph6("G?ot"), /needs 5 edge characters, got 3/);
  assert.throws(() => Graph.fromGraph6("B w"), /outside/);
  assert.throws(() => Graph.fromGraph6(""), /empty/);
  assert.throws(() => Graph.fromGraph6("Bx"), /padding bits/);
  assert.throws(() => parseGraph6File("Bw\nB!\n"), /line 2/);
});

Deno.test("colour refinement: the classic pairs", () => {
  const m = (method: RefinementMethod) => ({ method, maxLength: 6 });
  assert.equal(separated(decalin(), bicyclopentyl(), m("1-WL")), false);
  assert.equal(separated(decalin(), bicyclopentyl(), m("CS")), true);
  assert.equal(separated(cycleGraph(6), twoTriangles(), m("1-WL")), false);
  assert.equal(separated(cycleGraph(6), twoTriangles(), m("CS")), true);
  assert.equal(separated(completeBipartite(3, 3), prismGraph(3), m("1-WL")), false);
  assert.equal(separated(completeBipartite(3, 3), prismGraph(3), m("CS")), true);
  // rook's graph vs Shrikhande: same SRG parameters, so 1-WL and SPD cannot separate them
  assert.equal(separated(rookGraph(4), shrikhandeGraph(), m("1-WL")), false);
  assert.equal(separated(rookGraph(4), shrikhandeGraph(), { method: "SPD", k: 2 }), false);
  assert.equal(separated(rookGraph(4), shrikhandeGraph(), m("CS")), true);
  // CSL graphs are 4-regular: 1-WL puts all ten in one class
  const csl = [2, 3, 4, 5, 6, 9, 11, 12, 13, 16].map((r) => cslGraph(41, r));
  assert.equal(countClasses(csl, { method: "1-WL" }), 1);
});

Deno.test("colour refinement: deterministic, invariant under relabelling, refines 1-WL", async () => {
  const sr = await stronglyRegularFamily("sr261034");
  const a = colorRefinement(sr, { method: "KP", k: 2 }), b = colorRefinement(sr, { method: "KP", k: 2 });
  assert.deepEqual(a, b);
  const graphs = [1, 2, 3, 4, 5, 6].map((s) => erdosRenyi(9, 0.35, s));
  const perm = [3, 7, 0, 8, 1, 5, 2, 6, 4];
  for (const method of ["1-WL", "SPD", "KP", "CS", "CS+SPD"] as RefinementMethod[]) {
    const ids = colorRefinement([...graphs, ...graphs.map((g) => relabel(g, perm))], {
      method,
      maxLength: 6,
    });
    assert.deepEqual(ids.slice(6), ids.slice(0, 6), method);
  }
  // every method refines at least as much as 1-WL on a random family
  const fam = Array.from({ length: 30 }, (_, i) => erdosRenyi(8, 0.4, 100 + i));
  const wl = countClasses(fam, { method: "1-WL" });
  for (const method of ["CS", "CS+SPD"] as RefinementMethod[]) {
    assert.ok(countClasses(fam, { method }) >= wl);
  }
  assert.throws(
    () => colorRefinement(graphs, { method: "3-WL" as RefinementMethod }),
    /method must be one of/,
  );
  assert.throws(
    () => colorRefinement(graphs, { method: "CS", maxLength: 2 }),
    /maxLength must be an integer >= 3/,
  );
});
