/**
 * Training a language model on the synthetic corpus: AdamW with warmup and cosine decay, gradient
 * clipping, periodic evaluation, loss curve, checkpoints, progress.
 *
 * @module
 */
import { InvalidArgumentError, requireFinite, requireInt } from "../core/errors.ts";
import { progress } from "../core/progress.ts";
import { Philox } from "../core/rng.ts";
import {
  EOS,
  type Example,
  makeExamples,
  sampleBatch,
  tokenizer,
  tokenStream,
  unigramEntropy,
} from "./corpus.ts";
import { Transformer, type TransformerConfig } from "./models.ts";
import { crossEntropy } from "./ops.ts";
import { AdamW, clipGradNorm } from "./optim.ts";
import { saveParameters } from "./serialize.ts";
import { noGrad, tidy } from "./tensor.ts";

/** Options of trainLanguageModel. */
export interface TrainOptions {
  /** Model shape (vocabSize is filled from the corpus). */
  model: Omit<TransformerConfig, "vocabSize">;
  steps: number;
  batch: number;
  seqLen: number;
  lr: number;
  /** Linear warmup steps (default steps / 20). */
  warmup?: number;
  /** Global gradient-norm clip (default 1). */
  clip?: number;
  weightDecay?: number;
  /** Evaluate every this many steps (default steps / 10). */
  evalEvery?: number;
  /** Evaluation batches (default 4). */
  evalBatches?: number;
  /** Training and test examples to generate (default 4000 / 400). */
  trainExamples?: number;
  testExamples?: number;
  seed?: number;
  quiet?: boolean;
  /** Receives a TNN1 parameter file at every evaluation (e.g. to write a checkpoint). */
  onCheckpoint?: (step: number, bytes: Uint8Array) => void | Promise<void>;
}

/** One point of the loss curve. */
export interface LossPoint {
  step: number;
  train: number;
  eval?: number;
}

/** What training returns. */
export interface TrainResult {
  model: Transformer;
  curve: LossPoint[];
  /** Unigram entropy of the training stream (nats/token): the context-free baseline. */
  unigramNats: number;
  finalEvalLoss: number;
  test: Example[];
  tokensPerSecond: number;
  wallMs: number;
}

/**
 * Trains a decoder-only transformer on the synthetic variable-length corpus.
 *
 * @example
 * ```ts
 * import { trainLanguageModel } from "./mod.ts";
 * const r = await trainLanguageModel({
 *   model: { maxLen: 32, dModel: 16, nHeads: 2, nLayers: 1 }, steps: 5, batch: 2, seqLen: 16, lr: 3e-3, quiet: true,
 * });
 * r.curve.length; // 5
 * ```
 */
export async function trainLanguageModel(o: TrainOptions): Promise<TrainResult> {
  const steps = requireInt("steps", o.steps, 1);
  const batch = requireInt("batch", o.batch, 1);
  const seqLen = requireInt("seqLen", o.seqLen, 1, o.model.maxLen);
  requireFinite("lr", o.lr, 0);
  const seed = o.seed ?? 1;
  const warmup = o.warmup ?? Math.max(1, Math.floor(steps / 20));
  const evalEvery = o.evalEvery ?? Math.max(1, Math.floor(steps / 10));
  const evalBatches = o.evalBatches ?? 4;
  const train = tokenStream(makeExamples(o.trainExamples ?? 4000, seed, 0));
  const test = makeExamples(o.testExamples ?? 400, seed, 1);
  const testStream = tokenStream(test);
  const model = new Transformer({ ...o.model, vocabSize: tokenizer.vocabSize, seed });
  const params = model.parameters();
  const opt = new AdamW(params, { lr: o.lr, weightDecay: o.weightDecay ?? 0.01, beta2: 0.98 });
  const rng = new Philox(seed, 3);
  const curve: LossPoint[] = [];
  const bar = progress({ label: "train lm", total: steps, quiet: o.quiet });
  const evaluate = () => {
    const er = new Philox(seed, 4);
    let s = 0;
    for (let i = 0; i < evalBatches; i++) {
      const b = sampleBatch(testStream, batch, seqLen, er);
      s += noGrad(() => tidy(() => crossEntropy(model.forward(b.inputs, batch, seqLen), b.targets).item()));
    }
    return s / evalBatches;
  };
  const t0 = performance.now();
  let finalEval = NaN;
  for (let step = 1; step <= steps; step++) {
    const lr = step <= warmup
      ? (o.lr * step) / warmup
      : o.lr * 0.5 * (1 + Math.cos(Math.PI * (step - warmup) / Math.max(1, steps - warmup)));
    opt.lr = Math.max(lr, o.lr * 0.05);
    const b = sampleBatch(train, batch, seqLen, rng);
    const loss = tidy(() => {
      opt.zeroGrad();
      const l = crossEntropy(model.forward(b.inputs, batch, seqLen), b.targets);
      l.backward();
      return l.item();
    });
    clipGradNorm(params, o.clip ?? 1);
    opt.step();
    const point: LossPoint = { step, train: loss };
    if (step % evalEvery === 0 || step === steps) {
      point.eval = finalEval = evaluate();
      if (o.onCheckpoint) await o.onCheckpoint(step, saveParameters(model));
    }
    curve.push(point);
    bar.tick(1, `loss ${loss.toFixed(3)}`);
    if (step % 10 === 0) await new Promise((r) => setTimeout(r, 0)); // let progress and finalizers run
  }
  const wallMs = performance.now() - t0;
  bar.done(`eval loss ${finalEval.toFixed(3)}`);
  return {
    model,
    curve,
    unigramNats: unigramEntropy(train, tokenizer.vocabSize),
    finalEvalLoss: finalEval,
    test,
    tokensPerSecond: (steps * batch * seqLen) / (wallMs / 1000),
    wallMs,
  };
}

/** A model's answer to one prompt. */
export interface Answer {
  prompt: string;
  expected: string;
  got: string;
  correct: boolean;
  /** Generated tokens including EOS. */
  outputTokens: number;
  task: Example["task"];
}

/**
 * Greedy answers of a model to examples' prompts (stops at EOS or maxNewTokens).
 *
 * @example
 * ```ts
 * import { answer, makeExamples, Transformer, tokenizer } from "./mod.ts";
 * const lm = new Transformer({ vocabSize: tokenizer.vocabSize, maxLen: 64, dModel: 16, nHeads: 2, nLayers: 1 });
 * answer(lm, makeExamples(1, 1), 8)[0].outputTokens <= 8; // true
 * ```
 */
export function answer(model: Transformer, examples: readonly Example[], maxNewTokens = 40): Answer[] {
  if (!Array.isArray(examples)) throw new InvalidArgumentError("answer: examples must be an array");
  return examples.map((e) => {
    const prompt = [1, ...tokenizer.encode(e.prompt)];
    const room = Math.min(maxNewTokens, model.config.maxLen - prompt.length);
    const g = model.generate(prompt, { maxNewTokens: room, stopToken: EOS, hiddenStates: false });
    const got = tokenizer.decode(g.tokens);
    return {
      prompt: e.prompt,
      expected: e.answer,
      got,
      correct: got === e.answer,
      outputTokens: g.tokens.length,
      task: e.task,
    };
  });
}
