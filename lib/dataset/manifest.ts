/**
 * The published dataset's `manifest.csv` (one row per image) and `dataset.json` (what the loader
 * needs to know without reading every image).
 *
 * `manifest.csv` has the header `file,label,split,sha256,source`, one row per image sorted by
 * `file`, fields quoted as in RFC 4180 when they hold a comma, a quote or a line break (URLs can).
 *
 * @module
 */

import { type SplitName, SPLITS } from "./split.ts";

/** The manifest's header, exactly. */
export const MANIFEST_HEADER = "file,label,split,sha256,source";

/** One row of `manifest.csv`. */
export interface ManifestRow {
  /** The image, relative to the dataset folder, e.g. `images/train/hat/0a1b2c3d.png`. */
  file: string;
  /** Its class. */
  label: string;
  /** Its split. */
  split: SplitName;
  /** SHA-256 of the published image file (lower-case hex). */
  sha256: string;
  /** Where it came from: the original URL, or its path relative to its source folder. */
  source: string;
}

/** The contents of `dataset.json`, written next to the manifest. */
export interface DatasetInfo {
  /** Dataset name, e.g. `clothing5`. */
  name: string;
  /** Dataset version, e.g. `1`. */
  version: string;
  /** Class names, sorted; a label's index is its position here. */
  classes: string[];
  /** Width and height of every image, in pixels. */
  imageSize: number;
  /** How images were fitted to the square: `crop` (center crop) or `pad` (letterbox). */
  fit: "crop" | "pad";
  /** Number of images per split and class. */
  counts: Record<SplitName, Record<string, number>>;
}

function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

/** The manifest text for `rows` (sorted by `file` here), ending with a newline. */
export function formatManifest(rows: ManifestRow[]): string {
  const sorted = [...rows].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const lines = [MANIFEST_HEADER];
  for (const r of sorted) {
    lines.push([r.file, r.label, r.split, r.sha256, r.source].map(quote).join(","));
  }
  return lines.join("\n") + "\n";
}

/** Parses RFC 4180 CSV text into records of fields (accepts `\n` or `\r\n` line ends). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let i = 0;
  let quoted = false;
  let any = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === "") {
      quoted = true;
      any = true;
      i++;
    } else if (ch === ",") {
      record.push(field);
      field = "";
      any = true;
      i++;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      any = false;
    } else {
      field += ch;
      any = true;
      i++;
    }
  }
  if (quoted) throw new Error("CSV: unterminated quoted field");
  if (any || field !== "" || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/**
 * Parses `manifest.csv` text. `label` names the file in error messages. Throws on a wrong header,
 * a row with the wrong number of fields, an unknown split, a malformed SHA-256, or a path that
 * leaves the dataset folder.
 */
export function parseManifest(text: string, label = "manifest.csv"): ManifestRow[] {
  const records = parseCsv(text);
  if (records.length === 0 || records[0].join(",") !== MANIFEST_HEADER) {
    throw new Error(`${label}: expected the header "${MANIFEST_HEADER}"`);
  }
  const rows: ManifestRow[] = [];
  for (let i = 1; i < records.length; i++) {
    const rec = records[i];
    if (rec.length === 1 && rec[0] === "") continue;
    const where = `${label}: row ${i + 1}`;
    if (rec.length !== 5) throw new Error(`${where}: expected 5 fields, got ${rec.length}`);
    const [file, lbl, split, sha256, source] = rec;
    if (!(SPLITS as readonly string[]).includes(split)) {
      throw new Error(`${where}: split must be train, val or test, got "${split}"`);
    }
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`${where}: bad sha256 "${sha256}"`);
    if (file.startsWith("/") || file.split("/").includes("..") || file === "") {
      throw new Error(`${where}: file must be a relative path inside the dataset, got "${file}"`);
    }
    rows.push({ file, label: lbl, split: split as SplitName, sha256, source });
  }
  return rows;
}
