/**
 * Small SVG building blocks shared by the charts: escaping, "nice" axis ticks, number formatting,
 * the series palette and a sequential colour scale.
 *
 * @module
 */

/** Font stack for all figure text (Debian's `fonts-dejavu-core` provides DejaVu Sans). */
export const FONT = "DejaVu Sans, Verdana, sans-serif";

/** Okabe–Ito colour-blind-safe palette, used for series in order. */
export const PALETTE: readonly string[] = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#F0E442",
  "#000000",
];

/** Escapes `&`, `<`, `>`, `"` and `'` for SVG/HTML text and attributes. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) =>
      c === "&"
        ? "&amp;"
        : c === "<"
        ? "&lt;"
        : c === ">"
        ? "&gt;"
        : c === '"'
        ? "&quot;"
        : "&#39;",
  );
}

/** Rough rendered width of `text` at `fontSize` in DejaVu Sans (for layout, not typesetting). */
export function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.6;
}

/**
 * Evenly spaced round tick values (steps of 1, 2 or 5 × 10^k) covering `[min, max]`.
 *
 * @param min lower end of the data range.
 * @param max upper end of the data range.
 * @param target roughly how many ticks to produce.
 * @returns the ticks and the widened domain `[lo, hi]` they span.
 */
export function niceTicks(
  min: number,
  max: number,
  target = 6,
): { ticks: number[]; lo: number; hi: number } {
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    min = 0;
    max = 1;
  }
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / Math.max(1, target - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-6; i++) ticks.push(roundTo(lo + i * step, step));
  return { ticks, lo, hi };
}

function roundTo(v: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(v.toFixed(Math.min(20, digits)));
}

/** Short human formatting for tick labels and cell values: `0.25`, `1.5k`, `2M`, `1e-5`. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  if (a < 1e-3) return v.toExponential(0);
  return trim(v);
}

function trim(v: number): string {
  return String(Number(v.toPrecision(4)));
}

/**
 * Sequential white → blue colour for `t` in [0, 1] (clamped), as `rgb(r,g,b)`.
 */
export function sequentialColor(t: number): string {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const from = [247, 251, 255];
  const to = [8, 48, 107];
  const c = from.map((f, i) => Math.round(f + (to[i] - f) * u));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
