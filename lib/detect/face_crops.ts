/**
 * The mask classifier's data, cut the way the detector cuts it. At detection time
 * {@link MaskDetector} gives the classifier a square crop around each face BlazeFace finds (the
 * box grown by a margin, resized to `size × size`); a classifier trained on whole photos sees
 * something else there. So the training, validation and test images are made by the same steps:
 * run the face finder once over every photo of a published dataset, keep its best face, cut the
 * crop with {@link cropBox} and {@link faceCropPixels} — the functions the detector calls.
 *
 * A photo where no face is found is kept, cut as the **whole photo** (resized to the square), and
 * counted: the detector would never classify it, but dropping it would change the dataset's splits.
 * The splits are the published dataset's (every crop comes from the photo behind one manifest row,
 * in that row's split), so near-duplicate groups stay in one split as the builder arranged.
 *
 * Finding faces in four thousand photos takes minutes on a CPU, so each crop is cached on disk,
 * keyed by the SHA-256 of the photo's bytes and by everything that shapes the crop (finder,
 * threshold, margin, size, format version): a changed photo or setting is a different key, and a
 * damaged cache file is cut again.
 *
 * @module
 */
import * as path from "node:path";
import { cacheDirFor, sha256Hex } from "../data/assets.ts";
import { type ImageSplit, readManifest } from "../dataset/loader.ts";
import { type SplitName, SPLITS } from "../dataset/split.ts";
import { stratifiedIndices } from "../train/image_data.ts";
import type { FaceBox, Region, RgbImage } from "./blazeface.ts";
import { cropBox, faceCropPixels, type FaceFinder } from "./mask.ts";
import { readRgb } from "./mask_io.ts";

/** How crops are cut; the saved classifier's metadata carries the same numbers. */
export interface FaceCropOptions {
  /** Side of the square crop in pixels (the classifier's input). */
  size: number;
  /** Margin around the face box (see {@link cropBox}). */
  margin: number;
  /** Faces the finder scores below this are ignored (the detector's `minScore`). */
  minScore: number;
  /** Names the face finder in the cache key, e.g. `blazeface-back`. */
  finder: string;
}

/** One photo's crop. */
export interface FaceCrop {
  /** `size · size · 3` bytes, RGB, row-major. */
  pixels: Uint8Array;
  /** The best face found, in the photo's pixels; `null` when none was (then the whole photo). */
  face: FaceBox | null;
  /** How many faces the finder returned. */
  faces: number;
  /** The region cut and resized. */
  region: Region;
  /** The photo's width (after EXIF orientation, as {@link readRgb} reads it). */
  imageWidth: number;
  /** The photo's height. */
  imageHeight: number;
}

/** Cuts the classifier's crop from an image: best face grown by the margin, else the whole image. */
export async function cutFaceCrop(
  finder: FaceFinder,
  image: RgbImage,
  options: FaceCropOptions,
): Promise<FaceCrop> {
  const boxes = await finder.detect(image, { minScore: options.minScore });
  const face = boxes[0] ?? null;
  const region = face
    ? cropBox(face, image.width, image.height, options.margin)
    : { x: 0, y: 0, width: image.width, height: image.height };
  const t = faceCropPixels(image, [region], options.size);
  const values = await t.data();
  t.dispose();
  return {
    // faceCropPixels rounds to whole grey levels: these bytes are exact.
    pixels: Uint8Array.from(values, (v) => Math.round(v * 255)),
    face: face && { ...face },
    faces: boxes.length,
    region,
    imageWidth: image.width,
    imageHeight: image.height,
  };
}

/** Bumped whenever the cached format or the way crops are cut changes. */
const CACHE_FORMAT = 1;
const MAGIC = "FCRP";
const HEADER_NUMBERS = 12;

/** The cache folder's name for these options: every setting that changes a crop is in it. */
export function faceCropKey(options: FaceCropOptions): string {
  const safe = options.finder.replace(/[^A-Za-z0-9_.-]/g, "_");
  return `${safe}-score${options.minScore}-margin${options.margin}-${options.size}px-v${CACHE_FORMAT}`;
}

function encode(crop: FaceCrop): Uint8Array {
  const f = crop.face;
  const header = new Float64Array([
    crop.faces,
    ...(f ? [f.x, f.y, f.width, f.height, f.score] : [NaN, NaN, NaN, NaN, NaN]),
    crop.region.x,
    crop.region.y,
    crop.region.width,
    crop.region.height,
    crop.imageWidth,
    crop.imageHeight,
  ]);
  const out = new Uint8Array(4 + header.byteLength + crop.pixels.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  out.set(new Uint8Array(header.buffer), 4);
  out.set(crop.pixels, 4 + header.byteLength);
  return out;
}

function decode(bytes: Uint8Array, size: number): FaceCrop | undefined {
  const headerBytes = 8 * HEADER_NUMBERS;
  if (bytes.length !== 4 + headerBytes + size * size * 3) return undefined;
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) return undefined;
  const h = new Float64Array(bytes.slice(4, 4 + headerBytes).buffer);
  if (!h.every((v, i) => (i >= 1 && i <= 5) || Number.isFinite(v))) return undefined;
  const face = Number.isNaN(h[1])
    ? null
    : { x: h[1], y: h[2], width: h[3], height: h[4], score: h[5] };
  return {
    pixels: bytes.slice(4 + headerBytes),
    face,
    faces: h[0],
    region: { x: h[6], y: h[7], width: h[8], height: h[9] },
    imageWidth: h[10],
    imageHeight: h[11],
  };
}

