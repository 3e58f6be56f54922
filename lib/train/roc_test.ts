import { assertAlmostEquals, assertEquals, assertThrows } from "../testing/asserts.ts";
import { Rng } from "../autograd/random.ts";
import { areaUnderCurve, rocAuc, rocCurve } from "./roc.ts";

// Hand-computed case. Positives score 0.9, 0.6, 0.4; negatives 0.7, 0.6, 0.2, 0.1.
// Pairs (pos, neg) where pos wins: 0.9 beats all 4; 0.6 beats 0.2, 0.1 (2) and ties 0.6 (½);
// 0.4 beats 0.2, 0.1 (2). Total 4 + 2.5 + 2 = 8.5 of 3·4 = 12 pairs: AUC = 8.5/12 = 0.708333...
const SCORES = [0.9, 0.7, 0.6, 0.6, 0.4, 0.2, 0.1];
const LABELS = [1, 0, 1, 0, 1, 0, 0];

Deno.test("rocAuc matches a hand-computed case with a tie", () => {
  assertAlmostEquals(rocAuc(SCORES, LABELS), 8.5 / 12, 1e-12);
});

Deno.test("rocCurve: points at each distinct threshold, a diagonal step for the tie", () => {
  const curve = rocCurve(SCORES, LABELS);
  assertEquals(curve.map((p) => [p.threshold, p.fpr, p.tpr]), [
    [Infinity, 0, 0],
    [0.9, 0, 1 / 3],
    [0.7, 1 / 4, 1 / 3],
    [0.6, 2 / 4, 2 / 3], // one positive and one negative at 0.6 move together
    [0.4, 2 / 4, 1],
    [0.2, 3 / 4, 1],
    [0.1, 1, 1],
  ]);
  assertAlmostEquals(areaUnderCurve(curve), 8.5 / 12, 1e-12);
});

Deno.test("rocAuc: perfect, reversed, constant scorers; agrees with brute force on random data", () => {
  assertEquals(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  assertEquals(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
  assertEquals(rocAuc([0.5, 0.5, 0.5], [0, 1, 1]), 0.5);
  const rng = new Rng(5);
  const n = 300;
  // Scores rounded to 2 decimals so that there are many ties.
  const scores = Array.from({ length: n }, () => Math.round(rng.next() * 100) / 100);
  const labels = scores.map((s) => (rng.next() < 0.3 + 0.4 * s ? 1 : 0));
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (labels[i] !== 1 || labels[j] !== 0) continue;
      pairs++;
      wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  assertAlmostEquals(rocAuc(scores, labels), wins / pairs, 1e-12);
  assertAlmostEquals(areaUnderCurve(rocCurve(scores, labels)), wins / pairs, 1e-12);
});

Deno.test("rocAuc rejects one-class labels, non-binary labels and length mismatches", () => {
  assertThrows(() => rocAuc([0.1, 0.2], [1, 1]), Error, "needs both classes");
  assertThrows(() => rocAuc([0.1, 0.2], [0, 2]), Error, "labels must be 0 or 1");
  assertThrows(() => rocAuc([0.1], [0, 1]), Error, "1 scores but 2 labels");
});
