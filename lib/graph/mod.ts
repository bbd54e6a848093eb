/**
 * Graphs: the CSR `Graph` with graph6 input/output and builders; bounded-length chordless cycle
 * enumeration (ts and wasm) with CSGNN's cycle-distance pairs; exact colour-refinement oracles (1-WL,
 * SPD, KP, CS-WL); molecule and benchmark fixtures; and the R-MAT generator and edge-list loaders used by
 * the random-walk domain.
 *
 * @example
 * ```ts
 * import { chordlessCycles, colorRefinement, Graph } from "./mod.ts";
 * const g = Graph.fromGraph6("G?otYw");
 * chordlessCycles(g, { maxLength: 8 }).length;
 * colorRefinement([g, g], { method: "1-WL" }); // [0, 0]
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
export { disjointUnion, Graph, type GraphOptions, parseGraph6File } from "./graph.ts";
export {
  bicyclopentyl,
  circulantGraph,
  completeBipartite,
  cslGraph,
  cycleGraph,
  decalin,
  erdosRenyi,
  gridGraph,
  pathGraph,
  prismGraph,
  randomRegular,
  rookGraph,
  shrikhandeGraph,
  twoTriangles,
} from "./builders.ts";
export {
  chordlessCycles,
  type ChordlessCycleSet,
  chordlessCycleSet,
  type ChordlessOptions,
  chordlessPairs,
  cycleLengthHistogram,
  cycleLists,
  type CyclePairs,
  loadGraphKernels,
  pairsOfCycles,
} from "./chordless.ts";
export {
  colorRefinement,
  type ColorRefinementOptions,
  countClasses,
  type RefinementMethod,
  separated,
} from "./wl.ts";
export { graph8c, loadGraph6Fixture, SR_FAMILIES, stronglyRegularFamily } from "./datasets.ts";
