/**
 * `node:worker_threads` for browser bundles of our engine (`engine_import_map.json`): the page
 * is the main thread and there are no Node workers, so `gemm` stays on its one-thread path.
 *
 * @module
 */
/** Always the main thread in a page. */
export const isMainThread = true;
/** No worker data in a page. */
export const workerData: unknown = null;
/** Never constructed in a page (`gemm` only starts a helper where it can read its own file). */
export class Worker {
  constructor() {
    throw new Error("node:worker_threads is not available in the browser");
  }
}
