/**
 * The ROC curve and the area under it (AUC) of a binary scorer.
 *
 * The AUC is the probability that a randomly drawn positive example scores higher than a randomly
 * drawn negative one, ties counting one half (the Mann-Whitney U statistic divided by `P·N`):
 *
 *   AUC = (1 / (P·N)) Σ_{i ∈ pos} Σ_{j ∈ neg} ( [s_i > s_j] + ½ [s_i = s_j] ).
 *
 * With ranks `r_i` over all `P + N` scores (tied scores get the mean of their ranks) this is
 * `(Σ_{i ∈ pos} r_i − P(P+1)/2) / (P·N)`: one sort, `O(n log n)`. It equals the trapezoid area
 * under the ROC curve whose points are taken at every distinct threshold.
 *
 * @module
 */

/** One point of a ROC curve: predicting positive when `score >= threshold`. */
export interface RocPoint {
  /** The decision threshold (`Infinity` for the first point, where nothing is positive). */
  threshold: number;
  /** False-positive rate FP / N. */
  fpr: number;
  /** True-positive rate (recall) TP / P. */
  tpr: number;
}

function checkInputs(scores: ArrayLike<number>, labels: ArrayLike<number>): [number, number] {
  if (scores.length !== labels.length) {
    throw new Error(`ROC: ${scores.length} scores but ${labels.length} labels`);
  }
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) {
      throw new Error(`ROC: label ${i} is ${labels[i]}; labels must be 0 or 1`);
    }
    if (Number.isNaN(scores[i])) throw new Error(`ROC: score ${i} is NaN`);
    pos += labels[i];
  }
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) {
    throw new Error(`ROC: needs both classes (got ${pos} positives, ${neg} negatives)`);
  }
  return [pos, neg];
}

/** Indices of `scores` sorted by decreasing score. */
function byScoreDesc(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
}

/**
 * Area under the ROC curve of `scores` (higher = more positive) for 0/1 `labels`, ties counting ½.
 * Throws when only one class is present, lengths differ, or a label is not 0/1.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const [pos, neg] = checkInputs(scores, labels);
  const order = byScoreDesc(scores).reverse(); // ascending
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const meanRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (labels[order[k]] === 1) rankSum += meanRank;
    i = j + 1;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * The ROC curve: one point per distinct score (tied scores move FPR and TPR together, a diagonal
 * step), from `(0, 0)` at threshold `Infinity` to `(1, 1)`.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocPoint[] {
  const [pos, neg] = checkInputs(scores, labels);
  const order = byScoreDesc(scores);
  const points: RocPoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length;) {
    const s = scores[order[i]];
    while (i < order.length && scores[order[i]] === s) {
      if (labels[order[i]] === 1) tp++;
      else fp++;
      i++;
    }
    points.push({ threshold: s, fpr: fp / neg, tpr: tp / pos });
  }
  return points;
}

/** Trapezoid area under a curve of points sorted by `fpr` (equals {@link rocAuc} on its curve). */
export function areaUnderCurve(points: readonly RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    area += (points[i].fpr - points[i - 1].fpr) * (points[i].tpr + points[i - 1].tpr) / 2;
  }
  return area;
}
