/**
 * An end-to-end batched decode loop with lib/nn's Transformer over a prefix-tree KV cache: R requests
 * share a prompt prefix (stored once per layer as the root of a {@link PrefixKVCache}) and each has its own
 * suffix (a leaf). Prefill runs through the nn engine (its cached attention); every decode step runs the
 * embeddings, norms, projections, MLP and head through lib/nn ops on the batch of R rows, appends each
 * request's new key/value to its leaf, and computes attention with {@link decodeAttention} (any method and
 * backend). Greedy decoding; the same function as `Transformer.generate()` per request, up to f32 rounding.
 *
 * @module
 */
import { describe, InvalidArgumentError, requireInt } from "../core/errors.ts";
import type { BackendRequest } from "../runtime/backend.ts";
import { Transformer } from "../nn/models.ts";
import { add, embedding, rmsNorm } from "../nn/ops.ts";
import { empty, noGrad, type Tensor, tensor, tidy } from "../nn/tensor.ts";
import { decodeAttention, type DecodeRequest } from "./mod.ts";
import { ATTENTION_METHODS, type AttentionMethod } from "./plan.ts";
import { PrefixKVCache } from "./tree.ts";

/** A batch of prompts that share a prefix: request r's prompt is `prefix ++ suffixes[r]`. */
export interface SharedPrompt {
  /** The shared prompt prefix (at least one token). */
  prefix: readonly number[];
  /** Per-request suffixes (may be empty); one request per entry. */
  suffixes: ReadonlyArray<readonly number[]>;
}

/** Options of {@link PrefixDecodeSession} and {@link prefixDecode}. */
export interface PrefixDecodeOptions {
  /** Attention method of the decode steps. Default "shared-prefix". */
  method?: AttentionMethod;
  /** Backend of decodeAttention. Default "wasm". (lib/nn's ops use the nn engine's backend, see setBackend.) */
  backend?: BackendRequest;
  /** wasm threads for decodeAttention. Default: decodeAttention's default. */
  threads?: number;
  /** Query group size G (shared-prefix / cascade). */
  groupSize?: number;
  /** KV chunk size of the attention plan. */
  chunkSize?: number;
  /** Tokens the session may produce per request (sizes the position check). */
  maxNewTokens: number;
  /** Keep, per generated token, the final residual stream (before the last norm) of every request. */
  recordHidden?: boolean;
}

/** Timing of one decode step (one new token for every request). */
export interface DecodeStepStats {
  /** Wall time of the step, ms. */
  ms: number;
  /** Wall time spent in decodeAttention (all layers), ms. */
  attentionMs: number;
  /** Modelled KV bytes the attention plans read (all layers). */
  kvBytes: number;
}

/**
 * A running batched decode over a shared prefix. The constructor prefills (nn engine) and produces every
 * request's first token; each {@link step} produces one more token per request.
 *
 * @example
 * ```ts
 * import { PrefixDecodeSession } from "./mod.ts";
 * import { Transformer } from "../nn/mod.ts";
 * const lm = new Transformer({ vocabSize: 16, maxLen: 32, dModel: 16, nHeads: 2, nLayers: 1, seed: 1 });
 * const s = new PrefixDecodeSession(lm, { prefix: [1, 2, 3], suffixes: [[4], [5, 6]] }, {
 *   method: "shared-prefix", backend: "ts", maxNewTokens: 4,
 * });
 * await s.step(); // s.tokens: two requests x 2 tokens
 * s.dispose();
 * ```
 */
export class PrefixDecodeSession {
  /** One KV tree per layer: node `root` holds the prefix, `leaves[r]` request r's suffix and decoded tokens. */
  readonly trees: PrefixKVCache[];
  readonly root: number;
  readonly leaves: number[];
  /** Generated tokens per request. */
  readonly tokens: number[][];
  /** hidden[r][i]: final residual stream of request r at the position that produced tokens[r][i]. */
  readonly hidden: Float32Array[][] | null;
  readonly method: AttentionMethod;
  readonly maxNewTokens: number;
  #model: Transformer;
  #options: PrefixDecodeOptions;
  #positions: number[]; // position of each request's last generated token (the next input)
  #disposed = false;

