/**
 * The face-mask detector of chapter 5, from our own parts: image → faces (BlazeFace) → square crop
 * with a margin around each face → our mask classifier → labelled boxes. Pure tfjs (no sharp), so
 * the site's mask demo runs the same code in the page; reading files and drawing the annotated copy
 * are in `mask_io.ts`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { DetectOptions, FaceBox, Region, RgbImage } from "./blazeface.ts";

/** One labelled face. */
export interface MaskDetection {
  /** The face box from the detector, in image pixels. */
  box: FaceBox;
  /** The square region given to the classifier (the box grown by the margin, inside the image). */
  crop: Region;
  /** The classifier's answer. */
  label: string;
  /** Its probability. */
  confidence: number;
}

/**
 * The square region around a face that the classifier sees: the box's longer side grown by
 * `margin` on each side (default 0.25), centred on the box, clipped to the image.
 */
export function cropBox(
  face: FaceBox,
  width: number,
  height: number,
  margin = 0.25,
): Region {
  const side = Math.max(face.width, face.height) * (1 + 2 * margin);
  const cx = face.x + face.width / 2, cy = face.y + face.height / 2;
  const x0 = Math.max(0, Math.round(cx - side / 2)), y0 = Math.max(0, Math.round(cy - side / 2));
  const x1 = Math.min(width, Math.round(cx + side / 2)),
    y1 = Math.min(height, Math.round(cy + side / 2));
  return { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}

/**
 * The classifier's input for each region of `image`: the region resized (bilinear) to
 * `size × size`, rounded to whole grey levels and scaled to [0, 1], as `[N, size, size, 3]`.
 * Rounding makes these exactly the pixels a cached 8-bit crop holds, so a classifier trained on
 * stored crops (`face_crops.ts`) sees at detection time the very same numbers.
 */
export function faceCropPixels(image: RgbImage, regions: Region[], size: number): tf.Tensor4D {
  return tf.tidy(() => {
    const img = tf.tensor3d(image.data, [image.height, image.width, 3], "int32").toFloat()
      .expandDims(0) as tf.Tensor4D;
    // cropAndResize takes normalized [y1, x1, y2, x2] boxes (a 1-pixel side maps to 0).
    const h1 = Math.max(1, image.height - 1), w1 = Math.max(1, image.width - 1);
    const norm = regions.map((c) => [
      c.y / h1,
      c.x / w1,
      (c.y + c.height - 1) / h1,
      (c.x + c.width - 1) / w1,
    ]);
    const patches = tf.image.cropAndResize(img, norm, regions.map(() => 0), [size, size]);
    return patches.round().div(255);
  });
}

/** Options of {@link MaskDetector}. */
export interface MaskDetectorOptions extends DetectOptions {
  /** Class names in the classifier's output order. */
  classes: string[];
  /** Side of the classifier's square input (default 64). */
  inputSize?: number;
  /** Margin of the face crop (see {@link cropBox}; default 0.25). */
  margin?: number;
}

/** Anything that finds faces the way `BlazeFace` does (tests use stand-ins). */
export interface FaceFinder {
  /** Face boxes in image pixels, best first. */
  detect(image: RgbImage, opts?: DetectOptions): Promise<FaceBox[]>;
}

/** BlazeFace plus a mask classifier. */
export class MaskDetector {
  /** Wraps a face detector and a classifier of `[N, size, size, 3]` in [0, 1] → class logits. */
  constructor(
    readonly faces: FaceFinder,
    readonly classifier: tf.LayersModel,
    readonly options: MaskDetectorOptions,
  ) {}

  /** Finds the faces in `image` and labels each one. */
  async detect(image: RgbImage): Promise<MaskDetection[]> {
    const boxes = await this.faces.detect(image, this.options);
    if (boxes.length === 0) return [];
    const size = this.options.inputSize ?? 64;
    const crops = boxes.map((b) => cropBox(b, image.width, image.height, this.options.margin));
    const probs = tf.tidy(() =>
      // The classifier returns logits (as every model in lib/models does).
      tf.softmax(this.classifier.predict(faceCropPixels(image, crops, size)) as tf.Tensor2D)
    );
    const p = await probs.array();
    probs.dispose();
    return boxes.map((box, i) => {
      const k = p[i].indexOf(Math.max(...p[i]));
      return { box, crop: crops[i], label: this.options.classes[k], confidence: p[i][k] };
    });
  }
}
