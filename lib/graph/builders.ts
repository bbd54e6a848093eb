/**
 * Graph builders: cycles, paths, grids, circulant graphs (and the CSL graphs), the rook's graph, the
 * Shrikhande graph, complete bipartite graphs, prisms, two molecule skeletons, and seeded random
 * regular and Erdős–Rényi graphs.
 *
 * @module
 */
import { InvalidArgumentError, requireFinite, requireInt } from "../core/errors.ts";
import { Philox } from "../core/rng.ts";
import { disjointUnion, Graph } from "./graph.ts";

/**
 * The cycle C_n (n >= 3).
 *
 * @example
 * ```ts
 * import { cycleGraph } from "./builders.ts";
 * cycleGraph(6).numEdges; // 6
 * ```
 */
export function cycleGraph(n: number): Graph {
  requireInt("n", n, 3);
  return Graph.fromEdges(n, Array.from({ length: n }, (_, i) => [i, (i + 1) % n] as [number, number]));
}

/**
 * The path P_n on n vertices.
 *
 * @example
 * ```ts
 * import { pathGraph } from "./builders.ts";
 * pathGraph(4).numEdges; // 3
 * ```
 */
export function pathGraph(n: number): Graph {
  requireInt("n", n, 1);
  return Graph.fromEdges(n, Array.from({ length: n - 1 }, (_, i) => [i, i + 1] as [number, number]));
}

/**
 * The rows x cols grid graph (4-neighbour lattice, no wrap-around); vertex r * cols + c.
 *
 * @example
 * ```ts
 * import { gridGraph } from "./builders.ts";
 * gridGraph(3, 3).numEdges; // 12
 * ```
 */
export function gridGraph(rows: number, cols: number): Graph {
  requireInt("rows", rows, 1);
  requireInt("cols", cols, 1);
  const edges: Array<[number, number]> = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = r * cols + c;
      if (c + 1 < cols) edges.push([v, v + 1]);
      if (r + 1 < rows) edges.push([v, v + cols]);
    }
  }
  return Graph.fromEdges(rows * cols, edges);
}

/**
 * The circulant graph C_n(jumps): i ~ i ± j (mod n) for every jump j in 1..n/2.
 *
 * @example
 * ```ts
 * import { circulantGraph } from "./builders.ts";
 * circulantGraph(8, [1, 2]).degree(0); // 4
 * ```
 */
export function circulantGraph(n: number, jumps: number[]): Graph {
  requireInt("n", n, 3);
  const set = new Set<string>();
  const edges: Array<[number, number]> = [];
  for (const j of jumps) {
    requireInt("jump", j, 1, Math.floor(n / 2));
    for (let i = 0; i < n; i++) {
      const a = i, b = (i + j) % n, key = a < b ? `${a},${b}` : `${b},${a}`;
      if (!set.has(key)) {
        set.add(key);
        edges.push([a, b]);
      }
    }
  }
  return Graph.fromEdges(n, edges);
}

/**
 * A Circular Skip Link graph CSL(n, r): the cycle C_n with skip links i ~ i + r (the circulant
 * C_n(1, r)); the CSL benchmark uses n = 41 and r in {2, 3, 4, 5, 6, 9, 11, 12, 13, 16}.
 *
 * @example
 * ```ts
 * import { cslGraph } from "./builders.ts";
 * cslGraph(41, 2).numEdges; // 82
 * ```
 */
export function cslGraph(n: number, r: number): Graph {
  requireInt("r", r, 2, Math.floor((n - 1) / 2));
  return circulantGraph(n, [1, r]);
}

/**
 * The n x n rook's graph (K_n □ K_n): (a, b) ~ (c, d) when a = c or b = d, not both. n = 4 gives the
 * strongly regular srg(16, 6, 2, 2) that shares its parameters with the Shrikhande graph.
 *
 * @example
 * ```ts
 * import { rookGraph } from "./builders.ts";
 * rookGraph(4).degree(0); // 6
 * ```
 */
export function rookGraph(n: number): Graph {
  requireInt("n", n, 1);
  const edges: Array<[number, number]> = [];
  for (let u = 0; u < n * n; u++) {
    for (let v = u + 1; v < n * n; v++) {
      const sameRow = Math.floor(u / n) === Math.floor(v / n), sameCol = u % n === v % n;
      if (sameRow !== sameCol) edges.push([u, v]);
    }
  }
  return Graph.fromEdges(n * n, edges);
}

/**
 * The Shrikhande graph: Z4 x Z4 with (a, b) ~ (c, d) when the difference is ±(0, 1), ±(1, 0) or ±(1, 1).
 *
 * @example
 * ```ts
 * import { shrikhandeGraph } from "./builders.ts";
 * shrikhandeGraph().numEdges; // 48
 * ```
 */
export function shrikhandeGraph(): Graph {
  const diffs = new Set(["0,1", "0,3", "1,0", "3,0", "1,1", "3,3"]);
  const edges: Array<[number, number]> = [];
  for (let u = 0; u < 16; u++) {
    for (let v = u + 1; v < 16; v++) {
      const da = ((v >> 2) - (u >> 2) + 4) % 4, db = ((v & 3) - (u & 3) + 4) % 4;
      if (diffs.has(`${da},${db}`)) edges.push([u, v]);
    }
  }
  return Graph.fromEdges(16, edges);
}

