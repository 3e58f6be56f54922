import { assert, assertEquals } from "../../lib/testing/asserts.ts";
import { runsDir } from "../../lib/book/args.ts";
import { runChapterQuick } from "../../lib/book/run.ts";

Deno.test("chapter 1 runs top to bottom in quick mode and writes its results", async () => {
  const outDir = runsDir("chapter1", "quick");
  await Deno.remove(`${outDir}/metrics.json`).catch(() => {});
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
  for (
    const file of ["mlp.safetensors", "cnn.safetensors", "cnn-confusion.png", "cnn-mistakes.png"]
  ) {
    assert((await Deno.stat(`${outDir}/${file}`)).size > 0, `${file} written`);
  }
});
