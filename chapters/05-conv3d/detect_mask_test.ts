import * as tf from "@tensorflow/tfjs";
import sharp from "sharp";
import { assert, assertEquals, assertStringIncludes } from "../../lib/testing/asserts.ts";
import { mirrorDirsFor, projectRoot } from "../../lib/data/mod.ts";
import { cnnClassifier } from "../../lib/models/mod.ts";
import { fileIO, useWasm } from "../../lib/tfjs/mod.ts";
import { loadMaskDetector } from "./detect_mask.ts";

const FACE = "without_mask/0_0_aidai_0014.jpg";
function mirrorFace(): string | undefined {
  for (const d of mirrorDirsFor()) {
    try {
      if (Deno.statSync(`${d}/face-mask/${FACE}`).isFile) return `${d}/face-mask/${FACE}`;
    } catch { /* not in this mirror */ }
  }
  return undefined;
}

async function runCli(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "chapters/05-conv3d/detect_mask.ts", ...args],
    cwd: projectRoot(),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test({
  name:
    "detect-mask: labelled boxes and annotated image, 'no face', and a clear unreadable-file error",
  ignore: mirrorFace() === undefined,
  fn: async () => {
    await useWasm();
    const dir = await Deno.makeTempDir();
    try {
      // An untrained classifier with the metadata the chapter saves: this test checks the
      // pipeline and the command line, not the classifier's accuracy (the chapter measures that).
      const model = cnnClassifier({ numClasses: 2, imageSize: 64, filters: [4, 8], seed: 1 });
      model.setUserDefinedMetadata({
        classes: ["with_mask", "without_mask"],
        imageSize: 64,
        margin: 0.2,
        minScore: 0.55,
      });
      await model.save(fileIO(`${dir}/model`));
      // The detector's threshold is the one the training crops were cut with, unless overridden.
      assertEquals((await loadMaskDetector(`${dir}/model`)).options.minScore, 0.55);
      assertEquals((await loadMaskDetector(`${dir}/model`, 0.7)).options.minScore, 0.7);
      const face = await sharp(mirrorFace()!).resize(120, 120, { fit: "inside" }).toBuffer();
      const bg = {
        width: 400,
        height: 300,
        channels: 3 as const,
        background: { r: 120, g: 150, b: 90 },
      };
      await sharp({ create: bg }).composite([{ input: face, left: 200, top: 100 }]).png()
        .toFile(`${dir}/one-face.png`);
      await sharp({ create: bg }).png().toFile(`${dir}/empty.png`);
      await Deno.writeTextFile(`${dir}/broken.jpg`, "this is not an image");

      const files = ["one-face.png", "empty.png", "broken.jpg"].map((f) => `${dir}/${f}`);
      const r = await runCli([`--model=${dir}/model`, "--out", `${dir}/out`, ...files]);
      assertEquals(r.code, 1, "an unreadable file makes the exit status 1");
      const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assertEquals(lines.length, 3);
      const [one, empty, broken] = lines;
      assertEquals(one.faces.length, 1);
      const [x, y, w, h] = one.faces[0].box;
      const inter = Math.max(0, Math.min(x + w, 320) - Math.max(x, 200)) *
        Math.max(0, Math.min(y + h, 100 + 120) - Math.max(y, 100));
      const union = w * h + 120 * 120 - inter;
      assert(inter / union >= 0.5, `IoU with the pasted face ${inter / union}`);
      assert(["with_mask", "without_mask"].includes(one.faces[0].label));
      assert((await Deno.stat(`${dir}/out/one-face.annotated.png`)).size > 0);
      assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/out/one-face.json`)).faces.length, 1);
      assertEquals(empty.faces, []);
      assertStringIncludes(r.stderr, `${dir}/empty.png: no face found`);
      assertStringIncludes(broken.error, `cannot read image ${dir}/broken.jpg`);
      assertStringIncludes(r.stderr, `error: cannot read image ${dir}/broken.jpg`);

      const missing = await runCli([`--model=${dir}/nothing-here`, files[0]]);
      assertEquals(missing.code, 1);
      assertStringIncludes(missing.stderr, "cannot load the mask classifier");
    } finally {
      await Deno.remove(dir, { recursive: true });
      tf.disposeVariables();
    }
  },
});
