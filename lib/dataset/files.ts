/**
 * Small file-system helpers shared by the builder, the downloader and the loader.
 *
 * @module
 */

import * as path from "node:path";

/**
 * Files under `dir`, recursively, as `/`-separated relative paths sorted by code unit at each
 * level (folders and files interleaved by name). Names starting with `.` are skipped unless
 * `hidden` is true.
 */
export async function walkFiles(dir: string, hidden = false): Promise<string[]> {
  const out: string[] = [];
  async function walk(abs: string, rel: string) {
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(abs)) entries.push(e);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (!hidden && e.name.startsWith(".")) continue;
      const childRel = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory) await walk(path.join(abs, e.name), childRel);
      else if (e.isFile) out.push(childRel);
    }
  }
  await walk(dir, "");
  return out;
}

/** What {@link walkSourceFiles} found: regular files, and what it did not read, with why. */
export interface SourceListing {
  /** Regular files, `/`-separated relative paths, sorted as by {@link walkFiles}. */
  files: string[];
  /** Entries not read: symbolic links, hidden files and folders, anything not a file. */
  skipped: { path: string; reason: string }[];
}

/**
 * Like {@link walkFiles}, but reports what it leaves out instead of skipping it silently: symbolic
 * links (never followed: they may point outside the source), names starting with `.` (a hidden
 * folder is reported once, not read), and special files.
 */
export async function walkSourceFiles(dir: string): Promise<SourceListing> {
  const files: string[] = [];
  const skipped: SourceListing["skipped"] = [];
  async function walk(abs: string, rel: string) {
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(abs)) entries.push(e);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const childRel = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isSymlink) skipped.push({ path: childRel, reason: "symbolic link (not followed)" });
      else if (e.name.startsWith(".")) {
        skipped.push({
          path: childRel,
          reason: e.isDirectory ? "hidden folder (not read)" : "hidden file (name starts with .)",
        });
      } else if (e.isDirectory) await walk(path.join(abs, e.name), childRel);
      else if (e.isFile) files.push(childRel);
      else skipped.push({ path: childRel, reason: "not a regular file" });
    }
  }
  await walk(dir, "");
  return { files, skipped };
}

/** Writes a file atomically: a temporary file in the same folder, then a rename over the target. */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await Deno.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, file);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** True when something (file, folder or link) exists at `p`. */
export function exists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
