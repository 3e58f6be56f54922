/**
 * Line and bar charts as SVG {@linkcode Figure}s: loss/accuracy curves, per-class scores.
 *
 * ```ts
 * const fig = lineChart({
 *   title: "MLP on MNIST",
 *   xLabel: "epoch",
 *   yLabel: "loss",
 *   series: { train: [0.9, 0.4, 0.3], test: [0.5, 0.35, 0.33] },
 * });
 * await show(fig, { file: "runs/01/loss.png" });
 * ```
 *
 * @module
 */
import { Figure, svgDocument } from "./figure.ts";
import { escapeXml, FONT, formatNumber, niceTicks, PALETTE, textWidth } from "./svg.ts";

/** One named line. */
export interface LineSeries {
  /** Legend name. */
  name: string;
  /** y values. */
  y: ArrayLike<number>;
  /** x values (default 1, 2, …, n: epochs count from 1). */
  x?: ArrayLike<number>;
  /** Stroke colour (default: the palette in order). */
  color?: string;
  /** Draw dashed (e.g. for a validation curve). */
  dashed?: boolean;
}

/** Options for {@linkcode lineChart}. */
export interface LineChartOptions {
  /** The lines: an array of series, or `{ name: yValues }`. */
  series: LineSeries[] | Record<string, ArrayLike<number>>;
  /** Title above the plot. */
  title?: string;
  /** x-axis label. */
  xLabel?: string;
  /** y-axis label. */
  yLabel?: string;
  /** Width in CSS pixels (default 640). */
  width?: number;
  /** Height in CSS pixels (default 400). */
  height?: number;
  /** Fix the y range's lower end (default: from the data). */
  yMin?: number;
  /** Fix the y range's upper end (default: from the data). */
  yMax?: number;
  /** Logarithmic y axis (non-positive values are dropped). */
  logY?: boolean;
  /** Draw a dot at every point (default: when a series has at most 30 points). */
  markers?: boolean;
}

/** Options for {@linkcode barChart}. */
export interface BarChartOptions {
  /** Category labels along the x axis. */
  labels: string[];
  /** One value per label (single series), or use `series` for grouped bars. */
  values?: ArrayLike<number>;
  /** Grouped bars: one named series per group member, each with one value per label. */
  series?: { name: string; values: ArrayLike<number>; color?: string }[];
  /** Title above the plot. */
  title?: string;
  /** x-axis label. */
  xLabel?: string;
  /** y-axis label. */
  yLabel?: string;
  /** Width in CSS pixels (default 640). */
  width?: number;
  /** Height in CSS pixels (default 400). */
  height?: number;
  /** Fix the y range's upper end (e.g. 1 for accuracies). */
  yMax?: number;
  /** Print each bar's value above it (default: when there are at most 20 bars). */
  valueLabels?: boolean;
}

