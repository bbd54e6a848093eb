import assert from "node:assert/strict";
import {
  karateClub,
  lesMiserables,
  parseBinaryEdgeList,
  parseEdgeList,
  rmat,
  toBinaryEdgeList,
} from "../../lib/graph/mod.ts";
import { InvalidArgumentError } from "../../lib/core/errors.ts";

Deno.test("R-MAT is seeded, sized and skewed", () => {
  const a = rmat({ scale: 10, edgeFactor: 8, seed: 3 }), b = rmat({ scale: 10, edgeFactor: 8, seed: 3 });
  assert.equal(a.numVertices, 1024);
  assert.equal(a.src.length, 8192);
  assert.deepEqual(a.src, b.src);
  assert.deepEqual(a.dst, b.dst);
  assert.notDeepEqual(rmat({ scale: 10, edgeFactor: 8, seed: 4 }).src, a.src);
  // vertex 0 (all "top-left" choices) is the heaviest source: its expected share is (a+b)^scale = 0.76^10
  const deg = new Uint32Array(1024);
  for (const s of a.src) deg[s]++;
  const expected0 = 8192 * 0.76 ** 10;
  assert.ok(Math.abs(deg[0] - expected0) < 5 * Math.sqrt(expected0), `${deg[0]} vs ${expected0}`);
  assert.throws(() => rmat({ scale: 5, edgeFactor: 4, a: 0.6, b: 0.3, c: 0.3, seed: 1 }), /a \+ b \+ c/);
});

Deno.test("edge lists: text and binary round trip, clear errors on malformed input", () => {
  const g = parseEdgeList("# c\n0 1 2.5\n\n% also\n2 0 1\n");
  assert.equal(g.numVertices, 3);
  assert.deepEqual([...g.src], [0, 2]);
  assert.deepEqual([...g.weight!], [2.5, 1]);
  const back = parseBinaryEdgeList(toBinaryEdgeList(g));
  assert.deepEqual(back.src, g.src);
  assert.deepEqual(back.dst, g.dst);
  assert.deepEqual(back.weight, g.weight);
  assert.throws(() => parseEdgeList("0 1\n1 x\n"), /line 2 .*dst "x" is not an integer/);
  assert.throws(() => parseEdgeList("0 1 1\n1 2\n"), /line 2 .*2 fields but earlier lines have 3/);
  assert.throws(() => parseEdgeList("0 1 abc\n"), /weight "abc" is not a finite number/);
  assert.throws(() => parseEdgeList("0 1 2 3\n"), /expected "src dst"/);
  assert.throws(() => parseEdgeList("0 5\n", { numVertices: 3 }), InvalidArgumentError);
  assert.throws(() => parseBinaryEdgeList(new Uint8Array(13)), /not a multiple of 12/);
});

Deno.test("fixtures have their published sizes", async () => {
  const k = await karateClub(), l = await lesMiserables();
  assert.equal(k.numVertices, 34);
  assert.equal(k.src.length, 2 * 78);
  assert.equal(l.numVertices, 77);
  assert.equal(l.src.length, 2 * 254);
  for (const g of [k, l]) for (const w of g.weight!) assert.ok(w >= 1 && Number.isInteger(w));
});
