/**
 * nn: a small tensor and reverse-mode autodiff engine on Tessera's kernels, with optimizers,
 * parameter files, models (MLP, GIN, decoder-only transformer with dense or MoE FFN and a KV cache),
 * a synthetic variable-length corpus and a training loop.
 *
 * @example
 * ```ts
 * import { AdamW, MLP, mseLoss, tensor } from "./mod.ts";
 * const mlp = new MLP([2, 8, 1], { seed: 1 });
 * const opt = new AdamW(mlp.parameters(), { lr: 1e-2 });
 * const loss = mseLoss(mlp.forward(tensor([0, 1, 1, 0], [2, 2])), tensor([1, 1], [2, 1]));
 * loss.backward();
 * opt.step();
 * ```
 *
 * @module
 */
export {
  type DType,
  empty,
  type EngineConfig,
  full,
  isGradEnabled,
  type LoggedTensor,
  noGrad,
  type OpLogEntry,
  startOpLog,
  stopOpLog,
  Tensor,
  tensor,
  type TensorData,
  type TensorOptions,
  tidy,
} from "./tensor.ts";
export {
  add,
  broadcastShapes,
  cachedAttention,
  causalAttention,
  crossEntropy,
  type CrossEntropyOptions,
  div,
  embedding,
  exp,
  gather,
  gatherRows,
  gelu,
  type Indices,
  l1Loss,
  layerNorm,
  log,
  logSoftmax,
  matmul,
  mean,
  mseLoss,
  mul,
  NonFiniteError,
  permute,
  relu,
  reshape,
  rmsNorm,
  scatterAdd,
  segmentSum,
  silu,
  softmax,
  sub,
  sum,
  tanh,
  type TopKRouting,
  topKRouting,
  transpose,
} from "./ops.ts";
export { getBackend, setBackend, type SetBackendOptions, shutdownNN } from "./backend.ts";
export { gradCheck, type GradCheckResult } from "./gradcheck.ts";
export { AdamW, type AdamWOptions, clipGradNorm, SGD, type SGDOptions, zeroGrad } from "./optim.ts";
export { CheckpointError, crc32, loadParameters, saveParameters } from "./serialize.ts";
export {
  type Activation,
  type EdgeIndex,
  type GenerateOptions,
  type Generation,
  GINLayer,
  initNormal,
  type InitOptions,
  Linear,
  MLP,
  Module,
  MoE,
  type MoEStats,
  Transformer,
  TransformerBlock,
  type TransformerConfig,
} from "./models.ts";
export {
  BOS,
  CHARS,
  EOS,
  type Example,
  makeExample,
  makeExamples,
  PAD,
  sampleBatch,
  tokenizer,
  tokenStream,
  unigramEntropy,
} from "./corpus.ts";
export {
  type Answer,
  answer,
  type LossPoint,
  trainLanguageModel,
  type TrainOptions,
  type TrainResult,
} from "./train.ts";
export {
  adamwWebGPU,
  type AdamWWebGPUOptions,
  ATTENTION_MAX_HEAD_DIM,
  type AttentionGrads,
  type AttentionResult,
  cachedAttentionWebGPU,
  causalAttentionBackwardWebGPU,
  causalAttentionWebGPU,
  gatherRowsWebGPU,
  layerNormBackwardWebGPU,
  type LayerNormGrads,
  type LayerNormResult,
  layerNormWebGPU,
  logSoftmaxBackwardWebGPU,
  logSoftmaxWebGPU,
  matmulWebGPU,
  rmsNormBackwardWebGPU,
  type RmsNormGrads,
  type RmsNormResult,
  rmsNormWebGPU,
  scatterAddWebGPU,
  segmentSumWebGPU,
  softmaxBackwardWebGPU,
  softmaxWebGPU,
} from "./webgpu.ts";