  constructor(model: Transformer, prompt: SharedPrompt, options: PrefixDecodeOptions) {
    if (!(model instanceof Transformer)) {
      throw new InvalidArgumentError(`model must be a lib/nn Transformer, got ${describe(model)}`);
    }
    if (options === null || typeof options !== "object") {
      throw new InvalidArgumentError(`options must be an object with maxNewTokens, got ${describe(options)}`);
    }
    const method = options.method ?? "shared-prefix";
    if (!ATTENTION_METHODS.includes(method)) {
      throw new InvalidArgumentError(
        `unknown method ${describe(method)}; allowed: ${ATTENTION_METHODS.join(", ")}`,
      );
    }
    this.maxNewTokens = requireInt("maxNewTokens", options.maxNewTokens, 1);
    const { vocabSize, maxLen, dModel, nHeads, dtype } = model.config;
    if (dtype !== "f32") {
      throw new InvalidArgumentError(`the decode loop needs an f32 model, got dtype ${describe(dtype)}`);
    }
    if (model.blocks.length === 0) {
      throw new InvalidArgumentError("the decode loop needs a model with at least one layer (nLayers >= 1)");
    }
    const checkIds = (ids: unknown, what: string, minLen: number): number[] => {
      if (!Array.isArray(ids) || ids.length < minLen) {
        throw new InvalidArgumentError(
          `${what} must be an array of at least ${minLen} token id(s), got ${describe(ids)}`,
        );
      }
      for (const t of ids) {
        if (!Number.isInteger(t) || t < 0 || t >= vocabSize) {
          throw new InvalidArgumentError(`${what}: token ${describe(t)} out of range [0, ${vocabSize})`);
        }
      }
      return ids as number[];
    };
    if (prompt === null || typeof prompt !== "object") {
      throw new InvalidArgumentError(`prompt must be { prefix, suffixes }, got ${describe(prompt)}`);
    }
    const prefix = checkIds(prompt.prefix, "prefix", 1);
    if (!Array.isArray(prompt.suffixes) || prompt.suffixes.length === 0) {
      throw new InvalidArgumentError(
        `suffixes must be a non-empty array (one entry per request), got ${describe(prompt.suffixes)}`,
      );
    }
    const suffixes = prompt.suffixes.map((s, r) => checkIds(s, `suffixes[${r}]`, 0));
    suffixes.forEach((s, r) => {
      const need = prefix.length + s.length + this.maxNewTokens;
      if (need > maxLen) {
        throw new InvalidArgumentError(
          `request ${r}: prefix (${prefix.length}) + suffix (${s.length}) + maxNewTokens (${this.maxNewTokens}) ` +
            `= ${need} exceeds the model's maxLen ${maxLen}`,
        );
      }
    });
    this.#model = model;
    this.#options = options;
    this.method = method;
    const dh = dModel / nHeads, nl = model.blocks.length, R = suffixes.length, P = prefix.length;
    this.trees = model.blocks.map(() => new PrefixKVCache({ numKvHeads: nHeads, headDim: dh }));
    this.tokens = suffixes.map(() => []);
    this.hidden = options.recordHidden ? suffixes.map(() => []) : null;
    this.#positions = suffixes.map((s) => P + s.length);

    // token-major [n, H, dh] rows t0..t0+n of a [1, H, cap, dh] cache
    const extract = (c: Tensor, t0: number, n: number): Float32Array => {
      const cap = c.shape[2], out = new Float32Array(n * dModel);
      for (let t = 0; t < n; t++) {
        for (let h = 0; h < nHeads; h++) {
          const src = (h * cap + t0 + t) * dh;
          out.set(c.data.subarray(src, src + dh), (t * nHeads + h) * dh);
        }
      }
      return out;
    };
    const caches: Array<{ k: Tensor; v: Tensor }> = [];
    const free = () => {
      for (const c of caches.splice(0)) {
        c.k.dispose();
        c.v.dispose();
      }
    };
    let built: { root: number; leaves: number[]; finals: Float32Array[] };
    try {
      built = noGrad(() => {
        // prefill the shared prefix once
        const capP = P + Math.max(...suffixes.map((s) => s.length));
        for (let l = 0; l < nl; l++) {
          caches.push({ k: empty([1, nHeads, capP, dh]), v: empty([1, nHeads, capP, dh]) });
        }
        const prefixLast = tidy(() => {
          let x = add(embedding(model.tokEmb, prefix), embedding(model.posEmb, [...Array(P).keys()]));
          for (let l = 0; l < nl; l++) x = model.blocks[l].forwardCached(x, caches[l], 0);
          return Float32Array.from(x.data.subarray((P - 1) * dModel, P * dModel));
        });
        const roots = this.trees.map((tree, l) =>
          tree.addNode(-1, extract(caches[l].k, 0, P), extract(caches[l].v, 0, P))
        );
        // each suffix against a copy of the prefix cache, then its leaf
        const leaves: number[] = [];
        const finals: Float32Array[] = [];
        for (let r = 0; r < R; r++) {
          const s = suffixes[r];
          let last = prefixLast;
          const reqCaches = caches.map((c) => ({ k: empty(c.k.shape), v: empty(c.v.shape) }));
          try {
            reqCaches.forEach((c, l) => {
              c.k.data.set(caches[l].k.data);
              c.v.data.set(caches[l].v.data);
            });
            if (s.length > 0) {
              last = tidy(() => {
                let x = add(
                  embedding(model.tokEmb, s),
                  embedding(model.posEmb, s.map((_, i) => P + i)),
                );
                for (let l = 0; l < nl; l++) x = model.blocks[l].forwardCached(x, reqCaches[l], P);
                return Float32Array.from(x.data.subarray((s.length - 1) * dModel, s.length * dModel));
              });
            }
            const ids = this.trees.map((tree, l) =>
              tree.addNode(
                roots[l],
                extract(reqCaches[l].k, P, s.length),
                extract(reqCaches[l].v, P, s.length),
              )
            );
            leaves.push(ids[0]);
            if (ids.some((id) => id !== ids[0])) throw new Error("internal: per-layer trees out of step");
          } finally {
            for (const c of reqCaches) {
              c.k.dispose();
              c.v.dispose();
            }
          }
          finals.push(last);
        }
        return { root: roots[0], leaves, finals };
      });
    } finally {
      free();
    }
    this.root = built.root;
    this.leaves = built.leaves;
    noGrad(() => this.#emit(built.finals));
  }

  /** Number of requests. */
  get requests(): number {
    return this.leaves.length;
  }

  /** Tokens generated per request so far. */
  get generated(): number {
    return this.tokens[0].length;
  }

  /** Greedy next tokens from final residual rows; records them. */
  #emit(finals: Float32Array[]): void {
    const model = this.#model, d = model.config.dModel, v = model.config.vocabSize, R = finals.length;
    const flat = new Float32Array(R * d);
    finals.forEach((f, r) => flat.set(f, r * d));
    const logits = tidy(() =>
      Float32Array.from(model.head.forward(rmsNorm(tensor(flat, [R, d]), model.normF)).data)
    );
    for (let r = 0; r < R; r++) {
      let best = 0;
      for (let i = 1; i < v; i++) if (logits[r * v + i] > logits[r * v + best]) best = i;
      this.tokens[r].push(best);
      this.hidden?.[r].push(finals[r]);
    }
  }

