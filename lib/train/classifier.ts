/**
 * Training an image classifier in the book's two styles with the same data pipeline, schedule,
 * loss and model-selection rule, so that their results can be compared:
 *
 * - {@link fitKeras}: `model.compile` + `model.fitDataset` with Keras-style callbacks (TensorBoard,
 *   early stopping, best checkpoint, progress, learning-rate schedule);
 * - {@link fitLightning}: a {@link ClassifierModule} (a `LightningModule` around the same Layers
 *   model) run by the `Trainer` (TensorBoard logger, best and last checkpoints, early stopping).
 *
 * Both take a logit-output model from `lib/models`, train with Adam, label-smoothed
 * cross-entropy and a warm-up + cosine learning rate, watch `val_acc` after every epoch, and end
 * with the weights of the best validation epoch put back into the model.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { fileIO } from "../tfjs/io.ts";
import "../tfjs/gem_pool.ts"; // registers GemPooling2D, so the best checkpoint loads back
import "../tfjs/seeded_dropout.ts"; // and SeededDropout
import {
  type Augment,
  type Batch,
  numBatches,
  type TensorDataset,
  toTfDataset,
} from "./batches.ts";
import {
  BestCheckpoint,
  EarlyStoppingCallback,
  ProgressCallback,
  resolveLogs,
  TensorBoardCallback,
} from "./callbacks.ts";
import { loadCheckpoint, restoreVariables } from "./checkpoint.ts";
import {
  EarlyStopping,
  type EpochLogs,
  LayersModule,
  ModelCheckpoint,
  ProgressPrinter,
  type StepOutput,
  TensorBoardLogger,
  Trainer,
} from "./lightning.ts";
import { evaluateClassifier } from "./evaluate.ts";
import { Monitor } from "./monitor.ts";
import { smoothedCrossEntropy } from "./losses.ts";
import { LearningRateSchedule, LearningRateScheduler, warmupCosine } from "./schedule.ts";

/** Settings shared by {@link fitKeras} and {@link fitLightning}. */
export interface FitSettings {
  /** Most epochs to train (early stopping may end sooner). */
  epochs: number;
  /** Examples per batch. */
  batchSize: number;
  /** Peak learning rate of Adam. */
  lr: number;
  /** Epochs of linear warm-up before the cosine decay (default 1). */
  warmupEpochs?: number;
  /** Label smoothing ε of the cross-entropy (default 0.1). */
  labelSmoothing?: number;
  /** Training-batch augmentation (same for both styles). */
  augment?: Augment;
  /** Seed of batch order and augmentation (default 0). */
  seed?: number;
  /**
   * Validation metric that picks the best epoch and drives early stopping (default `val_acc`);
   * two-class models also log `val_auc`.
   */
  monitor?: string;
  /** Epochs without improvement before stopping (default: never stop early). */
  patience?: number;
  /** At most this many training (and validation) batches per epoch (quick mode). */
  limitBatches?: number;
  /** Receives one line per epoch (default `console.log`). */
  log?: (line: string) => void;
}

/** What a fit returns. */
export interface FitResult {
  /** Which style trained the model. */
  style: "keras" | "lightning";
  /** One entry per epoch: `epoch`, `loss`, `acc`, `val_loss`, `val_acc`, `lr`, ... */
  history: EpochLogs[];
  /** Epochs actually trained. */
  epochs: number;
  /** The epoch (0-based) whose weights the model holds at the end (best `monitor`). */
  bestEpoch: number;
  /** Wall-clock seconds of the training loop, validation included. */
  trainSeconds: number;
  /** Whether early stopping ended training before `epochs`. */
  stoppedEarly: boolean;
}

function scheduleFor(s: FitSettings, stepsPerEpoch: number) {
  return warmupCosine(
    s.lr,
    s.epochs * stepsPerEpoch,
    Math.min(s.epochs, s.warmupEpochs ?? 1) * stepsPerEpoch,
    s.lr / 100,
  );
}

/**
 * True when `model`'s output layer applies a softmax, i.e. it returns probabilities instead of the
 * logits the losses here expect (Keras' stock architectures end that way).
 */
export function endsInSoftmax(model: tf.LayersModel): boolean {
  const layer = model.outputs[0]?.sourceLayer;
  return layer?.getConfig().activation === "softmax";
}

/**
 * The loss on `model`'s outputs: label-smoothed cross-entropy on logits. A model that ends in a
 * softmax gets the same loss on `log(p)` (which log-softmax leaves unchanged, since Σp = 1; p is
 * clipped to 1e-7, so a saturated softmax passes little gradient), and a warning: return logits.
 */
function lossFor(
  model: tf.LayersModel,
  epsilon: number,
  log: (line: string) => void,
): (yTrue: tf.Tensor, out: tf.Tensor) => tf.Tensor {
  const onLogits = smoothedCrossEntropy(epsilon);
  if (!endsInSoftmax(model)) return onLogits;
  log(
    `warning: ${model.name} ends in a softmax; the loss takes log(clip(p)). Build it without ` +
      "the final softmax (logits out) for a stable loss, and apply tf.softmax at prediction.",
  );
  return (yTrue, p) => tf.tidy(() => onLogits(yTrue, tf.log(tf.clipByValue(p, 1e-7, 1))));
}

