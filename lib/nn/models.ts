/**
 * Models on lib/nn's ops: Linear, MLP, a GIN layer, and a decoder-only transformer (token + position
 * embedding, pre-RMSNorm blocks with causal attention, dense or mixture-of-experts FFN with top-k
 * routing) with a key/value cache, `generate()` and every layer's hidden state per generated token.
 *
 * @module
 */
import { describe, InvalidArgumentError, requireFinite, requireInt } from "../core/errors.ts";
import { Philox } from "../core/rng.ts";
import {
  add,
  cachedAttention,
  causalAttention,
  embedding,
  gatherRows,
  gelu,
  type Indices,
  matmul,
  mul,
  relu,
  reshape,
  rmsNorm,
  segmentSum,
  silu,
  topKRouting,
} from "./ops.ts";
import { type DType, empty, full, noGrad, type Tensor, tensor, tidy } from "./tensor.ts";

/** Something with named parameters. */
export abstract class Module {
  /** Every parameter with a dotted name, in a fixed order (used by save/load and optimizers). */
  abstract namedParameters(): Array<[string, Tensor]>;
  /** The parameters, in the order of namedParameters(). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }
  /** Total number of scalar parameters. */
  parameterCount(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }
}

function prefixed(prefix: string, m: Module): Array<[string, Tensor]> {
  return m.namedParameters().map(([n, t]) => [`${prefix}.${n}`, t]);
}

/**
 * A parameter initialized from Philox normals with standard deviation `std` (seeded, reproducible).
 *
 * @example
 * ```ts
 * import { initNormal } from "./mod.ts";
 * initNormal([2, 3], 0.02, 7).shape; // [2, 3]
 * ```
 */
export function initNormal(
  shape: number[],
  std: number,
  seed: number,
  stream = 0,
  dtype: DType = "f32",
): Tensor {
  const rng = new Philox(seed, stream);
  const t = empty(shape, dtype);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal() * std;
  t.requiresGrad = true;
  return t;
}

function param(shape: number[], value: number, dtype: DType): Tensor {
  const t = full(shape, value, dtype);
  t.requiresGrad = true;
  return t;
}

/** Options shared by the model constructors. */
export interface InitOptions {
  seed?: number;
  dtype?: DType;
}

/**
 * y = x W + b, W [in, out] initialized N(0, 1/in).
 *
 * @example
 * ```ts
 * import { Linear, tensor } from "./mod.ts";
 * const lin = new Linear(2, 3, { seed: 1 });
 * lin.forward(tensor([1, 2], [1, 2])).shape; // [1, 3]
 * ```
 */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: InitOptions & { bias?: boolean; std?: number } = {},
  ) {
    super();
    requireInt("inFeatures", inFeatures, 1);
    requireInt("outFeatures", outFeatures, 1);
    const dtype = options.dtype ?? "f32";
    this.weight = initNormal(
      [inFeatures, outFeatures],
      options.std ?? 1 / Math.sqrt(inFeatures),
      options.seed ?? 0,
      0,
      dtype,
    );
    this.bias = options.bias === false ? null : param([outFeatures], 0, dtype);
  }
  /** x [..., in] -> [..., out]. */
  forward(x: Tensor): Tensor {
    const y = matmul(x.ndim === 1 ? reshape(x, [1, x.size]) : x, this.weight);
    return this.bias ? add(y, this.bias) : y;
  }
  namedParameters(): Array<[string, Tensor]> {
    return this.bias ? [["weight", this.weight], ["bias", this.bias]] : [["weight", this.weight]];
  }
}

/** Activation functions by name. */
export type Activation = "relu" | "gelu" | "silu";

function activate(x: Tensor, a: Activation): Tensor {
  return a === "relu" ? relu(x) : a === "gelu" ? gelu(x) : silu(x);
}

/**
 * A multi-layer perceptron: Linear layers of the given sizes with an activation between them.
 *
 * @example
 * ```ts
 * import { MLP, tensor } from "./mod.ts";
 * const mlp = new MLP([4, 8, 2], { seed: 1 });
 * mlp.forward(tensor(new Float32Array(8), [2, 4])).shape; // [2, 2]
 * ```
 */
