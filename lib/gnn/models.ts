/**
 * Graph models on lib/nn: one relational GIN covers CSGNN (layer i: GIN over E, P_i, P'_i with one shared
 * MLP per layer), the GIN baseline (E only), GIN with chordless-cycle node flags (E only, wider input) and
 * the k-hop baseline (hop rings 1..k); sum-pool readout then Lin-ReLU-dropout-Lin.
 *
 * Two training aids beyond the notes' description keep sums bounded when relations are dense (the
 * complement's P'_i has tens of thousands of pairs on a CSL graph): each relation's neighbour sum is
 * multiplied by a fixed per-relation scale (the trainer uses 1 / mean in-degree of that relation over the
 * training graphs — a constant, so counts still differ between graphs, unlike mean aggregation), and a
 * layer norm can follow every GIN application (off by default: on CSL, where every node of a graph looks
 * alike, it strips the scale that carries the structural counts). The sum-pooled readout may be multiplied
 * by a constant (the trainer uses 1 / mean training graph size) so that initial logits stay small.
 *
 * @module
 */
import { InvalidArgumentError, requireFinite, requireInt } from "../core/errors.ts";
import { Philox } from "../core/rng.ts";
import {
  add,
  gatherRows,
  layerNorm,
  Linear,
  MLP,
  Module,
  mul,
  relu,
  segmentSum,
  type Tensor,
  tensor,
} from "../nn/mod.ts";
import type { DType } from "../nn/tensor.ts";
import type { Batch } from "./data.ts";

/**
 * GIN over relation R: MLP(h_v + scale * sum_{(u -> v) in R} h_u) (scale defaults to 1, the plain GIN sum).
 *
 * @example
 * ```ts
 * import { ginRelation } from "./models.ts";
 * import { MLP, tensor } from "../nn/mod.ts";
 * const mlp = new MLP([1, 2, 1], { seed: 1 });
 * ginRelation(mlp, tensor([1, 2], [2, 1]), { src: Int32Array.of(0), dst: Int32Array.of(1) }).shape; // [2, 1]
 * ```
 */
export function ginRelation(
  mlp: MLP,
  h: Tensor,
  rel: { src: Int32Array; dst: Int32Array },
  scale = 1,
): Tensor {
  requireFinite("scale", scale);
  const agg = segmentSum(gatherRows(h, rel.src), rel.dst, h.shape[0]);
  return mlp.forward(add(h, scale === 1 ? agg : mul(agg, scale)));
}

/** Options of RelationalGIN. */
export interface RelationalGINOptions {
  inDim: number;
  hidden: number;
  outDim: number;
  layers: number;
  /** Dropout probability before the last readout layer. Default 0. */
  dropout?: number;
  seed?: number;
  dtype?: DType;
  /** Layer norm (learned gain and bias per layer) after every GIN application. Default false. */
  norm?: boolean;
  /**
   * Per layer, per relation slot: the factor applied to that relation's neighbour sum. Default 1 for all
   * (the plain GIN sum of the notes).
   */
  relationScales?: number[][];
  /** Factor on the sum-pooled graph vector (e.g. 1 / mean graph size, keeps initial logits small). Default 1. */
  readoutScale?: number;
}

/**
 * The relational GIN: a linear input encoder, then per layer one MLP shared by that layer's relations,
 * applied relation after relation. With batches from prepareSample({kind: "csgnn"}) it is CSGNN as described in the
 * notes; with kind "gin" the GIN baseline; "gin-cycles" GIN + chordless-cycle flags; "khop" the k-hop
 * baseline. A relation empty in the whole batch is skipped.
 *
 * @example
 * ```ts
 * import { RelationalGIN } from "./models.ts";
 * const m = new RelationalGIN({ inDim: 1, hidden: 8, outDim: 1, layers: 2, seed: 1 });
 * m.parameterCount() > 0; // true
 * ```
 */
