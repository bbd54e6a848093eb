/**
 * Philox-4x32-10, the counter-based RNG of Salmon et al. (SC'11), with the same streams in
 * TypeScript, AssemblyScript (kernels-as/philox.ts) and WGSL (kernels-wgsl/philox.wgsl).
 *
 * Stream layout (identical on every backend): a 64-bit `seed` is the key
 * `[seed mod 2^32, floor(seed / 2^32)]`; word `i` of stream `s` is lane `i mod 4` of the block
 * with counter `[floor(i/4) mod 2^32, floor(i/4 / 2^32), s, 0]`. Because the word depends only on
 * (seed, stream, i), any backend can produce any slice of a stream without producing what came before.
 *
 * Conversions: `f32 = (u >>> 8) * 2^-24` in [0, 1); `f64` from two consecutive words
 * `((u0 >>> 5) * 2^26 + (u1 >>> 6)) * 2^-53` in [0, 1).
 *
 * @module
 */
import { requireInt } from "./errors.ts";

const M0 = 0xD2511F53;
const M1 = 0xCD9E8D57;
const W0 = 0x9E3779B9;
const W1 = 0xBB67AE85;
const TWO16 = 65536;

/**
 * High 32 bits of the 64-bit product of two u32, exact in float64 arithmetic.
 *
 * @example
 * ```ts
 * import { mulhi } from "./rng.ts";
 * mulhi(0xffffffff, 0xffffffff); // 0xfffffffe
 * ```
 */
export function mulhi(a: number, b: number): number {
  const x = a * (b & 0xffff); // < 2^48, exact
  const y = a * (b >>> 16); // < 2^48, exact
  return Math.floor((y + Math.floor(x / TWO16)) / TWO16) >>> 0;
}

/**
 * One Philox-4x32-10 block: 4 counter words and 2 key words in, 4 random words out.
 *
 * @example
 * ```ts
 * import { philox4x32 } from "./rng.ts";
 * philox4x32([0, 0, 0, 0], [0, 0]); // Uint32Array [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
 * ```
 */
export function philox4x32(
  ctr: ArrayLike<number>,
  key: ArrayLike<number>,
  out: Uint32Array = new Uint32Array(4),
): Uint32Array {
  let c0 = ctr[0] >>> 0, c1 = ctr[1] >>> 0, c2 = ctr[2] >>> 0, c3 = ctr[3] >>> 0;
  let k0 = key[0] >>> 0, k1 = key[1] >>> 0;
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
  return out;
}

/** Validates a seed (an integer in [0, 2^53)) and returns its key words. */
export function seedKey(seed: number): [number, number] {
  requireInt("seed", seed, 0);
  return [seed % 4294967296 >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

/**
 * Fills `out` with words `offset .. offset + out.length - 1` of stream `stream` under `seed`.
 *
 * @example
 * ```ts
 * import { fillU32 } from "./rng.ts";
 * const words = fillU32(new Uint32Array(8), 42, 0);
 * ```
 */
export function fillU32(out: Uint32Array, seed: number, stream = 0, offset = 0): Uint32Array {
  const [k0, k1] = seedKey(seed);
  requireInt("stream", stream, 0, 0xffffffff);
  requireInt("offset", offset, 0);
  const block = new Uint32Array(4);
  const ctr = [0, 0, stream, 0];
  let i = 0;
  while (i < out.length) {
    const w = offset + i;
    const b = Math.floor(w / 4);
    ctr[0] = b % 4294967296;
    ctr[1] = Math.floor(b / 4294967296);
    philox4x32(ctr, [k0, k1], block);
    for (let lane = w % 4; lane < 4 && i < out.length; lane++, i++) out[i] = block[lane];
  }
  return out;
}

/** Fills `out` with uniform f32 in [0, 1): `(u >>> 8) * 2^-24` of the same words as fillU32. */
export function fillUniformF32(out: Float32Array, seed: number, stream = 0, offset = 0): Float32Array {
  const words = fillU32(new Uint32Array(out.length), seed, stream, offset);
  for (let i = 0; i < out.length; i++) out[i] = (words[i] >>> 8) * 5.9604644775390625e-8;
  return out;
}

/**
 * A sequential view of one Philox stream, for code that draws numbers one at a time.
 *
 * @example
 * ```ts
 * import { Philox } from "./rng.ts";
 * const rng = new Philox(7);
 * const x = rng.uniform(); // in [0, 1)
 * const k = rng.int(10);   // in {0, ..., 9}
 * ```
 */
export class Philox {
  readonly seed: number;
  readonly stream: number;
  #key: [number, number];
  #index = 0;
  #blockIndex = -1;
  #block = new Uint32Array(4);
  #ctr = [0, 0, 0, 0];
  #spare: number | null = null;

  constructor(seed: number, stream = 0) {
    this.#key = seedKey(seed);
    requireInt("stream", stream, 0, 0xffffffff);
    this.seed = seed;
    this.stream = stream;
    this.#ctr[2] = stream;
  }

  /** Index of the next word in the stream. */
  get position(): number {
    return this.#index;
  }

  /** Next u32 word. */
  nextU32(): number {
    const b = Math.floor(this.#index / 4);
    if (b !== this.#blockIndex) {
      this.#ctr[0] = b % 4294967296;
      this.#ctr[1] = Math.floor(b / 4294967296);
      philox4x32(this.#ctr, this.#key, this.#block);
      this.#blockIndex = b;
    }
    return this.#block[this.#index++ & 3];
  }

  /** Uniform float64 in [0, 1) with 53 random bits (uses two words). */
  uniform(): number {
    const a = this.nextU32() >>> 5, b = this.nextU32() >>> 6;
    return (a * 67108864 + b) * 1.1102230246251565e-16;
  }

  /** Uniform f32-grid value in [0, 1) (one word), identical to fillUniformF32 and the kernels. */
  uniformF32(): number {
    return (this.nextU32() >>> 8) * 5.9604644775390625e-8;
  }

  /** Uniform integer in {0, ..., n-1}, unbiased (rejection on the top of the u32 range). */
  int(n: number): number {
    requireInt("n", n, 1, 4294967296);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const u = this.nextU32();
      if (u < limit) return u % n;
    }
  }

  /** Standard normal draw (Box-Muller, caching the second value). */
  normal(): number {
    if (this.#spare !== null) {
      const s = this.#spare;
      this.#spare = null;
      return s;
    }
    let u = this.uniform();
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** Moves to word `index` of the stream (forwards or backwards). */
  seek(index: number): this {
    this.#index = requireInt("index", index, 0);
    this.#spare = null;
    return this;
  }
}
