/**
 * The dataset builder's configuration: a JSON-able object, usually read from a file such as
 * `lib/dataset/configs/clothing5.json`.
 *
 * Paths in a configuration are resolved against a base folder (the project root by default). A
 * root written `asset:<name>` is a registered folder (`lib/data/registry.ts`, e.g.
 * `asset:clothing-dataset-small`): the build takes it from the cache, the data mirror or its
 * pinned online source, verified file by file — what the book's own configs use, so a fresh clone
 * online needs no mirror. A path written `mirror:<relative path>` is looked up only in the data
 * mirror (`BOOK_MIRROR`, else `../shared/mirror` from the project root). Either way no
 * machine-specific path is ever written into the configuration.
 *
 * @module
 */

import * as path from "node:path";
import { mirrorDirsFor, projectRoot } from "../data/assets.ts";
import type { TreeOptions } from "../data/git_tree.ts";
import { namedTree, resolveNamedTreeCopy } from "../data/registry.ts";
import { DEFAULT_MAX_PIXELS } from "./image.ts";
import { fitsUstar } from "./tar.ts";
import { type SplitFractions, type SplitName, SPLITS, validateFractions } from "./split.ts";

/** A local folder of images: `<root>/<class>/*`, or `<root>/<split dir>/<class>/*`. */
export interface FolderSource {
  /** Discriminator. */
  kind: "folder";
  /** The folder; `asset:<name>` is a registered folder, `mirror:<path>` a data-mirror path. */
  root: string;
  /**
   * Folder name → class name, e.g. `{ "tee": "t-shirt" }`; several folders may map to one class.
   * Folders whose (mapped) name is not in `classes` are skipped.
   */
  classMap?: Record<string, string>;
  /**
   * For a source that is already split: its split folders and the split each one stands for,
   * e.g. `{ "train": "train", "validation": "val", "test": "test" }`. Images are then found at
   * `<root>/<split dir>/<class>/*`. Without `keepSplits` they are pooled and re-split.
   */
  splitDirs?: Record<string, SplitName>;
  /** Keep the source's own split (needs `splitDirs`); default false (pool and re-split). */
  keepSplits?: boolean;
  /** Shown in the dataset card: where the images come from (e.g. a repository URL). */
  origin?: string;
  /** Shown in the dataset card: the images' license. */
  license?: string;
}

/** URL lists exported from an image search: `<dir>/<class>.txt`, one URL per line. */
export interface UrlSource {
  /** Discriminator. */
  kind: "urls";
  /** Folder of `<class>.txt` files; `mirror:<path>` resolves inside the data mirror. */
  dir: string;
  /** Shown in the dataset card: where the URLs come from. */
  origin?: string;
  /** Shown in the dataset card: the images' license (for scraped images, usually unknown). */
  license?: string;
}

/** One source of images. */
export type DatasetSource = FolderSource | UrlSource;

/** How downloads from URL lists behave. */
export interface DownloadSettings {
  /** Downloads in flight at once (default 8). */
  concurrency?: number;
  /** Whole-request timeout in milliseconds, per attempt (default 20000). */
  timeoutMs?: number;
  /** Extra attempts after a transient failure (timeout, network error, 429, 5xx); default 2. */
  retries?: number;
  /** First retry delay in milliseconds, doubled for each further attempt (default 500). */
  backoffMs?: number;
  /** Largest accepted file in bytes (default 20 MB). */
  maxBytes?: number;
  /** Redirects followed per URL (default 5). */
  maxRedirects?: number;
  /** Retry URLs that failed for good on an earlier run (404, HTML, …); default false. */
  retryFailed?: boolean;
}

/** The builder's configuration, as written in a JSON file. Only `name`, `classes`, `sources` are required. */
export interface DatasetConfig {
  /** Dataset name: letters, digits, `.`, `_`, `-`. */
  name: string;
  /** Version (a number is accepted and written as a string); default `"1"`. */
  version?: string | number;
  /** One paragraph for the dataset card. */
  description?: string;
  /** The classes to keep (the published list is sorted). */
  classes: string[];
  /** Where the images come from. */
  sources: DatasetSource[];
  /** Published images are `imageSize × imageSize` RGB PNGs (default 128). */
  imageSize?: number;
  /** `crop` (default): scale to cover the square and cut the centre; `pad`: fit inside, pad black. */
  fit?: "crop" | "pad";
  /** Split fractions and seed (default 0.7 / 0.15 / 0.15, seed 42). */
  split?: Partial<SplitFractions>;
  /** Images whose shorter upright side is below this many pixels are dropped (default 32). */
  minSize?: number;
  /**
   * Images whose header claims more than this many pixels (width × height) are dropped before
   * decoding (default 40,000,000), which bounds the memory a decode can take.
   */
  maxPixels?: number;
  /** Largest dHash Hamming distance between near-duplicate candidates (default 4; -1 disables). */
  nearDuplicateDistance?: number;
  /**
   * Largest thumbnail difference (0-255, see `thumbnailDifference`) that confirms a candidate pair
   * (default 8; 255 accepts every candidate).
   */
  nearDuplicateMaxDiff?: number;
  /** Where published datasets go (default `data/datasets`). */
  outDir?: string;
  /** Where downloads from URL lists are kept (default `data/cache/dataset-downloads/<name>`). */
  downloadDir?: string;
  /** Download behaviour for URL sources. */
  download?: DownloadSettings;
  /** Known caveats, listed in the dataset card. */
  caveats?: string[];
}

