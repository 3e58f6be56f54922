/**
 * tfjs's wasm backend on several threads under Deno: XNNPACK's thread pool on the package's own
 * threaded SIMD binary, with pthreads as Deno workers.
 *
 * {@link registerThreadedWasm} replaces the `"wasm"` backend's factory (before the backend is first
 * initialised) with one that loads `tfjs-backend-wasm-threaded-simd.wasm` through
 * `wasm_threads_source.ts`; every kernel registered for `"wasm"` (tfjs's and ours in `patches.ts`)
 * runs unchanged on it. What runs on several threads is whatever tfjs hands to XNNPACK —
 * convolutions, depthwise convolutions, matrix products, pooling, element-wise binary ops — the
 * rest (tfjs's plain C++ kernels, our TypeScript loops) stays on the calling thread.
 *
 * A fixed thread count gives the same numbers run to run: XNNPACK splits outputs into tiles, and
 * each output is reduced by one thread in a fixed order.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { BackendWasm, getThreadsCount, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker as NodeWorker } from "node:worker_threads";
import { makeThreadedFactory, wasmDistDir, WORKER_URL } from "./wasm_threads_source.ts";

/** tfjs's priority for the wasm backend (`WASM_PRIORITY` in the package). */
const WASM_PRIORITY = 2;

/**
 * A pool thread's worker. Emscripten (in Node mode) `unref()`s a worker once it has loaded and
 * `ref()`s it while it runs a thread; XNNPACK's pool threads never return, so that would keep the
 * process alive for ever: once loaded, they stay unref'd.
 */
class PoolWorker extends NodeWorker {
  /** Where a worker's error goes (Emscripten's own handler would throw it from an event). */
  static onFailure: (error: unknown) => void = () => {};
  constructor(_emscriptenScriptPath: string) {
    super(WORKER_URL);
  }
  override ref(): void {}
  /** Emscripten assigns its handler here; errors go to {@link PoolWorker.onFailure} instead. */
  set onerror(_handler: unknown) {}
  get onerror(): (error: unknown) => void {
    return (error) => PoolWorker.onFailure(error);
  }
}

/** The XNNPACK thread count a backend created now would use, or null before registration. */
let registeredThreads: number | null = null;

/**
 * Loads the threaded module: resolves to the Emscripten module with the `tfjs` functions the
 * backend expects (as tfjs's own `init()` builds it).
 */
// deno-lint-ignore no-explicit-any
async function loadThreadedModule(threads: number): Promise<any> {
  const distDir = wasmDistDir();
  const binary = fs.readFileSync(path.join(distDir, "tfjs-backend-wasm-threaded-simd.wasm"));
  const factory = makeThreadedFactory(
    { threads, poolSize: threads - 1, Worker: PoolWorker },
    distDir,
  );
  let aborted: unknown = null;
  const failed = new Promise<never>((_, reject) => {
    PoolWorker.onFailure = (error) =>
      reject(new Error(`threaded wasm backend: a worker failed: ${error}`));
  });
  const module = await Promise.race([
    failed,
    factory({
      locateFile: (file: string) => path.join(distDir, file),
      mainScriptUrlOrBlob: path.join(distDir, "tf-backend-wasm.node.js"),
      instantiateWasm: (
        imports: WebAssembly.Imports,
        receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
      ) => {
        WebAssembly.instantiate(binary, imports).then(
          (r) => receive(r.instance, r.module),
          (e) => {
            aborted = e;
          },
        );
        return {};
      },
      onAbort: (what: unknown) => {
        aborted = what;
      },
    }),
  ]);
  if (aborted) throw new Error(`threaded wasm backend failed to start: ${aborted}`);
  module.tfjs = {
    init: module.cwrap("init", null, []),
    initWithThreadsCount: module.cwrap("init_with_threads_count", null, ["number"]),
    getThreadsCount: module.cwrap("get_threads_count", "number", []),
    registerTensor: module.cwrap("register_tensor", null, ["number", "number", "number"]),
    disposeData: module.cwrap("dispose_data", null, ["number"]),
    dispose: module.cwrap("dispose", null, []),
  };
  return module;
}

/**
 * Makes the `"wasm"` backend use XNNPACK on `threads` threads (≥ 2; the main thread is one of
 * them). Call before the backend is first initialised (before `tf.setBackend("wasm")`).
 */
export function registerThreadedWasm(threads: number): void {
  if (!Number.isInteger(threads) || threads < 2 || threads > 8) {
    throw new Error(`registerThreadedWasm: threads must be an integer in 2..8, got ${threads}`);
  }
  if (tf.engine().registry["wasm"] && registeredThreads !== threads) {
    throw new Error(
      "registerThreadedWasm: the wasm backend is already initialised; choose the thread count " +
        "before the first tf.setBackend('wasm') (BOOK_TFJS_THREADS)",
    );
  }
  if (registeredThreads === threads) return;
  tf.removeBackend("wasm");
  setThreadsCount(threads);
  tf.registerBackend("wasm", async () => {
    const module = await loadThreadedModule(threads);
    return new BackendWasm(module);
  }, WASM_PRIORITY);
  registeredThreads = threads;
}

/** XNNPACK's thread count in the running wasm backend (1 for the single-threaded build). */
export function wasmThreadsInUse(): number {
  return getThreadsCount();
}
