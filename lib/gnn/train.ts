/**
 * Training a graph model with a seed, a train/validation/test split, minibatches, AdamW and early
 * stopping on the validation metric (the parameters of the best validation epoch are restored before the
 * test set is scored).
 *
 * @module
 */
import { InvalidArgumentError, requireFinite, requireInt } from "../core/errors.ts";
import { Philox } from "../core/rng.ts";
import { AdamW, clipGradNorm, crossEntropy, mseLoss, noGrad, tensor, tidy } from "../nn/mod.ts";
import {
  type Batch,
  type GraphSample,
  makeBatch,
  type ModelKind,
  type PreparedSample,
  prepareSample,
} from "./data.ts";
import { RelationalGIN } from "./models.ts";

/** Options of trainGraphModel. */
export interface TrainGraphOptions {
  kind: ModelKind;
  task: "regression" | "classification";
  /** Classes (classification). */
  numClasses?: number;
  seed: number;
  layers?: number;
  hidden?: number;
  epochs?: number;
  /** Stop after this many epochs without a better validation metric. Default 20. */
  patience?: number;
  lr?: number;
  batchSize?: number;
  dropout?: number;
  /** Fractions of train and validation (the rest is test). Default [0.8, 0.1]. */
  split?: [number, number];
  /** Chordless cycle bound (csgnn). Default 8. */
  maxLength?: number;
  /** gin-cycles: flagged cycle lengths. Default [4, 11]. */
  flagLengths?: [number, number];
  /** Layer norm after every GIN application. Default false. */
  norm?: boolean;
  /**
   * Scale each relation's neighbour sum by 1 / (mean in-degree of that relation over the training graphs),
   * a constant per relation. Default true; false gives the plain GIN sum.
   */
  scaleRelations?: boolean;
  /** Clip the gradient norm to this (0 = no clipping). Default 1. */
  clipNorm?: number;
  /** Multiply the sum-pooled readout by 1 / mean training graph size. Default false (the plain sum). */
  scaleReadout?: boolean;
  /** Hops (khop). Default 3. */
  k?: number;
  /** csgnn: include the complement's P'_i. Default true. */
  complement?: boolean;
}

/** Result of one training run. */
export interface TrainGraphResult {
  kind: ModelKind;
  seed: number;
  /** "mae" (regression) or "accuracy" (classification). */
  metric: string;
  bestEpoch: number;
  epochsRun: number;
  val: number;
  test: number;
  parameters: number;
  /** Mean training loss per epoch. */
  trainLoss: number[];
  /** Preprocessing (near 0 when an earlier call with the same samples and options cached it) and training wall time, ms. */
  prepMs: number;
  trainMs: number;
}

// preprocessing is deterministic in (sample, options): reuse it across seeds and models
const prepCache = new WeakMap<GraphSample, Map<string, PreparedSample>>();

function evaluate(model: RelationalGIN, batches: Batch[], task: string, mu: number, sd: number): number {
  let err = 0, count = 0;
  noGrad(() =>
    batches.forEach((b) =>
      tidy(() => {
        const out = model.forward(b);
        const d = out.data, c = out.shape[1];
        b.y.forEach((y, i) => {
          if (task === "regression") err += Math.abs(d[i] * sd + mu - y);
          else {
            let best = 0;
            for (let j = 1; j < c; j++) if (d[i * c + j] > d[i * c + best]) best = j;
            err += best === y ? 1 : 0;
          }
          count++;
        });
      })
    )
  );
  return err / count;
}

/**
 * Trains one model on `data` and scores it: MAE for regression (targets standardised for the loss,
 * MAE reported in target units), accuracy for classification.
 *
 * @example
 * ```ts
 * import { cslDataset, trainGraphModel } from "./mod.ts";
 * const r = await trainGraphModel(cslDataset(4, 1), { kind: "gin", task: "classification", numClasses: 10, seed: 1, epochs: 2 });
 * r.metric; // "accuracy"
 * ```
 */
