/**
 * The experiments: one module per paper (plus the machine roofline), each exporting
 * `run(options) -> Report`. The registry maps names to lazy loaders so the CLI and notebooks only
 * load what they run.
 *
 * @module
 */
import type { Report } from "../core/report.ts";

/** Options every experiment accepts. */
export interface ExperimentOptions {
  quick?: boolean;
  seed?: number;
  quiet?: boolean;
}

/** A registered experiment. */
export interface Experiment {
  name: string;
  title: string;
  /** Paper notes file, or null for the machine experiments. */
  paper: string | null;
  load: () => Promise<{ run: (options: ExperimentOptions) => Promise<Report> }>;
}

/** Every experiment that exists, in the order `repro` runs them. */
export const EXPERIMENTS: readonly Experiment[] = [
  {
    name: "roofline",
    title: "Machine roofline (bandwidth and peak per backend)",
    paper: null,
    load: () => import("./roofline.ts"),
  },
  {
    name: "nn",
    title: "nn: a small transformer language model trained with lib/nn",
    paper: null,
    load: () => import("./nn.ts"),
  },
  {
    name: "lbm",
    title: "Pseudopotential multi-component LBM: solid-fluid interaction schemes",
    paper: "lbm.md",
    load: () => import("./lbm.ts"),
  },
  {
    name: "flashforge",
    title: "FlashForge: shared-prefix decode attention over a prefix tree",
    paper: "flashforge.md",
    load: () => import("./flashforge.ts"),
  },
  {
    name: "csgnn",
    title: "CSGNN: chordless structure for GNN expressiveness",
    paper: "csgnn.md",
    load: () => import("./csgnn.ts"),
  },
  {
    name: "bingo",
    title: "Bingo: random walks on dynamically changing graphs",
    paper: "bingo.md",
    load: () => import("./bingo.ts"),
  },
];

export type { Report } from "../core/report.ts";
