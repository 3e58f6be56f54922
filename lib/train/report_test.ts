import { assert, assertEquals, assertStringIncludes } from "../testing/asserts.ts";
import type { FitResult } from "./classifier.ts";
import { classificationReport } from "../common/metrics.ts";
import { classifierMetrics, modelCard } from "./report.ts";

const fit: FitResult = {
  style: "keras",
  history: [{ epoch: 0, loss: 1, val_acc: 0.5 }, { epoch: 1, loss: 0.5, val_acc: 0.75 }],
  epochs: 2,
  bestEpoch: 1,
  trainSeconds: 12.5,
  stoppedEarly: false,
};
// 4 examples, 3 right: accuracy 0.75.
const report = classificationReport([0, 0, 1, 1], [0, 1, 1, 1], 2, ["cat", "dog"]);

Deno.test("classifierMetrics carries the measured test report and the fit", () => {
  const m = classifierMetrics({
    style: "keras",
    dataset: "pets-v1",
    fit,
    report,
    settings: { lr: 0.01 },
    date: new Date("2026-11-29T00:00:00Z"),
  });
  assertEquals(m.test_accuracy, 0.75);
  assertEquals(m.classes, ["cat", "dog"]);
  assertEquals(m.confusion_matrix, [[1, 1], [0, 2]]);
  assertEquals(m.per_class[1].precision, 2 / 3);
  assertEquals(m.per_class[0].recall, 0.5);
  assertEquals([m.epochs, m.best_epoch, m.train_seconds], [2, 1, 12.5]);
  assertEquals(m.date, "2026-11-29T00:00:00.000Z");
});

Deno.test("modelCard writes the measured figures, the table and the limits", () => {
  const metrics = classifierMetrics({ style: "lightning", dataset: "pets-v1", fit, report });
  const card = modelCard({
    name: "pets",
    description: "A test model.",
    metrics,
    data: { imageSize: 8, fit: "centre crop", train: 10, val: 2, test: 4, source: "synthetic" },
    parameters: 1234,
    usage: ["deno task predict x.jpg"],
    limits: ["Only cats and dogs."],
    comparisons: [{ name: "max pooling", testAccuracy: 0.5, trainSeconds: 3, epochs: 2 }],
  });
  assertStringIncludes(card, "# Model card: pets");
  assertStringIncludes(card, "Accuracy 75.0% on 4 test images");
  assertStringIncludes(card, "| dog | 0.667 | 1.000 | 0.800 | 2 |");
  assertStringIncludes(card, "| **cat** | 1 | 1 |");
  assertStringIncludes(card, "weights of epoch 2");
  assertStringIncludes(card, "1,234 parameters");
  assertStringIncludes(card, "| max pooling | 50.0% | 2 | 3 |");
  assertStringIncludes(card, "- Only cats and dogs.");
  assert(!card.includes("undefined") && !card.includes("NaN"), card);
});
