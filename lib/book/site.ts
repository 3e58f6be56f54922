/**
 * The static site: renders executed notebooks into `_site/` (contents page, one page per
 * chapter with previous/next links, code, outputs, plots and math). Offline and server-agnostic:
 * every link and asset is relative, nothing comes from a CDN (KaTeX CSS/fonts and plotly.js are
 * copied from `node_modules`), math is typeset at build time.
 *
 * @module
 */
import { basename, dirname } from "node:path";
import { projectRoot } from "../data/assets.ts";
import { ISOLATION_HEADERS } from "./serve.ts";
import { type Heading, highlight, renderMarkdown, renderMath } from "./markdown.ts";
import { escapeXml } from "../viz/svg.ts";
import { type CellOutput, joinSource, type Notebook } from "./notebook.ts";
import { describeRun, type RunRecord } from "./record.ts";
import { SEARCH_JS, SEARCH_PAGE, searchEntries, searchIndexScript } from "./search.ts";
import { decodeBase64 } from "../common/base64.ts";

/** One chapter to publish. */
export interface Chapter {
  /** File-name slug, e.g. `"01-autograd"` (page `01-autograd.html`). */
  slug: string;
  /** The (executed) notebook, or undefined for a chapter that is not written yet. */
  notebook?: Notebook;
  /** Title override (default: the notebook's first `#` heading, else the slug). */
  title?: string;
  /** Path of the executed notebook to offer for download (copied to `notebooks/`). */
  notebookFile?: string;
  /** The run that produced the notebook's outputs (shown on the page). */
  run?: RunRecord;
  /** The notebook as `folder/file.ipynb` (how other chapters link to it). */
  source?: string;
  /** Pages published with the chapter (dataset and model cards): `[href, label]`. */
  cards?: [string, string][];
}

/** Options for {@linkcode buildSite}. */
export interface SiteOptions {
  /** Output directory (default `<repo>/_site`). Emptied first. */
  outDir?: string;
  /** Book title (default "Deep Learning in Deno"). */
  title?: string;
  /** Markdown shown on the contents page above the chapter list. */
  intro?: string;
  /** Pages besides the chapters (results, how to run, cards), written as `<slug>.html`. */
  pages?: ExtraPage[];
  /** Files copied into the site as they are: site path → absolute source path. */
  copies?: Map<string, string>;
  /** Generated files: site path → bytes. */
  files?: Map<string, Uint8Array>;
  /** Browser bundles (`deno bundle --platform browser`): site path → what to bundle. */
  bundles?: Map<string, BrowserBundle>;
  /**
   * The URL path the site is served from (default `/`): only the 404 page, which a server returns
   * for any missing path at any depth, needs it (as `<base href>`); every other link is relative.
   */
  basePath?: string;
}

/** A page that is not a chapter: results, how to run the book, a dataset or model card. */
export interface ExtraPage {
  /** File name without `.html`; may contain one folder level (`cards/clothing5-v2`). */
  slug: string;
  /** Page title. */
  title: string;
  /** The page's HTML body (inside `<main>`); its links are relative to the page's own folder. */
  html: string;
  /** Listed in the header of every page. */
  nav?: boolean;
  /** Its text goes into the search index (default true). */
  searchable?: boolean;
  /** Needs plotly.js. */
  usesPlotly?: boolean;
}

/** A browser script the site builds from TypeScript. */
export interface BrowserBundle {
  /** Absolute path of the entry module. */
  entry: string;
  /** An import map replacing `deno.json`'s (e.g. to stub a `node:` module for the browser). */
  importMap?: string;
}

