// The script runner's output recorder: what `deno task chapterN` keeps as the executed notebook.
import { assertEquals, assertMatch } from "../testing/asserts.ts";
import { lineChart, markdown, show } from "../viz/mod.ts";
import type { Notebook } from "./notebook.ts";
import { OutputRecorder, resolveCarriageReturns } from "./recorder.ts";
import { notebookToScript } from "./script.ts";

Deno.test("resolveCarriageReturns keeps a progress line's last state", () => {
  assertEquals(resolveCarriageReturns("a 1/3\ra 2/3\ra 3/3\nnext\n"), "a 3/3\nnext\n");
  assertEquals(resolveCarriageReturns("x\r\ny"), "x\ny");
});

Deno.test({
  name: "OutputRecorder: streams, progress lines and figures land in their cells",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const before = Deno.env.get("BOOK_FIGURE_DIR");
    Deno.env.set("BOOK_FIGURE_DIR", dir);
    const rec = new OutputRecorder();
    rec.install();
    try {
      const mark = (n: number) =>
        (globalThis as unknown as Record<string, (n: number) => void>).__bookCell(n);
      mark(2);
      console.log("hello", { a: 1 });
      Deno.stdout.writeSync(new TextEncoder().encode("step 1\rstep 2\n"));
      console.error("careful");
      mark(4);
      await show(lineChart({ title: "t", series: { y: [1, 2] }, width: 120, height: 80 }));
      await markdown("**bold**");
      console.log("after");
    } finally {
      rec.uninstall();
      if (before === undefined) Deno.env.delete("BOOK_FIGURE_DIR");
      else Deno.env.set("BOOK_FIGURE_DIR", before);
      await Deno.remove(dir, { recursive: true });
    }
    const code = (source: string) => ({ cell_type: "code", source, metadata: {}, outputs: [] });
    const nb: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        { cell_type: "markdown", source: "# t", metadata: {} },
        code("a"),
        code("b"),
        code("c"),
      ],
    };
    const out = rec.apply(nb);
    assertEquals(out.cells[1].outputs, [
      { output_type: "stream", name: "stdout", text: ["hello { a: 1 }\n", "step 2\n"] },
      { output_type: "stream", name: "stderr", text: ["careful\n"] },
    ]);
    assertEquals(out.cells[1].execution_count, 1);
    assertEquals(out.cells[2].outputs, [], "cell 3 did not run");
    assertEquals(out.cells[2].execution_count, null);
    const figure = out.cells[3].outputs!;
    assertEquals(figure.map((o) => o.output_type), ["display_data", "display_data", "stream"]);
    assertMatch(String(Object.keys(figure[0].data ?? {})), /image\/png/);
    assertEquals(figure[1].data?.["text/markdown"], "**bold**");
    assertEquals(
      figure[2].text,
      ["after\n"],
      "the figure's path line and the markdown echo are not kept",
    );
    assertEquals(out.cells[3].execution_count, 2);
  },
});

Deno.test("notebookToScript with cell markers keeps every cell on the same lines", () => {
  const nb: Notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: "code", source: "const a = f()", metadata: {} },
      { cell_type: "code", source: "(a)", metadata: {} },
    ],
  };
  const plain = notebookToScript(nb);
  const marked = notebookToScript(nb, { cellMarkers: true });
  assertEquals(marked.spans, plain.spans);
  assertMatch(
    marked.source,
    /^;\(globalThis as .*\)\.__bookCell\?\.\(2\); \/\/ ---- cell 2 ----$/m,
  );
});
