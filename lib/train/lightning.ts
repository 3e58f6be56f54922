/**
 * Lightning-style training on tfjs core: a {@link LightningModule} says what a step computes, a
 * {@link Trainer} runs the loop (epochs, batches from `batches.ts`, `tf.variableGrads`, gradient
 * clipping, optimizer steps, validation with `metrics.ts`, callbacks, loggers, checkpoints).
 *
 * Tensor discipline: every step runs inside `tf.tidy`, batches are disposed after use and only
 * plain numbers leave a step, so `tf.memory().numTensors` stays flat across epochs (tested).
 * Resume: at the end of every epoch the trainer writes a checkpoint (variables, optimizer slots,
 * epoch, step, history, callback states); `fit` continues from it, and because the batch order
 * depends only on `(seed, epoch)` a killed-and-resumed run reproduces an uninterrupted one.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Augment, type Batch, batches, type TensorDataset } from "./batches.ts";
import { loadCheckpoint, restoreVariables, saveCheckpoint } from "./checkpoint.ts";
import { formatLogs } from "./callbacks.ts";
import { evaluateClassifier } from "./evaluate.ts";
import type { ClassificationReport } from "../common/metrics.ts";
import { Monitor, type MonitorMode, type MonitorState } from "./monitor.ts";
import { writeMetricsJson } from "./results.ts";
import { SummaryWriter } from "./tensorboard.ts";

/** What `trainingStep` returns: the loss to minimise and optional extra scalars to log. */
export interface StepOutput {
  /** Scalar loss. */
  loss: tf.Scalar;
  /** Extra per-batch scalars (averaged over the epoch), e.g. `{ acc }`. */
  logs?: Record<string, tf.Scalar>;
}

/** A model plus what one training/validation step computes. */
export abstract class LightningModule {
  /** The model's output for inputs `x`. */
  abstract forward(x: tf.Tensor, training: boolean): tf.Tensor;

  /** The optimizer (called once per `fit`). */
  abstract configureOptimizers(): tf.Optimizer;

  /** Variables the optimizer updates. */
  abstract trainableVariables(): tf.Variable[];

  /** Every variable a checkpoint must hold (default: the trainable ones). */
  stateVariables(): tf.Variable[] {
    return this.trainableVariables();
  }

  /** Loss of predictions against targets (default: softmax cross-entropy on one-hot targets). */
  loss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
    return tf.losses.softmaxCrossEntropy(target, pred) as tf.Scalar;
  }

  /** One training step (default: `loss(forward(x, true), y)`). */
  trainingStep(batch: Batch, _batchIdx: number): StepOutput {
    return { loss: this.loss(this.forward(batch.x, true), batch.y) };
  }

  /** One validation step: its loss and the predictions used for the metrics. */
  validationStep(batch: Batch, _batchIdx: number): { loss: tf.Scalar; pred: tf.Tensor } {
    const pred = this.forward(batch.x, false);
    return { loss: this.loss(pred, batch.y), pred };
  }
}

/** A {@link LightningModule} around a tfjs Layers model (variables come from its weights). */
export abstract class LayersModule extends LightningModule {
  /** The wrapped model. */
  readonly model: tf.LayersModel;

  /** Wraps `model`; its weights become the module's variables. */
  constructor(model: tf.LayersModel) {
    super();
    this.model = model;
  }

  /** Applies the wrapped model to `x` (`training` switches dropout/batch-norm to training mode). */
  override forward(x: tf.Tensor, training: boolean): tf.Tensor {
    return this.model.apply(x, { training }) as tf.Tensor;
  }

