/**
 * The built site in headless Chromium, as `deno task test:book` checks it after a quick-mode
 * build: every page loads without a script error and without a request leaving the local server,
 * and the live demos work on the real published files (the classifier demo classifies an image
 * of its dataset's sample grid; chapter 1's engine demo lowers its loss; chapter 5's mask demo
 * loads BlazeFace and the classifier and processes that image).
 *
 * @module
 */
import { type BookBrowser, openBrowser, requestsLeaving } from "./browser.ts";
import { serveSite } from "./serve.ts";

async function htmlPages(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${dir}/${prefix}`)) {
    if (e.isDirectory && e.name !== "assets") {
      out.push(...await htmlPages(dir, `${prefix}${e.name}/`));
    } else if (e.isFile && e.name.endsWith(".html")) out.push(`${prefix}${e.name}`);
  }
  return out.sort();
}

/** The first sample image of the site's first dataset page (a PNG the classifier was built for). */
async function sampleImage(dir: string): Promise<string | undefined> {
  try {
    for await (const d of Deno.readDir(`${dir}/datasets`)) {
      if (!d.isDirectory) continue;
      const grid = await Deno.readTextFile(`${dir}/datasets/${d.name}.html`);
      const m = grid.match(/<img src="([^"]+\.png)"/);
      if (m) return `${dir}/datasets/${m[1]}`;
    }
  } catch { /* no dataset pages */ }
  return undefined;
}

/**
 * Checks a built site in Chromium; returns the problems found (empty when all is well).
 *
 * @param dir the built site
 * @param chromium the browser executable
 */
export async function smokeTestSite(dir: string, chromium: string): Promise<string[]> {
  const problems: string[] = [];
  const server = serveSite(dir, 0);
  const origin = `http://127.0.0.1:${server.addr.port}/`;
  let b: BookBrowser | undefined;
  try {
    b = await openBrowser(chromium);
    const { page } = b;
    for (const p of await htmlPages(dir)) {
      const before = b.console.length;
      const resp = await page.goto(`${origin}${p}`, { waitUntil: "load" });
      if (p !== "404.html" && resp?.status() !== 200) problems.push(`${p}: HTTP ${resp?.status()}`);
      for (const m of b.console.slice(before)) {
        if (m.startsWith("exception") || m.startsWith("error")) problems.push(`${p}: ${m}`);
      }
    }
    const models = (await htmlPages(dir)).filter((p) => p.startsWith("models/"));
    const image = await sampleImage(dir);
    for (const p of models) {
      await page.goto(`${origin}${p}`);
      if (!(await page.$("#classifier-demo"))) continue;
      await page.waitForFunction(
        "window.classifierDemo && (window.classifierDemo.ready || window.classifierDemo.error)",
        undefined,
        { timeout: 60_000 },
      );
      if (!image) continue;
      await page.setInputFiles("#classifier-file", image);
      await page.waitForFunction("window.classifierDemo.top || window.classifierDemo.error");
      const demo = await page.evaluate<{ top?: { probability: number }[]; error?: string }>(
        "window.classifierDemo",
      );
      const sum = (demo.top ?? []).reduce((s, t) => s + t.probability, 0);
      if (demo.error || !demo.top?.length || !(sum > 0 && sum <= 1 + 1e-5)) {
        problems.push(
          `${p}: the classifier demo failed (${demo.error ?? JSON.stringify(demo.top)})`,
        );
      }
    }
    if (await Deno.stat(`${dir}/engine-demo.html`).catch(() => undefined)) {
      await page.goto(`${origin}engine-demo.html`);
      await page.click("#engine-train");
      await page.waitForFunction("window.engineDemo.done || window.engineDemo.error", undefined, {
        timeout: 120_000,
      });
      const e = await page.evaluate<{ losses: number[]; error?: string }>("window.engineDemo");
      const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);
      if (e.error || !(mean(e.losses.slice(-20)) < 0.6 * mean(e.losses.slice(0, 20)))) {
        problems.push(`engine-demo.html: the loss did not go down (${e.error ?? ""})`);
      }
    }
    if (await Deno.stat(`${dir}/mask-demo.html`).catch(() => undefined)) {
      // Both models load from the site and a photo is processed (faces or none, no error).
      await page.goto(`${origin}mask-demo.html`);
      await page.waitForFunction(
        "window.maskDemo && (window.maskDemo.ready || window.maskDemo.error)",
        undefined,
        { timeout: 60_000 },
      );
      if (image) {
        await page.setInputFiles("#mask-file", image);
        await page.waitForFunction("window.maskDemo.faces || window.maskDemo.error", undefined, {
          timeout: 60_000,
        });
      }
      const m = await page.evaluate<{ faces?: unknown[]; error?: string }>("window.maskDemo");
      if (m.error || (image && !Array.isArray(m.faces))) {
        problems.push(`mask-demo.html: the mask demo failed (${m.error ?? "no result"})`);
      }
    }
    for (const u of requestsLeaving(b.requests, origin)) {
      problems.push(`request left localhost: ${u}`);
    }
  } catch (e) {
    problems.push(`browser check stopped: ${(e as Error).message.split("\n")[0]}`);
  } finally {
    await b?.close();
    await server.shutdown();
  }
  return problems;
}
