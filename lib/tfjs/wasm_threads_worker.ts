/**
 * One pthread of tfjs-backend-wasm's threaded build (an XNNPACK pool thread), as a Deno module
 * worker started through `node:worker_threads`.
 *
 * It speaks the protocol of the worker script Emscripten generated for the package (`load`: build
 * this thread's instance of the module on the shared memory, answer `loaded`; `run`: enter the
 * thread's start routine, which for a pool thread never returns; `cancel`;
 * `processProxyingQueue`), which cannot run under Deno as shipped (see `wasm_threads_source.ts`).
 *
 * @module
 */
import { parentPort } from "node:worker_threads";
import { makeThreadedFactory } from "./wasm_threads_source.ts";

// deno-lint-ignore no-explicit-any
type EmModule = Record<string, any>;

if (parentPort) {
  const port = parentPort;
  const post = (msg: unknown) => port.postMessage(msg);
  let module: EmModule = {};
  let initializedJS = false;
  let pendingQueues: number[] = [];

  const onMessage = (data: EmModule) => {
    try {
      if (data.cmd === "load") {
        const m: EmModule = {};
        m.wasmModule = data.wasmModule;
        for (const handler of data.handlers as string[]) {
          m[handler] = (...args: unknown[]) => post({ cmd: "callHandler", handler, args });
        }
        m.wasmMemory = data.wasmMemory;
        m.buffer = m.wasmMemory.buffer;
        m.ENVIRONMENT_IS_PTHREAD = true;
        m.instantiateWasm = (
          imports: WebAssembly.Imports,
          receive: (instance: WebAssembly.Instance) => void,
        ) => {
          const instance = new WebAssembly.Instance(m.wasmModule, imports);
          receive(instance);
          m.wasmModule = null;
          return instance.exports;
        };
        module = m;
        const factory = makeThreadedFactory({
          threads: 1, // only the main thread's copy reads these two
          poolSize: 0,
          postMessage: post,
          startWorker: (instance) => {
            module = instance as EmModule;
            post({ cmd: "loaded" });
          },
        });
        factory(m);
      } else if (data.cmd === "run") {
        module.__emscripten_thread_init(data.pthread_ptr, 0, 0, 1);
        module.establishStackSpace();
        module.PThread.receiveObjectTransfer(data);
        module.PThread.threadInitTLS();
        if (!initializedJS) {
          for (const q of pendingQueues) module.executeNotifiedProxyingQueue(q);
          pendingQueues = [];
          initializedJS = true;
        }
        try {
          module.invokeEntryPoint(data.start_routine, data.arg);
        } catch (ex) {
          if (ex !== "unwind") {
            if (ex instanceof module.ExitStatus) {
              const status = (ex as { status: number }).status;
              if (!module.keepRuntimeAlive()) module.__emscripten_thread_exit(status);
            } else throw ex;
          }
        }
      } else if (data.cmd === "cancel") {
        if (module._pthread_self()) module.__emscripten_thread_exit(-1);
      } else if (data.cmd === "processProxyingQueue") {
        if (initializedJS) module.executeNotifiedProxyingQueue(data.queue);
        else pendingQueues.push(data.queue);
      }
    } catch (ex) {
      module.__emscripten_thread_crashed?.();
      throw ex;
    }
  };
  port.on("message", onMessage);
}
