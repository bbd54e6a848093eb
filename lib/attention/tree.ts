/**
 * The prefix-tree KV cache: nodes that hold the keys and values of a run of tokens, linked to their
 * parent. A decode request points at a node; its context is the concatenation of the nodes on the path
 * from the root to that node. A decode loop appends one token to each request's leaf per step.
 *
 * Storage is plain Float32Arrays with spare capacity (appends are amortised O(1)); the wasm backend keeps a
 * mirror of each node in the shared kernel memory that is synced lazily and incrementally (an append
 * copies one token), so repeated decode steps never re-copy the cache.
 *
 * @module
 */
import { describe, InvalidArgumentError, requireInt, ShapeMismatchError } from "../core/errors.ts";
import { getArena, type WasmBlock } from "../runtime/wasm.ts";

/** Shape of every token's keys (and values): `numKvHeads` heads of `headDim` floats. */
export interface PrefixKVCacheOptions {
  /** Key/value heads (H_kv), an integer >= 1. */
  numKvHeads: number;
  /** Head dimension d, an integer >= 1. */
  headDim: number;
}

/** A node as the kernels see it (read-only view of the cache's storage). */
export interface KVNodeView {
  readonly id: number;
  readonly parent: number;
  /** Tokens in this node. */
  readonly length: number;
  /** Keys, token-major [length, numKvHeads, headDim] (a view of `length` tokens). */
  readonly k: Float32Array;
  /** Values, same layout as `k`. */
  readonly v: Float32Array;
  /** Number of child nodes. */
  readonly children: number;
}

interface NodeRec {
  parent: number;
  length: number;
  capacity: number; // tokens
  k: Float32Array; // capacity * stride
  v: Float32Array;
  children: Set<number>;
  mirror: WasmMirror | null;
}

/** A node's copy in wasm memory: K and V blocks (each with 16 spare zeroed bytes), synced up to `synced`. */
interface WasmMirror {
  k: WasmBlock;
  v: WasmBlock;
  capacity: number;
  synced: number;
}

/** Maximum depth of a path (guards against pathological chains; far above any decode tree). */
export const MAX_TREE_DEPTH = 1 << 16;

/**
 * A prefix tree of KV segments.
 *
 * @example
 * ```ts
 * import { PrefixKVCache } from "./tree.ts";
 * const tree = new PrefixKVCache({ numKvHeads: 1, headDim: 2 });
 * const root = tree.addNode(-1, new Float32Array([1, 0, 0, 1]), new Float32Array([1, 2, 3, 4])); // 2 tokens
 * const leaf = tree.addNode(root, new Float32Array(0), new Float32Array(0)); // empty suffix
 * tree.appendToken(leaf, new Float32Array([1, 1]), new Float32Array([5, 6])); // one decoded token
 * tree.path(leaf); // [root, leaf]
 * ```
 */
export class PrefixKVCache {
  readonly numKvHeads: number;
  readonly headDim: number;
  /** Floats per token: numKvHeads * headDim. */
  readonly tokenStride: number;
  #nodes = new Map<number, NodeRec>();
  #next = 0;
  #version = 0;

  constructor(options: PrefixKVCacheOptions) {
    if (options === null || typeof options !== "object") {
      throw new InvalidArgumentError(
        `PrefixKVCache needs { numKvHeads, headDim }, got ${describe(options)}`,
      );
    }
    this.numKvHeads = requireInt("numKvHeads", options.numKvHeads, 1, 4096);
    this.headDim = requireInt("headDim", options.headDim, 1, 4096);
    this.tokenStride = this.numKvHeads * this.headDim;
  }

  /**
   * Builds a tree from a list of nodes whose `parent` is an index into the same list (-1 for a root), in
   * any order. Dangling parents and cycles throw InvalidArgumentError. Returns the tree and the node id
   * of every list entry.
   *
   * @example
   * ```ts
   * import { PrefixKVCache } from "./tree.ts";
   * const e = new Float32Array(0);
   * const { ids } = PrefixKVCache.fromNodes({ numKvHeads: 1, headDim: 4 }, [
   *   { parent: 1, k: e, v: e }, // child listed before its parent
   *   { parent: -1, k: e, v: e },
   * ]);
   * ```
   */
  static fromNodes(
    options: PrefixKVCacheOptions,
    nodes: ReadonlyArray<{ parent: number; k: Float32Array; v: Float32Array }>,
  ): { tree: PrefixKVCache; ids: number[] } {
    if (!Array.isArray(nodes)) {
      throw new InvalidArgumentError(`nodes must be an array, got ${describe(nodes)}`);
    }
    const n = nodes.length;
    for (let i = 0; i < n; i++) {
      const p = nodes[i]?.parent;
      if (!Number.isInteger(p) || p < -1 || p >= n) {
        throw new InvalidArgumentError(
          `node ${i} has a dangling parent ${describe(p)}: allowed are -1 (a root) or an index in [0, ${n})`,
        );
      }
    }
    // cycle check: three-colour walk up the parent links
    const state = new Uint8Array(n); // 0 unseen, 1 on the current walk, 2 known to reach a root
    for (let i = 0; i < n; i++) {
      const walk: number[] = [];
      let j = i;
      while (j !== -1 && state[j] !== 2) {
        if (state[j] === 1) {
          const at = walk.indexOf(j);
          throw new InvalidArgumentError(
            `the parent links form a cycle through nodes ${walk.slice(at).join(" -> ")} -> ${j}; ` +
              `a prefix tree must reach a root (parent -1) from every node`,
          );
        }
        state[j] = 1;
        walk.push(j);
        j = nodes[j].parent;
      }
      for (const w of walk) state[w] = 2;
    }
    const tree = new PrefixKVCache(options);
    const ids = new Array<number>(n).fill(-1);
    const add = (i: number): number => {
      if (ids[i] >= 0) return ids[i];
      const chain: number[] = [];
      for (let j = i; j !== -1 && ids[j] < 0; j = nodes[j].parent) chain.push(j);
      for (let c = chain.length - 1; c >= 0; c--) {
        const j = chain[c];
        const p = nodes[j].parent;
        ids[j] = tree.addNode(p === -1 ? -1 : ids[p], nodes[j].k, nodes[j].v);
      }
      return ids[i];
    };
    for (let i = 0; i < n; i++) add(i);
    return { tree, ids };
  }

