/**
 * Transfer learning (chapter 3): cached frozen features, the convex linear probe, domain-adversarial training (DANN with a
 * gradient-reversal op), contrastive losses (NT-Xent, CLIP's InfoNCE) and SimCLR augmentation.
 *
 * CLIP itself (transformers.js on onnxruntime-node) is in `./clip.ts`, not re-exported here: it
 * loads a native library (`--allow-ffi`), which the rest of this folder does not need.
 *
 * @module
 */
export {
  cachedFeatures,
  extractFeatures,
  type ExtractOptions,
  featureKey,
  gatherRows,
} from "./features.ts";
export {
  dannAccuracy,
  dannLambda,
  dannLearningRate,
  type DannNets,
  dannNets,
  type DannSettings,
  type DomainData,
  gradientReversal,
  trainDann,
} from "./dann.ts";
export {
  infoNce,
  l2Normalize,
  ntXent,
  PROMPT_TEMPLATES,
  simclrAugment,
  type SimclrAugmentOptions,
  zeroShot,
} from "./contrastive.ts";
export {
  featureStats,
  linearHead,
  Standardize,
  TransferModule,
  type TransferPhase,
} from "./finetune.ts";
export {
  bestOnValidation,
  fitSoftmaxRegression,
  pooledLayers,
  regressionLogits,
  type SoftmaxRegression,
  type SoftmaxRegressionOptions,
  viewAveraged,
} from "./probe.ts";
export { pretrainSimclr, projectionHead, type SimclrSettings } from "./simclr.ts";
export { pca } from "./pca.ts";
export {
  bytesToUnicode,
  CLIP_CONTEXT,
  CLIP_EOT,
  CLIP_SOT,
  ClipTokenizer,
  loadClipTokenizer,
} from "./clip_tokenizer.ts";
