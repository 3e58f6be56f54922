// The whole site from fixture runs, datasets and chapters: results and card pages generated from
// the files, search, the 404 page and every link when served from a sub-path (/book/). The
// browser part needs Debian's chromium: skipped outside CI when it is missing.
import { assert, assertEquals, assertMatch } from "../testing/asserts.ts";
import { type BookBrowser, chromiumPath, openBrowser, requestsLeaving } from "./browser.ts";
import { buildBook } from "./book.ts";
import { inCI } from "./execute.ts";
import { serveSite } from "./serve.ts";

const PNG_1x1 = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

const notebook = (title: string, text: string) =>
  JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: "markdown", metadata: {}, source: `# ${title}\n\n## Setup\n\nIntro text.` },
      { cell_type: "markdown", metadata: {}, source: `## Gradients\n\n${text}` },
      {
        cell_type: "code",
        metadata: {},
        source: 'console.log("hello")',
        execution_count: 1,
        outputs: [{ output_type: "stream", name: "stdout", text: "hello\n" }],
      },
    ],
  });

/** A repository root with two chapters, their runs and one published dataset. */
async function fixtureRoot(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "book-nav-" });
  const w = async (path: string, text: string | Uint8Array) => {
    await Deno.mkdir(`${root}/${path}`.replace(/\/[^/]+$/, ""), { recursive: true });
    if (typeof text === "string") await Deno.writeTextFile(`${root}/${path}`, text);
    else await Deno.writeFile(`${root}/${path}`, text);
  };
  await w(
    "chapters/01-first/first.ipynb",
    notebook("First", "Backpropagation of the zebrafish loss."),
  );
  await w(
    "chapters/02-second/second.ipynb",
    notebook("Second", 'We train on `ensureDataset("toy.json")`, i.e. toy-v1.'),
  );
  await w("runs/chapter1/summary.json", JSON.stringify({ mlp_test_accuracy: 0.9812, epochs: 5 }));
  await w("runs/chapter1/quick/summary.json", JSON.stringify({ mlp_test_accuracy: 0.61 }));
  await w(
    "runs/chapter1/metrics.json",
    JSON.stringify({ mode: "full", mlp: { test_accuracy: 0.9812, history: [1, 2] } }),
  );
  await w(
    "runs/chapter2/keras/metrics.json",
    JSON.stringify({ style: "keras", dataset: "toy-v1", test_accuracy: 0.875 }),
  );
  await w("runs/chapter2/model/MODEL_CARD.md", "# Model card: toy classifier\n\nAccuracy 87.5%.");
  await w("runs/chapter2/model/model.json", "{}");
  const ds = "data/datasets/toy-v1";
  await w(
    `${ds}/card.md`,
    "# Dataset card: toy-v1\n\n## Classes and counts\n\n| class | train |\n| --- | --- |\n| a | 1 |",
  );
  await w(`${ds}/dataset.json`, JSON.stringify({ name: "toy", version: "1", classes: ["a"] }));
  await w(
    `${ds}/manifest.csv`,
    "file,label,split,sha256,source\nimages/train/a/x.png,a,train,00,src\n",
  );
  await w(`${ds}/SHA256SUMS`, "00  images/train/a/x.png\n");
  await w(`${ds}/images/train/a/x.png`, PNG_1x1);
  await w("data/datasets/toy-v1.tar.gz", new Uint8Array([31, 139, 8, 0]));
  return root;
}

