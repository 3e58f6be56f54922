/**
 * A small seeded pseudo-random generator (mulberry32) for reproducible shuffling and augmentation.
 *
 * @module
 */

/** Seeded PRNG with a serialisable state. */
export class Rng {
  private s: number;

  /** @param seed any integer; equal seeds give equal sequences */
  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** Derives an independent generator for `(seed, ...keys)`, e.g. `(seed, epoch)`. */
  static derive(seed: number, ...keys: number[]): Rng {
    let h = (seed ^ 0x9e3779b9) >>> 0;
    for (const k of keys) {
      h = Math.imul(h ^ (k >>> 0), 0x85ebca6b) >>> 0;
      h = (h ^ (h >>> 13)) >>> 0;
    }
    return new Rng(h);
  }

  /** A float in `[0, 1)`. */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in `[0, n)`. */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Shuffles `a` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** The generator's state, to store in a checkpoint. */
  get state(): number {
    return this.s;
  }

  /** Restores a state read from {@link state}. */
  set state(s: number) {
    this.s = s >>> 0;
  }
}
