/**
 * Acquiring images: URL lists (one `<class>.txt` per class, as image-search exports produce) and
 * local folders.
 *
 * Downloads run with bounded concurrency, a per-attempt timeout, retries with exponential backoff
 * for transient failures (timeouts, network errors, HTTP 408/429/5xx), a size cap, a content-type
 * check and a magic-byte check, following at most `maxRedirects` redirects. Each distinct URL is
 * fetched once. A ledger, `<downloadDir>/downloads.json`, records every outcome and is replaced
 * atomically (temporary file + rename) as downloads finish, so an interrupted run resumes where it
 * stopped: finished files are reused (after checking their SHA-256), failures that cannot improve
 * (404, HTML instead of an image, too large) are not retried unless asked.
 *
 * @module
 */

import * as path from "node:path";
import { sha256Hex } from "../data/assets.ts";
import { progressBar } from "../viz/progress.ts";
import type { DownloadSettings } from "./config.ts";
import { writeFileAtomic } from "./files.ts";
import { mapPool } from "./pool.ts";
import { extensionFor, isImageFormat, sniffFormat } from "./sniff.ts";

/** One URL read from a class's list. */
export interface UrlListEntry {
  /** The class (the list's file name without `.txt`). */
  label: string;
  /** The URL, as written (trimmed). */
  url: string;
  /** The list file. */
  listFile: string;
  /** 1-based line number. */
  line: number;
}

/** A line of a URL list that was skipped, and why. */
export interface UrlListProblem {
  /** The list file. */
  listFile: string;
  /** 1-based line number (0 for a missing file). */
  line: number;
  /** The line's text. */
  text: string;
  /** Why it was skipped. */
  reason: string;
}

/**
 * Reads `<dir>/<class>.txt` for every class: one URL per line; blank lines and lines starting
 * with `#` are ignored; anything that is not an http(s) URL, and a URL repeated in the same list,
 * is reported as a problem. A missing list is a problem too (the class may come from another
 * source).
 */
export async function readUrlLists(
  dir: string,
  classes: readonly string[],
): Promise<{ entries: UrlListEntry[]; problems: UrlListProblem[] }> {
  const entries: UrlListEntry[] = [];
  const problems: UrlListProblem[] = [];
  for (const label of classes) {
    const listFile = path.join(dir, `${label}.txt`);
    let text: string;
    try {
      text = await Deno.readTextFile(listFile);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        problems.push({ listFile, line: 0, text: "", reason: "no URL list for this class" });
        continue;
      }
      throw e;
    }
    const seen = new Map<string, number>();
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      let parsed: URL | undefined;
      try {
        parsed = new URL(line);
      } catch {
        parsed = undefined;
      }
      if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
        problems.push({ listFile, line: i + 1, text: line, reason: "not an http(s) URL" });
        return;
      }
      const first = seen.get(line);
      if (first !== undefined) {
        problems.push({
          listFile,
          line: i + 1,
          text: line,
          reason: `duplicate of line ${first} (fetched once)`,
        });
        return;
      }
      seen.set(line, i + 1);
      entries.push({ label, url: line, listFile, line: i + 1 });
    });
  }
  return { entries, problems };
}

/** The ledger's record of one URL. */
export interface DownloadRecord {
  /** `ok`: the file is in the download folder; `failed`: see `reason`. */
  status: "ok" | "failed";
  /** The saved file, relative to the download folder (when ok). */
  file?: string;
  /** SHA-256 of the saved file (when ok). */
  sha256?: string;
  /** Its size in bytes (when ok). */
  bytes?: number;
  /** The response's content type. */
  contentType?: string;
  /** The URL that finally answered, when redirected. */
  finalUrl?: string;
  /** Why it failed. */
  reason?: string;
  /** True when retrying cannot help (404, not an image, too large, too many redirects). */
  permanent?: boolean;
  /** Attempts made in the run that wrote this record. */
  attempts: number;
}

/** Extra knobs for {@link downloadUrls}, mostly for tests. */
export interface DownloadOptions {
  /** Receives notes; default: none. */
  log?: (message: string) => void;
  /** Show a progress bar (default false). */
  progress?: boolean;
  /** Stops starting new downloads; the ledger is still saved. */
  signal?: AbortSignal;
  /** The `fetch` to use (default the global one). */
  fetch?: typeof fetch;
}

