/**
 * The Keras export round trip: our model → tfjs files → `tools/tfjs_to_keras.py` → a Keras 3
 * `.keras` file → loaded by Keras → the same predictions as tfjs on a batch (≤ 1e-5).
 *
 * Needs a Python with Keras 3 (see `keras_export.ts`); without one the test is skipped with a
 * message, except under CI (env `CI` set), where it fails. The one-epoch distributed training run
 * (`tools/train_distributed.py`) is slower and runs only with `BOOK_SLOW_TESTS=1`.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects } from "../testing/asserts.ts";
import { useWasm } from "../tfjs/backend.ts";
import { seededValues } from "../tfjs/reference.ts";
import { exportToKeras, kerasPython, npyFloat32 } from "./keras_export.ts";
import { squeezeNet } from "./squeezenet.ts";
import { xception } from "./xception.ts";
import { parseNpy } from "../data/npy.ts";
import { projectRoot } from "../data/assets.ts";

await useWasm();

const python = kerasPython();
const inCI = Deno.env.get("CI") != null;
if (python == null && !inCI) {
  console.warn(
    "keras_export_test: skipped, no Python with Keras (set KERAS_PYTHON, or: python3 -m venv " +
      "data/cache/keras-venv && data/cache/keras-venv/bin/pip install tensorflow-cpu==2.21.0)",
  );
}

/**
 * Every weight set to seeded values — batch-norm scales and variances in [0.5, 1.5), the rest in
 * [-0.2, 0.2) — so that a weight put in the wrong place or left out changes the predictions.
 */
function scrambleWeights(model: tf.LayersModel, seed: number) {
  model.setWeights(model.weights.map((w, i) => {
    const positive = /gamma|moving_variance/.test(w.name);
    const shape = w.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(seededValues(n, seed + i, positive ? 0.5 : -0.2, positive ? 1.5 : 0.2), shape);
  }));
}

Deno.test("npyFloat32 writes what the .npy reader reads", () => {
  const data = new Float32Array([1, -2.5, 3e-7, 4, 5, 6]);
  const back = parseNpy(npyFloat32(data, [2, 3]), "x.npy");
  assertEquals(back.shape, [2, 3]);
  assertEquals(Array.from(back.data as Float32Array), Array.from(data));
});

Deno.test({
  name: "exportToKeras: Xception and SqueezeNet load in Keras 3 and predict as tfjs does",
  ignore: python == null && !inCI,
  async fn() {
    if (python == null) throw new Error("CI: no Python with Keras (see this file's header)");
    const dir = await Deno.makeTempDir({ prefix: "keras-export-" });
    try {
      const x = tf.tensor4d(seededValues(4 * 40 * 40 * 3, 9, 0, 1), [4, 40, 40, 3]);
      const models = [
        xception({ imageSize: 40, numClasses: 5, widthMultiplier: 0.125, middleBlocks: 1 }),
        // Xception returns logits (the default), this SqueezeNet probabilities (a final softmax).
        squeezeNet({ imageSize: 40, numClasses: 5, widthMultiplier: 0.25, softmax: true }),
      ];
      for (const [i, model] of models.entries()) {
        scrambleWeights(model, 10 * i);
        const r = await exportToKeras(model, `${dir}/${model.name}.keras`, { checkBatch: x });
        assertEquals(r.kerasParams, model.countParams(), `${model.name} parameters`);
        assert(r.maxAbsDiff! <= 1e-5, `${model.name}: predictions differ by ${r.maxAbsDiff}`);
        assert((await Deno.stat(r.file)).size > 10_000, "the .keras file");
        model.dispose();
      }
      x.dispose();
      // A broken model.json is reported with its path, and no .keras file is left behind.
      await Deno.writeTextFile(`${dir}/xception.tfjs/model.json`, "{");
      const run = await new Deno.Command(python, {
        args: [
          `${projectRoot()}/tools/tfjs_to_keras.py`,
          `${dir}/xception.tfjs`,
          `${dir}/bad.keras`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(run.code, 1);
      assert(new TextDecoder().decode(run.stderr).includes("model.json"), "names the file");
      await assertRejects(() => Deno.stat(`${dir}/bad.keras`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "tools/train_distributed.py trains an exported model one epoch under MirroredStrategy",
  ignore: python == null || Deno.env.get("BOOK_SLOW_TESTS") !== "1",
  async fn() {
    const { ensureDataset } = await import("../dataset/mod.ts");
    const ds = await ensureDataset(`${projectRoot()}/lib/dataset/configs/clothing10.json`, {
      log: () => {},
    });
    const dir = await Deno.makeTempDir({ prefix: "keras-dist-" });
    try {
      const model = xception({
        imageSize: 64,
        numClasses: 10,
        widthMultiplier: 0.125,
        middleBlocks: 1,
      });
      const r = await exportToKeras(model, `${dir}/x.keras`);
      model.dispose();
      const run = await new Deno.Command(python!, {
        args: [
          `${projectRoot()}/tools/train_distributed.py`,
          "--model",
          r.file,
          "--dataset",
          ds.dir,
          "--epochs",
          "1",
          "--out",
          `${dir}/trained.keras`,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(run.stdout);
      assert(
        run.success,
        `train_distributed failed:\n${out}\n${new TextDecoder().decode(run.stderr)}`,
      );
      const summary = JSON.parse(out.trim().split("\n").at(-1)!);
      assertEquals(summary.replicas, 1);
      assertEquals(summary.epochs, 1);
      assert(summary.test_accuracy > 0 && summary.test_accuracy <= 1, "test accuracy");
      assert((await Deno.stat(`${dir}/trained.keras`)).size > 10_000, "the trained model");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
