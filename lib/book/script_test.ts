import { assertEquals, assertMatch } from "../testing/asserts.ts";
import { chapterArgs, truthy } from "./args.ts";
import { parseNotebook } from "./notebook.ts";
import {
  bareLastValues,
  findRedeclarations,
  locate,
  mapLocations,
  notebookToScript,
} from "./script.ts";

const nb = parseNotebook(JSON.stringify({
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [
    { cell_type: "markdown", source: "# t", metadata: {} },
    { cell_type: "code", source: ["const a = 1;\n", "a\n"], metadata: {}, outputs: [] },
    { cell_type: "code", source: "Deno.jupyter.display({});", metadata: {}, outputs: [] },
    { cell_type: "code", source: "jupyterOnly();", metadata: { tags: ["skip-script"] } },
    { cell_type: "code", source: "const b = a +\n  1;\nconsole.log(b)", metadata: {}, outputs: [] },
  ],
}));

Deno.test("notebookToScript concatenates code cells and maps lines back", () => {
  const s = notebookToScript(nb, { shimSpecifier: "../shim.ts", name: "t.ipynb" });
  assertEquals(s.spans.map((x) => x.cell), [2, 3, 5]);
  const lines = s.source.split("\n");
  assertEquals(lines[s.spans[0].firstLine - 1], "const a = 1;");
  assertEquals(lines[s.spans[1].firstLine - 1], "__bookJupyter.display({});");
  assertMatch(s.source, /import \{ jupyter as __bookJupyter \} from "\.\.\/shim\.ts";/);
  assertEquals(s.source.includes("jupyterOnly"), false);
  assertEquals(locate(s, s.spans[2].firstLine + 1)?.line, 2);
  assertEquals(locate(s, 1), undefined);
  const trace = `at file:///x/m.ts:${s.spans[2].firstLine + 2}:3`;
  assertEquals(
    mapLocations(trace, s, ["file:///x/m.ts"], "t.ipynb"),
    "at t.ipynb cell 5, line 3:3",
  );
});

Deno.test("bareLastValues flags a trailing bare name only", () => {
  const s = notebookToScript(nb);
  assertEquals(bareLastValues(s), [{ cell: 2, expr: "a" }]);
});

Deno.test("findRedeclarations pairs TS2451 diagnostics by name across cells", () => {
  const s = notebookToScript(nb);
  const l1 = s.spans[0].firstLine;
  const l2 = s.spans[2].firstLine;
  const out = `TS2451 [ERROR]: Cannot redeclare block-scoped variable 'a'.\nconst a = 1;\n` +
    `    at file:///m.ts:${l1}:7\n\nTS2451 [ERROR]: Cannot redeclare block-scoped variable 'a'.\n` +
    `const a = 2;\n    at file:///m.ts:${l2}:7\n`;
  assertEquals(findRedeclarations(out, s, ["file:///m.ts"]), [{ name: "a", cells: [2, 5] }]);
});

Deno.test("chapterArgs reads --quick and passes the rest", () => {
  assertEquals(chapterArgs(["nb.ipynb", "--quick", "--epochs=3"]).quick, true);
  assertEquals(chapterArgs(["nb.ipynb", "--quick", "--epochs=3"]).args, ["--epochs=3"]);
  assertEquals(truthy("1") && truthy("TRUE") && !truthy("0") && !truthy(undefined), true);
});
