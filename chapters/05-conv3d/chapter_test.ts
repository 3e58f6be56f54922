import { assert, assertEquals, assertStringIncludes } from "../../lib/testing/asserts.ts";
import { runsDir } from "../../lib/book/args.ts";
import { runChapterQuick } from "../../lib/book/run.ts";

const KEYS = [
  "adrenal_test_auc",
  "adrenal_test_acc",
  "adrenal_lightning_test_auc",
  "adrenal_2_5d_test_auc",
  "modelnet_test_acc",
];

Deno.test("chapter 5 runs top to bottom in quick mode and writes its summary", async () => {
  const outDir = runsDir("chapter5", "quick");
  await Deno.remove(`${outDir}/summary.json`).catch(() => {});
  const log = await runChapterQuick("chapters/05-conv3d/conv3d.ipynb");

  const summary = JSON.parse(await Deno.readTextFile(`${outDir}/summary.json`));
  for (const key of KEYS) {
    // Quick mode trains one short epoch: the figures only have to be valid numbers in [0, 1].
    assert(summary[key] >= 0 && summary[key] <= 1, `${key} = ${summary[key]}`);
  }
  // Both styles start from the same seeded weights and see the same batches: same result.
  assertEquals(summary.adrenal_lightning_test_auc, summary.adrenal_test_auc);
  // The hand-written loops agree with tf.conv3d, and the two AUC computations agree exactly.
  const diff = /max \|loops - tf\.conv3d\| = ([0-9.e+-]+)/.exec(log);
  assert(diff && Number(diff[1]) < 1e-4, `conv3d loops vs tfjs: ${diff?.[1]}`);
  const auc = /AUC by pairs ([0-9.]+), by ranks ([0-9.]+)/.exec(log);
  assert(auc && auc[1] === auc[2], "AUC by pairs and by ranks differ");
  for (
    const file of [
      "adrenal-slices.png",
      "adrenal-roc.png",
      "adrenal-3d.html",
      "adrenal-kernels.png",
    ]
  ) {
    assert((await Deno.stat(`${outDir}/${file}`)).size > 0, file);
  }
  for (const run of ["keras-seed1", "lightning-seed1", "keras-2.5d", "keras-modelnet"]) {
    const metrics = JSON.parse(await Deno.readTextFile(`${outDir}/${run}/metrics.json`));
    assert(metrics.history.length === 1, `${run}: one epoch in quick mode`);
  }
  assertStringIncludes(log, 'always answering "normal" scores ACC 0.768');
});

Deno.test("chapter 5's seed sweep trains the notebook's 3D CNN per seed and writes mean and spread", async () => {
  const outDir = runsDir("chapter5", "quick");
  await Deno.remove(`${outDir}/seed-2`, { recursive: true }).catch(() => {});
  const before = JSON.parse(await Deno.readTextFile(`${outDir}/summary.json`).catch(() => "{}"));
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "chapters/05-conv3d/seeds.ts",
      "--quick",
      "--seeds",
      "2",
      "--styles",
      "keras",
    ],
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  const log = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert(out.success, log);
  const run = JSON.parse(await Deno.readTextFile(`${outDir}/seed-2/keras-seed2/metrics.json`));
  const summary = JSON.parse(await Deno.readTextFile(`${outDir}/summary.json`));
  assertEquals(summary.adrenal_test_auc, run.test_auc);
  assertEquals(summary.adrenal_keras_test_acc_mean1, run.test_acc);
  assertEquals(summary.adrenal_sweep_seeds, 1);
  // --adrenal-only: no baseline, no ModelNet10 in the sweep's run; the chapter's own figures stay.
  await Deno.stat(`${outDir}/seed-2/keras-2.5d`).then(
    () => assert(false, "the sweep ran the 2.5D baseline"),
    () => {},
  );
  if (before.modelnet_test_acc !== undefined) {
    assertEquals(summary.modelnet_test_acc, before.modelnet_test_acc);
  }
  // Adding the Lightning style reads the seed's Keras run back instead of training it again.
  const both = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "chapters/05-conv3d/seeds.ts", "--quick", "--seeds", "2"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seedLog = await Deno.readTextFile(`${outDir}/seed-logs/seed-2-lightning.log`);
  // The Keras style's log is kept.
  assertStringIncludes(
    await Deno.readTextFile(`${outDir}/seed-logs/seed-2.log`),
    "styles keras, AdrenalMNIST3D only",
  );
  assert(both.success, new TextDecoder().decode(both.stderr) + seedLog);
  assertStringIncludes(seedLog, "Keras seed 2: read back from");
  assertEquals(
    JSON.parse(await Deno.readTextFile(`${outDir}/seed-2/keras-seed2/metrics.json`)),
    run,
  );
  const lightning = JSON.parse(
    await Deno.readTextFile(`${outDir}/seed-2/lightning-seed2/metrics.json`),
  );
  const after = JSON.parse(await Deno.readTextFile(`${outDir}/summary.json`));
  assertEquals(after.adrenal_test_auc, run.test_auc);
  assertEquals(after.adrenal_lightning_test_auc_mean1, lightning.test_auc);
});

Deno.test("chapter 5's face-mask notebook runs in quick mode and adds its figures to the summary", async () => {
  const outDir = runsDir("chapter5", "quick");
  await Deno.remove(`${outDir}/mask`, { recursive: true }).catch(() => {});
  const log = await runChapterQuick("chapters/05-conv3d/face_mask.ipynb");
  const summary = JSON.parse(await Deno.readTextFile(`${outDir}/summary.json`));
  for (
    const key of [
      "mask_classifier_test_acc",
      "mask_lightning_test_acc",
      "mask_detection_recall",
      "mask_detection_precision",
    ]
  ) {
    assert(summary[key] >= 0 && summary[key] <= 1, `${key} = ${summary[key]}`);
  }
  assert(summary.mask_faces_pasted > 0);
  // What the dataset builder caught in the dirty source folder is on the page.
  assertStringIncludes(log, "dropped, duplicate:");
  assertStringIncludes(log, "near-duplicate groups kept whole in one split:");
  // The classifier trains on the detector's own face crops; photos without a face are counted.
  assert(/train +96 photos: no face found in \d+/.test(log), "crop counts per split on the page");
  assert(summary.mask_no_face_photos >= 0);
  assert((await Deno.stat(`${outDir}/mask/crops.png`)).size > 0);
  assert((await Deno.stat(`${outDir}/mask-model/model.json`)).size > 0);
  assert((await Deno.stat(`${outDir}/mask/composed-annotated.png`)).size > 0);
});
