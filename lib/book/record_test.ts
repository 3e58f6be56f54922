// The kept executed notebooks: which chapters `deno task book` publishes as they are and which it
// re-executes. No Jupyter needed.
import { assert, assertEquals, assertMatch } from "../testing/asserts.ts";
import { discoverChapters, planChapter } from "./book.ts";
import {
  chapterRunsName,
  chapterSourceHash,
  keepExecuted,
  readRunRecord,
  recordDir,
  type RunRecord,
} from "./record.ts";
import { runBanner } from "./site.ts";

const notebook = (source: string, output = "") =>
  JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [{
      cell_type: "code",
      source,
      metadata: {},
      execution_count: output ? 1 : null,
      outputs: output ? [{ output_type: "stream", name: "stdout", text: output }] : [],
    }],
  });

Deno.test("chapterRunsName maps a chapter folder to its runs/ folder", () => {
  assertEquals(chapterRunsName("01-autograd"), "chapter1");
  assertEquals(chapterRunsName("12-later"), "chapter12");
  assertEquals(chapterRunsName("appendix"), "appendix");
});

Deno.test("book plan: reuse the kept full run until the chapter's sources change", async () => {
  const root = await Deno.makeTempDir();
  try {
    const dir = `${root}/chapters/01-demo`;
    await Deno.mkdir(dir, { recursive: true });
    const nb = `${dir}/demo.ipynb`;
    await Deno.writeTextFile(nb, notebook("console.log(1)"));
    await Deno.writeTextFile(`${dir}/chapter_test.ts`, "// tests do not count");
    assertEquals((await planChapter(nb, { root })).execute, true, "nothing kept yet");

    // A kernel run kept its executed notebook: outputs do not change the source hash.
    const executed = `${root}/executed.ipynb`;
    await Deno.writeTextFile(executed, notebook("console.log(1)", "1\n"));
    const hash = await chapterSourceHash(nb);
    await Deno.writeTextFile(nb, notebook("console.log(1)", "1\n"));
    assertEquals(await chapterSourceHash(nb), hash, "outputs are not sources");
    const record: RunRecord = {
      date: "2026-11-29T21:00:00.000Z",
      mode: "full",
      commit: "abc1234",
      seconds: 12.3,
      sourceHash: hash,
      success: true,
    };
    const kept = await keepExecuted(executed, recordDir(nb, "full", root), "demo.ipynb", record);
    assertEquals(kept, `${root}/runs/chapter1/notebook/demo.ipynb`);
    assertEquals(
      (await readRunRecord(`${root}/runs/chapter1/notebook`, "demo.ipynb"))?.commit,
      "abc1234",
    );

    // Publishing without executing: the full run wins over a quick run kept beside it, and a
    // quick run alone is published as quick (its pages carry the quick banner).
    const quickKept = await keepExecuted(executed, recordDir(nb, "quick", root), "demo.ipynb", {
      ...record,
      mode: "quick",
    });
    assertEquals(quickKept, `${root}/runs/chapter1/quick/notebook/demo.ipynb`);
    const published0 = await planChapter(nb, { root, execute: false });
    assertEquals([published0.file, published0.run?.mode], [kept, "full"]);
    await Deno.remove(`${root}/runs/chapter1/notebook`, { recursive: true });
    const quickOnly = await planChapter(nb, { root, execute: false });
    assertEquals([quickOnly.file, quickOnly.run?.mode], [quickKept, "quick"]);
    assertMatch(runBanner(quickOnly.run), /Quick-mode run/);
    await keepExecuted(executed, recordDir(nb, "full", root), "demo.ipynb", record);

    const reuse = await planChapter(nb, { root });
    assertEquals(reuse.execute, false);
    assertEquals(reuse.file, kept);
    assertMatch(reuse.reason, /full run of 2026-11-29 21:00 UTC, commit abc1234/);
    assertEquals((await planChapter(nb, { root, force: true })).execute, true);
    assertEquals((await planChapter(nb, { root, quick: true })).execute, true, "quick always runs");

    // A test file or a sibling notebook changing does not make the chapter stale; the notebook's
    // code does.
    await Deno.writeTextFile(`${dir}/chapter_test.ts`, "// changed");
    await Deno.writeTextFile(`${dir}/other.ipynb`, notebook("console.log(3)"));
    assertEquals((await planChapter(nb, { root })).execute, false);
    await Deno.writeTextFile(nb, notebook("console.log(2)"));
    const stale = await planChapter(nb, { root });
    assertEquals(stale.execute, true);
    assertEquals(stale.reason, "sources changed");
    const published = await planChapter(nb, { root, execute: false });
    assertEquals(published.file, kept, "--no-execute publishes the stale kept run");
    assert(published.run?.stale);
    assertMatch(runBanner(published.run), /sources changed since this run/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("runBanner marks quick-mode pages and offers the notebook", () => {
  const html = runBanner({
    date: "2026-11-29T21:00:00.000Z",
    mode: "quick",
    commit: "abc1234",
    seconds: 40,
    sourceHash: "x",
    success: true,
  }, "notebooks/01-demo.ipynb");
  assertMatch(html, /class="run-info quick"/);
  assertMatch(html, /Quick-mode run/);
  assertMatch(html, /href="notebooks\/01-demo.ipynb" download/);
  assertMatch(runBanner(undefined), /not executed/);
});

Deno.test("discoverChapters: one page per notebook, the first named after its folder", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/05-volumes`);
    await Deno.mkdir(`${root}/06-later`);
    await Deno.mkdir(`${root}/notes`);
    await Deno.writeTextFile(`${root}/05-volumes/face_mask.ipynb`, notebook("1"));
    await Deno.writeTextFile(`${root}/05-volumes/conv3d.ipynb`, notebook("1"));
    await Deno.writeTextFile(`${root}/05-volumes/README.md`, "# Chapter 5\n");
    const found = await discoverChapters(root);
    assertEquals(found.map((c) => [c.slug, c.notebook?.replace(root, "")]), [
      ["05-volumes", "/05-volumes/conv3d.ipynb"],
      ["05-volumes-face-mask", "/05-volumes/face_mask.ipynb"],
      ["06-later", undefined],
    ]);
    assertEquals(found[0].readmeTitle, "Chapter 5");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
