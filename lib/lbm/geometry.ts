/**
 * Solid masks (Uint8Array, row-major y * nx + x, 1 = solid) from shapes and PNG images, and a signed
 * distance helper.
 *
 * @module
 */
import { describe, InvalidArgumentError, requireFinite, requireInt, requireLength } from "../core/errors.ts";
import { Philox } from "../core/rng.ts";

function dims(nx: number, ny: number): number {
  requireInt("nx", nx, 1, 1 << 14);
  requireInt("ny", ny, 1, 1 << 14);
  return nx * ny;
}

/**
 * A solid disc: cells whose centre (x, y) satisfies (x - cx)^2 + (y - cy)^2 <= r^2 (a staircase cylinder).
 *
 * @example
 * ```ts
 * import { cylinderMask } from "./geometry.ts";
 * const solid = cylinderMask(100, 100, 50, 30, 20);
 * ```
 */
export function cylinderMask(nx: number, ny: number, cx: number, cy: number, r: number): Uint8Array {
  const m = new Uint8Array(dims(nx, ny));
  requireFinite("cx", cx);
  requireFinite("cy", cy);
  requireFinite("r", r, 0);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) m[y * nx + x] = 1;
  }
  return m;
}

/**
 * A channel along x: solid walls of `wall` rows at the bottom (y < wall) and top (y >= ny - wall).
 *
 * @example
 * ```ts
 * import { channelMask } from "./geometry.ts";
 * const solid = channelMask(8, 34, 1); // fluid rows y = 1..32
 * ```
 */
export function channelMask(nx: number, ny: number, wall = 1): Uint8Array {
  const m = new Uint8Array(dims(nx, ny));
  requireInt("wall", wall, 1, Math.floor((ny - 1) / 2));
  for (let y = 0; y < ny; y++) if (y < wall || y >= ny - wall) m.fill(1, y * nx, (y + 1) * nx);
  return m;
}

/** Options of {@link constrictionMask}. */
export interface ConstrictionOptions {
  /** Wall thickness of the channel (rows). Default 1. */
  wall?: number;
  /** First column of the constriction. */
  x0: number;
  /** Length of the constriction in cells. */
  length: number;
  /** Open gap (fluid rows) inside the constriction, centred. */
  gap: number;
}

/**
 * A channel with a centred rectangular constriction of open width `gap` over x0 <= x < x0 + length.
 *
 * @example
 * ```ts
 * import { constrictionMask } from "./geometry.ts";
 * const solid = constrictionMask(200, 60, { x0: 90, length: 20, gap: 16 });
 * ```
 */
export function constrictionMask(nx: number, ny: number, o: ConstrictionOptions): Uint8Array {
  const m = channelMask(nx, ny, o.wall ?? 1);
  requireInt("x0", o.x0, 0, nx - 1);
  requireInt("length", o.length, 1, nx - o.x0);
  requireInt("gap", o.gap, 1, ny - 2 * (o.wall ?? 1));
  const lo = Math.floor((ny - o.gap) / 2), hi = lo + o.gap;
  for (let y = 0; y < ny; y++) {
    if (y >= lo && y < hi) continue;
    for (let x = o.x0; x < o.x0 + o.length; x++) m[y * nx + x] = 1;
  }
  return m;
}

/** Options of {@link randomPorousMask}. */
export interface PorousOptions {
  /** Number of solid discs. */
  count: number;
  /** Disc radius (cells). */
  radius: number;
  /** Philox seed. */
  seed: number;
  /** Minimum gap between discs (cells, default 2). */
  minGap?: number;
  /** Keep columns x < margin and x >= nx - margin free (default 0). */
  margin?: number;
}

/**
 * Random non-overlapping solid discs (a simple porous medium), placed by rejection from a Philox stream.
 * Throws if the discs cannot be placed in 10000 tries each.
 *
 * @example
 * ```ts
 * import { randomPorousMask } from "./geometry.ts";
 * const solid = randomPorousMask(200, 100, { count: 12, radius: 8, seed: 1, margin: 20 });
 * ```
 */
export function randomPorousMask(nx: number, ny: number, o: PorousOptions): Uint8Array {
  const m = new Uint8Array(dims(nx, ny));
  requireInt("count", o.count, 0, 1 << 16);
  requireFinite("radius", o.radius, 0.5);
  const gap = requireFinite("minGap", o.minGap ?? 2, 0);
  const margin = requireInt("margin", o.margin ?? 0, 0, Math.floor(nx / 2));
  const rng = new Philox(requireInt("seed", o.seed, 0));
  const centres: Array<[number, number]> = [];
  for (let k = 0; k < o.count; k++) {
    let placed = false;
    for (let t = 0; t < 10000 && !placed; t++) {
      const cx = margin + o.radius + rng.uniform() * (nx - 2 * margin - 2 * o.radius);
      const cy = rng.uniform() * ny;
      const ok = centres.every(([x, y]) => {
        const dy = Math.min(Math.abs(y - cy), ny - Math.abs(y - cy));
        return (x - cx) ** 2 + dy ** 2 >= (2 * o.radius + gap) ** 2;
      });
      if (ok) {
        centres.push([cx, cy]);
        placed = true;
      }
    }
    if (!placed) {
      throw new InvalidArgumentError(
        `could not place disc ${k + 1} of ${o.count} (radius ${o.radius}, gap ${gap}) in ${nx} x ${ny}: ` +
          `use fewer or smaller discs`,
      );
    }
  }
  for (const [cx, cy] of centres) {
    for (let y = 0; y < ny; y++) {
      const dy = Math.min(Math.abs(y - cy), ny - Math.abs(y - cy));
      for (let x = 0; x < nx; x++) if ((x - cx) ** 2 + dy ** 2 <= o.radius ** 2) m[y * nx + x] = 1;
    }
  }
  return m;
}

