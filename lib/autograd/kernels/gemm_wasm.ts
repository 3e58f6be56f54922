/**
 * The WebAssembly SIMD fast path of {@link gemm} (see `matmul.ts`): the same packed, blocked
 * algorithm, compiled from AssemblyScript (`assembly/gemm.ts`, built by `deno task build:wasm` into
 * `gemm_wasm_bin.ts`, which is committed: two builds of about 2 KB, one with relaxed SIMD's fused
 * multiply-add, used where the runtime supports it, and one without). Operands are copied into the module's
 * memory and the result copied back; for the sizes our layers use this costs a few percent of the
 * product.
 *
 * @module
 */
import { GEMM_WASM_RELAXED_SIMD, GEMM_WASM_SIMD } from "./gemm_wasm_bin.ts";

interface GemmExports {
  memory: WebAssembly.Memory;
  SCRATCH_FLOATS: WebAssembly.Global;
  gemm(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    a: number,
    b: number,
    c: number,
    accumulate: number,
    scratch: number,
  ): void;
}

let exports: GemmExports | null = null;
let unavailable = false;
/** Byte address where our buffers start (AssemblyScript's static data lives below it). */
const BASE = 65536;

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Which build is loaded: with relaxed SIMD (fused multiply-add) or plain SIMD. */
export type WasmGemmVariant = "relaxed-simd" | "simd";
let variant: WasmGemmVariant | null = null;
let only: WasmGemmVariant | null = null;

/**
 * Loads only the given build from now on (tests check both builds against the TypeScript gemm);
 * null restores the default, relaxed SIMD where the runtime has it.
 */
export function selectWasmGemmVariant(v: WasmGemmVariant | null): void {
  only = v;
  exports = null;
  variant = null;
  unavailable = false;
}

/** The instantiated module, or null when this runtime cannot run WebAssembly SIMD. */
function load(): GemmExports | null {
  if (exports || unavailable) return exports;
  const builds: [WasmGemmVariant, string][] = [
    ["relaxed-simd", GEMM_WASM_RELAXED_SIMD],
    ["simd", GEMM_WASM_SIMD],
  ];
  for (const [name, base64] of builds) {
    if (only !== null && name !== only) continue;
    try {
      const module = new WebAssembly.Module(decodeBase64(base64) as BufferSource);
      const instance = new WebAssembly.Instance(module, {
        env: {
          abort: () => {
            throw new Error("gemm (wasm): abort");
          },
        },
      });
      exports = instance.exports as unknown as GemmExports;
      variant = name;
      return exports;
    } catch {
      // This runtime lacks the features of this build: try the next one.
    }
  }
  unavailable = true;
  return null;
}

/** The build in use, or null when WebAssembly SIMD is unavailable. */
export function wasmGemmVariant(): WasmGemmVariant | null {
  load();
  return variant;
}

/** True when the WebAssembly SIMD kernel can run here. */
export function wasmGemmAvailable(): boolean {
  return load() !== null;
}

const align16 = (x: number) => Math.ceil(x / 16) * 16;

/**
 * `C = op(A)·op(B)` (or `C +=` when `accumulate`) in WebAssembly; same contract as `gemm`, which
 * checks the arguments before calling it.
 *
 * @throws Error when WebAssembly SIMD is unavailable (check {@link wasmGemmAvailable})
 */
export function gemmWasm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  accumulate: boolean,
): void {
  const ex = load();
  if (ex === null) throw new Error("gemm (wasm): WebAssembly SIMD is not available");
  const scratch = BASE;
  const aAt = align16(scratch + (ex.SCRATCH_FLOATS.value as number) * 4 + 128);
  const bAt = align16(aAt + m * k * 4);
  const cAt = align16(bAt + k * n * 4);
  const end = cAt + m * n * 4;
  const mem = ex.memory;
  if (end > mem.buffer.byteLength) {
    mem.grow(Math.ceil((end - mem.buffer.byteLength) / 65536));
  }
  const heap = mem.buffer;
  new Float32Array(heap, aAt, m * k).set(a.subarray(0, m * k));
  new Float32Array(heap, bAt, k * n).set(b.subarray(0, k * n));
  const cView = new Float32Array(heap, cAt, m * n);
  if (accumulate) cView.set(c.subarray(0, m * n));
  ex.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, aAt, bAt, cAt, accumulate ? 1 : 0, scratch);
  c.set(cView);
}
