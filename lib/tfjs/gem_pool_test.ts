import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../testing/asserts.ts";
import { Rng } from "../autograd/random.ts";
import { useWasm } from "./backend.ts";
import { fileIO } from "./io.ts";
import { GEM_EPS, gemPool, GemPooling2D, gemPooling2d, gemPoolOps } from "./gem_pool.ts";

await useWasm();

/** Float64 reference: GeM over k×k windows (null: global) of an NHWC array. */
function gemRef(x: ArrayLike<number>, shape: number[], p: number, k: number | null): number[] {
  const [b, h, w, c] = shape;
  const kh = k ?? h, kw = k ?? w;
  const ho = Math.floor(h / kh), wo = Math.floor(w / kw);
  const out: number[] = [];
  for (let n = 0; n < b; n++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        for (let ch = 0; ch < c; ch++) {
          let s = 0;
          for (let di = 0; di < kh; di++) {
            for (let dj = 0; dj < kw; dj++) {
              const v = x[((n * h + i * kh + di) * w + j * kw + dj) * c + ch];
              s += Math.pow(Math.max(v, GEM_EPS), p);
            }
          }
          out.push(Math.pow(s / (kh * kw), 1 / p));
        }
      }
    }
  }
  return out;
}

/** Values in [0.1, 1.1] (away from the clamp, where finite differences are well defined). */
function positive(count: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: count }, () => rng.uniform(0.1, 1.1));
}

/** A fixed random weighting of the outputs makes the loss a scalar with a non-trivial gradient. */
function weights(count: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => rng.uniform(-1, 1));
}

const CASES: { name: string; shape: number[]; k: number | null }[] = [
  { name: "2x2 windows", shape: [2, 4, 4, 3], k: 2 },
  { name: "2x2 windows, odd size (last row/column dropped)", shape: [1, 5, 5, 2], k: 2 },
  { name: "global", shape: [2, 3, 3, 4], k: null },
];

for (const { name, shape, k } of CASES) {
  Deno.test(`GeM ${name}: both implementations match a float64 reference and finite differences`, () => {
    const size = shape.reduce((a, b) => a * b, 1);
    const xv = positive(size, 1);
    const p0 = 2.5;
    const ref = gemRef(xv, shape, p0, k);
    const w = weights(ref.length, 2);
    const loss = (xs: ArrayLike<number>, p: number) =>
      gemRef(xs, shape, p, k).reduce((s, v, i) => s + v * w[i], 0);
    // Central differences in float64.
    const h = 1e-5;
    const xs = Float64Array.from(xv);
    const numDx = Array.from(xs, (_, i) => {
      const keep = xs[i];
      xs[i] = keep + h;
      const up = loss(xs, p0);
      xs[i] = keep - h;
      const down = loss(xs, p0);
      xs[i] = keep;
      return (up - down) / (2 * h);
    });
    const numDp = (loss(xs, p0 + h) - loss(xs, p0 - h)) / (2 * h);

    const x = tf.tensor4d(xv, shape as [number, number, number, number]);
    const p = tf.tensor1d([p0]);
    const wt = tf.tensor(w);
    for (const [impl, fn] of [["ops", gemPoolOps], ["customGrad", gemPool]] as const) {
      const y = fn(x, p, { poolSize: k });
      const yv = y.dataSync();
      assertEquals(yv.length, ref.length, `${impl} output size`);
      yv.forEach((v, i) => assertAlmostEquals(v, ref[i], 1e-5 * Math.max(1, ref[i])));
      const [dx, dp] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(fn(a, b, { poolSize: k }).flatten(), wt))
      )([x, p]);
      assertEquals(dp.shape, [1], `${impl} dp shape`);
      const gx = dx.dataSync();
      let worst = 0;
      gx.forEach((v, i) => worst = Math.max(worst, Math.abs(v - numDx[i])));
      assert(worst < 2e-4, `${impl}: dx differs from finite differences by ${worst}`);
      const gp = dp.dataSync()[0];
      assert(
        Math.abs(gp - numDp) < 2e-4 * Math.max(1, Math.abs(numDp)),
        `${impl}: dp ${gp} vs finite differences ${numDp}`,
      );
      tf.dispose([y, dx, dp]);
    }
    tf.dispose([x, p, wt]);
  });
}