export class RelationalGIN extends Module {
  readonly encoder: Linear;
  readonly mlps: MLP[];
  readonly head1: Linear;
  readonly head2: Linear;
  readonly dropout: number;
  readonly gains: Tensor[];
  readonly biases: Tensor[];
  constructor(readonly options: RelationalGINOptions) {
    super();
    const inDim = requireInt("inDim", options.inDim, 1);
    const hidden = requireInt("hidden", options.hidden, 1);
    requireInt("outDim", options.outDim, 1);
    const layers = requireInt("layers", options.layers, 1, 64);
    this.dropout = requireFinite("dropout", options.dropout ?? 0, 0, 0.99);
    const seed = options.seed ?? 0, dtype = options.dtype ?? "f32";
    // a linear input encoder, so each layer's one MLP (shared by its relations) maps hidden -> hidden
    this.encoder = new Linear(inDim, hidden, { seed: seed + 7000, dtype });
    this.mlps = Array.from(
      { length: layers },
      (_, i) => new MLP([hidden, hidden, hidden], { seed: seed + 100 * i, dtype }),
    );
    const vec = (v: number) => {
      const arr = dtype === "f64" ? new Float64Array(hidden).fill(v) : new Float32Array(hidden).fill(v);
      return tensor(arr, [hidden], { dtype, requiresGrad: true });
    };
    this.gains = options.norm ? Array.from({ length: layers }, () => vec(1)) : [];
    this.biases = options.norm ? Array.from({ length: layers }, () => vec(0)) : [];
    requireFinite("readoutScale", options.readoutScale ?? 1, 0);
    for (const [i, row] of (options.relationScales ?? []).entries()) {
      for (const c of row) requireFinite(`relationScales[${i}]`, c, 0);
    }
    this.head1 = new Linear(hidden, hidden, { seed: seed + 7001, dtype });
    this.head2 = new Linear(hidden, options.outDim, { seed: seed + 7002, dtype });
    // biases start uniform in +-1/sqrt(fan in) (PyTorch's Linear default) rather than at 0: with zero
    // biases the network is positively homogeneous, so on graphs whose nodes all look alike (CSL) the
    // structural counts only scale one output vector and never change its argmax at initialisation
    const rng = new Philox(seed, 13);
    for (const [name, t] of this.namedParameters()) {
      if (!name.endsWith(".bias") || name.startsWith("norm.")) continue;
      const bound = 1 / Math.sqrt(name.startsWith("encoder.") ? inDim : hidden);
      for (let i = 0; i < t.data.length; i++) t.data[i] = (2 * rng.uniform() - 1) * bound;
    }
  }

  /** Node embeddings after the message-passing layers, from input features x [N, inDim]. */
  embed(x: Tensor, batch: Batch): Tensor {
    if (batch.relations.length !== this.mlps.length) {
      throw new InvalidArgumentError(
        `RelationalGIN: batch has ${batch.relations.length} layers of relations, the model ${this.mlps.length}`,
      );
    }
    let h = this.encoder.forward(x);
    const scales = this.options.relationScales;
    this.mlps.forEach((mlp, i) => {
      batch.relations[i].forEach((rel, k) => {
        if (k > 0 && rel.src.length === 0) return;
        h = ginRelation(mlp, h, rel, scales?.[i]?.[k] ?? 1);
        if (this.options.norm) h = layerNorm(h, this.gains[i], this.biases[i]);
      });
    });
    return h;
  }

  /**
   * Graph outputs [numGraphs, outDim]. `dropoutSeed` turns dropout on (training); without it, off.
   */
  forward(batch: Batch, dropoutSeed?: number): Tensor {
    const dtype = this.options.dtype ?? "f32";
    const x = tensor(dtype === "f64" ? Float64Array.from(batch.x) : batch.x, [batch.n, batch.dim], { dtype });
    const rs = this.options.readoutScale ?? 1;
    const summed = segmentSum(this.embed(x, batch), batch.graphOf, batch.numGraphs);
    const pooled = rs === 1 ? summed : mul(summed, rs);
    let z = relu(this.head1.forward(pooled));
    if (dropoutSeed !== undefined && this.dropout > 0) {
      const rng = new Philox(dropoutSeed, 11);
      const keep = 1 - this.dropout;
      const mask = new Float32Array(z.size);
      for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < keep ? 1 / keep : 0;
      z = mul(z, tensor(dtype === "f64" ? Float64Array.from(mask) : mask, z.shape, { dtype }));
    }
    return this.head2.forward(z);
  }

  namedParameters(): Array<[string, Tensor]> {
    return [
      ...this.encoder.namedParameters().map(([n, t]) => [`encoder.${n}`, t] as [string, Tensor]),
      ...this.mlps.flatMap((m, i) =>
        m.namedParameters().map(([n, t]) => [`mlps.${i}.${n}`, t] as [string, Tensor])
      ),
      ...this.gains.map((t, i) => [`norm.${i}.gain`, t] as [string, Tensor]),
      ...this.biases.map((t, i) => [`norm.${i}.bias`, t] as [string, Tensor]),
      ...this.head1.namedParameters().map(([n, t]) => [`head1.${n}`, t] as [string, Tensor]),
      ...this.head2.namedParameters().map(([n, t]) => [`head2.${n}`, t] as [string, Tensor]),
    ];
  }
}
