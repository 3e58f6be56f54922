/**
 * Records a script run's outputs cell by cell, so that `deno task chapterN` leaves an executed
 * notebook as the kernel would (printed text, progress lines, figures, markdown), which
 * `deno task book` then publishes without running the chapter again.
 *
 * The runner's module calls `__bookCell(n)` where cell `n` starts; the recorder tees `console.*`,
 * `Deno.stdout` and `Deno.stderr` into that cell's streams (the terminal still gets everything),
 * and `displayMedia` hands it each figure through {@linkcode DISPLAY_SINK}.
 *
 * @module
 */
import type { CellOutput, Notebook } from "./notebook.ts";

/** Where `lib/viz/display.ts` finds the recorder in script runs (a global symbol). */
export const DISPLAY_SINK: unique symbol = Symbol.for("deep-learning-in-deno/display-sink");

/** The global the generated module calls at the start of each cell. */
export const CELL_MARKER = "__bookCell";

/** `(bundle, metadata, printsLine)`: `printsLine` says the caller prints one line next. */
type Sink = (
  data: Record<string, unknown>,
  metadata?: Record<string, unknown>,
  printsLine?: boolean,
) => void;

/** Resolves carriage-return overwrites per line, as Jupyter shows a progress bar's last state. */
export function resolveCarriageReturns(text: string): string {
  return text.replace(/\r\n/g, "\n").split("\n").map((line) => {
    if (!line.includes("\r")) return line;
    return line.split("\r").reverse().find((p) => p !== "") ?? "";
  }).join("\n");
}

function formatArgs(args: unknown[]): string {
  return args.map((a) => typeof a === "string" ? a : Deno.inspect(a, { colors: false })).join(" ");
}

/** Collects outputs per cell while installed. */
export class OutputRecorder {
  /** Outputs by 1-based notebook cell number. */
  readonly outputs: Map<number, CellOutput[]> = new Map();
  #current = 0;
  #suppress = 0;
  #restore: (() => void)[] = [];

  /** Cell `n` (1-based, as in the notebook) starts. */
  cell(n: number): void {
    this.#current = n;
    if (!this.outputs.has(n)) this.outputs.set(n, []);
  }

  /** Appends text to the current cell's `stdout` or `stderr` stream. */
  stream(name: "stdout" | "stderr", text: string): void {
    const outs = this.outputs.get(this.#current);
    if (!outs || text === "") return;
    const last = outs.at(-1);
    if (last?.output_type === "stream" && last.name === name) last.text = `${last.text}${text}`;
    else outs.push({ output_type: "stream", name, text });
  }

  /**
   * Records a display (mime bundle) in the current cell; with `printsLine`, the caller's next
   * console line (its text fallback, e.g. the figure's path) is not kept.
   */
  display(
    data: Record<string, unknown>,
    metadata: Record<string, unknown> = {},
    printsLine = true,
  ): void {
    if (printsLine) this.#suppress++;
    const outs = this.outputs.get(this.#current);
    if (!outs) return;
    outs.push({ output_type: "display_data", data, metadata });
  }

  /** Starts teeing console, stdout and stderr, and exposes the cell marker and display sink. */
  install(): void {
    const g = globalThis as unknown as Record<string | symbol, unknown>;
    const c = console as unknown as Record<string, (...a: unknown[]) => void>;
    for (
      const [method, name] of [
        ["log", "stdout"],
        ["info", "stdout"],
        ["debug", "stdout"],
        ["warn", "stderr"],
        ["error", "stderr"],
      ] as const
    ) {
      const original = c[method];
      c[method] = (...args: unknown[]) => {
        if (this.#suppress > 0) this.#suppress--;
        else this.stream(name, `${formatArgs(args)}\n`);
        original.apply(console, args);
      };
      this.#restore.push(() => (c[method] = original));
    }
    const dec = new TextDecoder();
    for (const [file, name] of [[Deno.stdout, "stdout"], [Deno.stderr, "stderr"]] as const) {
      const f = file as unknown as {
        writeSync(p: Uint8Array): number;
        write(p: Uint8Array): Promise<number>;
      };
      const writeSync = f.writeSync;
      const write = f.write;
      f.writeSync = (p: Uint8Array) => {
        this.stream(name, dec.decode(p));
        return writeSync.call(file, p);
      };
      f.write = (p: Uint8Array) => {
        this.stream(name, dec.decode(p));
        return write.call(file, p);
      };
      this.#restore.push(() => {
        f.writeSync = writeSync;
        f.write = write;
      });
    }
    g[CELL_MARKER] = (n: number) => this.cell(n);
    g[DISPLAY_SINK] =
      ((data, metadata, printsLine) => this.display(data, metadata, printsLine)) as Sink;
    this.#restore.push(() => {
      delete g[CELL_MARKER];
      delete g[DISPLAY_SINK];
    });
  }

  /** Restores console, stdout and stderr. */
  uninstall(): void {
    for (const r of this.#restore.reverse()) r();
    this.#restore = [];
  }

  /**
   * A copy of `nb` with the recorded outputs in its code cells (streams with progress lines
   * resolved, split into lines as nbformat stores them) and execution counts in order.
   */
  apply(nb: Notebook): Notebook {
    let count = 0;
    const cells = nb.cells.map((cell, i) => {
      if (cell.cell_type !== "code") return cell;
      const outs = this.outputs.get(i + 1);
      const outputs = (outs ?? []).map((o) =>
        o.output_type === "stream"
          ? { ...o, text: resolveCarriageReturns(String(o.text)).split(/(?<=\n)/) }
          : o
      );
      return { ...cell, outputs, execution_count: outs ? ++count : null };
    });
    return { ...nb, cells };
  }
}
