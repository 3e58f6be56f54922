/**
 * What a chapter-2 style run leaves behind: the `metrics.json` record of a trained classifier
 * ({@link classifierMetrics}) and the model card published with the model ({@link modelCard}),
 * both computed from measured figures only.
 *
 * @module
 */
import type { FitResult } from "./classifier.ts";
import type { EpochLogs } from "./lightning.ts";
import type { ClassificationReport, ClassMetrics } from "../common/metrics.ts";

/** The contents of `runs/<chapter>/<style>/metrics.json` for a trained classifier. */
export interface ClassifierMetrics {
  /** Training style (`keras`, `lightning`) or a variant name. */
  style: string;
  /** Dataset `name-vVersion`. */
  dataset: string;
  /** Class names, in output order. */
  classes: string[];
  /** Accuracy on the test split. */
  test_accuracy: number;
  /** Test images scored. */
  test_count: number;
  /** Precision, recall, F1 and support per class on the test split. */
  per_class: ClassMetrics[];
  /** Unweighted means of the per-class figures. */
  macro: { precision: number; recall: number; f1: number };
  /** `confusion_matrix[true][predicted]` counts on the test split. */
  confusion_matrix: number[][];
  /** Epochs trained. */
  epochs: number;
  /** The epoch (0-based) whose weights were evaluated. */
  best_epoch: number;
  /** Whether early stopping ended training. */
  stopped_early: boolean;
  /** Wall-clock seconds of the training loop (validation included). */
  train_seconds: number;
  /** The settings of the run (model, optimizer, schedule, augmentation, ...). */
  settings: Record<string, unknown>;
  /** Per-epoch logs. */
  history: EpochLogs[];
  /** ISO date of the record. */
  date: string;
}

/** Builds the metrics record of a run from its fit result and its test-set report. */
export function classifierMetrics(args: {
  style: string;
  dataset: string;
  fit: FitResult;
  report: ClassificationReport;
  settings?: Record<string, unknown>;
  date?: Date;
}): ClassifierMetrics {
  const { fit, report } = args;
  return {
    style: args.style,
    dataset: args.dataset,
    classes: report.perClass.map((c) => c.label),
    test_accuracy: report.accuracy,
    test_count: report.count,
    per_class: report.perClass,
    macro: report.macro,
    confusion_matrix: report.confusion,
    epochs: fit.epochs,
    best_epoch: fit.bestEpoch,
    stopped_early: fit.stoppedEarly,
    train_seconds: fit.trainSeconds,
    settings: args.settings ?? {},
    history: fit.history,
    date: (args.date ?? new Date()).toISOString(),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** What {@link modelCard} needs besides the metrics. */
export interface ModelCardInput {
  /** Model name (heading). */
  name: string;
  /** One paragraph: what the model is. */
  description: string;
  /** The measured record of the published model. */
  metrics: ClassifierMetrics;
  /** Dataset facts: image side, how photos were fitted, per-split counts. */
  data: {
    imageSize: number;
    fit: string;
    train: number;
    val: number;
    test: number;
    source: string;
  };
  /** Parameter count of the model. */
  parameters: number;
  /** How to run it (command lines). */
  usage: string[];
  /** Known limits, one per bullet. */
  limits: string[];
  /** Other measured runs worth listing (name → test accuracy). */
  comparisons?: { name: string; testAccuracy: number; trainSeconds: number; epochs: number }[];
}

/** The model card (Markdown) of a published classifier, from measured figures only. */
export function modelCard(input: ModelCardInput): string {
  const m = input.metrics;
  const d = input.data;
  const lines = [
    `# Model card: ${input.name}`,
    "",
    input.description,
    "",
    "## Data",
    "",
    `Trained on \`${m.dataset}\` (${d.source}): ${d.train} training, ${d.val} validation and ` +
    `${d.test} test images of ${d.imageSize}x${d.imageSize} pixels (${d.fit}), classes ` +
    `${m.classes.join(", ")}.`,
    "",
    "## Training",
    "",
    `Style: ${m.style}; ${m.epochs} epoch${m.epochs === 1 ? "" : "s"} in ${
      m.train_seconds.toFixed(0)
    } s ` +
    `(weights of epoch ${m.best_epoch + 1}, the best on validation` +
    `${m.stopped_early ? "; stopped early" : ""}); ${
      input.parameters.toLocaleString("en")
    } parameters.`,
    "",
    "```json",
    JSON.stringify(m.settings),
    "```",
    "",
    "## Test metrics",
    "",
    `Accuracy ${pct(m.test_accuracy)} on ${m.test_count} test images; macro F1 ${
      m.macro.f1.toFixed(3)
    }.`,
    "",
    "| class | precision | recall | F1 | support |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...m.per_class.map((c) =>
      `| ${c.label} | ${c.precision.toFixed(3)} | ${c.recall.toFixed(3)} | ${
        c.f1.toFixed(3)
      } | ${c.support} |`
    ),
    "",
    "Confusion matrix (rows: true class, columns: predicted):",
    "",
    `| | ${m.classes.join(" | ")} |`,
    `| --- | ${m.classes.map(() => "---:").join(" | ")} |`,
    ...m.confusion_matrix.map((row, i) => `| **${m.classes[i]}** | ${row.join(" | ")} |`),
    "",
  ];
  if (input.comparisons?.length) {
    lines.push(
      "## Other runs of the same chapter",
      "",
      "| run | test accuracy | epochs | train seconds |",
      "| --- | ---: | ---: | ---: |",
      ...input.comparisons.map((c) =>
        `| ${c.name} | ${pct(c.testAccuracy)} | ${c.epochs} | ${c.trainSeconds.toFixed(0)} |`
      ),
      "",
    );
  }
  lines.push(
    "## Use",
    "",
    "```sh",
    ...input.usage,
    "```",
    "",
    "## Limits",
    "",
    ...input.limits.map((l) => `- ${l}`),
    "",
    `_Generated ${m.date.slice(0, 10)} by the chapter's code from the measured run._`,
    "",
  );
  return lines.join("\n");
}
