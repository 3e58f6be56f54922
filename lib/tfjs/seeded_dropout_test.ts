import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import { useWasm } from "./backend.ts";
import { fileIO } from "./io.ts";
import { SeededDropout } from "./seeded_dropout.ts";

await useWasm();

const x = tf.ones([4, 50]);
const mask = (layer: SeededDropout) =>
  Array.from((layer.apply(x, { training: true }) as tf.Tensor).dataSync());

Deno.test("SeededDropout: a new mask every step, the same sequence for the same seed", () => {
  const a = new SeededDropout({ rate: 0.5, seed: 3 }),
    b = new SeededDropout({ rate: 0.5, seed: 3 });
  const a1 = mask(a), a2 = mask(a), b1 = mask(b), b2 = mask(b);
  assertEquals(a1, b1);
  assertEquals(a2, b2);
  assert(JSON.stringify(a1) !== JSON.stringify(a2), "consecutive steps drop different units");
  assert(JSON.stringify(a1) !== JSON.stringify(mask(new SeededDropout({ rate: 0.5, seed: 4 }))));
  // Kept units are scaled by 1/(1 − rate); about half are dropped.
  assert(a1.every((v) => v === 0 || v === 2));
  const kept = a1.filter((v) => v > 0).length;
  assert(kept > 60 && kept < 140, `kept ${kept} of 200`);
  // Inference is the identity.
  assertEquals(Array.from((a.apply(x) as tf.Tensor).dataSync()), Array.from(x.dataSync()));
  assertThrows(() => new SeededDropout({ rate: 1 }), Error, "rate");
});

Deno.test("SeededDropout survives a save/load round trip", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dropout-" });
  try {
    const input = tf.input({ shape: [50] });
    const out = new SeededDropout({ rate: 0.3, seed: 9, name: "drop" }).apply(input);
    const m = tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
    await m.save(fileIO(dir));
    const loaded = await tf.loadLayersModel(fileIO(dir));
    const layer = loaded.getLayer("drop") as SeededDropout;
    assertEquals([layer.rate, layer.seed], [0.3, 9]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
