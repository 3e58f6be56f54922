import { assert, assertAlmostEquals, assertThrows } from "../testing/asserts.ts";
import { warmupCosine } from "./schedule.ts";

Deno.test("warmupCosine: linear warm-up, cosine down to minLr, flat after the end", () => {
  const s = warmupCosine(1, 110, 10, 0.01);
  assertAlmostEquals(s(0), 0.1);
  assertAlmostEquals(s(9), 1);
  assertAlmostEquals(s(10), 1);
  assertAlmostEquals(s(60), 0.505, 1e-9); // half way: (1 + 0.01) / 2
  assertAlmostEquals(s(110), 0.01);
  assertAlmostEquals(s(500), 0.01);
  for (let i = 11; i < 110; i++) assert(s(i) < s(i - 1), `decreasing at ${i}`);
  assertThrows(() => warmupCosine(0, 10), Error, "peak > 0");
});
