/**
 * The script runner behind `deno task chapterN`: runs a notebook's code cells without Jupyter.
 *
 * The code cells are concatenated into one module written next to the notebook (so relative
 * imports and `deno.json` resolve exactly as in the kernel), type-checked with `deno check`
 * (errors name the notebook cell), then imported in this process with the working directory set
 * to the notebook's folder (as Jupyter does). The module is deleted afterwards.
 *
 * ```sh
 * deno run -A lib/book/run.ts chapters/01-autograd/autograd.ipynb --quick
 * deno run -A lib/book/run.ts --check-only chapters/01-autograd/autograd.ipynb
 * ```
 *
 * Runner flags (before the notebook): `--check-only` (type-check, do not run), `--no-check` (run
 * without type-checking). Everything after the notebook is left in `Deno.args` for the chapter;
 * `--quick` also sets `BOOK_QUICK=1`. `BOOK_FIGURE_DIR` defaults to `runs/<chapter folder>/figures`.
 *
 * @module
 */
import { basename, dirname, relative, resolve } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { projectRoot } from "../data/assets.ts";
import { readNotebook } from "./notebook.ts";
import { OutputRecorder } from "./recorder.ts";
import { chapterSourceHash, gitCommit, keepExecuted, recordDir, type RunRecord } from "./record.ts";
import {
  bareLastValues,
  findRedeclarations,
  mapLocations,
  type NotebookScript,
  notebookToScript,
} from "./script.ts";

/** Options for {@linkcode runNotebookScript}. */
export interface RunScriptOptions {
  /** Type-check before running (default true). */
  check?: boolean;
  /** Run after checking (default true; false = check only). */
  run?: boolean;
  /** Arguments meant for the chapter (only `--quick` is looked at here). */
  args?: string[];
  /** Where messages go (default: stderr). */
  log?: (line: string) => void;
}

const enc = new TextEncoder();
const stderr = (line: string) => Deno.stderr.writeSync(enc.encode(`${line}\n`));

/** The generated module's path for a notebook (hidden, per process, next to the notebook). */
export function scriptPathFor(notebookPath: string): string {
  const abs = resolve(notebookPath);
  return `${dirname(abs)}/.${basename(abs)}.book-${Deno.pid}.ts`;
}

/** Builds the module for a notebook with the `Deno.jupyter` shim wired in. */
export async function buildNotebookScript(
  notebookPath: string,
): Promise<{ script: NotebookScript; modulePath: string; name: string }> {
  const abs = resolve(notebookPath);
  const name = relative(Deno.cwd(), abs);
  const nb = await readNotebook(abs);
  const shim = fromFileUrl(new URL("./jupyter_shim.ts", import.meta.url));
  let spec = relative(dirname(abs), shim);
  if (!spec.startsWith(".")) spec = `./${spec}`;
  const script = notebookToScript(nb, {
    shimSpecifier: spec,
    name: basename(abs),
    cellMarkers: true,
  });
  return { script, modulePath: scriptPathFor(abs), name };
}

/**
 * Type-checks the module with `deno check`; on failure returns a message naming cells (book-rule
 * violations first), else `undefined`.
 */
export async function checkScript(
  script: NotebookScript,
  modulePath: string,
  name: string,
): Promise<string | undefined> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["check", "--quiet", modulePath],
    cwd: dirname(modulePath),
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (out.success) return undefined;
  const text = (new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr))
    .replace(/\n*(error: Type checking failed\.)?\s*(Stack backtrace:[^]*)?$/, "");
  const paths = [`file://${modulePath}`, modulePath];
  const lines: string[] = [];
  for (const r of findRedeclarations(text, script, paths)) {
    lines.push(
      `Book rule broken in ${name}: cell ${r.cells.at(-1)} re-declares \`${r.name}\`, ` +
        `already declared in cell ${r.cells[0]}. Cells run as one module in script mode ` +
        `(deno task chapterN), so every top-level name must be declared once: rename it.`,
    );
  }
  lines.push(`Type check of ${name} failed:`, mapLocations(text.trimEnd(), script, paths, name));
  return lines.join("\n");
}

/**
 * Runs a notebook as a script. Returns the exit code (0 = success); errors are printed with
 * notebook cell locations.
 */
