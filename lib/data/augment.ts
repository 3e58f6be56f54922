/**
 * Data augmentation on batches of images stored as NCHW float arrays: cheap, label-preserving
 * changes that show the network more variety than the training set holds.
 *
 * @module
 */

/**
 * Shifts every image of the batch by a random whole number of pixels in [−maxShift, maxShift]
 * along each axis, in place, filling the uncovered border with `fill` (0: MNIST's black
 * background). `images` holds `count` images of `channels × height × width`.
 */
export function randomTranslate(
  images: Float32Array,
  shape: readonly [number, number, number],
  maxShift: number,
  rng: () => number,
  fill = 0,
): void {
  const [channels, height, width] = shape;
  const size = channels * height * width;
  if (images.length % size !== 0) {
    throw new Error(
      `randomTranslate: ${images.length} values are not a whole number of ${channels}x${height}x${width} images`,
    );
  }
  const scratch = new Float32Array(size);
  const span = 2 * maxShift + 1;
  for (let base = 0; base < images.length; base += size) {
    const dy = Math.floor(rng() * span) - maxShift;
    const dx = Math.floor(rng() * span) - maxShift;
    if (dx === 0 && dy === 0) continue;
    scratch.fill(fill);
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < height; y++) {
        const sy = y - dy;
        if (sy < 0 || sy >= height) continue;
        const row = base + (c * height + sy) * width;
        const out = (c * height + y) * width;
        for (let x = Math.max(0, dx); x < Math.min(width, width + dx); x++) {
          scratch[out + x] = images[row + x - dx];
        }
      }
    }
    images.set(scratch, base);
  }
}
