/**
 * Where `lib/viz` writes and reads files: the default figure directory and the plotly.js bundle
 * installed from npm (both under the project root of `lib/data`).
 *
 * @module
 */
import { projectRoot } from "../data/assets.ts";

/** Reads an environment variable, or `undefined` without `--allow-env`. */
export function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Default directory for figures saved by `show()` outside Jupyter: `$BOOK_FIGURE_DIR` (the book
 * runner sets it to `runs/<chapter>/figures`), else `<repo>/runs/figures`.
 */
export function figureDir(): string {
  return envVar("BOOK_FIGURE_DIR") ?? `${projectRoot()}/runs/figures`;
}

/** Path of `plotly.min.js` from the `plotly.js-dist-min` npm package (after `deno install`). */
export function plotlyBundlePath(): string {
  return `${projectRoot()}/node_modules/plotly.js-dist-min/plotly.min.js`;
}
