/**
 * Bounded concurrency: run an async function over many items, at most `limit` at a time.
 *
 * @module
 */

/**
 * Calls `fn(item, index)` for every item with at most `limit` calls in flight and returns the
 * results in input order. The first rejection stops new calls and is rethrown once the calls in
 * flight have settled. `signal`, when aborted, stops new calls the same way.
 */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`mapPool: bad limit ${limit}`);
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      if (signal?.aborted) {
        failure = { error: signal.reason ?? new Error("aborted") };
        break;
      }
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}
