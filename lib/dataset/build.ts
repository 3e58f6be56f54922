/**
 * The dataset builder: acquire → validate → de-duplicate → resize → split → publish.
 *
 * {@link buildDataset} turns a {@link DatasetConfig} into a published, versioned folder
 * `<outDir>/<name>-v<version>/` plus the archive `<outDir>/<name>-v<version>.tar.gz`:
 *
 * - `images/<split>/<label>/<sha8>.png`: `imageSize × imageSize` RGB PNGs, named by the first 8 hex
 *   digits of their own SHA-256;
 * - `manifest.csv` (`file,label,split,sha256,source`), `dataset.json` (classes, size, counts),
 *   `card.md` (the dataset card), `build-report.json` (what was dropped and why, duplicates);
 * - `SHA256SUMS` covering every other file.
 *
 * Everything is written into a hidden staging folder beside the target and renamed into place at
 * the end, so a crash or Ctrl-C never leaves a half-written dataset under the published name
 * (leftover staging folders are removed by the next build). Nothing in the output depends on the
 * time, the machine's paths or the order files were listed: building twice from the same sources
 * gives the same bytes (with the same sharp/libvips versions).
 *
 * @module
 */

import * as path from "node:path";
import { sha256File, sha256Hex } from "../data/assets.ts";
import { progressBar } from "../viz/progress.ts";
import { downloadUrls, readUrlLists } from "./acquire.ts";
import { renderCard } from "./card.ts";
import {
  type DatasetConfig,
  type FolderSource,
  resolveConfig,
  type ResolvedConfig,
  resolveSourceRoots,
} from "./config.ts";
import { dHashHex, groupNearDuplicates, hammingDistance, thumbnailDifference } from "./dhash.ts";
import { ImageRejectedError, imageToolVersions, processImage } from "./image.ts";
import { type DatasetInfo, formatManifest, type ManifestRow } from "./manifest.ts";
import { exists, walkFiles, walkSourceFiles, writeFileAtomic } from "./files.ts";
import { mapPool } from "./pool.ts";
import { formatFromExtension } from "./sniff.ts";
import { type SplitName, SPLITS, stratifiedGroupSplit } from "./split.ts";
import { entriesForDirectory, writeTarGz } from "./tar.ts";

/** Options of {@link buildDataset} that are about the run, not the dataset. */
export interface BuildOptions {
  /** Relative paths in the config resolve against this folder (default: the project root). */
  baseDir?: string;
  /** Replace an existing published version (default false: an existing one is an error). */
  overwrite?: boolean;
  /** Also write `<name>-v<version>.tar.gz` (default true). */
  archive?: boolean;
  /** Images decoded at once (default 4). */
  concurrency?: number;
  /** Progress bars for downloads and decoding (default false). */
  progress?: boolean;
  /** Receives one line per step (default: none). */
  log?: (message: string) => void;
  /** Aborts the build; the staging folder is removed and nothing is published. */
  signal?: AbortSignal;
  /** The `fetch` used for URL sources (default the global one). */
  fetch?: typeof fetch;
}

/** An image that did not make it into the dataset, and why. */
export interface DroppedImage {
  /** Its source (URL or path relative to its source folder). */
  source: string;
  /** The class it was listed under. */
  label: string;
  /** Why it was dropped. */
  reason: string;
}

/** A set of identical images: one kept, the others dropped. */
export interface ExactDuplicateSet {
  /** `file`: identical source files (SHA-256 of the bytes); `pixels`: identical published PNGs. */
  by: "file" | "pixels";
  /** The shared SHA-256. */
  sha256: string;
  /** The copy kept (absent when all were dropped: conflicting labels, or the file is bad). */
  kept?: { source: string; label: string };
  /** Why every copy was dropped, when the file itself was rejected (e.g. truncated). */
  droppedBecause?: string;
  /** The copies dropped. */
  duplicates: { source: string; label: string }[];
}

/** A group of near-duplicate images, all kept, all in one split. */
export interface NearDuplicateGroup {
  /** The split the whole group went to. */
  split: SplitName;
  /** True when its members carry different labels (worth a look). */
  crossLabel: boolean;
  /** Largest Hamming distance between two members. */
  maxDistance: number;
  /** The members. */
  members: { file: string; label: string; source: string; dhash: string }[];
}

