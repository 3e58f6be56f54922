/// <reference lib="dom" />
/**
 * A photo chosen in a page as RGB bytes, the way the book's command-line tools read it with
 * sharp: decoded by the browser at full size, EXIF orientation applied, alpha dropped.
 *
 * @module
 */

/** An interleaved 8-bit image. */
export interface PixelImage {
  /** `height · width · channels` bytes, row-major. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Channels per pixel (3 for RGB). */
  channels: number;
}

/** The upright photo at full resolution, 3 channels. */
export async function decodeRgb(file: Blob): Promise<PixelImage> {
  const img = await createImageBitmap(file, { imageOrientation: "from-image" });
  const canvas = document.createElement("canvas");
  canvas.width = img.width;
  canvas.height = img.height;
  const g = canvas.getContext("2d", { willReadFrequently: true })!;
  g.drawImage(img, 0, 0);
  img.close();
  const rgba = g.getImageData(0, 0, canvas.width, canvas.height).data;
  const data = new Uint8Array(canvas.width * canvas.height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    data[j] = rgba[i];
    data[j + 1] = rgba[i + 1];
    data[j + 2] = rgba[i + 2];
  }
  return { data, width: canvas.width, height: canvas.height, channels: 3 };
}
