/**
 * A small seeded random number generator, so that every run of the book is reproducible.
 *
 * `Rng` is mulberry32 (32-bit state, fast, good enough for initialisation, shuffling, dropout
 * masks and test inputs) plus the Box-Muller transform for normal samples. It is the one
 * generator of the whole library: the engine, the data pipelines and the tfjs tests all use it.
 *
 * @module
 */

/** A seeded pseudo-random number generator. */
export class Rng {
  #state: number;

  /**
   * An independent generator for `(seed, ...keys)`, e.g. `(seed, epoch)`: each epoch gets its own
   * reproducible stream, however many numbers earlier epochs drew.
   */
  static derive(seed: number, ...keys: number[]): Rng {
    let h = (seed ^ 0x9e3779b9) >>> 0;
    for (const k of keys) {
      h = Math.imul(h ^ (k >>> 0), 0x85ebca6b) >>> 0;
      h = (h ^ (h >>> 13)) >>> 0;
    }
    return new Rng(h);
  }

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

  /** `length` uniform samples in [low, high) (test inputs, initial weights). */
  uniformArray(length: number, low = -1, high = 1): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.uniform(low, high);
    return out;
  }

  /** A standard normal sample (mean 0, standard deviation 1), by the Box-Muller transform. */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** The generator's whole state, to store in a checkpoint. */
  get state(): number {
    return this.#state;
  }

  /** Restores a state read from {@link state}. */
  set state(value: number) {
    this.#state = value >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}
