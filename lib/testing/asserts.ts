/**
 * The few assertions the book's tests use, on top of `node:assert` (JSR's `@std/assert` is not
 * reachable from our machines).
 *
 * @module
 */

import nodeAssert from "node:assert/strict";

/** Fails with `message` unless `condition` holds. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  nodeAssert.ok(condition, message);
}

/** Deep, strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** |actual − expected| ≤ tolerance. */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance = 1e-6,
  message?: string,
): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new Error(message ?? `expected ${expected} ± ${tolerance}, got ${actual}`);
  }
}

/** `fn` throws an Error whose message contains `includes`; returns that error. */
export function assertThrows(fn: () => unknown, includes: string): Error {
  try {
    fn();
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    if (!message.includes(includes)) {
      throw new Error(`expected an error containing "${includes}", got: ${message}`);
    }
    return error as Error;
  }
  throw new Error(`expected an error containing "${includes}", but nothing was thrown`);
}

/** Like {@link assertThrows} for async functions. */
export async function assertRejects(fn: () => Promise<unknown>, includes: string): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    if (!message.includes(includes)) {
      throw new Error(`expected an error containing "${includes}", got: ${message}`);
    }
    return error as Error;
  }
  throw new Error(`expected an error containing "${includes}", but nothing was thrown`);
}