export async function runNotebookScript(
  notebookPath: string,
  options: RunScriptOptions = {},
): Promise<number> {
  const log = options.log ?? stderr;
  const { script, modulePath, name } = await buildNotebookScript(notebookPath);
  const paths = [`file://${modulePath}`, modulePath];
  const cleanup = () => {
    try {
      Deno.removeSync(modulePath);
    } catch { /* already gone */ }
  };
  await Deno.writeTextFile(modulePath, script.source);
  const onUnload = () => cleanup();
  globalThis.addEventListener("unload", onUnload);
  // Ctrl-C ends the process without an unload event: remove the module first.
  const onSigint = () => {
    cleanup();
    Deno.exit(130);
  };
  try {
    Deno.addSignalListener("SIGINT", onSigint);
  } catch { /* no signals on this platform */ }
  try {
    for (const w of bareLastValues(script)) {
      log(
        `warning: ${name} cell ${w.cell} ends with the bare value \`${w.expr}\`; script runs do ` +
          `not display it (use show() or console.log).`,
      );
    }
    if (options.check ?? true) {
      const problem = await checkScript(script, modulePath, name);
      if (problem) {
        log(problem);
        return 1;
      }
    }
    if (options.run === false) return 0;
    const args = options.args ?? [];
    if (args.includes("--quick")) Deno.env.set("BOOK_QUICK", "1");
    if (!Deno.env.get("BOOK_FIGURE_DIR")) {
      Deno.env.set(
        "BOOK_FIGURE_DIR",
        `${projectRoot()}/runs/${basename(dirname(modulePath))}/figures`,
      );
    }
    const cwd = Deno.cwd();
    const onRejection = (e: PromiseRejectionEvent) => {
      e.preventDefault();
      log(`Uncaught error in ${name}:\n${describe(e.reason, script, paths, name)}`);
      cleanup();
      Deno.exit(1);
    };
    globalThis.addEventListener("unhandledrejection", onRejection);
    const mode = args.includes("--quick") || Deno.env.get("BOOK_QUICK") === "1" ? "quick" : "full";
    const sourceHash = await chapterSourceHash(resolve(notebookPath));
    const started = performance.now();
    const recorder = new OutputRecorder();
    recorder.install();
    Deno.chdir(dirname(modulePath));
    try {
      await import(`file://${modulePath}`);
    } catch (e) {
      recorder.uninstall();
      log(`Error in ${name}:\n${describe(e, script, paths, name)}`);
      return 1;
    } finally {
      recorder.uninstall();
      Deno.chdir(cwd);
      globalThis.removeEventListener("unhandledrejection", onRejection);
    }
    // Only the chapter's default run is what the site publishes: a run with options (another
    // seed, dataset or `--styles-only`) must not replace it.
    const chapterOptions = args.filter((a) => a !== "--quick");
    if (chapterOptions.length > 0) {
      log(`executed notebook not kept: this run had options (${chapterOptions.join(" ")})`);
      return 0;
    }
    await keepScriptRun(notebookPath, recorder, {
      date: new Date().toISOString(),
      mode,
      commit: await gitCommit(dirname(resolve(notebookPath))),
      seconds: Math.round((performance.now() - started) / 100) / 10,
      sourceHash,
      success: true,
      runner: "script",
    }, log);
    return 0;
  } finally {
    globalThis.removeEventListener("unload", onUnload);
    try {
      Deno.removeSignalListener("SIGINT", onSigint);
    } catch { /* not added */ }
    cleanup();
  }
}

/**
 * Keeps the executed notebook of a successful script run beside its results (what `deno task
 * book` publishes). A failure to save is reported, never fatal: the chapter itself succeeded.
 */
async function keepScriptRun(
  notebookPath: string,
  recorder: OutputRecorder,
  record: RunRecord,
  log: (line: string) => void,
): Promise<void> {
  try {
    const abs = resolve(notebookPath);
    const executed = recorder.apply(await readNotebook(abs));
    const tmp = await Deno.makeTempFile({ suffix: ".ipynb" });
    try {
      await Deno.writeTextFile(tmp, JSON.stringify(executed, null, 1) + "\n");
      const kept = await keepExecuted(tmp, recordDir(abs, record.mode), basename(abs), record);
      log(
        `executed notebook kept: ${
          relative(projectRoot(), kept)
        } (what \`deno task book\` publishes)`,
      );
    } finally {
      await Deno.remove(tmp).catch(() => {});
    }
  } catch (e) {
    log(`warning: could not keep the executed notebook: ${(e as Error).message}`);
  }
}

function describe(e: unknown, script: NotebookScript, paths: string[], name: string): string {
  const text = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
  return mapLocations(text, script, paths, name);
}

/** CLI: `deno run -A lib/book/run.ts [--check-only|--no-check] notebook.ipynb [chapter args]`. */
export async function main(argv: string[]): Promise<number> {
  let check = true;
  let run = true;
  let i = 0;
  for (; i < argv.length && argv[i].startsWith("--"); i++) {
    if (argv[i] === "--check-only") run = false;
    else if (argv[i] === "--no-check") check = false;
    else {
      stderr(`unknown runner flag ${argv[i]} (flags for the chapter go after the notebook)`);
      return 2;
    }
  }
  const nb = argv[i];
  if (!nb) {
    stderr("usage: deno run -A lib/book/run.ts [--check-only|--no-check] notebook.ipynb [args]");
    return 2;
  }
  return await runNotebookScript(nb, { check, run, args: argv.slice(i + 1) });
}

/**
 * Runs a chapter notebook in quick mode in a child process, as `deno task chapterN --quick` does
 * (how chapter tests run their chapter). Throws with the chapter's whole log when it fails.
 *
 * @param notebook the notebook path, relative to the project root
 * @param args more arguments for the chapter (e.g. `["--seed", "2"]`)
 * @returns the chapter's stdout and stderr, concatenated
 */
export async function runChapterQuick(notebook: string, args: string[] = []): Promise<string> {
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "lib/book/run.ts", notebook, "--quick", ...args],
    cwd: projectRoot(),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const log = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
  if (!run.success) throw new Error(`${notebook} failed in quick mode:\n${log}`);
  return log;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
