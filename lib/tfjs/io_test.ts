import * as tf from "@tensorflow/tfjs";
import { useWasm } from "./backend.ts";
import { fileIO, MODEL_JSON, registerFileRouter, WEIGHTS_BIN } from "./io.ts";
import { seededValues } from "./reference.ts";

await useWasm();

/** A custom layer with one trainable per-channel scale, to check registerClass round trips. */
class ChannelScale extends tf.layers.Layer {
  static className = "ChannelScale";
  private scale: tf.LayerVariable | null = null;
  constructor(config: tf.serialization.ConfigDict = {}) {
    super(config);
  }
  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = inputShape as tf.Shape;
    this.scale = this.addWeight(
      "scale",
      [shape[shape.length - 1] as number],
      "float32",
      tf.initializers.ones(),
    );
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() =>
      tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, (this.scale as tf.LayerVariable).read())
    );
  }
  override getClassName(): string {
    return ChannelScale.className;
  }
}
tf.serialization.registerClass(ChannelScale);

function makeModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({
    inputShape: [6, 6, 1],
    filters: 2,
    kernelSize: 3,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
  }));
  model.add(new ChannelScale({ name: "scale" }));
  model.add(tf.layers.flatten());
  model.add(
    tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
  );
  model.compile({ optimizer: tf.train.adam(0.01), loss: "meanSquaredError" });
  return model;
}

Deno.test("fileIO round trip: identical predictions, custom layer, training continues", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tfjs-io-" });
  try {
    const x = tf.tensor4d(seededValues(8 * 36, 1), [8, 6, 6, 1]);
    const y = tf.tensor2d(seededValues(8 * 3, 2), [8, 3]);
    const model = makeModel();
    await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, shuffle: false });
    await model.save(fileIO(dir), { includeOptimizer: true });

    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/${MODEL_JSON}`));
    if (manifest.format !== "layers-model") throw new Error(`format ${manifest.format}`);
    if (manifest.weightsManifest[0].paths[0] !== WEIGHTS_BIN) throw new Error("weights path");
    const bytes = (await Deno.stat(`${dir}/${WEIGHTS_BIN}`)).size;
    const expected = manifest.weightsManifest[0].weights.reduce(
      (s: number, w: { shape: number[] }) =>
        s + 4 * w.shape.reduce((a: number, b: number) => a * b, 1),
      0,
    );
    if (bytes !== expected) throw new Error(`weights.bin has ${bytes} bytes, manifest ${expected}`);

    registerFileRouter();
    const viaHandler = await tf.loadLayersModel(fileIO(dir));
    const viaUrl = await tf.loadLayersModel(`file://${dir}/${MODEL_JSON}`);
    const want = model.predict(x) as tf.Tensor;
    for (const loaded of [viaHandler, viaUrl]) {
      const got = loaded.predict(x) as tf.Tensor;
      const diff = tf.max(tf.abs(tf.sub(got, want))).dataSync()[0];
      if (diff !== 0) throw new Error(`predictions differ by ${diff}`);
      if (!loaded.layers.some((l) => l instanceof ChannelScale)) {
        throw new Error("custom layer lost");
      }
    }

    // The optimizer state travels too: one more epoch gives the same loss on both.
    const next = await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, shuffle: false });
    const cont = await viaHandler.fit(x, y, {
      epochs: 1,
      batchSize: 8,
      verbose: 0,
      shuffle: false,
    });
    const a = next.history.loss[0] as number, b = cont.history.loss[0] as number;
    if (Math.abs(a - b) > 1e-6 * Math.max(1, a)) throw new Error(`resumed loss ${b} vs ${a}`);

    // And `file://` saving goes through the router.
    await viaUrl.save(`file://${dir}/again`);
    await Deno.stat(`${dir}/again/${MODEL_JSON}`);
    tf.dispose([x, y, want]);
    for (const m of [model, viaHandler, viaUrl]) m.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
