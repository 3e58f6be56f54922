/**
 * The Emscripten factory of tfjs-backend-wasm's threaded SIMD build, made runnable under Deno.
 *
 * `@tensorflow/tfjs-backend-wasm@4.22.0` ships three binaries; its loader picks the threaded one
 * only where `WASM_HAS_MULTITHREAD_SUPPORT` holds, a flag it hard-codes to false under Node (and
 * so under Deno, which it takes for Node). Forcing the flag is not enough, for four reasons this
 * module works around by evaluating the factory's own source with a few names supplied:
 *
 * 1. The pthread workers are created from a `blob:` URL and run a classic script written for
 *    Node's `worker_threads` (`importScripts` = `eval(fs.readFileSync(url))`, and an
 *    `Object.assign(global, { location, ... })` that Deno's read-only `location` rejects). We start
 *    {@link WORKER_URL} instead, a module that speaks the same protocol.
 * 2. The factory's source refers to names of the bundle it was cut from (`require$$0` = `fs`,
 *    `require$$4` = `os`, `commonjsGlobal`, ...), so a worker cannot simply evaluate
 *    `factory.toString()` as the loader intends.
 * 3. The XNNPACK thread count is capped at `emscripten_num_logical_cores() / 2` (the C++ side
 *    assumes two hyper-threads per core): on a 2-core machine, 1. We report `2 × threads` logical
 *    cores so that `setThreadsCount(threads)` is honoured.
 * 4. Emscripten pre-starts 8 workers (`PTHREAD_POOL_SIZE`, one V8 isolate each) and, in Node mode,
 *    installs process-wide `uncaughtException` / `unhandledRejection` handlers and replaces the
 *    global `Worker`. We pre-start only the workers needed, hand it a stand-in `process` and a
 *    private global object.
 *
 * This file has no tfjs import so that each pthread worker loads only this and the factory.
 *
 * @module
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as os from "node:os";
import * as perfHooks from "node:perf_hooks";
import * as workerThreads from "node:worker_threads";
import { hrtime, versions } from "node:process";

/** The module that runs one pthread (an XNNPACK pool thread). */
export const WORKER_URL = new URL("./wasm_threads_worker.ts", import.meta.url);

/** The package's `dist` folder, found by walking up from this file to a `node_modules`. */
export function wasmDistDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, "node_modules", "@tensorflow", "tfjs-backend-wasm", "dist");
    if (fs.existsSync(path.join(candidate, "tf-backend-wasm.node.js"))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) {
      throw new Error(
        "threaded wasm backend: node_modules/@tensorflow/tfjs-backend-wasm/dist not found above " +
          `${import.meta.url} (run \`deno install\`; the book uses nodeModulesDir "auto")`,
      );
    }
    dir = up;
  }
}

const FACTORY_START = "var WasmBackendModuleThreadedSimd = (function () {";
const FACTORY_END = "})();\n    module.exports = WasmBackendModuleThreadedSimd;";

