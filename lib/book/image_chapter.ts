/**
 * The command-line options of an image-classification chapter (chapter 2, and later chapters that
 * train on an image dataset), parsed in one place so that the notebook's first cell stays short:
 *
 * ```sh
 * deno task chapter2                       # the default dataset (five clothing classes), seed 1
 * deno task chapter2 --classes 10          # a named variant (here: all ten classes)
 * deno task chapter2 --config my.json      # any dataset config: built on first use, then reused
 * deno task chapter2 --dataset data/datasets/my-v1   # an already published dataset folder
 * deno task chapter2 --seed 2              # another seed (weights, batch order, augmentation, dropout)
 * deno task chapter2 --styles-only         # train and test both styles only (what a seed sweep runs)
 * deno task chapter2 --quick               # seconds-long run on a small subset (tests)
 * ```
 *
 * Each choice gets its own results folder under `runs/<chapter>/` (see {@link ImageChapterOptions}),
 * so runs never overwrite each other's figures.
 *
 * @module
 */
import * as path from "node:path";
import { isFile, projectRoot } from "../data/assets.ts";
import { ensureDataset, type EnsuredDataset } from "../dataset/ensure.ts";
import { verifyDataset } from "../dataset/loader.ts";
import type { BuildReport } from "../dataset/build.ts";
import { chapterArgs, runsDir } from "./args.ts";

/** Where the chapter's images come from. */
export type DatasetChoice =
  | { kind: "config"; path: string }
  | { kind: "dataset"; dir: string };

/** What an image chapter was asked to do. */
export interface ImageChapterOptions {
  /** Small, seconds-long run. */
  quick: boolean;
  /** Seed of initial weights, batch order, augmentation and dropout masks. */
  seed: number;
  /** The dataset: a config file (built or reused by `ensureDataset`) or a published folder. */
  data: DatasetChoice;
  /** Short name of a non-default dataset choice (`classes10`, the config's or folder's name). */
  variant: string | null;
  /** Skip everything but training and testing the two styles (for seed sweeps). */
  stylesOnly: boolean;
  /**
   * Results folder: `runs/<chapter>[/<variant>][/seed-<n>][/quick]`; the default run (default
   * dataset, default seed) writes to `runs/<chapter>` itself.
   */
  runDir: string;
}

/** What a chapter declares about its options. */
export interface ImageChapterSpec {
  /** Name of the results folder under `runs/`, e.g. `chapter2`. */
  chapter: string;
  /** `--classes` shorthands: value → config path relative to the project root. */
  classes: Record<string, string>;
  /** The `--classes` value used when no dataset option is given. */
  defaultClasses: string;
  /** The seed used when `--seed` is not given (default 1). */
  defaultSeed?: number;
}

const FLAGS = ["--quick", "--styles-only"];
const VALUED = ["--classes", "--config", "--dataset", "--seed"];

/** Splits `--name=value` / `--name value` arguments; unknown ones are an error naming them. */
function parse(args: string[]): { values: Map<string, string>; flags: Set<string> } {
  const values = new Map<string, string>(), flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (FLAGS.includes(name) && eq < 0) flags.add(name);
    else if (VALUED.includes(name)) {
      const value = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (value === undefined || value === "" || value.startsWith("--")) {
        throw new Error(`${name} needs a value (e.g. ${name}=...)`);
      }
      if (values.has(name)) throw new Error(`${name} is given twice`);
      values.set(name, value);
    } else {
      throw new Error(
        `unknown option ${a}; the options are ${[...VALUED, ...FLAGS].join(", ")} ` +
          `(see lib/book/image_chapter.ts)`,
      );
    }
  }
  return { values, flags };
}

/**
 * Parses the chapter's options from `argv` (default `Deno.args`; quick mode also from
 * `BOOK_QUICK=1` or `quick`, the notebook's `QUICK` toggle). Throws a clear error for an unknown
 * option, a bad seed, an unknown `--classes` value, a missing file, or two dataset options at once.
 */
