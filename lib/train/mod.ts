/**
 * Training support shared by the book's two training styles: TensorBoard event files, metrics,
 * Keras-style callbacks and a Lightning-style `LightningModule`/`Trainer`.
 *
 * @module
 */
export { crc32, crc32c, maskedCrc32c } from "./crc.ts";
export { encodePng } from "./png.ts";
export {
  FILE_VERSION,
  type Histogram,
  histogramOf,
  type ImageData,
  imageFromFloats,
  SummaryWriter,
  tfrecord,
} from "./tensorboard.ts";
