/**
 * `lib/book`: the machinery that runs and publishes the book's chapter notebooks.
 *
 * | module | what |
 * | --- | --- |
 * | `args.ts` | {@linkcode chapterArgs}: quick mode from `--quick` or `BOOK_QUICK=1`; `runsDir()` |
 * | `image_chapter.ts` | {@linkcode imageChapterOptions}: `--seed`, `--classes`, `--config`, `--dataset`, `--styles-only` of image chapters, their results folder and dataset |
 * | `source.ts` | {@linkcode showSource}: a named function/class/method shown on the page from its source file |
 * | `run.ts` | script runner behind `deno task chapterN`: code cells → one type-checked module → run; errors and book-rule breaks name the cell |
 * | `execute.py` / `execute.ts` | notebook executor (`jupyter_client`, and its own iopub reader that verifies every message and repairs the ones the Deno kernel interleaves) that keeps outputs the kernel sends after "idle" |
 * | `site.ts` / `markdown.ts` | static site renderer (marked, KaTeX at build time, highlight.js; relative links, no CDN) |
 * | `book.ts` | `deno task book` / `test:book`: execute every chapter, build and verify `_site/` |
 * | `serve.ts` | `deno task serve`: static server for `_site/` on 127.0.0.1, cross-origin isolated (COOP/COEP) |
 * | `browser.ts` | headless Debian Chromium via `playwright-core` for the browser tests |
 * | `pages.ts` | pages generated from run and dataset files: Results, run the book, dataset and model cards (with the live classifier), the engine demo |
 * | `search.ts` | the prebuilt search index and its in-page ranking |
 * | `demos/` | browser entry points bundled by the site (`deno bundle`): the classifier and engine demos |
 * | `recorder.ts` | records a script run's outputs per cell, so `deno task chapterN` keeps an executed notebook too |
 * | `smoke.ts` | the built site in headless Chromium (every page, the demos, no request leaving localhost), run by `test:book` |
 * | `record.ts` | the executed notebook a chapter's last kernel run keeps beside its results, and its `run.json` |
 * | `jupyter_shim.ts` | `Deno.jupyter` degraded to text and files in script runs |
 * | `sweep.ts` | seed sweeps: {@linkcode runLogged} (a seed's run as a child process logging to a file), {@linkcode meanStd} |
 *
 * Book rules for chapter notebooks: a later cell never re-declares an earlier cell's top-level
 * name; nothing relies on a cell's bare last value (use `show()` / `console.log`); cells tagged
 * `skip-script` are left out of script runs; the kernel's working directory is the notebook's
 * folder, so build paths from `runsDir()` or the repository root, not the cwd.
 *
 * @module
 */
export {
  type ChapterArgs,
  chapterArgs,
  type ChapterSetup,
  runsDir,
  setupChapter,
  truthy,
} from "./args.ts";
export {
  type DatasetChoice,
  freshRunDir,
  type ImageChapterOptions,
  imageChapterOptions,
  type ImageChapterSpec,
  openChapterDataset,
} from "./image_chapter.ts";
export { showSource, sourceOf, type SourceOptions } from "./source.ts";
export {
  type Cell,
  type CellOutput,
  cellTags,
  joinSource,
  type MultilineString,
  type Notebook,
  parseNotebook,
  readNotebook,
} from "./notebook.ts";
export {
  bareLastValues,
  cellHead,
  type CellSpan,
  findRedeclarations,
  locate,
  mapLocations,
  type NotebookScript,
  notebookToScript,
  type Redeclaration,
  type ScriptOptions,
} from "./script.ts";
export {
  buildNotebookScript,
  checkScript,
  main as runMain,
  runChapterQuick,
  runNotebookScript,
  type RunScriptOptions,
  scriptPathFor,
} from "./run.ts";
export { jupyter, jupyterShim } from "./jupyter_shim.ts";
export {
  bookPython,
  executeNotebook,
  type ExecuteOptions,
  type ExecuteResult,
  EXECUTOR_PY,
  inCI,
  jupyterStatus,
  kernelspecProblem,
} from "./execute.ts";
export {
  BOOK_CSS,
  type BrowserBundle,
  buildSite,
  bundleForBrowser,
  type Chapter,
  chapterSlug,
  type ExtraPage,
  notebookTitle,
  type RenderedSite,
  renderSite,
  runBanner,
  type SearchEntry,
  type SiteOptions,
} from "./site.ts";
export {
  type Heading,
  headingId,
  highlight,
  type MarkdownOptions,
  renderMarkdown,
  renderMath,
} from "./markdown.ts";
export {
  buildBook,
  type BuildBookOptions,
  type ChapterPlan,
  type ChapterSource,
  discoverChapters,
  main as bookMain,
  planChapter,
  verifySite,
} from "./book.ts";
export {
  contentType,
  ISOLATION_HEADERS,
  type ServeOptions,
  serveSite,
  staticHandler,
} from "./serve.ts";
export { type BookBrowser, chromiumPath, openBrowser, requestsLeaving } from "./browser.ts";
export {
  chapterRunsName,
  chapterSourceHash,
  describeRun,
  gitCommit,
  keepExecuted,
  readRunRecord,
  recordDir,
  type RunRecord,
} from "./record.ts";
export {
  cardPages,
  type ChapterRuns,
  collectRuns,
  engineDemo,
  type GeneratedPages,
  type MetricsFile,
  resultsPage,
  runTheBookPage,
} from "./pages.ts";
export { htmlText, searchEntries, searchIndexScript } from "./search.ts";
export { CELL_MARKER, DISPLAY_SINK, OutputRecorder, resolveCarriageReturns } from "./recorder.ts";
export { smokeTestSite } from "./smoke.ts";
export { meanStd, runLogged, type RunLoggedOptions } from "./sweep.ts";
