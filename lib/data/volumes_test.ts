import { assertEquals } from "../testing/asserts.ts";
import { mirrorDirsFor } from "./assets.ts";
import { loadAdrenalMnist3d, loadModelNetSubset, seededClassSplit } from "./volumes.ts";

const offline = { offline: true };
function has(p: string): boolean {
  return mirrorDirsFor().some((d) => {
    try {
      return Deno.statSync(`${d}/${p}`).isFile;
    } catch {
      return false;
    }
  });
}

Deno.test({
  name: "loadAdrenalMnist3d: the official split sizes and class counts",
  ignore: !has("medmnist3d/adrenalmnist3d.npz"),
  fn: async () => {
    const data = await loadAdrenalMnist3d(offline);
    const sizes = Object.values(data.splits).map((s) => s.labels.length);
    assertEquals(sizes, [1188, 98, 298]);
    assertEquals(data.splits.train.volumes.length, 1188 * 28 ** 3);
    assertEquals(data.splits.train.labels.filter((l) => l === 1).length, 259);
  },
});

Deno.test("seededClassSplit: stratified, disjoint, complete, and the same for the same seed", () => {
  const split = seededClassSplit([890, 466], { seed: 1 });
  const count = (items: [number, number][], k: number) => items.filter(([l]) => l === k).length;
  assertEquals([count(split.train, 0), count(split.val, 0), count(split.test, 0)], [623, 134, 133]);
  assertEquals([count(split.train, 1), count(split.val, 1), count(split.test, 1)], [326, 70, 70]);
  const all = [...split.train, ...split.val, ...split.test].map(([l, i]) => `${l}:${i}`);
  assertEquals(new Set(all).size, 890 + 466);
  assertEquals(seededClassSplit([890, 466], { seed: 1 }), split);
  assertEquals(seededClassSplit([890, 466], { seed: 2 }).test === split.test, false);
});

Deno.test({
  name: "loadModelNetSubset: 32-cube occupancy grids in the seeded split",
  ignore: !has("modelnet10-subset/chair.npy.gz") || !has("modelnet10-subset/monitor.npy.gz"),
  fn: async () => {
    const { side, splits } = await loadModelNetSubset({ seed: 1, ...offline });
    assertEquals(side, 32);
    const n = splits.train.labels.length + splits.val.labels.length + splits.test.labels.length;
    assertEquals(n, 890 + 466);
    assertEquals(splits.test.volumes.length, splits.test.labels.length * 32 ** 3);
    assertEquals(splits.test.volumes.every((v) => v === 0 || v === 1), true);
  },
});
