/**
 * The dataset card (`card.md`): what is in the dataset, where it came from, how it was built, and
 * what to watch out for. Generated from the configuration and the build report only, so it is as
 * reproducible as the rest of the published folder.
 *
 * @module
 */

import type { BuildReport } from "./build.ts";
import type { ResolvedConfig } from "./config.ts";
import { SPLITS } from "./split.ts";

/** Renders `card.md` for a build. */
export function renderCard(cfg: ResolvedConfig, report: BuildReport): string {
  const c = report.counts;
  const out: string[] = [];
  const id = `${cfg.name}-v${cfg.version}`;
  out.push(`# Dataset card: ${id}`, "");
  if (cfg.description) out.push(cfg.description, "");
  out.push(
    `${c.published} RGB images of ${cfg.imageSize}x${cfg.imageSize} pixels (PNG) in ` +
      `${cfg.classes.length} classes, split into train / val / test.`,
    "",
    "## Classes and counts",
    "",
    "| class | train | val | test | total |",
    "| --- | ---: | ---: | ---: | ---: |",
  );
  const totals = { train: 0, val: 0, test: 0 };
  for (const cls of cfg.classes) {
    const n = SPLITS.map((s) => c.perSplit[s][cls]);
    SPLITS.forEach((s, i) => (totals[s] += n[i]));
    out.push(`| ${cls} | ${n.join(" | ")} | ${n.reduce((a, b) => a + b, 0)} |`);
  }
  out.push(
    `| **all** | ${totals.train} | ${totals.val} | ${totals.test} | ${c.published} |`,
    "",
    "## Sources and licenses",
    "",
  );
  for (const s of report.settings.sources as Record<string, unknown>[]) {
    const where = s.kind === "folder" ? `local folder \`${s.root}\`` : `URL lists in \`${s.dir}\``;
    const parts = [where];
    if (s.origin) parts.push(`origin: ${s.origin}`);
    if (s.copy) parts.push(`copy used: ${s.copy}`);
    parts.push(`license: ${s.license ?? "unknown (check before redistributing)"}`);
    if (s.kind === "folder" && s.splitDirs) {
      parts.push(
        s.keepSplits
          ? "the source's own train/val/test split was kept"
          : "its own split folders were pooled and re-split",
      );
    }
    out.push(`- ${parts.join("; ")}`);
  }
  out.push(
    "",
    "The `source` column of `manifest.csv` gives each image's origin (URL, or path inside its " +
      "source folder).",
    "",
    "## How it was built",
    "",
    "Built by `lib/dataset` (`deno task dataset build <config.json>`), with sharp " +
      `${report.tools.sharp} / libvips ${report.tools.libvips}:`,
    "",
    "1. **Acquire** every image listed by the sources (URL lists are downloaded with retries, a " +
      "size cap and content-type and magic-byte checks).",
    `2. **Validate**: the real format is read from the magic bytes; an image whose header claims ` +
      `more than ${cfg.maxPixels} pixels is dropped before decoding; the others are fully decoded ` +
      `(a decoder warning, such as libjpeg's "corrupt data" or "premature end", rejects the file), ` +
      `turned upright by its EXIF orientation (${c.orientationApplied} needed it), and dropped when ` +
      `unreadable or when its shorter side is under ${cfg.minSize} px. Symbolic links and hidden ` +
      "files in source folders are listed as dropped, never read.",
    `3. **De-duplicate**: ${report.hashing.exact}; copies are dropped (${c.exactDuplicatesDropped}` +
      ` dropped). Near-duplicates: ${report.hashing.near} (${c.nearDuplicateGroups} groups, ` +
      `${c.imagesInNearDuplicateGroups} images).`,
    `4. **Resize** to ${cfg.imageSize}x${cfg.imageSize}: ${
      cfg.fit === "crop"
        ? "scaled to cover the square, then the centre is cropped (the edges of elongated " +
          "photos are lost)"
        : "scaled to fit inside the square, padded with black"
    }; transparency is flattened onto white; PNG with fixed encoder options.`,
    `5. **Split** per class (stratified), seeded (seed ${cfg.split.seed}): ` +
      `${pct(cfg.split.train)} train, ${pct(cfg.split.val)} val, ${pct(cfg.split.test)} test, ` +
      "shuffling in an order defined by content (SHA-256), with near-duplicate groups kept whole.",
    "6. **Publish** into a staging folder, renamed into place when complete; `SHA256SUMS` " +
      "covers every file.",
    "",
    `Dropped: ${c.dropped} of ${c.candidates} candidates.`,
  );
  const reasons = Object.entries(c.droppedByReason);
  if (reasons.length > 0) {
    out.push("", "| reason | images |", "| --- | ---: |");
    for (const [r, n] of reasons) out.push(`| ${r} | ${n} |`);
  }
  out.push(
    "",
    "Details of every dropped image and duplicate are in `build-report.json`.",
    "",
    "## Caveats",
    "",
  );
  const caveats = [...cfg.caveats];
  const crossLabel = report.nearDuplicateGroups.filter((g) => g.crossLabel).length;
  if (crossLabel > 0) {
    caveats.push(
      `${crossLabel} near-duplicate group(s) carry different labels: a labelling question worth ` +
        "checking in `build-report.json`.",
    );
  }
  const conflicts = report.exactDuplicates.filter((d) => !d.kept).length;
  if (conflicts > 0) {
    caveats.push(`${conflicts} identical image(s) were listed under different classes; dropped.`);
  }
  const smallest = Math.min(
    ...cfg.classes.map((cls) => SPLITS.reduce((s, sp) => s + c.perSplit[sp][cls], 0)),
  );
  const largest = Math.max(
    ...cfg.classes.map((cls) => SPLITS.reduce((s, sp) => s + c.perSplit[sp][cls], 0)),
  );
  if (largest > 2 * smallest) {
    caveats.push(
      `The classes are imbalanced (largest ${largest}, smallest ${smallest} images): report ` +
        "per-class metrics, not only accuracy.",
    );
  }
  if (report.notes.length) {
    caveats.push(
      `${report.notes.length} kept image(s) have notes in the report (e.g. a file named .jpg that is a PNG).`,
    );
  }
  caveats.push(
    "Near-duplicates are found by a perceptual hash confirmed by a thumbnail comparison: " +
      "re-encoded, rescaled or brightened copies are caught; cropped copies and re-shot photos " +
      "of the same item are not.",
  );
  for (const cv of caveats) out.push(`- ${cv}`);
  out.push(
    "",
    "## Loading",
    "",
    "```ts",
    'import { loadImageDataset } from "./lib/dataset/mod.ts";',
    `const ds = await loadImageDataset("data/datasets/${id}"); // checks SHA256SUMS`,
    "// ds.splits.train.images: Float32Array, N x size x size x 3 (NHWC), values in [0, 1]",
    "```",
    "",
  );
  return out.join("\n");
}

function pct(f: number): string {
  return `${Math.round(f * 1000) / 10}%`;
}
