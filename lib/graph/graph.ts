/**
 * A compact graph (CSR: sorted neighbour lists), undirected or directed, with optional node and edge
 * features; graph6 reading and writing.
 *
 * @module
 */
import { describe, InvalidArgumentError, requireInt } from "../core/errors.ts";

/** Options of `Graph.fromEdges`. */
export interface GraphOptions {
  /** Directed graphs keep arcs as given; undirected ones store both directions. Default false. */
  directed?: boolean;
  /** Allow self-loops (v, v). Default false: a self-loop is an error. */
  allowSelfLoops?: boolean;
  /** Node features, row-major [n, nodeFeatureDim]. */
  nodeFeatures?: Float32Array;
  /** Columns of nodeFeatures (required with nodeFeatures). */
  nodeFeatureDim?: number;
  /** Edge features, row-major [edges.length, edgeFeatureDim], in the order of `edges`. */
  edgeFeatures?: Float32Array;
  /** Columns of edgeFeatures (required with edgeFeatures). */
  edgeFeatureDim?: number;
}

/**
 * A graph on vertices 0..n-1 in CSR form. Undirected graphs store each edge in both neighbour lists;
 * neighbour lists are sorted, so `hasEdge` is a binary search. Duplicate edges are rejected (this is a
 * simple graph); self-loops only with `allowSelfLoops`.
 *
 * @example
 * ```ts
 * import { Graph } from "./graph.ts";
 * const g = Graph.fromEdges(3, [[0, 1], [1, 2]], { directed: false });
 * g.numEdges; // 2
 * g.hasEdge(2, 1); // true
 * Graph.fromGraph6("Bw").numEdges; // 3 (a triangle)
 * ```
 */
export class Graph {
  /** Number of vertices. */
  readonly n: number;
  /** Whether arcs are one-way. */
  readonly directed: boolean;
  /** CSR offsets, length n + 1. */
  readonly offsets: Uint32Array;
  /** CSR targets (sorted within each row), length offsets[n]. */
  readonly targets: Uint32Array;
  /** Node features [n, nodeFeatureDim] or null. */
  readonly nodeFeatures: Float32Array | null;
  /** Columns of nodeFeatures (0 without features). */
  readonly nodeFeatureDim: number;
  /** Edge features per CSR arc [offsets[n], edgeFeatureDim] or null. */
  readonly arcFeatures: Float32Array | null;
  /** Columns of arcFeatures (0 without features). */
  readonly edgeFeatureDim: number;

  private constructor(
    n: number,
    directed: boolean,
    offsets: Uint32Array,
    targets: Uint32Array,
    nodeFeatures: Float32Array | null,
    nodeFeatureDim: number,
    arcFeatures: Float32Array | null,
    edgeFeatureDim: number,
  ) {
    this.n = n;
    this.directed = directed;
    this.offsets = offsets;
    this.targets = targets;
    this.nodeFeatures = nodeFeatures;
    this.nodeFeatureDim = nodeFeatureDim;
    this.arcFeatures = arcFeatures;
    this.edgeFeatureDim = edgeFeatureDim;
  }