function bestEpochOf(history: EpochLogs[], monitor: string): number {
  const best = new Monitor(monitor);
  for (const h of history) best.update(h.epoch, h);
  return Math.max(0, best.state.bestEpoch);
}

/**
 * Keras style: compiles `model` (Adam, label-smoothed cross-entropy, accuracy) and trains it with
 * `model.fitDataset`. Writes TensorBoard events to `dir` and the best model (tfjs format,
 * `best.json`) to `dir/best`; ends with the best epoch's weights loaded.
 */
export async function fitKeras(
  model: tf.LayersModel,
  train: TensorDataset,
  val: TensorDataset,
  settings: FitSettings,
  dir: string,
): Promise<FitResult> {
  const s = settings;
  const monitor = s.monitor ?? "val_acc";
  const batchOpts = {
    batchSize: s.batchSize,
    seed: s.seed ?? 0,
    augment: s.augment,
    limit: s.limitBatches,
  };
  const steps = numBatches(train.x.shape[0], batchOpts);
  model.compile({
    optimizer: tf.train.adam(s.lr),
    loss: lossFor(model, s.labelSmoothing ?? 0.1, s.log ?? console.log),
    metrics: ["accuracy"],
  });
  const history: EpochLogs[] = [];
  const early = new EarlyStoppingCallback({
    monitor,
    patience: s.patience ?? Number.MAX_SAFE_INTEGER,
    restoreBestWeights: true,
  });
  const tensorboard = new TensorBoardCallback(dir, { batchFreq: 10 });
  const bestDir = join(dir, "best");
  // Quick mode validates on a few batches only, like the Trainer's limitValBatches.
  const valLimit = s.limitBatches != null ? s.limitBatches * s.batchSize : Infinity;
  const valX = valLimit < val.x.shape[0] ? val.x.slice(0, valLimit) : val.x;
  const valY = valLimit < val.y.shape[0] ? val.y.slice(0, valLimit) : val.y;
  const started = performance.now();
  await model.fitDataset(toTfDataset(train, batchOpts), {
    epochs: s.epochs,
    validationData: [valX, valY],
    verbose: 0,
    callbacks: [
      new LearningRateScheduler(scheduleFor(s, steps)), // first: adds `lr` to the epoch logs
      // Two classes: add `val_auc` (as the Trainer's validation does) before anyone reads the logs.
      ...(val.y.shape[1] === 2
        ? [new ValAucCallback(model, { x: valX, y: valY }, s.batchSize)]
        : []),
      tensorboard,
      early,
      new BestCheckpoint(bestDir, { monitor }),
      new ProgressCallback({ write: s.log }),
      new (class extends tf.Callback {
        override async onEpochEnd(epoch: number, logs?: tf.Logs) {
          history.push({ epoch, ...(await resolveLogs(logs)) });
        }
      })(),
    ],
  });
  const trainSeconds = (performance.now() - started) / 1000;
  tensorboard.writer.close();
  if (valX !== val.x) tf.dispose([valX, valY]);
  const best = await tf.loadLayersModel(fileIO(bestDir));
  model.setWeights(best.getWeights());
  best.dispose();
  return {
    style: "keras",
    history,
    epochs: history.length,
    bestEpoch: bestEpochOf(history, monitor),
    trainSeconds,
    stoppedEarly: early.stoppedEpoch >= 0,
  };
}

/**
 * A finished {@link fitKeras} run read back from `dir` instead of training again: puts the best
 * epoch's weights (`dir/best`) into `model` and returns the fit as `metrics.json` recorded it
 * (`history`, `epochs`, `best_epoch` 1-based, `train_seconds`, `seed`). Undefined when `dir` holds
 * no finished run of `epochs` epochs for `seed`; a run that is there but unreadable is an error.
 * Seed sweeps use it to add a style to seeds whose Keras run is already on disk.
 */
export async function loadKerasFit(
  model: tf.LayersModel,
  dir: string,
  epochs: number,
  seed: number,
): Promise<FitResult | undefined> {
  const file = join(dir, "metrics.json");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  const m = JSON.parse(text);
  if (m.style !== "keras" || m.seed !== seed || m.epochs !== epochs) return undefined;
  if (
    !Array.isArray(m.history) || m.history.length !== epochs ||
    !Number.isInteger(m.best_epoch) || m.best_epoch < 1 || m.best_epoch > epochs ||
    typeof m.train_seconds !== "number"
  ) {
    throw new Error(`${file}: not a finished Keras run (history, best_epoch, train_seconds)`);
  }
  const best = await tf.loadLayersModel(fileIO(join(dir, "best")));
  model.setWeights(best.getWeights());
  best.dispose();
  return {
    style: "keras",
    history: m.history,
    epochs: m.epochs,
    bestEpoch: m.best_epoch - 1,
    trainSeconds: m.train_seconds,
    stoppedEarly: false,
  };
}

