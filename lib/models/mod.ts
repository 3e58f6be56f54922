/**
 * Model builders for the tfjs chapters.
 *
 * @module
 */
export { smallCnn2d, smallCnn3d, type SmallCnnOptions } from "./small_cnn.ts";
export { cnnClassifier, type CnnClassifierOptions, type Pooling } from "./cnn_classifier.ts";
export {
  fireModule,
  type FireSpec,
  scaleFilters,
  squeezeNet,
  type SqueezeNetOptions,
  type SqueezeNetVersion,
} from "./squeezenet.ts";
export { xception, XCEPTION_FILTERS, type XceptionOptions } from "./xception.ts";
export {
  type BlockCost,
  blockCosts,
  blockOf,
  countMultAdds,
  type LayerCost,
  layerCosts,
  layerMultAdds,
} from "./complexity.ts";
export { type DiagramOptions, modelDiagram } from "./diagram.ts";
export { batchNorm3d, cnn3d, type Cnn3dOptions } from "./cnn3d.ts";
export {
  cutAt,
  DARKNET_INPUT_SIZE,
  DARKNET_LABELS_FILE,
  DARKNET_TINY_FILES,
  darknetLabels,
  type DarknetOptions,
  foldBatchNorm,
  layersBetween,
  loadDarknetTiny,
  setTrainable,
  topK,
} from "./darknet.ts";
export {
  exportToKeras,
  type KerasExportOptions,
  type KerasExportResult,
  kerasPython,
  npyFloat32,
} from "./keras_export.ts";
export { probeInChild, probeXceptionStep, type StepProbeResult } from "./step_probe.ts";
