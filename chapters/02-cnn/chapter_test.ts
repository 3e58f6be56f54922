import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertStringIncludes,
} from "../../lib/testing/asserts.ts";
import { runsDir } from "../../lib/book/args.ts";
import { runChapterQuick } from "../../lib/book/run.ts";

const STYLES = ["keras", "lightning", "max-pooling"];

async function eventFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith("events.out.tfevents")) out.push(e.name);
  }
  return out;
}

Deno.test("chapter 2 runs top to bottom in quick mode and writes its results", async () => {
  const outDir = runsDir("chapter2", "quick");
  for (const style of STYLES) {
    await Deno.remove(`${outDir}/${style}`, { recursive: true }).catch(() => {});
  }
  await Deno.remove(`${outDir}/metrics.json`).catch(() => {});
  const log = await runChapterQuick("chapters/02-cnn/cnn.ipynb");

  const summary = JSON.parse(await Deno.readTextFile(`${outDir}/metrics.json`));
  assertEquals(summary.mode, "quick");
  assertEquals(summary.classes, ["dress", "hat", "pants", "shoes", "t-shirt"]);
  for (const style of STYLES) {
    const m = JSON.parse(await Deno.readTextFile(`${outDir}/${style}/metrics.json`));
    assertEquals(m.epochs, 2, `${style} epochs`);
    assertEquals(m.history.length, 2);
    assert(m.train_seconds > 0, `${style} train_seconds`);
    // The record is consistent with itself: accuracy = trace / total of the confusion matrix,
    // supports = row sums, and one precision/recall/F1 entry per class.
    const cm: number[][] = m.confusion_matrix;
    assertEquals(cm.length, 5);
    const total = cm.flat().reduce((a, b) => a + b, 0);
    assertEquals(total, m.test_count);
    assertAlmostEquals(m.test_accuracy, cm.reduce((s, row, i) => s + row[i], 0) / total, 1e-9);
    assertEquals(
      m.per_class.map((c: { support: number }) => c.support),
      cm.map((r) => r.reduce((a, b) => a + b, 0)),
    );
    for (const c of m.per_class) {
      for (const k of ["precision", "recall", "f1"]) {
        assert(c[k] >= 0 && c[k] <= 1, `${style} ${c.label} ${k}`);
      }
    }
    // Two epochs on 240 images only just learn the most common class (t-shirt, 42% of the test
    // subset); labels scrambled by the pipeline, or a collapse onto a smaller class, score lower.
    assert(m.test_accuracy > 0.3, `${style} test accuracy ${m.test_accuracy}`);
    assert((await eventFiles(`${outDir}/${style}`)).length >= 1, `${style} TensorBoard events`);
  }
  // Published model: tfjs format with metadata, and a model card carrying the measured accuracy.
  const modelJson = JSON.parse(await Deno.readTextFile(`${outDir}/model/model.json`));
  assertEquals(modelJson.userDefinedMetadata.classes, summary.classes);
  assert((await Deno.stat(`${outDir}/model/weights.bin`)).size > 10_000, "weights.bin");
  const card = await Deno.readTextFile(`${outDir}/model/MODEL_CARD.md`);
  const keras = JSON.parse(await Deno.readTextFile(`${outDir}/keras/metrics.json`));
  assertStringIncludes(card, `Accuracy ${(100 * keras.test_accuracy).toFixed(1)}%`);
  // The predict CLI demo ran on the published model and reported the unreadable file clearly.
  assertStringIncludes(log, "not-an-image.jpg: cannot read as an image");
  assertStringIncludes(log, "exit status 1");
  for (
    const png of ["samples.png", "class-balance.png", "confusion-keras.png", "accuracy-curves.png"]
  ) {
    assert((await Deno.stat(`${outDir}/${png}`)).size > 0, `${png} written`);
  }
  // The flat summary the site and the seed sweep read.
  const flat = JSON.parse(await Deno.readTextFile(`${outDir}/summary.json`));
  assertEquals(flat.seed, 1);
  assertEquals(flat.keras_test_acc, keras.test_accuracy);
  for (const k of ["lightning_test_acc", "keras_val_acc", "max_pooling_test_acc"]) {
    assert(typeof flat[k] === "number", `summary.json ${k}`);
  }

  // Reproducibility: the same seed again (both styles only) gives identical figures, epoch by
  // epoch; only the timings may differ.
  const figures = async () => {
    const out: Record<string, unknown> = {};
    for (const style of ["keras", "lightning"]) {
      const m = JSON.parse(await Deno.readTextFile(`${outDir}/${style}/metrics.json`));
      out[style] = {
        test_accuracy: m.test_accuracy,
        confusion_matrix: m.confusion_matrix,
        history: m.history.map((h: Record<string, number>) =>
          Object.fromEntries(Object.entries(h).filter(([k]) => !k.includes("seconds")))
        ),
      };
    }
    return out;
  };
  const first = await figures();
  await runChapterQuick("chapters/02-cnn/cnn.ipynb", ["--styles-only"]);
  assertEquals(await figures(), first, "a repeat run with the same seed");
});
