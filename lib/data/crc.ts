/**
 * CRC checksums for file formats we write: CRC-32C (Castagnoli) with TFRecord's mask for
 * TensorBoard event files, and CRC-32 (IEEE) for PNG chunks.
 *
 * @module
 */

function table(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
}

const CASTAGNOLI = table(0x82f63b78);
const IEEE = table(0xedb88320);

function crc(t: Uint32Array, data: Uint8Array, seed = 0): number {
  let c = ~seed >>> 0;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/** CRC-32C (Castagnoli); `crc32c("123456789") === 0xe3069283`. */
export function crc32c(data: Uint8Array): number {
  return crc(CASTAGNOLI, data);
}

/** TFRecord's masked CRC-32C: rotate right by 15 bits and add `0xa282ead8`. */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** CRC-32 (IEEE 802.3, as in PNG and zip); `crc32("123456789") === 0xcbf43926`. */
export function crc32(data: Uint8Array, seed = 0): number {
  return crc(IEEE, data, seed);
}
