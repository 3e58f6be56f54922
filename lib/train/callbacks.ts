/**
 * Keras-style callbacks for `model.fit` / `model.fitDataset`: TensorBoard logging, early stopping
 * (with best-weight restore), best-model checkpointing, a progress display and `metrics.json`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { fileIO } from "../tfjs/io.ts";
import { Monitor, type MonitorMode } from "./monitor.ts";
import { writeJsonAtomic, writeMetricsJson } from "./results.ts";
import { SummaryWriter } from "./tensorboard.ts";
import { join } from "node:path";

type AnyLogs = Record<string, number | tf.Scalar> | undefined;

/** Resolves tfjs's (possibly tensor-valued) logs to numbers. */
export async function resolveLogs(logs: AnyLogs): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(logs ?? {})) {
    out[k] = typeof v === "number" ? v : (await v.data())[0];
  }
  return out;
}

/** Logs epoch metrics (and optionally weight histograms and batch losses) to TensorBoard. */
export class TensorBoardCallback extends tf.Callback {
  /** The event writer (one run directory). */
  readonly writer: SummaryWriter;
  private histogramFreq: number;
  private batchFreq: number;
  private step = 0;

  /**
   * Creates the callback, writing to a new {@link SummaryWriter} on `logdir` or to the given one.
   *
   * @param logdir run directory, e.g. `runs/ch2/keras`, or an existing writer
   * @param opts `histogramFreq`: weight histograms every N epochs (0 = never); `batchFreq`: batch
   *   loss every N batches (0 = never)
   */
  constructor(
    logdir: string | SummaryWriter,
    opts: { histogramFreq?: number; batchFreq?: number } = {},
  ) {
    super();
    this.writer = typeof logdir === "string" ? new SummaryWriter(logdir) : logdir;
    this.histogramFreq = opts.histogramFreq ?? 0;
    this.batchFreq = opts.batchFreq ?? 0;
  }

  /** Counts the batch; every `batchFreq` batches logs its metrics as `batch/<name>` scalars. */
  override async onBatchEnd(_batch: number, logs?: AnyLogs): Promise<void> {
    this.step++;
    if (this.batchFreq > 0 && this.step % this.batchFreq === 0) {
      const l = await resolveLogs(logs);
      for (const [k, v] of Object.entries(l)) {
        if (k !== "batch" && k !== "size") this.writer.scalar(`batch/${k}`, v, this.step);
      }
    }
  }

  /** Logs the epoch's metrics as `epoch/<name>`; every `histogramFreq` epochs, weight histograms. */
  override async onEpochEnd(epoch: number, logs?: AnyLogs): Promise<void> {
    const l = await resolveLogs(logs);
    for (const [k, v] of Object.entries(l)) this.writer.scalar(`epoch/${k}`, v, epoch);
    if (this.histogramFreq > 0 && (epoch + 1) % this.histogramFreq === 0) {
      for (const w of this.model.weights) {
        this.writer.histogram(w.originalName, await w.read().data(), epoch);
      }
    }
  }

  /** Flushes the event file at the end of training (the writer stays open). */
  override onTrainEnd(): Promise<void> {
    this.writer.flush();
    return Promise.resolve();
  }
}

/** Stops `fit` when a metric stops improving; optionally restores the best epoch's weights. */
export class EarlyStoppingCallback extends tf.Callback {
  /** The followed metric. */
  readonly monitor: Monitor;
  /** Epoch at which training was stopped (-1 if it was not). */
  stoppedEpoch: number = -1;
  private patience: number;
  private restoreBestWeights: boolean;
  private bestWeights: tf.Tensor[] | null = null;

  /**
   * Creates the callback; nothing is snapshotted before the first improvement.
   *
   * @param opts `monitor`: metric to follow (default `val_loss`); `mode`, `minDelta`: see
   *   {@link Monitor}; `patience`: epochs without improvement tolerated before stopping (default
   *   0); `restoreBestWeights`: put the best epoch's weights back when stopped early (default false)
   */
  constructor(
    opts: {
      monitor?: string;
      mode?: MonitorMode;
      minDelta?: number;
      patience?: number;
      restoreBestWeights?: boolean;
    } = {},
  ) {
    super();
    this.monitor = new Monitor(opts.monitor ?? "val_loss", opts.mode, opts.minDelta);
    this.patience = opts.patience ?? 0;
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
  }

  /**
   * Updates the monitor: on improvement snapshots the weights (with `restoreBestWeights`), else sets
   * `model.stopTraining` once more than `patience` epochs have passed without improvement.
   */
  override async onEpochEnd(epoch: number, logs?: AnyLogs): Promise<void> {
    if (this.monitor.update(epoch, await resolveLogs(logs))) {
      if (this.restoreBestWeights) {
        tf.dispose(this.bestWeights ?? []);
        this.bestWeights = this.model.getWeights().map((w) => tf.keep(w.clone()));
      }
    } else if (this.monitor.state.wait > this.patience) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
    }
  }

  /** At the end of training, restores the best snapshot if training was stopped, then frees it. */
  override onTrainEnd(): Promise<void> {
    if (this.bestWeights) {
      if (this.stoppedEpoch >= 0) this.model.setWeights(this.bestWeights);
      tf.dispose(this.bestWeights);
      this.bestWeights = null;
    }
    return Promise.resolve();
  }
}

