/**
 * Object detection parts for chapter 5's face-mask detector: BlazeFace (pretrained, run on tfjs
 * wasm) with anchor decoding and non-maximum suppression, IoU, and the detect → crop → classify
 * pipeline with annotated output.
 *
 * @module
 */
export {
  BlazeFace,
  BLAZEFACE_INPUT_SIZE,
  blazeFaceAnchors,
  type BlazeFaceVariant,
  type DetectOptions,
  type FaceBox,
  humanModelsDir,
  iou,
  nonMaxSuppression,
  type RgbImage,
} from "./blazeface.ts";
export { cropBox, type MaskDetection, MaskDetector, type MaskDetectorOptions } from "./mask.ts";
export { annotate, readRgb } from "./mask_io.ts";