  /** Increments on every change (node added or removed, token appended): plans may cache on it. */
  get version(): number {
    return this.#version;
  }

  /** Number of nodes. */
  get size(): number {
    return this.#nodes.size;
  }

  /** Ids of every node, in creation order. */
  nodeIds(): number[] {
    return [...this.#nodes.keys()];
  }

  #checkKV(k: unknown, v: unknown, what: string): number {
    if (!(k instanceof Float32Array)) {
      throw new InvalidArgumentError(`${what} k must be a Float32Array, got ${describe(k)}`);
    }
    if (!(v instanceof Float32Array)) {
      throw new InvalidArgumentError(`${what} v must be a Float32Array, got ${describe(v)}`);
    }
    if (k.length !== v.length) {
      throw new ShapeMismatchError(
        `${what}: k has ${k.length} floats but v has ${v.length}; they must match`,
      );
    }
    if (k.length % this.tokenStride !== 0) {
      throw new ShapeMismatchError(
        `${what}: k has ${k.length} floats, not a multiple of numKvHeads * headDim = ${this.tokenStride} ` +
          `(layout is token-major [L, numKvHeads, headDim])`,
      );
    }
    for (const [name, a] of [["k", k], ["v", v]] as const) {
      for (let i = 0; i < a.length; i++) {
        if (!Number.isFinite(a[i])) {
          throw new InvalidArgumentError(`${what}: ${name}[${i}] is ${a[i]}; keys and values must be finite`);
        }
      }
    }
    return k.length / this.tokenStride;
  }

