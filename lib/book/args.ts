/**
 * How a chapter learns how it is being run: quick mode and extra arguments, the same way in
 * Jupyter, `deno task chapterN` and tests.
 *
 * Quick mode is on when `--quick` is among `Deno.args` (script runs: `deno task chapter1 --quick`)
 * or the environment has `BOOK_QUICK=1` (how the notebook executor and tests pass it to the
 * kernel).
 *
 * ```ts
 * import { chapterArgs, runsDir } from "../../lib/book/args.ts";
 * const { quick } = chapterArgs();
 * const out = runsDir("chapter1");
 * ```
 *
 * @module
 */
import { projectRoot } from "../data/assets.ts";

/** What a chapter was asked to do. */
export interface ChapterArgs {
  /** Small, seconds-long run (tests, CI). */
  quick: boolean;
  /** Remaining arguments (without `--quick` and the notebook path). */
  args: string[];
}

function env(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** True for `"1"`, `"true"`, `"yes"` (any case). */
export function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes)$/i.test(value.trim());
}

/** Reads quick mode and extra arguments from `argv` (default `Deno.args`) and `BOOK_QUICK`. */
export function chapterArgs(argv: readonly string[] = Deno.args): ChapterArgs {
  const quick = argv.includes("--quick") || truthy(env("BOOK_QUICK"));
  const args = argv.filter((a) => a !== "--quick" && !a.endsWith(".ipynb"));
  return { quick, args };
}

/** Absolute path under the repository's git-ignored `runs/` folder, e.g. `runsDir("chapter1")`. */
export function runsDir(...parts: string[]): string {
  return [`${projectRoot()}/runs`, ...parts].join("/");
}

/** What {@link setupChapter} returns. */
export interface ChapterSetup extends ChapterArgs {
  /** Where this run writes: `runs/<chapter>/`, or `runs/<chapter>/quick/` in quick mode. */
  runDir: string;
}

/**
 * The plumbing of a chapter's short first cell: quick mode is on when the notebook's visible
 * `QUICK` toggle is true or the run asked for it (`--quick`, `BOOK_QUICK=1`); the run folder is
 * created (quick runs write beside, not over, a full run's results) and one line says so.
 *
 * ```ts
 * const QUICK = false; // true: a seconds-long run on a small subset
 * const { quick, runDir } = await setupChapter("chapter1", QUICK);
 * ```
 */
export async function setupChapter(
  chapter: string,
  quickToggle = false,
  argv: readonly string[] = Deno.args,
): Promise<ChapterSetup> {
  const parsed = chapterArgs(argv);
  const quick = quickToggle || parsed.quick;
  const runDir = quick ? runsDir(chapter, "quick") : runsDir(chapter);
  await Deno.mkdir(runDir, { recursive: true });
  console.log(
    `mode: ${quick ? "quick" : "full"}; results go to ${runDir.slice(projectRoot().length + 1)}/`,
  );
  return { ...parsed, quick, runDir };
}

/** The value of `--name=value` or `--name value` among `args`, or undefined when it is absent. */
export function optionValue(args: readonly string[], name: string): string | undefined {
  const flag = `--${name}`;
  const inline = args.find((a) => a.startsWith(`${flag}=`));
  if (inline !== undefined) return inline.slice(flag.length + 1);
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value`);
  return value;
}

/** A whole-number option ≥ 1 (`--epochs 25`), `fallback` when absent; anything else is an error. */
export function intOption(args: readonly string[], name: string, fallback: number): number {
  return intListOption(args, name, [fallback], 1)[0];
}

/**
 * A comma-separated list of whole numbers ≥ 1 (`--filters 32,64,128,128`), `fallback` when
 * absent; `length` (when given) is the number of entries it must have.
 */
export function intListOption(
  args: readonly string[],
  name: string,
  fallback: number[],
  length?: number,
): number[] {
  const text = optionValue(args, name);
  if (text === undefined) return fallback;
  const values = text.split(",").map((t) => Number(t.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < 1) || (length && values.length !== length)) {
    throw new Error(
      `--${name} ${text}: expected ${length === 1 ? "a whole number" : "whole numbers"} >= 1${
        length && length > 1 ? ` (${length})` : ""
      }`,
    );
  }
  return values;
}
