/**
 * A stand-in for `Deno.jupyter` when a notebook runs as a script (`deno task chapterN`): the
 * runner rewrites `Deno.jupyter` in cells to this object, so display calls degrade to printed text
 * and files instead of throwing. Inside the real kernel it forwards to `Deno.jupyter`.
 *
 * @module
 */
import { displayMedia, inJupyter } from "../viz/display.ts";
import type { MediaBundle } from "../viz/figure.ts";
import { toBase64 } from "../viz/png.ts";

const $display = Symbol.for("Jupyter.display");

type Displayable = { [$display]: () => MediaBundle | Promise<MediaBundle> };

function displayable(bundle: MediaBundle): Displayable {
  return { [$display]: () => bundle };
}

function template(strings: TemplateStringsArray, values: unknown[]): string {
  return strings.reduce(
    (s, part, i) => s + part + (i < values.length ? String(values[i]) : ""),
    "",
  );
}

async function format(obj: unknown): Promise<MediaBundle> {
  if (obj && typeof obj === "object" && $display in obj) {
    return await (obj as Displayable)[$display]();
  }
  return { "text/plain": Deno.inspect(obj, { colors: false }) };
}

/** The degraded `Deno.jupyter` API (same shape; outputs become text and files). */
export const jupyterShim = {
  $display,
  async display(obj: unknown, options: { raw?: boolean } = {}): Promise<void> {
    const raw = options.raw ?? true;
    const bundle = raw && obj && typeof obj === "object" && !($display in obj)
      ? obj as MediaBundle
      : await format(obj);
    await displayMedia(bundle);
  },
  md(strings: TemplateStringsArray, ...values: unknown[]): Displayable {
    return displayable({ "text/markdown": template(strings, values) });
  },
  html(strings: TemplateStringsArray, ...values: unknown[]): Displayable {
    return displayable({ "text/html": template(strings, values) });
  },
  svg(strings: TemplateStringsArray, ...values: unknown[]): Displayable {
    return displayable({ "image/svg+xml": template(strings, values) });
  },
  image(pathOrBytes: string | Uint8Array): Displayable {
    const bytes = typeof pathOrBytes === "string" ? Deno.readFileSync(pathOrBytes) : pathOrBytes;
    const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
    return displayable({ [jpeg ? "image/jpeg" : "image/png"]: toBase64(bytes) });
  },
  format,
  async broadcast(msgType: string, content: Record<string, unknown>): Promise<void> {
    if (msgType === "display_data" || msgType === "update_display_data") {
      await displayMedia((content.data ?? {}) as MediaBundle);
    } else if (msgType === "stream" && typeof content.text === "string") {
      console.log(content.text.replace(/\n$/, ""));
    }
  },
};

/**
 * `Deno.jupyter` inside the kernel, else {@linkcode jupyterShim}. The book runner rewrites
 * `Deno.jupyter` in notebook cells to this binding.
 */
export const jupyter: typeof Deno.jupyter = inJupyter()
  ? Deno.jupyter
  : (jupyterShim as unknown as typeof Deno.jupyter);
