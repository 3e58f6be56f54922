import sharp from "sharp";
import { assert, assertAlmostEquals, assertEquals } from "../testing/asserts.ts";
import { mirrorDirsFor } from "../data/assets.ts";
import { useWasm } from "../tfjs/mod.ts";
import { BlazeFace, blazeFaceAnchors, cropBox, iou, nonMaxSuppression } from "./mod.ts";

Deno.test("iou: identical, disjoint, half-overlapping boxes", () => {
  const a = { x: 0, y: 0, width: 10, height: 10 };
  assertEquals(iou(a, a), 1);
  assertEquals(iou(a, { x: 20, y: 0, width: 10, height: 10 }), 0);
  assertAlmostEquals(iou(a, { x: 5, y: 0, width: 10, height: 10 }), 50 / 150, 1e-12);
});

Deno.test("nonMaxSuppression keeps the best of overlapping boxes and all separate ones", () => {
  const box = (x: number, score: number) => ({ x, y: 0, width: 10, height: 10, score });
  const kept = nonMaxSuppression([box(0, 0.7), box(1, 0.9), box(30, 0.8), box(2, 0.6)], 0.3, 10);
  assertEquals(kept.map((b) => [b.x, b.score]), [[1, 0.9], [30, 0.8]]);
  assertEquals(nonMaxSuppression([box(0, 0.5), box(30, 0.8)], 0.3, 1).length, 1);
});

Deno.test("blazeFaceAnchors: 896 anchor centres on the 16x16 and 8x8 grids", () => {
  const a = blazeFaceAnchors();
  assertEquals(a.length, 2 * 896);
  assertEquals([a[0], a[1]], [0.5 / 16, 0.5 / 16]);
  assertEquals([a[2 * 512], a[2 * 512 + 1]], [0.5 / 8, 0.5 / 8]);
});

Deno.test("cropBox grows the box by the margin around its centre and stays inside the image", () => {
  const c = cropBox({ x: 40, y: 40, width: 20, height: 20, score: 1 }, 100, 100, 0.25);
  assertEquals(c, { x: 35, y: 35, width: 30, height: 30 });
  const edge = cropBox({ x: 0, y: 0, width: 20, height: 20, score: 1 }, 100, 100, 0.5);
  assertEquals([edge.x, edge.y], [0, 0]);
});

// Tight face crops (most photos of the source are): the detector's box then matches the pasted
// rectangle. Photos with much background around the face give a smaller IoU by construction.
const FACES = [
  "with_mask/0_0_0 copy 10.jpg",
  "without_mask/0_0_aidai_0014.jpg",
  "without_mask/0_0_anhu_0004.jpg",
];
function mirrorFile(rel: string): string | undefined {
  for (const d of mirrorDirsFor()) {
    try {
      if (Deno.statSync(`${d}/face-mask/${rel}`).isFile) return `${d}/face-mask/${rel}`;
    } catch { /* not in this mirror */ }
  }
  return undefined;
}

Deno.test({
  name: "BlazeFace finds faces pasted on a plain background at known places (mirror photos)",
  ignore: FACES.some((f) => mirrorFile(f) === undefined),
  fn: async () => {
    await useWasm();
    const detector = await BlazeFace.load("back");
    const layers = [];
    const truth = [];
    for (const [i, f] of FACES.entries()) {
      const face = await sharp(mirrorFile(f)!).resize(110, 110, { fit: "inside" }).removeAlpha()
        .toBuffer({ resolveWithObject: true });
      const left = 20 + 150 * i, top = i === 1 ? 160 : 40;
      layers.push({ input: face.data, left, top });
      truth.push({ x: left, y: top, width: face.info.width, height: face.info.height });
    }
    const composed = await sharp({
      create: { width: 480, height: 320, channels: 3, background: { r: 110, g: 140, b: 160 } },
    }).composite(layers).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const faces = await detector.detect({
      data: new Uint8Array(composed.data),
      width: composed.info.width,
      height: composed.info.height,
    });
    detector.dispose();
    // Every pasted face is found: a detection whose centre lies inside its rectangle, IoU >= 0.5.
    for (const t of truth) {
      const hit = faces.find((b) => {
        const cx = b.x + b.width / 2, cy = b.y + b.height / 2;
        return cx > t.x && cx < t.x + t.width && cy > t.y && cy < t.y + t.height;
      });
      assert(hit !== undefined, `no face found at ${JSON.stringify(t)}: ${JSON.stringify(faces)}`);
      assert(iou(hit, t) >= 0.5, `IoU ${iou(hit, t)} with ${JSON.stringify(t)}`);
    }
    assertEquals(faces.length, truth.length);
  },
});
