/**
 * Telling what a file really is from its first bytes ("magic bytes"), whatever its name says.
 *
 * Image-search downloads and scraped folders are full of files whose extension lies: PNGs named
 * `.jpg`, HTML error pages saved as `photo.jpg`, WebPs with no extension at all. The builder trusts
 * only {@link sniffFormat}.
 *
 * @module
 */

/** Raster formats the builder accepts (all decoded by sharp's prebuilt libvips). */
export type ImageFormat = "jpeg" | "png" | "webp" | "gif" | "tiff" | "avif";

/** What {@link sniffFormat} can report: an accepted image format, or what the bytes look like. */
export type SniffedFormat =
  | ImageFormat
  | "bmp"
  | "heic"
  | "svg"
  | "html"
  | "xml"
  | "json"
  | "pdf"
  | "empty"
  | "unknown";

/** The accepted image formats, in a fixed order. */
export const IMAGE_FORMATS: readonly ImageFormat[] = ["jpeg", "png", "webp", "gif", "tiff", "avif"];

/** True when `format` is one of {@link IMAGE_FORMATS}. */
export function isImageFormat(format: string): format is ImageFormat {
  return (IMAGE_FORMATS as readonly string[]).includes(format);
}

/** The usual file extension (without the dot) for an accepted format. */
export function extensionFor(format: ImageFormat): string {
  return format === "jpeg" ? "jpg" : format === "tiff" ? "tif" : format;
}

/** The format an extension claims (`.jpg`, `.JPEG` → `jpeg`), or undefined for other extensions. */
export function formatFromExtension(fileName: string): ImageFormat | undefined {
  const m = /\.([A-Za-z0-9]+)$/.exec(fileName);
  if (!m) return undefined;
  const ext = m[1].toLowerCase();
  const map: Record<string, ImageFormat> = {
    jpg: "jpeg",
    jpeg: "jpeg",
    jpe: "jpeg",
    jfif: "jpeg",
    png: "png",
    webp: "webp",
    gif: "gif",
    tif: "tiff",
    tiff: "tiff",
    avif: "avif",
  };
  return map[ext];
}

function startsWith(bytes: Uint8Array, sig: number[], offset = 0): boolean {
  if (bytes.length < offset + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (bytes[offset + i] !== sig[i]) return false;
  return true;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < Math.min(end, bytes.length); i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/**
 * The format of a file from its first bytes (16 are enough for images; text formats look at up to
 * the first 512). Never throws.
 */
export function sniffFormat(bytes: Uint8Array): SniffedFormat {
  if (bytes.length === 0) return "empty";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return "webp";
  if (ascii(bytes, 0, 6) === "GIF87a" || ascii(bytes, 0, 6) === "GIF89a") return "gif";
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) {
    return "tiff";
  }
  if (ascii(bytes, 4, 8) === "ftyp") {
    const brand = ascii(bytes, 8, 12);
    if (brand === "avif" || brand === "avis") return "avif";
    if (/^(heic|heix|hevc|hevx|mif1|msf1)$/.test(brand)) return "heic";
  }
  if (ascii(bytes, 0, 2) === "BM" && bytes.length >= 14) return "bmp";
  if (ascii(bytes, 0, 5) === "%PDF-") return "pdf";
  // Text: skip a UTF-8 BOM and leading white space, then look at the start.
  let i = 0;
  if (startsWith(bytes, [0xef, 0xbb, 0xbf])) i = 3;
  while (i < bytes.length && i < 512 && /\s/.test(String.fromCharCode(bytes[i]))) i++;
  const head = ascii(bytes, i, i + 512).toLowerCase();
  if (head.startsWith("<!doctype html") || head.startsWith("<html") || head.includes("<head")) {
    return "html";
  }
  if (head.startsWith("<svg") || (head.startsWith("<?xml") && head.includes("<svg"))) return "svg";
  if (head.startsWith("<?xml")) return "xml";
  if (head.startsWith("{") || head.startsWith("[")) return "json";
  return "unknown";
}
