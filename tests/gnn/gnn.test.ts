import assert from "node:assert/strict";
import { cycleGraph, decalin, erdosRenyi } from "../../lib/graph/mod.ts";
import {
  cslDataset,
  ginAggregate,
  ginRelation,
  incomingCsr,
  makeBatch,
  parseMoleculeFixture,
  prepareSample,
  RelationalGIN,
  tpsaMolecules,
  trainGraphModel,
} from "../../lib/gnn/mod.ts";
import { gradCheck, MLP, sum, tensor } from "../../lib/nn/mod.ts";
import { gpuAvailable } from "../../lib/runtime/gpu.ts";
import { shutdownPools } from "../../lib/runtime/pool.ts";
import { Philox } from "../../lib/core/rng.ts";

Deno.test("gnn: GIN relation and whole-model gradients pass finite differences", async () => {
  const g = decalin();
  const s = await prepareSample({
    graph: g,
    x: new Float32Array(10).map((_, i) => (i % 3) / 3),
    dim: 1,
    y: 0,
  }, {
    kind: "csgnn",
    layers: 2,
    maxLength: 6,
  });
  const batch = makeBatch([s, s]);
  const mlp = new MLP([3, 4, 3], { seed: 2, dtype: "f64" });
  const rng = new Philox(5, 0);
  const h = tensor(Float64Array.from({ length: 30 }, () => rng.normal()), [10, 3], {
    dtype: "f64",
    requiresGrad: true,
  });
  const rel = batch.relations[1][1]; // P_1 of the first copy and the second
  const first = { src: rel.src.filter((_, i) => rel.dst[i] < 10), dst: rel.dst.filter((d) => d < 10) };
  const r1 = gradCheck((x, ...ps) => {
    void ps;
    return sum(ginRelation(mlp, x, first));
  }, [h, ...mlp.parameters()]);
  assert.ok(r1.maxRelError < 1e-6, JSON.stringify(r1.worst));
  const r1s = gradCheck((x, ...ps) => {
    void ps;
    return sum(ginRelation(mlp, x, first, 0.3));
  }, [h, ...mlp.parameters()]);
  assert.ok(r1s.maxRelError < 1e-6, JSON.stringify(r1s.worst));
  for (const norm of [false, true]) {
    const model = new RelationalGIN({
      inDim: 1,
      hidden: 4,
      outDim: 2,
      layers: 2,
      seed: 3,
      dtype: "f64",
      norm,
      relationScales: [[0.5, 0.25, 0.125], [0.5, 0.25, 0.125]],
      readoutScale: 0.1,
    });
    const r2 = gradCheck(() => sum(model.forward(batch)), model.parameters());
    assert.ok(r2.checked > 50 && r2.maxRelError < 1e-6, JSON.stringify(r2.worst));
  }
});

