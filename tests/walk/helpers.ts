// Shared helpers of the walk tests.
import { chiSquareGOF } from "../../lib/core/stats.ts";
import { DynamicGraph } from "../../lib/walk/mod.ts";

/** Chi-square p-value of observed counts against expected probabilities, bins with expected < 5 merged. */
export function gofMerged(observed: number[], probs: number[]): number {
  const total = observed.reduce((a, b) => a + b, 0);
  const order = probs.map((_p, i) => i).sort((a, b) => probs[a] - probs[b]);
  const O: number[] = [], E: number[] = [];
  let o = 0, e = 0;
  for (const i of order) {
    o += observed[i];
    e += probs[i] * total;
    if (e >= 5) {
      O.push(o);
      E.push(e);
      o = 0;
      e = 0;
    }
  }
  if (e > 0 || o > 0) {
    if (O.length === 0) return 1;
    O[O.length - 1] += o;
    E[E.length - 1] += e;
  }
  if (O.length < 2) return 1;
  const s = E.reduce((a, b) => a + b, 0);
  return chiSquareGOF(O, E.map((x) => x / s), { expectedAs: "probabilities" }).pValue;
}

/**
 * A Bingo graph with small adaption thresholds (weights below 2^10, sparse up to 4 members, dense groups
 * from degree 8), so that groups change kind, and lists are made, grown and freed, within a few edits.
 */
export function smallThresholdGraph(backend: "ts" | "wasm", numVertices: number): DynamicGraph {
  return new DynamicGraph({
    numVertices,
    sampler: "bingo",
    backend,
    fractionBits: 0,
    weightBits: 10,
    sparseMax: 4,
    denseMinDegree: 8,
  });
}