Deno.test("GeM: the two implementations agree on ReLU-like inputs (zeros hit the clamp)", () => {
  const shape: [number, number, number, number] = [2, 6, 6, 4];
  const rng = new Rng(5);
  const xv = Float32Array.from({ length: 2 * 6 * 6 * 4 }, () => Math.max(0, rng.uniform(-1, 1)));
  const x = tf.tensor4d(xv, shape);
  const dy = tf.tensor4d(weights(2 * 3 * 3 * 4, 6), [2, 3, 3, 4]);
  for (const p0 of [1, 3, 6]) {
    const p = tf.tensor1d([p0]);
    const grad = (fn: typeof gemPool) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(fn(a, b, { poolSize: 2 }), dy)))([
        x,
        p,
      ]);
    const [dxOps, dpOps] = grad(gemPoolOps);
    const [dxCg, dpCg] = grad(gemPool);
    const a = dxOps.dataSync(), b = dxCg.dataSync();
    a.forEach((v, i) => assertAlmostEquals(b[i], v, 1e-4 * Math.max(1, Math.abs(v))));
    assertAlmostEquals(dpCg.dataSync()[0], dpOps.dataSync()[0], 1e-3);
    assert(Number.isFinite(dpCg.dataSync()[0]), "dp finite");
    tf.dispose([p, dxOps, dpOps, dxCg, dpCg]);
  }
  tf.dispose([x, dy]);
});

Deno.test("GeM with p = 1 is average pooling; a large p approaches max pooling", () => {
  const x = tf.tensor4d(positive(1 * 4 * 4 * 2, 7), [1, 4, 4, 2]);
  const avg = tf.avgPool(x, 2, 2, "valid").dataSync();
  const max = tf.maxPool(x, 2, 2, "valid").dataSync();
  const g1 = gemPool(x, tf.tensor1d([1]), { poolSize: 2 }).dataSync();
  const g40 = gemPoolOps(x, tf.tensor1d([40]), { poolSize: 2 }).dataSync();
  g1.forEach((v, i) => assertAlmostEquals(v, avg[i], 1e-5));
  // (mean of 4 values ^ p)^(1/p) ≥ max · 4^(−1/p): within 4% of the max for p = 40.
  g40.forEach((v, i) => assert(v <= max[i] + 1e-5 && v >= max[i] * 0.96, `${v} vs max ${max[i]}`));
  x.dispose();
});

Deno.test("GeM rejects bad shapes and a p with more than one value", () => {
  const x = tf.ones([2, 4, 4, 1]);
  assertThrows(() => gemPool(tf.ones([4, 4, 1]), tf.scalar(3)), Error, "NHWC");
  assertThrows(() => gemPoolOps(x, tf.tensor1d([2, 3])), Error, "one value");
  assertThrows(() => gemPool(x, tf.scalar(3), { poolSize: 5 }), Error, "larger than");
  assertThrows(() => gemPooling2d({ impl: "fast" as never }), Error, "impl");
  x.dispose();
});

Deno.test("GemPooling2D: output shapes, a trainable p, and a save/load round trip", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gem-" });
  try {
    const input = tf.input({ shape: [8, 8, 3] });
    const conv = tf.layers.conv2d({
      filters: 4,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
    });
    const h = gemPooling2d({ poolSize: 2, name: "gem_local", impl: "customGrad" })
      .apply(conv.apply(input)) as tf.SymbolicTensor;
    assertEquals(h.shape, [null, 4, 4, 4]);
    const out = gemPooling2d({ name: "gem_global", p: 2 }).apply(h) as tf.SymbolicTensor;
    assertEquals(out.shape, [null, 4]);
    const model = tf.model({ inputs: input, outputs: out });
    const gem = model.getLayer("gem_global") as GemPooling2D;
    assert(model.trainableWeights.some((w) => w.originalName.endsWith("gem_global/p")), "p trains");
    // Train a few steps so p moves away from its initial value.
    model.compile({ optimizer: tf.train.adam(0.05), loss: "meanSquaredError" });
    const x = tf.tensor4d(positive(6 * 8 * 8 * 3, 9), [6, 8, 8, 3]);
    const target = tf.zeros([6, 4]);
    for (let i = 0; i < 3; i++) await model.trainOnBatch(x, target);
    const pTrained = gem.p.read().dataSync()[0];
    assert(pTrained !== 2, "p changed by training");

    await model.save(fileIO(dir));
    const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    const layers = json.modelTopology.config.layers as {
      class_name: string;
      config: Record<string, unknown>;
    }[];
    const saved = layers.filter((l) => l.class_name === "GemPooling2D");
    // tfjs writes Keras-style (snake_case) keys and string values; loading converts them back.
    assertEquals(saved.map((l) => [l.config.pool_size, l.config.impl]), [
      [2, "custom_grad"],
      [null, "ops"],
    ]);
    const loaded = await tf.loadLayersModel(fileIO(dir));
    const again = loaded.getLayer("gem_global") as GemPooling2D;
    assert(again instanceof GemPooling2D, "class rebuilt from its registered name");
    assertEquals((loaded.getLayer("gem_local") as GemPooling2D).impl, "customGrad");
    assertEquals([again.poolSize, again.impl], [null, "ops"]);
    assertAlmostEquals(again.p.read().dataSync()[0], pTrained, 1e-7);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (loaded.predict(x) as tf.Tensor).dataSync();
    a.forEach((v, i) => assertAlmostEquals(b[i], v, 1e-6));
    tf.dispose([x, target]);
    model.dispose();
    loaded.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