/** The contents of `build-report.json`. */
export interface BuildReport {
  /** Dataset name. */
  name: string;
  /** Dataset version. */
  version: string;
  /** The settings used (paths as written in the config). */
  settings: {
    classes: string[];
    imageSize: number;
    fit: "crop" | "pad";
    minSize: number;
    maxPixels: number;
    nearDuplicateDistance: number;
    nearDuplicateMaxDiff: number;
    split: { train: number; val: number; test: number; seed: number };
    sources: unknown[];
  };
  /** How duplicates were detected. */
  hashing: { exact: string; near: string };
  /** sharp and libvips versions (the output bytes depend on them). */
  tools: { sharp: string; libvips: string };
  /** Summary numbers. */
  counts: {
    candidates: number;
    published: number;
    dropped: number;
    droppedByReason: Record<string, number>;
    exactDuplicatesDropped: number;
    nearDuplicateGroups: number;
    imagesInNearDuplicateGroups: number;
    orientationApplied: number;
    perSplit: Record<SplitName, Record<string, number>>;
  };
  /** Every dropped image. */
  dropped: DroppedImage[];
  /** Every set of identical images. */
  exactDuplicates: ExactDuplicateSet[];
  /** Every group of near-duplicates. */
  nearDuplicateGroups: NearDuplicateGroup[];
  /** Kept images worth a note (e.g. a file whose name claims another format). */
  notes: { source: string; label: string; note: string }[];
  /** Lines of URL lists that were skipped. */
  urlListProblems: { list: string; line: number; text: string; reason: string }[];
}

/** What {@link buildDataset} returns. */
export interface BuildResult {
  /** The published folder. */
  dir: string;
  /** The archive, when written. */
  archive?: string;
  /** The report also written to `build-report.json`. */
  report: BuildReport;
  /** The dataset summary also written to `dataset.json`. */
  info: DatasetInfo;
  /** Wall-clock seconds of the build. */
  seconds: number;
  /** Download statistics for URL sources (not in the report: they differ between runs). */
  downloads: { fetched: number; reused: number; failed: number };
}

interface Candidate {
  label: string;
  source: string;
  file?: string;
  fixed?: SplitName;
  failure?: string;
  sourceIndex: number;
}

/** `name-vVersion`, the published folder's name. */
export function datasetDirName(name: string, version: string): string {
  return `${name}-v${version}`;
}

/**
 * Builds and publishes a dataset (see the module documentation). Throws when the config is
 * invalid, a source folder is missing, a class ends up with no images, or the version is already
 * published and `overwrite` is not set.
 */
