/**
 * `lib/book`: the machinery that runs and publishes the book's chapter notebooks.
 *
 * - {@linkcode chapterArgs}: how a chapter learns of quick mode (`--quick` or `BOOK_QUICK=1`).
 * - `run.ts`: the script runner behind `deno task chapterN` (code cells → one type-checked
 *   module → run), with book-rule checks that name the offending cell.
 * - `notebook.ts` / `script.ts`: nbformat reading and the notebook → module transformation.
 * - `jupyter_shim.ts`: `Deno.jupyter` degraded to text and files outside the kernel.
 *
 * @module
 */
export { type ChapterArgs, chapterArgs, runsDir, truthy } from "./args.ts";
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
  runNotebookScript,
  type RunScriptOptions,
  scriptPathFor,
} from "./run.ts";
export { jupyter, jupyterShim } from "./jupyter_shim.ts";
