/**
 * Graph pieces shared by the graph domains: the R-MAT / Graph500 generator, edge-list loaders and the
 * shipped fixture graphs.
 *
 * @example
 * ```ts
 * import { rmat } from "./mod.ts";
 * const g = rmat({ scale: 8, edgeFactor: 8, seed: 1 });
 * ```
 *
 * @module
 */
export { type EdgeList, rmat, type RmatOptions, symmetrize } from "./rmat.ts";
export {
  type EdgeListOptions,
  loadEdgeList,
  parseBinaryEdgeList,
  parseEdgeList,
  toBinaryEdgeList,
} from "./edgelist.ts";
export { karateClub, lesMiserables } from "./fixtures.ts";
