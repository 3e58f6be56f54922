/**
 * `Figure`: an SVG document plus its size, rasterised to PNG on demand with sharp.
 *
 * Every chart builder in `lib/viz` returns one. Pass it to `show()` to display it (Jupyter) or save
 * it (script runs), or call `png()` / `svg` yourself.
 *
 * @module
 */
import { toBase64 } from "./png.ts";

/** Options for {@linkcode Figure.png}. */
export interface PngOptions {
  /** Pixel density multiplier (2 = twice the SVG's width and height in pixels). Default 2. */
  scale?: number;
}

/** A media bundle as Jupyter frontends understand it (mime type → data). */
export type MediaBundle = Record<string, unknown>;

/** An SVG figure with a title, rasterisable to PNG. */
export class Figure {
  /** The complete SVG document. */
  readonly svg: string;
  /** Width in CSS pixels. */
  readonly width: number;
  /** Height in CSS pixels. */
  readonly height: number;
  /** Title, used for file names and alt text (may be empty). */
  readonly title: string;

  /** Wraps an SVG document of the given CSS size. */
  constructor(svg: string, width: number, height: number, title = "") {
    this.svg = svg;
    this.width = width;
    this.height = height;
    this.title = title;
  }

  /** Rasterises the SVG to PNG bytes with sharp (librsvg) at `scale` × the CSS size. */
  async png(options: PngOptions = {}): Promise<Uint8Array> {
    const scale = options.scale ?? 2;
    const { default: sharp } = await import("sharp");
    const buf = await sharp(new TextEncoder().encode(this.svg), { density: 72 * scale })
      .png({ compressionLevel: 9 })
      .toBuffer();
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /**
   * The Jupyter media bundle: a PNG (displayed at CSS size) and a text fallback, plus the
   * metadata that tells frontends the display size.
   */
  async mediaBundle(): Promise<{ data: MediaBundle; metadata: MediaBundle }> {
    const png = await this.png();
    return {
      data: {
        "image/png": toBase64(png),
        "text/plain": `<Figure ${
          this.title ? `"${this.title}" ` : ""
        }${this.width}×${this.height}>`,
      },
      metadata: { "image/png": { width: this.width, height: this.height } },
    };
  }

  /** Lets the Deno kernel render a figure that is a cell's last value. */
  async [Symbol.for("Jupyter.display")](): Promise<MediaBundle> {
    return (await this.mediaBundle()).data;
  }
}

/** Wraps SVG body markup in an `<svg>` root with a white background. */
export function svgDocument(width: number, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}">` +
    `<rect width="${width}" height="${height}" fill="#ffffff"/>${body}</svg>`;
}
