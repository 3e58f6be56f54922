/**
 * `deno task book` / `deno task test:book`: build the static site into `_site/` from the latest
 * full execution of each chapter, executing in the Deno kernel only what is missing or stale.
 *
 * ```sh
 * deno run -A lib/book/book.ts [--quick] [--force] [--no-execute] [--out DIR] [--timeout S] [notebook...]
 * ```
 *
 * - default (`deno task book`): a chapter whose kept full run (`runs/chapterN/notebook/`, see
 *   `record.ts`) still matches its sources' hash is published from it; any other is executed in
 *   full and kept there.
 * - `--quick`: every chapter is executed in quick mode (`BOOK_QUICK=1`), as tests and CI do; the
 *   result is kept in `runs/chapterN/quick/notebook/` and its pages are marked quick.
 * - `--force`: re-execute every chapter.
 * - `--browser` / `--no-browser`: check the built site in headless Chromium (pages, demos, no
 *   request leaving localhost; `smoke.ts`); on by default with `--quick`.
 * - `--no-execute`: publish the latest kept run of each chapter (marked stale when its sources
 *   changed since), else the notebook's stored outputs.
 * - `--base /book/`: the URL path the site will be served from (only the 404 page needs it).
 * - notebooks (e.g. `deno task book chapters/05-conv3d/conv3d.ipynb`): run only these chapters in
 *   the kernel (when their kept run is missing or stale, or with `--force`) and keep the result;
 *   every other chapter is published from what is kept, as with `--no-execute`.
 *
 * Prints `book: N passed, M failed` (one per notebook executed, plus the site build and its
 * checks) and exits non-zero when anything failed.
 *
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import { projectRoot } from "../data/assets.ts";
import { executeNotebook, inCI, kernelspecProblem } from "./execute.ts";
import { chromiumPath } from "./browser.ts";
import { smokeTestSite } from "./smoke.ts";
import {
  chapterRunsName,
  chapterSourceHash,
  describeRun,
  gitCommit,
  keepExecuted,
  readRunRecord,
  recordDir,
  type RunRecord,
} from "./record.ts";
import { readNotebook } from "./notebook.ts";
import { buildSite, type Chapter, chapterSlug, notebookTitle } from "./site.ts";
import { joinSource } from "./notebook.ts";
import {
  cardPages,
  type ChapterIndex,
  collectRuns,
  engineDemo,
  maskDemo,
  resultsPage,
  runTheBookPage,
} from "./pages.ts";

/** A chapter folder: its slug, notebook (if written yet) and README title. */
export interface ChapterSource {
  /** Folder name, e.g. `01-autograd`. */
  slug: string;
  /** Absolute notebook path, if the chapter has one. */
  notebook?: string;
  /** Title from the folder's README.md first heading. */
  readmeTitle?: string;
}

/**
 * Lists `chapters/NN-*` folders in order, one entry per notebook (sorted by name): the first is
 * the chapter's page `NN-name`, any other `NN-name-<notebook>` (e.g. `05-conv3d-face-mask`). A
 * folder without a notebook yet is listed once, as coming.
 */