/** One entry of the prebuilt search index (`assets/search-index.js`). */
export interface SearchEntry {
  /** Section title. */
  t: string;
  /** Page title. */
  p: string;
  /** Site-relative URL (with `#anchor`). */
  u: string;
  /** Plain text of the section (truncated). */
  x: string;
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** The first level-1 heading of a notebook's markdown, as plain text. */
export function notebookTitle(nb: Notebook): string | undefined {
  for (const c of nb.cells) {
    if (c.cell_type !== "markdown") continue;
    const m = joinSource(c.source).match(/^#\s+(.+)$/m);
    if (m) return m[1].replace(/[*_`]/g, "").trim();
  }
  return undefined;
}

/**
 * Where a link in a chapter's markdown goes on the site: another chapter's notebook → its page;
 * any other file of the repository (`../../lib/autograd/mod.ts`) → `""`, i.e. plain text, since
 * the site does not carry the repository; URLs and anchors unchanged.
 */
function hrefForNotebookLink(chapters: Chapter[]): (href: string) => string {
  return (href) => {
    if (/^(?:[a-z][a-z0-9+.-]*:|#|\/\/)/i.test(href)) return href;
    const m = href.match(/^(?:\.\.\/|\.\/)?(?:([^/]+)\/)?([^/]+\.ipynb)(#.*)?$/);
    if (m) {
      // `../05-conv3d/face_mask.ipynb`, or `face_mask.ipynb` beside the linking notebook.
      const target = chapters.find((c) =>
        c.source === `${m[1] ?? c.source?.split("/")[0]}/${m[2]}` || (!c.source && c.slug === m[1])
      );
      if (target) return `${target.slug}.html${m[3] ?? ""}`;
    }
    return "";
  };
}

interface PageContext {
  chapter: Chapter;
  figures: Map<string, Uint8Array>; // site-relative path -> bytes
  usesPlotly: boolean;
  usedIds: Set<string>;
  headings: Heading[];
  rewriteLink: (href: string) => string;
}

function renderOutput(o: CellOutput, cellNo: number, k: number, ctx: PageContext): string {
  if (o.output_type === "stream") {
    const text = joinSource(o.text).replace(ANSI, "");
    return `<pre class="output stream ${o.name === "stderr" ? "stderr" : "stdout"}">${
      escapeXml(text)
    }</pre>`;
  }
  if (o.output_type === "error") {
    const tb = (o.traceback ?? []).join("\n").replace(ANSI, "") || `${o.ename}: ${o.evalue}`;
    return `<pre class="output error">${escapeXml(tb)}</pre>`;
  }
  const data = o.data ?? {};
  const meta = (o.metadata ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const plotly = data["application/vnd.plotly.v1+json"] as
    | { data?: unknown; layout?: Record<string, unknown>; config?: unknown }
    | undefined;
  const alt = typeof data["text/plain"] === "string"
    ? escapeXml(joinSource(data["text/plain"] as string).replace(ANSI, ""))
    : "output";
  if (plotly) {
    ctx.usesPlotly = true;
    const id = `plot-${cellNo}-${k}`;
    const h = typeof plotly.layout?.height === "number" ? plotly.layout.height : 420;
    const json = (v: unknown) => JSON.stringify(v ?? {}).replace(/</g, "\\u003c");
    return `<div class="output plotly"><div id="${id}" class="plotly-figure" style="height:${h}px">` +
      `</div><script>Plotly.newPlot(${json(id)}, ${json(plotly.data ?? [])}, ${
        json(plotly.layout)
      }, ${json({ displaylogo: false, responsive: true, ...(plotly.config as object ?? {}) })});` +
      `</script></div>`;
  }
  for (const [mime, ext] of [["image/png", "png"], ["image/jpeg", "jpg"], ["image/gif", "gif"]]) {
    const b64 = data[mime];
    if (typeof b64 === "string" || Array.isArray(b64)) {
      const path = `figures/${ctx.chapter.slug}/cell${cellNo}-${k}.${ext}`;
      ctx.figures.set(path, decodeBase64(joinSource(b64 as string | string[])));
      const m = meta[mime] ?? {};
      const size = (typeof m.width === "number" ? ` width="${m.width}"` : "") +
        (typeof m.height === "number" ? ` height="${m.height}"` : "");
      return `<div class="output image"><img src="${path}"${size} alt="${alt}" loading="lazy"></div>`;
    }
  }
  if (data["image/svg+xml"] !== undefined) {
    return `<div class="output svg">${joinSource(data["image/svg+xml"] as string)}</div>`;
  }
  if (data["text/html"] !== undefined) {
    return `<div class="output html">${joinSource(data["text/html"] as string)}</div>`;
  }
  if (data["text/markdown"] !== undefined) {
    const { html } = renderMarkdown(joinSource(data["text/markdown"] as string), {
      rewriteLink: ctx.rewriteLink,
      usedIds: ctx.usedIds,
    });
    return `<div class="output markdown">${html}</div>`;
  }
  if (data["text/latex"] !== undefined) {
    const tex = joinSource(data["text/latex"] as string).trim().replace(/^\$\$?|\$\$?$/g, "");
    return `<div class="output latex">${renderMath(tex, true)}</div>`;
  }
  if (data["text/plain"] !== undefined) return `<pre class="output text">${alt}</pre>`;
  return "";
}

function renderChapterBody(ctx: PageContext): string {
  const nb = ctx.chapter.notebook!;
  const parts: string[] = [];
  nb.cells.forEach((cell, i) => {
    const n = i + 1;
    if (cell.cell_type === "markdown") {
      const { html, headings } = renderMarkdown(joinSource(cell.source), {
        rewriteLink: ctx.rewriteLink,
        usedIds: ctx.usedIds,
      });
      ctx.headings.push(...headings);
      parts.push(`<section class="cell markdown" id="cell-${n}">${html}</section>`);
    } else if (cell.cell_type === "code") {
      const src = joinSource(cell.source);
      const outs = (cell.outputs ?? []).map((o, k) => renderOutput(o, n, k + 1, ctx)).join("\n");
      parts.push(
        `<section class="cell code" id="cell-${n}">` +
          `<pre class="source"><code class="hljs language-typescript">${
            highlight(src)
          }</code></pre>` +
          (outs ? `<div class="outputs">${outs}</div>` : "") + `</section>`,
      );
    }
  });
  return parts.join("\n");
}

function layout(opts: {
  title: string;
  bookTitle: string;
  body: string;
  nav: string;
  toc: string;
  usesPlotly: boolean;
  /** Links of the header's site menu (`[href, label]`, site-relative). */
  menu?: [string, string][];
  /** Prefix from this page to the site root (`""`, or `"../"` for `cards/x.html`). */
  root?: string;
  /** `<base href>` (the 404 page only). */
  base?: string;
  /** Extra tags for `<head>`. */
  head?: string;
}): string {
  const r = opts.root ?? "";
  const menu = (opts.menu ?? []).map(([href, label]) =>
    `<a href="${r}${href}">${escapeXml(label)}</a>`
  ).join("");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${opts.base ? `<base href="${escapeXml(opts.base)}">\n` : ""}<title>${escapeXml(opts.title)}</title>
<link rel="stylesheet" href="${r}assets/katex/katex.min.css">
<link rel="stylesheet" href="${r}assets/book.css">
<link rel="icon" href="data:,">
${opts.usesPlotly ? `<script src="${r}assets/plotly.min.js"></script>\n` : ""}${
    opts.head ?? ""
  }</head>
<body>
<header class="top"><a class="book" href="${r}index.html">${
    escapeXml(opts.bookTitle)
  }</a>${opts.nav}<nav class="site">${menu}</nav><form class="search" action="${r}search.html" ` +
    `role="search"><input type="search" name="q" placeholder="Search the book" ` +
    `aria-label="Search the book"></form></header>
<div class="page">
${opts.toc ? `<nav class="toc">${opts.toc}</nav>` : ""}
<main>
${opts.body}
</main>
</div>
<footer>${opts.nav}</footer>
</body>
</html>
`;
}

function cardsBox(cards: [string, string][] | undefined): string {
  if (!cards?.length) return "";
  return `<aside class="cards"><h2 id="published-with-this-chapter">Published with this chapter</h2><ul>${
    cards.map(([href, label]) => `<li><a href="${href}">${escapeXml(label)}</a></li>`).join("")
  }</ul></aside>`;
}

/** The tag after a chapter's entry in the contents: its run when that is not a current full one. */
export function runTag(run: RunRecord | undefined): string {
  if (run?.mode === "quick") return ` <span class="run-tag quick">quick run</span>`;
  if (run?.stale) return ` <span class="run-tag stale">sources changed since its run</span>`;
  return "";
}

/** The line at the top of a chapter page saying which run produced its outputs. */
export function runBanner(run: RunRecord | undefined, download?: string): string {
  const dl = download ? ` · <a href="${download}" download>executed notebook (.ipynb)</a>` : "";
  if (!run) {
    return `<p class="run-info unexecuted">Outputs as stored in the notebook (not executed for this build)${dl}</p>`;
  }
  const classes = ["run-info", run.mode, ...(run.stale ? ["stale"] : [])].join(" ");
  const quick = run.mode === "quick"
    ? "<strong>Quick-mode run</strong> (a small slice of the data, few epochs: the numbers below are " +
      "not the chapter's results). "
    : "";
  const stale = run.stale ? " <strong>The chapter's sources changed since this run.</strong>" : "";
  const failed = run.success ? "" : " <strong>A cell failed in this run.</strong>";
  return `<p class="${classes}">${quick}Outputs from the ${
    escapeXml(describeRun(run))
  }.${stale}${failed}${dl}</p>`;
}

function tocHtml(headings: Heading[]): string {
  const items = headings.filter((h) => h.depth >= 2 && h.depth <= 3).map((h) =>
    `<li class="d${h.depth}"><a href="#${h.id}">${escapeXml(h.text)}</a></li>`
  );
  return items.length ? `<div class="toc-title">On this page</div><ul>${items.join("")}</ul>` : "";
}

/** A map of site-relative path → contents, before writing (useful for tests). */
export interface RenderedSite {
  /** Text files (HTML). */
  pages: Map<string, string>;
  /** Binary files (figures). */
  files: Map<string, Uint8Array>;
  /** Whether any page needs plotly.js. */
  usesPlotly: boolean;
}

/** Renders every chapter page and the contents page in memory. */
export function renderSite(chapters: Chapter[], options: SiteOptions = {}): RenderedSite {
  const bookTitle = options.title ?? "Deep Learning in Deno";
  const pages = new Map<string, string>();
  const files = new Map<string, Uint8Array>();
  const rewriteLink = hrefForNotebookLink(chapters);
  const written = chapters.filter((c) => c.notebook);
  const titles = new Map(chapters.map((c) => [
    c.slug,
    c.title ?? (c.notebook && notebookTitle(c.notebook)) ?? c.slug,
  ]));
  const contents: string[] = [];
  let usesPlotly = false;
  const extra = options.pages ?? [];
  const menu: [string, string][] = extra.filter((p) => p.nav).map((
    p,
  ) => [`${p.slug}.html`, p.title]);
  const index: SearchEntry[] = [];
  written.forEach((chapter, i) => {
    const ctx: PageContext = {
      chapter,
      figures: files,
      usesPlotly: false,
      usedIds: new Set(),
      headings: [],
      rewriteLink,
    };
    const body = renderChapterBody(ctx);
    usesPlotly ||= ctx.usesPlotly;
    const prev = written[i - 1];
    const next = written[i + 1];
    const nav = `<nav class="prevnext">` +
      (prev
        ? `<a class="prev" rel="prev" href="${prev.slug}.html">← ${
          escapeXml(titles.get(prev.slug)!)
        }</a>`
        : `<span></span>`) +
      `<a class="contents" href="index.html">Contents</a>` +
      (next
        ? `<a class="next" rel="next" href="${next.slug}.html">${
          escapeXml(titles.get(next.slug)!)
        } →</a>`
        : `<span></span>`) +
      `</nav>`;
    const download = chapter.notebookFile
      ? `<p class="download"><a href="notebooks/${chapter.slug}.ipynb" download>Download the executed notebook</a></p>`
      : "";
    const banner = runBanner(
      chapter.run,
      chapter.notebookFile ? `notebooks/${chapter.slug}.ipynb` : undefined,
    );
    pages.set(
      `${chapter.slug}.html`,
      layout({
        title: `${titles.get(chapter.slug)} · ${bookTitle}`,
        bookTitle,
        body: banner + body + cardsBox(chapter.cards) + download,
        nav,
        toc: tocHtml(ctx.headings),
        usesPlotly: ctx.usesPlotly,
        menu,
      }),
    );
    index.push(...searchEntries(body, titles.get(chapter.slug)!, `${chapter.slug}.html`));
    const sections = ctx.headings.filter((h) => h.depth === 2).map((h) =>
      `<li><a href="${chapter.slug}.html#${h.id}">${escapeXml(h.text)}</a></li>`
    ).join("");
    contents.push(
      `<li class="chapter"><a href="${chapter.slug}.html">${
        escapeXml(titles.get(chapter.slug)!)
      }</a>${runTag(chapter.run)}` +
        (sections ? `<ul>${sections}</ul>` : "") + `</li>`,
    );
  });
  for (const c of chapters.filter((c) => !c.notebook)) {
    contents.push(
      `<li class="chapter pending">${escapeXml(titles.get(c.slug)!)} <em>(coming)</em></li>`,
    );
  }
  const intro = options.intro ? renderMarkdown(options.intro).html : "";
  pages.set(
    "index.html",
    layout({
      title: bookTitle,
      bookTitle,
      body: `<h1>${escapeXml(bookTitle)}</h1>${intro}<h2>Contents</h2>${
        written.some((c) => c.run?.mode === "quick")
          ? `<p class="run-info quick">Chapters marked <em>quick run</em> show a quick-mode run ` +
            `(a small slice of the data, few epochs): a check that they run, not their results. ` +
            `A full <code>deno task chapterN</code> replaces it at the next build.</p>`
          : ""
      }<ol class="contents">${contents.join("")}</ol>`,
      nav: written.length
        ? `<nav class="prevnext"><span></span><span></span><a class="next" rel="next" href="${
          written[0].slug
        }.html">${escapeXml(titles.get(written[0].slug)!)} →</a></nav>`
        : "",
      toc: "",
      usesPlotly: false,
      menu,
    }),
  );
  for (const page of extra) {
    const root = "../".repeat(page.slug.split("/").length - 1);
    const headings = [...page.html.matchAll(/<h([23]) id="([^"]+)">([\s\S]*?)<\/h\1>/g)].map((
      m,
    ) => ({
      depth: Number(m[1]),
      id: m[2],
      text: m[3].replace(/<[^>]+>/g, "").trim(),
    }));
    pages.set(
      `${page.slug}.html`,
      layout({
        title: `${page.title} · ${bookTitle}`,
        bookTitle,
        body: page.html,
        nav: "",
        toc: tocHtml(headings),
        usesPlotly: page.usesPlotly ?? false,
        menu,
        root,
      }),
    );
    usesPlotly ||= page.usesPlotly ?? false;
    if (page.searchable ?? true) {
      index.push(...searchEntries(page.html, page.title, `${page.slug}.html`));
    }
  }
  pages.set(
    "search.html",
    layout({
      title: `Search · ${bookTitle}`,
      bookTitle,
      body: SEARCH_PAGE,
      nav: "",
      toc: "",
      usesPlotly: false,
      menu,
    }),
  );
  pages.set("assets/search-index.js", searchIndexScript(index));
  pages.set("assets/search.js", SEARCH_JS);
  const base = options.basePath ?? "/";
  pages.set(
    "404.html",
    layout({
      title: `Page not found · ${bookTitle}`,
      bookTitle,
      body: `<h1>Page not found</h1><p>There is no page at this address. Try the ` +
        `<a href="index.html">contents</a> or search the book:</p><form class="search-page" ` +
        `action="search.html"><input type="search" name="q" aria-label="Search the book"> ` +
        `<button>Search</button></form>`,
      nav: "",
      toc: "",
      usesPlotly: false,
      menu,
      base: base.endsWith("/") ? base : `${base}/`,
    }),
  );
  return { pages, files, usesPlotly };
}

/** The site's stylesheet. */
export const BOOK_CSS = `
:root { --fg: #1d1d1f; --muted: #6a6a6a; --accent: #0b5cad; --code-bg: #f6f8fa; --line: #e3e3e3; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); font: 17px/1.6 "DejaVu Serif", Georgia, serif; background: #fff; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
header.top, footer { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.2rem;
  border-bottom: 1px solid var(--line); font: 15px/1.4 "DejaVu Sans", Verdana, sans-serif; }
footer { border-top: 1px solid var(--line); border-bottom: 0; margin-top: 3rem; }
header .book { font-weight: bold; color: var(--fg); white-space: nowrap; }
.prevnext { display: flex; flex: 1; justify-content: space-between; gap: 1rem; }
.page { display: flex; gap: 2rem; max-width: 72rem; margin: 0 auto; padding: 0 1.2rem; }
main { flex: 1; min-width: 0; max-width: 50rem; }
nav.toc { flex: 0 0 14rem; position: sticky; top: 0; align-self: flex-start; max-height: 100vh;
  overflow: auto; padding-top: 1.5rem; font: 14px/1.4 "DejaVu Sans", Verdana, sans-serif; }
nav.toc ul { list-style: none; padding: 0; margin: .4rem 0; } nav.toc li { margin: .25rem 0; }
nav.toc li.d3 { padding-left: 1rem; } .toc-title { color: var(--muted); text-transform: uppercase;
  font-size: 12px; letter-spacing: .05em; }
@media (max-width: 900px) { nav.toc { display: none; } }
h1, h2, h3, h4 { font-family: "DejaVu Sans", Verdana, sans-serif; line-height: 1.25; }
h1 { font-size: 2rem; margin-top: 1.5rem; } h2 { margin-top: 2.2rem; }
h1 a.anchor, h2 a.anchor, h3 a.anchor, h4 a.anchor { color: inherit; }
pre { overflow-x: auto; padding: .7rem .9rem; border-radius: 6px; font: 13.5px/1.45 "DejaVu Sans Mono", Menlo, monospace; }
code { font-family: "DejaVu Sans Mono", Menlo, monospace; font-size: .88em; }
p code, li code { background: var(--code-bg); padding: .1em .3em; border-radius: 4px; }
.cell.code { margin: 1.2rem 0; }
pre.source, pre.code { background: var(--code-bg); border: 1px solid var(--line); margin: 0; }
pre.code { margin: 1rem 0; }
.outputs { border-left: 3px solid var(--line); margin: .3rem 0 0 0; padding-left: .6rem; }
pre.output { margin: .3rem 0; padding: .3rem .5rem; background: #fff; white-space: pre-wrap; }
pre.stderr { background: #fff6f0; } pre.error { background: #fdecea; color: #8a1c1c; }
.output.image img { max-width: 100%; height: auto; }
.output.plotly .plotly-figure { width: 100%; }
.katex-display { overflow-x: auto; overflow-y: hidden; padding: .2rem 0; }
ol.contents > li { margin: .6rem 0; font-family: "DejaVu Sans", Verdana, sans-serif; }
ol.contents ul { font-size: 15px; } li.pending { color: var(--muted); }
table { border-collapse: collapse; } th, td { border: 1px solid var(--line); padding: .3rem .6rem; }
.run-info { font: 14px/1.4 "DejaVu Sans", Verdana, sans-serif; color: var(--muted); margin: 1rem 0;
  padding: .4rem .7rem; border-left: 3px solid var(--line); }
.run-info.quick, .run-info.stale { background: #fff8e1; border-color: #e0a800; color: var(--fg); }
.run-tag { font: 12px/1.4 "DejaVu Sans", Verdana, sans-serif; background: #fff8e1;
  border: 1px solid #e0a800; border-radius: 3px; padding: 0 .3em; margin-left: .4em; }
nav.site { display: flex; gap: 1rem; white-space: nowrap; }
form.search input { font: inherit; padding: .2rem .4rem; width: 11rem; }
.search-results li { margin: .8rem 0; } .search-results .snippet { margin: .2rem 0; color: var(--muted);
  font-size: 15px; } .search-page-title { color: var(--muted); font-size: 14px; }
table.samples img { margin: 1px; image-rendering: pixelated; } td.num { text-align: right; }
table.runs td { font-size: 14px; } tr.quick td, td.quick { color: var(--muted); }
aside.cards { margin-top: 2rem; padding: .2rem 1rem; background: var(--code-bg); border-radius: 6px; }
.download { margin-top: 2rem; font: 14px "DejaVu Sans", Verdana, sans-serif; }
.hljs-keyword, .hljs-built_in { color: #a626a4; } .hljs-string, .hljs-regexp { color: #50a14f; }
.hljs-number, .hljs-literal { color: #986801; } .hljs-comment { color: #a0a1a7; font-style: italic; }
.hljs-title, .hljs-title.function_ { color: #4078f2; } .hljs-attr, .hljs-property { color: #986801; }
.hljs-type, .hljs-title.class_ { color: #c18401; } .hljs-meta { color: #4078f2; }
`;

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyDir(`${from}/${e.name}`, `${to}/${e.name}`);
    else if (e.isFile) await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** Renders and writes the site; returns the output directory. */
export async function buildSite(chapters: Chapter[], options: SiteOptions = {}): Promise<string> {
  const out = options.outDir ?? `${projectRoot()}/_site`;
  const site = renderSite(chapters, options);
  await Deno.remove(out, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${out}/assets`, { recursive: true });
  for (const [path, html] of site.pages) {
    await Deno.mkdir(dirname(`${out}/${path}`), { recursive: true });
    await Deno.writeTextFile(`${out}/${path}`, html);
  }
  for (const [path, bytes] of site.files) {
    await Deno.mkdir(dirname(`${out}/${path}`), { recursive: true });
    await Deno.writeFile(`${out}/${path}`, bytes);
  }
  for (const [path, from] of options.copies ?? []) {
    await Deno.mkdir(dirname(`${out}/${path}`), { recursive: true });
    await Deno.copyFile(from, `${out}/${path}`);
  }
  for (const [path, bytes] of options.files ?? []) {
    await Deno.mkdir(dirname(`${out}/${path}`), { recursive: true });
    await Deno.writeFile(`${out}/${path}`, bytes);
  }
  for (const [path, entry] of options.bundles ?? []) {
    await bundleForBrowser(entry, `${out}/${path}`);
  }
  for (const c of chapters) {
    if (c.notebookFile) {
      await Deno.mkdir(`${out}/notebooks`, { recursive: true });
      await Deno.copyFile(c.notebookFile, `${out}/notebooks/${c.slug}.ipynb`);
    }
  }
  await Deno.writeTextFile(`${out}/assets/book.css`, BOOK_CSS);
  // Netlify's and Cloudflare Pages' header file: isolate every page, as `deno task serve` does.
  await Deno.writeTextFile(
    `${out}/_headers`,
    `/*\n${Object.entries(ISOLATION_HEADERS).map(([k, v]) => `  ${k}: ${v}\n`).join("")}`,
  );
  const nm = `${projectRoot()}/node_modules`;
  await Deno.mkdir(`${out}/assets/katex`, { recursive: true });
  await Deno.copyFile(`${nm}/katex/dist/katex.min.css`, `${out}/assets/katex/katex.min.css`);
  await copyDir(`${nm}/katex/dist/fonts`, `${out}/assets/katex/fonts`);
  if (site.usesPlotly) {
    await Deno.copyFile(
      `${nm}/plotly.js-dist-min/plotly.min.js`,
      `${out}/assets/plotly.min.js`,
    );
  }
  return out;
}

/**
 * Bundles a TypeScript entry and everything it imports (our library, npm packages such as tfjs)
 * into one minified browser script with `deno bundle`, so pages need no CDN.
 */
export async function bundleForBrowser(bundle: BrowserBundle, output: string): Promise<void> {
  const { entry, importMap } = bundle;
  const map = importMap ? ["--import-map", importMap] : [];
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "browser", "--minify", ...map, "-o", output, entry],
    cwd: projectRoot(),
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!out.success) {
    throw new Error(`deno bundle ${entry} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

/** A chapter slug from a notebook path: its folder name (`chapters/01-autograd/x.ipynb`). */
export function chapterSlug(notebookPath: string): string {
  const dir = basename(dirname(notebookPath));
  return dir && dir !== "." ? dir : basename(notebookPath, ".ipynb");
}
