/**
 * `lib/dataset`: build an image dataset from URL lists or folders, publish it as a versioned,
 * checksummed folder and archive, and load it back.
 *
 * ```ts
 * import { buildDataset, loadImageDataset, readConfig } from "./lib/dataset/mod.ts";
 * const { dir } = await buildDataset(await readConfig("lib/dataset/configs/clothing5.json"));
 * const ds = await loadImageDataset(dir);
 * ```
 *
 * `ensureDataset(config)` reuses a published folder (verified) or builds it: what chapters call.
 *
 * From the shell: `deno task dataset build <config.json>`, `deno task dataset verify <dir>`.
 *
 * @module
 */

export {
  buildDataset,
  type BuildOptions,
  type BuildReport,
  type BuildResult,
  datasetDirName,
  type DroppedImage,
  type ExactDuplicateSet,
  type NearDuplicateGroup,
} from "./build.ts";
export {
  type DatasetConfig,
  type DatasetSource,
  DEFAULT_DOWNLOAD,
  type DownloadSettings,
  type FolderSource,
  readConfig,
  resolveConfig,
  type ResolvedConfig,
  type UrlSource,
} from "./config.ts";
export { ensureDataset, type EnsuredDataset, type EnsureOptions } from "./ensure.ts";
export {
  DatasetIntegrityError,
  type ImageDataset,
  type ImageSplit,
  loadImageDataset,
  type LoadOptions,
  readManifest,
  verifyDataset,
  type VerifyResult,
} from "./loader.ts";
export {
  type DatasetInfo,
  formatManifest,
  MANIFEST_HEADER,
  type ManifestRow,
  parseManifest,
} from "./manifest.ts";
export {
  type DownloadRecord,
  type DownloadSummary,
  downloadUrls,
  readLedger,
  readUrlLists,
  type UrlListEntry,
} from "./acquire.ts";
export {
  type DHash,
  dHashHex,
  groupNearDuplicates,
  hammingDistance,
  type NearDuplicateGroups,
} from "./dhash.ts";
export { ImageRejectedError, type ProcessedImage, processImage } from "./image.ts";
export { type ImageFormat, type SniffedFormat, sniffFormat } from "./sniff.ts";
export { type SplitFractions, type SplitName, SPLITS, stratifiedGroupSplit } from "./split.ts";
export { writeTarGz } from "./tar.ts";
