import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import { loadMnist } from "../data/mod.ts";
import { checkLabelledData, evaluate, fitClassifier } from "./classifier.ts";
import { Linear, ReLU, Sequential } from "./nn.ts";
import { Adam } from "./optim.ts";
import { Rng } from "./random.ts";

Deno.test("fitClassifier learns MNIST digits from 1,000 examples, deterministically", async () => {
  const mnist = await loadMnist({ limitTrain: 1000, limitTest: 500 });
  const train = { inputs: mnist.train.images, labels: mnist.train.labels, exampleShape: [784] };
  const test = { inputs: mnist.test.images, labels: mnist.test.labels, exampleShape: [784] };
  const run = () => {
    const rng = new Rng(1);
    const model = new Sequential(new Linear(784, 64, rng), new ReLU(), new Linear(64, 10, rng));
    const before = evaluate(model, test, 10);
    const history = fitClassifier(
      model,
      new Adam(model.parameters(), { lr: 2e-3 }),
      train,
      test,
      10,
      {
        epochs: 3,
        batchSize: 50,
        rng,
      },
    );
    return { before, history, after: evaluate(model, test, 10) };
  };
  const first = run();
  assert(
    first.before.report!.accuracy < 0.3,
    `untrained accuracy ${first.before.report!.accuracy}`,
  );
  assert(first.after.report!.accuracy > 0.8, `trained accuracy ${first.after.report!.accuracy}`);
  assert(first.history[2].trainLoss < first.history[0].trainLoss, "training loss falls");
  assertEquals(first.after.report!.confusion.flat().reduce((a, b) => a + b, 0), 500);
  const diagonal = first.after.report!.confusion.reduce((s, row, i) => s + row[i], 0);
  assertEquals(diagonal / 500, first.after.report!.accuracy);
  assertEquals(run().history.map((h) => h.valLoss), first.history.map((h) => h.valLoss));
});

Deno.test("labelled data with mismatched sizes is rejected naming the field", () => {
  assertThrows(
    () =>
      checkLabelledData({
        inputs: new Float32Array(10),
        labels: new Uint8Array(3),
        exampleShape: [4],
      }, "train"),
    Error,
    "train: inputs hold 10 values, expected 3 examples × 4",
  );
});
