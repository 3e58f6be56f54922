import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals } from "../testing/asserts.ts";
import { Rng } from "../autograd/random.ts";
import { useWasm } from "../tfjs/backend.ts";
import { infoNce, ntXent, simclrAugment } from "./contrastive.ts";

await useWasm();

/** NT-Xent in plain float64 JavaScript, straight from the formula: the independent reference. */
function ntXentReference(z: number[][], tau: number): number {
  const m = z.length, n = m / 2;
  const u = z.map((r) => {
    const norm = Math.sqrt(r.reduce((s, v) => s + v * v, 0));
    return r.map((v) => v / norm);
  });
  const sim = (i: number, j: number) => u[i].reduce((s, v, k) => s + v * u[j][k], 0) / tau;
  let total = 0;
  for (let i = 0; i < m; i++) {
    const p = i < n ? i + n : i - n;
    let denom = 0;
    for (let k = 0; k < m; k++) if (k !== i) denom += Math.exp(sim(i, k));
    total += -Math.log(Math.exp(sim(i, p)) / denom);
  }
  return total / m;
}

function infoNceReference(a: number[][], b: number[][], tau: number): number {
  const unit = (r: number[]) => {
    const norm = Math.sqrt(r.reduce((s, v) => s + v * v, 0));
    return r.map((v) => v / norm);
  };
  const A = a.map(unit), B = b.map(unit), n = a.length;
  const s = A.map((r) => B.map((q) => r.reduce((t, v, k) => t + v * q[k], 0) / tau));
  let rows = 0, cols = 0;
  for (let i = 0; i < n; i++) {
    rows -= s[i][i] - Math.log(s[i].reduce((t, v) => t + Math.exp(v), 0));
    cols -= s[i][i] - Math.log(s.reduce((t, r) => t + Math.exp(r[i]), 0));
  }
  return (rows + cols) / (2 * n);
}

const rng = new Rng(7);
const rows = (n: number, d: number) =>
  Array.from({ length: n }, () => Array.from({ length: d }, () => rng.next() * 2 - 1));

Deno.test("ntXent equals the formula, and its autodiff gradient matches finite differences", () => {
  const z1 = rows(3, 4), z2 = rows(3, 4), tau = 0.5;
  const value = ntXent(tf.tensor2d(z1), tf.tensor2d(z2), tau).dataSync()[0];
  assertAlmostEquals(value, ntXentReference([...z1, ...z2], tau), 1e-5);
  const grad = tf.grad((z: tf.Tensor) =>
    ntXent(z.slice([0, 0], [3, 4]) as tf.Tensor2D, z.slice([3, 0], [3, 4]) as tf.Tensor2D, tau)
  )(tf.tensor2d([...z1, ...z2])).arraySync() as number[][];
  const h = 1e-5;
  for (let i = 0; i < 6; i++) {
    for (let k = 0; k < 4; k++) {
      const plus = [...z1, ...z2].map((r) => [...r]), minus = plus.map((r) => [...r]);
      plus[i][k] += h;
      minus[i][k] -= h;
      const numeric = (ntXentReference(plus, tau) - ntXentReference(minus, tau)) / (2 * h);
      assertAlmostEquals(grad[i][k], numeric, 2e-4);
    }
  }
});

Deno.test("ntXent: matching views score low, a shuffled pairing scores high", () => {
  const z = tf.tensor2d(rows(8, 16));
  const noisy = tf.add(
    z,
    tf.mul(tf.randomNormal([8, 16], 0, 1, "float32", 1), 0.01),
  ) as tf.Tensor2D;
  const good = ntXent(z as tf.Tensor2D, noisy, 0.1).dataSync()[0];
  const bad = ntXent(z as tf.Tensor2D, tf.reverse(noisy, 0) as tf.Tensor2D, 0.1).dataSync()[0];
  assert(good < 0.5 && bad > 2, `aligned ${good}, shuffled ${bad}`);
});

Deno.test("infoNce (CLIP) equals the symmetric formula and has finite-difference gradients", () => {
  const a = rows(4, 3), b = rows(4, 3), tau = 0.3;
  assertAlmostEquals(
    infoNce(tf.tensor2d(a), tf.tensor2d(b), tau).dataSync()[0],
    infoNceReference(a, b, tau),
    1e-5,
  );
  const grad = tf.grad((x: tf.Tensor) => infoNce(x as tf.Tensor2D, tf.tensor2d(b), tau))(
    tf.tensor2d(a),
  ).arraySync() as number[][];
  const h = 1e-5;
  for (let i = 0; i < 4; i++) {
    for (let k = 0; k < 3; k++) {
      const p = a.map((r) => [...r]), m = a.map((r) => [...r]);
      p[i][k] += h;
      m[i][k] -= h;
      const numeric = (infoNceReference(p, b, tau) - infoNceReference(m, b, tau)) / (2 * h);
      assertAlmostEquals(grad[i][k], numeric, 2e-4);
    }
  }
});

Deno.test("simclrAugment: seeded views of the same shape, in [0, 1], different per draw", () => {
  const x = tf.randomUniform([4, 16, 16, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  const a = simclrAugment(x, new Rng(1)), b = simclrAugment(x, new Rng(1));
  const c = simclrAugment(x, new Rng(2));
  assertEquals(a.shape, [4, 16, 16, 3]);
  assertEquals(Array.from(a.dataSync()), Array.from(b.dataSync()));
  assert(tf.max(tf.abs(tf.sub(a, c))).dataSync()[0] > 0.01, "another seed, another view");
  assert(tf.min(a).dataSync()[0] >= 0 && tf.max(a).dataSync()[0] <= 1);
});