/** What {@link downloadUrls} did. */
export interface DownloadSummary {
  /** The outcome for every URL asked for. */
  records: Map<string, DownloadRecord>;
  /** URLs downloaded in this run. */
  fetched: number;
  /** URLs whose earlier outcome (file or permanent failure) was reused. */
  reused: number;
  /** URLs that failed (in this run or, permanently, before). */
  failed: number;
}

/** The ledger file's name inside the download folder. */
export const LEDGER_FILE = "downloads.json";

interface Ledger {
  format: "dataset-downloads/1";
  entries: Record<string, DownloadRecord>;
}

/** Reads the ledger of `downloadDir` (empty when there is none). */
export async function readLedger(downloadDir: string): Promise<Map<string, DownloadRecord>> {
  const file = path.join(downloadDir, LEDGER_FILE);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return new Map();
    throw e;
  }
  let parsed: Ledger;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`download ledger ${file} is not valid JSON (${(e as Error).message})`);
  }
  if (parsed?.format !== "dataset-downloads/1" || typeof parsed.entries !== "object") {
    throw new Error(`download ledger ${file} has an unknown format`);
  }
  return new Map(Object.entries(parsed.entries));
}

async function writeLedger(downloadDir: string, records: Map<string, DownloadRecord>) {
  const entries: Record<string, DownloadRecord> = {};
  for (const url of [...records.keys()].sort()) entries[url] = records.get(url)!;
  const ledger: Ledger = { format: "dataset-downloads/1", entries };
  await writeFileAtomic(path.join(downloadDir, LEDGER_FILE), JSON.stringify(ledger, null, 1));
}

async function reusable(
  downloadDir: string,
  rec: DownloadRecord | undefined,
  retryFailed: boolean,
) {
  if (!rec) return false;
  if (rec.status === "failed") return rec.permanent === true && !retryFailed;
  if (!rec.file || !rec.sha256) return false;
  try {
    const data = await Deno.readFile(path.join(downloadDir, rec.file));
    return sha256Hex(data) === rec.sha256;
  } catch {
    return false;
  }
}

/**
 * Downloads every distinct URL in `urls` into `<downloadDir>/files/`, resuming from the ledger.
 * Never throws for a failed URL (its record says why); throws only for a broken ledger, a
 * file-system error, or when `options.signal` aborts (after saving the ledger).
 */
export async function downloadUrls(
  urls: readonly string[],
  downloadDir: string,
  settings: Required<DownloadSettings>,
  options: DownloadOptions = {},
): Promise<DownloadSummary> {
  const records = await readLedger(downloadDir);
  const distinct = [...new Set(urls)];
  const todo: string[] = [];
  let reused = 0;
  for (const url of distinct) {
    if (await reusable(downloadDir, records.get(url), settings.retryFailed)) reused++;
    else todo.push(url);
  }
  const log = options.log ?? (() => {});
  if (reused > 0) log(`downloads: ${reused} URLs already done (ledger ${LEDGER_FILE})`);
  const bar = options.progress && todo.length > 0
    ? progressBar({ total: todo.length, label: "download", unit: "url" })
    : undefined;
  let lastSave = performance.now();
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    saving = saving.then(() => writeLedger(downloadDir, records));
    return saving;
  };
  await Deno.mkdir(path.join(downloadDir, "files"), { recursive: true });
  try {
    await mapPool(todo, settings.concurrency, async (url) => {
      const rec = await fetchWithRetries(url, downloadDir, settings, options);
      records.set(url, rec);
      if (rec.status === "failed") log(`download failed: ${url}: ${rec.reason}`);
      bar?.tick(1);
      if (performance.now() - lastSave > 1000) {
        lastSave = performance.now();
        await save();
      }
    }, options.signal);
  } finally {
    bar?.done();
    await save();
  }
  let failed = 0;
  const out = new Map<string, DownloadRecord>();
  for (const url of distinct) {
    const rec = records.get(url)!;
    out.set(url, rec);
    if (rec.status === "failed") failed++;
  }
  return { records: out, fetched: todo.length, reused, failed };
}

type Attempt =
  | { ok: true; bytes: Uint8Array; contentType: string; finalUrl: string }
  | { ok: false; reason: string; permanent: boolean };

