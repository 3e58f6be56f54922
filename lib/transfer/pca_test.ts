import { assert, assertAlmostEquals } from "../testing/asserts.ts";
import { pca } from "./pca.ts";

Deno.test("pca finds the directions of largest variance, largest first", () => {
  // Points along (1, 1, 0) with spread 3, along (1, -1, 0) with spread 1, none along z.
  const pts: number[] = [];
  for (let i = -5; i <= 5; i++) {
    for (let j = -5; j <= 5; j++) pts.push(3 * i + j, 3 * i - j, 0);
  }
  const n = pts.length / 3;
  const { projected, variances } = pca(pts, n, 3, 2);
  assert(variances[0] > variances[1], "sorted");
  assertAlmostEquals(variances[0] / variances[1], 9, 1e-6);
  // The first point, (-20, -10, 0), lies -30/√2 along (1, 1, 0)/√2.
  assertAlmostEquals(Math.abs(projected[0]), 30 / Math.SQRT2, 1e-6);
});
