/**
 * Parameter files: a small documented binary layout with CRC-32 checksums (no pickles).
 *
 * Layout (little-endian):
 *
 * ```
 * bytes 0..3   magic "TNN1"
 * bytes 4..7   u32 header length H
 * bytes 8..11  u32 CRC-32 of the header bytes
 * bytes 12..   header: UTF-8 JSON { format: "tessera-nn", version: 1,
 *                tensors: [{ name, dtype: "f32" | "f64", shape, offset, bytes, crc32 }] }
 * then zero padding to a multiple of 8, then the data section; each tensor's bytes start at
 * data + offset (8-aligned) and are its elements, row-major, little-endian.
 * ```
 *
 * @module
 */
import { InvalidArgumentError, ShapeMismatchError } from "../core/errors.ts";
import type { Module } from "./models.ts";
import { fmtShape, type Tensor } from "./tensor.ts";

/** A parameter file that is corrupt, truncated, or does not match the model. */
export class CheckpointError extends InvalidArgumentError {}

const MAGIC = [0x54, 0x4e, 0x4e, 0x31]; // "TNN1"

let crcTable: Uint32Array | null = null;

/**
 * CRC-32 (IEEE 802.3, as in zip and PNG) of bytes.
 *
 * @example
 * ```ts
 * import { crc32 } from "./serialize.ts";
 * crc32(new TextEncoder().encode("123456789")); // 0xcbf43926
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface Entry {
  name: string;
  dtype: "f32" | "f64";
  shape: number[];
  offset: number;
  bytes: number;
  crc32: number;
}

function tensorBytes(t: Tensor): Uint8Array {
  const copy = t.dtype === "f32" ? Float32Array.from(t.data) : Float64Array.from(t.data);
  return new Uint8Array(copy.buffer);
}

/**
 * Serializes named tensors (a Module's parameters or any list) into the TNN1 layout.
 *
 * @example
 * ```ts
 * import { MLP, saveParameters, loadParameters } from "./mod.ts";
 * const a = new MLP([2, 3], { seed: 1 }), b = new MLP([2, 3], { seed: 2 });
 * loadParameters(b, saveParameters(a)); // b now equals a
 * ```
 */
export function saveParameters(model: Module | Array<[string, Tensor]>): Uint8Array {
  const named = Array.isArray(model) ? model : model.namedParameters();
  const entries: Entry[] = [];
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of named) {
    const b = tensorBytes(t);
    entries.push({ name, dtype: t.dtype, shape: [...t.shape], offset, bytes: b.length, crc32: crc32(b) });
    blobs.push(b);
    offset += (b.length + 7) & ~7;
  }
  const header = new TextEncoder().encode(
    JSON.stringify({ format: "tessera-nn", version: 1, tensors: entries }),
  );
  const dataStart = (12 + header.length + 7) & ~7;
  const out = new Uint8Array(dataStart + offset);
  out.set(MAGIC, 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(4, header.length, true);
  dv.setUint32(8, crc32(header), true);
  out.set(header, 12);
  entries.forEach((e, i) => out.set(blobs[i], dataStart + e.offset));
  return out;
}

/**
 * Reads a TNN1 file into the model's parameters (in place). Every error names what is wrong: bad magic,
 * truncated file, a checksum mismatch (and which tensor), a missing or unexpected parameter, or a
 * shape or dtype that differs from the model's.
 *
 * @example
 * ```ts
 * import { Linear, loadParameters, saveParameters } from "./mod.ts";
 * const bytes = saveParameters(new Linear(2, 2, { seed: 3 }));
 * loadParameters(new Linear(2, 2), bytes);
 * ```
 */
export function loadParameters(model: Module | Array<[string, Tensor]>, bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array)) throw new CheckpointError("loadParameters: bytes must be a Uint8Array");
  if (bytes.length < 12 || MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new CheckpointError('loadParameters: not a TNN1 parameter file (bad magic; expected "TNN1")');
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = dv.getUint32(4, true);
  if (12 + hlen > bytes.length) {
    throw new CheckpointError(`loadParameters: truncated header (${bytes.length} bytes)`);
  }
  const hbytes = bytes.subarray(12, 12 + hlen);
  if (crc32(hbytes) !== dv.getUint32(8, true)) {
    throw new CheckpointError("loadParameters: header checksum mismatch");
  }
  const header = JSON.parse(new TextDecoder().decode(hbytes)) as {
    format: string;
    version: number;
    tensors: Entry[];
  };
  if (header.format !== "tessera-nn" || header.version !== 1) {
    throw new CheckpointError(
      `loadParameters: unsupported format ${header.format} v${header.version} (need tessera-nn v1)`,
    );
  }
  const dataStart = (12 + hlen + 7) & ~7;
  const named = Array.isArray(model) ? model : model.namedParameters();
  const want = new Map(named);
  const have = new Set(header.tensors.map((e) => e.name));
  const missing = named.filter(([n]) => !have.has(n)).map(([n]) => n);
  const extra = header.tensors.filter((e) => !want.has(e.name)).map((e) => e.name);
  if (missing.length || extra.length) {
    throw new CheckpointError(
      `loadParameters: parameter names differ: missing in file [${missing.slice(0, 5).join(", ")}${
        missing.length > 5 ? ", ..." : ""
      }], ` +
        `not in model [${extra.slice(0, 5).join(", ")}${extra.length > 5 ? ", ..." : ""}]`,
    );
  }
  // validate everything before writing anything
  for (const e of header.tensors) {
    const t = want.get(e.name)!;
    if (e.dtype !== t.dtype) {
      throw new CheckpointError(
        `loadParameters: ${e.name} is ${e.dtype} in the file, ${t.dtype} in the model`,
      );
    }
    if (e.shape.length !== t.shape.length || e.shape.some((d, i) => d !== t.shape[i])) {
      throw new ShapeMismatchError(
        `loadParameters: ${e.name} has shape ${fmtShape(e.shape)} in the file, ${
          fmtShape(t.shape)
        } in the model`,
      );
    }
    const start = dataStart + e.offset;
    if (start + e.bytes > bytes.length) {
      throw new CheckpointError(`loadParameters: truncated data for ${e.name}`);
    }
    if (crc32(bytes.subarray(start, start + e.bytes)) !== e.crc32) {
      throw new CheckpointError(`loadParameters: checksum mismatch in ${e.name} (file corrupt)`);
    }
  }
  for (const e of header.tensors) {
    const t = want.get(e.name)!;
    const raw = bytes.slice(dataStart + e.offset, dataStart + e.offset + e.bytes);
    t.data.set(t.dtype === "f32" ? new Float32Array(raw.buffer) : new Float64Array(raw.buffer));
  }
}
