import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import { minibatches, shuffledIndices } from "./batches.ts";

/** A tiny deterministic [0, 1) generator for tests (mulberry32). */
function rngFrom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("shuffledIndices is a seeded permutation", () => {
  const a = shuffledIndices(1000, rngFrom(1));
  assertEquals(a.length, 1000);
  assertEquals([...a].sort((p, q) => p - q), [...Array(1000).keys()]);
  assertEquals(a, shuffledIndices(1000, rngFrom(1)));
  assert(a.some((v, i) => v !== i), "should not be the identity");
  assert(!a.every((v, i) => v === shuffledIndices(1000, rngFrom(2))[i]), "seeds differ");
  assertEquals(shuffledIndices(0, rngFrom(1)).length, 0);
  assertEquals(shuffledIndices(1, rngFrom(1)), new Uint32Array([0]));
  // rng() = 0 always: every swap takes the first element, a fixed known permutation.
  assertEquals(shuffledIndices(4, () => 0), new Uint32Array([1, 2, 3, 0]));
});

Deno.test("shuffledIndices rejects bad n and bad rng output", () => {
  assertThrows(() => shuffledIndices(-1, Math.random), Error, "n must be");
  assertThrows(() => shuffledIndices(2.5, Math.random), Error, "n must be");
  assertThrows(() => shuffledIndices(3, () => 1), Error, "[0, 1)");
  assertThrows(() => shuffledIndices(3, () => NaN), Error, "[0, 1)");
});

Deno.test("minibatches gathers rows in order, with a last partial batch", () => {
  // 5 rows of 3 numbers: row r is [10r, 10r+1, 10r+2], label r.
  const x = Float32Array.from({ length: 15 }, (_, i) => 10 * Math.floor(i / 3) + (i % 3));
  const y = Uint8Array.from([0, 1, 2, 3, 4]);
  const order = [4, 0, 3, 1, 2];
  // Copy each batch as it comes: the next batch reuses the buffers.
  const got: { x: number[]; y: number[]; size: number }[] = [];
  for (const b of minibatches(x, 3, y, 2, order)) {
    got.push({ x: [...b.x], y: [...b.y], size: b.size });
  }
  assertEquals(got, [
    { x: [40, 41, 42, 0, 1, 2], y: [4, 0], size: 2 },
    { x: [30, 31, 32, 10, 11, 12], y: [3, 1], size: 2 },
    { x: [20, 21, 22], y: [2], size: 1 },
  ]);
});

Deno.test("minibatches reuses its buffers and covers every index once", () => {
  const rows = 103;
  const x = Float32Array.from({ length: rows * 4 }, (_, i) => Math.floor(i / 4));
  const y = Uint8Array.from({ length: rows }, (_, i) => i % 10);
  const order = shuffledIndices(rows, rngFrom(7));
  const seen: number[] = [];
  let firstBuffer: ArrayBufferLike | null = null;
  for (const batch of minibatches(x, 4, y, 10, order)) {
    firstBuffer ??= batch.x.buffer;
    assert(batch.x.buffer === firstBuffer, "x buffer should be reused");
    assertEquals(batch.x.length, batch.size * 4);
    for (let b = 0; b < batch.size; b++) {
      const r = batch.x[4 * b];
      seen.push(r);
      assertEquals(batch.y[b], r % 10);
    }
  }
  assertEquals(seen, [...order]);
  assertEquals([...minibatches(x, 4, y, 10, [])], []);
});

Deno.test("minibatches checks its arguments at the call", () => {
  const x = new Float32Array(6);
  const y = new Uint8Array(3);
  assertThrows(() => minibatches(x, 4, y, 2, [0]), Error, "multiple of rowSize");
  assertThrows(() => minibatches(x, 2, new Uint8Array(2), 2, [0]), Error, "y has 2 labels");
  assertThrows(() => minibatches(x, 2, y, 0, [0]), Error, "batchSize");
  assertThrows(() => minibatches(x, 0, y, 2, [0]), Error, "rowSize");
  assertThrows(() => minibatches(x, 2, y, 2, [0, 3]), Error, "order[1] = 3");
});
