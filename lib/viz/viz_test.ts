import { assert, assertEquals, assertMatch, assertThrows } from "../testing/asserts.ts";
import { confusionMatrix as countConfusion } from "../common/metrics.ts";
import {
  barChart,
  confusionMatrix,
  defaultFigureFile,
  encodePng,
  imageGrid,
  inJupyter,
  lineChart,
  plotlyChart,
  show,
  slug,
} from "./mod.ts";
import { niceTicks } from "./svg.ts";

async function pngSize(bytes: Uint8Array): Promise<{ width: number; height: number }> {
  const { default: sharp } = await import("sharp");
  const meta = await sharp(bytes).metadata();
  return { width: meta.width ?? 0, height: meta.height ?? 0 };
}

Deno.test("niceTicks gives round steps covering the range", () => {
  const { ticks, lo, hi } = niceTicks(0.07, 2.31, 6);
  assertEquals(lo, 0);
  assertEquals(hi, 2.5);
  assertEquals(ticks, [0, 0.5, 1, 1.5, 2, 2.5]);
  assertEquals(niceTicks(3, 3).ticks.length > 1, true);
});

Deno.test("encodePng round-trips through sharp", async () => {
  const px = new Uint8Array([0, 64, 128, 255, 10, 20]);
  const png = encodePng(px, 3, 2, 1);
  const { default: sharp } = await import("sharp");
  const meta = await sharp(png).metadata();
  assertEquals([meta.width, meta.height, meta.channels], [3, 2, 1]);
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assertEquals(Array.from(data).filter((_, i) => i % info.channels === 0), Array.from(px));
});

Deno.test("lineChart: series names, labels, PNG at 2x", async () => {
  const fig = lineChart({
    title: "loss <MLP>",
    xLabel: "epoch",
    yLabel: "loss",
    series: { train: [1, 0.5, NaN, 0.2], test: [1.1, 0.7, 0.5, 0.4] },
    width: 320,
    height: 200,
  });
  assertMatch(fig.svg, /train/);
  assertMatch(fig.svg, /test/);
  assertMatch(fig.svg, /loss &lt;MLP&gt;/);
  assertEquals(await pngSize(await fig.png()), { width: 640, height: 400 });
  // NaN splits the train line: a 2-point polyline plus a lone marker.
  assertEquals((fig.svg.match(/<polyline/g) ?? []).length, 2);
});

Deno.test("barChart handles single and grouped series", () => {
  const one = barChart({ labels: ["a", "b"], values: [1, 2] });
  assertEquals((one.svg.match(/fill="#0072B2"/g) ?? []).length, 2);
  const grouped = barChart({
    labels: ["a", "b", "c"],
    series: [{ name: "mlp", values: [1, 2, 3] }, { name: "cnn", values: [2, 3, 4] }],
  });
  assertMatch(grouped.svg, /cnn/);
});

Deno.test("confusionMatrix from counts and flat arrays", async () => {
  const m = countConfusion([0, 1, 2, 2, 1], [0, 2, 2, 2, 1], 3);
  assertEquals(m, [[1, 0, 0], [0, 1, 1], [0, 0, 2]]);
  const fig = confusionMatrix({ matrix: new Int32Array(m.flat()), labels: ["x", "y", "z"] });
  assertMatch(fig.svg, /predicted class/);
  assert((await fig.png()).length > 100);
  assertThrows(() => confusionMatrix({ matrix: [1, 2, 3] }), RangeError);
});

Deno.test("imageGrid: batch of gray and RGB images with captions", async () => {
  const gray = imageGrid({
    batch: { data: new Float32Array(3 * 4 * 4).fill(0.5), shape: [3, 4, 4] },
    captions: ["true 4 / pred 9", "b", "c"],
    columns: 2,
  });
  assertEquals((gray.svg.match(/<image /g) ?? []).length, 3);
  assertMatch(gray.svg, /true 4 \/ pred 9/);
  const rgb = imageGrid({ images: [{ data: new Uint8Array(2 * 2 * 3), shape: [2, 2, 3] }] });
  assert((await rgb.png()).length > 50);
  assertThrows(() => imageGrid({ batch: { data: new Float32Array(5), shape: [1, 2, 2] } }));
});

Deno.test("plotly figure inlines the bundle and draws by id", () => {
  const fig = plotlyChart([{ y: [1, 2] }], { title: { text: "t" } });
  const html = fig.html();
  assert(html.length > 1_000_000, "plotly.js inlined");
  assertMatch(html, new RegExp(`Plotly\\.newPlot\\("${fig.id}"`));
  assertEquals(fig.html({ inlinePlotly: false }).length < 1000, true);
  assertEquals(fig.title, "t");
});

Deno.test("show() outside Jupyter saves the figure", async () => {
  assertEquals(inJupyter(), false);
  const dir = await Deno.makeTempDir();
  try {
    const fig = lineChart({ title: "A plot", series: { a: [1, 2] } });
    assertEquals(await show(fig, { file: `${dir}/sub/a.png`, quiet: true }), undefined);
    assertEquals(await pngSize(await Deno.readFile(`${dir}/sub/a.png`)), {
      width: 1280,
      height: 800,
    });
    assertMatch(defaultFigureFile(fig), /\/a-plot\.png$/);
    assertMatch(defaultFigureFile(lineChart({ series: { a: [1] } })), /\/figure-[0-9a-f]{8}\.png$/);
    assertEquals(slug("Train loss (MLP)"), "train-loss-mlp");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
