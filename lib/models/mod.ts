/**
 * Model builders for the tfjs chapters.
 *
 * @module
 */
export { smallCnn2d, smallCnn3d, type SmallCnnOptions } from "./small_cnn.ts";
export { cnnClassifier, type CnnClassifierOptions, type Pooling } from "./cnn_classifier.ts";
