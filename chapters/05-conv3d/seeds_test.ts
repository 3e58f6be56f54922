import { assertAlmostEquals, assertEquals, assertThrows } from "../../lib/testing/asserts.ts";
import { parseSweepArgs, readSeedRun, type SeedRun, sweepFigures, withoutSweep } from "./seeds.ts";

const run = (style: string, seed: number, auc: number, acc: number): SeedRun => ({
  style,
  seed,
  test_auc: auc,
  test_acc: acc,
  epochs: 40,
  best_epoch: 30,
  train_seconds: 100 * seed,
  val_auc: auc - 0.01,
});

Deno.test("sweepFigures: means and sample deviations per style; the headline is the Keras style", () => {
  const runs = [
    run("keras", 1, 0.89, 0.84),
    run("keras", 2, 0.91, 0.82),
    run("keras", 3, 0.90, 0.86),
    run("lightning", 1, 0.89, 0.84),
    run("lightning", 2, 0.91, 0.82),
    run("lightning", 3, 0.93, 0.80),
  ];
  const f = sweepFigures(runs, ["keras", "lightning"]);
  assertAlmostEquals(f.adrenal_keras_test_auc_mean3, 0.90, 1e-12);
  assertAlmostEquals(f.adrenal_keras_test_auc_std3, 0.01, 1e-12); // sample std (n - 1)
  assertAlmostEquals(f.adrenal_keras_test_acc_std3, 0.02, 1e-12);
  assertAlmostEquals(f.adrenal_lightning_test_auc_mean3, 0.91, 1e-12);
  assertAlmostEquals(f.adrenal_keras_val_auc_mean3, 0.89, 1e-12);
  assertEquals(f.adrenal_keras_seconds_mean3, 200);
  assertEquals(f.adrenal_test_auc, f.adrenal_keras_test_auc_mean3);
  assertEquals(f.adrenal_test_acc, f.adrenal_keras_test_acc_mean3);
  assertEquals(f.adrenal_test_auc_std, f.adrenal_keras_test_auc_std3);
  assertEquals([f.adrenal_seeds, f.adrenal_sweep_seeds, f.adrenal_sweep_epochs], [3, 3, 40]);
  assertThrows(() => sweepFigures(runs.slice(0, 5), ["keras", "lightning"]), Error, "lightning");
  assertThrows(
    () =>
      sweepFigures([run("keras", 1, 0.9, 0.8), { ...run("keras", 2, 0.9, 0.8), epochs: 6 }], [
        "keras",
      ]),
    Error,
    "different epochs",
  );
});

Deno.test("withoutSweep drops only an earlier sweep's figures", () => {
  const summary = {
    adrenal_test_auc: 0.9,
    adrenal_keras_test_auc: 0.88,
    adrenal_keras_test_auc_mean3: 0.9,
    adrenal_lightning_seconds_std3: 3,
    adrenal_sweep_seeds: 3,
    adrenal_sweep_epochs: 40,
    adrenal_seeds: 3,
    modelnet_test_acc: 1,
    mask_classifier_test_acc: 0.97,
  };
  assertEquals(withoutSweep(summary), {
    adrenal_keras_test_auc: 0.88,
    modelnet_test_acc: 1,
    mask_classifier_test_acc: 0.97,
  });
  // No sweep yet: the default run's own headline figures stay.
  const own = { adrenal_test_auc: 0.89, adrenal_seeds: 1 };
  assertEquals(withoutSweep(own), own);
});

Deno.test("parseSweepArgs: defaults, the sweep's options, the rest goes to the notebook", () => {
  const a = parseSweepArgs([]);
  assertEquals([a.seeds, a.styles, a.epochs], [[1, 2, 3], ["keras", "lightning"], 40]);
  const b = parseSweepArgs([
    "--seeds=4,5",
    "--styles",
    "keras",
    "--epochs",
    "6",
    "--foo",
    "--rerun",
  ]);
  assertEquals([b.seeds, b.styles, b.epochs, b.rerun, b.rest], [[4, 5], ["keras"], 6, true, [
    "--foo",
  ]]);
  assertThrows(() => parseSweepArgs(["--seeds", "1,x"]), Error, "--seeds");
  assertThrows(() => parseSweepArgs(["--seeds", "0,1"]), Error, ">= 1"); // the notebook refuses seed 0 too
  assertThrows(() => parseSweepArgs(["--styles", "lightning"]), Error, "--styles");
  assertThrows(() => parseSweepArgs(["--epochs", "0"]), Error, "--epochs");
  assertThrows(() => parseSweepArgs(["--adrenal-only"]), Error, "set by the sweep");
  assertThrows(() => parseSweepArgs(["--epochs"]), Error, "needs a value");
});

Deno.test("readSeedRun reads a run's metrics.json and names the file when it is wrong", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ch5-seeds-" });
  try {
    assertEquals(await readSeedRun(dir, "keras", 2), undefined);
    await Deno.mkdir(`${dir}/keras-seed2`);
    const metrics = {
      style: "keras",
      seed: 2,
      test_auc: 0.9,
      test_acc: 0.85,
      best_epoch: 2,
      epochs: 3,
      train_seconds: 12,
      history: [{ val_auc: 0.8 }, { val_auc: 0.87 }, { val_auc: 0.85 }],
    };
    await Deno.writeTextFile(`${dir}/keras-seed2/metrics.json`, JSON.stringify(metrics));
    const r = await readSeedRun(dir, "keras", 2);
    assertEquals(r?.val_auc, 0.87);
    assertEquals(r?.test_acc, 0.85);
    await Deno.writeTextFile(
      `${dir}/keras-seed2/metrics.json`,
      JSON.stringify({ ...metrics, seed: 3 }),
    );
    const err = await readSeedRun(dir, "keras", 2).then(() => "", (e) => String(e));
    assertEquals(err.includes("keras-seed2/metrics.json is from seed 3"), true, err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