  /**
   * Builds a graph from an edge list. Errors on vertex ids out of [0, n), non-integers, duplicate edges
   * (for undirected graphs (u, v) and (v, u) are the same edge), self-loops unless allowed, and feature
   * arrays of the wrong size.
   *
   * @example
   * ```ts
   * import { Graph } from "./graph.ts";
   * const c4 = Graph.fromEdges(4, [[0, 1], [1, 2], [2, 3], [3, 0]], { directed: false });
   * c4.degree(0); // 2
   * ```
   */
  static fromEdges(
    n: number,
    edges: ReadonlyArray<readonly [number, number]>,
    options: GraphOptions = {},
  ): Graph {
    requireInt("n", n, 0, 1 << 28);
    if (!Array.isArray(edges)) throw new InvalidArgumentError(`edges must be an array of [u, v] pairs`);
    const directed = options.directed ?? false;
    const m = edges.length;
    const src = new Uint32Array(m), dst = new Uint32Array(m);
    for (let i = 0; i < m; i++) {
      const e = edges[i];
      if (!Array.isArray(e) || e.length !== 2) {
        throw new InvalidArgumentError(`edge ${i} must be a pair [u, v], got ${describe(e)}`);
      }
      const [u, v] = e;
      for (const x of [u, v]) {
        if (!Number.isInteger(x) || x < 0 || x >= n) {
          throw new InvalidArgumentError(
            `edge ${i} (${describe(u)}, ${describe(v)}): vertex id ${
              describe(x)
            } is out of range; ids must be integers in [0, ${n})`,
          );
        }
      }
      if (u === v && !options.allowSelfLoops) {
        throw new InvalidArgumentError(
          `edge ${i} is a self-loop (${u}, ${u}); self-loops are not allowed unless allowSelfLoops is set`,
        );
      }
      src[i] = u;
      dst[i] = v;
    }
    let nodeFeatures: Float32Array | null = null, nodeDim = 0;
    if (options.nodeFeatures !== undefined) {
      nodeDim = requireInt("nodeFeatureDim", options.nodeFeatureDim, 1);
      if (!(options.nodeFeatures instanceof Float32Array) || options.nodeFeatures.length !== n * nodeDim) {
        throw new InvalidArgumentError(
          `nodeFeatures must be a Float32Array of n * nodeFeatureDim = ${n * nodeDim} values, got ${
            describe(options.nodeFeatures)
          }`,
        );
      }
      nodeFeatures = options.nodeFeatures;
    }
    let edgeDim = 0;
    if (options.edgeFeatures !== undefined) {
      edgeDim = requireInt("edgeFeatureDim", options.edgeFeatureDim, 1);
      if (!(options.edgeFeatures instanceof Float32Array) || options.edgeFeatures.length !== m * edgeDim) {
        throw new InvalidArgumentError(
          `edgeFeatures must be a Float32Array of edges.length * edgeFeatureDim = ${m * edgeDim} values`,
        );
      }
    }
    // arcs: both directions for undirected graphs (a self-loop once)
    const arcs: number[] = []; // triples (from, to, edge index)
    for (let i = 0; i < m; i++) {
      arcs.push(src[i], dst[i], i);
      if (!directed && src[i] !== dst[i]) arcs.push(dst[i], src[i], i);
    }
    const na = arcs.length / 3;
    const order = Array.from({ length: na }, (_, k) => k);
    order.sort((a, b) => (arcs[3 * a] - arcs[3 * b]) || (arcs[3 * a + 1] - arcs[3 * b + 1]));
    const offsets = new Uint32Array(n + 1), targets = new Uint32Array(na);
    const arcFeatures = options.edgeFeatures ? new Float32Array(na * edgeDim) : null;
    for (let k = 0; k < na; k++) {
      const a = order[k], from = arcs[3 * a], to = arcs[3 * a + 1];
      if (k > 0) {
        const p = order[k - 1];
        if (arcs[3 * p] === from && arcs[3 * p + 1] === to) {
          throw new InvalidArgumentError(
            `duplicate edge (${from}, ${to}) (edges ${arcs[3 * p + 2]} and ${arcs[3 * a + 2]}); ` +
              `a Graph is simple${directed ? "" : " and (u, v) equals (v, u) in an undirected graph"}`,
          );
        }
      }
      offsets[from + 1]++;
      targets[k] = to;
      if (arcFeatures) {
        const e = arcs[3 * a + 2];
        arcFeatures.set(options.edgeFeatures!.subarray(e * edgeDim, (e + 1) * edgeDim), k * edgeDim);
      }
    }
    for (let v = 0; v < n; v++) offsets[v + 1] += offsets[v];
    return new Graph(n, directed, offsets, targets, nodeFeatures, nodeDim, arcFeatures, edgeDim);
  }

