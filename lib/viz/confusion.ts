/**
 * Confusion matrix figure: counts in every cell, cells coloured by the row-normalised rate (so each
 * row shows one class's recall), class labels on both axes.
 *
 * ```ts
 * const fig = confusionMatrix({ matrix, labels: ["0", "1", "2"], title: "CNN, test set" });
 * ```
 *
 * @module
 */
import { Figure, svgDocument } from "./figure.ts";
import { escapeXml, FONT, formatNumber, sequentialColor, textWidth } from "./svg.ts";

/** Options for {@linkcode confusionMatrix}. */
export interface ConfusionMatrixOptions {
  /**
   * Counts: `matrix[true][predicted]`, as rows of numbers or a flat row-major array of
   * `n * n` values (e.g. an `Int32Array`).
   */
  matrix: ArrayLike<number>[] | ArrayLike<number>;
  /** Class names (default "0", "1", …). */
  labels?: string[];
  /** Title above the matrix. */
  title?: string;
  /** Colour by `"row"` rate (default; per-class recall) or by raw `"count"`. */
  colorBy?: "row" | "count";
  /** Size of one cell in CSS pixels (default: fits the matrix into about 520 pixels, 28–64). */
  cellSize?: number;
}

/** Builds the `n × n` matrix from rows or a flat array. */
function toRows(matrix: ConfusionMatrixOptions["matrix"]): number[][] {
  if (matrix.length > 0 && typeof (matrix as ArrayLike<unknown>)[0] === "object") {
    return Array.from(matrix as ArrayLike<number>[], (r) => Array.from(r, Number));
  }
  const flat = Array.from(matrix as ArrayLike<number>, Number);
  const n = Math.round(Math.sqrt(flat.length));
  if (n * n !== flat.length) {
    throw new RangeError(`confusionMatrix: flat matrix of ${flat.length} values is not square`);
  }
  return Array.from({ length: n }, (_, i) => flat.slice(i * n, (i + 1) * n));
}

/** Renders a confusion matrix with counts, a colour scale and class labels. */
export function confusionMatrix(options: ConfusionMatrixOptions): Figure {
  const rows = toRows(options.matrix);
  const n = rows.length;
  if (rows.some((r) => r.length !== n)) throw new RangeError("confusionMatrix: matrix not square");
  const labels = options.labels ?? rows.map((_, i) => String(i));
  if (labels.length !== n) {
    throw new RangeError(`confusionMatrix: ${labels.length} labels for ${n} classes`);
  }
  const cell = options.cellSize ?? Math.max(28, Math.min(64, Math.floor(520 / Math.max(1, n))));
  const labelW = Math.max(24, ...labels.map((l) => textWidth(l, 12))) + 10;
  const titleH = options.title ? 32 : 8;
  const left = 28 + labelW;
  const top = titleH + 8;
  const rotate = Math.max(...labels.map((l) => textWidth(l, 12))) > cell - 4;
  const bottomLabelH = rotate ? Math.min(120, labelW * 0.75 + 10) : 22;
  const legendW = 70;
  const width = left + n * cell + 16 + legendW;
  const height = top + n * cell + bottomLabelH + 30;
  const colorBy = options.colorBy ?? "row";
  const maxCount = Math.max(1, ...rows.flat());
  const fontSize = Math.max(8, Math.min(13, cell / 3.2));
  let body = "";
  if (options.title) {
    body += `<text x="${width / 2}" y="24" text-anchor="middle" font-family="${FONT}" ` +
      `font-size="16" font-weight="bold" fill="#222">${escapeXml(options.title)}</text>`;
  }
  rows.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      const t = colorBy === "row" ? (total ? count / total : 0) : count / maxCount;
      const x = left + j * cell;
      const y = top + i * cell;
      body += `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${
        sequentialColor(t)
      }" stroke="#ffffff" stroke-width="1"/>`;
      if (cell >= 20) {
        body += `<text x="${x + cell / 2}" y="${y + cell / 2 + fontSize * 0.35}" ` +
          `text-anchor="middle" font-family="${FONT}" font-size="${fontSize}" ` +
          `fill="${t > 0.5 ? "#ffffff" : "#222222"}">${escapeXml(formatNumber(count))}</text>`;
      }
    });
    body += `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" ` +
      `font-family="${FONT}" font-size="12" fill="#333">${escapeXml(labels[i])}</text>`;
  });
  labels.forEach((l, j) => {
    const cx = left + j * cell + cell / 2;
    const ly = top + n * cell + 16;
    body += rotate
      ? `<text x="${cx}" y="${ly}" text-anchor="end" transform="rotate(-45 ${cx} ${ly})" ` +
        `font-family="${FONT}" font-size="12" fill="#333">${escapeXml(l)}</text>`
      : `<text x="${cx}" y="${ly}" text-anchor="middle" font-family="${FONT}" font-size="12" ` +
        `fill="#333">${escapeXml(l)}</text>`;
  });
  const cy = top + (n * cell) / 2;
  body += `<text x="14" y="${cy}" text-anchor="middle" transform="rotate(-90 14 ${cy})" ` +
    `font-family="${FONT}" font-size="13" fill="#222">true class</text>` +
    `<text x="${left + (n * cell) / 2}" y="${height - 8}" text-anchor="middle" ` +
    `font-family="${FONT}" font-size="13" fill="#222">predicted class</text>`;
  // Colour scale.
  const lx = left + n * cell + 16;
  const lh = n * cell;
  const steps = 20;
  for (let k = 0; k < steps; k++) {
    body += `<rect x="${lx}" y="${(top + (lh * k) / steps).toFixed(2)}" width="14" ` +
      `height="${(lh / steps + 0.5).toFixed(2)}" fill="${sequentialColor(1 - k / steps)}"/>`;
  }
  body += `<rect x="${lx}" y="${top}" width="14" height="${lh}" fill="none" stroke="#888"/>`;
  const hiLabel = colorBy === "row" ? "100%" : formatNumber(maxCount);
  const midLabel = colorBy === "row" ? "50%" : formatNumber(maxCount / 2);
  const loLabel = colorBy === "row" ? "0%" : "0";
  for (const [lab, y] of [[hiLabel, top + 4], [midLabel, top + lh / 2 + 4], [loLabel, top + lh]]) {
    body += `<text x="${lx + 18}" y="${y}" font-family="${FONT}" font-size="11" fill="#444">` +
      `${escapeXml(String(lab))}</text>`;
  }
  body += `<text x="${lx + 18}" y="${top + lh + 16}" font-family="${FONT}" font-size="10" ` +
    `fill="#666">${colorBy === "row" ? "of row" : "count"}</text>`;
  return new Figure(svgDocument(width, height, body), width, height, options.title ?? "");
}
