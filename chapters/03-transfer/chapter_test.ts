import { assert, assertEquals } from "../../lib/testing/asserts.ts";
import { runsDir } from "../../lib/book/args.ts";
import { runChapterQuick } from "../../lib/book/run.ts";

const KEYS = [
  "supervised_test_acc_5",
  "supervised_test_acc_10",
  "contrastive_probe_test_acc_5",
  "random_probe_test_acc_5",
  "source_only_usps_test_acc",
  "dann_usps_test_acc",
];

Deno.test("chapter 3 runs top to bottom in quick mode and writes its summary", async () => {
  const outDir = runsDir("chapter3", "quick");
  await Deno.remove(`${outDir}/summary.json`).catch(() => {});
  const log = await runChapterQuick("chapters/03-transfer/transfer.ipynb");
  const summary = JSON.parse(await Deno.readTextFile(`${outDir}/summary.json`));
  for (const k of KEYS) {
    assert(typeof summary[k] === "number", `summary.${k} is a number`);
    assert(summary[k] >= 0 && summary[k] <= 1, `summary.${k} = ${summary[k]} is an accuracy`);
  }
  // Quick mode trains for seconds on 60 photos / 2,000 digits: the figures only have to be
  // better than the worst possible (no class ever right), which scrambled labels would give.
  assert(summary.source_only_usps_test_acc > 0.2, "source-only learned some digits");
  assert(summary.supervised_probe_test_acc_5 > 0.2, "probe above a scrambled-label score");
  assert(summary.simclr_final_loss > 0, "NT-Xent is positive");
  const metrics = JSON.parse(await Deno.readTextFile(`${outDir}/metrics.json`));
  assertEquals(metrics.mode, "quick");
  for (
    const f of [
      "imagenet-top1.png",
      "mnist-usps.png",
      "simclr-views.png",
      "confusion-transfer5.png",
    ]
  ) {
    assert((await Deno.stat(`${outDir}/${f}`)).size > 0, `${f} written`);
  }
  assert(log.includes('phase "all"'), "the Lightning fine-tune listed its variables");
});
