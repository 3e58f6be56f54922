/// <reference lib="dom" />
/**
 * A photo chosen in a page as RGB bytes, the way the book's command-line tools read it with
 * sharp: decoded by the browser at full size, EXIF orientation applied, alpha dropped.
 *
 * @module
 */
import type { PixelImage } from "../../dataset/resize.ts";

/** Whether the file starts with a JPEG's magic bytes. */
export async function isJpeg(file: Blob): Promise<boolean> {
  const head = new Uint8Array(await file.slice(0, 3).arrayBuffer());
  return head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
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