interface Frame {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

function header(
  width: number,
  title: string | undefined,
  legend: { name: string; color: string; dashed?: boolean }[],
): { svg: string; height: number } {
  let svg = "";
  let y = 8;
  if (title) {
    svg += `<text x="${width / 2}" y="${y + 16}" text-anchor="middle" font-family="${FONT}" ` +
      `font-size="16" font-weight="bold" fill="#222">${escapeXml(title)}</text>`;
    y += 24;
  }
  if (legend.length > 1 || (legend.length === 1 && legend[0].name)) {
    const items = legend.map((l) => ({ ...l, w: 26 + textWidth(l.name, 12) + 16 }));
    const rows: (typeof items)[] = [[]];
    let rowW = 0;
    for (const it of items) {
      if (rowW + it.w > width - 40 && rows[rows.length - 1].length > 0) {
        rows.push([]);
        rowW = 0;
      }
      rows[rows.length - 1].push(it);
      rowW += it.w;
    }
    for (const row of rows) {
      const total = row.reduce((n, it) => n + it.w, 0);
      let x = (width - total) / 2;
      for (const it of row) {
        const dash = it.dashed ? ` stroke-dasharray="5 3"` : "";
        svg +=
          `<line x1="${x}" y1="${y + 10}" x2="${x + 20}" y2="${y + 10}" stroke="${it.color}" ` +
          `stroke-width="3"${dash}/>` +
          `<text x="${x + 26}" y="${y + 14}" font-family="${FONT}" font-size="12" fill="#333">` +
          `${escapeXml(it.name)}</text>`;
        x += it.w;
      }
      y += 20;
    }
  }
  return { svg, height: y + 8 };
}

function axes(
  f: Frame,
  yTicks: number[],
  yPos: (v: number) => number,
  yLabelOf: (v: number) => string,
  xLabel: string | undefined,
  yLabel: string | undefined,
): string {
  let svg = "";
  for (const t of yTicks) {
    const y = yPos(t);
    svg += `<line x1="${f.left}" y1="${y}" x2="${f.right}" y2="${y}" stroke="#e5e5e5"/>` +
      `<text x="${f.left - 6}" y="${y + 4}" text-anchor="end" font-family="${FONT}" ` +
      `font-size="11" fill="#444">${escapeXml(yLabelOf(t))}</text>`;
  }
  svg += `<rect x="${f.left}" y="${f.top}" width="${f.right - f.left}" ` +
    `height="${f.bottom - f.top}" fill="none" stroke="#888"/>`;
  if (xLabel) {
    svg += `<text x="${(f.left + f.right) / 2}" y="${f.bottom + 38}" text-anchor="middle" ` +
      `font-family="${FONT}" font-size="13" fill="#222">${escapeXml(xLabel)}</text>`;
  }
  if (yLabel) {
    const cy = (f.top + f.bottom) / 2;
    svg += `<text x="16" y="${cy}" text-anchor="middle" transform="rotate(-90 16 ${cy})" ` +
      `font-family="${FONT}" font-size="13" fill="#222">${escapeXml(yLabel)}</text>`;
  }
  return svg;
}

function normaliseSeries(series: LineChartOptions["series"]): LineSeries[] {
  return Array.isArray(series) ? series : Object.entries(series).map(([name, y]) => ({ name, y }));
}

/**
 * A line chart of one or more named series sharing x and y axes, with a legend under the title.
 * Non-finite y values break a line into segments.
 */
export function lineChart(options: LineChartOptions): Figure {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const series = normaliseSeries(options.series).map((s, i) => ({
    ...s,
    color: s.color ?? PALETTE[i % PALETTE.length],
  }));
  const logY = options.logY ?? false;
  const tf = (v: number) => (logY ? (v > 0 ? Math.log10(v) : NaN) : v);
  const pts = series.map((s) => {
    const out: { x: number; y: number }[] = [];
    for (let i = 0; i < s.y.length; i++) {
      out.push({ x: s.x ? Number(s.x[i]) : i + 1, y: tf(Number(s.y[i])) });
    }
    return out;
  });
  const finite = pts.flat().filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xs = finite.map((p) => p.x);
  const ys = finite.map((p) => p.y);
  const xr = niceTicks(xs.length ? Math.min(...xs) : 0, xs.length ? Math.max(...xs) : 1, 8);
  // Integer x data (epochs, steps) keeps integer ticks and tight ends.
  const integerX = xs.every(Number.isInteger);
  let xTicks = xr.ticks;
  let xLo = xr.lo;
  let xHi = xr.hi;
  if (integerX && xs.length) {
    xLo = Math.min(...xs);
    xHi = Math.max(...xs);
    if (xLo === xHi) {
      xLo -= 1;
      xHi += 1;
    }
    xTicks = xr.ticks.filter((t) => Number.isInteger(t) && t >= xLo && t <= xHi);
    if (xTicks.length < 2) xTicks = [xLo, xHi];
  }
  const yMinData = options.yMin !== undefined ? tf(options.yMin) : Math.min(...ys);
  const yMaxData = options.yMax !== undefined ? tf(options.yMax) : Math.max(...ys);
  const yr = niceTicks(
    ys.length || options.yMin !== undefined ? yMinData : 0,
    ys.length || options.yMax !== undefined ? yMaxData : 1,
    6,
  );
  const yLo = options.yMin !== undefined ? tf(options.yMin) : yr.lo;
  const yHi = options.yMax !== undefined ? tf(options.yMax) : yr.hi;
  const yTicks = yr.ticks.filter((t) => t >= yLo - 1e-12 && t <= yHi + 1e-12);

  const head = header(width, options.title, series);
  const f: Frame = {
    left: 70,
    top: head.height + 4,
    right: width - 20,
    bottom: height - (options.xLabel ? 50 : 30),
  };
  const xPos = (v: number) => f.left + ((v - xLo) / (xHi - xLo || 1)) * (f.right - f.left);
  const yPos = (v: number) => f.bottom - ((v - yLo) / (yHi - yLo || 1)) * (f.bottom - f.top);
  // Same id ⇔ same rectangle, so several inline charts on one page cannot clash.
  const clipId = `clip-${f.left}-${f.top}-${f.right}-${f.bottom}`;
  let body = head.svg;
  body += axes(
    f,
    yTicks,
    yPos,
    (t) => (logY ? formatNumber(10 ** t) : formatNumber(t)),
    options.xLabel,
    options.yLabel,
  );
  for (const t of xTicks) {
    const x = xPos(t);
    body += `<line x1="${x}" y1="${f.bottom}" x2="${x}" y2="${f.bottom + 4}" stroke="#888"/>` +
      `<text x="${x}" y="${f.bottom + 18}" text-anchor="middle" font-family="${FONT}" ` +
      `font-size="11" fill="#444">${escapeXml(formatNumber(t))}</text>`;
  }
  body +=
    `<defs><clipPath id="${clipId}"><rect x="${f.left}" y="${f.top}" width="${f.right - f.left}" ` +
    `height="${f.bottom - f.top}"/></clipPath></defs><g clip-path="url(#${clipId})">`;
  series.forEach((s, i) => {
    const segs: string[][] = [[]];
    for (const p of pts[i]) {
      if (Number.isFinite(p.x) && Number.isFinite(p.y)) {
        segs[segs.length - 1].push(`${xPos(p.x).toFixed(2)},${yPos(p.y).toFixed(2)}`);
      } else if (segs[segs.length - 1].length) segs.push([]);
    }
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    for (const seg of segs) {
      if (seg.length > 1) {
        body += `<polyline points="${seg.join(" ")}" fill="none" stroke="${s.color}" ` +
          `stroke-width="2" stroke-linejoin="round"${dash}/>`;
      }
      const markers = options.markers ?? pts[i].length <= 30;
      if (markers || seg.length === 1) {
        for (const xy of seg) {
          const [cx, cy] = xy.split(",");
          body += `<circle cx="${cx}" cy="${cy}" r="3" fill="${s.color}"/>`;
        }
      }
    }
  });
  body += "</g>";
  return new Figure(svgDocument(width, height, body), width, height, options.title ?? "");
}

/** A bar chart: one bar per label, or grouped bars when `series` is given. */
export function barChart(options: BarChartOptions): Figure {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const series = (options.series ?? [{ name: "", values: options.values ?? [] }]).map((s, i) => ({
    ...s,
    color: s.color ?? PALETTE[i % PALETTE.length],
  }));
  const labels = options.labels;
  const all = series.flatMap((s) => Array.from(s.values, Number)).filter(Number.isFinite);
  const yr = niceTicks(Math.min(0, ...all), options.yMax ?? Math.max(0, ...all), 6);
  const yLo = yr.lo;
  const yHi = options.yMax ?? yr.hi;
  const yTicks = yr.ticks.filter((t) => t <= yHi + 1e-12);
  const head = header(width, options.title, options.series ? series : []);
  const longest = Math.max(0, ...labels.map((l) => textWidth(l, 11)));
  const slotGuess = (width - 90) / Math.max(1, labels.length);
  const rotate = longest > slotGuess - 4;
  const labelSpace = rotate ? Math.min(120, longest * 0.72 + 10) : 18;
  const f: Frame = {
    left: 70,
    top: head.height + 4,
    right: width - 20,
    bottom: height - labelSpace - (options.xLabel ? 34 : 14),
  };
  const yPos = (v: number) => f.bottom - ((v - yLo) / (yHi - yLo || 1)) * (f.bottom - f.top);
  let body = head.svg + axes(f, yTicks, yPos, formatNumber, undefined, options.yLabel);
  if (options.xLabel) {
    body += `<text x="${(f.left + f.right) / 2}" y="${height - 10}" text-anchor="middle" ` +
      `font-family="${FONT}" font-size="13" fill="#222">${escapeXml(options.xLabel)}</text>`;
  }
  const slot = (f.right - f.left) / Math.max(1, labels.length);
  const barW = (slot * 0.8) / series.length;
  const showValues = options.valueLabels ?? labels.length * series.length <= 20;
  labels.forEach((label, i) => {
    const x0 = f.left + i * slot + slot * 0.1;
    series.forEach((s, j) => {
      const v = Number(s.values[i]);
      if (!Number.isFinite(v)) return;
      const y = yPos(Math.max(v, 0));
      const h = Math.abs(yPos(v) - yPos(0));
      const x = x0 + j * barW;
      body += `<rect x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${barW.toFixed(2)}" ` +
        `height="${h.toFixed(2)}" fill="${s.color}"/>`;
      if (showValues) {
        body +=
          `<text x="${(x + barW / 2).toFixed(2)}" y="${
            (v >= 0 ? y - 4 : y + h + 12).toFixed(2)
          }" ` +
          `text-anchor="middle" font-family="${FONT}" font-size="10" fill="#333">` +
          `${escapeXml(formatNumber(v))}</text>`;
      }
    });
    const cx = f.left + (i + 0.5) * slot;
    const ly = f.bottom + 16;
    body += rotate
      ? `<text x="${cx}" y="${ly}" text-anchor="end" transform="rotate(-45 ${cx} ${ly})" ` +
        `font-family="${FONT}" font-size="11" fill="#444">${escapeXml(label)}</text>`
      : `<text x="${cx}" y="${ly}" text-anchor="middle" font-family="${FONT}" font-size="11" ` +
        `fill="#444">${escapeXml(label)}</text>`;
  });
  return new Figure(svgDocument(width, height, body), width, height, options.title ?? "");
}
