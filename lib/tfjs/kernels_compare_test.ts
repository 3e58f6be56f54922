/** The broadcasting `Equal` patch (wasm) against the cpu backend, NaN / ±0 / ±∞ included. */
import * as tf from "@tensorflow/tfjs";
import { assertEquals } from "../testing/asserts.ts";
import { useWasm, withBackend } from "./backend.ts";
import { seededValues } from "./reference.ts";

await useWasm();

/** Values with many exact ties (rounded), and the special cases in a few places. */
function values(n: number, seed: number): Float32Array {
  const v = Float32Array.from(seededValues(n, seed), (x) => Math.round(x * 2) / 2);
  const special = [NaN, 0, -0, Infinity, -Infinity];
  for (let i = 0; i < Math.min(n, special.length); i++) v[(i * 7) % n] = special[i];
  return v;
}

const CASES: [number[], number[]][] = [
  [[32, 4, 4, 8], [32, 1, 1, 8]], // a global max pooling's gradient
  [[2, 3, 5], [5]],
  [[2, 1, 5], [1, 4, 1]],
  [[6], []],
  [[], [3, 2]],
  [[3, 1], [1, 0]],
];

Deno.test("Equal with broadcasting: wasm patch = cpu backend (float32, int32)", async () => {
  for (const [i, [sa, sb]] of CASES.entries()) {
    for (const dtype of ["float32", "int32"] as const) {
      const size = (s: number[]) => s.reduce((p, q) => p * q, 1);
      const av = values(size(sa), 2 * i + 1), bv = values(size(sb), 2 * i + 2);
      const run = () =>
        tf.tidy(() =>
          Array.from(tf.equal(tf.tensor(av, sa, dtype), tf.tensor(bv, sb, dtype)).dataSync())
        );
      const wasm = run();
      const cpu = await withBackend("cpu", run);
      assertEquals(wasm, cpu, `[${sa}] == [${sb}] ${dtype}`);
      assertEquals(
        tf.equal(tf.zeros(sa), tf.zeros(sb)).shape,
        await withBackend("cpu", () => tf.equal(tf.zeros(sa), tf.zeros(sb)).shape),
      );
    }
  }
});
