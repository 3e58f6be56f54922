/**
 * `deno task chapter2:seeds`: the seed sweep of chapter 2. Runs the chapter with `--styles-only`
 * (both styles trained and tested, nothing else) once per seed, then writes the mean and the
 * standard deviation over the seeds of each style's test accuracy into the default run's
 * `summary.json` (`keras_test_acc_mean3`, `keras_test_acc_std3`, `lightning_…`, and the same for
 * validation accuracy).
 *
 * ```sh
 * deno task chapter2:seeds                          # seeds 1, 2, 3, one at a time
 * deno task chapter2:seeds --seeds 1,2,3 --parallel 3
 * deno task chapter2:seeds --aggregate-only         # only recompute the means from the runs on disk
 * deno task chapter2:seeds --classes 10             # any chapter option is passed on
 * ```
 *
 * Each seed's run writes to its own folder (`runs/chapter2/seed-<n>/`; the default seed to
 * `runs/chapter2/`), and its log to `runs/chapter2/seed-logs/seed-<n>.log`. Seeded runs repeat
 * exactly, so the sweep's run of the default seed reproduces the chapter's own figures. Children
 * run under `nice` where it exists: the sweep is a background job.
 *
 * @module
 */
import { imageChapterOptions, type ImageChapterSpec } from "../../lib/book/image_chapter.ts";
import { meanStd, runLogged } from "../../lib/book/sweep.ts";
import { projectRoot } from "../../lib/data/assets.ts";
import { writeJsonAtomic } from "../../lib/train/results.ts";

/** Chapter 2's options (the same object as in the notebook's first cell). */
export const CHAPTER2: ImageChapterSpec = {
  chapter: "chapter2",
  classes: {
    "5": "lib/dataset/configs/clothing5.json",
    "10": "lib/dataset/configs/clothing10.json",
  },
  defaultClasses: "5",
};

/** The figures averaged over seeds. */
export const SWEPT = ["keras_test_acc", "lightning_test_acc", "keras_val_acc", "lightning_val_acc"];

/** `name_meanN` / `name_stdN` for every figure of {@link SWEPT} over the seeds' summaries. */
export function sweepFigures(summaries: Record<string, number>[]): Record<string, number> {
  const n = summaries.length;
  const out: Record<string, number> = {};
  for (const name of SWEPT) {
    const values = summaries.map((s, i) => {
      const v = s[name];
      if (typeof v !== "number") throw new Error(`seed run ${i + 1}: summary.json has no ${name}`);
      return v;
    });
    const { mean, std } = meanStd(values);
    out[`${name}_mean${n}`] = mean;
    out[`${name}_std${n}`] = std;
  }
  return out;
}

/** `summary` without the figures of an earlier sweep (`…_meanN`, `…_stdN` of {@link SWEPT}). */
export function withoutSweep(summary: Record<string, unknown>): Record<string, unknown> {
  const swept = new RegExp(`^(${SWEPT.join("|")})_(mean|std)\\d+$`);
  return Object.fromEntries(Object.entries(summary).filter(([k]) => !swept.test(k)));
}

function parseSweepArgs(argv: string[]) {
  let seeds = [1, 2, 3], parallel = 1, aggregateOnly = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    if (name === "--seeds") {
      seeds = value().split(",").map((s) => Number(s.trim()));
      if (seeds.length === 0 || seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) {
        throw new Error(`--seeds must be whole numbers >= 0 separated by commas`);
      }
    } else if (name === "--parallel") {
      parallel = Number(value());
      if (!Number.isInteger(parallel) || parallel < 1) throw new Error("--parallel must be >= 1");
    } else if (name === "--aggregate-only") aggregateOnly = true;
    else if (name === "--seed" || name === "--styles-only") {
      throw new Error(`${name} is set by the sweep itself`);
    } else rest.push(argv[i]);
  }
  return { seeds, parallel, aggregateOnly, rest };
}

function runSeed(seed: number, rest: string[], logFile: string): Promise<void> {
  const args = [
    "run",
    "--allow-all",
    "lib/book/run.ts",
    "chapters/02-cnn/cnn.ipynb",
    "--seed",
    String(seed),
    "--styles-only",
    ...rest,
  ];
  return runLogged(`seed ${seed}`, args, logFile, { nice: true });
}

/** CLI entry point. */
export async function main(argv: string[]): Promise<void> {
  const { seeds, parallel, aggregateOnly, rest } = parseSweepArgs(argv);
  const base = imageChapterOptions(CHAPTER2, { argv: rest });
  const dirOf = (seed: number) =>
    imageChapterOptions(CHAPTER2, { argv: [...rest, `--seed=${seed}`] }).runDir;
  const logDir = `${base.runDir}/seed-logs`;
  await Deno.mkdir(logDir, { recursive: true });
  if (!aggregateOnly) {
    const queue = [...seeds];
    console.log(`seeds ${seeds.join(", ")}, ${parallel} at a time; logs in ${logDir}/`);
    await Promise.all(
      Array.from({ length: Math.min(parallel, seeds.length) }, async () => {
        for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
          await runSeed(seed, rest, `${logDir}/seed-${seed}.log`);
        }
      }),
    );
  }
  const summaries: Record<string, number>[] = [];
  for (const seed of seeds) {
    const file = `${dirOf(seed)}/summary.json`;
    const s = JSON.parse(await Deno.readTextFile(file));
    if (s.seed !== seed) throw new Error(`${file} is from seed ${s.seed}, not ${seed}`);
    summaries.push(s);
    console.log(
      `seed ${seed}: Keras ${(100 * s.keras_test_acc).toFixed(2)}%, Lightning ` +
        `${(100 * s.lightning_test_acc).toFixed(2)}% (${file.replace(`${projectRoot()}/`, "")})`,
    );
  }
  const figures = sweepFigures(summaries);
  const target = `${base.runDir}/summary.json`;
  const previous: Record<string, unknown> = await Deno.readTextFile(target).then(JSON.parse)
    .catch(() => ({}));
  await writeJsonAtomic(target, { ...withoutSweep(previous), ...figures });
  const n = seeds.length;
  for (const style of ["keras", "lightning"]) {
    const m = figures[`${style}_test_acc_mean${n}`], s = figures[`${style}_test_acc_std${n}`];
    console.log(
      `${style}: test accuracy ${(100 * m).toFixed(2)}% ± ${(100 * s).toFixed(2)} over ${n} seeds`,
    );
  }
  console.log(`written to ${target.replace(`${projectRoot()}/`, "")}`);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(`chapter2:seeds: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
