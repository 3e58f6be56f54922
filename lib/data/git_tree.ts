/**
 * Folders of files pinned to a GitHub commit, verified file by file with git's own hash.
 *
 * A {@link GitTree} names a repository, a commit, the folder of it we need, and a committed file
 * list (`lib/data/trees/<repo>@<commit>.tsv.gz`, made by `tools/tree_list.ts` from
 * `git ls-tree -r -l`): every file's git blob id, size and path. A blob id is the SHA-1 of
 * `blob <size>\0` followed by the content, so a file from any source can be checked against the
 * commit without trusting that source. {@link resolveGitTree} returns a verified local folder:
 *
 * 1. the cache, `<cache>/<tree.name>/` — every file re-hashed on each call (about a second per
 *    100 MB); a folder that fails is moved aside to `<name>.corrupt-<time>` and resolution goes on;
 * 2. mirror folders (`<mirror>/<mirrorPath>`), used in place, never copied: checked against the
 *    same blob ids, or — for a mirror that holds a *modified* copy (the face-mask photos were
 *    shrunk) — against the mirror's own `SHA256SUMS` lines, whose SHA-256 is pinned here;
 * 3. the commit's archive from GitHub (`codeload.github.com`, then `github.com/<repo>/archive`),
 *    downloaded with progress into `<cache>/downloads/`, resumed with an HTTP range request after an
 *    interruption, then extracted into a staging folder while each file is hashed; the folder is
 *    renamed into the cache only when every listed file is present and matches.
 *
 * Any mismatch is a {@link TreeVerificationError} naming the files. Offline (`BOOK_OFFLINE=1`)
 * with no mirror, the error says what is missing and the two ways to get it.
 *
 * @module
 */

import { createHash } from "node:crypto";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import {
  AssetNotFoundError,
  cacheDirFor,
  envVar,
  isDirectory,
  isFile,
  mirrorDirsFor,
  projectRoot,
  rebaseUrl,
  type ResolveOptions,
  sha256Hex,
} from "./assets.ts";
import { readTar } from "./untar.ts";

/** A folder of a GitHub commit, with the committed list of its files' blob ids. */
export interface GitTree {
  /** Cache folder name, e.g. `clothing-dataset-small@11961516`. */
  name: string;
  /** `owner/repo` on GitHub. */
  repo: string;
  /** The full 40-digit commit id. */
  commit: string;
  /** The folder of the commit the book uses (`""` for all of it), without a trailing `/`. */
  subdir: string;
  /** Only these folders (relative to `subdir`) are kept; default: everything under `subdir`. */
  include?: string[];
  /** The committed file list, relative to the project root. */
  list: string;
  /** Where the folder sits inside a mirror directory (its files relative to `subdir`). */
  mirrorPath: string;
  /**
   * How a mirror copy is checked: `"blob-ids"` (byte-identical to the commit), or `{ sha256sums }`: the mirror holds a modified copy,
   * checked against the lines of the mirror's `SHA256SUMS` under `./<mirrorPath>/`, whose SHA-256
   * (of those lines joined with `\n`, plus a final `\n`) is `sha256sums`.
   */
  mirrorCheck: "blob-ids" | { sha256sums: string };
  /** Overrides the download URLs (default: codeload, then github.com/…/archive). */
  urls?: string[];
}

/** One file of a {@link GitTree}'s list. */
export interface TreeFile {
  /** Path relative to the tree's `subdir`. */
  path: string;
  /** Git blob id (40 hex digits). */
  blob: string;
  /** Size in bytes; -1 when the commit names a blob the repository itself lacks. */
  size: number;
}

/** Files that failed verification; the message names them (the first 20, then a count). */
export class TreeVerificationError extends Error {
  /** What was checked (a folder or an archive URL). */
  readonly where: string;
  /** Listed files not found. */
  readonly missing: string[];
  /** Files whose content does not match. */
  readonly mismatched: string[];
  /** Files present but not listed. */
  readonly unexpected: string[];

  /** Builds the message from the three lists. */
  constructor(where: string, missing: string[], mismatched: string[], unexpected: string[]) {
    const part = (label: string, list: string[]) =>
      list.length === 0
        ? ""
        : `\n  ${label} (${list.length}): ${list.slice(0, 20).join(", ")}${
          list.length > 20 ? ", …" : ""
        }`;
    super(
      `${where} does not match its pinned file list:` + part("content differs", mismatched) +
        part("missing", missing) + part("not in the list", unexpected),
    );
    this.name = "TreeVerificationError";
    this.where = where;
    this.missing = missing;
    this.mismatched = mismatched;
    this.unexpected = unexpected;
  }
}

