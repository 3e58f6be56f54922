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

/**
 * Runs `handle` on the photo chosen in `input` or dropped onto `root`; a rejection goes to
 * `onError` with the file, so the page can say which photo failed.
 */
export function onPhoto(
  root: HTMLElement,
  input: HTMLInputElement,
  handle: (file: File) => Promise<void>,
  onError: (file: File, error: unknown) => void,
): void {
  const start = (file: File | undefined) => {
    if (file) handle(file).catch((e) => onError(file, e));
  };
  input.addEventListener("change", () => start(input.files?.[0]));
  root.addEventListener("dragover", (e) => e.preventDefault());
  root.addEventListener("drop", (e) => {
    e.preventDefault();
    start(e.dataTransfer?.files[0]);
  });
}
