/**
 * The dataset's square fit as libvips operations, for libvips compiled to WebAssembly
 * ([wasm-vips](https://github.com/kleisauke/wasm-vips)): what sharp runs for
 * `sharp(bytes).rotate().resize(size, size, { fit, background: black }).removeAlpha()
 * .toColourspace("srgb").raw()` (`deno task predict`, `lib/dataset/image.ts`), step by step, so a
 * page in a browser gets the same bytes from the same image file.
 *
 * wasm-vips 0.0.19 bundles the libvips (8.18.7), mozjpeg, libpng and libwebp that sharp 0.35.5
 * ships, so the same operations give the same pixels: `vips_fit_test.ts` checks them byte for byte
 * against sharp. The steps follow sharp's `src/pipeline.cc`:
 * 1. load the file; read its EXIF orientation (a turn of 90/180/270° and a mirror);
 * 2. one shrink for both axes (`cover`: the smaller of width/size and height/size, `contain`: the
 *    larger; never below one pixel);
 * 3. a JPEG is loaded again with libjpeg's shrink-on-load (1/2, 1/4, 1/8: the largest the shrink
 *    allows, one step less when the shrink is exactly that integer), a WebP at scale 1/shrink,
 *    and the shrink is recomputed from the smaller image;
 * 4. an embedded ICC profile is converted to sRGB (perceptual intent);
 * 5. `resize` with the Lanczos-3 kernel (alpha premultiplied around it);
 * 6. the EXIF turn and mirror, after the resize;
 * 7. centre crop (`cover`) or centred on black (`contain`);
 * 8. alpha dropped, sRGB, 8 bits.
 *
 * @module
 */
import type Vips from "wasm-vips";

/** An initialised wasm-vips module (what `await Vips()` returns). */
export type VipsModule = Awaited<ReturnType<typeof Vips>>;
type Image = Vips.Image;

