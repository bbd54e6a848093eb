/**
 * A synthetic corpus whose answers need a variable number of output tokens, the way reasoning models'
 * outputs do: chained sums written out step by step ("S3+4+5=" -> "3+4=7;7+5=12.") and list reversal
 * ("R4172=" -> "2714."). The number of steps (and so the answer length) varies per prompt.
 *
 * @module
 */
import { InvalidArgumentError, requireInt } from "../core/errors.ts";
import { Philox } from "../core/rng.ts";

/** Character vocabulary; ids 0..2 are PAD, BOS, EOS. */
export const CHARS = "0123456789+=;.SR";
/** Special token ids. */
export const PAD = 0, BOS = 1, EOS = 2;

/** One example: prompt and answer text, and the task. */
export interface Example {
  task: "sum" | "reverse";
  prompt: string;
  answer: string;
}

/** A character tokenizer: text to token ids and back. */
export interface Tokenizer {
  /** Number of token ids, including the special ones. */
  vocabSize: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
}

/**
 * Character-level tokenizer of the corpus.
 *
 * @example
 * ```ts
 * import { tokenizer } from "./corpus.ts";
 * tokenizer.decode(tokenizer.encode("S1+2=")); // "S1+2="
 * ```
 */
export const tokenizer: Tokenizer = {
  vocabSize: CHARS.length + 3,
  encode(text: string): number[] {
    return Array.from(text, (ch) => {
      const i = CHARS.indexOf(ch);
      if (i < 0) {
        throw new InvalidArgumentError(
          `tokenizer: character ${JSON.stringify(ch)} is not in the vocabulary "${CHARS}"`,
        );
      }
      return i + 3;
    });
  },
  decode(ids: readonly number[]): string {
    return ids.map((t) => (t >= 3 && t < CHARS.length + 3 ? CHARS[t - 3] : t === EOS ? "" : "")).join("");
  },
};

/**
 * One example from a Philox stream: a chained sum of 2-5 digits or a reversal of 2-8 digits.
 *
 * @example
 * ```ts
 * import { makeExample } from "./corpus.ts";
 * import { Philox } from "../core/rng.ts";
 * makeExample(new Philox(1, 0)).answer.endsWith("."); // true
 * ```
 */
export function makeExample(rng: Philox): Example {
  if (rng.uniform() < 0.5) {
    const n = 2 + rng.int(4);
    const xs = Array.from({ length: n }, () => rng.int(10));
    const steps: string[] = [];
    let acc = xs[0];
    for (let i = 1; i < n; i++) {
      steps.push(`${acc}+${xs[i]}=${acc + xs[i]}`);
      acc += xs[i];
    }
    return { task: "sum", prompt: `S${xs.join("+")}=`, answer: steps.join(";") + "." };
  }
  const n = 2 + rng.int(7);
  const xs = Array.from({ length: n }, () => rng.int(10));
  return { task: "reverse", prompt: `R${xs.join("")}=`, answer: [...xs].reverse().join("") + "." };
}

/**
 * `n` examples from seed and stream (streams separate train and test).
 *
 * @example
 * ```ts
 * import { makeExamples } from "./corpus.ts";
 * makeExamples(3, 1).length; // 3
 * ```
 */
export function makeExamples(n: number, seed: number, stream = 0): Example[] {
  requireInt("n", n, 0);
  const rng = new Philox(seed, stream);
  return Array.from({ length: n }, () => makeExample(rng));
}

/**
 * The token stream of examples: BOS prompt answer EOS, concatenated.
 *
 * @example
 * ```ts
 * import { makeExamples, tokenStream } from "./corpus.ts";
 * tokenStream(makeExamples(2, 1))[0]; // 1 (BOS)
 * ```
 */
export function tokenStream(examples: readonly Example[]): Int32Array {
  const out: number[] = [];
  for (const e of examples) out.push(BOS, ...tokenizer.encode(e.prompt + e.answer), EOS);
  return Int32Array.from(out);
}

/**
 * Entropy (nats/token) of the stream's unigram distribution: the loss of the best model that ignores
 * context, the baseline a language model must beat.
 *
 * @example
 * ```ts
 * import { unigramEntropy } from "./corpus.ts";
 * unigramEntropy(new Int32Array([0, 1]), 2); // ln 2
 * ```
 */
export function unigramEntropy(stream: Int32Array, vocabSize: number): number {
  const c = new Float64Array(vocabSize);
  for (const t of stream) c[t]++;
  let h = 0;
  for (const x of c) if (x > 0) h -= (x / stream.length) * Math.log(x / stream.length);
  return h;
}

/**
 * A batch of `batch` random windows of length seqLen + 1 from the stream: inputs and next-token targets.
 *
 * @example
 * ```ts
 * import { makeExamples, sampleBatch, tokenStream } from "./corpus.ts";
 * import { Philox } from "../core/rng.ts";
 * const b = sampleBatch(tokenStream(makeExamples(50, 1)), 2, 8, new Philox(1, 9));
 * b.inputs.length; // 16
 * ```
 */
export function sampleBatch(
  stream: Int32Array,
  batch: number,
  seqLen: number,
  rng: Philox,
): { inputs: Int32Array; targets: Int32Array } {
  if (stream.length < seqLen + 1) {
    throw new InvalidArgumentError(
      `sampleBatch: stream of ${stream.length} tokens is shorter than seqLen + 1 = ${seqLen + 1}`,
    );
  }
  const inputs = new Int32Array(batch * seqLen), targets = new Int32Array(batch * seqLen);
  for (let b = 0; b < batch; b++) {
    const s = rng.int(stream.length - seqLen);
    inputs.set(stream.subarray(s, s + seqLen), b * seqLen);
    targets.set(stream.subarray(s + 1, s + seqLen + 1), b * seqLen);
  }
  return { inputs, targets };
}