/** Keras-style callback adding the validation ROC AUC (`val_auc`) of a 2-class model to the logs. */
class ValAucCallback extends tf.Callback {
  constructor(
    private readonly net: tf.LayersModel,
    private readonly val: TensorDataset,
    private readonly batchSize: number,
  ) {
    super();
  }

  override async onEpochEnd(_epoch: number, logs?: tf.Logs): Promise<void> {
    const ev = await evaluateClassifier(
      (b) => ({ pred: this.net.predict(b.x) as tf.Tensor }),
      this.val,
      { batchSize: this.batchSize, numClasses: 2 },
    );
    if (logs) logs.val_auc = ev.binary!.auc;
  }
}

/**
 * A `LightningModule` for a classifier that outputs logits: Adam, label-smoothed cross-entropy, and training
 * accuracy logged as `acc` (the names Keras uses, so both styles' histories read alike).
 */
export class ClassifierModule extends LayersModule {
  private lr: number;
  private epsilon: number;
  private lossFn: (yTrue: tf.Tensor, out: tf.Tensor) => tf.Tensor;

  /**
   * Wraps `model` (outputs class logits; a softmax output is accepted with a warning, see
   * {@link endsInSoftmax}).
   *
   * @param opts `lr`: Adam's initial learning rate; `labelSmoothing`: ε (default 0.1)
   */
  constructor(
    model: tf.LayersModel,
    opts: { lr: number; labelSmoothing?: number; log?: (line: string) => void },
  ) {
    super(model);
    this.lr = opts.lr;
    this.epsilon = opts.labelSmoothing ?? 0.1;
    this.lossFn = lossFor(model, this.epsilon, opts.log ?? console.log);
  }

  /** Adam at the initial learning rate (a schedule callback changes it per step). */
  configureOptimizers(): tf.Optimizer {
    return tf.train.adam(this.lr);
  }

  /** Label-smoothed cross-entropy of logits `pred` against one-hot `target`. */
  override loss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
    return tf.tidy(() => tf.mean(this.lossFn(target, pred)) as tf.Scalar);
  }

  /** Loss and training accuracy of one batch (dropout and batch norm in training mode). */
  override trainingStep(batch: Batch): StepOutput {
    const pred = this.forward(batch.x, true);
    const acc = tf.mean(tf.cast(tf.equal(tf.argMax(pred, -1), tf.argMax(batch.y, -1)), "float32"));
    return { loss: this.loss(pred, batch.y), logs: { acc: acc as tf.Scalar } };
  }
}

/**
 * Lightning style: wraps `model` in a {@link ClassifierModule} and trains it with the `Trainer`.
 * Writes TensorBoard events to `dir`, the best epoch's checkpoint to `dir/best` and the last one
 * (for resume) to `dir/last`; ends with the best epoch's weights restored.
 *
 * @param opts `resume`: continue from `dir/last` when it holds a checkpoint (default false);
 *   `module`: a {@link ClassifierModule} subclass around `model` to train instead of the plain one
 *   (e.g. chapter 3's transfer module, which chooses its trainable variables per phase)
 */
export async function fitLightning(
  model: tf.LayersModel,
  train: TensorDataset,
  val: TensorDataset,
  settings: FitSettings,
  dir: string,
  opts: { resume?: boolean; module?: ClassifierModule } = {},
): Promise<FitResult> {
  const s = settings;
  const monitor = s.monitor ?? "val_acc";
  if (opts.module && opts.module.model !== model) {
    throw new Error("fitLightning: opts.module must wrap the model it is given");
  }
  const module = opts.module ??
    new ClassifierModule(model, { lr: s.lr, labelSmoothing: s.labelSmoothing, log: s.log });
  const steps = numBatches(train.x.shape[0], {
    batchSize: s.batchSize,
    limit: s.limitBatches,
  });
  const bestDir = join(dir, "best");
  const trainer = new Trainer({
    maxEpochs: s.epochs,
    batchSize: s.batchSize,
    seed: s.seed ?? 0,
    augment: s.augment,
    numClasses: train.y.shape[1] as number,
    callbacks: [
      new LearningRateSchedule(scheduleFor(s, steps)), // first: adds `lr` to the epoch logs
      new EarlyStopping({ monitor, patience: s.patience ?? Number.MAX_SAFE_INTEGER }),
      new ModelCheckpoint(bestDir, { monitor }),
      new ProgressPrinter(s.log),
    ],
    loggers: [new TensorBoardLogger(dir)],
    checkpointDir: join(dir, "last"),
    resume: opts.resume ?? false,
    limitTrainBatches: s.limitBatches,
    limitValBatches: s.limitBatches,
    logEveryNSteps: 10,
  });
  const started = performance.now();
  const history = await trainer.fit(module, train, val);
  const trainSeconds = (performance.now() - started) / 1000;
  const best = await loadCheckpoint(bestDir);
  if (!best) throw new Error(`fitLightning: no best checkpoint in ${bestDir}`);
  restoreVariables(module.stateVariables(), best.variables);
  tf.dispose(best.variables);
  return {
    style: "lightning",
    history,
    epochs: history.length,
    bestEpoch: bestEpochOf(history, monitor),
    trainSeconds,
    stoppedEarly: history.length < s.epochs,
  };
}
