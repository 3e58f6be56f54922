// Site tests. The browser test needs Debian's chromium: skipped outside CI when it is missing; in
// CI (env CI set) it runs and fails instead.
import { assert, assertEquals, assertMatch } from "../testing/asserts.ts";
import { lineChart, plotlyChart } from "../viz/mod.ts";
import { toBase64 } from "../viz/png.ts";
import { type BookBrowser, chromiumPath, openBrowser, requestsLeaving } from "./browser.ts";
import { inCI } from "./execute.ts";
import type { Notebook } from "./notebook.ts";
import { serveSite } from "./serve.ts";
import { buildSite, renderSite } from "./site.ts";
import { verifySite } from "./book.ts";

async function fixture(): Promise<Notebook> {
  const fig = lineChart({
    title: "fixture loss",
    series: { train: [1, 0.5, 0.3] },
    width: 320,
    height: 200,
  });
  const png = await fig.png({ scale: 1 });
  const plot = plotlyChart([{ x: [1, 2, 3], y: [3, 1, 2], type: "scatter", name: "p" }], {
    title: { text: "interactive" },
    height: 300,
  });
  const md = (source: string) => ({ cell_type: "markdown", source, metadata: {} });
  const code = (source: string, outputs: Notebook["cells"][number]["outputs"]) => ({
    cell_type: "code",
    source,
    metadata: {},
    outputs,
    execution_count: 1,
  });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      md(
        "# Fixture chapter\n\nEuler: $e^{i\\pi} + 1 = 0$.\n\n$$\\frac{\\partial L}{\\partial w} = \\sum_i x_i$$\n\n## Plots",
      ),
      code('console.log("hi <there>")', [{
        output_type: "stream",
        name: "stdout",
        text: ["hi <there>\n"],
      }]),
      code("await show(fig)", [{
        output_type: "display_data",
        data: { "image/png": toBase64(png), "text/plain": "<Figure>" },
        metadata: { "image/png": { width: 320, height: 200 } },
      }]),
      code("await show(plot)", [{
        output_type: "display_data",
        data: { ...plot.mediaBundle().data, "text/html": "<b>inline html fallback</b>" },
        metadata: {},
      }]),
      md("## Next\n\nSee [chapter 2](../02-second/second.ipynb)."),
    ],
  };
}

Deno.test("renderSite: pages, contents, prev/next, relative links only", async () => {
  const nb = await fixture();
  const site = renderSite([
    { slug: "01-fixture", notebook: nb },
    {
      slug: "02-second",
      notebook: { ...nb, cells: [{ cell_type: "markdown", source: "# Second", metadata: {} }] },
    },
    { slug: "03-later", title: "Later chapter" },
  ]);
  const page = site.pages.get("01-fixture.html")!;
  assertMatch(page, /<a class="next" rel="next" href="02-second.html">Second →<\/a>/);
  assertMatch(page, /href="02-second.html">chapter 2<\/a>/);
  assertMatch(page, /class="katex-display"/);
  assertMatch(page, /hi &lt;there&gt;/);
  assertMatch(page, /<img src="figures\/01-fixture\/cell3-1.png" width="320" height="200"/);
  assertMatch(page, /Plotly\.newPlot\("plot-4-1"/);
  assertEquals(page.includes("inline html fallback"), false);
  assertEquals(page.includes("file://"), false);
  assertMatch(site.pages.get("index.html")!, /Later chapter <em>\(coming\)<\/em>/);
  assertEquals(site.pages.get("index.html")!.includes("quick run"), false, "no run: no tag");

  // A chapter published from a quick run is tagged in the contents, with one line saying why.
  const quick = {
    date: "2026-11-29T21:00:00.000Z",
    mode: "quick" as const,
    commit: "abc1234",
    seconds: 40,
    sourceHash: "x",
    success: true,
  };
  const tagged = renderSite([
    { slug: "01-fixture", notebook: nb, run: { ...quick, mode: "full" } },
    { slug: "02-second", notebook: nb, run: quick },
  ]).pages.get("index.html")!;
  assertMatch(tagged, /href="02-second.html">[^<]*<\/a> <span class="run-tag quick">quick run/);
  assertEquals(tagged.match(/run-tag quick/g)?.length, 1);
  assertMatch(tagged, /Chapters marked <em>quick run<\/em> show a quick-mode run/);
  assertMatch(site.pages.get("02-second.html")!, /rel="prev" href="01-fixture.html"/);
  assert(site.usesPlotly);
});

const chromium = chromiumPath();
const ignore = !chromium && !inCI();
if (ignore) console.warn("skipping the browser test: chromium not found");

Deno.test({
  name: "site in headless Chromium: plot, plotly and math render; no request leaves localhost",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    assert(chromium, "chromium is required in CI (apt-get install chromium)");
    const dir = await Deno.makeTempDir();
    const server = serveSite(dir, 0);
    let browser: BookBrowser | undefined;
    try {
      await buildSite([{ slug: "01-fixture", notebook: await fixture() }], { outDir: dir });
      assertEquals(await verifySite(dir, ["01-fixture"]), []);
      const origin = `http://127.0.0.1:${server.addr.port}/`;
      browser = await openBrowser(chromium);
      await browser.page.goto(`${origin}01-fixture.html`, { waitUntil: "networkidle" });
      await browser.page.waitForSelector(".plotly-figure .main-svg");
      const state = await browser.page.evaluate<Record<string, unknown>>(`(async () => {
        await document.fonts.ready;
        const imgs = [...document.querySelectorAll(".output.image img")];
        const katex = [...document.querySelectorAll(".katex")];
        return {
          images: imgs.length,
          imagesLoaded: imgs.every((i) => i.complete && i.naturalWidth === 320),
          plotlySvg: document.querySelectorAll(".plotly-figure .main-svg").length,
          plotlyTraces: document.querySelectorAll(".plotly-figure .scatterlayer .trace").length,
          katex: katex.length,
          katexDisplay: document.querySelectorAll(".katex-display").length,
          katexWidth: Math.min(...katex.map((k) => k.getBoundingClientRect().width)),
          katexFont: [...document.fonts].some((f) => f.family.includes("KaTeX") && f.status === "loaded"),
          katexCss: getComputedStyle(document.querySelector(".katex")).fontFamily,
        };
      })()`);
      assertEquals(state.images, 1);
      assertEquals(state.imagesLoaded, true, "the PNG plot loads at its size");
      assert(Number(state.plotlySvg) > 0, "plotly drew its SVG");
      assertEquals(state.plotlyTraces, 1);
      assertEquals(state.katex, 2);
      assertEquals(state.katexDisplay, 1);
      assert(Number(state.katexWidth) > 10, "math has layout width");
      assertEquals(state.katexFont, true, "a KaTeX font loaded");
      assertMatch(String(state.katexCss), /KaTeX_Main/);
      assertEquals(requestsLeaving(browser.requests, origin), [], "requests that left localhost");
      assert(
        browser.requests.some((u) => u.includes("assets/katex/fonts/")),
        "fonts came from the site",
      );
      assertEquals(browser.console.filter((m) => m.startsWith("exception")), []);
    } finally {
      await browser?.close();
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
