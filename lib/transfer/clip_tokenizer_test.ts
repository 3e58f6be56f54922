import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import { useWasm } from "../tfjs/backend.ts";
import {
  bytesToUnicode,
  CLIP_CONTEXT,
  CLIP_EOT,
  CLIP_SOT,
  ClipTokenizer,
  loadClipTokenizer,
} from "./clip_tokenizer.ts";
import { zeroShot } from "./contrastive.ts";

await useWasm();
const tokenizer = await loadClipTokenizer();

Deno.test("CLIP tokenizer: the real vocabulary and the ids CLIP was trained with", () => {
  assertEquals(tokenizer.vocabSize, 49408);
  // Ids as printed by OpenAI's clip.tokenize (simple_tokenizer.py) for the same texts.
  assertEquals(tokenizer.encode("a diagram"), [320, 22697]);
  assertEquals(tokenizer.encode("a dog"), [320, 1929]);
  assertEquals(tokenizer.encode("a cat"), [320, 2368]);
  assertEquals(tokenizer.encode("a photo of a cat"), [320, 1125, 539, 320, 2368]);
  assertEquals(tokenizer.encode("hello world"), [3306, 1002]);
  // Lower-casing, whitespace collapsing, HTML entities; punctuation and single digits split.
  assertEquals(tokenizer.encode("  Hello,\n  WORLD! "), [3306, 267, 1002, 256]);
  assertEquals(tokenizer.encode("cat &amp; dog"), tokenizer.encode("cat & dog"));
  assertEquals(tokenizer.encode("2021").length, 4);
});

Deno.test("CLIP tokenizer: rows of 77 ids with start/end tokens, padded or cut", () => {
  const [row] = tokenizer.tokenize(["a dog"]);
  assertEquals(row.length, CLIP_CONTEXT);
  assertEquals(Array.from(row.slice(0, 5)), [CLIP_SOT, 320, 1929, CLIP_EOT, 0]);
  const [long] = tokenizer.tokenize(["dog ".repeat(100)]);
  assertEquals(long[0], CLIP_SOT);
  assertEquals(long[CLIP_CONTEXT - 1], CLIP_EOT);
  assertEquals(bytesToUnicode().length, 256);
  assertThrows(() => new ClipTokenizer("header\na b\n"), Error, "48,894");
});

Deno.test("zeroShot: argmax of scaled cosine similarity to each class text", () => {
  const texts = tf.tensor2d([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  const images = tf.tensor2d([[0.1, 2, 0.3], [5, 1, 0], [0, 0.1, 0.3]]);
  const { probs, predicted } = zeroShot(images, texts);
  assertEquals(Array.from(predicted.dataSync()), [1, 0, 2]);
  assertEquals(probs.shape, [3, 3]);
  const rows = probs.sum(1).dataSync();
  rows.forEach((s) => assert(Math.abs(s - 1) < 1e-5));
});
