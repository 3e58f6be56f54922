/**
 * The executed notebook a chapter's last kernel run left beside its results, and which run it was.
 *
 * A kernel run of `chapters/01-autograd/autograd.ipynb` keeps
 * `runs/chapter1/notebook/autograd.ipynb` (quick mode: `runs/chapter1/quick/notebook/`) and
 * `autograd.run.json` beside it: date, mode, commit, how long it took, and the chapter's source
 * hash.
 * `deno task book` publishes that notebook instead of re-executing the chapter while the hash
 * still matches the chapter's sources.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { basename, dirname } from "node:path";
import { projectRoot } from "../data/assets.ts";
import { joinSource, readNotebook } from "./notebook.ts";

/** Which run produced an executed notebook (`<notebook>.run.json`). */
export interface RunRecord {
  /** ISO date the execution finished. */
  date: string;
  /** `"full"` or `"quick"`. */
  mode: "full" | "quick";
  /** Short git commit of the repository when it ran (`+dirty` if the chapter had local edits). */
  commit: string;
  /** Seconds the execution took. */
  seconds: number;
  /** {@linkcode chapterSourceHash} of the chapter when it ran. */
  sourceHash: string;
  /** Whether every cell ran without error. */
  success: boolean;
  /** What ran it: the Deno Jupyter kernel (`deno task book`) or the script runner (`deno task chapterN`). */
  runner?: "kernel" | "script";
  /** Set when published: the chapter's sources changed since this run (not stored). */
  stale?: boolean;
}

/** The `runs/` folder name of a chapter folder: `01-autograd` → `chapter1`. */
export function chapterRunsName(slug: string): string {
  const m = slug.match(/^(\d+)-/);
  return m ? `chapter${Number(m[1])}` : slug;
}

/** Where a chapter's executed notebooks and their `.run.json` records are kept. */
export function recordDir(notebookPath: string, mode: "full" | "quick", root = projectRoot()) {
  const slug = basename(dirname(notebookPath));
  const base = `${root}/runs/${chapterRunsName(slug)}`;
  return mode === "quick" ? `${base}/quick/notebook` : `${base}/notebook`;
}

/**
 * SHA-256 over what a chapter's results depend on in its folder: the notebook's cell types and
 * sources (not its outputs) and every other non-test file in the folder except sibling notebooks
 * (a chapter with two notebooks, like chapter 5, keeps one's run when only the other changes).
 * Library changes do not count (they would re-run every chapter); `deno task book --force`
 * re-executes anyway.
 */
export async function chapterSourceHash(notebookPath: string): Promise<string> {
  const dir = dirname(notebookPath);
  const own = basename(notebookPath);
  const hash = createHash("sha256");
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || e.name.startsWith(".") || e.name.endsWith("_test.ts")) continue;
    if (e.name.endsWith(".ipynb") && e.name !== own) continue;
    names.push(e.name);
  }
  for (const name of names.sort()) {
    hash.update(`\0${name}\0`);
    if (name.endsWith(".ipynb")) {
      const nb = await readNotebook(`${dir}/${name}`);
      for (const c of nb.cells) hash.update(`\0${c.cell_type}\0${joinSource(c.source)}`);
    } else {
      hash.update(await Deno.readFile(`${dir}/${name}`));
    }
  }
  return hash.digest("hex");
}

/** The short commit of HEAD, `+dirty` when `path` has uncommitted changes; `"unknown"` off git. */
export async function gitCommit(path = projectRoot()): Promise<string> {
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", {
      args,
      cwd: projectRoot(),
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  };
  try {
    const head = await git("rev-parse", "--short", "HEAD");
    if (!head) return "unknown";
    const dirty = await git("status", "--porcelain", "--", path);
    return dirty ? `${head}+dirty` : head;
  } catch {
    return "unknown";
  }
}

/** The record file of a kept notebook: `autograd.ipynb` → `autograd.run.json`. */
export function recordFile(dir: string, notebookName: string): string {
  return `${dir}/${notebookName.replace(/\.ipynb$/, "")}.run.json`;
}

/** Reads the record beside a kept notebook; undefined when absent or unreadable. */
export async function readRunRecord(
  dir: string,
  notebookName: string,
): Promise<RunRecord | undefined> {
  try {
    const r = JSON.parse(await Deno.readTextFile(recordFile(dir, notebookName))) as RunRecord;
    return typeof r.sourceHash === "string" && typeof r.date === "string" ? r : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Keeps an executed notebook and its record in `dir`, replacing the previous ones atomically
 * (written beside, then renamed), so an interrupted save never leaves a half-written notebook.
 */
export async function keepExecuted(
  executed: string,
  dir: string,
  name: string,
  record: RunRecord,
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const target = `${dir}/${name}`;
  await Deno.copyFile(executed, `${target}.tmp`);
  const rec = recordFile(dir, name);
  await Deno.writeTextFile(`${rec}.tmp`, JSON.stringify(record, null, 2) + "\n");
  await Deno.rename(`${target}.tmp`, target);
  await Deno.rename(`${rec}.tmp`, rec);
  return target;
}

/** One line saying which run produced a page, e.g. `full run of 2026-11-29 21:03 UTC, commit abc1234, 1520 s`. */
export function describeRun(r: RunRecord): string {
  const when = r.date.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, " UTC");
  const by = r.runner === "script" ? " (as a script)" : "";
  return `${r.mode} run${by} of ${when}, commit ${r.commit}, ${Math.round(r.seconds)} s`;
}
