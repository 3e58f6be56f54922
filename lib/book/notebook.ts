/**
 * Reading and writing Jupyter notebooks (nbformat 4) as plain JSON.
 *
 * @module
 */

/** A multi-line string as nbformat stores it: one string or a list of lines. */
export type MultilineString = string | string[];

/** One output of a code cell (nbformat 4). */
export interface CellOutput {
  /** `"stream"`, `"display_data"`, `"execute_result"` or `"error"`. */
  output_type: string;
  /** Stream name (`"stdout"`/`"stderr"`) for streams. */
  name?: string;
  /** Stream text. */
  text?: MultilineString;
  /** Mime bundle for display data and execute results. */
  data?: Record<string, unknown>;
  /** Per-mime metadata (e.g. image width). */
  metadata?: Record<string, unknown>;
  /** Execution count for execute results. */
  execution_count?: number | null;
  /** Error class name. */
  ename?: string;
  /** Error message. */
  evalue?: string;
  /** Error traceback lines (may contain ANSI colours). */
  traceback?: string[];
}

/** One notebook cell. */
export interface Cell {
  /** `"code"`, `"markdown"` or `"raw"`. */
  cell_type: string;
  /** Cell source. */
  source: MultilineString;
  /** Cell metadata (e.g. `tags`). */
  metadata?: Record<string, unknown>;
  /** Outputs (code cells). */
  outputs?: CellOutput[];
  /** Execution count (code cells). */
  execution_count?: number | null;
  /** Cell id (nbformat 4.5). */
  id?: string;
  /** Attachments (markdown cells). */
  attachments?: Record<string, Record<string, string>>;
}

/** A notebook document. */
export interface Notebook {
  /** Cells, top to bottom. */
  cells: Cell[];
  /** Notebook metadata (kernelspec, language_info). */
  metadata: Record<string, unknown>;
  /** Major format version (4). */
  nbformat: number;
  /** Minor format version. */
  nbformat_minor: number;
}

/** Joins an nbformat multi-line string. */
export function joinSource(source: MultilineString | undefined): string {
  return Array.isArray(source) ? source.join("") : source ?? "";
}

/** Parses notebook JSON, checking it is nbformat 4. */
export function parseNotebook(json: string, name = "notebook"): Notebook {
  const nb = JSON.parse(json) as Notebook;
  if (!nb || !Array.isArray(nb.cells) || nb.nbformat !== 4) {
    throw new Error(`${name}: not an nbformat 4 notebook`);
  }
  return nb;
}

/** Reads and parses a `.ipynb` file. */
export async function readNotebook(path: string): Promise<Notebook> {
  return parseNotebook(await Deno.readTextFile(path), path);
}

/** A cell's tags (`metadata.tags`), or `[]`. */
export function cellTags(cell: Cell): string[] {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}
