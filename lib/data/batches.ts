/**
 * Shuffling and minibatches over flat typed arrays.
 *
 * A data set here is a `Float32Array` of rows (`rowSize` numbers each, e.g. 784 pixels) plus a
 * `Uint8Array` of labels, one per row. {@link minibatches} gathers the rows named by an index
 * order into buffers it reuses from batch to batch, so an epoch allocates nothing per batch.
 *
 * @module
 */

/**
 * A random permutation of `0..n-1` (Fisher-Yates), drawn from `rng`, a function returning
 * uniform numbers in [0, 1) (for example `() => rng.next()` of a seeded generator).
 */
export function shuffledIndices(n: number, rng: () => number): Uint32Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new Error(`shuffledIndices: n must be a non-negative integer, got ${n}`);
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const u = rng();
    if (!(u >= 0 && u < 1)) {
      throw new Error(`shuffledIndices: rng() must return a number in [0, 1), got ${u}`);
    }
    const j = Math.floor(u * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** One minibatch. Its arrays are views of buffers reused by the next batch: copy to keep them. */
export interface Minibatch {
  /** `size * rowSize` numbers: the gathered rows. */
  x: Float32Array;
  /** `size` labels. */
  y: Uint8Array;
  /** Rows in this batch: `batchSize`, or fewer for the last one. */
  size: number;
}

/**
 * Yields the rows of `x` (and labels of `y`) in the order given, `batchSize` at a time; the last
 * batch holds the remainder. The yielded arrays are reused: they are valid until the next batch.
 * Arguments are checked at the call, before the first batch.
 */
export function minibatches(
  x: Float32Array,
  rowSize: number,
  y: Uint8Array,
  batchSize: number,
  order: Uint32Array | number[],
): Generator<Minibatch, void, undefined> {
  if (!Number.isInteger(rowSize) || rowSize <= 0) {
    throw new Error(`minibatches: rowSize must be a positive integer, got ${rowSize}`);
  }
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new Error(`minibatches: batchSize must be a positive integer, got ${batchSize}`);
  }
  if (x.length % rowSize !== 0) {
    throw new Error(`minibatches: x has ${x.length} numbers, not a multiple of rowSize ${rowSize}`);
  }
  const rows = x.length / rowSize;
  if (y.length !== rows) {
    throw new Error(`minibatches: x has ${rows} rows but y has ${y.length} labels`);
  }
  for (let i = 0; i < order.length; i++) {
    const r = order[i];
    if (!Number.isInteger(r) || r < 0 || r >= rows) {
      throw new Error(`minibatches: order[${i}] = ${r} is not a row index in 0..${rows - 1}`);
    }
  }
  return gather();

  // A nested generator so the checks above run at the call, not at the first `next()`.
  function* gather(): Generator<Minibatch, void, undefined> {
    const bx = new Float32Array(Math.min(batchSize, order.length) * rowSize);
    const by = new Uint8Array(Math.min(batchSize, order.length));
    for (let start = 0; start < order.length; start += batchSize) {
      const size = Math.min(batchSize, order.length - start);
      for (let b = 0; b < size; b++) {
        const r = order[start + b];
        bx.set(x.subarray(r * rowSize, (r + 1) * rowSize), b * rowSize);
        by[b] = y[r];
      }
      yield size === by.length
        ? { x: bx, y: by, size }
        : { x: bx.subarray(0, size * rowSize), y: by.subarray(0, size), size };
    }
  }
}