export function imageChapterOptions(
  spec: ImageChapterSpec,
  opts: { argv?: readonly string[]; quick?: boolean; cwd?: string } = {},
): ImageChapterOptions {
  const { quick, args } = chapterArgs(opts.argv ?? Deno.args);
  const { values, flags } = parse(args);
  const cwd = opts.cwd ?? Deno.cwd();
  const chosen = ["--classes", "--config", "--dataset"].filter((n) => values.has(n));
  if (chosen.length > 1) throw new Error(`choose one of ${chosen.join(" and ")}, not both`);

  const seedText = values.get("--seed");
  const seed = seedText === undefined ? (spec.defaultSeed ?? 1) : Number(seedText);
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`--seed must be a whole number >= 0, got ${seedText}`);
  }

  let data: DatasetChoice;
  let variant: string | null = null;
  const config = values.get("--config"), dataset = values.get("--dataset");
  if (config !== undefined) {
    const file = path.resolve(cwd, config);
    if (!isFile(file)) throw new Error(`--config: no such file ${file}`);
    data = { kind: "config", path: file };
    variant = safeName(path.basename(file).replace(/\.json$/i, ""));
  } else if (dataset !== undefined) {
    const dir = path.resolve(cwd, dataset);
    if (!isFile(path.join(dir, "manifest.csv"))) {
      throw new Error(
        `--dataset: ${dir} is not a published dataset folder (no manifest.csv); publish one ` +
          "with `deno task dataset build <config.json>`, or pass the config with --config",
      );
    }
    data = { kind: "dataset", dir };
    variant = safeName(path.basename(dir));
  } else {
    const classes = values.get("--classes") ?? spec.defaultClasses;
    const rel = spec.classes[classes];
    if (rel === undefined) {
      throw new Error(
        `--classes must be one of ${Object.keys(spec.classes).join(", ")}, got ${classes} ` +
          "(for other data use --config my.json or --dataset DIR)",
      );
    }
    data = { kind: "config", path: path.join(projectRoot(), rel) };
    if (classes !== spec.defaultClasses) variant = `classes${classes}`;
  }
  const isQuick = quick || (opts.quick ?? false);
  const runDir = runsDir(
    spec.chapter,
    ...(variant ? [variant] : []),
    ...(seed !== (spec.defaultSeed ?? 1) ? [`seed-${seed}`] : []),
    ...(isQuick ? ["quick"] : []),
  );
  return { quick: isQuick, seed, data, variant, stylesOnly: flags.has("--styles-only"), runDir };
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 60) || "dataset";
}

/**
 * The chosen dataset, published: a config is built on first use and reused afterwards
 * (`ensureDataset`); a folder is verified against its checksums. Either way the build report comes
 * back. Throws when the dataset has fewer than two classes.
 */
export async function openChapterDataset(
  data: DatasetChoice,
  log: (line: string) => void = (l) => console.log(l),
): Promise<EnsuredDataset> {
  let ensured: EnsuredDataset;
  if (data.kind === "config") ensured = await ensureDataset(data.path, { log });
  else {
    await verifyDataset(data.dir);
    const report = JSON.parse(
      await Deno.readTextFile(path.join(data.dir, "build-report.json")),
    ) as BuildReport;
    ensured = { dir: data.dir, built: false, report };
  }
  const info = JSON.parse(await Deno.readTextFile(path.join(ensured.dir, "dataset.json")));
  const classes: unknown = info.classes;
  if (!Array.isArray(classes) || classes.length < 2) {
    throw new Error(
      `${ensured.dir}: a classifier needs at least 2 classes, the dataset has ` +
        `${Array.isArray(classes) ? classes.length : "none"}`,
    );
  }
  return ensured;
}

/** Removes the given subfolders of `runDir` (what this run will write anew) and creates it. */
export async function freshRunDir(runDir: string, subfolders: string[]): Promise<void> {
  for (const sub of subfolders) {
    await Deno.remove(path.join(runDir, sub), { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
  await Deno.mkdir(runDir, { recursive: true });
}
