/**
 * A small seeded random number generator, so that every run of the book is reproducible.
 *
 * `Rng` is mulberry32 (32-bit state, fast, good enough for initialisation, shuffling and
 * dropout masks) plus the Box-Muller transform for normal samples.
 *
 * @module
 */

/** A seeded pseudo-random number generator. */
export class Rng {
  #state: number;
  #spareNormal: number | null = null;

  /** Creates a generator; the same seed always gives the same sequence. */
  constructor(seed = 42) {
    if (!Number.isInteger(seed)) throw new Error(`Rng: seed must be an integer, got ${seed}`);
    this.#state = seed >>> 0;
  }

  /** A uniform sample in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform sample in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** A standard normal sample (mean 0, standard deviation 1). */
  normal(): number {
    if (this.#spareNormal !== null) {
      const spare = this.#spareNormal;
      this.#spareNormal = null;
      return spare;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.#spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}