/** Git's blob id of `data`: SHA-1 of `blob <size>\0` + the bytes. */
export function gitBlobId(data: Uint8Array): string {
  return createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");
}

/** The default download URLs of a commit's `.tar.gz` archive. */
export function archiveUrls(tree: Pick<GitTree, "repo" | "commit" | "urls">): string[] {
  return tree.urls ?? [
    `https://codeload.github.com/${tree.repo}/tar.gz/${tree.commit}`,
    `https://github.com/${tree.repo}/archive/${tree.commit}.tar.gz`,
  ];
}

/** Reads a tree's committed file list; paths are made relative to its `subdir`. */
export async function readTreeList(
  tree: Pick<GitTree, "list" | "subdir" | "include">,
  root = projectRoot(),
): Promise<TreeFile[]> {
  const file = path.resolve(root, tree.list);
  const text = new TextDecoder().decode(gunzipSync(await Deno.readFile(file)));
  const prefix = tree.subdir === "" ? "" : `${tree.subdir}/`;
  const out: TreeFile[] = [];
  text.split("\n").forEach((line, i) => {
    if (line === "") return;
    const m = /^([0-9a-f]{40})\t(\d+|-)\t(.+)$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: not a "<blob>\\t<size>\\t<path>" line`);
    if (!m[3].startsWith(prefix) || !included(tree, m[3].slice(prefix.length))) return;
    out.push({
      blob: m[1],
      size: m[2] === "-" ? -1 : Number(m[2]),
      path: m[3].slice(prefix.length),
    });
  });
  return out;
}

/** True when `rel` (relative to the tree's `subdir`) lies in one of its `include` folders. */
function included(tree: Pick<GitTree, "include">, rel: string): boolean {
  return tree.include === undefined || tree.include.some((dir) => rel.startsWith(`${dir}/`));
}

/** Options of {@link resolveGitTree}: those of `resolveAsset`, plus an abort signal. */
export interface TreeOptions extends ResolveOptions {
  /** Stops a download or an extraction; the partial archive is kept for resuming. */
  signal?: AbortSignal;
  /** Project root the tree's `list` is relative to (default: this checkout). */
  root?: string;
}

/** Returns a local folder holding the tree's files, verified (see the module documentation). */
export async function resolveGitTree(tree: GitTree, options: TreeOptions = {}): Promise<string> {
  return (await resolveGitTreeCopy(tree, options)).dir;
}

/** A resolved tree: its folder, and which copy it is (worth recording beside results). */
export interface TreeCopy {
  /** The verified local folder. */
  dir: string;
  /**
   * One line naming the repository, commit and kind of copy: the commit's own files (from the
   * cache, a byte-identical mirror or the download), or a mirror's modified copy.
   */
  copy: string;
}

/** Like {@link resolveGitTree}, and also says which copy was found. */
export async function resolveGitTreeCopy(
  tree: GitTree,
  options: TreeOptions = {},
): Promise<TreeCopy> {
  const at = `${tree.repo}@${tree.commit}${tree.subdir === "" ? "" : `:${tree.subdir}`}`;
  const commitFiles = `${at}, the commit's own files (each checked by git blob id)`;
  const log = options.log ?? ((m: string) => console.error(m));
  const files = await readTreeList(tree, options.root);
  const cacheDir = cacheDirFor(options);
  const target = path.join(cacheDir, tree.name);
  const tried: string[] = [];

  // 1. The cache.
  if (isDirectory(target)) {
    try {
      await verifyFolder(target, files, "blob-ids", tree);
      return { dir: target, copy: commitFiles };
    } catch (e) {
      if (!(e instanceof TreeVerificationError)) throw e;
      const aside = `${target}.corrupt-${Date.now()}`;
      await Deno.rename(target, aside);
      log(`note: ${e.message}\nmoved it to ${aside}; resolving "${tree.name}" again`);
      tried.push(`${target} (failed verification; moved to ${aside})`);
    }
  } else tried.push(`${target} (not in cache)`);

  // 2. Mirrors, used in place.
  for (const dir of mirrorDirsFor(options)) {
    const folder = path.join(dir, tree.mirrorPath);
    if (!isDirectory(folder)) {
      tried.push(`${folder} (not found)`);
      continue;
    }
    await verifyFolder(folder, files, tree.mirrorCheck, tree, dir);
    const copy = tree.mirrorCheck === "blob-ids" ? commitFiles : `${at}, the data mirror's ` +
      `modified copy (checked against the mirror's SHA256SUMS, pinned as ` +
      `${tree.mirrorCheck.sha256sums.slice(0, 16)}…)`;
    return { dir: folder, copy };
  }

  // 3. The commit's archive.
  const offline = options.offline ?? envVar("BOOK_OFFLINE") === "1";
  const urls = archiveUrls(tree).map(rebaseUrl);
  if (offline) {
    for (const url of urls) tried.push(`${url} (skipped: offline)`);
  } else {
    for (const url of urls) {
      options.signal?.throwIfAborted();
      const archive = path.join(cacheDir, "downloads", `${tree.name}.tar.gz`);
      // A whole archive left by an interrupted extraction is used again (its files are verified).
      const failure = isFile(archive)
        ? null
        : await downloadResumable(url, archive, tree.name, options);
      if (failure !== null) {
        tried.push(`${url} (${failure})`);
        log(`note: download of ${url} failed: ${failure}`);
        continue;
      }
      try {
        await extractVerified(archive, url, tree, files, target, options.signal);
      } finally {
        if (!options.signal?.aborted) await Deno.remove(archive).catch(() => {});
      }
      return { dir: target, copy: commitFiles };
    }
  }
  throw new AssetNotFoundError(
    tree.name,
    tried,
    `To get it, either go online (it is downloaded from ${urls[0]} and checked file by file ` +
      `against ${tree.list}), or set BOOK_MIRROR to a folder that holds ${tree.mirrorPath}/.`,
  );
}

/** Checks a folder against the list; throws {@link TreeVerificationError} naming bad files. */
export async function verifyFolder(
  folder: string,
  files: TreeFile[],
  check: GitTree["mirrorCheck"],
  tree: Pick<GitTree, "mirrorPath" | "include">,
  mirrorDir?: string,
): Promise<void> {
  const expected = new Map<string, (data: Uint8Array) => boolean>();
  if (check === "blob-ids") {
    for (const f of files) {
      if (f.size < 0) continue;
      expected.set(f.path, (d) => d.length === f.size && gitBlobId(d) === f.blob);
    }
  } else {
    const sums = await pinnedMirrorSums(mirrorDir!, tree.mirrorPath, check.sha256sums);
    for (const [rel, hash] of sums) {
      expected.set(rel, (d) => sha256Hex(d) === hash);
    }
  }
  const present = await listFiles(folder);
  const missing: string[] = [];
  const mismatched: string[] = [];
  for (const [rel, ok] of expected) {
    if (!present.has(rel)) {
      missing.push(rel);
      continue;
    }
    if (!ok(await Deno.readFile(path.join(folder, ...rel.split("/"))))) mismatched.push(rel);
  }
  const unexpected = [...present].filter((p) => included(tree, p) && !expected.has(p)).sort();
  if (missing.length + mismatched.length + unexpected.length > 0) {
    throw new TreeVerificationError(folder, missing.sort(), mismatched.sort(), unexpected);
  }
}

/** The `./<mirrorPath>/` lines of the mirror's SHA256SUMS, checked against the pinned digest. */
async function pinnedMirrorSums(
  mirrorDir: string,
  mirrorPath: string,
  digest: string,
): Promise<Map<string, string>> {
  const sumsFile = path.join(mirrorDir, "SHA256SUMS");
  const prefix = `./${mirrorPath}/`;
  const lines = (await Deno.readTextFile(sumsFile)).split("\n")
    .filter((l) => l.slice(66).startsWith(prefix));
  const actual = sha256Hex(lines.join("\n") + "\n");
  if (actual !== digest) {
    throw new Error(
      `${sumsFile}: its ${prefix} lines hash to ${actual}, not the pinned ${digest}: ` +
        `this mirror holds a different copy of ${mirrorPath}`,
    );
  }
  return new Map(lines.map((l) => [l.slice(66 + prefix.length), l.slice(0, 64)]));
}

async function listFiles(folder: string): Promise<Set<string>> {
  const out = new Set<string>();
  async function walk(abs: string, rel: string) {
    for await (const e of Deno.readDir(abs)) {
      const childRel = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory) await walk(path.join(abs, e.name), childRel);
      else out.add(childRel); // files, and links (reported as not in the list or mismatched)
    }
  }
  await walk(folder, "");
  return out;
}

/** Streams the archive, keeps `<top>/<subdir>/…`, hashes each file, renames into `target`. */
async function extractVerified(
  archive: string,
  url: string,
  tree: GitTree,
  files: TreeFile[],
  target: string,
  signal?: AbortSignal,
): Promise<void> {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const staging = `${target}.staging-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const seen = new Set<string>();
  const mismatched: string[] = [];
  const unexpected: string[] = [];
  let commitInArchive: string | undefined;
  try {
    const file = await Deno.open(archive, { read: true });
    const stream = file.readable.pipeThrough(
      new DecompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>,
    );
    const prefix = tree.subdir === "" ? "" : `${tree.subdir}/`;
    for await (
      const m of readTar(stream, (g) => {
        commitInArchive = g.comment;
      })
    ) {
      signal?.throwIfAborted();
      const slash = m.name.indexOf("/");
      const inRepo = slash < 0 ? "" : m.name.slice(slash + 1).replace(/\/$/, "");
      if (inRepo === "" || !inRepo.startsWith(prefix) || m.type === "directory") continue;
      const rel = inRepo.slice(prefix.length);
      if (!included(tree, rel)) continue;
      const want = byPath.get(rel);
      if (m.type !== "file") {
        unexpected.push(`${rel} (${m.type})`);
        continue;
      }
      if (want === undefined) {
        unexpected.push(rel);
        continue;
      }
      if (want.size < 0) continue; // listed without a blob upstream: cannot be verified, left out
      seen.add(rel);
      if (m.size !== want.size || gitBlobId(m.data!) !== want.blob) {
        mismatched.push(rel);
        continue;
      }
      const dest = path.join(staging, ...rel.split("/"));
      await Deno.mkdir(path.dirname(dest), { recursive: true });
      await Deno.writeFile(dest, m.data!);
    }
    if (commitInArchive !== undefined && commitInArchive !== tree.commit) {
      throw new Error(`${url}: archive of commit ${commitInArchive}, expected ${tree.commit}`);
    }
    const missing = files.filter((f) => f.size >= 0 && !seen.has(f.path)).map((f) => f.path);
    if (missing.length + mismatched.length + unexpected.length > 0) {
      throw new TreeVerificationError(url, missing, mismatched.sort(), unexpected.sort());
    }
    await Deno.mkdir(path.dirname(target), { recursive: true });
    await Deno.rename(staging, target);
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/**
 * Downloads `url` to `dest` through `dest.partial`, resuming a partial file with a range request
 * (a server that ignores the range restarts it). Returns null on success, else why it failed.
 */
export async function downloadResumable(
  url: string,
  dest: string,
  label: string,
  options: TreeOptions,
): Promise<string | null> {
  const partial = `${dest}.partial`;
  await Deno.mkdir(path.dirname(dest), { recursive: true });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const idle = new AbortController();
  const signal = options.signal ? AbortSignal.any([idle.signal, options.signal]) : idle.signal;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(new Error(`no data for ${timeoutMs} ms`)), timeoutMs);
  };
  const show = options.progress ?? isStderrTerminal();
  let shown = false;
  try {
    let have = 0;
    try {
      have = (await Deno.stat(partial)).size;
    } catch { /* nothing to resume */ }
    arm();
    const response = await fetch(url, {
      signal,
      headers: have > 0 ? { Range: `bytes=${have}-` } : {},
    });
    if (response.status === 416) {
      await response.body?.cancel();
      await Deno.remove(partial).catch(() => {});
      return "HTTP 416 (partial download no longer matches; removed it, try again)";
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      return `HTTP ${response.status} ${response.statusText}`.trim();
    }
    const resumed = response.status === 206 && have > 0;
    if (!resumed) have = 0;
    const total = resumed
      ? Number(/\/(\d+)$/.exec(response.headers.get("content-range") ?? "")?.[1] ?? 0)
      : Number(response.headers.get("content-length")) || 0;
    const file = await Deno.open(partial, {
      write: true,
      create: true,
      append: resumed,
      truncate: !resumed,
    });
    let received = have;
    let last = 0;
    try {
      for await (const chunk of response.body) {
        arm();
        for (let off = 0; off < chunk.length;) off += await file.write(chunk.subarray(off));
        received += chunk.length;
        if (show && Date.now() - last > 200) {
          last = Date.now();
          shown = true;
          const mb = (n: number) => (n / 1e6).toFixed(1);
          const text = total > 0
            ? `\r${label}: ${mb(received)} / ${mb(total)} MB (${
              Math.floor(100 * received / total)
            }%)${resumed ? " resumed" : ""}`
            : `\r${label}: ${mb(received)} MB`;
          Deno.stderr.writeSync(new TextEncoder().encode(text));
        }
      }
    } finally {
      file.close();
    }
    if (total > 0 && received !== total) return `incomplete: ${received} of ${total} bytes`;
    await Deno.rename(partial, dest);
    return null;
  } catch (e) {
    if (options.signal?.aborted) throw options.signal.reason ?? e;
    if (idle.signal.aborted) return `timed out: ${(idle.signal.reason as Error).message}`;
    return e instanceof Error ? e.message : String(e);
  } finally {
    clearTimeout(timer);
    if (shown) Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  }
}

function isStderrTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}
