/**
 * The fused batch-norm gradient (wasm) against a float64 reference and against the stock gradient on
 * the cpu backend (tfjs cannot differentiate batch norm without γ on any backend, so every case has
 * one); and the column-sum `Mean` patch against the cpu backend.
 */
import * as tf from "@tensorflow/tfjs";
import { useWasm, withBackend } from "./backend.ts";
import { BATCH_NORM_GRAD } from "./kernels_batchnorm.ts";
import { seededValues } from "./reference.ts";

await useWasm();
tf.env().set("PROD", true);

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  if (actual.length !== expected.length) throw new Error(`${what}: length differs`);
  let scale = 1, err = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
  }
  if (!(err <= 2e-5 * scale)) {
    throw new Error(`${what}: max |diff| ${err.toExponential(2)} (scale ${scale.toFixed(2)})`);
  }
}

/** A batch-norm layer's loss `Σ w·BN(x)` with batch statistics, as tfjs-layers computes it. */
function loss(x: tf.Tensor, gamma: tf.Tensor | null, beta: tf.Tensor, w: tf.Tensor) {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  const y = tf.batchNorm(x, mean, variance, beta, gamma ?? undefined, 1e-3);
  return tf.sum(tf.mul(y, w));
}

/** Float64 gradient of {@link loss} w.r.t. x, γ and β (per channel, batch statistics). */
function reference(xv: Float32Array, wv: Float32Array, gv: Float32Array | null, c: number) {
  const rows = xv.length / c, eps = 1e-3;
  const dx = new Float64Array(xv.length), dg = new Float64Array(c), db = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    let mu = 0, v = 0;
    for (let r = 0; r < rows; r++) mu += xv[r * c + j];
    mu /= rows;
    for (let r = 0; r < rows; r++) v += (xv[r * c + j] - mu) ** 2;
    v /= rows;
    const inv = 1 / Math.sqrt(v + eps), g = gv ? gv[j] : 1;
    let sw = 0, swx = 0;
    for (let r = 0; r < rows; r++) {
      const xh = (xv[r * c + j] - mu) * inv, w = wv[r * c + j];
      sw += w;
      swx += w * xh;
      dg[j] += w * xh;
      db[j] += w;
    }
    for (let r = 0; r < rows; r++) {
      const xh = (xv[r * c + j] - mu) * inv;
      dx[r * c + j] = (g * inv / rows) * (rows * wv[r * c + j] - sw - xh * swx);
    }
  }
  return { dx, dg, db };
}

for (
  const [shape, withGamma] of [[[4, 5, 3, 6], true], [[7, 3], true], [[2, 8, 8, 16], true]] as const
) {
  Deno.test(`batch-norm gradient ${shape} gamma=${withGamma}: fused wasm = float64 = stock cpu`, async () => {
    const s = shape as readonly number[];
    const n = s.reduce((a, b) => a * b, 1), c = s[s.length - 1];
    const xv = seededValues(n, 11, 2, 0.5), wv = seededValues(n, 12);
    const gv = withGamma ? seededValues(c, 13, 1, 0.5) : null, bv = seededValues(c, 14);
    const run = async () => {
      const [x, g, b, w] = [
        tf.tensor(xv, [...s]),
        gv ? tf.tensor(gv) : null,
        tf.tensor(bv),
        tf.tensor(wv, [...s]),
      ];
      // Gradients w.r.t. [x, γ, β], or [x, β] without γ.
      const grads = g
        ? tf.grads((xx, gg, bb) => loss(xx, gg, bb, w))([x, g, b])
        : tf.grads((xx, bb) => loss(xx, null, bb, w))([x, b]);
      const values = await Promise.all(grads.map((t) => t.data() as Promise<Float32Array>));
      tf.dispose([...grads, x, b, w, ...(g ? [g] : [])]);
      if (!g) values.splice(1, 0, new Float32Array(0));
      return values;
    };
    const profile = await tf.profile(async () => {
      await run();
    });
    const fusedUsed = profile.kernels.some((k) => k.name === BATCH_NORM_GRAD);
    if (!fusedUsed) throw new Error("the fused kernel did not run on wasm");
    const wasm = await run();
    const cpu = await withBackend("cpu", run);
    const ref = reference(xv, wv, gv, c);
    assertClose(wasm[0], ref.dx, "dx wasm vs float64");
    assertClose(cpu[0], ref.dx, "dx cpu vs float64");
    assertClose(wasm[2], ref.db, "dβ wasm vs float64");
    if (withGamma) {
      assertClose(wasm[1], ref.dg, "dγ wasm vs float64");
      assertClose(cpu[1], ref.dg, "dγ cpu vs float64");
    }
  });
}

Deno.test("Mean over leading axes (column means) and over inner axes, wasm vs cpu", async () => {
  const xv = seededValues(2 * 3 * 4 * 5, 21);
  for (
    const [axes, keep] of [[[0, 1, 2], false], [[0, 1, 2], true], [[3], false], [
      [1, 2],
      false,
    ]] as const
  ) {
    const f = () => tf.mean(tf.tensor(xv, [2, 3, 4, 5]), [...axes], keep);
    const w = tf.tidy(f), wv = await w.data();
    const c = await withBackend("cpu", async () => {
      const t = tf.tidy(f);
      const v = await t.data();
      const shape = t.shape;
      t.dispose();
      return { v, shape };
    });
    if (w.shape.join() !== c.shape.join()) throw new Error(`shape ${w.shape} vs ${c.shape}`);
    assertClose(wv as Float32Array, c.v as Float32Array, `mean axes ${axes}`);
    w.dispose();
  }
});
