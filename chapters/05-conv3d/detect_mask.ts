/**
 * `deno task detect-mask <image…> [--out DIR]`: finds the faces in each image with BlazeFace, labels
 * each one "with_mask" or "without_mask" with chapter 5's classifier, prints one JSON line per image
 * and writes `<out>/<name>.annotated.png` (boxes, labels, confidences) and `<out>/<name>.json`.
 *
 * ```sh
 * deno task chapter5-mask                             # trains and saves the classifier first
 * deno task detect-mask photo.jpg group.png --out runs/masks
 * deno task detect-mask --model=runs/chapter5/mask-model --min-score=0.7 photo.jpg
 * ```
 *
 * An unreadable file gets a one-line error naming it (the others are still processed, and the exit
 * status is 1); an image without a face says so (`"faces": []`, and "no face found" on stderr).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { basename, extname, join } from "node:path";
import { runsDir } from "../../lib/book/args.ts";
import {
  annotate,
  BlazeFace,
  type MaskDetection,
  MaskDetector,
  readRgb,
} from "../../lib/detect/mod.ts";
import { fileIO, useWasm } from "../../lib/tfjs/mod.ts";
// Register the custom layers chapter models may use, so that saved models load back.
import "../../lib/tfjs/gem_pool.ts";
import "../../lib/tfjs/seeded_dropout.ts";

/** Where `deno task chapter5` saves the mask classifier. */
export const DEFAULT_MASK_MODEL = runsDir("chapter5", "mask-model");

/** What the saved classifier's `model.json` carries in `userDefinedMetadata`. */
export interface MaskModelMetadata {
  /** Class names in output order. */
  classes: string[];
  /** Side of the square input. */
  imageSize: number;
  /** Margin of the face crop. */
  margin: number;
  /** The face detector's score threshold the training crops were cut with (older models: none). */
  minScore?: number;
}

/** Loads BlazeFace and the saved classifier into a {@link MaskDetector}. */
export async function loadMaskDetector(
  modelDir = DEFAULT_MASK_MODEL,
  minScore?: number,
): Promise<MaskDetector> {
  let classifier: tf.LayersModel;
  try {
    classifier = await tf.loadLayersModel(fileIO(modelDir));
  } catch (e) {
    throw new Error(
      `cannot load the mask classifier from ${modelDir} (run \`deno task chapter5\` first, or ` +
        `pass --model=DIR): ${(e as Error).message}`,
    );
  }
  const meta = classifier.getUserDefinedMetadata() as MaskModelMetadata | undefined;
  if (!meta?.classes || !meta.imageSize) {
    throw new Error(`${modelDir}/model.json has no classes / imageSize in userDefinedMetadata`);
  }
  return new MaskDetector(await BlazeFace.load("back"), classifier, {
    classes: meta.classes,
    inputSize: meta.imageSize,
    margin: meta.margin,
    // The threshold the classifier's training crops were cut with, unless told otherwise.
    minScore: minScore ?? meta.minScore ?? 0.6,
  });
}

/** The JSON written for one image. */
export interface ImageResult {
  /** The input file. */
  file: string;
  /** Labelled faces (empty: no face found). */
  faces?: { box: number[]; score: number; label: string; confidence: number }[];
  /** The annotated image written, when any. */
  annotated?: string;
  /** Why the file could not be processed. */
  error?: string;
}

function toJson(file: string, dets: MaskDetection[], annotated?: string): ImageResult {
  const r2 = (v: number) => Math.round(v * 100) / 100;
  return {
    file,
    faces: dets.map((d) => ({
      box: [d.box.x, d.box.y, d.box.width, d.box.height].map((v) => Math.round(v)),
      score: r2(d.box.score),
      label: d.label,
      confidence: r2(d.confidence),
    })),
    annotated,
  };
}

/** Runs the detector over files; returns one result per file (errors included). */
export async function detectMasks(
  detector: MaskDetector,
  files: string[],
  outDir?: string,
): Promise<ImageResult[]> {
  const results: ImageResult[] = [];
  if (outDir) await Deno.mkdir(outDir, { recursive: true });
  for (const file of files) {
    try {
      const image = await readRgb(file);
      const dets = await detector.detect(image);
      let annotated: string | undefined;
      if (outDir) {
        const stem = basename(file, extname(file));
        annotated = join(outDir, `${stem}.annotated.png`);
        await annotate(image, dets, annotated);
        await Deno.writeTextFile(
          join(outDir, `${stem}.json`),
          JSON.stringify(toJson(file, dets, annotated), null, 2) + "\n",
        );
      }
      results.push(toJson(file, dets, annotated));
    } catch (e) {
      results.push({ file, error: (e as Error).message });
    }
  }
  return results;
}

async function main(argv: string[]): Promise<number> {
  const opt = (name: string) =>
    argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const outIdx = argv.indexOf("--out");
  const outDir = opt("out") ?? (outIdx >= 0 ? argv[outIdx + 1] : undefined);
  const files = argv.filter((a, i) => !a.startsWith("--") && !(outIdx >= 0 && i === outIdx + 1));
  if (files.length === 0) {
    console.error(
      "usage: deno task detect-mask <image…> [--out DIR] [--model=DIR] [--min-score=P]",
    );
    return 2;
  }
  await useWasm();
  const minScore = opt("min-score");
  const detector = await loadMaskDetector(
    opt("model"),
    minScore === undefined ? undefined : Number(minScore),
  );
  let failed = false;
  for (const r of await detectMasks(detector, files, outDir)) {
    console.log(JSON.stringify(r));
    if (r.error) {
      console.error(`error: ${r.error}`);
      failed = true;
    } else if (r.faces!.length === 0) console.error(`${r.file}: no face found`);
  }
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
