// fitSquareVips (libvips in WebAssembly, what the classifier demo runs in the page) against
// sharp's own pipeline (`deno task predict`): the same bytes, for PNG (RGB, RGBA, grey, 16-bit),
// JPEG (every shrink-on-load factor, every EXIF orientation, an embedded P3 profile), WebP and
// GIF, each fitted with cover and contain into 16, 64 and 224 pixels (down and up).
import Vips from "wasm-vips";
import sharp from "sharp";
import { assertEquals } from "../testing/asserts.ts";
import { mirrorDirsFor } from "../data/assets.ts";
import { fitSquareVips, type VipsModule } from "./vips_fit.ts";

/** Runs `fn` with wasm-vips (the core only: no HEIF, JXL, SVG), shut down afterwards. */
async function withVips(fn: (vips: VipsModule) => Promise<void> | void): Promise<void> {
  const vips = await Vips({ dynamicLibraries: [] });
  try {
    await fn(vips);
  } finally {
    vips.shutdown();
  }
}

/** Noisy RGB(A) pixels: smooth waves plus seeded noise, so every filter tap matters. */
function noisy(width: number, height: number, channels = 3, seed = 1): Uint8Array {
  let s = seed;
  return new Uint8Array(width * height * channels).map((_, i) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return Math.round(127 + 90 * Math.sin(i / 131) + (s % 41) - 20);
  });
}

const raw = (w: number, h: number, channels: 1 | 3 | 4 = 3) =>
  sharp(noisy(w, h, channels), { raw: { width: w, height: h, channels } });

/** What `deno task predict` feeds the model (before scaling to [0, 1]). */
async function sharpFit(bytes: Uint8Array, size: number, fit: "cover" | "contain") {
  return new Uint8Array(
    await sharp(bytes, { failOn: "error" }).rotate()
      .resize(size, size, { fit, background: { r: 0, g: 0, b: 0 } })
      .removeAlpha().toColourspace("srgb").raw().toBuffer(),
  );
}

/** Up to `n` clothing photos from the data mirror, when there is one here. */
async function mirrorPhotos(n: number): Promise<[string, Uint8Array][]> {
  for (const d of mirrorDirsFor()) {
    const dir = `${d}/clothing-dataset-small/train/t-shirt`;
    try {
      const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort().slice(0, n);
      return await Promise.all(
        names.map(async (f) =>
          [`mirror ${f}`, await Deno.readFile(`${dir}/${f}`)] as [
            string,
            Uint8Array,
          ]
        ),
      );
    } catch { /* not in this mirror */ }
  }
  return [];
}

Deno.test({
  name: "fitSquareVips gives sharp's bytes exactly (PNG, JPEG shrink-on-load and EXIF, ICC, …)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withVips(async (vips) => {
      const files: [string, Uint8Array][] = [];
      const add = async (name: string, s: ReturnType<typeof sharp>) =>
        files.push([name, new Uint8Array(await s.toBuffer())]);
      for (const [w, h] of [[53, 41], [300, 200], [97, 131], [40, 30]]) {
        await add(`png ${w}×${h}`, raw(w, h).png());
      }
      await add("png rgba", raw(200, 150, 4).png());
      // Shrunk into 64 with contain, this one differs from sharp in one row when libvips reads it
      // with random access instead of sharp's sequential access.
      await add("png rgba 400×711", raw(400, 711, 4).png());
      await add("png grey", raw(200, 150, 1).png());
      await add("png 16-bit", raw(120, 80).toColourspace("rgb16").png());
      // JPEG: 120×90 (shrink-on-load 1 at 16 px cover... up to 4), 1600×1200 (8), every orientation.
      for (const [w, h] of [[120, 90], [1600, 1200]]) {
        for (const orientation of [1, 2, 3, 4, 5, 6, 7, 8]) {
          if (w > 120 && orientation % 2) continue; // the big one: only the even orientations
          await add(
            `jpeg ${w}×${h} orientation ${orientation}`,
            raw(w, h).jpeg({ quality: 90 }).withMetadata({ orientation }),
          );
        }
      }
      await add("jpeg, embedded P3 profile", raw(300, 200).withIccProfile("p3").jpeg());
      await add("webp", raw(300, 200).webp());
      await add("gif", raw(100, 80).gif());
      files.push(...await mirrorPhotos(3));
      const differing: string[] = [];
      for (const [name, bytes] of files) {
        for (const fit of ["cover", "contain"] as const) {
          for (const size of [16, 64, 224]) {
            const want = await sharpFit(bytes, size, fit);
            const got = fitSquareVips(vips, bytes, size, fit);
            assertEquals([got.width, got.height], [size, size], `${name} ${fit} ${size}`);
            let n = 0;
            for (let i = 0; i < want.length; i++) if (got.data[i] !== want[i]) n++;
            if (n) differing.push(`${name}, ${fit} ${size}: ${n} of ${want.length} bytes`);
          }
        }
      }
      assertEquals(differing, [], "bytes that differ from sharp's");
    });
  },
});

Deno.test({
  name: "fitSquareVips rejects a bad size and a file libvips cannot decode",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withVips(async (vips) => {
      const png = new Uint8Array(await raw(20, 20).png().toBuffer());
      let message = "";
      try {
        fitSquareVips(vips, png, 0, "cover");
      } catch (e) {
        message = (e as Error).message;
      }
      assertEquals(message, "fitSquareVips: bad size 0");
      message = "";
      try {
        fitSquareVips(vips, new TextEncoder().encode("not an image"), 16, "cover");
      } catch (e) {
        message = String(e);
      }
      assertEquals(message.length > 0, true, "undecodable bytes throw");
    });
  },
});
