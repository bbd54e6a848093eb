/**
 * Edge-list loaders: text ("src dst [weight]" per line; '#' and '%' start comments) and binary (little-endian
 * records of u32 src, u32 dst, f32 weight). Malformed input is an error naming the line or record.
 *
 * @module
 */
import { describe, InvalidArgumentError, requireInt } from "../core/errors.ts";
import type { EdgeList } from "./rmat.ts";

/** Options of the loaders. */
export interface EdgeListOptions {
  /** Number of vertices; default max id + 1. Ids at or past it are an error. */
  numVertices?: number;
}

/**
 * Parses a text edge list. Every data line has 2 fields (unweighted) or 3 (weighted), and all data lines
 * must agree; ids are integers in [0, 2^32 - 1); weights finite numbers.
 *
 * @example
 * ```ts
 * import { parseEdgeList } from "./edgelist.ts";
 * const g = parseEdgeList("# toy\n0 1 2.5\n1 2 1\n"); // 3 vertices, 2 weighted edges
 * ```
 */
export function parseEdgeList(text: string, options: EdgeListOptions = {}): EdgeList {
  if (typeof text !== "string") {
    throw new InvalidArgumentError(`text must be a string, got ${describe(text)}`);
  }
  const src: number[] = [], dst: number[] = [], weight: number[] = [];
  let fields = 0;
  const lines = text.split(/\r?\n/);
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln].trim();
    if (line === "" || line.startsWith("#") || line.startsWith("%")) continue;
    const parts = line.split(/[\s,]+/);
    const where = `line ${ln + 1} ("${line.length > 40 ? line.slice(0, 40) + "…" : line}")`;
    if (parts.length !== 2 && parts.length !== 3) {
      throw new InvalidArgumentError(
        `${where}: expected "src dst" or "src dst weight", got ${parts.length} fields`,
      );
    }
    if (fields === 0) fields = parts.length;
    else if (parts.length !== fields) {
      throw new InvalidArgumentError(`${where}: has ${parts.length} fields but earlier lines have ${fields}`);
    }
    for (const [i, name] of [[0, "src"], [1, "dst"]] as const) {
      if (!/^\d+$/.test(parts[i]) || Number(parts[i]) >= 4294967295) {
        throw new InvalidArgumentError(
          `${where}: ${name} "${parts[i]}" is not an integer in [0, 4294967294]`,
        );
      }
    }
    src.push(Number(parts[0]));
    dst.push(Number(parts[1]));
    if (fields === 3) {
      const w = Number(parts[2]);
      if (!Number.isFinite(w) || parts[2] === "") {
        throw new InvalidArgumentError(`${where}: weight "${parts[2]}" is not a finite number`);
      }
      weight.push(w);
    }
  }
  return finish(
    Uint32Array.from(src),
    Uint32Array.from(dst),
    fields === 3 ? Float64Array.from(weight) : undefined,
    options,
  );
}

/**
 * Parses a binary edge list: 12-byte little-endian records (u32 src, u32 dst, f32 weight).
 *
 * @example
 * ```ts
 * import { parseBinaryEdgeList } from "./edgelist.ts";
 * const b = new DataView(new ArrayBuffer(12));
 * b.setUint32(0, 0, true); b.setUint32(4, 1, true); b.setFloat32(8, 2, true);
 * parseBinaryEdgeList(new Uint8Array(b.buffer)); // one edge 0 -> 1, weight 2
 * ```
 */
export function parseBinaryEdgeList(bytes: Uint8Array, options: EdgeListOptions = {}): EdgeList {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidArgumentError(`bytes must be a Uint8Array, got ${describe(bytes)}`);
  }
  if (bytes.byteLength % 12 !== 0) {
    throw new InvalidArgumentError(
      `binary edge list has ${bytes.byteLength} bytes, not a multiple of 12 (records of u32 src, u32 dst, f32 weight)`,
    );
  }
  const m = bytes.byteLength / 12, view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const src = new Uint32Array(m), dst = new Uint32Array(m), weight = new Float64Array(m);
  for (let e = 0; e < m; e++) {
    src[e] = view.getUint32(12 * e, true);
    dst[e] = view.getUint32(12 * e + 4, true);
    weight[e] = view.getFloat32(12 * e + 8, true);
    if (!Number.isFinite(weight[e])) {
      throw new InvalidArgumentError(`record ${e}: weight ${weight[e]} is not finite`);
    }
  }
  return finish(src, dst, weight, options);
}

/**
 * Writes the binary format read by `parseBinaryEdgeList`.
 *
 * @example
 * ```ts
 * import { toBinaryEdgeList } from "./edgelist.ts";
 * const bytes = toBinaryEdgeList({ numVertices: 2, src: new Uint32Array([0]), dst: new Uint32Array([1]) });
 * ```
 */
export function toBinaryEdgeList(g: EdgeList): Uint8Array {
  const m = g.src.length, view = new DataView(new ArrayBuffer(12 * m));
  for (let e = 0; e < m; e++) {
    view.setUint32(12 * e, g.src[e], true);
    view.setUint32(12 * e + 4, g.dst[e], true);
    view.setFloat32(12 * e + 8, g.weight ? g.weight[e] : 1, true);
  }
  return new Uint8Array(view.buffer);
}

function finish(
  src: Uint32Array,
  dst: Uint32Array,
  weight: Float64Array | undefined,
  o: EdgeListOptions,
): EdgeList {
  let maxId = -1;
  for (let i = 0; i < src.length; i++) maxId = Math.max(maxId, src[i], dst[i]);
  const n = o.numVertices === undefined ? maxId + 1 : requireInt("numVertices", o.numVertices, 0, 4294967295);
  if (maxId >= n) {
    throw new InvalidArgumentError(
      `vertex id ${maxId} is out of range: numVertices is ${n} (ids 0..${n - 1})`,
    );
  }
  return { numVertices: n, src, dst, weight };
}

/**
 * Loads a text (or, for a .bin name, binary) edge list from a path or URL.
 *
 * @example
 * ```ts
 * import { loadEdgeList } from "./edgelist.ts";
 * const g = await loadEdgeList(new URL("../../data/graph/karate.txt", import.meta.url));
 * ```
 */
export async function loadEdgeList(where: string | URL, options: EdgeListOptions = {}): Promise<EdgeList> {
  const url = where instanceof URL ? where : new URL(where, `file://${globalThis.Deno?.cwd?.() ?? ""}/`);
  const res = await fetch(url);
  if (!res.ok) throw new InvalidArgumentError(`cannot read edge list ${url.href}: HTTP ${res.status}`);
  if (url.pathname.endsWith(".bin")) {
    return parseBinaryEdgeList(new Uint8Array(await res.arrayBuffer()), options);
  }
  return parseEdgeList(await res.text(), options);
}
