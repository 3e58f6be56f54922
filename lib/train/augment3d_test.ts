import * as tf from "@tensorflow/tfjs";
import { assertEquals, assertThrows } from "../testing/asserts.ts";
import { Rng } from "../autograd/random.ts";
import { randomFlipShift3d } from "./augment3d.ts";

const ramp = () =>
  tf.tensor(Array.from({ length: 2 * 3 * 3 * 3 }, (_, i) => i + 1), [2, 3, 3, 3, 1]);

Deno.test("randomFlipShift3d without flips or shifts is the identity", () => {
  const x = ramp();
  const out = randomFlipShift3d({})({ x, y: tf.zeros([2, 2]) }, new Rng(1));
  assertEquals(Array.from(out.x.dataSync()), Array.from(x.dataSync()));
});

Deno.test("randomFlipShift3d: every output is a flip/shift of its input (voxels kept or zeroed)", () => {
  const x = ramp();
  const aug = randomFlipShift3d({ flipAxes: [0, 1, 2], maxShift: 1 });
  const src = x.arraySync() as number[][][][][];
  for (let seed = 0; seed < 20; seed++) {
    const out = aug({ x, y: tf.zeros([2, 2]) }, new Rng(seed)).x.arraySync() as number[][][][][];
    for (let b = 0; b < 2; b++) {
      // Each nonzero output voxel is an input voxel of the same example; sums never grow.
      const values = out[b].flat(3).filter((v) => v !== 0);
      const inputs = new Set(src[b].flat(3));
      for (const v of values) assertEquals(inputs.has(v), true);
      assertEquals(new Set(values).size, values.length);
    }
  }
  // Flip of depth only, no shift: example 0's first slice becomes its last.
  const flipOnly = randomFlipShift3d({ flipAxes: [0] });
  let flipped = false;
  for (let seed = 0; seed < 10 && !flipped; seed++) {
    const out = flipOnly({ x, y: tf.zeros([2, 2]) }, new Rng(seed)).x
      .arraySync() as number[][][][][];
    if (out[0][0][0][0][0] !== src[0][0][0][0][0]) {
      assertEquals(out[0][2], src[0][0]);
      flipped = true;
    }
  }
  assertEquals(flipped, true);
});

Deno.test("randomFlipShift3d rejects bad options and non-volume input", () => {
  assertThrows(() => randomFlipShift3d({ flipAxes: [3] }), Error, "flip axes");
  assertThrows(() => randomFlipShift3d({ maxShift: 1.5 }), Error, "maxShift");
  const aug = randomFlipShift3d({ maxShift: 1 });
  assertThrows(
    () => aug({ x: tf.zeros([1, 4, 4, 1]), y: tf.zeros([1, 2]) }, new Rng(0)),
    Error,
    "[B, D, H, W, C]",
  );
});