Deno.test("gnn: preprocessing relations follow the notes", async () => {
  const x = new Float32Array(6).fill(1);
  const c = await prepareSample({ graph: cycleGraph(6), x, dim: 1, y: 0 }, {
    kind: "csgnn",
    layers: 4,
    maxLength: 6,
  });
  // layer i: E, P_i, P'_i; C6 has one chordless cycle, its complement (the prism) two triangles + three 4-cycles
  assert.equal(c.relations[0].length, 3);
  assert.equal(c.relations[0][1].src.length, 6); // P_0 = self pairs
  assert.equal(c.relations[3][1].src.length, 6); // P_3 = opposite vertices
  assert.equal(c.relations[3][2].src.length, 0); // no complement cycle longer than 4
  const f = await prepareSample({ graph: decalin(), x: new Float32Array(10).fill(1), dim: 1, y: 0 }, {
    kind: "gin-cycles",
    layers: 1,
    maxLength: 6,
  });
  // flags for lengths 4..11 (the notes' molecular variant)
  assert.equal(f.dim, 1 + 8);
  // every decalin atom lies on a 6-cycle (flag column for length 6) and on no other chordless cycle
  for (let v = 0; v < 10; v++) {
    assert.deepEqual(Array.from(f.x.subarray(v * 9 + 1, v * 9 + 9)), [0, 0, 1, 0, 0, 0, 0, 0]);
  }
  const f2 = await prepareSample({ graph: cycleGraph(11), x: new Float32Array(11).fill(1), dim: 1, y: 0 }, {
    kind: "gin-cycles",
    layers: 1,
  });
  assert.equal(f2.x[1 + 7], 1); // C11 is flagged at length 11
  const k = await prepareSample({ graph: cycleGraph(6), x, dim: 1, y: 0 }, { kind: "khop", layers: 1, k: 3 });
  assert.deepEqual(k.relations[0].map((r) => r.src.length), [12, 12, 6]);
  const mols = parseMoleculeFixture("Bw\tC,c,Cl\t2.5\n");
  assert.deepEqual(Array.from(mols[0].x.subarray(11, 22)), [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.throws(() => parseMoleculeFixture("Bw\tC,C\t1\n"), /2 atoms for 3 vertices/);
  assert.equal((await tpsaMolecules(10)).length, 10);
});

Deno.test("gnn: message passing agrees across ts, wasm and webgpu", async () => {
  const g = erdosRenyi(200, 0.05, 9);
  const { src, dst } = g.arcs();
  const csr = incomingCsr(g.n, src, dst);
  const rng = new Philox(1, 0);
  for (const d of [1, 7, 16]) {
    const h = Float32Array.from({ length: g.n * d }, () => rng.normal());
    const ts = await ginAggregate(h, d, csr, { backend: "ts", eps: 0.25 });
    // reference check of the ts path itself on vertex 0
    for (let c = 0; c < d; c++) {
      let want = 1.25 * h[c];
      for (const u of g.neighbors(0)) want += h[u * d + c];
      assert.ok(Math.abs(ts[c] - want) < 1e-4);
    }
    for (const threads of [1, 2]) {
      const w = await ginAggregate(h, d, csr, { backend: "wasm", eps: 0.25, threads });
      for (let i = 0; i < ts.length; i++) assert.ok(Math.abs(w[i] - ts[i]) < 1e-4, `wasm ${i}`);
    }
    if (await gpuAvailable()) {
      const w = await ginAggregate(h, d, csr, { backend: "webgpu", eps: 0.25 });
      for (let i = 0; i < ts.length; i++) assert.ok(Math.abs(w[i] - ts[i]) < 1e-4, `webgpu ${i}`);
    }
  }
  assert.throws(() => incomingCsr(3, [0], [3]), /outside \[0, 3\)/);
  await assert.rejects(() => ginAggregate(new Float32Array(5), 2, csr), /h is n x d/);
  shutdownPools();
});

Deno.test("gnn: seeded training is reproducible and early stopping restores the best epoch", async () => {
  const data = cslDataset(3, 2);
  const o = {
    kind: "gin" as const,
    task: "classification" as const,
    numClasses: 10,
    seed: 4,
    epochs: 6,
    hidden: 8,
    layers: 2,
    patience: 2,
  };
  const a = await trainGraphModel(data, o), b = await trainGraphModel(data, o);
  assert.deepEqual(a.trainLoss, b.trainLoss);
  assert.equal(a.test, b.test);
  assert.ok(a.bestEpoch >= 0 && a.bestEpoch < a.epochsRun && a.epochsRun <= 6);
  assert.ok(a.epochsRun === 6 || a.epochsRun - 1 - a.bestEpoch >= 2);
  await assert.rejects(() => trainGraphModel(data, { ...o, numClasses: 5 }), /class label/);
});

Deno.test("gnn: untrained CSGNN outputs differ in direction between CSL classes, GIN outputs do not", async () => {
  const [a, b] = [cslDataset(1, 3)[0], cslDataset(1, 3)[1]]; // skips 2 and 3
  const cos = (o: Float32Array | Float64Array, c: number) => {
    let ab = 0, aa = 0, bb = 0;
    for (let j = 0; j < c; j++) {
      ab += o[j] * o[c + j];
      aa += o[j] ** 2;
      bb += o[c + j] ** 2;
    }
    return ab / Math.sqrt(aa * bb);
  };
  for (const kind of ["gin", "csgnn"] as const) {
    const ps = [
      await prepareSample(a, { kind, layers: 2, maxLength: 8, complement: false }),
      await prepareSample(b, { kind, layers: 2, maxLength: 8, complement: false }),
    ];
    const model = new RelationalGIN({ inDim: 1, hidden: 8, outDim: 4, layers: 2, seed: 1 });
    const out = model.forward(makeBatch(ps)).data;
    if (kind === "gin") assert.ok(Math.abs(cos(out, 4) - 1) < 1e-5); // 1-WL cannot tell them apart
    else assert.ok(cos(out, 4) < 0.9999, `cosine ${cos(out, 4)}`);
  }
});
