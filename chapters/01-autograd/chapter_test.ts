import { assert, assertEquals } from "../../lib/testing/asserts.ts";
import { runsDir } from "../../lib/book/args.ts";
import { runChapterQuick } from "../../lib/book/run.ts";

Deno.test("chapter 1 runs top to bottom in quick mode and writes its results", async () => {
  const outDir = runsDir("chapter1", "quick");
  for (const file of ["metrics.json", "summary.json"]) {
    await Deno.remove(`${outDir}/${file}`).catch(() => {});
  }
  await runChapterQuick("chapters/01-autograd/autograd.ipynb");
  const metrics = JSON.parse(await Deno.readTextFile(`${outDir}/metrics.json`));
  assertEquals(metrics.mode, "quick");
  for (const model of ["mlp", "cnn"]) {
    const m = metrics[model];
    // One epoch on 2,000 digits: far from the full run's figures, far above chance (10%).
    assert(m.test_accuracy > 0.6 && m.test_accuracy <= 1, `${model} accuracy ${m.test_accuracy}`);
    assertEquals(m.epochs, 1);
    assert(m.train_seconds > 0);
  }
  // The headline figures the site and checks read: a flat map of numbers.
  const summary = JSON.parse(await Deno.readTextFile(`${outDir}/summary.json`));
  assertEquals(summary.mlp_test_acc, metrics.mlp.test_accuracy);
  assertEquals(summary.cnn_test_acc, metrics.cnn.test_accuracy);
  assert(Object.values(summary).every((v) => typeof v === "number"), "summary holds numbers");
  // Train/validation/test: 2,000 + 500 of the training images, 500 test images.
  assertEquals([metrics.train_examples, metrics.validation_examples], [2000, 500]);
  for (
    const file of [
      "mlp.safetensors",
      "cnn.safetensors",
      "cnn-confusion.png",
      "cnn-mistakes.png",
      "gelu-vs-relu.png",
      "optimizers.png",
      "reliability.png",
    ]
  ) {
    assert((await Deno.stat(`${outDir}/${file}`)).size > 0, `${file} written`);
  }
});
