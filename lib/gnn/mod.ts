/**
 * gnn: CSGNN (chordless-structure GNN) and its baselines on lib/nn — GIN, GIN with chordless-cycle node
 * flags, a k-hop (KP-GNN-like) model — with the molecule and CSL datasets, preprocessing, batching,
 * seeded training with early stopping, and the message-passing kernel on ts / wasm / webgpu.
 *
 * @example
 * ```ts
 * import { cslDataset, trainGraphModel } from "./mod.ts";
 * const r = await trainGraphModel(cslDataset(5, 1), { kind: "csgnn", task: "classification", numClasses: 10, seed: 1, epochs: 5 });
 * r.test; // test accuracy
 * ```
 *
 * @module
 */
export {
  ATOM_FEATURES,
  type Batch,
  bzrMolecules,
  CSL_SKIPS,
  cslDataset,
  ELEMENTS,
  type GraphSample,
  makeBatch,
  type ModelKind,
  parseMoleculeFixture,
  type PreparedSample,
  type PrepareOptions,
  prepareSample,
  tpsaMolecules,
} from "./data.ts";
export { ginRelation, RelationalGIN, type RelationalGINOptions } from "./models.ts";
export { trainGraphModel, type TrainGraphOptions, type TrainGraphResult } from "./train.ts";
export { type AggregateOptions, ginAggregate, type IncomingCsr, incomingCsr } from "./aggregate.ts";
