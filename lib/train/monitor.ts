/**
 * Tracking the best value of a monitored metric (shared by early stopping and best-checkpointing
 * in both training styles).
 *
 * @module
 */

/** Whether smaller or larger is better; `auto` picks `max` for names containing "acc" or "f1". */
export type MonitorMode = "min" | "max" | "auto";

/** Serializable state of a {@link Monitor}. */
export interface MonitorState {
  /** Best value so far (null before the first). */
  best: number | null;
  /** Epoch of the best value. */
  bestEpoch: number;
  /** Epochs since the last improvement. */
  wait: number;
}

/** Follows one metric across epochs. */
export class Monitor {
  /** The metric's name in the epoch logs, e.g. `val_loss`. */
  readonly name: string;
  /** Resolved direction. */
  readonly mode: "min" | "max";
  /** Minimum change that counts as an improvement. */
  readonly minDelta: number;
  /** Current state (serialisable). */
  state: MonitorState = { best: null, bestEpoch: -1, wait: 0 };

  /**
   * Creates a monitor with no best value yet.
   *
   * @param name the metric's key in the epoch logs
   * @param mode `auto` resolves to `max` for names matching acc/auc/f1/precision/recall, else `min`
   * @param minDelta minimum change that counts as an improvement (its absolute value is used)
   */
  constructor(name: string, mode: MonitorMode = "auto", minDelta = 0) {
    this.name = name;
    this.mode = mode === "auto" ? (/acc|auc|f1|precision|recall/.test(name) ? "max" : "min") : mode;
    this.minDelta = Math.abs(minDelta);
  }

  /**
   * Records `logs[name]` for `epoch`; returns true when it improved on the best so far.
   * Throws if the metric is missing (a typo would otherwise silently disable the callback).
   */
  update(epoch: number, logs: Record<string, number>): boolean {
    const v = logs[this.name];
    if (typeof v !== "number") {
      throw new Error(
        `monitored metric '${this.name}' not in logs (${Object.keys(logs).join(", ")})`,
      );
    }
    const { best } = this.state;
    const better = best == null ||
      (this.mode === "min" ? v < best - this.minDelta : v > best + this.minDelta);
    if (better) this.state = { best: v, bestEpoch: epoch, wait: 0 };
    else this.state.wait++;
    return better;
  }
}