export class MLP extends Module {
  readonly layers: Linear[];
  readonly activation: Activation;
  constructor(sizes: number[], options: InitOptions & { activation?: Activation; bias?: boolean } = {}) {
    super();
    if (!Array.isArray(sizes) || sizes.length < 2) {
      throw new InvalidArgumentError(
        `MLP: sizes must list at least input and output sizes, got ${describe(sizes)}`,
      );
    }
    this.activation = options.activation ?? "relu";
    if (!["relu", "gelu", "silu"].includes(this.activation)) {
      throw new InvalidArgumentError(
        `MLP: activation must be relu, gelu or silu, got ${describe(this.activation)}`,
      );
    }
    this.layers = sizes.slice(1).map((s, i) =>
      new Linear(sizes[i], s, { ...options, seed: (options.seed ?? 0) + i })
    );
  }
  /** x [N, in] -> [N, out]. */
  forward(x: Tensor): Tensor {
    let h = x;
    this.layers.forEach((l, i) => {
      h = l.forward(h);
      if (i < this.layers.length - 1) h = activate(h, this.activation);
    });
    return h;
  }
  namedParameters(): Array<[string, Tensor]> {
    return this.layers.flatMap((l, i) => prefixed(`layers.${i}`, l));
  }
}

/** Directed edges of a graph: messages flow src[i] -> dst[i]. */
export interface EdgeIndex {
  src: Indices;
  dst: Indices;
}

/**
 * Graph Isomorphism Network layer (Xu et al. 2019): h' = MLP((1 + eps) h + Σ_{u -> v} h_u), eps learned.
 *
 * @example
 * ```ts
 * import { GINLayer, tensor } from "./mod.ts";
 * const gin = new GINLayer(2, 4, { seed: 1 });
 * gin.forward(tensor([1, 0, 0, 1], [2, 2]), { src: [0, 1], dst: [1, 0] }).shape; // [2, 4]
 * ```
 */
export class GINLayer extends Module {
  readonly eps: Tensor;
  readonly mlp: MLP;
  constructor(
    inDim: number,
    outDim: number,
    options: InitOptions & { hidden?: number; activation?: Activation } = {},
  ) {
    super();
    this.eps = param([1], 0, options.dtype ?? "f32");
    this.mlp = new MLP([inDim, options.hidden ?? outDim, outDim], options);
  }
  /** h [N, in], edges -> [N, out]. */
  forward(h: Tensor, edges: EdgeIndex): Tensor {
    const n = h.shape[0];
    const src = edges.src, dst = edges.dst;
    if (src.length !== dst.length) {
      throw new InvalidArgumentError(
        `GINLayer: edges have ${src.length} sources and ${dst.length} destinations`,
      );
    }
    const messages = segmentSum(gatherRows(h, src), dst, n);
    return this.mlp.forward(add(add(h, mul(h, this.eps)), messages));
  }
  namedParameters(): Array<[string, Tensor]> {
    return [["eps", this.eps], ...prefixed("mlp", this.mlp)];
  }
}

/** Routing statistics of the last forward pass of a MoE layer. */
export interface MoEStats {
  /** Tokens per expert. */
  counts: Int32Array;
  /** [N * k] chosen experts per token. */
  indices: Int32Array;
}

/**
 * A mixture-of-experts FFN: a router picks k of E expert MLPs per token; the output is the routing-
 * weighted sum of the chosen experts' outputs.
 *
 * @example
 * ```ts
 * import { MoE, tensor } from "./mod.ts";
 * const moe = new MoE(4, 8, 3, 2, { seed: 1 });
 * moe.forward(tensor(new Float32Array(8), [2, 4])).shape; // [2, 4]
 * ```
 */
