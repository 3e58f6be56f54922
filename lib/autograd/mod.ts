/**
 * A from-scratch autograd engine over our own typed-array kernels (chapter 1).
 *
 * - `Tensor` with reverse-mode autodiff (`tensor.ts`), over contiguous float32 arrays
 *   (`ndarray.ts`) and fast matmul/convolution kernels (`kernels/`);
 * - operations beyond arithmetic (`functional.ts`), layers (`nn.ts`), losses (`losses.ts`),
 *   optimizers (`optim.ts`), initialisation (`init.ts`), a seeded RNG (`random.ts`),
 *   safetensors save/load (`serialize.ts`) and a numerical gradient checker (`gradcheck.ts`).
 *
 * @module
 */

export * from "./tensor.ts";
export * from "./functional.ts";
export * from "./nn.ts";
export * from "./losses.ts";
export * from "./optim.ts";
export * from "./init.ts";
export * from "./random.ts";
export * from "./serialize.ts";
export * from "./gradcheck.ts";
export { broadcastShapes, formatShape, type Shape, sizeOf } from "./ndarray.ts";
