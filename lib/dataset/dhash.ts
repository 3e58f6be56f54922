/**
 * Near-duplicate detection with a perceptual hash.
 *
 * dHash ("difference hash"): shrink the upright image to 9×8 grey pixels and record, for each of
 * the 8 rows, whether each pixel is brighter than its right neighbour: 64 bits. Re-encoding,
 * rescaling, small crops and colour tweaks change few bits; different photos differ in about 32.
 * Two images are near-duplicate *candidates* when the Hamming distance of their hashes is at most a
 * threshold. On photos shot alike (one product, centred, on the same backdrop) 64 bits are not
 * enough: different t-shirts hash within 4 bits of each other. So a candidate pair is confirmed
 * with {@link thumbnailDifference}, the mean absolute difference of 16×16 colour thumbnails after
 * removing each channel's mean: re-encoding, rescaling and brightness changes stay under about 7
 * (of 255), different items in the same pose measured 9 and more on the clothing photos.
 * {@link groupNearDuplicates} joins confirmed pairs into groups (transitively, with union-find) so
 * that a whole group can be kept in one split.
 *
 * @module
 */

/** A 64-bit dHash as two unsigned 32-bit halves (`hi` is rows 0-3, `lo` rows 4-7). */
export interface DHash {
  /** Bits 63..32. */
  hi: number;
  /** Bits 31..0. */
  lo: number;
}

/**
 * The dHash of a 9×8 grey image given row by row (72 bytes, as sharp's
 * `.greyscale().resize(9, 8, { fit: "fill" }).raw()` produces). Bit `r*8 + c` (counted from the
 * most significant) is 1 when pixel (r, c) is brighter than pixel (r, c + 1).
 */
export function dHashFromGrey9x8(grey: Uint8Array): DHash {
  if (grey.length !== 72) throw new Error(`dHash needs 9x8 = 72 grey bytes, got ${grey.length}`);
  let hi = 0;
  let lo = 0;
  for (let r = 0; r < 8; r++) {
    for (let c = 0; c < 8; c++) {
      const bit = grey[r * 9 + c] > grey[r * 9 + c + 1] ? 1 : 0;
      if (r < 4) hi = ((hi << 1) | bit) >>> 0;
      else lo = ((lo << 1) | bit) >>> 0;
    }
  }
  return { hi, lo };
}

/** The hash as 16 lower-case hex digits. */
export function dHashHex(hash: DHash): string {
  return hash.hi.toString(16).padStart(8, "0") + hash.lo.toString(16).padStart(8, "0");
}

/** Parses 16 hex digits written by {@link dHashHex}. */
export function parseDHash(hex: string): DHash {
  if (!/^[0-9a-f]{16}$/i.test(hex)) throw new Error(`not a 16-hex-digit dHash: ${hex}`);
  return { hi: parseInt(hex.slice(0, 8), 16) >>> 0, lo: parseInt(hex.slice(8), 16) >>> 0 };
}

function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** The number of differing bits between two hashes (0..64). */
export function hammingDistance(a: DHash, b: DHash): number {
  return popcount32((a.hi ^ b.hi) >>> 0) + popcount32((a.lo ^ b.lo) >>> 0);
}

/** One pair of near-duplicates found by {@link groupNearDuplicates}. */
export interface NearPair {
  /** Index of the first image. */
  a: number;
  /** Index of the second image (greater than `a`). */
  b: number;
  /** Their Hamming distance. */
  distance: number;
}

/** The result of {@link groupNearDuplicates}. */
export interface NearDuplicateGroups {
  /** For each image, the index of its group's representative (the smallest index in the group). */
  groupOf: Int32Array;
  /** Groups with more than one member, each sorted, ordered by their first member. */
  groups: number[][];
  /** Every confirmed pair within the threshold, ordered by (a, b). */
  pairs: NearPair[];
}

/** Side of the colour thumbnails compared by {@link thumbnailDifference}. */
export const THUMBNAIL_SIZE = 16;

/**
 * How different two `16 × 16 × 3` RGB thumbnails are: the mean absolute difference (0-255) after
 * subtracting each thumbnail's own per-channel mean (so a global brightness shift costs little).
 */
export function thumbnailDifference(a: Uint8Array, b: Uint8Array): number {
  const n = THUMBNAIL_SIZE * THUMBNAIL_SIZE * 3;
  if (a.length !== n || b.length !== n) {
    throw new Error(`thumbnails must be ${n} bytes, got ${a.length} and ${b.length}`);
  }
  const mean = [0, 0, 0];
  for (let i = 0; i < n; i++) mean[i % 3] += (a[i] - b[i]) / (n / 3);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs(a[i] - b[i] - mean[i % 3]);
  return sum / n;
}

/**
 * Groups images whose hashes are within `maxDistance` bits of each other and for which `confirm`
 * (default: always) agrees, transitively (if A ~ B and B ~ C, then A, B and C share a group). A
 * negative `maxDistance` disables the grouping. All pairs are compared: about 2 ms per million
 * pairs, so fine for tens of thousands of images.
 */
export function groupNearDuplicates(
  hashes: DHash[],
  maxDistance: number,
  confirm: (a: number, b: number) => boolean = () => true,
): NearDuplicateGroups {
  const n = hashes.length;
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  const pairs: NearPair[] = [];
  if (maxDistance >= 0) {
    const hi = Uint32Array.from(hashes, (h) => h.hi);
    const lo = Uint32Array.from(hashes, (h) => h.lo);
    for (let a = 0; a < n; a++) {
      const ha = hi[a];
      const la = lo[a];
      for (let b = a + 1; b < n; b++) {
        const d = popcount32((ha ^ hi[b]) >>> 0) + popcount32((la ^ lo[b]) >>> 0);
        if (d <= maxDistance && confirm(a, b)) {
          pairs.push({ a, b, distance: d });
          const ra = find(a);
          const rb = find(b);
          if (ra !== rb) {
            if (ra < rb) parent[rb] = ra;
            else parent[ra] = rb;
          }
        }
      }
    }
  }
  const groupOf = new Int32Array(n);
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const r = find(i);
    groupOf[i] = r;
    const list = members.get(r);
    if (list) list.push(i);
    else members.set(r, [i]);
  }
  const groups = [...members.values()].filter((g) => g.length > 1).sort((x, y) => x[0] - y[0]);
  return { groupOf, groups, pairs };
}
