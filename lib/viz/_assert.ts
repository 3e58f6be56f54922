// Test assertions for lib/viz and lib/book (JSR's @std/assert is unreachable), over node:assert.
import nodeAssert from "node:assert/strict";

/** Fails unless `condition` holds. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  nodeAssert.ok(condition, message);
}

/** Deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  if (message === undefined) nodeAssert.deepStrictEqual(actual, expected);
  else nodeAssert.deepStrictEqual(actual, expected, message);
}

/** `actual` matches `re`. */
export function assertMatch(actual: string, re: RegExp, message?: string): void {
  if (message === undefined) nodeAssert.match(actual, re);
  else nodeAssert.match(actual, re, message);
}

/** `fn` throws (optionally an instance of `type`); returns the error. */
export function assertThrows(fn: () => unknown, type?: new (...a: never[]) => Error): Error {
  try {
    fn();
  } catch (e) {
    if (type && !(e instanceof type)) throw new Error(`expected ${type.name}, got ${e}`);
    return e as Error;
  }
  throw new Error("expected a throw");
}

/** The promise rejects; returns the error. */
export async function assertRejects(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection");
}
