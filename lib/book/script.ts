/**
 * Turning a notebook into one TypeScript module, and mapping positions in that module back to
 * notebook cells.
 *
 * Book rules that make this possible (checked here and by the type checker):
 * - a later cell never re-declares a top-level name of an earlier cell;
 * - nothing relies on a cell's bare last value (script runs do not display it: use `show()` or
 *   `console.log`).
 *
 * Cells tagged `skip-script` are left out (e.g. a cell that only makes sense in Jupyter).
 *
 * @module
 */
import { type Cell, cellTags, joinSource, type Notebook } from "./notebook.ts";
import { CELL_MARKER } from "./recorder.ts";

/** Where one cell's source sits in the generated module. */
export interface CellSpan {
  /** 1-based index of the cell among all cells (as a reader counts them in Jupyter). */
  cell: number;
  /** First line of the cell's source in the module (1-based). */
  firstLine: number;
  /** Number of source lines. */
  lines: number;
  /** The cell's first non-empty line, to name it in messages. */
  head: string;
}

/** A notebook as one module. */
export interface NotebookScript {
  /** The module's source. */
  source: string;
  /** Cell positions, in order. */
  spans: CellSpan[];
}

/** Options for {@linkcode notebookToScript}. */
export interface ScriptOptions {
  /**
   * Specifier of `lib/book/jupyter_shim.ts` relative to the module; when set, `Deno.jupyter` in
   * cells is replaced by the shim (which degrades display calls outside the kernel).
   */
  shimSpecifier?: string;
  /** Notebook name for the header comment. */
  name?: string;
  /** Call the recorder's cell marker where each cell starts (see `recorder.ts`). */
  cellMarkers?: boolean;
}

/** The first non-blank line of a cell, trimmed to 60 characters. */
export function cellHead(source: string): string {
  const line = source.split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

/** Concatenates a notebook's code cells into one module, remembering where each cell went. */
export function notebookToScript(nb: Notebook, options: ScriptOptions = {}): NotebookScript {
  const out: string[] = [
    `// Generated from ${options.name ?? "a notebook"} by lib/book; do not edit.`,
  ];
  const usesJupyter = nb.cells.some((c) =>
    c.cell_type === "code" && /\bDeno\s*\.\s*jupyter\b/.test(joinSource(c.source))
  );
  if (usesJupyter && options.shimSpecifier) {
    out.push(`import { jupyter as __bookJupyter } from ${JSON.stringify(options.shimSpecifier)};`);
  }
  const spans: CellSpan[] = [];
  nb.cells.forEach((cell: Cell, i: number) => {
    if (cell.cell_type !== "code" || cellTags(cell).includes("skip-script")) return;
    let src = joinSource(cell.source).replace(/\r\n?/g, "\n").replace(/\n+$/, "");
    if (usesJupyter && options.shimSpecifier) {
      src = src.replace(/\bDeno\s*\.\s*jupyter\b/g, "__bookJupyter");
    }
    // With cell markers, the same line also tells a recording runner (recorder.ts) where cell
    // i + 1 starts; `;` first, so the previous cell's last line cannot swallow it.
    out.push(
      options.cellMarkers
        ? `;(globalThis as { ${CELL_MARKER}?: (n: number) => void }).${CELL_MARKER}?.(${
          i + 1
        }); // ---- cell ${i + 1} ----`
        : `// ---- cell ${i + 1} ----`,
    );
    const firstLine = out.length + 1;
    const lines = src.split("\n");
    out.push(...lines);
    spans.push({ cell: i + 1, firstLine, lines: lines.length, head: cellHead(src) });
  });
  out.push("");
  return { source: out.join("\n"), spans };
}

/** Maps a 1-based module line to its cell and the line within the cell, if it is in one. */
export function locate(
  script: NotebookScript,
  line: number,
): { span: CellSpan; line: number } | undefined {
  const span = script.spans.find((s) => line >= s.firstLine && line < s.firstLine + s.lines);
  return span && { span, line: line - span.firstLine + 1 };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Rewrites `<moduleUrlOrPath>:LINE:COL` occurrences in `text` (type-check diagnostics, stack
 * traces) to `<notebook> cell N, line L:COL`.
 */
export function mapLocations(
  text: string,
  script: NotebookScript,
  modulePaths: string[],
  notebookName: string,
): string {
  const alts = modulePaths.map(escapeRegExp).join("|");
  const re = new RegExp(`(?:${alts}):(\\d+):(\\d+)`, "g");
  return text.replace(re, (whole, l: string, c: string) => {
    const at = locate(script, Number(l));
    return at ? `${notebookName} cell ${at.span.cell}, line ${at.line}:${c}` : whole;
  });
}

/** A top-level name declared in two cells. */
export interface Redeclaration {
  /** The name. */
  name: string;
  /** Cell numbers (1-based) that declare it, in order. */
  cells: number[];
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Finds re-declarations in `deno check` output (TS2451 "Cannot redeclare block-scoped variable",
 * TS2300 "Duplicate identifier", TS2393 "Duplicate function implementation") that span cells.
 */
export function findRedeclarations(
  checkOutput: string,
  script: NotebookScript,
  modulePaths: string[],
): Redeclaration[] {
  const text = checkOutput.replace(ANSI, "");
  const alts = modulePaths.map(escapeRegExp).join("|");
  const re = new RegExp(
    `TS(?:2451|2300|2393|2440) \\[ERROR\\]: [^\\n]*?'([^']+)'[^]*?at (?:${alts}):(\\d+):\\d+`,
    "g",
  );
  const byName = new Map<string, Set<number>>();
  for (const m of text.matchAll(re)) {
    const at = locate(script, Number(m[2]));
    if (!at) continue;
    const set = byName.get(m[1]) ?? new Set<number>();
    set.add(at.span.cell);
    byName.set(m[1], set);
  }
  return [...byName].filter(([, cells]) => cells.size > 1).map(([name, cells]) => ({
    name,
    cells: [...cells].sort((a, b) => a - b),
  }));
}

/**
 * Cells whose last line is a bare name or property access (e.g. `fig` or `model.summary`): in
 * Jupyter that value is displayed, in a script run it is silently dropped.
 */
export function bareLastValues(script: NotebookScript): { cell: number; expr: string }[] {
  const lines = script.source.split("\n");
  const found: { cell: number; expr: string }[] = [];
  for (const s of script.spans) {
    const body = lines.slice(s.firstLine - 1, s.firstLine - 1 + s.lines)
      .map((l) => l.replace(/\/\/.*$/, "").trim())
      .filter((l) => l !== "");
    const last = body.at(-1) ?? "";
    const prev = body.at(-2) ?? "";
    const continues = /[,([{=+\-*/&|?:.]$/.test(prev);
    if (
      !continues && /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*;?$/.test(last) &&
      !/^(break|continue|return|debugger)\b/.test(last)
    ) {
      found.push({ cell: s.cell, expr: last.replace(/;$/, "") });
    }
  }
  return found;
}
