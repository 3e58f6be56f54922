/**
 * A few seeded computations on the wasm backend, printed as JSON: what `wasm_threads_test.ts`
 * compares between processes with different `BOOK_THREADS` (the thread count is fixed per
 * process). `deno run -A lib/tfjs/wasm_threads_probe.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { useWasm, wasmThreads } from "./backend.ts";

/** What one probe run prints. */
export interface ProbeResult {
  threads: number;
  /** Output values of each computation, by name. */
  values: Record<string, number[]>;
}

function seeded(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, "float32", seed);
}

/** Runs the computations (XNNPACK convolutions, products, pooling, and a training step). */
export async function probe(): Promise<ProbeResult> {
  await useWasm();
  const values: Record<string, number[]> = {};
  const keep = (name: string, t: tf.Tensor) => {
    values[name] = Array.from(t.dataSync());
  };
  tf.tidy(() => {
    const x = seeded([4, 20, 20, 8], 1) as tf.Tensor4D;
    const w = seeded([3, 3, 8, 16], 2) as tf.Tensor4D;
    keep("conv2d", tf.conv2d(x, w, 1, "same"));
    const dy = seeded([4, 10, 10, 16], 3) as tf.Tensor4D;
    const [dx, dw] = tf.grads((...t: tf.Tensor[]) =>
      tf.conv2d(t[0] as tf.Tensor4D, t[1] as tf.Tensor4D, 2, "same").mul(dy).sum()
    )([x, w]);
    keep("conv2d_dx", dx);
    keep("conv2d_dw", dw);
    const dwFilter = seeded([3, 3, 8, 1], 4) as tf.Tensor4D;
    keep("depthwise", tf.depthwiseConv2d(x, dwFilter, 1, "same"));
    keep("matmul", tf.matMul(seeded([70, 90], 5), seeded([90, 50], 6)));
    keep("maxpool", tf.maxPool(x, 2, 2, "valid"));
    keep("add", tf.add(x, seeded([4, 20, 20, 8], 7)));
  });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [16, 16, 3],
        filters: 8,
        kernelSize: 3,
        padding: "same",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({
        filters: 16,
        kernelSize: 3,
        padding: "same",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  model.compile({
    optimizer: tf.train.adam(1e-2),
    loss: (y: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, p),
  });
  const xs = seeded([16, 16, 16, 3], 8);
  const ys = tf.oneHot(tf.tensor1d([...Array(16)].map((_, i) => i % 4), "int32"), 4);
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) losses.push(await model.trainOnBatch(xs, ys) as number);
  values["train_losses"] = losses;
  values["trained_kernel"] = Array.from(model.layers[4].getWeights()[0].dataSync());
  return { threads: wasmThreads(), values };
}

if (import.meta.main) console.log(JSON.stringify(await probe()));
