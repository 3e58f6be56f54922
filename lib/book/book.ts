/**
 * `deno task book` / `deno task test:book`: execute every chapter notebook in the Deno kernel with
 * our executor and build the static site into `_site/`.
 *
 * ```sh
 * deno run -A lib/book/book.ts [--quick] [--no-execute] [--out DIR] [--timeout S] [notebook...]
 * ```
 *
 * - `--quick`: chapters run in quick mode (`BOOK_QUICK=1`), as tests and CI do.
 * - `--no-execute`: publish the notebooks' stored outputs instead of executing them.
 * - notebooks: only these (default: the `.ipynb` in each `chapters/NN-name/` folder).
 *
 * Prints `book: N passed, M failed` (one per notebook executed, plus the site build and its
 * checks) and exits non-zero when anything failed.
 *
 * @module
 */
import { resolve } from "node:path";
import { projectRoot } from "../data/assets.ts";
import { executeNotebook } from "./execute.ts";
import { readNotebook } from "./notebook.ts";
import { buildSite, type Chapter, chapterSlug } from "./site.ts";

/** A chapter folder: its slug, notebook (if written yet) and README title. */
export interface ChapterSource {
  /** Folder name, e.g. `01-autograd`. */
  slug: string;
  /** Absolute notebook path, if the chapter has one. */
  notebook?: string;
  /** Title from the folder's README.md first heading. */
  readmeTitle?: string;
}

/** Lists `chapters/NN-*` folders in order with their notebooks. */
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
    out.push({ slug: e.name, notebook: nbs[0] && `${dir}/${nbs[0]}`, readmeTitle });
  }
  return out.sort((a, b) => a.slug.localeCompare(b.slug));
}

/** Checks a built site: pages exist, no `file://` or CDN URLs, no error outputs, figures exist. */
export async function verifySite(dir: string, slugs: string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const page of ["index.html", ...slugs.map((s) => `${s}.html`)]) {
    let html: string;
    try {
      html = await Deno.readTextFile(`${dir}/${page}`);
    } catch {
      problems.push(`${page}: missing`);
      continue;
    }
    if (html.includes("file://")) problems.push(`${page}: contains a file:// URL`);
    for (const m of html.matchAll(/(?:src|href)="(https?:)?\/\/[^"]*"/g)) {
      if (/^(?:src)/.test(m[0])) problems.push(`${page}: external asset ${m[0]}`);
    }
    if (html.includes(`class="output error"`)) problems.push(`${page}: has an error output`);
    for (const m of html.matchAll(/(?:src|href)="((?:figures|assets|notebooks)\/[^"#?]+)"/g)) {
      try {
        await Deno.stat(`${dir}/${m[1]}`);
      } catch {
        problems.push(`${page}: ${m[1]} not found`);
      }
    }
  }
  return problems;
}

/** Options for {@linkcode buildBook}. */
export interface BuildBookOptions {
  /** Quick mode for every chapter. */
  quick?: boolean;
  /** Execute notebooks (default true). */
  execute?: boolean;
  /** Output directory (default `<repo>/_site`). */
  outDir?: string;
  /** Seconds per cell (default 900 in quick mode, else the executor's 3600). */
  timeout?: number;
  /** Only these notebooks (default: every chapter's). */
  notebooks?: string[];
}

/** Executes and publishes; returns counts of passed and failed steps. */
export async function buildBook(
  options: BuildBookOptions = {},
): Promise<{ passed: number; failed: number; outDir: string }> {
  const sources: ChapterSource[] = options.notebooks?.length
    ? options.notebooks.map((p) => ({ slug: chapterSlug(resolve(p)), notebook: resolve(p) }))
    : await discoverChapters();
  const work = await Deno.makeTempDir({ prefix: "book-" });
  let passed = 0;
  let failed = 0;
  const chapters: Chapter[] = [];
  try {
    for (const src of sources) {
      if (!src.notebook) {
        chapters.push({ slug: src.slug, title: src.readmeTitle });
        continue;
      }
      let file = src.notebook;
      if (options.execute ?? true) {
        const out = `${work}/${src.slug}.ipynb`;
        const t0 = performance.now();
        const r = await executeNotebook(src.notebook, {
          output: out,
          quick: options.quick,
          timeout: options.timeout ?? (options.quick ? 900 : undefined),
        });
        const secs = ((performance.now() - t0) / 1000).toFixed(0);
        if (r.success) {
          passed++;
          console.log(`ok    ${src.slug} executed (${secs} s)`);
        } else {
          failed++;
          console.log(`FAIL  ${src.slug}: a cell failed or the kernel died (${secs} s; see above)`);
        }
        try {
          await Deno.stat(out);
          file = out;
        } catch { /* executor wrote nothing: publish the stored notebook */ }
      }
      chapters.push({
        slug: src.slug,
        notebook: await readNotebook(file),
        notebookFile: file,
      });
    }
    let readme = "";
    try {
      readme = await Deno.readTextFile(`${projectRoot()}/README.md`);
    } catch { /* none */ }
    const intro = readme.split(/\n\s*\n/).find((p, i) => i > 0 && !p.startsWith("#")) ?? "";
    const outDir = await buildSite(chapters, { outDir: options.outDir, intro });
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
