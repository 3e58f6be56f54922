/**
 * Training support shared by the book's two training styles: one data pipeline (seeded batches,
 * augmentation hooks), one metrics path, TensorBoard event files, `metrics.json`, Keras-style
 * callbacks for `model.fit` and a Lightning-style `LightningModule`/`Trainer`.
 *
 * @module
 */
export {
  FILE_VERSION,
  type Histogram,
  histogramOf,
  type ImageData,
  imageFromFloats,
  SummaryWriter,
  tfrecord,
} from "./tensorboard.ts";
export { Rng } from "../autograd/random.ts";
export {
  type Augment,
  type Batch,
  batches,
  type BatchOptions,
  composeAugments,
  epochOrder,
  gaussianNoise,
  numBatches,
  randomBrightnessContrast,
  randomFlipLeftRight,
  randomShift,
  type TensorDataset,
  toTfDataset,
} from "./batches.ts";
export {
  type ClassificationReport,
  classificationReport,
  type ClassMetrics,
  confusionMatrix,
} from "../common/metrics.ts";
export { argmaxRows, type EvalStep, evaluateClassifier, type Evaluation } from "./evaluate.ts";
export { runDir, writeJsonAtomic, writeMetricsJson } from "./results.ts";
export {
  getLearningRate,
  LearningRateSchedule,
  LearningRateScheduler,
  type LrSchedule,
  setLearningRate,
  warmupCosine,
} from "./schedule.ts";
export { meanSmoothedCrossEntropy, smoothedCrossEntropy } from "./losses.ts";
export { classCounts, imageTensors, stratifiedIndices, stratifiedSubset } from "./image_data.ts";
export { randomZoom, zoomBoxes, type ZoomOptions } from "./zoom.ts";
export {
  ClassifierModule,
  endsInSoftmax,
  fitKeras,
  fitLightning,
  type FitResult,
  type FitSettings,
  loadKerasFit,
} from "./classifier.ts";
export {
  type ClassifierMetrics,
  classifierMetrics,
  modelCard,
  type ModelCardInput,
} from "./report.ts";
export { Monitor, type MonitorMode, type MonitorState } from "./monitor.ts";
export {
  BestCheckpoint,
  EarlyStoppingCallback,
  formatLogs,
  MetricsJsonCallback,
  ProgressCallback,
  resolveLogs,
  TensorBoardCallback,
} from "./callbacks.ts";
export {
  loadCheckpoint,
  type LoadedCheckpoint,
  type NamedTensor,
  restoreVariables,
  saveCheckpoint,
} from "./checkpoint.ts";
export {
  clipByGlobalNorm,
  EarlyStopping,
  type EpochLogs,
  LayersModule,
  LightningModule,
  type Logger,
  MetricsJsonLogger,
  ModelCheckpoint,
  ProgressPrinter,
  type StepOutput,
  TensorBoardLogger,
  Trainer,
  type TrainerCallback,
  type TrainerOptions,
  type TrainerState,
} from "./lightning.ts";
export { areaUnderCurve, rocAuc, rocCurve, type RocPoint } from "./roc.ts";
export { type FlipShift3dOptions, randomFlipShift3d } from "./augment3d.ts";