export async function discoverChapters(
  root = `${projectRoot()}/chapters`,
): Promise<ChapterSource[]> {
  const out: ChapterSource[] = [];
  for await (const e of Deno.readDir(root)) {
    if (!e.isDirectory || !/^\d\d-/.test(e.name)) continue;
    const dir = `${root}/${e.name}`;
    const nbs: string[] = [];
    for await (const f of Deno.readDir(dir)) {
      if (f.isFile && f.name.endsWith(".ipynb") && !f.name.startsWith(".")) nbs.push(f.name);
    }
    nbs.sort();
    let readmeTitle: string | undefined;
    try {
      readmeTitle = (await Deno.readTextFile(`${dir}/README.md`)).match(/^#\s+(.+)$/m)?.[1]?.trim();
    } catch { /* no README */ }
    if (!nbs.length) out.push({ slug: e.name, readmeTitle });
    nbs.forEach((nb, i) =>
      out.push({
        slug: i === 0
          ? e.name
          : `${e.name}-${nb.replace(/\.ipynb$/, "").replace(/[^a-z0-9]+/gi, "-")}`,
        notebook: `${dir}/${nb}`,
        readmeTitle: i === 0 ? readmeTitle : undefined,
      })
    );
  }
  return out.sort((a, b) => a.slug.localeCompare(b.slug));
}

/** Every `.html` file under `dir`, as site-relative paths. */
async function htmlFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${dir}/${prefix}`)) {
    if (e.isDirectory && e.name !== "assets") {
      out.push(...await htmlFiles(dir, `${prefix}${e.name}/`));
    } else if (e.isFile && e.name.endsWith(".html")) out.push(`${prefix}${e.name}`);
  }
  return out;
}

/**
 * Checks a built site: the contents, 404, search and chapter pages exist; no page has a `file://`
 * URL, an asset from another host or an error output; and every relative link, image, script,
 * stylesheet and form target of every page resolves to a file of the site (so it works from any
 * sub-path). The 404 page's links resolve from its `<base href>`, i.e. the site root.
 */
export async function verifySite(dir: string, slugs: string[]): Promise<string[]> {
  const problems: string[] = [];
  const all = new Set(await htmlFiles(dir));
  for (const page of ["index.html", "404.html", "search.html", ...slugs.map((s) => `${s}.html`)]) {
    if (!all.has(page)) problems.push(`${page}: missing`);
  }
  const exists = async (rel: string) => {
    try {
      await Deno.stat(`${dir}/${rel}`);
      return true;
    } catch {
      return false;
    }
  };
  for (const page of [...all].sort()) {
    const html = await Deno.readTextFile(`${dir}/${page}`);
    if (html.includes("file://")) problems.push(`${page}: contains a file:// URL`);
    for (const m of html.matchAll(/src="(https?:)?\/\/[^"]*"/g)) {
      problems.push(`${page}: external asset ${m[0]}`);
    }
    if (html.includes(`class="output error"`)) problems.push(`${page}: has an error output`);
    const hasBase = /<base href=/.test(html);
    const from = new URL(hasBase ? "http://site/" : `http://site/${page}`);
    const body = html.replace(/<base href="[^"]*">/, "");
    for (const m of body.matchAll(/\b(?:src|href|action)="([^"]*)"/g)) {
      const ref = m[1].replaceAll("&amp;", "&");
      if (/^(?:[a-z]+:|#|\/\/)/i.test(ref) || ref === "") continue;
      if (ref.startsWith("/")) {
        problems.push(`${page}: root-absolute link ${ref} (breaks under a sub-path)`);
        continue;
      }
      const target = new URL(ref, from);
      if (target.origin !== "http://site") continue;
      let rel = decodeURIComponent(target.pathname.slice(1));
      if (rel === "" || rel.endsWith("/")) rel += "index.html";
      if (!(await exists(rel))) problems.push(`${page}: ${ref} not found`);
    }
  }
  return problems;
}

/** Options for {@linkcode buildBook}. */
export interface BuildBookOptions {
  /** Quick mode for every chapter (always executes: this is the book's test). */
  quick?: boolean;
  /** Execute notebooks whose kept run is missing or stale (default true). */
  execute?: boolean;
  /** Re-execute even chapters whose kept full run still matches their sources. */
  force?: boolean;
  /** Output directory (default `<repo>/_site`). */
  outDir?: string;
  /** Seconds per cell (default 900 in quick mode, else the executor's 3600). */
  timeout?: number;
  /** Execute only these notebooks; the other chapters are published from their kept runs. */
  notebooks?: string[];
  /** Repository root holding `runs/` and `data/datasets/` (default {@linkcode projectRoot}). */
  root?: string;
  /** URL path the site will be served from (default `/`; the 404 page needs it). */
  basePath?: string;
  /** Check the built site in headless Chromium (default: in quick mode, i.e. `test:book`). */
  browser?: boolean;
}

/** What to publish for one chapter notebook, and whether it must be executed first. */
export interface ChapterPlan {
  /** The notebook file to publish (kept execution, or the source notebook). */
  file: string;
  /** The run that produced it, when known. */
  run?: RunRecord;
  /** True when the chapter must be executed. */
  execute: boolean;
  /** Why (for the log). */
  reason: string;
}

/**
 * Decides per chapter: publish the kept full run when its source hash still matches, else
 * execute (full mode), or in quick mode always execute. With `execute: false`, publish the
 * latest kept run (full, else quick; marked stale when its sources changed), else the notebook.
 */
export async function planChapter(
  notebook: string,
  options: Pick<BuildBookOptions, "quick" | "execute" | "force" | "root"> = {},
): Promise<ChapterPlan> {
  const hash = await chapterSourceHash(notebook);
  const name = basename(notebook);
  const kept = async (mode: "full" | "quick") => {
    const dir = recordDir(notebook, mode, options.root);
    const run = await readRunRecord(dir, name);
    if (!run?.success) return undefined;
    try {
      await Deno.stat(`${dir}/${name}`);
    } catch {
      return undefined;
    }
    return { file: `${dir}/${name}`, run: { ...run, stale: run.sourceHash !== hash } };
  };
  if (options.execute === false) {
    const k = (await kept("full")) ?? (await kept("quick"));
    return k
      ? { ...k, execute: false, reason: `kept ${describeRun(k.run)}` }
      : { file: notebook, execute: false, reason: "stored outputs (never executed here)" };
  }
  if (options.quick) return { file: notebook, execute: true, reason: "quick mode" };
  const full = await kept("full");
  if (options.force) return { file: notebook, execute: true, reason: "--force" };
  if (!full) return { file: notebook, execute: true, reason: "no kept full run" };
  if (full.run.stale) return { file: notebook, execute: true, reason: "sources changed" };
  return { ...full, execute: false, reason: `kept ${describeRun(full.run)}` };
}

/** Executes and publishes; returns counts of passed and failed steps. */
export async function buildBook(
  options: BuildBookOptions = {},
): Promise<{ passed: number; failed: number; outDir: string }> {
  const root = options.root ?? projectRoot();
  const only = options.notebooks?.length
    ? new Set(options.notebooks.map((p) => resolve(p)))
    : undefined;
  let sources: ChapterSource[] = [];
  try {
    sources = await discoverChapters(`${root}/chapters`);
  } catch { /* no chapters folder: only the listed notebooks */ }
  for (const nb of only ?? []) {
    if (!sources.some((s) => s.notebook === nb)) {
      sources.push({ slug: chapterSlug(nb), notebook: nb });
    }
  }
  const mode = options.quick ? "quick" : "full";
  const work = await Deno.makeTempDir({ prefix: "book-" });
  let passed = 0;
  let failed = 0;
  const chapters: Chapter[] = [];
  try {
    const plans = new Map<string, ChapterPlan>();
    for (const src of sources) {
      if (!src.notebook) continue;
      const listed = !only || only.has(src.notebook);
      plans.set(
        src.slug,
        await planChapter(src.notebook, listed ? options : { ...options, execute: false }),
      );
    }
    if ([...plans.values()].some((p) => p.execute)) {
      const problem = await kernelspecProblem();
      if (problem) {
        console.log(`FAIL  cannot execute notebooks: ${problem}`);
        return { passed, failed: failed + 1, outDir: options.outDir ?? `${projectRoot()}/_site` };
      }
    }
    for (const src of sources) {
      const plan = plans.get(src.slug);
      if (!src.notebook || !plan) {
        chapters.push({ slug: src.slug, title: src.readmeTitle });
        continue;
      }
      let file = plan.file;
      let run = plan.run;
      if (plan.execute) {
        const out = `${work}/${src.slug}.ipynb`;
        const t0 = performance.now();
        console.log(`run   ${src.slug} (${mode}: ${plan.reason})`);
        const r = await executeNotebook(src.notebook, {
          output: out,
          quick: options.quick,
          timeout: options.timeout ?? (options.quick ? 900 : undefined),
        });
        const seconds = (performance.now() - t0) / 1000;
        run = {
          date: new Date().toISOString(),
          mode,
          commit: await gitCommit(dirname(src.notebook)),
          seconds: Math.round(seconds * 10) / 10,
          sourceHash: await chapterSourceHash(src.notebook),
          success: r.success,
          runner: "kernel",
        };
        if (r.success) {
          passed++;
          console.log(`ok    ${src.slug} executed (${seconds.toFixed(0)} s)`);
        } else {
          failed++;
          console.log(
            `FAIL  ${src.slug}: a cell failed or the kernel died (${
              seconds.toFixed(0)
            } s; see above)`,
          );
        }
        try {
          await Deno.stat(out);
          file = r.success
            ? await keepExecuted(
              out,
              recordDir(src.notebook, mode, options.root),
              basename(src.notebook),
              run,
            )
            : out;
        } catch {
          /* executor wrote nothing: publish the stored notebook */
          run = undefined;
        }
      } else {
        passed++;
        console.log(`ok    ${src.slug}: ${plan.reason}`);
      }
      chapters.push({
        slug: src.slug,
        notebook: await readNotebook(file),
        notebookFile: file,
        source: `${basename(dirname(src.notebook))}/${basename(src.notebook)}`,
        run,
      });
    }
    let readme = "";
    try {
      readme = await Deno.readTextFile(`${projectRoot()}/README.md`);
    } catch { /* none */ }
    const intro = readme.split(/\n\s*\n/).find((p, i) => i > 0 && !p.startsWith("#")) ?? "";
    const runs = await collectRuns(root);
    const index: ChapterIndex = new Map();
    const sourcesText = new Map<string, string>();
    for (const c of chapters) {
      const title = c.title ?? (c.notebook && notebookTitle(c.notebook)) ?? c.slug;
      if (c.notebook && !index.has(chapterRunsName(c.slug))) {
        index.set(chapterRunsName(c.slug), { slug: c.slug, title });
      }
      if (c.notebook) {
        const key = chapterRunsName(c.slug);
        const text = c.notebook.cells.map((cell) => joinSource(cell.source)).join("\n");
        sourcesText.set(key, `${sourcesText.get(key) ?? ""}\n${text}`);
      }
    }
    const cards = await cardPages(root, runs, sourcesText);
    const engine = chapters.some((c) => c.notebook && c.slug.startsWith("01-"))
      ? await engineDemo()
      : undefined;
    if (engine) {
      const list = cards.links.get("chapter1") ?? [];
      cards.links.set("chapter1", [...list, [
        "engine-demo.html",
        "Live demo: train an MLP in your browser",
      ]]);
      cards.pages.push(engine.page);
      for (const [k, v] of engine.bundles) cards.bundles.set(k, v);
    }
    const mask = chapters.some((c) => c.notebook && c.slug.startsWith("05-"))
      ? await maskDemo(root)
      : undefined;
    if (mask) {
      const list = cards.links.get("chapter5") ?? [];
      cards.links.set("chapter5", [...list, ["mask-demo.html", "Live demo: the mask detector"]]);
      cards.pages.push(mask.page);
      for (const [k, v] of mask.copies) cards.copies.set(k, v);
      for (const [k, v] of mask.bundles) cards.bundles.set(k, v);
    }
    for (const c of chapters) c.cards = cards.links.get(chapterRunsName(c.slug));
    const outDir = await buildSite(chapters, {
      outDir: options.outDir,
      intro,
      basePath: options.basePath,
      pages: [
        resultsPage(runs, index),
        runTheBookPage(readme, chapters.filter((c) => c.notebook).map((c) => c.slug)),
        ...cards.pages,
      ],
      copies: cards.copies,
      files: engine?.files,
      bundles: cards.bundles,
    });
    const problems = await verifySite(
      outDir,
      chapters.filter((c) => c.notebook).map((c) => c.slug),
    );
    if (problems.length) {
      failed++;
      for (const p of problems) console.log(`FAIL  site: ${p}`);
    } else {
      passed++;
      console.log(`ok    site built in ${outDir} (${chapters.length} chapters)`);
    }
    if (options.browser ?? options.quick ?? false) {
      const chromium = chromiumPath();
      if (!chromium) {
        const say = inCI() ? "FAIL " : "skip ";
        console.log(
          `${say} browser check of the site: chromium not found (apt-get install chromium)`,
        );
        if (inCI()) failed++;
      } else {
        const t0 = performance.now();
        const found = await smokeTestSite(outDir, chromium);
        const secs = ((performance.now() - t0) / 1000).toFixed(0);
        if (found.length) {
          failed++;
          for (const p of found) console.log(`FAIL  browser: ${p}`);
        } else {
          passed++;
          console.log(
            `ok    every page and demo works in Chromium, nothing left localhost (${secs} s)`,
          );
        }
      }
    }
    return { passed, failed, outDir };
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

/** CLI entry point; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const opts: BuildBookOptions = { notebooks: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") opts.quick = true;
    else if (a === "--no-execute") opts.execute = false;
    else if (a === "--force") opts.force = true;
    else if (a === "--no-browser") opts.browser = false;
    else if (a === "--browser") opts.browser = true;
    else if (a === "--base") opts.basePath = argv[++i];
    else if (a === "--out") opts.outDir = resolve(argv[++i]);
    else if (a === "--timeout") opts.timeout = Number(argv[++i]);
    else if (a.endsWith(".ipynb")) opts.notebooks!.push(a);
    else {
      console.error(`unknown argument ${a}`);
      return 2;
    }
  }
  const { passed, failed, outDir } = await buildBook(opts);
  console.log(`book: ${passed} passed, ${failed} failed`);
  if (failed === 0) {
    const isDefault = outDir === resolve(projectRoot(), "_site");
    console.log(
      `open ${outDir}/index.html via \`deno task serve${isDefault ? "" : ` --dir ${outDir}`}\``,
    );
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