async function fetchWithRetries(
  url: string,
  downloadDir: string,
  s: Required<DownloadSettings>,
  options: DownloadOptions,
): Promise<DownloadRecord> {
  let last: Attempt | undefined;
  let attempts = 0;
  for (let k = 0; k <= s.retries; k++) {
    if (k > 0) await sleep(s.backoffMs * 2 ** (k - 1), options.signal);
    if (options.signal?.aborted) throw options.signal.reason ?? new Error("aborted");
    attempts++;
    last = await attemptOnce(url, s, options.fetch ?? fetch, options.signal);
    if (last.ok || last.permanent) break;
  }
  if (!last || !last.ok) {
    return {
      status: "failed",
      reason: last?.reason ?? "not attempted",
      permanent: last?.permanent ?? false,
      attempts,
    };
  }
  const format = sniffFormat(last.bytes);
  const sha256 = sha256Hex(last.bytes);
  const ext = isImageFormat(format) ? extensionFor(format) : "bin";
  const file = `files/${sha256Hex(url).slice(0, 24)}.${ext}`;
  await writeFileAtomic(path.join(downloadDir, file), last.bytes);
  const rec: DownloadRecord = {
    status: "ok",
    file,
    sha256,
    bytes: last.bytes.length,
    contentType: last.contentType,
    attempts,
  };
  if (last.finalUrl !== url) rec.finalUrl = last.finalUrl;
  return rec;
}

const ACCEPTED_NON_IMAGE_TYPES = new Set(["", "application/octet-stream", "binary/octet-stream"]);

async function attemptOnce(
  url: string,
  s: Required<DownloadSettings>,
  fetchFn: typeof fetch,
  stop?: AbortSignal,
): Promise<Attempt> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), s.timeoutMs);
  // The caller's signal (Ctrl-C) cancels the request and its body at once, not after the timeout.
  const signal = stop ? AbortSignal.any([controller.signal, stop]) : controller.signal;
  let current = url;
  try {
    let response: Response;
    for (let hop = 0;; hop++) {
      response = await fetchFn(current, {
        redirect: "manual",
        signal,
        headers: { accept: "image/*,*/*;q=0.5" },
      });
      if (![301, 302, 303, 307, 308].includes(response.status)) break;
      await response.body?.cancel();
      const location = response.headers.get("location");
      if (!location) return { ok: false, reason: "redirect without a Location", permanent: true };
      if (hop >= s.maxRedirects) {
        return { ok: false, reason: `more than ${s.maxRedirects} redirects`, permanent: true };
      }
      const next = new URL(location, current);
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        return { ok: false, reason: `redirect to ${next.protocol} URL`, permanent: true };
      }
      current = next.href;
    }
    if (!response.ok) {
      await response.body?.cancel();
      const transient = response.status === 408 || response.status === 429 ||
        response.status >= 500;
      const reason = `HTTP ${response.status} ${response.statusText}`.trim();
      return { ok: false, reason, permanent: !transient };
    }
    const contentType = (response.headers.get("content-type") ?? "").split(";")[0].trim()
      .toLowerCase();
    if (!contentType.startsWith("image/") && !ACCEPTED_NON_IMAGE_TYPES.has(contentType)) {
      await response.body?.cancel();
      return { ok: false, reason: `content-type ${contentType} is not an image`, permanent: true };
    }
    const declared = Number(response.headers.get("content-length") ?? NaN);
    if (declared > s.maxBytes) {
      await response.body?.cancel();
      return {
        ok: false,
        reason: `too large: ${declared} bytes (limit ${s.maxBytes})`,
        permanent: true,
      };
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (response.body) {
      const reader = response.body.getReader();
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.length;
        if (total > s.maxBytes) {
          await reader.cancel();
          return {
            ok: false,
            reason: `too large: over ${s.maxBytes} bytes`,
            permanent: true,
          };
        }
        chunks.push(value);
      }
    }
    const bytes = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      bytes.set(c, off);
      off += c.length;
    }
    if (bytes.length === 0) return { ok: false, reason: "empty response", permanent: true };
    const format = sniffFormat(bytes);
    if (!isImageFormat(format)) {
      return {
        ok: false,
        reason: `not an image (${format === "unknown" ? "unrecognised bytes" : format})`,
        permanent: true,
      };
    }
    return { ok: true, bytes, contentType, finalUrl: current };
  } catch (e) {
    if (stop?.aborted) throw stop.reason ?? e;
    if (controller.signal.aborted) {
      return { ok: false, reason: `timed out after ${s.timeoutMs} ms`, permanent: false };
    }
    return { ok: false, reason: (e as Error).message.split("\n")[0], permanent: false };
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
