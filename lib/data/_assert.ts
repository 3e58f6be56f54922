/**
 * Small test assertions for `lib/data` tests (JSR's `@std/assert` is not reachable here).
 *
 * @module
 */

import { deepStrictEqual } from "node:assert/strict";

/** Throws when `condition` is falsy. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}

/** Deep, strict equality (typed arrays compared element by element). */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  deepStrictEqual(actual, expected, message);
}

/** Throws unless `text` contains `part`. */
export function assertStringIncludes(text: string, part: string): void {
  if (!text.includes(part)) {
    throw new Error(`expected text to include ${JSON.stringify(part)}; text: ${text}`);
  }
}

/** Runs `fn` and throws unless it throws an instance of `type` whose message includes `part`. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => E,
  part = "",
): E {
  try {
    fn();
  } catch (e) {
    return checkError(e, type, part);
  }
  throw new Error(`expected ${type.name} to be thrown`);
}

/** Awaits `fn` and throws unless it rejects with an instance of `type` whose message has `part`. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => E,
  part = "",
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    return checkError(e, type, part);
  }
  throw new Error(`expected a rejection with ${type.name}`);
}

function checkError<E extends Error>(
  e: unknown,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => E,
  part: string,
): E {
  if (!(e instanceof type)) {
    throw new Error(`expected ${type.name}, got ${e instanceof Error ? e.stack : String(e)}`);
  }
  if (!e.message.includes(part)) {
    throw new Error(`expected message to include ${JSON.stringify(part)}; got: ${e.message}`);
  }
  return e;
}