/** An RGB image as interleaved 8-bit bytes (also what lib/detect's BlazeFace reads). */
export interface RgbImage {
  /** `height · width · 3` bytes, row-major. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/** The turn and mirror sharp applies for an EXIF orientation (`CalculateExifRotationAndFlop`). */
const ORIENT: Record<number, { angle: "d0" | "d90" | "d180" | "d270"; flop: boolean }> = {
  2: { angle: "d0", flop: true },
  3: { angle: "d180", flop: false },
  4: { angle: "d180", flop: true },
  5: { angle: "d90", flop: true },
  6: { angle: "d90", flop: false },
  7: { angle: "d270", flop: true },
  8: { angle: "d270", flop: false },
};

/** sharp's `ResolveShrink` for a `size × size` target. */
function shrinks(width: number, height: number, size: number, fit: "cover" | "contain") {
  const h = width / size;
  const v = height / size;
  const s = fit === "cover" ? Math.min(h, v) : Math.max(h, v);
  // "We don't want to shrink so much that we send an axis to 0."
  return { h: Math.min(s, width), v: Math.min(s, height) };
}

/**
 * The image file's pixels fitted into a `size × size` square exactly as sharp does it
 * (see the module doc): upright, Lanczos-3, centre-cropped (`cover`) or padded with black
 * (`contain`), RGB. Throws on a file libvips cannot decode (the error names the loader's reason).
 */
export function fitSquareVips(
  vips: VipsModule,
  bytes: Uint8Array,
  size: number,
  fit: "cover" | "contain",
): RgbImage {
  if (!(Number.isInteger(size) && size > 0)) throw new Error(`fitSquareVips: bad size ${size}`);
  const made: Image[] = [];
  const keep = (im: Image) => (made.push(im), im);
  try {
    // sharp's load options: failOn "error" (predict's), sequential access (sharp's default;
    // random access gives other bytes in places, e.g. one row of a shrunk RGBA PNG).
    const load = { fail_on: "error", access: "sequential" } as const;
    let image = keep(vips.Image.newFromBuffer(bytes, "", load));
    const loader = image.getTypeof("vips-loader") ? image.getString("vips-loader") : "";
    const orientation = image.getTypeof("orientation") ? image.getInt("orientation") : 1;
    const { angle, flop } = ORIENT[orientation] ?? { angle: "d0", flop: false };
    // (sharp swaps the target's width and height for a 90/270° turn: a square needs no swap.)
    let shrink = shrinks(image.width, image.height, size, fit);

    // Shrink-on-load (sharp's fastShrinkOnLoad, the default).
    const common = Math.min(shrink.h, shrink.v);
    if (loader.startsWith("jpegload")) {
      let onLoad = common >= 8 ? 8 : common >= 4 ? 4 : common >= 2 ? 2 : 1;
      // "Lower shrink-on-load for known libjpeg rounding errors."
      if (onLoad > 1 && Math.trunc(common) === onLoad) onLoad /= 2;
      if (onLoad > 1) {
        image = keep(vips.Image.jpegloadBuffer(bytes, { ...load, shrink: onLoad }));
      }
    } else if (loader.startsWith("webpload") && common > 1) {
      image = keep(vips.Image.webploadBuffer(bytes, { ...load, scale: 1 / common }));
    }
    shrink = shrinks(image.width, image.height, size, fit);

    // Colour: an embedded profile to sRGB (P3 for 16-bit RGB), CMYK through libvips' own profile.
    const interpretation = String(image.interpretation);
    const sixteen = interpretation === "rgb16" || interpretation === "grey16";
    if (
      image.getTypeof("icc-profile-data") && interpretation !== "labs" &&
      interpretation !== "grey16"
    ) {
      try {
        image = keep(image.iccTransform(interpretation === "rgb16" ? "p3" : "srgb", {
          embedded: true,
          depth: sixteen ? 16 : 8,
          intent: "perceptual",
        }));
      } catch { /* sharp warns "Invalid embedded profile" and goes on */ }
    } else if (interpretation === "cmyk") {
      image = keep(image.iccTransform("srgb", { input_profile: "cmyk", intent: "perceptual" }));
    }

    const resize = shrink.h !== 1 || shrink.v !== 1;
    const format = image.format;
    const premultiply = image.hasAlpha() && resize;
    if (premultiply) image = keep(keep(image.premultiply()).cast(format));
    if (resize) {
      image = keep(image.resize(1 / shrink.h, { vscale: 1 / shrink.v, kernel: "lanczos3" }));
    }
    if (angle !== "d0") image = keep(image.rot(angle));
    if (flop) image = keep(image.flip("horizontal"));

    const { width, height } = image;
    if (width !== size || height !== size) {
      if (fit === "contain") {
        // sharp's ApplyAlpha for a black, opaque background (alpha 255, ×256 for 16 bits).
        const opaque = 255 * (String(image.interpretation).endsWith("16") ? 256 : 1);
        const background = image.bands > 2 ? [0, 0, 0] : [0];
        if (image.hasAlpha()) background.push(opaque);
        image = keep(image.embed(
          Math.trunc((size - width) / 2),
          Math.trunc((size - height) / 2),
          Math.max(width, size),
          Math.max(height, size),
          { extend: "background", background },
        ));
      } else {
        const w = Math.min(width, size);
        const h = Math.min(height, size);
        image = keep(image.extractArea(
          Math.trunc((width - w + 1) / 2),
          Math.trunc((height - h + 1) / 2),
          w,
          h,
        ));
      }
    }
    if (premultiply) image = keep(keep(image.unpremultiply()).cast(format));
    while (image.bands > 1 && image.hasAlpha()) {
      image = keep(image.extractBand(0, { n: image.bands - 1 }));
    }
    const space = String(image.interpretation);
    if (space === "rgb16" || space === "grey16") image = keep(image.cast("ushort"));
    if (space !== "srgb") image = keep(image.colourspace("srgb", { source_space: space }));
    if (String(image.format) !== "uchar") image = keep(image.cast("uchar"));
    if (image.bands !== 3) throw new Error(`fitSquareVips: ${image.bands} bands after sRGB`);
    const data = new Uint8Array(image.writeToMemory());
    return { data, width: image.width, height: image.height };
  } finally {
    for (const im of made) im.delete();
  }
}
