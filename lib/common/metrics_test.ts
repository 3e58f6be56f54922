import { classificationReport, confusionMatrix } from "./metrics.ts";

const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;

Deno.test("confusion matrix and per-class precision/recall/F1 by hand", () => {
  const truth = [0, 0, 0, 1, 1, 2, 2, 2, 2];
  const pred = [0, 0, 1, 1, 2, 2, 2, 0, 2];
  const m = confusionMatrix(truth, pred, 3);
  if (JSON.stringify(m) !== JSON.stringify([[2, 1, 0], [0, 1, 1], [1, 0, 3]])) {
    throw new Error(JSON.stringify(m));
  }
  const r = classificationReport(truth, pred, 3, ["a", "b", "c"]);
  if (!close(r.accuracy, 6 / 9)) throw new Error(`accuracy ${r.accuracy}`);
  const [a, b, c] = r.perClass;
  // a: tp 2, predicted 3, support 3; b: tp 1, predicted 2, support 2; c: tp 3, predicted 4, support 4
  if (!close(a.precision, 2 / 3) || !close(a.recall, 2 / 3) || !close(a.f1, 2 / 3)) {
    throw new Error("a");
  }
  if (!close(b.precision, 1 / 2) || !close(b.recall, 1 / 2) || b.support !== 2) {
    throw new Error("b");
  }
  if (!close(c.precision, 3 / 4) || !close(c.recall, 3 / 4) || c.label !== "c") {
    throw new Error("c");
  }
  if (!close(r.macro.f1, (2 / 3 + 1 / 2 + 3 / 4) / 3)) throw new Error(`macro f1 ${r.macro.f1}`);
});

Deno.test("classes never predicted or absent score 0, not NaN", () => {
  const r = classificationReport([0, 0], [0, 0], 2);
  if (r.perClass[1].precision !== 0 || r.perClass[1].recall !== 0 || r.perClass[1].f1 !== 0) {
    throw new Error(JSON.stringify(r.perClass[1]));
  }
  if (r.accuracy !== 1) throw new Error("accuracy");
});
