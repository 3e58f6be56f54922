import * as tf from "@tensorflow/tfjs";
import { useWasm } from "../tfjs/backend.ts";
import { assertAlmostEquals, assertThrows } from "../testing/asserts.ts";
import { meanSmoothedCrossEntropy, smoothedCrossEntropy } from "./losses.ts";

await useWasm();

Deno.test("smoothedCrossEntropy: ε = 0 is categorical cross-entropy; ε > 0 mixes in uniform", () => {
  const y = tf.tensor2d([[1, 0, 0], [0, 0, 1]]);
  // Logits whose softmax is [0.7, 0.2, 0.1] and [0.25, 0.25, 0.5] (log-probabilities + a constant).
  const p = tf.tensor2d(
    [[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]].map((r) => r.map((v) => Math.log(v) + 3)),
  );
  const plain = smoothedCrossEntropy(0)(y, p).arraySync() as number[];
  assertAlmostEquals(plain[0], -Math.log(0.7), 1e-6);
  assertAlmostEquals(plain[1], -Math.log(0.5), 1e-6);
  const eps = 0.3;
  const smooth = smoothedCrossEntropy(eps)(y, p).arraySync() as number[];
  const t = [1 - eps + eps / 3, eps / 3, eps / 3];
  assertAlmostEquals(
    smooth[0],
    -(t[0] * Math.log(0.7) + t[1] * Math.log(0.2) + t[2] * Math.log(0.1)),
    1e-5,
  );
  assertAlmostEquals(
    meanSmoothedCrossEntropy(y, p, eps).dataSync()[0],
    (smooth[0] + smooth[1]) / 2,
    1e-6,
  );
  // A perfect, confident prediction still costs something under smoothing.
  const sure = smoothedCrossEntropy(0.1)(tf.tensor2d([[1, 0]]), tf.tensor2d([[40, 0]]));
  if (!(sure.dataSync()[0] > 1)) throw new Error(`smoothed loss of a sure answer ${sure}`);
  // Far-apart logits: log(softmax) would round the small probability to 0 (loss Infinity); the
  // log-softmax form stays exact: the loss is the logit gap.
  const far = smoothedCrossEntropy(0)(tf.tensor2d([[0, 1]]), tf.tensor2d([[200, 0]]));
  assertAlmostEquals(far.dataSync()[0], 200, 1e-3);
  assertThrows(() => smoothedCrossEntropy(1), Error, "epsilon");
  tf.dispose([y, p, sure, far]);
});