  /**
   * Parses one graph in graph6 format (optionally with the `>>graph6<<` header). Malformed input (bad
   * characters, wrong length) is an error that says what was expected.
   *
   * @example
   * ```ts
   * import { Graph } from "./graph.ts";
   * Graph.fromGraph6("G?otYw").n; // 8
   * ```
   */
  static fromGraph6(text: string): Graph {
    if (typeof text !== "string") {
      throw new InvalidArgumentError(`graph6 input must be a string, got ${describe(text)}`);
    }
    let s = text.trim();
    if (s.startsWith(">>graph6<<")) s = s.slice(10);
    if (s.length === 0) throw new InvalidArgumentError("graph6: empty string");
    const bytes: number[] = [];
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 63 || c > 126) {
        throw new InvalidArgumentError(
          `graph6: character ${JSON.stringify(s[i])} at position ${i} is outside '?'..'~' (63..126)` +
            (s[0] === ":" || s[0] === "&" ? " (sparse6/digraph6 are not supported)" : ""),
        );
      }
      bytes.push(c - 63);
    }
    let n: number, pos: number;
    if (bytes[0] < 63) {
      n = bytes[0];
      pos = 1;
    } else if (bytes.length >= 4 && bytes[1] < 63) {
      n = (bytes[1] << 12) | (bytes[2] << 6) | bytes[3];
      pos = 4;
    } else if (bytes.length >= 8) {
      n = 0;
      for (let i = 2; i < 8; i++) n = n * 64 + bytes[i];
      pos = 8;
    } else throw new InvalidArgumentError(`graph6: truncated vertex count in ${JSON.stringify(s)}`);
    const bits = (n * (n - 1)) / 2;
    const need = Math.ceil(bits / 6);
    if (bytes.length - pos !== need) {
      throw new InvalidArgumentError(
        `graph6: a graph on ${n} vertices needs ${need} edge characters, got ${bytes.length - pos} in ${
          JSON.stringify(s.length > 40 ? s.slice(0, 40) + "..." : s)
        }`,
      );
    }
    const edges: Array<[number, number]> = [];
    let k = 0;
    for (let j = 1; j < n; j++) {
      for (let i = 0; i < j; i++, k++) {
        if ((bytes[pos + Math.floor(k / 6)] >> (5 - (k % 6))) & 1) edges.push([i, j]);
      }
    }
    for (; k < need * 6; k++) {
      if ((bytes[pos + Math.floor(k / 6)] >> (5 - (k % 6))) & 1) {
        throw new InvalidArgumentError(`graph6: padding bits must be zero in ${JSON.stringify(s)}`);
      }
    }
    return Graph.fromEdges(n, edges);
  }

  /** Number of edges (undirected: each edge once; directed: arcs). */
  get numEdges(): number {
    if (this.directed) return this.targets.length;
    let loops = 0;
    for (let v = 0; v < this.n; v++) if (this.hasEdge(v, v)) loops++;
    return (this.targets.length - loops) / 2 + loops;
  }

  /** Out-neighbours of v (sorted; a view, do not modify). */
  neighbors(v: number): Uint32Array {
    return this.targets.subarray(this.offsets[v], this.offsets[v + 1]);
  }

  /** Out-degree of v. */
  degree(v: number): number {
    return this.offsets[v + 1] - this.offsets[v];
  }

  /** Whether the arc u -> v exists (binary search). */
  hasEdge(u: number, v: number): boolean {
    let lo = this.offsets[u], hi = this.offsets[u + 1];
    while (lo < hi) {
      const mid = (lo + hi) >>> 1, t = this.targets[mid];
      if (t === v) return true;
      if (t < v) lo = mid + 1;
      else hi = mid;
    }
    return false;
  }

  /** Edges as pairs: undirected graphs list each edge once with u <= v; directed graphs every arc. */
  edges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let u = 0; u < this.n; u++) {
      for (const v of this.neighbors(u)) if (this.directed || u <= v) out.push([u, v]);
    }
    return out;
  }

  /** Arc lists (both directions for undirected graphs): messages flow src[i] -> dst[i]. */
  arcs(): { src: Int32Array; dst: Int32Array } {
    const src = new Int32Array(this.targets.length), dst = new Int32Array(this.targets.length);
    for (let u = 0; u < this.n; u++) {
      for (let k = this.offsets[u]; k < this.offsets[u + 1]; k++) {
        src[k] = this.targets[k];
        dst[k] = u;
      }
    }
    return { src, dst };
  }

  /** The complement of an undirected simple graph (no self-loops). */
  complement(): Graph {
    if (this.directed) throw new InvalidArgumentError("complement() needs an undirected graph");
    const edges: Array<[number, number]> = [];
    for (let u = 0; u < this.n; u++) {
      for (let v = u + 1; v < this.n; v++) if (!this.hasEdge(u, v)) edges.push([u, v]);
    }
    return Graph.fromEdges(this.n, edges);
  }

  /** The same structure with node features attached (a new Graph; arcs shared). */
  withNodeFeatures(features: Float32Array, dim: number): Graph {
    requireInt("dim", dim, 1);
    if (!(features instanceof Float32Array) || features.length !== this.n * dim) {
      throw new InvalidArgumentError(`node features must be a Float32Array of ${this.n} x ${dim} values`);
    }
    return new Graph(
      this.n,
      this.directed,
      this.offsets,
      this.targets,
      features,
      dim,
      this.arcFeatures,
      this.edgeFeatureDim,
    );
  }

  /**
   * The graph in graph6 format (undirected simple graphs only).
   *
   * @example
   * ```ts
   * import { Graph } from "./graph.ts";
   * Graph.fromEdges(3, [[0, 1], [1, 2], [0, 2]]).toGraph6(); // "Bw"
   * ```
   */
  toGraph6(): string {
    if (this.directed) throw new InvalidArgumentError("graph6 holds undirected graphs; this one is directed");
    const n = this.n;
    for (let v = 0; v < n; v++) {
      if (this.hasEdge(v, v)) throw new InvalidArgumentError(`graph6 cannot hold the self-loop at ${v}`);
    }
    const out: number[] = [];
    if (n < 63) out.push(n);
    else if (n < 258048) out.push(63, (n >> 12) & 63, (n >> 6) & 63, n & 63);
    else {
      out.push(63, 63);
      for (let i = 5; i >= 0; i--) out.push(Math.floor(n / 64 ** i) % 64);
    }
    let cur = 0, nb = 0;
    for (let j = 1; j < n; j++) {
      for (let i = 0; i < j; i++) {
        cur = (cur << 1) | (this.hasEdge(i, j) ? 1 : 0);
        if (++nb === 6) {
          out.push(cur);
          cur = 0;
          nb = 0;
        }
      }
    }
    if (nb > 0) out.push(cur << (6 - nb));
    return String.fromCharCode(...out.map((b) => b + 63));
  }
}

