/**
 * "Use the published dataset, or build it": what a chapter calls so that a fresh clone works.
 *
 * ```ts
 * const { dir, report, built } = await ensureDataset("lib/dataset/configs/clothing5.json");
 * ```
 *
 * @module
 */
import * as path from "node:path";
import { projectRoot } from "../data/assets.ts";
import { buildDataset, type BuildReport, datasetDirName } from "./build.ts";
import { type DatasetConfig, readConfig } from "./config.ts";
import { exists } from "./files.ts";
import { verifyDataset } from "./loader.ts";

/** Options of {@link ensureDataset}. */
export interface EnsureOptions {
  /** Base of the config's relative paths (default: the project root). */
  baseDir?: string;
  /** Progress lines of a build (default: none). */
  log?: (line: string) => void;
  /** Verify a published folder's checksums before reusing it (default true). */
  verify?: boolean;
}

/** What {@link ensureDataset} returns. */
export interface EnsuredDataset {
  /** The published dataset folder. */
  dir: string;
  /** True when this call built it, false when an already published one was reused. */
  built: boolean;
  /** Its `build-report.json`: counts, and every dropped or duplicate image with the reason. */
  report: BuildReport;
}

/**
 * Returns the dataset that `config` (an object, or a JSON file path relative to the current
 * folder) describes: the published folder `<outDir>/<name>-v<version>` when it exists (checksums
 * verified unless `verify: false`; a folder that fails verification is an error, never silently
 * rebuilt), else a fresh build. Its sources come from the cache, the data mirror or online
 * (`asset:` roots, see `lib/data/registry.ts`); offline with no mirror the error says what is
 * missing and how to get it.
 */
export async function ensureDataset(
  config: DatasetConfig | string,
  options: EnsureOptions = {},
): Promise<EnsuredDataset> {
  const cfg = typeof config === "string" ? await readConfig(config) : config;
  const baseDir = options.baseDir ?? projectRoot();
  const outDir = path.resolve(baseDir, cfg.outDir ?? "data/datasets");
  const dir = path.join(outDir, datasetDirName(cfg.name, String(cfg.version ?? "1")));
  if (exists(path.join(dir, "manifest.csv"))) {
    if (options.verify ?? true) await verifyDataset(dir);
    const report = JSON.parse(
      await Deno.readTextFile(path.join(dir, "build-report.json")),
    ) as BuildReport;
    return { dir, built: false, report };
  }
  const result = await buildDataset(cfg, {
    baseDir,
    log: options.log,
    progress: false,
    overwrite: exists(dir) || exists(`${dir}.tar.gz`),
  });
  return { dir: result.dir, built: true, report: result.report };
}
