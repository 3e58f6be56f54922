/**
 * Model builders for the tfjs chapters.
 *
 * @module
 */
export { smallCnn2d, smallCnn3d, type SmallCnnOptions } from "./small_cnn.ts";
