/**
 * The book's one learning-rate schedule formula, shared by the from-scratch engine (chapter 1)
 * and the tfjs training styles (`lib/train/schedule.ts` applies it to tfjs optimizers).
 *
 * @module
 */

/** A learning rate as a function of the optimizer step (0-based). */
export type LrSchedule = (step: number) => number;

/**
 * Linear warm-up from `peak / warmupSteps` to `peak` over `warmupSteps` steps, then half a cosine
 * down to `minLr` at `totalSteps` (and `minLr` after it):
 * lr(t) = minLr + ½(peak − minLr)(1 + cos(π·(t − warmup)/(total − warmup))).
 */
export function warmupCosine(
  peak: number,
  totalSteps: number,
  warmupSteps = 0,
  minLr = 0,
): LrSchedule {
  if (!(peak > 0) || !(totalSteps > 0) || !(warmupSteps >= 0) || !(minLr >= 0)) {
    throw new Error(
      `warmupCosine: need peak > 0, totalSteps > 0, warmupSteps >= 0, minLr >= 0 ` +
        `(got ${peak}, ${totalSteps}, ${warmupSteps}, ${minLr})`,
    );
  }
  return (step) => {
    if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
    const span = Math.max(1, totalSteps - warmupSteps);
    const t = Math.min(1, (step - warmupSteps) / span);
    return minLr + 0.5 * (peak - minLr) * (1 + Math.cos(Math.PI * t));
  };
}
