/**
 * A stratified, seeded, group-aware train/val/test split.
 *
 * Each class is split on its own so that every split keeps the class balance. Images are split as
 * groups (near-duplicates share a group), so a group never straddles two splits. The order that
 * gets shuffled is defined by content (each group's smallest key, e.g. a SHA-256), not by file
 * names or the order files were listed, so renaming or re-listing the sources gives the same split.
 *
 * @module
 */

import { Rng } from "../autograd/random.ts";
import { shuffledIndices } from "../data/batches.ts";

/** The three splits, in their canonical order. */
export const SPLITS = ["train", "val", "test"] as const;

/** One split's name. */
export type SplitName = typeof SPLITS[number];

/** Fractions of each class that go to each split (they must sum to 1), and the seed. */
export interface SplitFractions {
  /** Fraction for training, e.g. 0.7. */
  train: number;
  /** Fraction for validation, e.g. 0.15. */
  val: number;
  /** Fraction for testing, e.g. 0.15. */
  test: number;
  /** Seed of the shuffle (each class shuffles with `Rng.derive(seed, classIndex)`). */
  seed: number;
}

/** One image as {@link stratifiedGroupSplit} sees it. */
export interface SplitItem {
  /** Index of its class. */
  label: number;
  /** Its group: items with the same group always land in the same split. */
  group: number;
  /** A content-defined key (e.g. its SHA-256); fixes the order before shuffling. */
  key: string;
  /** A split the source imposes (pre-split data); such a group is not re-split. */
  fixed?: SplitName;
}

/** Checks that the fractions are in [0, 1], sum to 1, and that the seed is an integer. */
export function validateFractions(f: SplitFractions): void {
  for (const s of SPLITS) {
    if (typeof f[s] !== "number" || !(f[s] >= 0 && f[s] <= 1)) {
      throw new Error(`split.${s} must be a number in [0, 1], got ${JSON.stringify(f[s])}`);
    }
  }
  const sum = f.train + f.val + f.test;
  if (Math.abs(sum - 1) > 1e-6) {
    throw new Error(
      `split fractions must sum to 1, got ${f.train} + ${f.val} + ${f.test} = ${sum}`,
    );
  }
  if (!Number.isInteger(f.seed)) throw new Error(`split.seed must be an integer, got ${f.seed}`);
}

/**
 * Assigns a split to every item. A group's class is its most common label (ties: the smaller
 * class index); a group with a fixed member takes the first fixed split in key order. Per class,
 * the targets are `round(n * val)` and `round(n * test)` images, the rest train; groups are taken
 * in shuffled order and fill train, then val, then test.
 */
export function stratifiedGroupSplit(items: SplitItem[], fractions: SplitFractions): SplitName[] {
  validateFractions(fractions);
  interface Group {
    members: number[];
    key: string;
    label: number;
    fixed?: SplitName;
  }
  const byId = new Map<number, Group>();
  items.forEach((item, i) => {
    const g = byId.get(item.group);
    if (g) g.members.push(i);
    else byId.set(item.group, { members: [i], key: item.key, label: item.label });
  });
  const groups = [...byId.values()];
  for (const g of groups) {
    g.members.sort((a, b) => cmp(items[a].key, items[b].key) || a - b);
    g.key = items[g.members[0]].key;
    const counts = new Map<number, number>();
    for (const m of g.members) counts.set(items[m].label, (counts.get(items[m].label) ?? 0) + 1);
    let best = -1;
    let bestCount = -1;
    for (const [label, c] of counts) {
      if (c > bestCount || (c === bestCount && label < best)) [best, bestCount] = [label, c];
    }
    g.label = best;
    g.fixed = g.members.map((m) => items[m].fixed).find((s) => s !== undefined);
  }
  const out: SplitName[] = new Array(items.length);
  const free = new Map<number, Group[]>();
  for (const g of groups) {
    if (g.fixed) {
      for (const m of g.members) out[m] = g.fixed;
    } else {
      const list = free.get(g.label);
      if (list) list.push(g);
      else free.set(g.label, [g]);
    }
  }
  for (const [label, list] of [...free].sort((a, b) => a[0] - b[0])) {
    list.sort((a, b) => cmp(a.key, b.key));
    const rng = Rng.derive(fractions.seed, label);
    const order = shuffledIndices(list.length, () => rng.next());
    const n = list.reduce((s, g) => s + g.members.length, 0);
    const nVal = Math.round(n * fractions.val);
    const nTest = Math.round(n * fractions.test);
    const nTrain = n - nVal - nTest;
    let taken = 0;
    for (const gi of order) {
      const g = list[gi];
      const split: SplitName = taken < nTrain ? "train" : taken < nTrain + nVal ? "val" : "test";
      for (const m of g.members) out[m] = split;
      taken += g.members.length;
    }
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
