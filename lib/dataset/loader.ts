/**
 * Loading a published dataset back into typed arrays.
 *
 * {@link loadImageDataset} reads `manifest.csv` (and `dataset.json`), checks every file against
 * `SHA256SUMS` and the manifest's own sums (unless `verify: false`), and decodes the PNGs into one
 * `Float32Array` per split, NHWC, values in [0, 1].
 *
 * @module
 */

import * as path from "node:path";
import { verifyChecksums } from "../data/assets.ts";
import { walkFiles } from "./files.ts";
import { decodeRgbInto, imageWidth } from "./image.ts";
import { type DatasetInfo, type ManifestRow, parseManifest } from "./manifest.ts";
import { mapPool } from "./pool.ts";
import { type SplitName, SPLITS } from "./split.ts";

/** One split of a loaded dataset. */
export interface ImageSplit {
  /** `N × size × size × 3` floats (NHWC, RGB), values in [0, 1]. */
  images: Float32Array;
  /** `N` class indices into `classes`. */
  labels: Int32Array;
  /** `N` image paths relative to the dataset folder, in the order of `images`. */
  files: string[];
}

/** A loaded dataset. */
export interface ImageDataset {
  /** Dataset name. */
  name: string;
  /** Dataset version. */
  version: string;
  /** Class names, sorted; label `i` is `classes[i]`. */
  classes: string[];
  /** Image width = height, in pixels. */
  imageSize: number;
  /** The splits (a split not asked for is empty). */
  splits: Record<SplitName, ImageSplit>;
}

/** Options of {@link loadImageDataset}. */
export interface LoadOptions {
  /** Check `SHA256SUMS` and the manifest's sums first (default true). */
  verify?: boolean;
  /** Splits to decode (default all three); the others come back empty. */
  splits?: SplitName[];
  /** Images decoded at once (default 4). */
  concurrency?: number;
}

/** A published file that is missing or whose SHA-256 does not match. */
export class DatasetIntegrityError extends Error {
  /** The offending files, relative to the dataset folder. */
  readonly files: string[];

  /** Builds the message from the dataset folder and the problems found. */
  constructor(dir: string, problems: string[], files: string[]) {
    super(
      `dataset ${dir} failed verification:\n` + problems.slice(0, 20).map((p) => `  - ${p}`)
        .join("\n") +
        (problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ""),
    );
    this.name = "DatasetIntegrityError";
    this.files = files;
  }
}

/** What {@link verifyDataset} checked. */
export interface VerifyResult {
  /** Files listed in `SHA256SUMS` and checked. */
  checked: number;
  /** Manifest rows. */
  images: number;
}

/**
 * Checks a published dataset: every file listed in `SHA256SUMS` exists and matches, every file in
 * the folder is listed, `manifest.csv` is listed, and each manifest row's SHA-256 agrees with
 * `SHA256SUMS`. Throws {@link DatasetIntegrityError} naming each bad file.
 */
export async function verifyDataset(dir: string): Promise<VerifyResult> {
  const root = path.resolve(dir);
  const sums = await verifyChecksums(root, "SHA256SUMS");
  const problems: string[] = [];
  const files: string[] = [];
  for (const m of sums.missing) {
    problems.push(`${m}: missing`);
    files.push(m);
  }
  for (const m of sums.mismatched) {
    problems.push(`${m.path}: SHA-256 mismatch (expected ${m.expected}, actual ${m.actual})`);
    files.push(m.path);
  }
  const listed = new Map<string, string>();
  const sumsText = await Deno.readTextFile(path.join(root, "SHA256SUMS"));
  for (const line of sumsText.split(/\r?\n/)) {
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (m) listed.set(m[2].replace(/^\.\//, ""), m[1].toLowerCase());
  }
  for (const rel of await walkFiles(root, true)) {
    if (rel !== "SHA256SUMS" && !listed.has(rel)) {
      problems.push(`${rel}: not listed in SHA256SUMS`);
      files.push(rel);
    }
  }
  if (!listed.has("manifest.csv")) {
    problems.push("manifest.csv: not listed in SHA256SUMS");
    files.push("manifest.csv");
  }
  const rows = await readManifest(root);
  for (const r of rows) {
    const sum = listed.get(r.file);
    if (sum === undefined) {
      problems.push(`${r.file}: in manifest.csv but not in SHA256SUMS`);
      files.push(r.file);
    } else if (sum !== r.sha256) {
      problems.push(`${r.file}: manifest.csv says ${r.sha256}, SHA256SUMS says ${sum}`);
      files.push(r.file);
    }
  }
  if (problems.length > 0) throw new DatasetIntegrityError(root, problems, files);
  return { checked: sums.checked, images: rows.length };
}

/** Reads and parses `<dir>/manifest.csv`. */
export async function readManifest(dir: string): Promise<ManifestRow[]> {
  const file = path.join(dir, "manifest.csv");
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new Error(
      `${file} cannot be read (${(e as Error).message}); is ${dir} a published dataset? ` +
        "Build one with `deno task dataset build <config.json>`",
    );
  }
  return parseManifest(text, file);
}

/**
 * Loads a published dataset folder (see the module documentation). Throws
 * {@link DatasetIntegrityError} when verification fails, and an Error for a missing folder, a bad
 * manifest or an image of the wrong size.
 */
export async function loadImageDataset(
  dir: string,
  options: LoadOptions = {},
): Promise<ImageDataset> {
  const root = path.resolve(dir);
  const rows = await readManifest(root);
  if (options.verify ?? true) await verifyDataset(root);
  const info = await readInfo(root, rows);
  const wanted = new Set<SplitName>(options.splits ?? SPLITS);
  const px = info.imageSize * info.imageSize * 3;
  const splits = {} as Record<SplitName, ImageSplit>;
  for (const split of SPLITS) {
    const chosen = wanted.has(split) ? rows.filter((r) => r.split === split) : [];
    const images = new Float32Array(chosen.length * px);
    const labels = new Int32Array(chosen.length);
    chosen.forEach((r, i) => {
      const k = info.classes.indexOf(r.label);
      if (k < 0) throw new Error(`${r.file}: label "${r.label}" is not one of the classes`);
      labels[i] = k;
    });
    await mapPool(
      chosen,
      options.concurrency ?? 4,
      (r, i) => decodeRgbInto(path.join(root, r.file), info.imageSize, images, i * px),
    );
    splits[split] = { images, labels, files: chosen.map((r) => r.file) };
  }
  return {
    name: info.name,
    version: info.version,
    classes: info.classes,
    imageSize: info.imageSize,
    splits,
  };
}

async function readInfo(root: string, rows: ManifestRow[]): Promise<DatasetInfo> {
  try {
    const info = JSON.parse(await Deno.readTextFile(path.join(root, "dataset.json")));
    if (typeof info?.imageSize === "number" && Array.isArray(info.classes)) {
      return { ...info, version: String(info.version), classes: [...info.classes].sort() };
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new Error(`${path.join(root, "dataset.json")}: ${(e as Error).message}`);
    }
  }
  // No dataset.json: name and version from the folder name, size from the first image.
  const m = /^(.*)-v([^-]+)$/.exec(path.basename(root));
  const classes = [...new Set(rows.map((r) => r.label))].sort();
  let imageSize = 0;
  if (rows.length > 0) {
    imageSize = await imageWidth(path.join(root, rows[0].file));
  }
  return {
    name: m ? m[1] : path.basename(root),
    version: m ? m[2] : "",
    classes,
    imageSize,
    fit: "crop",
    counts: { train: {}, val: {}, test: {} },
  };
}
