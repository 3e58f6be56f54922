/**
 * Seeded training repeats exactly: the same seed gives bit-identical histories and weights in both
 * styles (with dropout, GeM and flip + zoom augmentation, as chapter 2 trains), and nothing in the
 * loop draws from `Math.random`.
 */
import * as tf from "@tensorflow/tfjs";
import { useWasm } from "../tfjs/backend.ts";
import { cnnClassifier } from "../models/cnn_classifier.ts";
import { assert, assertEquals } from "../testing/asserts.ts";
import { blobDataset } from "./testdata/fixtures.ts";
import { composeAugments, randomFlipLeftRight } from "./batches.ts";
import { randomZoom } from "./zoom.ts";
import {
  endsInSoftmax,
  fitKeras,
  fitLightning,
  type FitResult,
  type FitSettings,
} from "./classifier.ts";

await useWasm();

const train = blobDataset(64, 1), val = blobDataset(24, 2);

async function run(
  fit: typeof fitKeras,
  seed: number,
): Promise<{ result: FitResult; weights: number[][] }> {
  const dir = await Deno.makeTempDir({ prefix: "repro-" });
  const settings: FitSettings = {
    epochs: 3,
    batchSize: 16,
    lr: 0.01,
    seed,
    augment: composeAugments(randomFlipLeftRight(), randomZoom()),
    log: () => {},
  };
  const model = cnnClassifier({
    numClasses: 3,
    imageSize: 8,
    channels: 1,
    filters: [4, 8],
    pooling: "gem",
    gemImpl: fit === fitLightning ? "customGrad" : "ops",
    dropout: 0.5,
    seed,
  });
  // Any use of Math.random inside training is a source of run-to-run differences: count them.
  const original = Math.random;
  let draws = 0;
  Math.random = () => (draws++, original());
  try {
    const result = await fit(model, train, val, settings, dir);
    assertEquals(draws, 0, "Math.random calls during training");
    const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
    return { result, weights };
  } finally {
    Math.random = original;
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
}

for (const [style, fit] of [["keras", fitKeras], ["lightning", fitLightning]] as const) {
  Deno.test(`${style} style: the same seed repeats exactly, another seed differs`, async () => {
    const a = await run(fit, 7), b = await run(fit, 7), c = await run(fit, 8);
    const strip = (r: FitResult) =>
      r.history.map(({ epoch, loss, acc, val_loss, val_acc }) => ({
        epoch,
        loss,
        acc,
        val_loss,
        val_acc,
      }));
    assertEquals(strip(a.result), strip(b.result), "histories");
    assertEquals(a.result.bestEpoch, b.result.bestEpoch);
    assertEquals(a.weights, b.weights, "final weights");
    assert(
      JSON.stringify(strip(a.result)) !== JSON.stringify(strip(c.result)),
      "a different seed trains differently",
    );
  });
}

Deno.test("a softmax-output model still trains on the right loss, with a warning", async () => {
  const logits = cnnClassifier({
    numClasses: 3,
    imageSize: 8,
    channels: 1,
    filters: [4],
    dropout: 0,
  });
  const input = tf.input({ shape: [8, 8, 1] });
  const probs = tf.model({
    inputs: input,
    outputs: tf.layers.activation({ activation: "softmax" }).apply(
      logits.apply(input) as tf.SymbolicTensor,
    ) as tf.SymbolicTensor,
    name: "with_softmax",
  });
  assert(!endsInSoftmax(logits) && endsInSoftmax(probs));
  for (const fit of [fitKeras, fitLightning]) {
    const dir = await Deno.makeTempDir({ prefix: "softmax-" });
    const lines: string[] = [];
    try {
      const r = await fit(probs, train, val, {
        epochs: 4,
        batchSize: 16,
        lr: 0.02,
        log: (l) => lines.push(l),
      }, dir);
      assert(lines.some((l) => l.includes("ends in a softmax")), "warning printed");
      assert(r.history.at(-1)!.loss < r.history[0].loss, "the loss goes down");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});