export async function buildDataset(
  config: DatasetConfig,
  options: BuildOptions = {},
): Promise<BuildResult> {
  const t0 = performance.now();
  const cfg = resolveConfig(config, options.baseDir);
  const log = options.log ?? (() => {});
  const dirName = datasetDirName(cfg.name, cfg.version);
  const finalDir = path.join(cfg.outDir, dirName);
  const finalArchive = path.join(cfg.outDir, `${dirName}.tar.gz`);
  const archive = options.archive ?? true;
  if (!options.overwrite && (exists(finalDir) || (archive && exists(finalArchive)))) {
    throw new Error(
      `${exists(finalDir) ? finalDir : finalArchive} already exists: bump the version, ` +
        `or rebuild with overwrite (CLI: --force)`,
    );
  }
  await Deno.mkdir(cfg.outDir, { recursive: true });
  await removeStaleStaging(cfg.outDir, dirName);
  const staging = await Deno.makeTempDir({ dir: cfg.outDir, prefix: `.${dirName}.staging-` });
  const failedReport = path.join(cfg.outDir, `${dirName}.failed-build-report.json`);
  const state: BuildState = { stage: "acquire" };
  try {
    // 1. Acquire.
    await resolveSourceRoots(cfg, { signal: options.signal, log });
    const { candidates, urlListProblems, downloads } = await acquire(cfg, options, log);
    state.candidates = candidates;
    log(`${candidates.length} candidate images from ${cfg.sources.length} source(s)`);
    const result = await buildInto(
      cfg,
      candidates,
      urlListProblems,
      staging,
      dirName,
      options,
      log,
      state,
    );
    // 6. Publish: archive first, then the folder, each by one rename.
    state.stage = "publish";
    const stagedDir = path.join(staging, dirName);
    let archivePath: string | undefined;
    if (archive) {
      const stagedArchive = path.join(staging, `${dirName}.tar.gz`);
      await writeTarGz(stagedArchive, await entriesForDirectory(stagedDir, dirName));
      await replace(stagedArchive, finalArchive, staging);
      archivePath = finalArchive;
    }
    await replace(stagedDir, finalDir, staging);
    await Deno.remove(failedReport).catch(() => {});
    const seconds = (performance.now() - t0) / 1000;
    log(`published ${finalDir} in ${seconds.toFixed(1)} s`);
    return { ...result, dir: finalDir, archive: archivePath, seconds, downloads };
  } catch (e) {
    // Once there is something to say about the images, a failed build still leaves its report
    // (not an interrupted one: that was asked for, and publishes nothing at all).
    if (state.candidates !== undefined && !options.signal?.aborted) {
      await writeFailedReport(failedReport, cfg, state, e);
      if (e instanceof Error) e.message += `\nreport of the failed build: ${failedReport}`;
    }
    throw e;
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/** How far a build got; what a failed build's report is made of. */
interface BuildState {
  stage: "acquire" | "read" | "decode" | "split" | "write" | "publish";
  candidates?: Candidate[];
  dropped?: DroppedImage[];
}

async function writeFailedReport(
  file: string,
  cfg: ResolvedConfig,
  state: BuildState,
  error: unknown,
): Promise<void> {
  const dropped = [...(state.dropped ?? [])]
    .sort((a, b) => cmp(a.label, b.label) || cmp(a.source, b.source));
  const report = {
    name: cfg.name,
    version: cfg.version,
    failed: true,
    error: error instanceof Error ? error.message : String(error),
    stage: state.stage,
    counts: {
      candidates: state.candidates?.length ?? 0,
      dropped: dropped.length,
      droppedByReason: sortKeys(countReasons(dropped)),
    },
    dropped,
  };
  await writeFileAtomic(file, JSON.stringify(report, null, 2) + "\n");
}

function countReasons(dropped: DroppedImage[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of dropped) {
    const key = d.reason.replace(/:.*$/, "").replace(/ \(.*$/, "");
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

async function acquire(cfg: ResolvedConfig, options: BuildOptions, log: (m: string) => void) {
  const candidates: Candidate[] = [];
  const urlListProblems: BuildReport["urlListProblems"] = [];
  const downloads = { fetched: 0, reused: 0, failed: 0 };
  for (let si = 0; si < cfg.sources.length; si++) {
    const src = cfg.sources[si];
    if (src.kind === "folder") {
      candidates.push(...await listFolderSource(src, src.resolved, cfg.classes, si));
      continue;
    }
    const { entries, problems } = await readUrlLists(src.resolved, cfg.classes);
    for (const p of problems) {
      urlListProblems.push({
        list: path.basename(p.listFile),
        line: p.line,
        text: p.text,
        reason: p.reason,
      });
    }
    log(`downloading ${entries.length} URLs into ${cfg.downloadDir}`);
    const summary = await downloadUrls(entries.map((e) => e.url), cfg.downloadDir, cfg.download, {
      log,
      progress: options.progress,
      signal: options.signal,
      fetch: options.fetch,
    });
    downloads.fetched += summary.fetched;
    downloads.reused += summary.reused;
    downloads.failed += summary.failed;
    for (const e of entries) {
      const rec = summary.records.get(e.url)!;
      candidates.push(
        rec.status === "ok"
          ? {
            label: e.label,
            source: e.url,
            file: path.join(cfg.downloadDir, rec.file!),
            sourceIndex: si,
          }
          : {
            label: e.label,
            source: e.url,
            failure: `download failed: ${rec.reason}`,
            sourceIndex: si,
          },
      );
    }
  }
  return { candidates, urlListProblems, downloads };
}

/** Lists `<root>/[<split dir>/]<class>/**` for the configured classes, sorted. */
async function listFolderSource(
  src: FolderSource,
  root: string,
  classes: string[],
  sourceIndex: number,
): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const splitDirs: [string, SplitName | undefined][] = src.splitDirs
    ? Object.entries(src.splitDirs).sort((a, b) => cmp(a[0], b[0]))
    : [["", undefined]];
  for (const [splitDir, split] of splitDirs) {
    const base = path.join(root, splitDir);
    let entries: Deno.DirEntry[];
    try {
      entries = await readDirSorted(base);
    } catch (e) {
      throw new Error(`source folder ${base} cannot be read: ${(e as Error).message}`);
    }
    const folders = entries.filter((e) => e.isDirectory).map((e) => e.name);
    for (const e of entries.filter((e) => e.isSymlink)) {
      const label = src.classMap?.[e.name] ?? e.name;
      if (!classes.includes(label)) continue;
      const source = [splitDir, e.name].filter((p) => p !== "").join("/");
      out.push({ label, source, failure: "symbolic link (not followed)", sourceIndex });
    }
    for (const folder of folders) {
      const label = src.classMap?.[folder] ?? folder;
      if (!classes.includes(label)) continue;
      const listing = await walkSourceFiles(path.join(base, folder));
      const at = (rel: string) => [splitDir, folder, rel].filter((p) => p !== "").join("/");
      for (const rel of listing.files) {
        out.push({
          label,
          source: at(rel),
          file: path.join(base, folder, ...rel.split("/")),
          fixed: src.keepSplits ? split : undefined,
          sourceIndex,
        });
      }
      // Reported in the build report as dropped, never skipped without a trace.
      for (const s of listing.skipped) {
        out.push({ label, source: at(s.path), failure: s.reason, sourceIndex });
      }
    }
  }
  return out;
}

interface Processed {
  fileSha: string;
  pngSha: string;
  png: Uint8Array;
  dhash: { hi: number; lo: number };
  thumb: Uint8Array;
  orientation: number;
  note?: string;
}

async function buildInto(
  cfg: ResolvedConfig,
  candidates: Candidate[],
  urlListProblems: BuildReport["urlListProblems"],
  staging: string,
  dirName: string,
  options: BuildOptions,
  log: (m: string) => void,
  state: BuildState,
): Promise<{ report: BuildReport; info: DatasetInfo }> {
  const dropped: DroppedImage[] = [];
  state.dropped = dropped;
  state.stage = "read";
  const drop = (c: Candidate, reason: string) =>
    dropped.push({ source: c.source, label: c.label, reason });
  const exactDuplicates: ExactDuplicateSet[] = [];

  // 2. Read and hash every file; exact duplicates by file bytes.
  const sized: (string | undefined)[] = await mapPool(candidates, 8, async (c) => {
    if (c.failure || !c.file) return undefined;
    try {
      const stat = await Deno.stat(c.file);
      if (stat.size > cfg.download.maxBytes) {
        c.failure = `file too large: ${stat.size} bytes (limit ${cfg.download.maxBytes})`;
        return undefined;
      }
      return await sha256File(c.file);
    } catch (e) {
      c.failure = `cannot read: ${(e as Error).message.split("\n")[0]}`;
      return undefined;
    }
  }, options.signal);
  for (const c of candidates) if (c.failure) drop(c, c.failure);
  const firstSurvivors = dedupeExact(
    candidates.map((_c, i) => ({ i, sha: sized[i] })).filter((x) => x.sha !== undefined)
      .map((x) => ({ index: x.i, sha: x.sha! })),
    candidates,
    "file",
    exactDuplicates,
    drop,
  );

  // 3. Decode, check, hash and resize.
  state.stage = "decode";
  const bar = options.progress
    ? progressBar({ total: firstSurvivors.length, label: "decode", unit: "img" })
    : undefined;
  const processed = new Map<number, Processed>();
  const staged = path.join(staging, "work");
  await Deno.mkdir(staged, { recursive: true });
  await mapPool(firstSurvivors, options.concurrency ?? 4, async ({ index, sha }) => {
    const c = candidates[index];
    try {
      const bytes = await Deno.readFile(c.file!);
      const img = await processImage(bytes, {
        size: cfg.imageSize,
        fit: cfg.fit,
        minSize: cfg.minSize,
        maxPixels: cfg.maxPixels,
        signal: options.signal,
      });
      const claimed = c.sourceIndex >= 0 && cfg.sources[c.sourceIndex].kind === "folder"
        ? formatFromExtension(c.source)
        : undefined;
      processed.set(index, {
        fileSha: sha,
        pngSha: sha256Hex(img.png),
        png: img.png,
        dhash: img.dhash,
        thumb: img.thumb,
        orientation: img.orientation,
        note: claimed && claimed !== img.format
          ? `named as ${claimed} but is ${img.format}`
          : undefined,
      });
    } catch (e) {
      if (!(e instanceof ImageRejectedError)) throw e;
      drop(c, e.reason);
      if (e.detail) log(`dropped ${c.source}: ${e.message}`);
    } finally {
      bar?.tick(1);
    }
  }, options.signal);
  bar?.done();

  // A file kept as the first of a set of identical files may itself fail to decode: its copies
  // then fail for the same reason (same bytes), and are reported so, not as "duplicate of" it.
  const rejected = new Map(
    dropped.map((d) => [`${d.label}\0${d.source}`, d.reason] as const),
  );
  for (const set of exactDuplicates) {
    if (set.by !== "file" || set.kept === undefined) continue;
    const reason = rejected.get(`${set.kept.label}\0${set.kept.source}`);
    if (reason === undefined) continue;
    const keptSource = set.kept.source;
    set.droppedBecause = reason;
    set.duplicates.unshift(set.kept);
    delete set.kept;
    for (const d of dropped) {
      if (
        set.duplicates.some((x) => x.source === d.source && x.label === d.label) &&
        d.source !== keptSource
      ) {
        d.reason = `${reason} (identical file to ${keptSource})`;
      }
    }
  }

  // Identical published pixels count as exact duplicates too.
  const decoded = firstSurvivors.filter((x) => processed.has(x.index));
  const kept = dedupeExact(
    decoded.map((x) => ({ index: x.index, sha: processed.get(x.index)!.pngSha })),
    candidates,
    "pixels",
    exactDuplicates,
    drop,
  ).map((x) => x.index);

  for (const label of cfg.classes) {
    if (!kept.some((i) => candidates[i].label === label)) {
      throw new Error(
        `class "${label}" has no usable images (every drop and its reason is in the report)`,
      );
    }
  }

  // 4. Near-duplicates, then the split.
  state.stage = "split";
  const hashes = kept.map((i) => processed.get(i)!.dhash);
  const thumbs = kept.map((i) => processed.get(i)!.thumb);
  const near = groupNearDuplicates(
    hashes,
    cfg.nearDuplicateDistance,
    (a, b) => thumbnailDifference(thumbs[a], thumbs[b]) <= cfg.nearDuplicateMaxDiff,
  );
  const splits = stratifiedGroupSplit(
    kept.map((i, k) => ({
      label: cfg.classes.indexOf(candidates[i].label),
      group: near.groupOf[k],
      key: processed.get(i)!.fileSha,
      fixed: candidates[i].fixed,
    })),
    cfg.split,
  );

  // 5. Write the images, manifest, info, report, card and sums into the staged folder.
  state.stage = "write";
  const outDir = path.join(staging, dirName);
  const names = publishedNames(
    kept.map((i, k) => ({
      folder: `images/${splits[k]}/${candidates[i].label}`,
      sha: processed.get(i)!.pngSha,
    })),
  );
  const rows: ManifestRow[] = [];
  await mapPool(kept, 8, async (i, k) => {
    const p = processed.get(i)!;
    const file = names[k];
    await Deno.mkdir(path.join(outDir, path.dirname(file)), { recursive: true });
    await Deno.writeFile(path.join(outDir, file), p.png);
    rows[k] = {
      file,
      label: candidates[i].label,
      split: splits[k],
      sha256: p.pngSha,
      source: candidates[i].source,
    };
  }, options.signal);
  await Deno.remove(staged, { recursive: true });

  const perSplit = Object.fromEntries(
    SPLITS.map((s) => [s, Object.fromEntries(cfg.classes.map((c) => [c, 0]))]),
  ) as Record<SplitName, Record<string, number>>;
  for (const r of rows) perSplit[r.split][r.label]++;

  const droppedByReason = countReasons(dropped);
  dropped.sort((a, b) => cmp(a.label, b.label) || cmp(a.source, b.source));
  exactDuplicates.sort((a, b) => cmp(a.by, b.by) || cmp(a.sha256, b.sha256));
  const nearGroups: NearDuplicateGroup[] = near.groups.map((g) => {
    let maxDistance = 0;
    for (let a = 0; a < g.length; a++) {
      for (let b = a + 1; b < g.length; b++) {
        maxDistance = Math.max(maxDistance, hammingDistance(hashes[g[a]], hashes[g[b]]));
      }
    }
    const members = g.map((k) => ({
      file: names[k],
      label: candidates[kept[k]].label,
      source: candidates[kept[k]].source,
      dhash: dHashHex(hashes[k]),
    })).sort((a, b) => cmp(a.file, b.file));
    return {
      split: splits[g[0]],
      crossLabel: new Set(members.map((m) => m.label)).size > 1,
      maxDistance,
      members,
    };
  }).sort((a, b) => cmp(a.members[0].file, b.members[0].file));
  const notes = kept.filter((i) => processed.get(i)!.note)
    .map((i) => ({
      source: candidates[i].source,
      label: candidates[i].label,
      note: processed.get(i)!.note!,
    }))
    .sort((a, b) => cmp(a.label, b.label) || cmp(a.source, b.source));

  const report: BuildReport = {
    name: cfg.name,
    version: cfg.version,
    settings: {
      classes: cfg.classes,
      imageSize: cfg.imageSize,
      fit: cfg.fit,
      minSize: cfg.minSize,
      maxPixels: cfg.maxPixels,
      nearDuplicateDistance: cfg.nearDuplicateDistance,
      nearDuplicateMaxDiff: cfg.nearDuplicateMaxDiff,
      split: cfg.split,
      sources: cfg.sources.map(({ resolved: _resolved, ...rest }) => rest),
    },
    hashing: {
      exact: "SHA-256 of the source file's bytes; then SHA-256 of the published PNG (identical " +
        "pixels after resizing)",
      near: `64-bit dHash of the upright image (9x8 grey) within ${cfg.nearDuplicateDistance} ` +
        `bits, confirmed by a 16x16 colour thumbnail difference <= ${cfg.nearDuplicateMaxDiff} ` +
        "(mean-centred, of 255); groups are transitive and kept whole in one split",
    },
    tools: imageToolVersions(),
    counts: {
      candidates: candidates.length,
      published: rows.length,
      dropped: dropped.length,
      droppedByReason: sortKeys(droppedByReason),
      exactDuplicatesDropped: exactDuplicates.reduce((s, d) => s + d.duplicates.length, 0),
      nearDuplicateGroups: nearGroups.length,
      imagesInNearDuplicateGroups: nearGroups.reduce((s, g) => s + g.members.length, 0),
      orientationApplied: kept.filter((i) => processed.get(i)!.orientation !== 1).length,
      perSplit,
    },
    dropped,
    exactDuplicates,
    nearDuplicateGroups: nearGroups,
    notes,
    urlListProblems,
  };
  const info: DatasetInfo = {
    name: cfg.name,
    version: cfg.version,
    classes: cfg.classes,
    imageSize: cfg.imageSize,
    fit: cfg.fit,
    counts: perSplit,
  };
  await Deno.writeTextFile(path.join(outDir, "manifest.csv"), formatManifest(rows));
  await Deno.writeTextFile(path.join(outDir, "dataset.json"), JSON.stringify(info, null, 2) + "\n");
  await Deno.writeTextFile(
    path.join(outDir, "build-report.json"),
    JSON.stringify(report, null, 2) + "\n",
  );
  await Deno.writeTextFile(path.join(outDir, "card.md"), renderCard(cfg, report));
  await writeSums(outDir);
  log(
    `${rows.length} images published, ${dropped.length} dropped ` +
      `(${report.counts.exactDuplicatesDropped} exact duplicates), ` +
      `${nearGroups.length} near-duplicate groups`,
  );
  return { report, info };
}

/**
 * Keeps the first of each set of equal hashes (candidate order); a set whose members carry
 * different labels is dropped whole. Returns the survivors in input order.
 */
function dedupeExact(
  items: { index: number; sha: string }[],
  candidates: Candidate[],
  by: "file" | "pixels",
  sets: ExactDuplicateSet[],
  drop: (c: Candidate, reason: string) => void,
): { index: number; sha: string }[] {
  const bySha = new Map<string, number[]>();
  for (const it of items) {
    const list = bySha.get(it.sha);
    if (list) list.push(it.index);
    else bySha.set(it.sha, [it.index]);
  }
  const survivors = new Set<number>();
  for (const [sha, list] of bySha) {
    if (list.length === 1) {
      survivors.add(list[0]);
      continue;
    }
    const labels = [...new Set(list.map((i) => candidates[i].label))].sort();
    const what = by === "file" ? "identical file" : "identical pixels after resizing";
    if (labels.length > 1) {
      for (const i of list) {
        drop(candidates[i], `conflicting labels: ${what} listed under ${labels.join(", ")}`);
      }
      sets.push({
        by,
        sha256: sha,
        duplicates: list.map((i) => ({ source: candidates[i].source, label: candidates[i].label })),
      });
      continue;
    }
    const [keep, ...rest] = list;
    survivors.add(keep);
    for (const i of rest) drop(candidates[i], `duplicate (${what}) of ${candidates[keep].source}`);
    sets.push({
      by,
      sha256: sha,
      kept: { source: candidates[keep].source, label: candidates[keep].label },
      duplicates: rest.map((i) => ({ source: candidates[i].source, label: candidates[i].label })),
    });
  }
  return items.filter((it) => survivors.has(it.index));
}

/** `<folder>/<sha8>.png`, with 16 digits for any 8-digit prefix shared within a folder. */
function publishedNames(items: { folder: string; sha: string }[]): string[] {
  const count = new Map<string, number>();
  for (const it of items) {
    const key = `${it.folder}/${it.sha.slice(0, 8)}`;
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  return items.map((it) => {
    const short = `${it.folder}/${it.sha.slice(0, 8)}`;
    return `${count.get(short)! > 1 ? `${it.folder}/${it.sha.slice(0, 16)}` : short}.png`;
  });
}

/** Writes `SHA256SUMS` covering every file under `dir` (sorted paths, `sha256sum` format). */
export async function writeSums(dir: string): Promise<void> {
  const files = (await walkFiles(dir)).filter((f) => f !== "SHA256SUMS");
  const lines: string[] = [];
  for (const rel of files) {
    lines.push(`${await sha256File(path.join(dir, ...rel.split("/")))}  ${rel}`);
  }
  await Deno.writeTextFile(path.join(dir, "SHA256SUMS"), lines.join("\n") + "\n");
}

/** Moves `from` onto `to`; an existing `to` is first moved into `trash` (removed with it later). */
async function replace(from: string, to: string, trash: string): Promise<void> {
  if (exists(to)) await Deno.rename(to, path.join(trash, `old-${path.basename(to)}`));
  await Deno.rename(from, to);
}

async function removeStaleStaging(outDir: string, dirName: string): Promise<void> {
  for await (const e of Deno.readDir(outDir)) {
    if (e.name.startsWith(`.${dirName}.staging-`)) {
      await Deno.remove(path.join(outDir, e.name), { recursive: true }).catch(() => {});
    }
  }
}

async function readDirSorted(dir: string): Promise<Deno.DirEntry[]> {
  const out: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e);
  return out.sort((a, b) => cmp(a.name, b.name));
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort((a, b) => cmp(a[0], b[0])));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
