/**
 * Typed errors shared by every Tessera module.
 *
 * Each error says what was wrong and what is allowed, so a caller can fix the input
 * without reading the source. Nothing in Tessera clamps, truncates or drops bad input
 * silently: it throws one of these instead.
 *
 * @module
 */

/** Base class of every error Tessera throws on purpose. */
export class TesseraError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An argument has the wrong value: a size that is negative, not an integer, NaN, out of range... */
export class InvalidArgumentError extends TesseraError {}

/** Arrays or sizes that must agree do not (for example `a.length !== m * k`). */
export class ShapeMismatchError extends TesseraError {}

/** A requested backend is unknown or cannot run here. `available` lists those that can. */
export class BackendUnavailableError extends TesseraError {
  readonly backend: string;
  readonly available: readonly string[];
  constructor(backend: string, reason: string, available: readonly string[]) {
    super(
      `backend "${backend}" is not available: ${reason}. ` +
        `Backends that work here: ${available.length ? available.join(", ") : "(none)"}.`,
    );
    this.backend = backend;
    this.available = available;
  }
}

/** A kernel module or shader could not be loaded (missing file, bad bytes, wrong exports). */
export class KernelLoadError extends TesseraError {}

/**
 * Throws InvalidArgumentError unless `value` is a finite integer in [min, max].
 *
 * @example
 * ```ts
 * import { requireInt } from "./errors.ts";
 * requireInt("m", 4, 1); // ok
 * ```
 */
export function requireInt(name: string, value: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new InvalidArgumentError(
      `${name} must be an integer in [${min}, ${max}], got ${describe(value)}`,
    );
  }
  if (value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** Throws InvalidArgumentError unless `value` is a finite number in [min, max]. */
export function requireFinite(name: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `${name} must be a finite number in [${min}, ${max}], got ${describe(value)}`,
    );
  }
  return value;
}

/** Throws ShapeMismatchError unless `array.length === expected`. */
export function requireLength(name: string, array: { length: number }, expected: number, why: string): void {
  if (array.length !== expected) {
    throw new ShapeMismatchError(`${name} has length ${array.length}, expected ${expected} (${why})`);
  }
}

/** A short, safe description of any value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : String(value);
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
  if (value === null || value === undefined) return String(value);
  if (ArrayBuffer.isView(value)) {
    return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length})`;
  }
  return typeof value;
}
