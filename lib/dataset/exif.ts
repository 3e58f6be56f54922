/**
 * The EXIF orientation tag of a JPEG, read from its bytes in plain TypeScript (the browser demos
 * need it: sharp resizes a photo as stored and turns it upright afterwards, so the page must know
 * how it is stored to resize it the same way).
 *
 * @module
 */

/** EXIF orientation (1-8) of a JPEG's first Exif segment; 1 when there is none or it is unreadable. */
export function exifOrientation(bytes: Uint8Array): number {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1];
    if (marker === 0xda || marker === 0xd9) break; // image data starts: no more metadata
    const length = view.getUint16(at + 2);
    const start = at + 4;
    if (marker === 0xe1 && length >= 8 && start + length - 2 <= bytes.length) {
      const orientation = fromExif(view, start, start + length - 2);
      if (orientation) return orientation;
    }
    at = start + length - 2;
  }
  return 1;
}

function fromExif(view: DataView, start: number, end: number): number | undefined {
  // "Exif\0\0", then a TIFF header: byte order, 42, offset of the first IFD.
  if (view.getUint32(start) !== 0x45786966 || view.getUint16(start + 4) !== 0) return undefined;
  const tiff = start + 6;
  if (tiff + 8 > end) return undefined;
  const order = view.getUint16(tiff);
  if (order !== 0x4949 && order !== 0x4d4d) return undefined;
  const little = order === 0x4949;
  if (view.getUint16(tiff + 2, little) !== 42) return undefined;
  const ifd = tiff + view.getUint32(tiff + 4, little);
  if (ifd + 2 > end) return undefined;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + 12 * i;
    if (entry + 12 > end) return undefined;
    if (view.getUint16(entry, little) === 0x0112) {
      const value = view.getUint16(entry + 8, little);
      return value >= 1 && value <= 8 ? value : undefined;
    }
  }
  return undefined;
}
