import { type DecodeRequest, PrefixKVCache } from "../../lib/attention/mod.ts";
import type { Philox } from "../../lib/core/rng.ts";

export function random(n: number, rng: Philox, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.uniform() * 2 - 1) * scale;
  return a;
}

/** Largest |out - ref| over each row, relative to that row's largest |ref| (attention rows are convex mixes of v). */
export function maxRowRelError(out: ArrayLike<number>, ref: ArrayLike<number>, d: number): number {
  let worst = 0;
  for (let r = 0; r * d < ref.length; r++) {
    let mag = 0, err = 0;
    for (let c = 0; c < d; c++) {
      mag = Math.max(mag, Math.abs(ref[r * d + c]));
      err = Math.max(err, Math.abs(out[r * d + c] - ref[r * d + c]));
    }
    if (!Number.isFinite(out[r * d])) return Infinity;
    worst = Math.max(worst, err / Math.max(mag, 1e-30));
  }
  return worst;
}

export interface RandomTree {
  tree: PrefixKVCache;
  requests: DecodeRequest[];
  numHeads: number;
}

/**
 * A random tree: `nodes` nodes, each attached to a random earlier node (or a new root with probability
 * pRoot), lengths uniform in [0, maxLen], some zero-length and single-token; requests on random nodes.
 */
export function randomTree(
  rng: Philox,
  o: {
    hkv: number;
    d: number;
    ratio: number;
    nodes: number;
    maxLen: number;
    requests: number;
    qScale?: number;
  },
): RandomTree {
  const tree = new PrefixKVCache({ numKvHeads: o.hkv, headDim: o.d });
  const s = o.hkv * o.d;
  const ids: number[] = [];
  for (let i = 0; i < o.nodes; i++) {
    const parent = i === 0 || rng.uniform() < 0.05 ? -1 : ids[rng.int(ids.length)];
    const u = rng.uniform();
    const len = u < 0.15 ? 0 : u < 0.3 ? 1 : rng.int(o.maxLen + 1);
    ids.push(tree.addNode(parent, random(len * s, rng), random(len * s, rng)));
  }
  const numHeads = o.hkv * o.ratio;
  const requests = Array.from({ length: o.requests }, () => ({
    leaf: ids[rng.int(ids.length)],
    q: random(numHeads * o.d, rng, o.qScale ?? 1),
  }));
  return { tree, requests, numHeads };
}