  /** The model's trainable weights. */
  override trainableVariables(): tf.Variable[] {
    return this.model.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /** All of the model's weights, including non-trainable ones (e.g. batch-norm moving stats). */
  override stateVariables(): tf.Variable[] {
    return this.model.weights.map((w) => w.read() as tf.Variable);
  }
}

/** Numbers logged for one epoch (`epoch`, `loss`, `val_loss`, `val_acc`, ...). */
export type EpochLogs = Record<string, number>;

/** Hooks into the {@link Trainer} loop. Stateful callbacks implement `state`/`loadState`. */
export interface TrainerCallback {
  /** Key of this callback's state in checkpoints (required for `state`). */
  name?: string;
  /** Called before the first epoch (also when resuming). */
  onFitStart?(trainer: Trainer): void | Promise<void>;
  /** Called after each training batch. */
  onBatchEnd?(trainer: Trainer, batchIdx: number, logs: EpochLogs): void | Promise<void>;
  /** Called after validation at the end of each epoch. */
  onEpochEnd?(trainer: Trainer, epoch: number, logs: EpochLogs): void | Promise<void>;
  /** Called once training ends (finished, stopped early). */
  onFitEnd?(trainer: Trainer): void | Promise<void>;
  /** Serialisable state saved in checkpoints. */
  state?(): unknown;
  /** Restores `state()` output. */
  loadState?(state: unknown): void;
}

/** Receives metrics; loggers are how results leave the trainer (TensorBoard, JSON, console). */
export interface Logger {
  /** Per-step metrics (every `logEveryNSteps` steps). */
  logStep?(step: number, logs: EpochLogs): void | Promise<void>;
  /** End-of-epoch metrics; `trainer.state.history` holds all epochs (also those before a resume). */
  logEpoch?(trainer: Trainer, epoch: number, logs: EpochLogs): void | Promise<void>;
  /** End of training. */
  finalize?(trainer: Trainer): void | Promise<void>;
}

/** Options of {@link Trainer}. */
export interface TrainerOptions {
  /** Number of epochs to train (a resumed run continues up to it). */
  maxEpochs: number;
  /** Examples per batch. */
  batchSize: number;
  /** Seed of batch order and augmentation (default 0). */
  seed?: number;
  /** Training-batch augmentation. */
  augment?: Augment;
  /** Number of classes: enables accuracy/precision/recall/F1 in validation. */
  numClasses?: number;
  /** Callbacks (early stopping, checkpoints, progress). */
  callbacks?: TrainerCallback[];
  /** Loggers (TensorBoard, metrics.json, console). */
  loggers?: Logger[];
  /** Directory of the "last" checkpoint, written every epoch and resumed from. */
  checkpointDir?: string;
  /** Resume from `checkpointDir` when it holds a checkpoint (default true). */
  resume?: boolean;
  /** Clip gradients to this global L2 norm. */
  gradientClipNorm?: number;
  /** Clip each gradient element to `[-v, v]`. */
  gradientClipValue?: number;
  /** At most this many training batches per epoch (quick mode). */
  limitTrainBatches?: number;
  /** At most this many validation batches (quick mode). */
  limitValBatches?: number;
  /** Step-level logging period (default 0: off). */
  logEveryNSteps?: number;
}

/** The trainer's serialisable progress, saved in checkpoints. */
export interface TrainerState {
  /** Next epoch to run. */
  epoch: number;
  /** Optimizer steps taken. */
  globalStep: number;
  /** One entry per finished epoch. */
  history: EpochLogs[];
  /** Whether a callback stopped training. */
  stopped: boolean;
  /** States of named callbacks. */
  callbacks: Record<string, unknown>;
}

/** Runs a {@link LightningModule}'s training loop. */
export class Trainer {
  /** The options given. */
  readonly options: TrainerOptions;
  /** Progress (restored on resume). */
  state: TrainerState = { epoch: 0, globalStep: 0, history: [], stopped: false, callbacks: {} };
  /** Set by a callback to stop after the current epoch. */
  shouldStop = false;
  /** Full validation report of the last epoch (when `numClasses` is set). */
  lastReport: ClassificationReport | null = null;
  /** The module being trained (during `fit`). */
  module: LightningModule | null = null;
  /** The optimizer (during `fit`). */
  optimizer: tf.Optimizer | null = null;

  /** Creates a trainer with the given loop settings; nothing runs until {@link Trainer.fit}. */
  constructor(options: TrainerOptions) {
    this.options = options;
  }

  /** The configured callbacks (empty when none). */
  private get callbacks(): TrainerCallback[] {
    return this.options.callbacks ?? [];
  }

  /** `state()` of every named stateful callback, keyed by its `name` (saved in checkpoints). */
  private callbackStates(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const c of this.callbacks) if (c.name && c.state) out[c.name] = c.state();
    return out;
  }

