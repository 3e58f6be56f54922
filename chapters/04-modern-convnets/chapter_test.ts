import { assert, assertEquals } from "../../lib/testing/asserts.ts";
import { runsDir } from "../../lib/book/args.ts";
import { runChapterQuick } from "../../lib/book/run.ts";

Deno.test("chapter 4 runs top to bottom in quick mode and writes its summary", async () => {
  const outDir = runsDir("chapter4", "quick");
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  const log = await runChapterQuick("chapters/04-modern-convnets/modern_convnets.ipynb");

  const summary = JSON.parse(await Deno.readTextFile(`${outDir}/summary.json`));
  assertEquals(summary.mode, "quick");
  // The parameter counts are those of the full-size networks, in quick mode too.
  assertEquals(summary.xception_params_1000, 22_910_480);
  assertEquals(summary.squeezenet_params_1000, 1_235_496);
  for (const key of ["squeezenet_test_acc_10", "xception_test_acc_10"]) {
    // Two epochs on 240 images: at least better than nothing (the largest class is ~22% of the
    // test subset; a broken pipeline scores near 0 or exactly one class's share below it).
    assert(summary[key] > 0.1 && summary[key] <= 1, `${key} = ${summary[key]}`);
  }
  assertEquals(summary.xception_full_step_size, 71);
  assert(summary.xception_full_step_seconds > 0, "the full-size step was timed");
  for (
    const key of ["squeezenet_keras_train_cpu_minutes", "xception_lightning_train_cpu_minutes"]
  ) {
    assert(summary[key] > 0, `${key}: the fit's CPU time was measured`);
  }
  for (const [dir, style] of [["squeezenet-keras", "keras"], ["xception-lightning", "lightning"]]) {
    const m = JSON.parse(await Deno.readTextFile(`${outDir}/${dir}/metrics.json`));
    assertEquals(m.style, style);
    assertEquals(m.epochs, 2);
    assertEquals(m.confusion_matrix.length, 10);
    let events = 0;
    for await (const e of Deno.readDir(`${outDir}/${dir}`)) {
      if (e.name.startsWith("events.out.tfevents")) events++;
    }
    assert(events >= 1, `${dir}: TensorBoard events`);
  }
  for (const png of ["diagram-fire2.png", "diagram-xception-block3.png", "cost-xception.png"]) {
    assert((await Deno.stat(`${outDir}/${png}`)).size > 0, `${png} written`);
  }
  // Where a Python with Keras is present (CI makes one), the export round trip ran and agreed.
  if (log.includes("tfjs vs Keras")) {
    assert(
      summary.keras_export_max_abs_diff <= 1e-5,
      `export diff ${summary.keras_export_max_abs_diff}`,
    );
  }
});
