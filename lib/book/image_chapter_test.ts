import * as path from "node:path";
import { projectRoot } from "../data/assets.ts";
import { assertEquals, assertRejects, assertThrows } from "../testing/asserts.ts";
import { freshRunDir, imageChapterOptions, openChapterDataset } from "./image_chapter.ts";

const spec = {
  chapter: "chapterX",
  classes: {
    "5": "lib/dataset/configs/clothing5.json",
    "10": "lib/dataset/configs/clothing10.json",
  },
  defaultClasses: "5",
};
const runs = `${projectRoot()}/runs/chapterX`;
const parse = (...argv: string[]) => imageChapterOptions(spec, { argv, cwd: "/tmp" });

Deno.test("imageChapterOptions: defaults, --classes, --seed and quick pick the dataset and folder", () => {
  const d = parse();
  assertEquals(d.data, {
    kind: "config",
    path: `${projectRoot()}/lib/dataset/configs/clothing5.json`,
  });
  assertEquals([d.seed, d.quick, d.stylesOnly, d.variant, d.runDir], [1, false, false, null, runs]);
  const ten = parse("--classes", "10", "--seed=3", "--quick", "--styles-only");
  assertEquals(ten.data.kind === "config" && path.basename(ten.data.path), "clothing10.json");
  assertEquals([ten.seed, ten.quick, ten.stylesOnly], [3, true, true]);
  assertEquals(ten.runDir, `${runs}/classes10/seed-3/quick`);
  assertEquals(
    parse("--classes=5", "--seed", "1").runDir,
    runs,
    "explicit defaults: default folder",
  );
  assertEquals(imageChapterOptions(spec, { argv: [], quick: true }).runDir, `${runs}/quick`);
});

Deno.test("imageChapterOptions: --config and --dataset take any file or published folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "opts-" });
  try {
    await Deno.writeTextFile(`${dir}/my shoes.json`, "{}");
    const c = imageChapterOptions(spec, { argv: ["--config", "my shoes.json"], cwd: dir });
    assertEquals(c.data, { kind: "config", path: `${dir}/my shoes.json` });
    assertEquals(c.runDir, `${runs}/my_shoes`);
    await Deno.mkdir(`${dir}/pets-v1`);
    await Deno.writeTextFile(`${dir}/pets-v1/manifest.csv`, "");
    const p = imageChapterOptions(spec, { argv: [`--dataset=${dir}/pets-v1`, "--seed=2"] });
    assertEquals(p.data, { kind: "dataset", dir: `${dir}/pets-v1` });
    assertEquals(p.runDir, `${runs}/pets-v1/seed-2`);
    // A folder that is not a published dataset, and a dataset of one class, are refused clearly.
    assertThrows(() => parse(`--dataset=${dir}`), Error, "no manifest.csv");
    await Deno.writeTextFile(`${dir}/pets-v1/dataset.json`, JSON.stringify({ classes: ["cat"] }));
    await Deno.writeTextFile(`${dir}/pets-v1/build-report.json`, "{}");
    await Deno.writeTextFile(`${dir}/pets-v1/SHA256SUMS`, "");
    await assertRejects(
      () => openChapterDataset({ kind: "dataset", dir: `${dir}/pets-v1` }, () => {}),
      Error,
    );
    // freshRunDir empties only the named subfolders.
    await Deno.mkdir(`${dir}/run/keras`, { recursive: true });
    await Deno.mkdir(`${dir}/run/keep`, { recursive: true });
    await freshRunDir(`${dir}/run`, ["keras", "absent"]);
    assertEquals([...Deno.readDirSync(`${dir}/run`)].map((e) => e.name), ["keep"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("imageChapterOptions: bad options are clear errors", () => {
  assertThrows(() => parse("--classes", "7"), Error, "--classes must be one of 5, 10");
  assertThrows(() => parse("--seed", "x"), Error, "--seed must be a whole number");
  assertThrows(() => parse("--seed"), Error, "--seed needs a value");
  assertThrows(() => parse("--config", "/no/such.json"), Error, "no such file /no/such.json");
  assertThrows(() => parse("--classes", "10", "--dataset", "x"), Error, "choose one of");
  assertThrows(() => parse("--epochs", "3"), Error, "unknown option --epochs");
});