/** What {@link faceCropsOf} did. */
export interface FaceCropRun {
  /** One crop per file, in order. */
  crops: FaceCrop[];
  /** Crops read from the cache. */
  cached: number;
  /** Crops cut now (and written to the cache). */
  computed: number;
}

/** Options of {@link faceCropsOf}. */
export interface FaceCropCacheOptions {
  /** Cache folder (default `<data cache>/face-crops`); `null`: no cache. */
  cacheDir?: string | null;
  /** Called every `every` photos with (done, total). */
  progress?: (done: number, total: number) => void;
}

/** The crop of every file, from the cache when there, else cut and cached. */
export async function faceCropsOf(
  finder: FaceFinder,
  files: string[],
  options: FaceCropOptions,
  cacheOptions: FaceCropCacheOptions = {},
): Promise<FaceCropRun> {
  const dir = cacheOptions.cacheDir === null ? undefined : path.join(
    cacheOptions.cacheDir ?? path.join(cacheDirFor(), "face-crops"),
    faceCropKey(options),
  );
  const crops: FaceCrop[] = [];
  let cached = 0, computed = 0;
  for (const [i, file] of files.entries()) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(file);
    } catch (e) {
      throw new Error(`cannot read image ${file}: ${(e as Error).message}`);
    }
    const sha = sha256Hex(bytes);
    const entry = dir && path.join(dir, sha.slice(0, 2), `${sha}.bin`);
    let crop = entry
      ? decode(await Deno.readFile(entry).catch(() => new Uint8Array()), options.size)
      : undefined;
    if (crop) cached++;
    else {
      crop = await cutFaceCrop(finder, await readRgb(file), options);
      computed++;
      if (entry) {
        await Deno.mkdir(path.dirname(entry), { recursive: true });
        const tmp = `${entry}.${Deno.pid}.tmp`;
        await Deno.writeFile(tmp, encode(crop));
        await Deno.rename(tmp, entry);
      }
    }
    crops.push(crop);
    cacheOptions.progress?.(i + 1, files.length);
  }
  return { crops, cached, computed };
}

/** One split of face crops: an `ImageSplit` (what `imageTensors` takes) plus where each came from. */
export interface FaceCropSplit extends ImageSplit {
  /** The photo behind each crop, relative to the photo folder (the manifest's `source`). */
  sources: string[];
  /** Each crop's face, region and photo size (pixels are in `images`). */
  crops: Omit<FaceCrop, "pixels">[];
  /** How many photos had no face (cut whole). */
  wholePhotos: number;
  /** How many photos had more than one face (the best one was cut). */
  severalFaces: number;
}

/** Options of {@link faceCropDataset}. */
export interface FaceCropDatasetOptions extends FaceCropOptions, FaceCropCacheOptions {
  /** At most this many photos per split (a seeded class-stratified subset); default all. */
  limit?: Partial<Record<SplitName, number>>;
  /** Seed of the subsets (default 1). */
  seed?: number;
}

/** Face crops for a published image dataset. */
export interface FaceCropDataset {
  /** Class names, sorted; label `i` is `classes[i]`. */
  classes: string[];
  /** Crop side. */
  imageSize: number;
  /** The dataset's own splits, as crops. */
  splits: Record<SplitName, FaceCropSplit>;
  /** Crops read from the cache / cut now. */
  cached: number;
  /** Crops cut now. */
  computed: number;
}

/**
 * Face crops of every photo behind a published dataset (`datasetDir`, built by `lib/dataset` from
 * the photos in `photoRoot`), in the dataset's splits. The photos are the originals (the manifest's
 * `source` under `photoRoot`), not the dataset's resized copies: the detector cuts from full photos.
 */
export async function faceCropDataset(
  finder: FaceFinder,
  datasetDir: string,
  photoRoot: string,
  options: FaceCropDatasetOptions,
): Promise<FaceCropDataset> {
  const rows = await readManifest(datasetDir);
  const classes = [...new Set(rows.map((r) => r.label))].sort();
  const px = options.size * options.size * 3;
  const splits = {} as Record<SplitName, FaceCropSplit>;
  let cached = 0, computed = 0;
  for (const split of SPLITS) {
    let chosen = rows.filter((r) => r.split === split);
    const labelsAll = chosen.map((r) => classes.indexOf(r.label));
    const limit = options.limit?.[split];
    if (limit !== undefined) {
      chosen = stratifiedIndices(labelsAll, limit, options.seed ?? 1).map((i) => chosen[i]);
    }
    const run = await faceCropsOf(
      finder,
      chosen.map((r) => path.join(photoRoot, r.source)),
      options,
      options,
    );
    cached += run.cached;
    computed += run.computed;
    const images = new Float32Array(chosen.length * px);
    run.crops.forEach((c, i) => {
      for (let k = 0; k < px; k++) images[i * px + k] = c.pixels[k] / 255;
    });
    splits[split] = {
      images,
      labels: Int32Array.from(chosen, (r) => classes.indexOf(r.label)),
      files: chosen.map((r) => r.file),
      sources: chosen.map((r) => r.source),
      crops: run.crops.map(({ pixels: _, ...rest }) => rest),
      wholePhotos: run.crops.filter((c) => c.face === null).length,
      severalFaces: run.crops.filter((c) => c.faces > 1).length,
    };
  }
  return { classes, imageSize: options.size, splits, cached, computed };
}