Deno.test("book site: results and cards generated from the run files, linked from chapters", async () => {
  const root = await fixtureRoot();
  const out = `${root}/_site`;
  try {
    const r = await buildBook({
      root,
      outDir: out,
      execute: false,
      basePath: "/book/",
      notebooks: [
        `${root}/chapters/01-first/first.ipynb`,
        `${root}/chapters/02-second/second.ipynb`,
      ],
    });
    assertEquals(r.failed, 0, "the site and its links check out");
    const read = (p: string) => Deno.readTextFile(`${out}/${p}`);
    const results = await read("results.html");
    assertMatch(
      results,
      /<td>mlp_test_accuracy<\/td><td class="num">0.9812<\/td><td class="num quick">0.6100<\/td>/,
    );
    assertMatch(results, /href="01-first.html">First<\/a>/);
    assertMatch(results, /mlp.test_accuracy: 0.9812/);
    assertMatch(results, /dataset: toy-v1; test_accuracy: 0.8750/);
    assertMatch(results, /<code>chapter1<\/code> mlp<\/td><td>full<\/td><td class="num">98.12%/);
    assertMatch(results, /<code>chapter2\/keras<\/code><\/td><td>full<\/td><td class="num">87.50%/);
    const second = await read("02-second.html");
    assertMatch(second, /href="datasets\/toy-v1.html">Dataset card: toy-v1/);
    assertMatch(second, /href="models\/chapter2-model.html">Model card: model/);
    assertEquals((await read("01-first.html")).includes("Dataset card"), false);
    const dataset = await read("datasets/toy-v1.html");
    assertMatch(dataset, /<img src="toy-v1\/images\/train\/a\/x.png"/);
    assertMatch(dataset, /href="toy-v1.tar.gz" download/);
    assertMatch(dataset, /href="\.\.\/assets\/book.css"/);
    assertMatch(await read("models/chapter2-model.html"), /Accuracy 87.5%/);
    assertMatch(await read("404.html"), /<base href="\/book\/">/);
    assertMatch(await read("assets/search-index.js"), /zebrafish/);
    assertMatch(await read("run-the-book.html"), /<h1>Run the book<\/h1>/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

const chromium = chromiumPath();
const ignore = !chromium && !inCI();
if (ignore) console.warn("skipping the sub-path browser test: chromium not found");

Deno.test({
  name:
    "book site under /book/ in Chromium: links, search and the 404 page work; nothing leaves localhost",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    assert(chromium, "chromium is required in CI (apt-get install chromium)");
    const root = await fixtureRoot();
    const out = `${root}/_site`;
    const server = serveSite(out, 0, undefined, { base: "/book/" });
    let b: BookBrowser | undefined;
    try {
      const r = await buildBook({
        root,
        outDir: out,
        execute: false,
        basePath: "/book/",
        notebooks: [
          `${root}/chapters/01-first/first.ipynb`,
          `${root}/chapters/02-second/second.ipynb`,
        ],
      });
      assertEquals(r.failed, 0);
      const origin = `http://127.0.0.1:${server.addr.port}`;
      b = await openBrowser(chromium);
      const { page } = b;
      // A click starts a navigation; wait until it lands on the expected page (then check it).
      const clickAndWaitFor = async (selector: string, url: string) => {
        await page.click(selector);
        await page.waitForURL((u) => u.href === url, { timeout: 15_000 });
        assertEquals(page.url(), url);
      };
      await page.goto(`${origin}/book/`);
      await clickAndWaitFor("header nav.site >> text=Results", `${origin}/book/results.html`);
      await clickAndWaitFor(`main a:text-is("Second")`, `${origin}/book/02-second.html`);
      await clickAndWaitFor("text=Dataset card: toy-v1", `${origin}/book/datasets/toy-v1.html`);
      const sample = await page.$eval(
        "table.samples img",
        (i) => (i as HTMLImageElement).naturalWidth,
      );
      assertEquals(sample, 1, "the sample image loads from the sub-path");
      // Search from a page one folder deep.
      await page.fill("header input[name=q]", "zebrafish");
      await page.press("header input[name=q]", "Enter");
      await page.waitForURL(/\/book\/search.html\?q=zebrafish$/);
      await clickAndWaitFor("#search-results a", `${origin}/book/01-first.html#gradients`);
      // A missing page deep under the sub-path: the 404 page, styled, with working links.
      const resp = await page.goto(`${origin}/book/no/such/page.html`);
      assertEquals(resp?.status(), 404);
      assertEquals(await page.textContent("h1"), "Page not found");
      assertEquals(await page.$eval("header.top", (e) => getComputedStyle(e).display), "flex");
      await clickAndWaitFor("main >> text=contents", `${origin}/book/index.html`);
      assertEquals(requestsLeaving(b.requests, `${origin}/book/`), [], "requests outside /book/");
      assertEquals(b.console.filter((m) => m.startsWith("exception")), []);
    } finally {
      await b?.close();
      await server.shutdown();
      await Deno.remove(root, { recursive: true });
    }
  },
});
