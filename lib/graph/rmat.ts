/**
 * R-MAT / Graph500 Kronecker edge generator (Chakrabarti et al. 2004; Graph500 defaults A=0.57, B=0.19,
 * C=0.19), seeded with Philox so the same seed gives the same graph on every runtime.
 *
 * @module
 */
import { InvalidArgumentError, requireFinite, requireInt } from "../core/errors.ts";
import { fillU32 } from "../core/rng.ts";

/** Options of `rmat`. */
export interface RmatOptions {
  /** log2 of the number of vertices (1..26). */
  scale: number;
  /** Edges per vertex (Graph500 uses 16). */
  edgeFactor: number;
  /** Quadrant probabilities; D = 1 - A - B - C. Defaults 0.57, 0.19, 0.19. */
  a?: number;
  b?: number;
  c?: number;
  /** Philox seed. */
  seed: number;
}

/** A directed edge list. */
export interface EdgeList {
  numVertices: number;
  src: Uint32Array;
  dst: Uint32Array;
  /** Present when the source had weights. */
  weight?: Float64Array;
}

/**
 * `edgeFactor * 2^scale` directed edges; edge e picks one quadrant per bit level from stream 0, word
 * e * scale + level (probabilities quantised to 2^-32). Self loops and duplicates are kept, as Graph500's
 * generator does before its own cleaning.
 *
 * @example
 * ```ts
 * import { rmat } from "./rmat.ts";
 * const g = rmat({ scale: 10, edgeFactor: 8, seed: 1 }); // 1024 vertices, 8192 edges
 * ```
 */
export function rmat(options: RmatOptions): EdgeList {
  const scale = requireInt("scale", options.scale, 1, 26);
  const ef = requireInt("edgeFactor", options.edgeFactor, 1, 1024);
  const a = requireFinite("a", options.a ?? 0.57, 0, 1);
  const b = requireFinite("b", options.b ?? 0.19, 0, 1);
  const c = requireFinite("c", options.c ?? 0.19, 0, 1);
  if (a + b + c > 1 + 1e-12) {
    throw new InvalidArgumentError(`a + b + c = ${a + b + c} must be <= 1 (d = 1 - a - b - c)`);
  }
  requireInt("seed", options.seed, 0);
  const n = 2 ** scale, m = ef * n;
  const src = new Uint32Array(m), dst = new Uint32Array(m);
  const ta = a * 4294967296, tb = (a + b) * 4294967296, tc = (a + b + c) * 4294967296;
  const chunk = 1 << 16;
  const words = new Uint32Array(chunk * scale);
  for (let e0 = 0; e0 < m; e0 += chunk) {
    const e1 = Math.min(m, e0 + chunk);
    const w = words.subarray(0, (e1 - e0) * scale);
    fillU32(w, options.seed, 0, e0 * scale);
    for (let e = e0; e < e1; e++) {
      let s = 0, d = 0;
      const base = (e - e0) * scale;
      for (let l = 0; l < scale; l++) {
        const u = w[base + l];
        const bit = 1 << (scale - 1 - l);
        if (u < ta) { /* top-left */ }
        else if (u < tb) d |= bit;
        else if (u < tc) s |= bit;
        else {
          s |= bit;
          d |= bit;
        }
      }
      src[e] = s;
      dst[e] = d;
    }
  }
  return { numVertices: n, src, dst };
}

/**
 * Both directions of every edge (weights copied), for undirected graphs.
 *
 * @example
 * ```ts
 * import { symmetrize } from "./rmat.ts";
 * const u = symmetrize({ numVertices: 2, src: new Uint32Array([0]), dst: new Uint32Array([1]) }); // 0->1, 1->0
 * ```
 */
export function symmetrize(g: EdgeList): EdgeList {
  const m = g.src.length;
  const src = new Uint32Array(2 * m), dst = new Uint32Array(2 * m);
  src.set(g.src);
  src.set(g.dst, m);
  dst.set(g.dst);
  dst.set(g.src, m);
  let weight: Float64Array | undefined;
  if (g.weight) {
    weight = new Float64Array(2 * m);
    weight.set(g.weight);
    weight.set(g.weight, m);
  }
  return { numVertices: g.numVertices, src, dst, weight };
}
