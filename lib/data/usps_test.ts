import { assertEquals, assertThrows } from "../testing/asserts.ts";
import { loadUsps, parseUsps } from "./usps.ts";

Deno.test("parseUsps: digit then 256 values in [-1, 1], rescaled to [0, 1]", () => {
  const line = (d: number, v: number) => [d, ...Array(256).fill(v)].join(" ");
  const s = parseUsps(`${line(3, -1)}\n${line(7, 1)}\n`);
  assertEquals(s.count, 2);
  assertEquals(Array.from(s.labels), [3, 7]);
  assertEquals(s.images[0], 0);
  assertEquals(s.images[256 + 255], 1);
  assertThrows(() => parseUsps("3 0 0\n", "zip.bad"), Error, "zip.bad line 1");
  assertThrows(() => parseUsps(line(12, 0), "zip.bad"), Error, "label 12");
});

Deno.test("loadUsps: the ESL files resolve, check and parse (7,291 / 2,007 images)", async () => {
  const test = await loadUsps("test");
  assertEquals(test.count, 2007);
  const counts = Array(10).fill(0);
  for (const l of test.labels) counts[l]++;
  assertEquals(counts, [359, 264, 198, 166, 200, 160, 170, 147, 166, 177]);
  assertEquals((await loadUsps("train")).count, 7291);
});
