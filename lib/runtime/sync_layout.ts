/**
 * Layout of the control block shared by lib/nn's synchronous pool and its workers (Int32 slots).
 *
 * @example
 * ```ts
 * import { CTRL } from "./sync_layout.ts";
 * const ctrl = new Int32Array(new SharedArrayBuffer(CTRL.size * 4));
 * ctrl[CTRL.fn] = -1;
 * ```
 *
 * @module
 */

/** Slot indices: job sequence number, completed sequence, function index, argument count, error, ready. */
export const CTRL = { seq: 0, done: 1, fn: 2, nargs: 3, error: 4, ready: 5, size: 8 } as const;

/** Most arguments (including the range) a pooled kernel may take. */
export const MAX_ARGS = 24;
