// Jupyter as readers use it: start Debian's notebook server on 127.0.0.1, open chapter 1 in
// headless Chromium, run its first code cells with Shift+Enter in the Deno kernel and read their
// output. Needs `jupyter-notebook` (Debian), the `deno` kernelspec (`deno task setup`) and
// chromium: skipped outside CI when one is missing; in CI it runs and fails instead.
import { assert, assertEquals } from "../testing/asserts.ts";
import { projectRoot } from "../data/assets.ts";
import { type BookBrowser, chromiumPath, openBrowser } from "./browser.ts";
import { bookPython, inCI, kernelspecProblem } from "./execute.ts";

const CHAPTER = "chapters/01-autograd";
const NOTEBOOK = "autograd.ipynb";
/** Code cells to run from the top. */
const CELLS = 2;

async function notebookServerVersion(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(bookPython(), {
      args: ["-m", "notebook", "--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

const chromium = chromiumPath();
const version = await notebookServerVersion();
const kernel = version ? await kernelspecProblem() : "no notebook server";
const missing = !chromium ? "chromium" : !version ? "jupyter-notebook" : kernel ? kernel : "";
const ignore = missing !== "" && !inCI();
if (ignore) console.warn(`skipping the Jupyter UI test: ${missing}`);

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test({
  name: "Jupyter notebook UI: chapter 1's first cells run in the Deno kernel and show output",
  ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    assertEquals(missing, "", "CI needs chromium, jupyter-notebook and `deno task setup`");
    const root = projectRoot();
    // A copy beside the chapter (same depth, so its relative imports resolve): the UI's autosave
    // must never write outputs into the committed notebook.
    const copyDir = `${root}/chapters/.jupyter-ui-test-${Deno.pid}`;
    await Deno.mkdir(copyDir, { recursive: true });
    await Deno.copyFile(`${root}/${CHAPTER}/${NOTEBOOK}`, `${copyDir}/${NOTEBOOK}`);
    const port = freePort();
    const token = crypto.randomUUID().replaceAll("-", "");
    const server = new Deno.Command(bookPython(), {
      args: [
        "-m",
        "notebook",
        "--no-browser",
        "--ip=127.0.0.1",
        `--port=${port}`,
        `--notebook-dir=${root}`,
        `--NotebookApp.token=${token}`,
        "--NotebookApp.open_browser=False",
        "--allow-root", // CI containers run as root
        "--ContentsManager.allow_hidden=True", // the copy is a hidden folder
      ],
      env: { BOOK_QUICK: "1", PYDEVD_DISABLE_FILE_VALIDATION: "1" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    let b: BookBrowser | undefined;
    try {
      const base = `http://127.0.0.1:${port}`;
      let up = false;
      for (let i = 0; i < 150 && !up; i++) {
        try {
          const r = await fetch(`${base}/api?token=${token}`);
          await r.body?.cancel();
          up = r.ok;
        } catch { /* not up yet */ }
        if (!up) await new Promise((r) => setTimeout(r, 200));
      }
      assert(up, `the notebook server did not answer on ${base} within 30 s`);
      b = await openBrowser(chromium);
      const { page } = b;
      const rel = `chapters/.jupyter-ui-test-${Deno.pid}/${NOTEBOOK}`;
      await page.goto(`${base}/notebooks/${rel}?token=${token}`);
      await page.waitForSelector("#kernel_indicator_icon.kernel_idle_icon", { timeout: 60_000 });
      assertEquals(await page.textContent(".kernel_indicator_name"), "Deno");
      // Run from the top as a reader does: select the first cell, Shift+Enter until CELLS code
      // cells have run.
      await page.click("#notebook-container .cell >> nth=0");
      await page.keyboard.press("Escape");
      let ran = 0;
      for (let i = 0; i < 30 && ran < CELLS; i++) {
        const isCode = await page.$eval(
          "#notebook-container .cell.selected",
          (c) => c.classList.contains("code_cell"),
        );
        await page.keyboard.press("Shift+Enter");
        if (isCode) ran++;
      }
      // Wait until no cell shows In [*] and the kernel is idle again.
      await page.waitForFunction(
        `![...document.querySelectorAll(".code_cell .input_prompt")]
          .some((p) => p.textContent.includes("*")) &&
          document.querySelector("#kernel_indicator_icon.kernel_idle_icon") !== null`,
        undefined,
        { timeout: 180_000 },
      );
      const cells = await page.$$eval(".code_cell", (cs) =>
        cs.map((c) => ({
          prompt: c.querySelector(".input_prompt")?.textContent?.replace(/\s+/g, "") ?? "",
          output: [...c.querySelectorAll(".output_area .output_subarea")].map((o) => o.textContent)
            .join("\n"),
          error: c.querySelector(".output_error") !== null,
        })));
      const done = cells.slice(0, CELLS);
      for (const [k, c] of done.entries()) {
        assertEquals(c.prompt, `In[${k + 1}]:`, `code cell ${k + 1} ran (prompt ${c.prompt})`);
        assertEquals(c.error, false, `code cell ${k + 1} raised:\n${c.output}`);
      }
      assert(
        done.some((c) => c.output.trim().length > 0),
        `the first ${CELLS} code cells printed something: ${JSON.stringify(done)}`,
      );
    } catch (e) {
      // Say what the page showed: its console and a screenshot.
      const shot = `${Deno.makeTempDirSync({ prefix: "jupyter-ui-" })}/page.png`;
      await b?.page.screenshot({ path: shot }).catch(() => {});
      throw new Error(
        `${(e as Error).message}\nscreenshot: ${shot}\nconsole:\n${b?.console.join("\n")}`,
      );
    } finally {
      await b?.close();
      try {
        server.kill("SIGTERM");
      } catch { /* exited */ }
      await server.status;
      await Deno.remove(copyDir, { recursive: true }).catch(() => {});
    }
  },
});
