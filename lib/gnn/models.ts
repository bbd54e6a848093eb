/**
 * Graph models on lib/nn: one relational GIN covers CSGNN (layer i: GIN over E, P_i, P'_i with one shared
 * MLP per layer), the GIN baseline (E only), GIN with chordless-cycle node flags (E only, wider input) and
 * the k-hop baseline (hop rings 1..k); sum-pool readout then Lin-ReLU-dropout-Lin.
 *
 * @module
 */
import { InvalidArgumentError, requireFinite, requireInt } from "../core/errors.ts";
import { Philox } from "../core/rng.ts";
import {
  add,
  gatherRows,
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
 * GIN over relation R: MLP(h_v + sum_{(u -> v) in R} h_u).
 *
 * @example
 * ```ts
 * import { ginRelation } from "./models.ts";
 * import { MLP, tensor } from "../nn/mod.ts";
 * const mlp = new MLP([1, 2, 1], { seed: 1 });
 * ginRelation(mlp, tensor([1, 2], [2, 1]), { src: Int32Array.of(0), dst: Int32Array.of(1) }).shape; // [2, 1]
 * ```
 */
export function ginRelation(mlp: MLP, h: Tensor, rel: { src: Int32Array; dst: Int32Array }): Tensor {
  return mlp.forward(add(h, segmentSum(gatherRows(h, rel.src), rel.dst, h.shape[0])));
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
    this.head1 = new Linear(hidden, hidden, { seed: seed + 7001, dtype });
    this.head2 = new Linear(hidden, options.outDim, { seed: seed + 7002, dtype });
  }

  /** Node embeddings after the message-passing layers, from input features x [N, inDim]. */
  embed(x: Tensor, batch: Batch): Tensor {
    if (batch.relations.length !== this.mlps.length) {
      throw new InvalidArgumentError(
        `RelationalGIN: batch has ${batch.relations.length} layers of relations, the model ${this.mlps.length}`,
      );
    }
    let h = this.encoder.forward(x);
    this.mlps.forEach((mlp, i) => {
      for (const rel of batch.relations[i]) {
        if (rel === batch.relations[i][0] || rel.src.length > 0) h = ginRelation(mlp, h, rel);
      }
    });
    return h;
  }

  /**
   * Graph outputs [numGraphs, outDim]. `dropoutSeed` turns dropout on (training); without it, off.
   */
  forward(batch: Batch, dropoutSeed?: number): Tensor {
    const dtype = this.options.dtype ?? "f32";
    const x = tensor(dtype === "f64" ? Float64Array.from(batch.x) : batch.x, [batch.n, batch.dim], { dtype });
    const pooled = segmentSum(this.embed(x, batch), batch.graphOf, batch.numGraphs);
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
      ...this.head1.namedParameters().map(([n, t]) => [`head1.${n}`, t] as [string, Tensor]),
      ...this.head2.namedParameters().map(([n, t]) => [`head2.${n}`, t] as [string, Tensor]),
    ];
  }
}
