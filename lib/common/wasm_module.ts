/**
 * Our own WebAssembly modules (the engine's kernels, `lib/autograd/kernels/gemm_wasm.ts`; tfjs's
 * SIMD kernels, `lib/tfjs/simd_kernels.ts`): each is compiled from AssemblyScript twice by
 * `deno task build:wasm` — with relaxed SIMD's fused multiply-add and with plain SIMD — and
 * committed as base64. A module imports a shared memory, so that a helper thread's instance of the
 * same build (`helper_thread.ts`) works on the same arrays.
 *
 * @module
 */

import { decodeBase64 } from "./base64.ts";

/** A build of a module: with relaxed SIMD (fused multiply-add) or plain SIMD. */
export type SimdBuild = "relaxed-simd" | "simd";

/** Pages (64 KiB) of a module's shared memory: initial, and the most the builds declare (1 GiB). */
const INITIAL_PAGES = 32;
/** Bytes a module's memory can grow to (the builds' maximum, 16,384 pages). */
export const MAX_MEMORY_BYTES = 16384 * 65536;

/** Instantiates the build in `base64` on `memory`; `name` goes into its abort message. */
export function instantiateBuild<E>(base64: string, memory: WebAssembly.Memory, name: string): E {
  const module = new WebAssembly.Module(decodeBase64(base64) as BufferSource);
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error(`${name} (wasm): abort`);
      },
    },
  });
  return instance.exports as unknown as E;
}

/** An instantiated module: its exports, its shared memory and which build it is. */
export interface LoadedModule<E> {
  ex: E;
  memory: WebAssembly.Memory;
  variant: SimdBuild;
}

/**
 * The first build this runtime can run — relaxed SIMD, then plain SIMD; only `only` when given —
 * instantiated on a new shared memory, or null when it runs neither.
 */
export function instantiateFirst<E>(
  builds: Record<SimdBuild, string>,
  only: SimdBuild | null,
  name: string,
): LoadedModule<E> | null {
  for (const variant of ["relaxed-simd", "simd"] as SimdBuild[]) {
    if (only !== null && variant !== only) continue;
    try {
      const memory = new WebAssembly.Memory({
        initial: INITIAL_PAGES,
        maximum: MAX_MEMORY_BYTES / 65536,
        shared: true,
      });
      return { ex: instantiateBuild<E>(builds[variant], memory, name), memory, variant };
    } catch {
      // This runtime lacks the features of this build: try the next one.
    }
  }
  return null;
}