  /** One decode step: one new token for every request. */
  async step(): Promise<DecodeStepStats> {
    if (this.#disposed) throw new InvalidArgumentError("this decode session was disposed");
    if (this.generated >= this.maxNewTokens) {
      throw new InvalidArgumentError(
        `the session already produced maxNewTokens = ${this.maxNewTokens} tokens per request`,
      );
    }
    const t0 = performance.now();
    const model = this.#model, o = this.#options;
    const { dModel: d, nHeads } = model.config;
    const R = this.requests;
    const inputs = this.tokens.map((t) => t[t.length - 1]);
    const positions = this.#positions.slice();
    let x = noGrad(() =>
      tidy(() =>
        Float32Array.from(add(embedding(model.tokEmb, inputs), embedding(model.posEmb, positions)).data)
      )
    );
    let attentionMs = 0, kvBytes = 0;
    for (let l = 0; l < model.blocks.length; l++) {
      const b = model.blocks[l], tree = this.trees[l];
      const { q, k, v } = noGrad(() =>
        tidy(() => {
          const a = rmsNorm(tensor(x, [R, d]), b.norm1);
          return {
            q: Float32Array.from(b.wq.forward(a).data),
            k: Float32Array.from(b.wk.forward(a).data),
            v: Float32Array.from(b.wv.forward(a).data),
          };
        })
      );
      const requests: DecodeRequest[] = [];
      for (let r = 0; r < R; r++) {
        tree.appendToken(this.leaves[r], k.subarray(r * d, (r + 1) * d), v.subarray(r * d, (r + 1) * d));
        requests.push({ leaf: this.leaves[r], q: q.subarray(r * d, (r + 1) * d) });
      }
      const ta = performance.now();
      const att = await decodeAttention(tree, requests, {
        numHeads: nHeads,
        method: this.method,
        backend: o.backend ?? "wasm",
        threads: o.threads,
        groupSize: o.groupSize,
        chunkSize: o.chunkSize,
        onStats: (s) => (kvBytes += s.bytes.kv),
      });
      attentionMs += performance.now() - ta;
      const xin = x;
      x = noGrad(() =>
        tidy(() => {
          const x1 = add(tensor(xin, [R, d]), b.wo.forward(tensor(att, [R, d])));
          return Float32Array.from(add(x1, b.ffn.forward(rmsNorm(x1, b.norm2))).data);
        })
      );
    }
    const finals = Array.from({ length: R }, (_, r) => x.slice(r * d, (r + 1) * d));
    noGrad(() => this.#emit(finals));
    for (let r = 0; r < R; r++) this.#positions[r]++;
    return { ms: performance.now() - t0, attentionMs, kvBytes };
  }

  /** Frees the per-layer trees (their wasm mirrors). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const t of this.trees) t.dispose();
  }
}

/** What {@link prefixDecode} returns. */
export interface PrefixDecodeResult {
  /** Generated tokens per request (maxNewTokens each). */
  tokens: number[][];
  /** Per decode step (maxNewTokens - 1 steps; the first token comes from the prefill). */
  steps: DecodeStepStats[];
  /** Final residual stream per request and token, when recordHidden was set. */
  hidden: Float32Array[][] | null;
}

/**
 * Greedy batched decoding of `maxNewTokens` tokens for every request of a shared-prefix prompt batch,
 * attention through {@link decodeAttention} with the chosen method. Same tokens as
 * `model.generate(prefix ++ suffix, { maxNewTokens })` per request, up to f32 rounding.
 *
 * @example
 * ```ts
 * import { prefixDecode } from "./mod.ts";
 * import { Transformer } from "../nn/mod.ts";
 * const lm = new Transformer({ vocabSize: 16, maxLen: 32, dModel: 16, nHeads: 2, nLayers: 1, seed: 1 });
 * const res = await prefixDecode(lm, { prefix: [1, 2, 3], suffixes: [[4], []] }, {
 *   maxNewTokens: 3, method: "flashdecoding", backend: "ts",
 * });
 * res.tokens.length; // 2
 * ```
 */
export async function prefixDecode(
  model: Transformer,
  prompt: SharedPrompt,
  options: PrefixDecodeOptions,
): Promise<PrefixDecodeResult> {
  const s = new PrefixDecodeSession(model, prompt, options);
  try {
    const steps: DecodeStepStats[] = [];
    while (s.generated < s.maxNewTokens) steps.push(await s.step());
    return { tokens: s.tokens, steps, hidden: s.hidden };
  } finally {
    s.dispose();
  }
}
