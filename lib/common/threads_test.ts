import { assertEquals } from "../testing/asserts.ts";
import { defaultThreads } from "./threads.ts";

Deno.test("defaultThreads: two threads on 2+ cores, one on a single core", () => {
  assertEquals([1, 2, 3, 4, 16].map(defaultThreads), [1, 2, 2, 2, 2]);
});