export class MoE extends Module {
  readonly router: Linear;
  readonly experts: MLP[];
  lastStats: MoEStats | null = null;
  constructor(
    readonly dim: number,
    readonly hidden: number,
    readonly numExperts: number,
    readonly topK: number,
    options: InitOptions & { activation?: Activation } = {},
  ) {
    super();
    requireInt("numExperts", numExperts, 1);
    requireInt("topK", topK, 1, numExperts);
    const seed = options.seed ?? 0;
    this.router = new Linear(dim, numExperts, { ...options, bias: false, seed: seed + 101 });
    this.experts = Array.from(
      { length: numExperts },
      (_, e) =>
        new MLP([dim, hidden, dim], {
          ...options,
          activation: options.activation ?? "gelu",
          seed: seed + 1000 * (e + 1),
        }),
    );
  }
  /** x [N, dim] -> [N, dim]. */
  forward(x: Tensor): Tensor {
    const n = x.shape[0], k = this.topK;
    const route = topKRouting(this.router.forward(x), k);
    this.lastStats = { counts: route.counts, indices: route.indices };
    const flatW = reshape(route.weights, [n * k, 1]);
    let out: Tensor | null = null;
    for (let e = 0; e < this.numExperts; e++) {
      if (route.counts[e] === 0) continue;
      const tokens: number[] = [], slots: number[] = [];
      for (let i = 0; i < n * k; i++) {
        if (route.indices[i] === e) {
          tokens.push(Math.floor(i / k));
          slots.push(i);
        }
      }
      const y = mul(this.experts[e].forward(gatherRows(x, tokens)), gatherRows(flatW, slots));
      const part = segmentSum(y, tokens, n);
      out = out ? add(out, part) : part;
    }
    return out ?? full([n, this.dim], 0, x.dtype);
  }
  namedParameters(): Array<[string, Tensor]> {
    return [
      ...prefixed("router", this.router),
      ...this.experts.flatMap((m, e) => prefixed(`experts.${e}`, m)),
    ];
  }
}

/** Configuration of a decoder-only transformer. */
export interface TransformerConfig {
  vocabSize: number;
  maxLen: number;
  dModel: number;
  nHeads: number;
  nLayers: number;
  /** FFN hidden size (default 4 dModel). */
  ffnHidden?: number;
  /** Use a mixture-of-experts FFN with this many experts and top-k routing. */
  moe?: { experts: number; topK: number };
  seed?: number;
  dtype?: DType;
}

/** One pre-norm decoder block: x + attn(rms(x)), then x + ffn(rms(x)). */
export class TransformerBlock extends Module {
  readonly norm1: Tensor;
  readonly norm2: Tensor;
  readonly wq: Linear;
  readonly wk: Linear;
  readonly wv: Linear;
  readonly wo: Linear;
  readonly ffn: MLP | MoE;
  constructor(
    readonly config: Required<Omit<TransformerConfig, "moe">> & { moe?: TransformerConfig["moe"] },
    layer: number,
  ) {
    super();
    const { dModel: d, dtype, seed } = config;
    const s = seed + 7919 * (layer + 1);
    this.norm1 = param([d], 1, dtype);
    this.norm2 = param([d], 1, dtype);
    const proj = { dtype, bias: false };
    this.wq = new Linear(d, d, { ...proj, seed: s + 1 });
    this.wk = new Linear(d, d, { ...proj, seed: s + 2 });
    this.wv = new Linear(d, d, { ...proj, seed: s + 3 });
    this.wo = new Linear(d, d, { ...proj, seed: s + 4, std: 1 / Math.sqrt(d * 2 * config.nLayers) });
    this.ffn = config.moe
      ? new MoE(d, config.ffnHidden, config.moe.experts, config.moe.topK, { dtype, seed: s + 5 })
      : new MLP([d, config.ffnHidden, d], { dtype, seed: s + 5, activation: "gelu" });
  }

  #heads(x: Tensor, b: number, t: number): Tensor {
    const h = this.config.nHeads, dh = this.config.dModel / h;
    return reshape(x, [b, t, h, dh]).permute([0, 2, 1, 3]);
  }

  /** x [B * T, d] -> [B * T, d], causal over each sequence of length T. */
  forward(x: Tensor, b: number, t: number): Tensor {
    const a = rmsNorm(x, this.norm1);
    const q = this.#heads(this.wq.forward(a), b, t), k = this.#heads(this.wk.forward(a), b, t);
    const v = this.#heads(this.wv.forward(a), b, t);
    const o = reshape(causalAttention(q, k, v).permute([0, 2, 1, 3]), [b * t, this.config.dModel]);
    const x1 = add(x, this.wo.forward(o));
    return add(x1, this.ffn.forward(rmsNorm(x1, this.norm2)));
  }

  /** Decoding step(s) with a cache: x [T_new, d] at positions pos..pos+T_new-1 (batch 1, no grad). */
  forwardCached(x: Tensor, cache: { k: Tensor; v: Tensor }, pos: number): Tensor {
    const tn = x.shape[0], h = this.config.nHeads, dh = this.config.dModel / h, cap = cache.k.shape[2];
    const a = rmsNorm(x, this.norm1);
    const q = this.#heads(this.wq.forward(a), 1, tn);
    const k = this.#heads(this.wk.forward(a), 1, tn), v = this.#heads(this.wv.forward(a), 1, tn);
    for (let hh = 0; hh < h; hh++) {
      for (let i = 0; i < tn; i++) {
        const src = (hh * tn + i) * dh, dst = (hh * cap + pos + i) * dh;
        cache.k.data.set(k.data.subarray(src, src + dh), dst);
        cache.v.data.set(v.data.subarray(src, src + dh), dst);
      }
    }
    const o = reshape(cachedAttention(q, cache.k, cache.v, pos + tn).permute([0, 2, 1, 3]), [
      tn,
      this.config.dModel,
    ]);
    const x1 = add(x, this.wo.forward(o));
    return add(x1, this.ffn.forward(rmsNorm(x1, this.norm2)));
  }

  namedParameters(): Array<[string, Tensor]> {
    return [
      ["norm1", this.norm1],
      ...prefixed("wq", this.wq),
      ...prefixed("wk", this.wk),
      ...prefixed("wv", this.wv),
      ...prefixed("wo", this.wo),
      ["norm2", this.norm2],
      ...prefixed("ffn", this.ffn),
    ];
  }
}

