/**
 * `lib/viz`: the book's plots and progress display (first used in chapter 1).
 *
 * - Charts are SVG documents ({@linkcode Figure}) rasterised to PNG with sharp (librsvg; install
 *   a font such as Debian's `fonts-dejavu-core`): {@linkcode lineChart} (loss/accuracy curves),
 *   {@linkcode barChart}, {@linkcode confusionMatrix}, {@linkcode imageGrid} (e.g. misclassified
 *   digits captioned "true 4 / pred 9").
 * - {@linkcode show} displays a figure inline in the Deno Jupyter kernel and, anywhere else, saves
 *   it (`$BOOK_FIGURE_DIR`, default `runs/figures/`, or `{ file }`) and prints the path.
 * - {@linkcode plotlyChart} makes interactive plotly figures that work offline (plotly.js from npm
 *   is inlined; no CDN).
 * - {@linkcode progressBar} shows progress for long loops: a redrawn line on a terminal, a few
 *   plain lines in logs and notebooks.
 *
 * ```ts
 * import { lineChart, progressBar, show } from "../../lib/viz/mod.ts";
 *
 * const bar = progressBar({ total: epochs, label: "training" });
 * for (let e = 0; e < epochs; e++) { trainLoss.push(step()); bar.tick(1, `loss ${trainLoss.at(-1)}`); }
 * bar.done();
 * await show(lineChart({ series: { train: trainLoss, test: testLoss }, xLabel: "epoch", yLabel: "loss" }));
 * ```
 *
 * @module
 */
export { Figure, type MediaBundle, type PngOptions, svgDocument } from "./figure.ts";
export {
  barChart,
  type BarChartOptions,
  lineChart,
  type LineChartOptions,
  type LineSeries,
} from "./charts.ts";
export { confusionMatrix, type ConfusionMatrixOptions } from "./confusion.ts";
export { type GridImage, imageGrid, type ImageGridOptions } from "./images.ts";
export { plotlyBundle, plotlyChart, PlotlyFigure, type PlotlyHtmlOptions } from "./plotly.ts";
export {
  defaultFigureFile,
  displayMedia,
  inJupyter,
  markdown,
  saveFigure,
  show,
  type Showable,
  type ShowOptions,
  slug,
} from "./display.ts";
export { formatDuration, type ProgressBar, progressBar, type ProgressOptions } from "./progress.ts";
export { encodePng, toBase64 } from "./png.ts";
export { figureDir, plotlyBundlePath } from "./paths.ts";