/**
 * The complete bipartite graph K_{a,b}.
 *
 * @example
 * ```ts
 * import { completeBipartite } from "./builders.ts";
 * completeBipartite(3, 3).numEdges; // 9
 * ```
 */
export function completeBipartite(a: number, b: number): Graph {
  requireInt("a", a, 1);
  requireInt("b", b, 1);
  const edges: Array<[number, number]> = [];
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) edges.push([i, a + j]);
  return Graph.fromEdges(a + b, edges);
}

/**
 * The prism C_n □ K_2 (n = 3: the triangular prism).
 *
 * @example
 * ```ts
 * import { prismGraph } from "./builders.ts";
 * prismGraph(3).numEdges; // 9
 * ```
 */
export function prismGraph(n: number): Graph {
  requireInt("n", n, 3);
  const edges: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    edges.push([i, (i + 1) % n], [n + i, n + ((i + 1) % n)], [i, n + i]);
  }
  return Graph.fromEdges(2 * n, edges);
}

/**
 * The carbon skeleton of decalin (bicyclo[4.4.0]decane): two hexagons sharing an edge.
 *
 * @example
 * ```ts
 * import { decalin } from "./builders.ts";
 * decalin().numEdges; // 11
 * ```
 */
export function decalin(): Graph {
  // ring A: 0-1-2-3-4-5-0, ring B: 4-5-6-7-8-9 sharing the bond 4-5
  return Graph.fromEdges(10, [
    [0, 1],
    [1, 2],
    [2, 3],
    [3, 4],
    [4, 5],
    [5, 0],
    [5, 6],
    [6, 7],
    [7, 8],
    [8, 9],
    [
      9,
      4,
    ],
  ]);
}

/**
 * The carbon skeleton of bicyclopentyl: two pentagons joined by a bond.
 *
 * @example
 * ```ts
 * import { bicyclopentyl } from "./builders.ts";
 * bicyclopentyl().numEdges; // 11
 * ```
 */
export function bicyclopentyl(): Graph {
  return Graph.fromEdges(10, [
    [0, 1],
    [1, 2],
    [2, 3],
    [3, 4],
    [4, 0],
    [5, 6],
    [6, 7],
    [7, 8],
    [8, 9],
    [9, 5],
    [
      0,
      5,
    ],
  ]);
}

/**
 * Two disjoint triangles (2 x C3).
 *
 * @example
 * ```ts
 * import { twoTriangles } from "./builders.ts";
 * twoTriangles().n; // 6
 * ```
 */
export function twoTriangles(): Graph {
  return disjointUnion([cycleGraph(3), cycleGraph(3)]);
}

/**
 * A uniformly random simple d-regular graph on n vertices (pairing model, rejecting pairings with loops
 * or multi-edges; Philox stream `seed`). n * d must be even and d < n.
 *
 * @example
 * ```ts
 * import { randomRegular } from "./builders.ts";
 * randomRegular(20, 3, 1).degree(0); // 3
 * ```
 */
export function randomRegular(n: number, d: number, seed: number, maxTries = 10000): Graph {
  requireInt("n", n, 1);
  requireInt("d", d, 0, n - 1);
  requireInt("seed", seed, 0);
  if ((n * d) % 2 !== 0) throw new InvalidArgumentError(`randomRegular: n * d = ${n * d} must be even`);
  const rng = new Philox(seed, 0);
  const points = new Int32Array(n * d);
  for (let t = 0; t < maxTries; t++) {
    for (let i = 0; i < n * d; i++) points[i] = Math.floor(i / d);
    for (let i = points.length - 1; i > 0; i--) {
      const j = rng.int(i + 1), x = points[i];
      points[i] = points[j];
      points[j] = x;
    }
    const seen = new Set<number>();
    let ok = true;
    const edges: Array<[number, number]> = [];
    for (let i = 0; i < points.length && ok; i += 2) {
      const a = Math.min(points[i], points[i + 1]), b = Math.max(points[i], points[i + 1]);
      if (a === b || seen.has(a * n + b)) ok = false;
      else {
        seen.add(a * n + b);
        edges.push([a, b]);
      }
    }
    if (ok) return Graph.fromEdges(n, edges);
  }
  throw new InvalidArgumentError(
    `randomRegular: no simple ${d}-regular pairing on ${n} vertices in ${maxTries} tries`,
  );
}

/**
 * The Erdős–Rényi graph G(n, p): each pair an edge with probability p (Philox stream `seed`).
 *
 * @example
 * ```ts
 * import { erdosRenyi } from "./builders.ts";
 * erdosRenyi(10, 0.3, 1).n; // 10
 * ```
 */
export function erdosRenyi(n: number, p: number, seed: number): Graph {
  requireInt("n", n, 0);
  requireFinite("p", p, 0, 1);
  requireInt("seed", seed, 0);
  const rng = new Philox(seed, 0);
  const edges: Array<[number, number]> = [];
  for (let u = 0; u < n; u++) for (let v = u + 1; v < n; v++) if (rng.uniform() < p) edges.push([u, v]);
  return Graph.fromEdges(n, edges);
}