  #get(id: unknown, what = "node"): NodeRec {
    const rec = typeof id === "number" ? this.#nodes.get(id) : undefined;
    if (!rec) {
      throw new InvalidArgumentError(
        `unknown ${what} ${describe(id)}: not a node of this tree (it has ${this.#nodes.size} nodes)`,
      );
    }
    return rec;
  }

  /** Whether `id` is a node of this tree. */
  has(id: number): boolean {
    return this.#nodes.has(id);
  }

  /**
   * Adds a node under `parent` (-1 for a new root) holding `k.length / (numKvHeads * headDim)` tokens
   * (zero is allowed); returns its id. `k` and `v` are copied.
   */
  addNode(parent: number, k: Float32Array, v: Float32Array): number {
    if (parent !== -1) this.#get(parent, "parent");
    const length = this.#checkKV(k, v, "addNode");
    const capacity = Math.max(length, 4);
    const rec: NodeRec = {
      parent,
      length,
      capacity,
      k: new Float32Array(capacity * this.tokenStride),
      v: new Float32Array(capacity * this.tokenStride),
      children: new Set(),
      mirror: null,
    };
    rec.k.set(k);
    rec.v.set(v);
    const id = this.#next++;
    this.#nodes.set(id, rec);
    if (parent !== -1) this.#nodes.get(parent)!.children.add(id);
    this.#version++;
    return id;
  }

  /**
   * Appends tokens (normally one decoded token) to a node without children, as a decode loop does.
   * Appending to a node with children would change the middle of their contexts, so it throws.
   */
  appendToken(node: number, k: Float32Array, v: Float32Array): void {
    const rec = this.#get(node);
    if (rec.children.size > 0) {
      throw new InvalidArgumentError(
        `node ${node} has ${rec.children.size} children: tokens can only be appended to a leaf`,
      );
    }
    const add = this.#checkKV(k, v, "appendToken");
    const need = rec.length + add;
    if (need > rec.capacity) {
      const capacity = Math.max(need, rec.capacity * 2);
      const nk = new Float32Array(capacity * this.tokenStride),
        nv = new Float32Array(capacity * this.tokenStride);
      nk.set(rec.k.subarray(0, rec.length * this.tokenStride));
      nv.set(rec.v.subarray(0, rec.length * this.tokenStride));
      rec.k = nk;
      rec.v = nv;
      rec.capacity = capacity;
    }
    rec.k.set(k, rec.length * this.tokenStride);
    rec.v.set(v, rec.length * this.tokenStride);
    rec.length = need;
    this.#version++;
  }

  /**
   * Removes a node without children (a finished request's leaf). With `prune`, also removes ancestors
   * left without children, up to the first one that still has some.
   */
  removeNode(node: number, options: { prune?: boolean } = {}): void {
    let rec = this.#get(node);
    let id = node;
    for (;;) {
      if (rec.children.size > 0) {
        if (id === node) {
          throw new InvalidArgumentError(`node ${node} has ${rec.children.size} children: remove them first`);
        }
        break;
      }
      this.#freeMirror(rec);
      this.#nodes.delete(id);
      const parent = rec.parent;
      if (parent === -1) break;
      const p = this.#nodes.get(parent)!;
      p.children.delete(id);
      if (!options.prune) break;
      id = parent;
      rec = p;
    }
    this.#version++;
  }

  /** Node ids from the root to `node` (inclusive). */
  path(node: number): number[] {
    this.#get(node, "leaf");
    const out: number[] = [];
    for (let id = node; id !== -1; id = this.#nodes.get(id)!.parent) {
      out.push(id);
      if (out.length > MAX_TREE_DEPTH) {
        throw new InvalidArgumentError(`path of node ${node} is deeper than ${MAX_TREE_DEPTH} nodes`);
      }
    }
    return out.reverse();
  }

  /** Tokens on the path from the root to `node`. */
  contextLength(node: number): number {
    let n = 0;
    for (const id of this.path(node)) n += this.#nodes.get(id)!.length;
    return n;
  }

  /** A read-only view of a node (k and v are views of its `length` tokens; do not keep them across appends). */
  node(id: number): KVNodeView {
    const rec = this.#get(id);
    const n = rec.length * this.tokenStride;
    return {
      id,
      parent: rec.parent,
      length: rec.length,
      k: rec.k.subarray(0, n),
      v: rec.v.subarray(0, n),
      children: rec.children.size,
    };
  }

  /** Total bytes of K and V (f32) held by the tree's nodes. */
  kvBytes(): number {
    let t = 0;
    for (const r of this.#nodes.values()) t += r.length;
    return t * this.tokenStride * 4 * 2;
  }

  /**
   * The node's K and V in wasm memory, synced with the JS copy, stored head-major (`[numKvHeads][capacity]
   * [headDim]`) so that one head's tokens are contiguous: head h's keys start at `kPtr + h * headBytes`
   * and consecutive tokens are `headDim` floats apart (a token-major layout puts them `numKvHeads *
   * headDim` floats apart, and power-of-two strides fold a block of keys onto a few cache sets). Each
   * block has 16 zeroed spare bytes past the last head, so SIMD loads that overrun it read zeros.
   * @internal used by the wasm backend
   */
  wasmMirror(id: number): { kPtr: number; vPtr: number; headBytes: number } {
    const rec = this.#get(id);
    const arena = getArena();
    const stride = this.tokenStride, d = this.headDim, H = this.numKvHeads;
    let m = rec.mirror;
    if (m && m.capacity < rec.length) {
      this.#freeMirror(rec);
      m = null;
    }
    if (!m) {
      const capacity = rec.capacity;
      const bytes = capacity * stride * 4 + 16;
      m = { k: arena.alloc(bytes), v: arena.alloc(bytes), capacity, synced: 0 };
      arena.u8(m.k.ptr, bytes).fill(0);
      arena.u8(m.v.ptr, bytes).fill(0);
      rec.mirror = m;
    }
    if (m.synced < rec.length) {
      const a = m.synced, n = rec.length - a, cap = m.capacity;
      const mk = arena.f32(m.k.ptr, cap * stride), mv = arena.f32(m.v.ptr, cap * stride);
      for (let h = 0; h < H; h++) {
        for (let t = a; t < a + n; t++) {
          const src = t * stride + h * d, dst = (h * cap + t) * d;
          mk.set(rec.k.subarray(src, src + d), dst);
          mv.set(rec.v.subarray(src, src + d), dst);
        }
      }
      m.synced = rec.length;
    }
    return { kPtr: m.k.ptr, vPtr: m.v.ptr, headBytes: m.capacity * d * 4 };
  }

  #freeMirror(rec: NodeRec): void {
    if (!rec.mirror) return;
    const arena = getArena();
    arena.free(rec.mirror.k);
    arena.free(rec.mirror.v);
    rec.mirror = null;
  }

  /** Frees the wasm mirrors (the tree stays usable; mirrors are rebuilt on demand). */
  dispose(): void {
    for (const r of this.#nodes.values()) this.#freeMirror(r);
  }
}
