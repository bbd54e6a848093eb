/**
 * Benchmark graph families shipped in data/graphs/ (see data/PROVENANCE.md): the strongly regular
 * families srNKLM (graph6, from Brendan McKay's collection) and graph8c (all 11,117 connected graphs on
 * 8 vertices, regenerated with nauty's `geng -c 8`).
 *
 * @module
 */
import { InvalidArgumentError } from "../core/errors.ts";
import { type Graph, parseGraph6File } from "./graph.ts";

/** The strongly regular families shipped, by file stem, with their parameters (n, k, lambda, mu). */
export const SR_FAMILIES: Readonly<Record<string, readonly [number, number, number, number]>> = {
  sr16622: [16, 6, 2, 2],
  sr251256: [25, 12, 5, 6],
  sr261034: [26, 10, 3, 4],
  sr281264: [28, 12, 6, 4],
  sr291467: [29, 14, 6, 7],
  sr361446: [36, 14, 4, 6],
  sr401224: [40, 12, 2, 4],
};

/**
 * Reads a graph6 fixture from data/graphs/ by file stem.
 *
 * @example
 * ```ts
 * import { loadGraph6Fixture } from "./datasets.ts";
 * (await loadGraph6Fixture("sr16622")).length; // 2
 * ```
 */
export async function loadGraph6Fixture(stem: string): Promise<Graph[]> {
  if (!/^[a-z0-9_]+$/.test(stem)) {
    throw new InvalidArgumentError(`fixture name must match /^[a-z0-9_]+$/, got ${JSON.stringify(stem)}`);
  }
  const url = new URL(`../../data/graphs/${stem}.g6`, import.meta.url);
  let text: string;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    text = await res.text();
  } catch (e) {
    throw new InvalidArgumentError(`cannot read graph fixture ${url.href}: ${(e as Error).message}`);
  }
  return parseGraph6File(text);
}

/**
 * A strongly regular family by name (see SR_FAMILIES).
 *
 * @example
 * ```ts
 * import { stronglyRegularFamily } from "./datasets.ts";
 * (await stronglyRegularFamily("sr251256")).length; // 15
 * ```
 */
export function stronglyRegularFamily(name: string): Promise<Graph[]> {
  if (!(name in SR_FAMILIES)) {
    throw new InvalidArgumentError(
      `unknown strongly regular family ${JSON.stringify(name)}; shipped: ${
        Object.keys(SR_FAMILIES).join(", ")
      }`,
    );
  }
  return loadGraph6Fixture(name);
}

/**
 * All 11,117 connected graphs on 8 vertices.
 *
 * @example
 * ```ts
 * import { graph8c } from "./datasets.ts";
 * (await graph8c()).length; // 11117
 * ```
 */
export function graph8c(): Promise<Graph[]> {
  return loadGraph6Fixture("graph8c");
}
