import * as tf from "@tensorflow/tfjs";
import { useWasm } from "../tfjs/backend.ts";
import { Rng } from "../autograd/random.ts";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../testing/asserts.ts";
import { randomZoom, zoomBoxes } from "./zoom.ts";

await useWasm();

Deno.test("zoomBoxes: sides within the scale range, centres within the shift", () => {
  const rng = new Rng(1);
  const boxes = zoomBoxes(500, () => rng.next(), { minScale: 0.5, maxScale: 2, maxShift: 0.2 });
  let smaller = 0;
  for (let i = 0; i < 500; i++) {
    const [y1, x1, y2, x2] = boxes.subarray(i * 4, i * 4 + 4);
    assertAlmostEquals(y2 - y1, x2 - x1, 1e-6); // square boxes keep the aspect ratio
    assert(y2 - y1 >= 0.5 - 1e-6 && y2 - y1 <= 2 + 1e-6, `side ${y2 - y1}`);
    assert(
      Math.abs((y1 + y2) / 2 - 0.5) <= 0.2 + 1e-6 && Math.abs((x1 + x2) / 2 - 0.5) <= 0.2 + 1e-6,
    );
    if (y2 - y1 < 1) smaller++;
  }
  assert(smaller > 200 && smaller < 300, `log-uniform: half the boxes zoom in (${smaller})`);
  assertThrows(() => zoomBoxes(1, () => 0, { minScale: 0 }), Error, "minScale");
});

Deno.test("randomZoom: identity box keeps the image; zooming out pads with fill; labels kept", () => {
  // An image whose pixel (r, c) holds r * 10 + c.
  const img = tf.tensor4d(Array.from({ length: 64 }, (_, i) => Math.floor(i / 8) * 10 + (i % 8)), [
    1,
    8,
    8,
    1,
  ]);
  const y = tf.tensor2d([[0, 1]]);
  const same = randomZoom({ minScale: 1, maxScale: 1, maxShift: 0 })({ x: img, y }, new Rng(1));
  // cropAndResize maps the box [0, 1] onto pixel centres 0..7: the identity.
  assertEquals(Array.from(same.x.dataSync()).map((v) => Math.round(v)), Array.from(img.dataSync()));
  assertEquals(same.y.arraySync(), [[0, 1]]);
  const out = randomZoom({ minScale: 2, maxScale: 2, maxShift: 0, fill: -1 })(
    { x: img, y },
    new Rng(1),
  );
  const v = out.x.arraySync() as number[][][][];
  assertEquals(v[0][0][0][0], -1); // corner comes from outside the image
  assert(v[0][4][4][0] >= 0, "the centre is still the image");
  assertEquals(out.x.shape, [1, 8, 8, 1]);
  tf.dispose([img, y, same.x, same.y, out.x, out.y]);
});