/** Options of generate(). */
export interface GenerateOptions {
  /** Most tokens to produce. */
  maxNewTokens: number;
  /** 0 (default): greedy; > 0: sample from softmax(logits / temperature). */
  temperature?: number;
  /** Seed of the sampling stream (Philox), so generation is deterministic for a seed. */
  seed?: number;
  /** Stop after producing this token (it is included in the output). */
  stopToken?: number;
  /** Record every layer's hidden state for each generated token (default true). */
  hiddenStates?: boolean;
}

/** What generate() returns. */
export interface Generation {
  /** The generated tokens (prompt excluded). */
  tokens: number[];
  /**
   * hidden[i][l]: the residual stream after layer l (l = 0 is the embedding, l = nLayers the last block)
   * at the position whose next-token distribution produced tokens[i].
   */
  hidden: Float32Array[][];
  /** Whether generation ended on stopToken. */
  stopped: boolean;
}

/**
 * A decoder-only transformer language model.
 *
 * @example
 * ```ts
 * import { Transformer } from "./mod.ts";
 * const lm = new Transformer({ vocabSize: 16, maxLen: 32, dModel: 16, nHeads: 2, nLayers: 1, seed: 1 });
 * const logits = lm.forward(new Int32Array([1, 2, 3, 4]), 1, 4); // [4, 16]
 * const g = lm.generate([1, 2], { maxNewTokens: 3 }); // g.tokens.length === 3
 * ```
 */
export class Transformer extends Module {
  readonly config: Required<Omit<TransformerConfig, "moe">> & { moe?: TransformerConfig["moe"] };
  readonly tokEmb: Tensor;
  readonly posEmb: Tensor;
  readonly blocks: TransformerBlock[];
  readonly normF: Tensor;
  readonly head: Linear;

  constructor(config: TransformerConfig) {
    super();
    requireInt("vocabSize", config.vocabSize, 2);
    requireInt("maxLen", config.maxLen, 1);
    requireInt("dModel", config.dModel, 1);
    requireInt("nHeads", config.nHeads, 1);
    requireInt("nLayers", config.nLayers, 0);
    if (config.dModel % config.nHeads !== 0) {
      throw new InvalidArgumentError(
        `Transformer: dModel ${config.dModel} must be a multiple of nHeads ${config.nHeads}`,
      );
    }
    this.config = {
      ...config,
      ffnHidden: config.ffnHidden ?? 4 * config.dModel,
      seed: config.seed ?? 0,
      dtype: config.dtype ?? "f32",
    };
    const { vocabSize: v, maxLen, dModel: d, seed, dtype } = this.config;
    this.tokEmb = initNormal([v, d], 0.1, seed, 1, dtype);
    this.posEmb = initNormal([maxLen, d], 0.02, seed, 2, dtype);
    this.blocks = Array.from({ length: this.config.nLayers }, (_, l) => new TransformerBlock(this.config, l));
    this.normF = param([d], 1, dtype);
    this.head = new Linear(d, v, { dtype, bias: false, seed: seed + 3 });
  }

