/**
 * Object detection parts for chapter 5's face-mask detector: BlazeFace (pretrained, run on tfjs
 * wasm) with anchor decoding and non-maximum suppression, IoU, and the detect → crop → classify
 * pipeline with annotated output, and the classifier's training crops cut the same way (`face_crops.ts`).
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
  type Region,
  type RgbImage,
} from "./blazeface.ts";
export {
  cropBox,
  faceCropPixels,
  type FaceFinder,
  type MaskDetection,
  MaskDetector,
  type MaskDetectorOptions,
} from "./mask.ts";
export {
  cutFaceCrop,
  type FaceCrop,
  type FaceCropCacheOptions,
  type FaceCropDataset,
  faceCropDataset,
  type FaceCropDatasetOptions,
  faceCropKey,
  type FaceCropOptions,
  type FaceCropRun,
  faceCropsOf,
  type FaceCropSplit,
} from "./face_crops.ts";
export { annotate, readRgb } from "./mask_io.ts";
