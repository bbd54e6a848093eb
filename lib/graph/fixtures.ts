/**
 * Small graphs shipped in data/graph/ (see data/PROVENANCE.md): Zachary's karate club (34 vertices,
 * 78 weighted undirected edges) and the Les Misérables co-appearance network (77 vertices, 254 weighted
 * undirected edges). Returned with both directions of every edge.
 *
 * @module
 */
import { loadEdgeList } from "./edgelist.ts";
import { type EdgeList, symmetrize } from "./rmat.ts";

/**
 * Zachary's karate club, both directions, weights = number of contexts of interaction.
 *
 * @example
 * ```ts
 * import { karateClub } from "./fixtures.ts";
 * const g = await karateClub(); // 34 vertices, 156 directed edges
 * ```
 */
export async function karateClub(): Promise<EdgeList> {
  return symmetrize(
    await loadEdgeList(new URL("../../data/graph/karate.txt", import.meta.url), { numVertices: 34 }),
  );
}

/**
 * Les Misérables co-appearances, both directions, weights = co-appearance counts.
 *
 * @example
 * ```ts
 * import { lesMiserables } from "./fixtures.ts";
 * const g = await lesMiserables(); // 77 vertices, 508 directed edges
 * ```
 */
export async function lesMiserables(): Promise<EdgeList> {
  return symmetrize(
    await loadEdgeList(new URL("../../data/graph/lesmiserables.txt", import.meta.url), { numVertices: 77 }),
  );
}
