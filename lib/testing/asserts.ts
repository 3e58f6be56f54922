/**
 * The assertions the book's tests use, shaped like Deno's `@std/assert` (which JSR hosts, and JSR
 * is not reachable from our machines), on top of `node:assert`.
 *
 * @module
 */

import { deepStrictEqual } from "node:assert/strict";

// deno-lint-ignore no-explicit-any
type ErrorClass<E extends Error> = new (...args: any[]) => E;

/** Fails with `message` unless `condition` holds. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}

/** Deep, strict equality (typed arrays compared element by element). */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  if (message === undefined) deepStrictEqual(actual, expected);
  else deepStrictEqual(actual, expected, message);
}

/** |actual − expected| ≤ tolerance. */
export function assertAlmostEquals(
  actual: number,
  expected: number,
  tolerance = 1e-7,
  message?: string,
): void {
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new Error(message ?? `expected ${expected} ± ${tolerance}, got ${actual}`);
  }
}

/** Fails unless `text` contains `part`. */
export function assertStringIncludes(text: string, part: string): void {
  if (!text.includes(part)) {
    throw new Error(`expected text to include ${JSON.stringify(part)}; text: ${text}`);
  }
}

/** Fails unless `text` matches `pattern`. */
export function assertMatch(text: string, pattern: RegExp, message?: string): void {
  if (!pattern.test(text)) {
    throw new Error(message ?? `expected ${JSON.stringify(text)} to match ${pattern}`);
  }
}

function checkError<E extends Error>(
  error: unknown,
  type: ErrorClass<E>,
  includes: string | string[],
): E {
  if (!(error instanceof type)) {
    throw new Error(
      `expected ${type.name}, got ${error instanceof Error ? error.stack : String(error)}`,
    );
  }
  for (const part of typeof includes === "string" ? [includes] : includes) {
    if (!error.message.includes(part)) {
      throw new Error(
        `expected the message to include ${JSON.stringify(part)}; got: ${error.message}`,
      );
    }
  }
  return error;
}

/** Runs `fn`; fails unless it throws a `type` whose message includes `includes` (each of them). */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  type: ErrorClass<E> = Error as unknown as ErrorClass<E>,
  includes: string | string[] = "",
): E {
  try {
    fn();
  } catch (error) {
    return checkError(error, type, includes);
  }
  throw new Error(`expected ${type.name} to be thrown, but nothing was thrown`);
}

/** Awaits `fn`; fails unless it rejects with a `type` whose message includes `includes`. */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  type: ErrorClass<E> = Error as unknown as ErrorClass<E>,
  includes: string | string[] = "",
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    return checkError(error, type, includes);
  }
  throw new Error(`expected a rejection with ${type.name}, but the promise resolved`);
}
