import * as path from "node:path";
import sharp from "sharp";
import { assert, assertEquals, assertRejects } from "../testing/asserts.ts";
import { hammingDistance } from "./dhash.ts";
import { ImageRejectedError, processImage } from "./image.ts";
import { FACE_MASK, inCI, requireMirror, syntheticPhoto } from "./test_helpers.ts";

const opts = { size: 32, fit: "crop" as const, minSize: 32 };

async function pixels(png: Uint8Array) {
  return await sharp(png).raw().toBuffer({ resolveWithObject: true });
}

Deno.test("processImage: RGB PNG of the asked size, deterministic bytes", async () => {
  const jpg = await syntheticPhoto(1, 120, 80);
  const a = await processImage(jpg, opts);
  const b = await processImage(jpg, opts);
  assertEquals(a.format, "jpeg");
  assertEquals([a.width, a.height, a.orientation], [120, 80, 1]);
  assertEquals(a.png, b.png);
  const { info } = await pixels(a.png);
  assertEquals([info.width, info.height, info.channels], [32, 32, 3]);
  // pad keeps the whole picture: the top rows of a wide image are black padding.
  const padded = await processImage(jpg, { ...opts, fit: "pad" });
  const { data } = await pixels(padded.png);
  assertEquals(data[0] + data[1] + data[2], 0);
});

Deno.test("processImage applies the EXIF orientation before size, hash and crop", async () => {
  const upright = await syntheticPhoto(2, 120, 80);
  const uprightResult = await processImage(upright, opts);
  // Orientation 6 = the stored pixels must be rotated 90° clockwise to display: store them
  // rotated the other way, so that once upright the picture equals `upright` turned by 90°.
  const stored = await sharp(upright).rotate(-90).withMetadata({ orientation: 6 }).jpeg({
    quality: 95,
  }).toBuffer();
  const r = await processImage(new Uint8Array(stored), opts);
  assertEquals([r.width, r.height, r.orientation], [120, 80, 6]);
  assert(hammingDistance(r.dhash, uprightResult.dhash) <= 4, "upright hashes agree");
});

Deno.test("processImage rejects truncated, non-image, empty and too-small inputs", async () => {
  const jpg = await syntheticPhoto(3, 400, 300);
  await assertRejects(
    () => processImage(jpg.slice(0, Math.floor(jpg.length / 2)), opts),
    ImageRejectedError,
    "truncated jpeg (no end-of-image marker)",
  );
  await assertRejects(
    () => processImage(new TextEncoder().encode("<!doctype html><p>404"), opts),
    ImageRejectedError,
    "not an image (html)",
  );
  await assertRejects(() => processImage(new Uint8Array(0), opts), ImageRejectedError, "empty");
  await assertRejects(
    async () => processImage(await syntheticPhoto(4, 40, 20), opts),
    ImageRejectedError,
    "too small: 40x20",
  );
});

Deno.test("processImage flattens transparency onto white", async () => {
  const rgba = await sharp({
    create: { width: 40, height: 40, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
  }).png().toBuffer();
  const r = await processImage(new Uint8Array(rgba), opts);
  const { data } = await pixels(r.png);
  assertEquals([data[0], data[1], data[2]], [255, 255, 255]);
});

Deno.test({
  name: "face-mask torture sample: a PNG and a WebP with lying names decode by their bytes",
  ignore: FACE_MASK === undefined && !inCI,
  fn: async () => {
    const png = await Deno.readFile(
      path.join(requireMirror("face-mask"), "with_mask", "with_mask129.jpg"),
    );
    assertEquals((await processImage(png, opts)).format, "png");
    const webp = await Deno.readFile(
      path.join(requireMirror("face-mask"), "with_mask", "black3.jpg_1088Wx1632H"),
    );
    assertEquals((await processImage(webp, opts)).format, "webp");
  },
});
