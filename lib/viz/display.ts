/**
 * Showing figures and rich output in both of the book's modes.
 *
 * - In the Deno Jupyter kernel, `show()` / `display()` send a `display_data` message (PNG for
 *   {@linkcode Figure}s, plotly JSON + HTML for {@linkcode PlotlyFigure}s).
 * - Anywhere else (`deno task chapterN`, tests), figures are written to files (`.png`, or `.html`
 *   for plotly) and the path is printed; text and markdown are printed.
 *
 * @module
 */
import { Figure, type MediaBundle } from "./figure.ts";
import { PlotlyFigure } from "./plotly.ts";
import { crc32 } from "../data/crc.ts";
import { dirname, relative, resolve } from "node:path";
import { figureDir } from "./paths.ts";
import { projectRoot } from "../data/assets.ts";
import { decodeBase64 } from "../common/base64.ts";

/** Same symbol as `lib/book/recorder.ts`'s `DISPLAY_SINK` (viz does not import book). */
const DISPLAY_SINK = Symbol.for("deep-learning-in-deno/display-sink");

/** True when running inside the Deno Jupyter kernel (`Deno.jupyter` is usable). */
export function inJupyter(): boolean {
  try {
    return typeof Deno.jupyter?.broadcast === "function";
  } catch {
    return false; // Deno throws on access outside `deno jupyter`.
  }
}

/** Options for {@linkcode show}. */
export interface ShowOptions {
  /**
   * Also save here (in Jupyter), or save here instead of the default (elsewhere). `.png` for
   * figures, `.html` for plotly figures; parent directories are created.
   */
  file?: string;
  /** Do not print the saved file's path (script mode). */
  quiet?: boolean;
}

/** Something `show()` can display. */
export type Showable = Figure | PlotlyFigure;

/** A file-name slug of a title (`"Train loss (MLP)"` → `"train-loss-mlp"`). */
export function slug(title: string): string {
  return title.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "")
    .slice(0, 60);
}

/** Default file for a figure: `<figureDir()>/<title slug or content hash>.<ext>`. */
export function defaultFigureFile(fig: Showable): string {
  const ext = fig instanceof PlotlyFigure ? "html" : "png";
  const body = fig instanceof PlotlyFigure ? JSON.stringify([fig.data, fig.layout]) : fig.svg;
  const name = slug(fig.title) ||
    `figure-${crc32(new TextEncoder().encode(body)).toString(16).padStart(8, "0")}`;
  return `${figureDir()}/${name}.${ext}`;
}

/** Writes a figure's PNG (or plotly HTML page) to `file`, creating directories. */
export async function saveFigure(fig: Showable, file: string): Promise<string> {
  await Deno.mkdir(dirname(file), { recursive: true });
  if (fig instanceof PlotlyFigure) await Deno.writeTextFile(file, fig.page());
  else await Deno.writeFile(file, await fig.png());
  return file;
}

/** A path for messages: relative to the repository root when inside it, else as given. */
function printable(path: string): string {
  const rel = relative(projectRoot(), resolve(path));
  return rel.startsWith("..") ? path : rel;
}

/**
 * Shows a figure: displayed inline in Jupyter, saved to a file (path printed) elsewhere.
 *
 * Resolves to nothing on purpose, so that `await show(fig)` as a cell's last line adds no
 * `execute_result` in Jupyter. Use {@linkcode saveFigure} when you need the path.
 */
export async function show(fig: Showable, options: ShowOptions = {}): Promise<void> {
  if (inJupyter()) {
    const { data, metadata } = await fig.mediaBundle();
    await Deno.jupyter.broadcast("display_data", { data, metadata, transient: {} });
    if (options.file) await saveFigure(fig, options.file);
    return;
  }
  // A script run recording its executed notebook (lib/book/recorder.ts) keeps the figure inline;
  // the path line printed below is then not kept as text.
  const sink = (globalThis as Record<symbol, unknown>)[DISPLAY_SINK];
  if (typeof sink === "function") {
    const { data, metadata } = await fig.mediaBundle();
    sink(data, metadata, !options.quiet);
  }
  const file = await saveFigure(fig, options.file ?? defaultFigureFile(fig));
  if (!options.quiet) {
    console.log(`[figure] ${fig.title ? `${fig.title}: ` : ""}${printable(file)}`);
  }
}

/**
 * Displays a raw media bundle (`{"text/markdown": "…"}`, `{"image/png": base64}`, …). Outside
 * Jupyter it degrades to text: markdown or plain text is printed, images are saved under
 * `figureDir()` and their path printed, HTML is summarised.
 */
export async function displayMedia(data: MediaBundle, metadata: MediaBundle = {}): Promise<void> {
  if (inJupyter()) {
    await Deno.jupyter.broadcast("display_data", { data, metadata, transient: {} });
    return;
  }
  // A script run recording its executed notebook (lib/book/recorder.ts) keeps the bundle itself.
  const sink = (globalThis as Record<symbol, unknown>)[DISPLAY_SINK];
  if (typeof sink === "function") sink(data, metadata, true); // each branch below prints a line
  for (const [mime, ext] of [["image/png", "png"], ["image/jpeg", "jpg"], ["image/gif", "gif"]]) {
    const b64 = data[mime];
    if (typeof b64 === "string") {
      const bytes = decodeBase64(b64);
      const file = `${figureDir()}/image-${crc32(bytes).toString(16).padStart(8, "0")}.${ext}`;
      await Deno.mkdir(dirname(file), { recursive: true });
      await Deno.writeFile(file, bytes);
      console.log(`[image] ${printable(file)}`);
      return;
    }
  }
  const svg = data["image/svg+xml"];
  if (typeof svg === "string") {
    const bytes = new TextEncoder().encode(svg);
    const file = `${figureDir()}/image-${crc32(bytes).toString(16).padStart(8, "0")}.svg`;
    await Deno.mkdir(dirname(file), { recursive: true });
    await Deno.writeFile(file, bytes);
    console.log(`[image] ${printable(file)}`);
    return;
  }
  const text = data["text/markdown"] ?? data["text/plain"];
  if (typeof text === "string") console.log(text);
  else if (typeof data["text/html"] === "string") console.log("[html output: shown in Jupyter]");
  else console.log(`[display: ${Object.keys(data).join(", ")}]`);
}

/** Displays markdown (Jupyter) or prints it (elsewhere). */
export function markdown(text: string): Promise<void> {
  return displayMedia({ "text/markdown": text, "text/plain": text });
}
