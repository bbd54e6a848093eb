/**
 * Lazy loaders for the npm packages that reporting uses (vega, vega-lite, arquero).
 *
 * The same code has to run in three places:
 * - Deno from a checkout: `npm:name@version` resolves from node_modules (or Deno's cache);
 * - Deno importing this library from an http(s) URL: bare names do not resolve there, `npm:` does;
 * - Bun: `npm:` specifiers are not understood, bare names resolve from node_modules.
 *
 * So each loader tries a literal `npm:` import first and falls back to the bare name. Nothing in
 * `lib/core` imports these packages statically: code that never draws a figure or aggregates a table
 * (benchmarks under Bun, for instance) does not need them installed. Each promise is cached, so a
 * package is resolved at most once per process.
 *
 * @module
 */

/** The vega module (pinned 6.4.0). */
export type VegaModule = typeof import("npm:vega@6.4.0");
/** The vega-lite module (pinned 6.4.0). */
export type VegaLiteModule = typeof import("npm:vega-lite@6.4.0");
/** The arquero module (pinned 8.0.3). */
export type ArqueroModule = typeof import("npm:arquero@8.0.3");

/** Pinned versions of the optional npm packages. */
export const NPM_VERSIONS: Readonly<Record<"vega" | "vega-lite" | "arquero", string>> = Object.freeze({
  "vega": "6.4.0",
  "vega-lite": "6.4.0",
  "arquero": "8.0.3",
});

let vega: Promise<VegaModule> | undefined;
let vegaLite: Promise<VegaLiteModule> | undefined;
let arquero: Promise<ArqueroModule> | undefined;

/** Joins the two failures into one error that names the package and how to get it. */
function loadError(name: string, first: unknown, second: unknown): Error {
  const why = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0];
  return new Error(
    `could not load the npm package "${name}@${NPM_VERSIONS[name as keyof typeof NPM_VERSIONS]}" ` +
      `(npm: specifier: ${why(first)}; bare specifier: ${why(second)}). ` +
      `Install it (npm install) or run under Deno with network access to the npm registry.`,
    { cause: second },
  );
}

/**
 * Loads vega 6.4.0 (cached).
 *
 * @example
 * ```ts
 * import { loadVega } from "./npm.ts";
 * const vega = await loadVega();
 * console.log(vega.version); // "6.4.0"
 * ```
 */
export function loadVega(): Promise<VegaModule> {
  return vega ??= (async () => {
    try {
      // deno-lint-ignore no-import-prefix -- deliberate: bare names do not resolve in URL imports
      return await import("npm:vega@6.4.0");
    } catch (first) {
      try {
        return (await import("vega")) as VegaModule;
      } catch (second) {
        vega = undefined;
        throw loadError("vega", first, second);
      }
    }
  })();
}

/**
 * Loads vega-lite 6.4.0 (cached).
 *
 * @example
 * ```ts
 * import { loadVegaLite } from "./npm.ts";
 * const vl = await loadVegaLite();
 * const vgSpec = vl.compile({ mark: "point", data: { values: [{ a: 1 }] }, encoding: {} }).spec;
 * ```
 */
export function loadVegaLite(): Promise<VegaLiteModule> {
  return vegaLite ??= (async () => {
    try {
      // deno-lint-ignore no-import-prefix -- deliberate: bare names do not resolve in URL imports
      return await import("npm:vega-lite@6.4.0");
    } catch (first) {
      try {
        return (await import("vega-lite")) as VegaLiteModule;
      } catch (second) {
        vegaLite = undefined;
        throw loadError("vega-lite", first, second);
      }
    }
  })();
}

/**
 * Loads arquero 8.0.3 (cached).
 *
 * @example
 * ```ts
 * import { loadArquero } from "./npm.ts";
 * const aq = await loadArquero();
 * const t = aq.from([{ x: 1 }, { x: 2 }]);
 * ```
 */
export function loadArquero(): Promise<ArqueroModule> {
  return arquero ??= (async () => {
    try {
      // deno-lint-ignore no-import-prefix -- deliberate: bare names do not resolve in URL imports
      return await import("npm:arquero@8.0.3");
    } catch (first) {
      try {
        return (await import("arquero")) as ArqueroModule;
      } catch (second) {
        arquero = undefined;
        throw loadError("arquero", first, second);
      }
    }
  })();
}