  /** Trains `module` on `train`, validating on `val` after every epoch; returns the history. */
  async fit(
    module: LightningModule,
    train: TensorDataset,
    val?: TensorDataset,
  ): Promise<EpochLogs[]> {
    const o = this.options;
    this.module = module;
    const optimizer = module.configureOptimizers();
    this.optimizer = optimizer;
    const trainable = module.trainableVariables();
    const stateVars = module.stateVariables();
    if (o.checkpointDir && (o.resume ?? true)) {
      const ckpt = await loadCheckpoint<TrainerState>(o.checkpointDir);
      if (ckpt) {
        restoreVariables(stateVars, ckpt.variables);
        if (ckpt.optimizer.length > 0) await optimizer.setWeights(ckpt.optimizer);
        this.state = ckpt.state;
        for (const c of this.callbacks) {
          if (c.name && c.loadState && c.name in ckpt.state.callbacks) {
            c.loadState(ckpt.state.callbacks[c.name]);
          }
        }
      }
    }
    this.shouldStop = this.state.stopped;
    for (const c of this.callbacks) await c.onFitStart?.(this);

    while (this.state.epoch < o.maxEpochs && !this.shouldStop) {
      const epoch = this.state.epoch;
      const sums: Record<string, number> = {};
      let seen = 0;
      let batchIdx = 0;
      for (
        const batch of batches(train, epoch, {
          batchSize: o.batchSize,
          seed: o.seed ?? 0,
          augment: o.augment,
          limit: o.limitTrainBatches,
        })
      ) {
        const n = batch.x.shape[0];
        const logs = await this.trainStep(module, optimizer, trainable, batch, batchIdx);
        tf.dispose([batch.x, batch.y]);
        for (const [k, v] of Object.entries(logs)) sums[k] = (sums[k] ?? 0) + v * n;
        seen += n;
        this.state.globalStep++;
        for (const c of this.callbacks) await c.onBatchEnd?.(this, batchIdx, logs);
        const every = o.logEveryNSteps ?? 0;
        if (every > 0 && this.state.globalStep % every === 0) {
          for (const l of o.loggers ?? []) await l.logStep?.(this.state.globalStep, logs);
        }
        batchIdx++;
      }
      const epochLogs: EpochLogs = { epoch };
      for (const [k, v] of Object.entries(sums)) epochLogs[k] = v / Math.max(1, seen);
      if (val) Object.assign(epochLogs, await this.validate(module, val));
      for (const c of this.callbacks) await c.onEpochEnd?.(this, epoch, epochLogs);
      this.state.history.push(epochLogs);
      this.state.epoch = epoch + 1;
      this.state.stopped = this.shouldStop;
      this.state.callbacks = this.callbackStates();
      if (o.checkpointDir) {
        await saveCheckpoint(o.checkpointDir, stateVars, optimizer, this.state);
      }
      for (const l of o.loggers ?? []) await l.logEpoch?.(this, epoch, epochLogs);
    }
    for (const c of this.callbacks) await c.onFitEnd?.(this);
    for (const l of o.loggers ?? []) await l.finalize?.(this);
    return this.state.history;
  }

  /**
   * One optimizer step on `batch` inside `tf.tidy`: gradients of the training loss, optional
   * clipping (by value, then by global norm), `applyGradients`; returns loss and extra logs as numbers.
   */
  private async trainStep(
    module: LightningModule,
    optimizer: tf.Optimizer,
    vars: tf.Variable[],
    batch: Batch,
    batchIdx: number,
  ): Promise<EpochLogs> {
    const o = this.options;
    let extra: Record<string, tf.Scalar> = {};
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const out = module.trainingStep(batch, batchIdx);
        extra = Object.fromEntries(
          Object.entries(out.logs ?? {}).map(([k, v]) => [k, tf.keep(v)]),
        );
        return out.loss;
      }, vars);
      let gs = vars.map((v) => grads[v.name]);
      if (o.gradientClipValue != null) {
        const c = o.gradientClipValue;
        gs = gs.map((g) => tf.clipByValue(g, -c, c));
      }
      if (o.gradientClipNorm != null) gs = clipByGlobalNorm(gs, o.gradientClipNorm);
      // An ordered list: optimizers match their slots to variables by position.
      optimizer.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: gs[i] })));
      return value;
    });
    const logs: EpochLogs = { loss: (await loss.data())[0] };
    loss.dispose();
    for (const [k, v] of Object.entries(extra)) {
      logs[k] = (await v.data())[0];
      v.dispose();
    }
    return logs;
  }

  /**
   * Validation loss and (with `numClasses`) accuracy, macro precision/recall/F1; with two classes
   * also `val_auc` (ROC AUC of class 1's score).
   */
  async validate(module: LightningModule, val: TensorDataset): Promise<EpochLogs> {
    const o = this.options;
    let i = 0;
    const ev = await evaluateClassifier((b) => module.validationStep(b, i++), val, {
      batchSize: o.batchSize,
      numClasses: o.numClasses,
      limit: o.limitValBatches,
    });
    const logs: EpochLogs = { val_loss: ev.loss };
    if (ev.report) {
      this.lastReport = ev.report;
      Object.assign(logs, {
        val_acc: ev.report.accuracy,
        val_precision: ev.report.macro.precision,
        val_recall: ev.report.macro.recall,
        val_f1: ev.report.macro.f1,
      });
    }
    if (ev.binary) logs.val_auc = ev.binary.auc;
    return logs;
  }
}

/** Scales gradients so their global L2 norm is at most `maxNorm`. */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): tf.Tensor[] {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
    const scale = tf.minimum(1, tf.div(maxNorm, tf.maximum(norm, 1e-12)));
    return grads.map((g) => tf.mul(g, scale));
  });
}

/** Stops training when a validation metric stops improving (state survives resume). */
export class EarlyStopping implements TrainerCallback {
  /** Checkpoint key. */
  readonly name = "earlyStopping";
  /** The followed metric. */
  readonly monitor: Monitor;
  private patience: number;

