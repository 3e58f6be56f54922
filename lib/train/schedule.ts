/**
 * Learning-rate schedules for tfjs optimizers, in both training styles: a pure function of the
 * step (`warmupCosine`, whose formula lives in `lib/common/schedule.ts`), a Keras callback that applies it before every batch
 * ({@link LearningRateScheduler}) and the same for the Lightning-style `Trainer`
 * ({@link LearningRateSchedule}).
 *
 * tfjs optimizers read their `learningRate` field on every `applyGradients`, so changing it between
 * steps is all a schedule needs ({@link setLearningRate}).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Trainer, TrainerCallback } from "./lightning.ts";

export { type LrSchedule, warmupCosine } from "../common/schedule.ts";
import type { LrSchedule } from "../common/schedule.ts";

/** The optimizer's current learning rate (throws for an optimizer without one). */
export function getLearningRate(optimizer: tf.Optimizer): number {
  const lr = (optimizer as unknown as { learningRate?: unknown }).learningRate;
  if (typeof lr !== "number") {
    throw new Error(`${optimizer.getClassName()} has no numeric learningRate to schedule`);
  }
  return lr;
}

/** Sets the learning rate used by the optimizer's next `applyGradients`. */
export function setLearningRate(optimizer: tf.Optimizer, lr: number): void {
  getLearningRate(optimizer); // throws when there is nothing to set
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}

/**
 * Keras style: sets `model.optimizer`'s learning rate to `schedule(step)` before every batch of
 * `fit` / `fitDataset`, counting steps across epochs from 0, and adds `lr` to the epoch logs.
 */
export class LearningRateScheduler extends tf.Callback {
  /** Steps taken so far in this `fit`. */
  step = 0;
  private schedule: LrSchedule;

  /** Creates the callback for `schedule`. */
  constructor(schedule: LrSchedule) {
    super();
    this.schedule = schedule;
  }

  /** Restarts the step count. */
  override onTrainBegin(): Promise<void> {
    this.step = 0;
    return Promise.resolve();
  }

  /** Applies the rate of the coming step. */
  override onBatchBegin(): Promise<void> {
    setLearningRate((this.model as tf.LayersModel).optimizer, this.schedule(this.step++));
    return Promise.resolve();
  }

  /** Records the last applied rate in the epoch logs (`lr`), for TensorBoard and the history. */
  override onEpochEnd(_epoch: number, logs?: Record<string, unknown>): Promise<void> {
    if (logs) logs.lr = getLearningRate((this.model as tf.LayersModel).optimizer);
    return Promise.resolve();
  }
}

/**
 * Lightning style: sets the trainer's optimizer to `schedule(globalStep)` before the first step
 * (also after a resume) and after every step.
 */
export class LearningRateSchedule implements TrainerCallback {
  private schedule: LrSchedule;

  /** Creates the callback for `schedule`. */
  constructor(schedule: LrSchedule) {
    this.schedule = schedule;
  }

  /** Applies the rate of the next step. */
  private apply(trainer: Trainer): void {
    if (trainer.optimizer) {
      setLearningRate(trainer.optimizer, this.schedule(trainer.state.globalStep));
    }
  }

  /** Sets the rate of the first (or resumed) step. */
  onFitStart(trainer: Trainer): void {
    this.apply(trainer);
  }

  /** Sets the rate of the next step. */
  onBatchEnd(trainer: Trainer): void {
    this.apply(trainer);
  }

  /** Adds the rate used in the epoch's last step to the epoch logs (`lr`). */
  onEpochEnd(trainer: Trainer, _epoch: number, logs: Record<string, number>): void {
    if (trainer.optimizer) logs.lr = this.schedule(Math.max(0, trainer.state.globalStep - 1));
  }
}