  /** Logits [B * T, vocab] for token ids [B * T] (row-major [B, T]). */
  forward(ids: Indices, batch: number, seqLen: number): Tensor {
    requireInt("batch", batch, 1);
    requireInt("seqLen", seqLen, 1, this.config.maxLen);
    if (ids.length !== batch * seqLen) {
      throw new InvalidArgumentError(
        `Transformer.forward: ${ids.length} ids for batch ${batch} x seqLen ${seqLen}`,
      );
    }
    const pos = new Int32Array(batch * seqLen);
    for (let i = 0; i < pos.length; i++) pos[i] = i % seqLen;
    let x = add(embedding(this.tokEmb, ids), embedding(this.posEmb, pos));
    for (const b of this.blocks) x = b.forward(x, batch, seqLen);
    return this.head.forward(rmsNorm(x, this.normF));
  }

  /**
   * Autoregressive generation from `prompt` with a key/value cache; deterministic for a seed.
   * Returns the tokens and, per generated token, every layer's hidden state.
   */
  generate(prompt: readonly number[], options: GenerateOptions): Generation {
    const { vocabSize, maxLen, dModel, nHeads } = this.config;
    if (!Array.isArray(prompt) || prompt.length === 0) {
      throw new InvalidArgumentError("generate: prompt must be a non-empty array of token ids");
    }
    requireInt("maxNewTokens", options.maxNewTokens, 0);
    const temperature = requireFinite("temperature", options.temperature ?? 0, 0);
    if (prompt.length + options.maxNewTokens > maxLen) {
      throw new InvalidArgumentError(
        `generate: prompt (${prompt.length}) + maxNewTokens (${options.maxNewTokens}) exceeds maxLen ${maxLen}`,
      );
    }
    for (const t of prompt) {
      if (!Number.isInteger(t) || t < 0 || t >= vocabSize) {
        throw new InvalidArgumentError(
          `generate: prompt token ${describe(t)} out of range [0, ${vocabSize})`,
        );
      }
    }
    const rng = new Philox(options.seed ?? 0, 17);
    const keepHidden = options.hiddenStates ?? true;
    const dh = dModel / nHeads;
    return noGrad(() => {
      const caches = this.blocks.map(() => ({
        k: empty([1, nHeads, maxLen, dh], this.config.dtype),
        v: empty([1, nHeads, maxLen, dh], this.config.dtype),
      }));
      const tokens: number[] = [], hidden: Float32Array[][] = [];
      let input = [...prompt], pos = 0, stopped = false;
      try {
        for (let step = 0; step < options.maxNewTokens; step++) {
          const tn = input.length;
          const layers: Float32Array[] = [];
          const next = tidy(() => {
            const posIds = Array.from({ length: tn }, (_, i) => pos + i);
            let x = add(embedding(this.tokEmb, input), embedding(this.posEmb, posIds));
            const lastRow = (t: Tensor) => Float32Array.from(t.data.subarray((tn - 1) * dModel, tn * dModel));
            if (keepHidden) layers.push(lastRow(x));
            for (let l = 0; l < this.blocks.length; l++) {
              x = this.blocks[l].forwardCached(x, caches[l], pos);
              if (keepHidden) layers.push(lastRow(x));
            }
            const last = tensor(x.data.subarray((tn - 1) * dModel, tn * dModel), [1, dModel], {
              dtype: this.config.dtype,
            });
            const logits = this.head.forward(rmsNorm(last, this.normF)).data;
            return temperature === 0 ? argmax(logits) : sample(logits, temperature, rng);
          });
          tokens.push(next);
          if (keepHidden) hidden.push(layers);
          pos += tn;
          input = [next];
          if (next === options.stopToken) {
            stopped = true;
            break;
          }
        }
      } finally {
        for (const c of caches) {
          c.k.dispose();
          c.v.dispose();
        }
      }
      return { tokens, hidden, stopped };
    });
  }

  namedParameters(): Array<[string, Tensor]> {
    return [
      ["tokEmb", this.tokEmb],
      ["posEmb", this.posEmb],
      ...this.blocks.flatMap((b, i) => prefixed(`blocks.${i}`, b)),
      ["normF", this.normF],
      ...prefixed("head", this.head),
    ];
  }
}

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

function sample(logits: ArrayLike<number>, temperature: number, rng: Philox): number {
  let mx = -Infinity;
  for (let i = 0; i < logits.length; i++) mx = Math.max(mx, logits[i]);
  const p = new Float64Array(logits.length);
  let z = 0;
  for (let i = 0; i < p.length; i++) z += p[i] = Math.exp((logits[i] - mx) / temperature);
  let u = rng.uniform() * z;
  for (let i = 0; i < p.length; i++) {
    u -= p[i];
    if (u <= 0) return i;
  }
  return p.length - 1;
}
