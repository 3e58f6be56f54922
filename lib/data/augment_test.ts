import { assertEquals, assertThrows } from "../testing/asserts.ts";
import { randomTranslate } from "./augment.ts";

Deno.test("randomTranslate moves pixels by the drawn offsets and fills the border", () => {
  // One 1x3x3 image with a single bright pixel in the middle.
  const image = new Float32Array([0, 0, 0, 0, 1, 0, 0, 0, 0]);
  // rng 0.9 with maxShift 1 draws floor(0.9·3) − 1 = +1 for both axes: down and right.
  randomTranslate(image, [1, 3, 3], 1, () => 0.9);
  assertEquals(Array.from(image), [0, 0, 0, 0, 0, 0, 0, 0, 1]);
  const other = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  randomTranslate(other, [1, 3, 3], 1, () => 0.0, -1); // −1 on both axes: up and left
  assertEquals(Array.from(other), [5, 6, -1, 8, 9, -1, -1, -1, -1]);
});

Deno.test("randomTranslate rejects a batch that is not whole images", () => {
  assertThrows(
    () => randomTranslate(new Float32Array(10), [1, 3, 3], 1, Math.random),
    Error,
    "not a whole number of 1x3x3 images",
  );
});
