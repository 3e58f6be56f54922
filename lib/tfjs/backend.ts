/**
 * Selecting the wasm backend, loudly.
 *
 * The wasm backend reads its `.wasm` binary from `node_modules` next to its JavaScript (the npm
 * package's Node build resolves it from its own directory, so no `setWasmPaths` is needed under
 * Deno with `nodeModulesDir`). Without `--allow-read`, `tf.setBackend("wasm")` returns `false` and
 * tfjs silently keeps running on the ~100x slower cpu backend; {@link useWasm} throws instead.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { patchWasmKernels } from "./patches.ts";
import { registerThreadedWasm, wasmThreadsInUse } from "./wasm_threads.ts";
import { bookThreads } from "../common/threads.ts";

/** Options for {@link useWasm}. */
export interface UseWasmOptions {
  /**
   * Where the `.wasm` binaries live: a folder prefix ending in `/`, or a map from file name
   * (`tfjs-backend-wasm-simd.wasm`, ...) to path. Default: next to the package's JavaScript.
   */
  wasmPaths?: string | Record<string, string>;
  /** Skip re-registering the patched kernels (only for reproducing stock behaviour). */
  stockKernels?: boolean;
  /**
   * XNNPACK threads (1-8), fixed for the process at the backend's first initialisation.
   * Default: `BOOK_THREADS`, else 2 on 2+ cores and 1 on a single core.
   */
  threads?: number;
}

/** The XNNPACK thread count of the running wasm backend (1: the single-threaded binary). */
export function wasmThreads(): number {
  return wasmThreadsInUse();
}

/**
 * Patches the wasm kernels, switches tfjs to the wasm backend and throws if that failed.
 *
 * @returns the active backend name, always `"wasm"`
 */
export async function useWasm(options: UseWasmOptions = {}): Promise<"wasm"> {
  if (!options.stockKernels) patchWasmKernels();
  // Must precede the backend's first initialisation; tfjs throws otherwise.
  if (options.wasmPaths != null) setWasmPaths(options.wasmPaths);
  const threads = options.threads ?? bookThreads(8);
  if (threads > 1 && options.wasmPaths == null) registerThreadedWasm(threads);
  const ok = await tf.setBackend("wasm");
  if (!ok || tf.getBackend() !== "wasm") {
    throw new Error(
      "tf.setBackend('wasm') failed (tfjs would silently fall back to cpu). The wasm backend must " +
        "read its .wasm file from node_modules: run with --allow-read (or --allow-all) and " +
        "`deno install` first.",
    );
  }
  await tf.ready();
  return "wasm";
}

/** Throws unless tfjs is currently running on the wasm backend. */
export function assertWasm(): void {
  const b = tf.getBackend();
  if (b !== "wasm") throw new Error(`expected the tfjs wasm backend, but tfjs is on '${b}'`);
}

/**
 * Runs `fn` with tfjs switched to `backendName`, then switches back to the previous backend.
 * Tests use it to compare wasm with the cpu backend.
 */
export async function withBackend<T>(backendName: string, fn: () => T | Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  if (!(await tf.setBackend(backendName))) throw new Error(`cannot switch to ${backendName}`);
  try {
    return await fn();
  } finally {
    await tf.setBackend(previous);
  }
}
