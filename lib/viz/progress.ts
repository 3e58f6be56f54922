/**
 * Progress display for long loops (epochs, batches, downloads).
 *
 * On a terminal: one line redrawn in place with a bar, rate and ETA. Elsewhere (CI logs, Jupyter,
 * piped output): a few plain lines, one per `lines`-th of the total, plus a final line.
 *
 * ```ts
 * const bar = progressBar({ total: batches, label: "epoch 1" });
 * for (let b = 0; b < batches; b++) {
 *   // …train one batch…
 *   bar.tick(1, `loss ${loss.toFixed(3)}`);
 * }
 * bar.done();
 * ```
 *
 * @module
 */

/** Options for {@linkcode progressBar}. */
export interface ProgressOptions {
  /** Number of steps expected (omit when unknown: no bar, no ETA). */
  total?: number;
  /** Text before the counts, e.g. `"epoch 3/10"`. */
  label?: string;
  /** Unit of the rate (default `"it"`, shown as `it/s`). */
  unit?: string;
  /** Redraw in place (default: stdout is a terminal). */
  tty?: boolean;
  /** Plain-line mode: how many lines over the whole run, besides the final one (default 4). */
  lines?: number;
  /** Plain-line mode without a total: seconds between lines (default 30). */
  intervalSeconds?: number;
  /** Where text goes (default: stdout). `tty` mode writes raw text, plain mode whole lines. */
  write?: (text: string) => void;
  /** Clock in milliseconds (default `performance.now`), injectable for tests. */
  now?: () => number;
  /** Terminal redraw interval in milliseconds (default 100). */
  redrawMs?: number;
}

/** A running progress display. */
export interface ProgressBar {
  /** Advances by `n` steps (default 1); `extra` (e.g. the current loss) is shown after the counts. */
  tick(n?: number, extra?: string): void;
  /** Sets the step count to `value`. */
  update(value: number, extra?: string): void;
  /** Finishes: prints the final line (total time and rate). */
  done(extra?: string): void;
  /** Steps so far. */
  readonly value: number;
}

/** Formats seconds as `m:ss` or `h:mm:ss`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

function formatRate(perSecond: number, unit: string): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return `? ${unit}/s`;
  if (perSecond >= 100) return `${Math.round(perSecond)} ${unit}/s`;
  if (perSecond >= 1) return `${perSecond.toFixed(1)} ${unit}/s`;
  return `${(1 / perSecond).toFixed(1)} s/${unit}`;
}

function isTerminal(): boolean {
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}

/** Starts a progress display. See the module doc for the two modes. */
export function progressBar(options: ProgressOptions = {}): ProgressBar {
  const now = options.now ?? (() => performance.now());
  const tty = options.tty ?? isTerminal();
  const enc = new TextEncoder();
  const write = options.write ??
    (tty ? (t: string) => Deno.stdout.writeSync(enc.encode(t)) : (t: string) => console.log(t));
  const total = options.total;
  const unit = options.unit ?? "it";
  const label = options.label ? `${options.label} ` : "";
  const lines = Math.max(0, options.lines ?? 4);
  const interval = (options.intervalSeconds ?? 30) * 1000;
  const redraw = options.redrawMs ?? 100;
  const start = now();
  let value = 0;
  let lastDraw = -Infinity;
  let lastLine = start;
  let nextMilestone = 1;
  let finished = false;
  let drawnWidth = 0;

  const status = (extra?: string, final = false): string => {
    const elapsed = (now() - start) / 1000;
    const rate = elapsed > 0 ? value / elapsed : NaN;
    const parts: string[] = [];
    if (total !== undefined && total > 0) {
      const pct = Math.min(100, (100 * value) / total);
      if (tty) {
        const w = 24;
        const full = Math.round((w * Math.min(value, total)) / total);
        const counts = `${String(value).padStart(String(total).length)}/${total}`;
        parts.push(`${label}[${"#".repeat(full)}${"-".repeat(w - full)}] ${counts}`);
      } else parts.push(`${label}${value}/${total} (${pct.toFixed(0)}%)`);
      parts.push(formatRate(rate, unit));
      parts.push(
        final
          ? `${formatDuration(elapsed)} total`
          : `ETA ${formatDuration((total - value) / rate)}`,
      );
    } else {
      parts.push(`${label}${value} ${unit}`, formatRate(rate, unit), formatDuration(elapsed));
    }
    if (extra) parts.push(extra);
    return parts.join(tty ? "  " : ", ");
  };

  const draw = (extra?: string) => {
    const t = now();
    if (tty) {
      if (t - lastDraw < redraw && !(total !== undefined && value >= total)) return;
      lastDraw = t;
      const line = status(extra);
      write(`\r${line}${" ".repeat(Math.max(0, drawnWidth - line.length))}`);
      drawnWidth = line.length;
      return;
    }
    if (total !== undefined && total > 0) {
      if (lines === 0) return;
      let crossed = false;
      while (nextMilestone <= lines && value >= (total * nextMilestone) / (lines + 1)) {
        nextMilestone++;
        crossed = true;
      }
      if (crossed && value < total) write(status(extra));
    } else if (t - lastLine >= interval) {
      lastLine = t;
      write(status(extra));
    }
  };

  return {
    get value() {
      return value;
    },
    tick(n = 1, extra?: string) {
      if (finished) return;
      value += n;
      draw(extra);
    },
    update(v: number, extra?: string) {
      if (finished) return;
      value = v;
      draw(extra);
    },
    done(extra?: string) {
      if (finished) return;
      finished = true;
      const line = status(extra, true);
      if (tty) write(`\r${line}${" ".repeat(Math.max(0, drawnWidth - line.length))}\n`);
      else write(line);
    },
  };
}
