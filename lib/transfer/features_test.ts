import { assertEquals, assertThrows } from "../testing/asserts.ts";
import { gatherRows } from "./features.ts";

Deno.test("gatherRows picks each wanted image's row, in the wanted order", () => {
  const data = Float32Array.from([0, 1, 10, 11, 20, 21]); // three images, 2-d features
  assertEquals(Array.from(gatherRows(data, 2, ["a", "b", "c"], ["c", "a"])), [20, 21, 0, 1]);
  assertThrows(() => gatherRows(data, 2, ["a", "b", "c"], ["d"]), Error, "no features for image d");
  assertThrows(() => gatherRows(data, 4, ["a", "b"], ["a"]), Error, "is not 2 rows of 4");
});
