import { assert, assertEquals, assertStringIncludes } from "../testing/asserts.ts";
import { useWasm } from "../tfjs/backend.ts";
import { modelDiagram } from "./diagram.ts";
import { squeezeNet } from "./squeezenet.ts";
import { xception } from "./xception.ts";

await useWasm();

const count = (svg: string, pattern: RegExp) => (svg.match(pattern) ?? []).length;

Deno.test("modelDiagram draws a Fire module from the graph: two branches, one concat", async () => {
  const model = squeezeNet({ imageSize: 64, numClasses: 5, widthMultiplier: 0.5 });
  const fig = modelDiagram(model, {
    title: "fire2",
    include: (n) => n === "pool1" || n.startsWith("fire2_"),
  });
  // pool1 + 3 convs + 3 ReLUs + concat = 8 boxes, 8 arrows (concat has two parents).
  assertEquals(count(fig.svg, /<rect x=/g), 8);
  assertEquals(count(fig.svg, /<line /g), 8);
  assertStringIncludes(fig.svg, "fire2_expand3x3");
  assertStringIncludes(fig.svg, "Concatenate 15×15×64");
  // The two expand convolutions sit side by side: same y.
  const y = (name: string) => {
    const i = fig.svg.indexOf(`>${name}</text>`);
    return Number(/y="([\d.]+)"[^<]*$/.exec(fig.svg.slice(0, i))![1]);
  };
  assertEquals(y("fire2_expand1x1"), y("fire2_expand3x3"));
  assert((await fig.png()).length > 1000, "rasterises");
  const blocks = modelDiagram(model, { byBlock: true });
  assertStringIncludes(blocks.svg, ">fire9</text>");
  assertEquals(count(blocks.svg, /stroke-dasharray/g), 0, "no skips in SqueezeNet");
  model.dispose();
});

Deno.test("modelDiagram shows Xception's shortcut as a skip arrow", () => {
  const model = xception({ imageSize: 64, numClasses: 5, widthMultiplier: 0.125, middleBlocks: 1 });
  const fig = modelDiagram(model, {
    include: (n) => n === "block1_conv2_act" || n.startsWith("block2_"),
  });
  // The add's shortcut parent (block2_shortcut_bn) is levels above it: one bent, dashed arrow.
  assertEquals(count(fig.svg, /stroke-dasharray/g), 1);
  assertStringIncludes(fig.svg, "block2_add");
  model.dispose();
});