export async function trainGraphModel(data: GraphSample[], o: TrainGraphOptions): Promise<TrainGraphResult> {
  if (!Array.isArray(data) || data.length < 3) {
    throw new InvalidArgumentError(`trainGraphModel: need at least 3 samples, got ${data?.length}`);
  }
  if (o.task !== "regression" && o.task !== "classification") {
    throw new InvalidArgumentError(
      `task must be "regression" or "classification", got ${JSON.stringify(o.task)}`,
    );
  }
  const seed = requireInt("seed", o.seed, 0);
  const layers = requireInt("layers", o.layers ?? 3, 1, 16);
  const hidden = requireInt("hidden", o.hidden ?? 32, 1);
  const epochs = requireInt("epochs", o.epochs ?? 50, 1);
  const patience = requireInt("patience", o.patience ?? 20, 1);
  const lr = requireFinite("lr", o.lr ?? 3e-3, 0);
  const clip = requireFinite("clipNorm", o.clipNorm ?? 1, 0);
  const batchSize = requireInt("batchSize", o.batchSize ?? 32, 1);
  const [ftrain, fval] = o.split ?? [0.8, 0.1];
  requireFinite("split train", ftrain, 0, 1);
  requireFinite("split validation", fval, 0, 1 - ftrain);
  const numClasses = o.task === "classification" ? requireInt("numClasses", o.numClasses, 2) : 1;
  if (o.task === "classification") {
    for (const s of data) {
      if (!Number.isInteger(s.y) || s.y < 0 || s.y >= numClasses) {
        throw new InvalidArgumentError(`class label ${s.y} outside [0, ${numClasses})`);
      }
    }
  }
  const t0 = performance.now();
  const prepared: PreparedSample[] = [];
  const prepOptions = {
    kind: o.kind,
    layers,
    maxLength: o.maxLength,
    k: o.k,
    complement: o.complement,
    flagLengths: o.flagLengths,
  };
  const key = JSON.stringify(prepOptions);
  for (const s of data) {
    let byKey = prepCache.get(s);
    if (!byKey) prepCache.set(s, byKey = new Map());
    let p = byKey.get(key);
    if (!p) byKey.set(key, p = await prepareSample(s, prepOptions));
    prepared.push(p);
  }
  const prepMs = performance.now() - t0;
  // seeded split
  const rng = new Philox(seed, 3);
  const order = Array.from({ length: data.length }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nTrain = Math.max(1, Math.round(ftrain * data.length)),
    nVal = Math.max(1, Math.round(fval * data.length));
  const trainIdx = order.slice(0, nTrain), valIdx = order.slice(nTrain, nTrain + nVal);
  const testIdx = order.slice(nTrain + nVal);
  if (!testIdx.length) throw new InvalidArgumentError("trainGraphModel: the split leaves no test samples");
  // target standardisation from the training set (regression)
  let mu = 0, sd = 1;
  if (o.task === "regression") {
    mu = trainIdx.reduce((a, i) => a + data[i].y, 0) / nTrain;
    sd = Math.sqrt(trainIdx.reduce((a, i) => a + (data[i].y - mu) ** 2, 0) / nTrain) || 1;
  }
  const chunks = (idx: number[]) => {
    const out: Batch[] = [];
    for (let i = 0; i < idx.length; i += batchSize) {
      out.push(makeBatch(idx.slice(i, i + batchSize).map((k) => prepared[k])));
    }
    return out;
  };
  const valB = chunks(valIdx), testB = chunks(testIdx);
  // per layer and relation slot: 1 / mean in-degree over the training graphs (1 when the slot is empty)
  let relationScales: number[][] | undefined;
  if (o.scaleRelations ?? true) {
    const nodes = trainIdx.reduce((a, i) => a + prepared[i].n, 0);
    relationScales = prepared[0].relations.map((rs, l) =>
      rs.map((_, k) => {
        const arcs = trainIdx.reduce((a, i) => a + (prepared[i].relations[l][k]?.src.length ?? 0), 0);
        return arcs > 0 ? nodes / arcs : 1;
      })
    );
  }
  const model = new RelationalGIN({
    relationScales,
    norm: o.norm ?? false,
    readoutScale: o.scaleReadout ? trainIdx.length / trainIdx.reduce((a, i) => a + prepared[i].n, 0) : 1,
    inDim: prepared[0].dim,
    hidden,
    outDim: numClasses,
    layers,
    dropout: o.dropout ?? 0,
    seed,
  });
  const params = model.parameters();
  const opt = new AdamW(params, { lr, weightDecay: 0 });
  const score = (bs: Batch[]) => {
    return evaluate(model, bs, o.task, mu, sd);
  };
  const better = (a: number, b: number) => (o.task === "regression" ? a < b : a > b);
  let best = o.task === "regression" ? Infinity : -Infinity, bestEpoch = -1;
  let snapshot = params.map((p) => p.data.slice());
  const trainLoss: number[] = [];
  let epoch = 0;
  const t1 = performance.now();
  for (; epoch < epochs; epoch++) {
    // reshuffle the training order each epoch
    const ord = [...trainIdx];
    for (let i = ord.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [ord[i], ord[j]] = [ord[j], ord[i]];
    }
    let lossSum = 0, nb = 0;
    for (const [bi, b] of chunks(ord).entries()) {
      tidy(() => {
        for (const p of params) p.grad = null;
        const out = model.forward(b, seed * 100003 + epoch * 1009 + bi);
        const loss = o.task === "regression"
          ? mseLoss(out, tensor(b.y.map((y) => (y - mu) / sd), [b.numGraphs, 1]))
          : crossEntropy(out, b.y);
        loss.backward();
        if (clip > 0) clipGradNorm(params, clip);
        opt.step();
        lossSum += loss.item();
        nb++;
      });
    }
    trainLoss.push(lossSum / nb);
    const v = score(valB);
    if (better(v, best)) {
      best = v;
      bestEpoch = epoch;
      snapshot = params.map((p) => p.data.slice());
    } else if (epoch - bestEpoch >= patience) {
      epoch++;
      break;
    }
  }
  params.forEach((p, i) => p.data.set(snapshot[i]));
  const test = score(testB);
  return {
    kind: o.kind,
    seed,
    metric: o.task === "regression" ? "mae" : "accuracy",
    bestEpoch,
    epochsRun: epoch,
    val: best,
    test,
    parameters: model.parameterCount(),
    trainLoss,
    prepMs,
    trainMs: performance.now() - t1,
  };
}
