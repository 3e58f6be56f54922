import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import { sourceOf } from "./source.ts";

Deno.test("sourceOf: a function, a class and a method, with their doc comments", () => {
  const fn = sourceOf("lib/tfjs/gem_pool.ts", "gemPooling2d");
  assert(fn.startsWith("/** Makes a {@link GemPooling2D} layer"), fn);
  assert(fn.endsWith("return new GemPooling2D(args);\n}"), fn);
  const cls = sourceOf("lib/tfjs/gem_pool.ts", "GemPooling2D", { doc: false });
  assert(cls.startsWith("export class GemPooling2D extends tf.layers.Layer {"));
  assert(cls.includes("override getConfig()") && cls.endsWith("\n}"));
  const method = sourceOf("lib/tfjs/gem_pool.ts", "GemPooling2D.build");
  assert(method.startsWith("override build("), method);
  assert(method.endsWith("\n}") && !method.includes("computeOutputShape"), method);
  const one = sourceOf("lib/tfjs/gem_pool.ts", "GEM_EPS");
  assertEquals(
    one,
    "/** Default clamp of {@link GemPoolOptions.eps}. */\nexport const GEM_EPS = 1e-6;",
  );
});

Deno.test("sourceOf: a missing name is an error naming the file", () => {
  assertThrows(() => sourceOf("lib/tfjs/gem_pool.ts", "nope"), Error, "lib/tfjs/gem_pool.ts");
  assertThrows(() => sourceOf("lib/tfjs/gem_pool.ts", "GemPooling2D.nope"), Error, "member");
});

Deno.test("sourceOf: multi-line signatures end at the body's closing brace, not the signature's", () => {
  const fn = sourceOf("lib/autograd/tensor.ts", "makeResult");
  assert(fn.includes("): Tensor {") && fn.endsWith("requiresGrad: true });\n}"), fn);
  const method = sourceOf("lib/autograd/tensor.ts", "Tensor.backward");
  assert(method.includes("topologicalOrder(this)") && method.endsWith("\n}"), method);
  assert(!method.includes("#backward: BackwardFn"), "the method, not the private field");
});