/** Saves the model (tfjs `model.json` + `weights.bin`) whenever a metric improves. */
export class BestCheckpoint extends tf.Callback {
  /** The followed metric. */
  readonly monitor: Monitor;
  /** Where the best model is saved. */
  readonly dir: string;

  /**
   * Creates the callback; nothing is written until the metric first improves.
   *
   * @param dir directory the best model and its `best.json` are saved to
   * @param opts `monitor`: metric to follow (default `val_loss`); `mode`, `minDelta`: see {@link Monitor}
   */
  constructor(dir: string, opts: { monitor?: string; mode?: MonitorMode; minDelta?: number } = {}) {
    super();
    this.dir = dir;
    this.monitor = new Monitor(opts.monitor ?? "val_loss", opts.mode, opts.minDelta);
  }

  /** When the metric improves, saves the model to `dir` and `best.json` (epoch, value, logs). */
  override async onEpochEnd(epoch: number, logs?: AnyLogs): Promise<void> {
    const l = await resolveLogs(logs);
    if (this.monitor.update(epoch, l)) {
      await this.model.save(fileIO(this.dir));
      await writeJsonAtomic(join(this.dir, "best.json"), {
        epoch,
        monitor: this.monitor.name,
        value: l[this.monitor.name],
        logs: l,
      });
    }
  }
}

/** Formats `{loss: 0.123456}` as `loss=0.1235`. */
export function formatLogs(logs: Record<string, number>): string {
  return Object.entries(logs)
    .filter(([k]) => k !== "batch" && k !== "size")
    .map(([k, v]) =>
      `${k}=${
        Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4)
      }`
    )
    .join(" ");
}

/**
 * A progress display: a redrawn batch bar on a terminal, and one line per epoch (always).
 */
export class ProgressCallback extends tf.Callback {
  private write: (line: string) => void;
  private tty: boolean;
  private epochStart = 0;
  private epoch = 0;

  /**
   * Creates the display.
   *
   * @param opts `write`: sink of the epoch lines (default `console.log`); `tty`: draw the batch bar
   *   on stdout (default: when `write` is not given and stdout is a terminal)
   */
  constructor(opts: { write?: (line: string) => void; tty?: boolean } = {}) {
    super();
    this.write = opts.write ?? ((l) => console.log(l));
    this.tty = opts.tty ?? (opts.write == null && Deno.stdout.isTerminal());
  }

  /** Remembers the epoch number and its start time (for the epoch line's duration). */
  override onEpochBegin(epoch: number): Promise<void> {
    this.epoch = epoch;
    this.epochStart = performance.now();
    return Promise.resolve();
  }

  /** With `tty`, redraws the bar (`batch/total` when known) and the batch's metrics in place. */
  override async onBatchEnd(batch: number, logs?: AnyLogs): Promise<void> {
    if (!this.tty) return;
    const total = (this.params?.batches as number | undefined) ??
      (this.params?.samples != null && this.params?.batchSize != null
        ? Math.ceil((this.params.samples as number) / (this.params.batchSize as number))
        : undefined);
    const l = await resolveLogs(logs);
    const width = 24;
    const done = total ? Math.round((width * (batch + 1)) / total) : 0;
    const bar = total
      ? `[${"=".repeat(done)}${" ".repeat(width - done)}] ${batch + 1}/${total}`
      : `${batch + 1}`;
    Deno.stdout.writeSync(new TextEncoder().encode(`\r  ${bar} ${formatLogs(l)}`));
  }

  /** Clears the bar and writes `epoch N/M <metrics> (<secs>s)`. */
  override async onEpochEnd(epoch: number, logs?: AnyLogs): Promise<void> {
    const l = await resolveLogs(logs);
    const epochs = this.params?.epochs as number | undefined;
    const secs = ((performance.now() - this.epochStart) / 1000).toFixed(1);
    if (this.tty) Deno.stdout.writeSync(new TextEncoder().encode("\r\x1b[K"));
    this.write(`epoch ${epoch + 1}${epochs ? `/${epochs}` : ""} ${formatLogs(l)} (${secs}s)`);
  }
}

/** Keeps the per-epoch history and rewrites `<dir>/metrics.json` after every epoch. */
export class MetricsJsonCallback extends tf.Callback {
  /** Per-epoch logs so far. */
  readonly history: Record<string, number>[] = [];
  private dir: string;
  private extra: Record<string, unknown>;

  /**
   * Creates the callback with an empty history.
   *
   * @param dir directory of `metrics.json`
   * @param extra fields written alongside `history` (run name, config, ...)
   */
  constructor(dir: string, extra: Record<string, unknown> = {}) {
    super();
    this.dir = dir;
    this.extra = extra;
  }

  /** Appends `{ epoch, ...logs }` to `history` and rewrites `metrics.json` (`extra` + `history`). */
  override async onEpochEnd(epoch: number, logs?: AnyLogs): Promise<void> {
    this.history.push({ epoch, ...(await resolveLogs(logs)) });
    await writeMetricsJson(this.dir, { ...this.extra, history: this.history });
  }
}
