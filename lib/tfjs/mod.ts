/**
 * TensorFlow.js under Deno: the wasm backend made correct and fast for training, and model I/O.
 *
 * @module
 */
export { assertWasm, useWasm, type UseWasmOptions, wasmThreads, withBackend } from "./backend.ts";
export {
  KERNEL_PATCHES,
  type KernelPatch,
  type PatchReason,
  patchWasmKernels,
  wasmKernelsPatched,
} from "./patches.ts";
export { fileIO, MODEL_JSON, registerFileRouter, WEIGHTS_BIN } from "./io.ts";
