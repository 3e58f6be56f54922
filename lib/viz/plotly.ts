/**
 * Interactive plotly charts that work offline: the plotly.js bundle from npm
 * (`plotly.js-dist-min`) is inlined into the HTML, no CDN involved.
 *
 * In Jupyter the figure is displayed as `application/vnd.plotly.v1+json` (rendered natively by
 * frontends with plotly support and by the book's site) plus self-contained `text/html`; outside
 * Jupyter `show()` writes a standalone `.html` file.
 *
 * ```ts
 * const fig = plotlyChart([{ x: [1, 2, 3], y: [0.9, 0.5, 0.4], name: "loss" }], {
 *   title: { text: "loss" },
 * });
 * await show(fig);
 * ```
 *
 * @module
 */
import type { MediaBundle } from "./figure.ts";
import { crc32 } from "../data/crc.ts";
import { plotlyBundlePath } from "./paths.ts";

/** Options for {@linkcode PlotlyFigure.html}. */
export interface PlotlyHtmlOptions {
  /** Inline the plotly.js bundle (about 4.8 MB) in a `<script>` (default true). */
  inlinePlotly?: boolean;
}

/** Reads plotly.min.js from `node_modules` (run `deno install` first). */
export function plotlyBundle(): string {
  const path = plotlyBundlePath();
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    throw new Error(`plotly.js bundle not found at ${path}; run \`deno install\` (${e})`);
  }
}

function safeJson(value: unknown): string {
  // Keeps `</script>` and friends out of inline JSON.
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e");
}

/** A plotly figure: traces, layout and config as plain JSON. */
export class PlotlyFigure {
  /** Plotly traces. */
  readonly data: Record<string, unknown>[];
  /** Plotly layout. */
  readonly layout: Record<string, unknown>;
  /** Plotly config (e.g. `{ responsive: true }`). */
  readonly config: Record<string, unknown>;
  /** Title for file names (from `layout.title` if not given). */
  readonly title: string;

  /** Wraps traces, layout and config. */
  constructor(
    data: Record<string, unknown>[],
    layout: Record<string, unknown> = {},
    config: Record<string, unknown> = {},
  ) {
    this.data = data;
    this.layout = layout;
    this.config = { displaylogo: false, responsive: true, ...config };
    const t = layout.title;
    this.title = typeof t === "string"
      ? t
      : t && typeof t === "object" && typeof (t as { text?: unknown }).text === "string"
      ? (t as { text: string }).text
      : "";
  }

  /** A deterministic element id derived from the figure's JSON. */
  get id(): string {
    const json = JSON.stringify([this.data, this.layout]);
    return `plotly-${crc32(new TextEncoder().encode(json)).toString(16).padStart(8, "0")}`;
  }

  /** An HTML fragment: a `<div>` plus scripts that draw the figure (plotly.js inlined by default). */
  html(options: PlotlyHtmlOptions = {}): string {
    const inline = options.inlinePlotly ?? true;
    const height = typeof this.layout.height === "number" ? this.layout.height : 420;
    const lib = inline
      ? `<script>${plotlyBundle().replace(/<\/script/gi, "<\\/script")}</script>`
      : "";
    return `<div id="${this.id}" class="plotly-figure" style="width:100%;height:${height}px"></div>` +
      lib +
      `<script>Plotly.newPlot(${safeJson(this.id)}, ${safeJson(this.data)}, ` +
      `${safeJson(this.layout)}, ${safeJson(this.config)});</script>`;
  }

  /** A complete standalone HTML page (works offline from a file or any server). */
  page(): string {
    const title = this.title.replace(/[<&]/g, (c) => (c === "<" ? "&lt;" : "&amp;"));
    return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
      `<body>${this.html()}</body></html>\n`;
  }

  /** Jupyter media bundle: plotly JSON, self-contained HTML and a text fallback. */
  mediaBundle(): { data: MediaBundle; metadata: MediaBundle } {
    return {
      data: {
        "application/vnd.plotly.v1+json": {
          data: this.data,
          layout: this.layout,
          config: this.config,
        },
        "text/html": this.html(),
        "text/plain": `<PlotlyFigure${this.title ? ` "${this.title}"` : ""}>`,
      },
      metadata: {},
    };
  }

  /** Lets the Deno kernel render a figure that is a cell's last value. */
  [Symbol.for("Jupyter.display")](): MediaBundle {
    return this.mediaBundle().data;
  }
}

/** Builds a {@linkcode PlotlyFigure} from plotly traces, layout and config. */
export function plotlyChart(
  data: Record<string, unknown>[],
  layout: Record<string, unknown> = {},
  config: Record<string, unknown> = {},
): PlotlyFigure {
  return new PlotlyFigure(data, layout, config);
}
