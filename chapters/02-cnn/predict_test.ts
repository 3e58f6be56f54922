import * as tf from "@tensorflow/tfjs";
import sharp from "sharp";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
} from "../../lib/testing/asserts.ts";
import { cnnClassifier } from "../../lib/models/mod.ts";
import { fileIO, useWasm } from "../../lib/tfjs/mod.ts";
import {
  decodeImage,
  formatPredictions,
  loadClassifier,
  predictFiles,
  UnreadableImageError,
} from "./predict.ts";

await useWasm();

const CLASSES = ["hat", "pants", "shoes"];

/** A tiny GeM classifier saved with the metadata `deno task chapter2` publishes, plus test files. */
async function fixture(dir: string): Promise<{ model: string; png: string; jpg: string }> {
  const model = cnnClassifier({ numClasses: 3, imageSize: 16, filters: [4, 8], pooling: "gem" });
  model.setUserDefinedMetadata({ classes: CLASSES, imageSize: 16, resize: "cover" });
  await model.save(fileIO(`${dir}/model`));
  model.dispose();
  const red = { width: 40, height: 30, channels: 3 as const, background: "#c03020" };
  await sharp({ create: red }).png().toFile(`${dir}/red.png`);
  await sharp({ create: red }).jpeg().toFile(`${dir}/red.jpg`);
  return { model: `${dir}/model`, png: `${dir}/red.png`, jpg: `${dir}/red.jpg` };
}

Deno.test("predict: decodes, resizes and ranks classes; unreadable files get a clear error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "predict-" });
  try {
    const f = await fixture(dir);
    const pixels = await decodeImage(f.png, 16);
    assertEquals(pixels.length, 16 * 16 * 3);
    assert(Math.abs(pixels[0] - 0xc0 / 255) < 1e-6 && Math.abs(pixels[2] - 0x20 / 255) < 1e-6);

    await Deno.writeTextFile(`${dir}/notes.jpg`, "<html>not an image</html>");
    await Deno.writeFile(`${dir}/empty.png`, new Uint8Array());
    const truncated = (await Deno.readFile(f.jpg)).subarray(0, 40);
    await Deno.writeFile(`${dir}/truncated.jpg`, truncated);
    await assertRejects(
      () => decodeImage(`${dir}/notes.jpg`, 16),
      UnreadableImageError,
      "notes.jpg",
    );
    await assertRejects(
      () => decodeImage(`${dir}/missing.png`, 16),
      UnreadableImageError,
      "no such file",
    );
    await assertRejects(
      () => decodeImage(`${dir}/empty.png`, 16),
      UnreadableImageError,
      "empty file",
    );

    const classifier = await loadClassifier(f.model);
    const files = [f.png, `${dir}/notes.jpg`, f.jpg, `${dir}/truncated.jpg`];
    const preds = await predictFiles(classifier, files, 2);
    assertEquals(preds.map((p) => p.error === undefined), [true, false, true, false]);
    const top = preds[0].top!;
    assertEquals(top.length, 2);
    assert(CLASSES.includes(top[0].label) && top[0].probability >= top[1].probability);
    const lines = formatPredictions(preds);
    assertStringIncludes(lines[1], "notes.jpg: cannot read as an image");
    assertStringIncludes(lines[3], "truncated.jpg: cannot read as an image");
    classifier.model.dispose();
    await assertRejects(() => loadClassifier(`${dir}/nowhere`), Error, "deno task chapter2");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task predict: prints top-k per file, errors on stderr, exit status 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "predict-cli-" });
  try {
    const f = await fixture(dir);
    await Deno.writeTextFile(`${dir}/bad.png`, "garbage");
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "chapters/02-cnn/predict.ts",
        `--model=${f.model}`,
        "--top=3",
        f.png,
        `${dir}/bad.png`,
      ],
      cwd: new URL("../..", import.meta.url).pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(run.stdout), err = new TextDecoder().decode(run.stderr);
    assertEquals(run.code, 1, `${out}\n${err}`);
    const line = out.trim().split("\n").find((l) => l.startsWith(f.png));
    assert(line !== undefined, out);
    assertEquals(line.split(",").length, 3, line);
    assertStringIncludes(err, "bad.png: cannot read as an image");
    const usage = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "chapters/02-cnn/predict.ts"],
      cwd: new URL("../..", import.meta.url).pathname,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(usage.code, 2);
    assertStringIncludes(new TextDecoder().decode(usage.stderr), "usage: deno task predict");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  tf.disposeVariables();
});