/** Replaces the one occurrence of `find` in `text`; throws when it occurs 0 or 2+ times. */
function replaceOnce(text: string, find: RegExp | string, replacement: string, what: string) {
  const re = typeof find === "string"
    ? new RegExp(find.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g")
    : new RegExp(find.source, "g");
  const hits = text.match(re)?.length ?? 0;
  if (hits !== 1) {
    throw new Error(
      `threaded wasm backend: expected one ${what} in tf-backend-wasm.node.js, found ${hits} ` +
        "(written for @tensorflow/tfjs-backend-wasm@4.22.0)",
    );
  }
  return text.replace(re, () => replacement);
}

let cachedSource: string | null = null;

/** The factory's source (an expression), with the thread count and pool size made parameters. */
export function threadedFactorySource(distDir = wasmDistDir()): string {
  if (cachedSource) return cachedSource;
  const bundle = fs.readFileSync(path.join(distDir, "tf-backend-wasm.node.js"), "utf8");
  const start = bundle.indexOf(FACTORY_START);
  const end = bundle.indexOf(FACTORY_END);
  if (start < 0 || end < start || bundle.indexOf(FACTORY_START, start + 1) >= 0) {
    throw new Error(
      "threaded wasm backend: the threaded SIMD factory was not found in tf-backend-wasm.node.js " +
        "(written for @tensorflow/tfjs-backend-wasm@4.22.0)",
    );
  }
  let src = bundle.slice(start + "var WasmBackendModuleThreadedSimd = ".length, end + 4);
  src = replaceOnce(
    src,
    /function _emscripten_num_logical_cores\(\) \{[^}]*\}/,
    "function _emscripten_num_logical_cores() { return bookLogicalCores; }",
    "emscripten_num_logical_cores",
  );
  src = replaceOnce(src, "var pthreadPoolSize = 8;", "var pthreadPoolSize = bookPoolSize;", "pool");
  cachedSource = src;
  return src;
}

/** An Emscripten module factory: resolves to the initialised module. */
// deno-lint-ignore no-explicit-any
export type ModuleFactory = (config: Record<string, any>) => Promise<any>;

/** What differs between the main thread's and a pthread worker's copy of the factory. */
export interface FactoryScope {
  /** Threads XNNPACK may use (the logical-core count reported is twice this). */
  threads: number;
  /** Workers to pre-start on the main thread. */
  poolSize: number;
  /** The Worker class Emscripten instantiates for each pool thread (main thread only). */
  Worker?: unknown;
  /** The worker's `postMessage` to the main thread (pthread workers only). */
  postMessage?: (msg: unknown) => void;
  /** Called by the factory once a pthread worker's module is ready (pthread workers only). */
  startWorker?: (module: unknown) => void;
}

/** Evaluates the threaded factory with the names its source expects. */
export function makeThreadedFactory(scope: FactoryScope, distDir = wasmDistDir()): ModuleFactory {
  const source = threadedFactorySource(distDir);
  const bundleFile = path.join(distDir, "tf-backend-wasm.node.js");
  const modules: Record<string, unknown> = {
    fs,
    path,
    os,
    perf_hooks: perfHooks,
    worker_threads: { ...workerThreads, Worker: scope.Worker ?? workerThreads.Worker },
  };
  const require = (name: string) => {
    const m = modules[name.replace(/^node:/, "")];
    if (!m) throw new Error(`threaded wasm backend: unexpected require("${name}")`);
    return m;
  };
  // Node mode without side effects on this process: no global handlers, no global Worker.
  const processStandIn = {
    versions,
    argv: [] as string[],
    hrtime,
    on() {},
    listeners: () => [],
    removeListener() {},
    exit(code: number) {
      throw new Error(`threaded wasm backend: the module asked to exit with status ${code}`);
    },
  };
  const names = [
    "require$$0",
    "require$$1",
    "require$$3",
    "require$$4",
    "commonjsGlobal",
    "require",
    "__filename",
    "__dirname",
    "process",
    "Worker",
    "postMessage",
    "startWorker",
    "bookLogicalCores",
    "bookPoolSize",
    "__values",
    "__read",
    "__spreadArray",
  ];
  const make = new Function(...names, `"use strict"; return ${source};`);
  return make(
    fs,
    path,
    perfHooks,
    os,
    { performance: globalThis.performance },
    require,
    bundleFile,
    distDir,
    processStandIn,
    scope.Worker,
    scope.postMessage,
    scope.startWorker,
    2 * scope.threads,
    scope.poolSize,
    // The three TypeScript helpers the bundle's down-levelled loops call.
    (o: Iterable<unknown>) => o[Symbol.iterator](),
    (o: Iterable<unknown>, n?: number) => Array.from(o).slice(0, n),
    (to: unknown[], from: Iterable<unknown>) => to.concat(Array.from(from)),
  ) as ModuleFactory;
}