/** A configuration with every default filled in and every path resolved. */
export interface ResolvedConfig {
  /** Dataset name. */
  name: string;
  /** Version string. */
  version: string;
  /** Card paragraph (may be empty). */
  description: string;
  /** Sorted class names. */
  classes: string[];
  /**
   * Sources with `root` / `dir` made absolute; an `asset:` source also says which copy of the
   * registered folder was used (`copy`, recorded in the build report).
   */
  sources: (DatasetSource & { resolved: string; copy?: string })[];
  /** Output image side. */
  imageSize: number;
  /** Fit mode. */
  fit: "crop" | "pad";
  /** Split fractions and seed. */
  split: SplitFractions;
  /** Smallest accepted upright side. */
  minSize: number;
  /** Largest accepted width × height. */
  maxPixels: number;
  /** Near-duplicate threshold (-1: off). */
  nearDuplicateDistance: number;
  /** Thumbnail difference that confirms a near-duplicate candidate. */
  nearDuplicateMaxDiff: number;
  /** Absolute output folder. */
  outDir: string;
  /** Absolute download folder. */
  downloadDir: string;
  /** Download settings with defaults. */
  download: Required<DownloadSettings>;
  /** Caveats for the card. */
  caveats: string[];
}

/** Default download settings. */
export const DEFAULT_DOWNLOAD: Required<DownloadSettings> = {
  concurrency: 8,
  timeoutMs: 20_000,
  retries: 2,
  backoffMs: 500,
  maxBytes: 20_000_000,
  maxRedirects: 5,
  retryFailed: false,
};

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const CLASS_RE = /^[A-Za-z0-9][A-Za-z0-9 ._-]*$/;
/** Longest class name: it becomes a folder name in the dataset and its `.tar.gz`. */
export const MAX_CLASS_NAME = 64;

/**
 * Resolves a configured path: `mirror:<rel>` is searched in the mirror folders (an Error lists
 * where it looked), anything else is resolved against `baseDir`.
 */
export function resolveConfigPath(p: string, baseDir: string): string {
  if (p.startsWith("asset:")) {
    namedTree(p.slice("asset:".length)); // an unknown name fails here, before any work
    return ""; // filled in by resolveSourceRoots, which may download
  }
  if (p.startsWith("mirror:")) {
    const rel = p.slice("mirror:".length).replace(/^\/+/, "");
    const dirs = mirrorDirsFor();
    for (const dir of dirs) {
      const full = path.join(dir, rel);
      try {
        Deno.statSync(full);
        return full;
      } catch {
        // try the next mirror
      }
    }
    throw new Error(
      `"${p}": not found in the data mirror (looked in ${
        dirs.length ? dirs.join(", ") : "no mirror folder"
      }); set BOOK_MIRROR to the folder that holds ${rel}`,
    );
  }
  return path.resolve(baseDir, p);
}

/**
 * Checks a configuration and fills in defaults. Relative paths resolve against `baseDir`
 * (default: the project root). Throws an Error naming the first bad field.
 */
