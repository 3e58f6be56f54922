/**
 * Engine-neutral pieces in plain TypeScript, shared by the from-scratch engine (chapter 1) and
 * the tfjs chapters: classification metrics, the scoring of an evaluation, the learning-rate
 * schedule formula, the kernels' thread count (`BOOK_THREADS`).
 *
 * @module
 */
export {
  type ClassificationReport,
  classificationReport,
  type ClassMetrics,
  confusionMatrix,
} from "./metrics.ts";
export { type Evaluation, EvaluationAccumulator } from "./evaluation.ts";
export { type LrSchedule, warmupCosine } from "./schedule.ts";
export { bookThreads, defaultThreads, envThreads, logicalCores } from "./threads.ts";