/** A decoded 8-bit image: luminance in [0, 255] per pixel, row-major from the top row. */
export interface GrayImage {
  width: number;
  height: number;
  gray: Uint8Array;
}

/**
 * Decodes an 8-bit, non-interlaced PNG (grayscale, gray+alpha, RGB or RGBA) into luminance.
 * Other formats (16-bit, palette, interlaced) throw InvalidArgumentError naming the format.
 *
 * @example
 * ```ts
 * import { decodePNG } from "./geometry.ts";
 * // const img = await decodePNG(await Deno.readFile("pores.png"));
 * ```
 */
export async function decodePNG(bytes: Uint8Array): Promise<GrayImage> {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!(bytes instanceof Uint8Array) || bytes.length < 33 || sig.some((b, i) => bytes[i] !== b)) {
    throw new InvalidArgumentError("not a PNG file (bad signature)");
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8, width = 0, height = 0, depth = 0, colorType = 0, interlace = 0;
  const idat: Uint8Array[] = [];
  while (pos + 8 <= bytes.length) {
    const len = dv.getUint32(pos), type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = dv.getUint32(pos + 8);
      height = dv.getUint32(pos + 12);
      depth = data[8];
      colorType = data[9];
      interlace = data[12];
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    pos += 12 + len;
  }
  const channels: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };
  if (depth !== 8 || !(colorType in channels) || interlace !== 0) {
    throw new InvalidArgumentError(
      `unsupported PNG: bit depth ${depth}, colour type ${colorType}, interlace ${interlace}; ` +
        `allowed: 8-bit grayscale, gray+alpha, RGB or RGBA, not interlaced`,
    );
  }
  const { inflateSync } = await import("node:zlib");
  const all = new Uint8Array(idat.reduce((s, d) => s + d.length, 0));
  let o = 0;
  for (const d of idat) {
    all.set(d, o);
    o += d.length;
  }
  const raw = new Uint8Array(inflateSync(all));
  const ch = channels[colorType], stride = width * ch;
  const img = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const ft = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= ch ? img[y * stride + i - ch] : 0;
      const b = y > 0 ? img[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= ch ? img[(y - 1) * stride + i - ch] : 0;
      let v = line[i];
      if (ft === 1) v += a;
      else if (ft === 2) v += b;
      else if (ft === 3) v += (a + b) >> 1;
      else if (ft === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      img[y * stride + i] = v & 255;
    }
  }
  const gray = new Uint8Array(width * height);
  for (let p = 0; p < width * height; p++) {
    gray[p] = ch >= 3
      ? Math.round(0.299 * img[p * ch] + 0.587 * img[p * ch + 1] + 0.114 * img[p * ch + 2])
      : img[p * ch];
  }
  return { width, height, gray };
}

/**
 * A solid mask from a PNG image: pixels darker than `threshold` (0-255, default 128) are solid, or lighter
 * ones with `invert`. The image's top row becomes y = ny - 1 (y points up in the lattice).
 *
 * @example
 * ```ts
 * import { maskFromPNG } from "./geometry.ts";
 * // const { mask, nx, ny } = await maskFromPNG(await Deno.readFile("pores.png"));
 * ```
 */
export async function maskFromPNG(
  bytes: Uint8Array,
  options: { threshold?: number; invert?: boolean } = {},
): Promise<{ mask: Uint8Array; nx: number; ny: number }> {
  const t = requireFinite("threshold", options.threshold ?? 128, 0, 255);
  const img = await decodePNG(bytes);
  const nx = img.width, ny = img.height, mask = new Uint8Array(nx * ny);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const dark = img.gray[(ny - 1 - y) * nx + x] < t;
      mask[y * nx + x] = (options.invert ? !dark : dark) ? 1 : 0;
    }
  }
  return { mask, nx, ny };
}

/**
 * Signed distance (cell centres, Euclidean, periodic) to the nearest cell of the other kind: > 0 in fluid,
 * < 0 in solid, |d| >= 1 everywhere. Exact, O(N x boundary cells): meant for lattices up to ~512^2.
 *
 * @example
 * ```ts
 * import { cylinderMask, signedDistance } from "./geometry.ts";
 * const d = signedDistance(cylinderMask(32, 32, 16, 16, 5), 32, 32); // d[0] > 0 (fluid)
 * ```
 */
export function signedDistance(mask: Uint8Array, nx: number, ny: number): Float64Array {
  const n = dims(nx, ny);
  if (!(mask instanceof Uint8Array)) {
    throw new InvalidArgumentError(`mask must be a Uint8Array, got ${describe(mask)}`);
  }
  requireLength("mask", mask, n, `nx * ny = ${nx} * ${ny}`);
  const border: Array<[number, number, number]> = [];
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const c = y * nx + x;
      const nb = [[1, 0], [-1, 0], [0, 1], [0, -1]].some(([dx, dy]) =>
        mask[((y + dy + ny) % ny) * nx + ((x + dx + nx) % nx)] !== mask[c]
      );
      if (nb) border.push([x, y, mask[c]]);
    }
  }
  const d = new Float64Array(n).fill(Infinity);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const c = y * nx + x, me = mask[c];
      let best = Infinity;
      for (const [bx, by, bm] of border) {
        if (bm === me) continue;
        const dx = Math.min(Math.abs(bx - x), nx - Math.abs(bx - x));
        const dy = Math.min(Math.abs(by - y), ny - Math.abs(by - y));
        best = Math.min(best, dx * dx + dy * dy);
      }
      d[c] = (me ? -1 : 1) * Math.sqrt(best);
    }
  }
  return d;
}