export function resolveConfig(config: DatasetConfig, baseDir = projectRoot()): ResolvedConfig {
  if (typeof config !== "object" || config === null) throw new Error("config must be an object");
  const c = config as unknown as Record<string, unknown>;
  if (typeof c.name !== "string" || !NAME_RE.test(c.name)) {
    throw new Error(`config.name must be letters, digits, ".", "_" or "-", got ${show(c.name)}`);
  }
  const version = String(c.version ?? "1");
  if (!NAME_RE.test(version)) throw new Error(`config.version is not valid: ${show(c.version)}`);
  if (c.name.length + version.length > 60) {
    throw new Error(`config.name and config.version are too long together (at most 60 characters)`);
  }
  if (!Array.isArray(c.classes) || c.classes.length < 1) {
    throw new Error("config.classes must be a non-empty array of class names");
  }
  // Checked before any work: a bad name would otherwise fail at the archive step, after it all.
  for (const cls of c.classes) {
    if (typeof cls !== "string" || !CLASS_RE.test(cls) || cls.endsWith(" ")) {
      throw new Error(
        `config.classes: bad class name ${show(cls)} (letters, digits, " ._-", ` +
          "starting with a letter or digit, not ending in a space)",
      );
    }
    if (cls.length > MAX_CLASS_NAME) {
      throw new Error(
        `config.classes: class name "${cls.slice(0, 20)}…" has ${cls.length} characters ` +
          `(at most ${MAX_CLASS_NAME})`,
      );
    }
  }
  const classes = [...new Set(c.classes as string[])].sort();
  if (classes.length !== c.classes.length) throw new Error("config.classes has duplicates");
  const folded = new Map<string, string>();
  for (const cls of classes) {
    const other = folded.get(cls.toLowerCase());
    if (other !== undefined) {
      throw new Error(
        `config.classes: "${other}" and "${cls}" differ only in case (one folder on macOS/Windows)`,
      );
    }
    folded.set(cls.toLowerCase(), cls);
  }
  if (!Array.isArray(c.sources) || c.sources.length === 0) {
    throw new Error("config.sources must be a non-empty array");
  }
  for (const cls of classes) {
    const longest = `${c.name}-v${version}/images/train/${cls}/${"0".repeat(16)}.png`;
    if (!fitsUstar(longest)) {
      throw new Error(`config.classes: "${cls}" makes paths too long for the archive: ${longest}`);
    }
  }
  const sources = (c.sources as DatasetSource[]).map((s, i) => {
    const where = `config.sources[${i}]`;
    if (s?.kind === "folder") {
      if (typeof s.root !== "string") throw new Error(`${where}.root must be a path`);
      if (s.splitDirs !== undefined) {
        for (const [dir, split] of Object.entries(s.splitDirs)) {
          if (!(SPLITS as readonly string[]).includes(split)) {
            throw new Error(`${where}.splitDirs.${dir} must be train, val or test`);
          }
        }
      }
      if (s.keepSplits && !s.splitDirs) throw new Error(`${where}: keepSplits needs splitDirs`);
      return { ...s, resolved: resolveConfigPath(s.root, baseDir) };
    }
    if (s?.kind === "urls") {
      if (typeof s.dir !== "string") throw new Error(`${where}.dir must be a path`);
      return { ...s, resolved: resolveConfigPath(s.dir, baseDir) };
    }
    throw new Error(
      `${where}.kind must be "folder" or "urls", got ${show((s as { kind?: unknown })?.kind)}`,
    );
  });
  const imageSize = num(c.imageSize, 128, "imageSize", 8, 4096);
  const fit = c.fit ?? "crop";
  if (fit !== "crop" && fit !== "pad") throw new Error(`config.fit must be "crop" or "pad"`);
  const sp = (c.split ?? {}) as Partial<SplitFractions>;
  const split: SplitFractions = {
    train: sp.train ?? 0.7,
    val: sp.val ?? 0.15,
    test: sp.test ?? 0.15,
    seed: sp.seed ?? 42,
  };
  validateFractions(split);
  const download = { ...DEFAULT_DOWNLOAD, ...(c.download as DownloadSettings | undefined) };
  return {
    name: c.name,
    version,
    description: typeof c.description === "string" ? c.description : "",
    classes,
    sources,
    imageSize,
    fit,
    split,
    minSize: num(c.minSize, 32, "minSize", 1, 1e6),
    maxPixels: num(c.maxPixels, DEFAULT_MAX_PIXELS, "maxPixels", 1, 1e9),
    nearDuplicateDistance: num(c.nearDuplicateDistance, 4, "nearDuplicateDistance", -1, 64),
    nearDuplicateMaxDiff: num(c.nearDuplicateMaxDiff, 8, "nearDuplicateMaxDiff", 0, 255),
    outDir: path.resolve(baseDir, typeof c.outDir === "string" ? c.outDir : "data/datasets"),
    downloadDir: path.resolve(
      baseDir,
      typeof c.downloadDir === "string"
        ? c.downloadDir
        : path.join("data", "cache", "dataset-downloads", c.name),
    ),
    download,
    caveats: Array.isArray(c.caveats) ? c.caveats.map(String) : [],
  };
}

/**
 * Fills in the folders of `asset:<name>` sources: the registered folder (`lib/data/registry.ts`)
 * from the cache, the mirror or its verified online source. Other sources are already resolved.
 */
export async function resolveSourceRoots(
  cfg: ResolvedConfig,
  options: TreeOptions = {},
): Promise<void> {
  for (const src of cfg.sources) {
    const given = src.kind === "folder" ? src.root : src.dir;
    if (given.startsWith("asset:")) {
      const found = await resolveNamedTreeCopy(given.slice("asset:".length), options);
      src.resolved = found.dir;
      src.copy = found.copy;
    }
  }
}

/** Reads a JSON configuration file. */
export async function readConfig(file: string): Promise<DatasetConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new Error(`cannot read config ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as DatasetConfig;
  } catch (e) {
    throw new Error(`config ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

function num(v: unknown, dflt: number, name: string, min: number, max: number): number {
  const x = v ?? dflt;
  if (typeof x !== "number" || !Number.isInteger(x) || x < min || x > max) {
    throw new Error(`config.${name} must be an integer in [${min}, ${max}], got ${show(v)}`);
  }
  return x;
}

function show(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}