  /**
   * Creates the callback.
   *
   * @param opts `monitor`: metric to follow (default `val_loss`); `mode`, `minDelta`: see
   *   {@link Monitor}; `patience`: epochs without improvement tolerated before `trainer.shouldStop`
   *   is set (default 0)
   */
  constructor(
    opts: { monitor?: string; mode?: MonitorMode; minDelta?: number; patience?: number } = {},
  ) {
    this.monitor = new Monitor(opts.monitor ?? "val_loss", opts.mode, opts.minDelta);
    this.patience = opts.patience ?? 0;
  }

  onEpochEnd(trainer: Trainer, epoch: number, logs: EpochLogs): void {
    if (!this.monitor.update(epoch, logs) && this.monitor.state.wait > this.patience) {
      trainer.shouldStop = true;
    }
  }

  state(): MonitorState {
    return { ...this.monitor.state };
  }

  loadState(s: unknown): void {
    this.monitor.state = { ...(s as MonitorState) };
  }
}

/** Saves a checkpoint of the module to `dir` whenever a metric improves. */
export class ModelCheckpoint implements TrainerCallback {
  /** Checkpoint key. */
  readonly name = "modelCheckpoint";
  /** The followed metric. */
  readonly monitor: Monitor;
  /** Where the best checkpoint goes. */
  readonly dir: string;

  /**
   * Creates the callback; nothing is written until the metric first improves.
   *
   * @param dir where the best checkpoint (the module's state variables, epoch and logs) is saved
   * @param opts `monitor`: metric to follow (default `val_loss`); `mode`, `minDelta`: see {@link Monitor}
   */
  constructor(dir: string, opts: { monitor?: string; mode?: MonitorMode; minDelta?: number } = {}) {
    this.dir = dir;
    this.monitor = new Monitor(opts.monitor ?? "val_loss", opts.mode, opts.minDelta);
  }

  async onEpochEnd(trainer: Trainer, epoch: number, logs: EpochLogs): Promise<void> {
    if (this.monitor.update(epoch, logs) && trainer.module) {
      await saveCheckpoint(this.dir, trainer.module.stateVariables(), null, { epoch, logs });
    }
  }

  state(): MonitorState {
    return { ...this.monitor.state };
  }

  loadState(s: unknown): void {
    this.monitor.state = { ...(s as MonitorState) };
  }
}

/** Prints one line per epoch. */
export class ProgressPrinter implements TrainerCallback {
  private write: (line: string) => void;
  private started = 0;

  /** Creates the printer; `write` receives each epoch line (default `console.log`). */
  constructor(write: (line: string) => void = (l) => console.log(l)) {
    this.write = write;
  }

  onFitStart(): void {
    this.started = performance.now();
  }

  onEpochEnd(trainer: Trainer, epoch: number, logs: EpochLogs): void {
    const { epoch: _e, ...rest } = logs;
    const secs = ((performance.now() - this.started) / 1000).toFixed(1);
    this.write(`epoch ${epoch + 1}/${trainer.options.maxEpochs} ${formatLogs(rest)} (${secs}s)`);
  }
}

/** Logs epoch (and step) metrics to TensorBoard; a resumed run appends a new event file. */
export class TensorBoardLogger implements Logger {
  /** The event writer. */
  readonly writer: SummaryWriter;

  /** Starts a new event file in the run directory `logdir`. */
  constructor(logdir: string) {
    this.writer = new SummaryWriter(logdir);
  }

  logStep(step: number, logs: EpochLogs): void {
    for (const [k, v] of Object.entries(logs)) this.writer.scalar(`step/${k}`, v, step);
  }

  logEpoch(_trainer: Trainer, epoch: number, logs: EpochLogs): void {
    for (const [k, v] of Object.entries(logs)) {
      if (k !== "epoch") this.writer.scalar(`epoch/${k}`, v, epoch);
    }
  }

  finalize(): void {
    this.writer.close();
  }
}

/** Rewrites `<dir>/metrics.json` with the full history (and the last report) every epoch. */
export class MetricsJsonLogger implements Logger {
  private dir: string;
  private extra: Record<string, unknown>;

  /**
   * Creates the logger.
   *
   * @param dir directory of `metrics.json`
   * @param extra fields written alongside `history` and `report` (run name, config, ...)
   */
  constructor(dir: string, extra: Record<string, unknown> = {}) {
    this.dir = dir;
    this.extra = extra;
  }

  async logEpoch(trainer: Trainer): Promise<void> {
    await writeMetricsJson(this.dir, {
      ...this.extra,
      history: trainer.state.history,
      report: trainer.lastReport ?? undefined,
    });
  }
}
