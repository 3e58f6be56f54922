import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertRejects } from "../testing/asserts.ts";
import { projectRoot, sha256Hex } from "../data/assets.ts";
import { useWasm } from "../tfjs/backend.ts";
import { loadClipTokenizer } from "./clip_tokenizer.ts";
import {
  CLIP_FOLDER_FILES,
  ClipWeightsUnavailableError,
  loadPretrainedClip,
  loadTinyRandomClip,
  TINY_CLIP_FIXTURE,
} from "./clip.ts";
import { PROMPT_TEMPLATES, zeroShot } from "./contrastive.ts";

await useWasm();
const clip = await loadTinyRandomClip();
const ours = await loadClipTokenizer();

Deno.test("tiny CLIP: transformers.js tokenizes like Hugging Face's CLIP tokenizer and ours", async () => {
  // Ids recorded by make_tiny_clip.py from transformers.CLIPTokenizerFast (Rust) over the same merges.
  const reference = JSON.parse(
    await Deno.readTextFile(`${projectRoot()}/${TINY_CLIP_FIXTURE}/tokenizer_reference.json`),
  ).ids as Record<string, number[]>;
  const texts = Object.keys(reference);
  assert(texts.length >= 5);
  const ids = clip.tokenize(texts);
  texts.forEach((t, i) => {
    assertEquals(ids[i], reference[t], `transformers.js vs Hugging Face on ${JSON.stringify(t)}`);
    assertEquals(ids[i], [49406, ...ours.encode(t), 49407], `transformers.js vs ours on ${t}`);
  });
  // The ids OpenAI's clip.tokenize gives (as in clip_tokenizer_test.ts).
  assertEquals(clip.tokenize(["a photo of a cat"])[0], [49406, 320, 1125, 539, 320, 2368, 49407]);
  assertEquals(clip.tokenize(["dog ".repeat(100)])[0].length, 77);
});

/** JSON with object keys sorted at every level (Python's `json.dumps(sort_keys=True)`, compact). */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

Deno.test("the tokenizer.json we write is the document Hugging Face's CLIPTokenizerFast writes", async () => {
  const reference = JSON.parse(
    await Deno.readTextFile(`${projectRoot()}/${TINY_CLIP_FIXTURE}/tokenizer_reference.json`),
  );
  const digest = sha256Hex(canonicalJson(ours.huggingFaceJson()));
  assertEquals(digest, reference.tokenizer_json_canonical_sha256);
});

Deno.test("tiny CLIP: normalised text and image embeddings of the right shapes", async () => {
  assert(clip.randomWeights);
  assertEquals(clip.dim, 16);
  const texts = await clip.embedTexts(["a photo of a dress.", "a photo of a hat, a big one."]);
  assertEquals(texts.shape, [2, 16]);
  // Three 40-px images (resized to 224 and centre-cropped by CLIP's processor), batches of two.
  const size = 40;
  const images = new Float32Array(3 * size * size * 3).map((_, i) => (i * 7919 % 997) / 997);
  const calls: number[] = [];
  const embedded = await clip.embedImages(images, size, {
    batchSize: 2,
    onBatch: (d) => calls.push(d),
  });
  assertEquals(embedded.shape, [3, 16]);
  assertEquals(calls, [2, 3]);
  for (const t of [texts, embedded]) {
    for (const n of tf.norm(t, 2, 1).arraySync() as number[]) assert(Math.abs(n - 1) < 1e-5);
  }
  // The same image alone gives the same embedding as in a batch (no batch-dependence).
  const alone = await clip.embedImages(images.subarray(0, size * size * 3), size);
  const diff = tf.max(tf.abs(tf.sub(alone, embedded.slice([0, 0], [1, 16])))).dataSync()[0];
  assert(diff < 1e-5, `batch-dependence ${diff}`);
  await assertRejects(() => clip.embedImages(new Float32Array(10), size), Error, "not N");
  tf.dispose([texts, embedded, alone]);
});

Deno.test("tiny CLIP: zero-shot argmax path with prompt ensembling", async () => {
  const classes = ["dress", "hat", "pants", "shirt", "shoes"];
  const classEmb = await clip.classEmbeddings(classes, PROMPT_TEMPLATES);
  assertEquals(classEmb.shape, [5, 16]);
  // Ensembling = normalised mean of the normalised per-template embeddings.
  const one = await clip.embedTexts(PROMPT_TEMPLATES.map((t) => t.replace("{}", "hat")));
  const mean = tf.tidy(() => {
    const m = one.mean(0);
    return m.div(tf.norm(m));
  });
  const gap = tf.max(tf.abs(tf.sub(mean, classEmb.slice([1, 0], [1, 16]).squeeze()))).dataSync()[0];
  assert(gap < 1e-5, `ensemble mismatch ${gap}`);
  const size = 32;
  const images = new Float32Array(4 * size * size * 3).map((_, i) => (i % 255) / 255);
  const imageEmb = await clip.embedImages(images, size);
  const { probs, predicted } = zeroShot(imageEmb, classEmb);
  assertEquals(probs.shape, [4, 5]);
  const sims = tf.matMul(imageEmb, classEmb, false, true).argMax(1).dataSync();
  assertEquals(Array.from(predicted.dataSync()), Array.from(sims));
  await assertRejects(() => clip.classEmbeddings(classes, ["no placeholder"]), Error, "{}");
  tf.dispose([classEmb, one, mean, imageEmb, probs, predicted]);
});

Deno.test("real CLIP: a complete local folder in the cache is used without downloading", async () => {
  const cache = await Deno.makeTempDir();
  try {
    // The tiny model's files stand in for the real ones: only the folder resolution is tested.
    const target = `${cache}/clip/clip-vit-base-patch32`;
    await Deno.mkdir(`${target}/onnx`, { recursive: true });
    for (const f of CLIP_FOLDER_FILES) await Deno.copyFile(`${clip.folder}/${f}`, `${target}/${f}`);
    const lines: string[] = [];
    const found = await loadPretrainedClip({
      cacheDir: cache,
      mirrorDirs: [],
      offline: true,
      log: (m) => lines.push(m),
    });
    assertEquals(found.folder, target);
    assertEquals(found.modelSha256, clip.modelSha256);
    assert(!found.randomWeights);
    assert(lines[0].includes(clip.modelSha256));
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("real CLIP: with no local copy and downloads off, the error says what is needed", async () => {
  const empty = await Deno.makeTempDir();
  try {
    const err = await assertRejects(
      () => loadPretrainedClip({ cacheDir: empty, mirrorDirs: [empty], offline: true }),
      ClipWeightsUnavailableError,
    );
    assert(err.message.includes("Xenova/clip-vit-base-patch32"));
    assert(err.message.includes("real weights"));
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});