/**
 * Parses a graph6 file: one graph per non-empty line.
 *
 * @example
 * ```ts
 * import { parseGraph6File } from "./graph.ts";
 * parseGraph6File("Bw\nCr\n").length; // 2
 * ```
 */
export function parseGraph6File(text: string): Graph[] {
  const out: Graph[] = [];
  text.split("\n").forEach((line, i) => {
    const s = line.trim();
    if (!s) return;
    try {
      out.push(Graph.fromGraph6(s));
    } catch (e) {
      throw new InvalidArgumentError(`graph6 line ${i + 1}: ${(e as Error).message}`);
    }
  });
  return out;
}

/**
 * Vertex-disjoint union: vertices of graphs[k] are shifted by the sizes of graphs[0..k-1].
 *
 * @example
 * ```ts
 * import { disjointUnion, Graph } from "./graph.ts";
 * const t = Graph.fromEdges(3, [[0, 1], [1, 2], [0, 2]]);
 * disjointUnion([t, t]).n; // 6
 * ```
 */
export function disjointUnion(graphs: Graph[]): Graph {
  const edges: Array<[number, number]> = [];
  let base = 0;
  for (const g of graphs) {
    if (g.directed) throw new InvalidArgumentError("disjointUnion needs undirected graphs");
    for (const [u, v] of g.edges()) edges.push([u + base, v + base]);
    base += g.n;
  }
  return Graph.fromEdges(base, edges);
}
