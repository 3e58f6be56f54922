/**
 * The classifier demo of a built site against `deno task predict` on the same photos, with a real
 * model (the test, `lib/book/demos/demos_test.ts`, uses a 16-pixel one): for each photo, whether
 * the top-5 classes come in the same order and the largest probability difference.
 *
 * ```sh
 * deno task book --no-execute --out /tmp/site       # builds the site, with the model's page
 * deno run -A tools/demo_vs_predict.ts /tmp/site models/chapter2-quick-model.html \
 *   runs/chapter2/quick/model photo1.jpg photo2.png …
 * ```
 *
 * @module
 */
import { openBrowser } from "../lib/book/browser.ts";
import { serveSite } from "../lib/book/serve.ts";
import { useWasm } from "../lib/tfjs/mod.ts";
import { loadClassifier, predictFiles } from "../chapters/02-cnn/predict.ts";

const [site, modelPage, modelDir, ...files] = Deno.args;
if (!files.length) {
  console.error("usage: demo_vs_predict.ts <site dir> <model page> <model dir> <photo>...");
  Deno.exit(2);
}
await useWasm();
const want = await predictFiles(await loadClassifier(modelDir), files, 5);
const server = serveSite(site, 0);
const b = await openBrowser();
try {
  const start = performance.now();
  await b.page.goto(`http://127.0.0.1:${server.addr.port}/${modelPage}`);
  await b.page.waitForFunction(
    "window.classifierDemo && (window.classifierDemo.ready || window.classifierDemo.error)",
    undefined,
    { timeout: 60_000 },
  );
  console.log(`demo ready ${Math.round(performance.now() - start)} ms after navigation`);
  let worst = 0;
  for (const [i, file] of files.entries()) {
    await b.page.evaluate("window.classifierDemo.top = undefined");
    const t = performance.now();
    await b.page.setInputFiles("#classifier-file", file);
    await b.page.waitForFunction("window.classifierDemo.top || window.classifierDemo.error");
    const ms = Math.round(performance.now() - t);
    const got = await b.page.evaluate<
      { top?: { label: string; probability: number }[]; error?: string }
    >("window.classifierDemo");
    if (!got.top) throw new Error(`${file}: ${got.error}`);
    const expected = want[i].top!;
    const order = got.top.map((s) => s.label).join() ===
      expected.slice(0, got.top.length).map((s) => s.label).join();
    const gap = Math.max(
      ...got.top.map((s) =>
        Math.abs(s.probability - expected.find((e) => e.label === s.label)!.probability)
      ),
    );
    worst = Math.max(worst, gap);
    console.log(
      `${file}: ${order ? "same order" : "DIFFERENT ORDER"}, largest difference ${
        gap.toExponential(2)
      }, ${ms} ms (predict: ${expected[0].label} ${expected[0].probability.toFixed(4)})`,
    );
  }
  console.log(`largest difference over ${files.length} photos: ${worst.toExponential(2)}`);
} finally {
  await b.close();
  await server.shutdown();
}
