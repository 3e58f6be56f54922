import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import { Rng } from "./random.ts";

Deno.test("Rng: the same seed gives the same sequence, another seed another one", () => {
  const draw = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: 5 }, () => rng.next());
  };
  assertEquals(draw(1), draw(1));
  assert(draw(1).some((v, i) => v !== draw(2)[i]));
  assertThrows(() => new Rng(1.5), Error, "seed must be an integer");
});

Deno.test("Rng: uniform and normal samples have the right moments", () => {
  const rng = new Rng(3);
  const n = 20_000;
  let sum = 0;
  let sumSq = 0;
  let uniformSum = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    sum += z;
    sumSq += z * z;
    uniformSum += rng.uniform(2, 4);
  }
  assert(Math.abs(sum / n) < 0.03, `normal mean ${sum / n}`);
  assert(Math.abs(sumSq / n - 1) < 0.04, `normal variance ${sumSq / n}`);
  assert(Math.abs(uniformSum / n - 3) < 0.02, `uniform mean ${uniformSum / n}`);
  for (let i = 0; i < 1000; i++) {
    const k = rng.int(7);
    assert(Number.isInteger(k) && k >= 0 && k < 7);
  }
});
