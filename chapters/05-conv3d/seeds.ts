/**
 * `deno task chapter5:seeds`: the AdrenalMNIST3D protocol of chapter 5 — the 3D CNN trained for
 * 40 epochs, the model of the best validation AUC kept, the test split scored once, over seeds
 * 1, 2, 3, in both styles. Each seed runs the chapter's notebook with `--adrenal-only` (no 2.5D
 * baseline, no ModelNet10), so the sweep trains exactly the code on the page. It then writes the
 * mean and the standard deviation over the seeds into the chapter's `runs/chapter5/summary.json`
 * (the default run's own figures and its kept notebook are left as they are):
 *
 * - `adrenal_test_auc`, `adrenal_test_acc`: the Keras style's mean over the seeds (what the issue
 *   and the site read), `adrenal_test_auc_std`, `adrenal_test_acc_std`, `adrenal_seeds`;
 * - per style: `adrenal_<style>_test_auc_mean<n>` / `_std<n>`, the same for `test_acc`, `val_auc`
 *   (the best epoch's) and `seconds` (training time of one run);
 * - `adrenal_sweep_seeds`, `adrenal_sweep_epochs`.
 *
 * ```sh
 * deno task chapter5:seeds                          # seeds 1, 2, 3, both styles, 40 epochs
 * deno task chapter5:seeds --styles keras           # the Keras style only (half the time)
 * deno task chapter5:seeds --seeds 1,2 --epochs 6   # shorter; any other option goes to the notebook
 * deno task chapter5:seeds --aggregate-only         # only recompute the means from the runs on disk
 * ```
 *
 * A seed's run goes to `runs/chapter5/seed-<n>/` (`<style>-seed<n>/metrics.json` per style), its log
 * to `runs/chapter5/seed-logs/seed-<n>.log`. A seed whose runs are already on disk with the same
 * number of epochs is not trained again (the sweep resumes); a seed whose Keras run alone is on disk
 * reads that run back (`--reuse-keras`) and trains only the Lightning style, logged to
 * `seed-<n>-lightning.log`; `--rerun` trains both anyway. One seed at a time: each run already keeps
 * one core busy.
 *
 * @module
 */
import { projectRoot } from "../../lib/data/assets.ts";
import { runsDir } from "../../lib/book/args.ts";
import { writeJsonAtomic } from "../../lib/train/results.ts";
import { meanStd, runLogged } from "../../lib/book/sweep.ts";

/** What one seed's run of one style left in its `metrics.json`. */
export interface SeedRun {
  style: string;
  seed: number;
  test_auc: number;
  test_acc: number;
  epochs: number;
  best_epoch: number;
  train_seconds: number;
  /** Validation AUC of the kept (best) epoch. */
  val_auc: number;
}

/** The folder of one seed's sweep run (`runs/chapter5/seed-<n>`, under `quick/` in quick mode). */
export function seedDir(seed: number, quick = false): string {
  return runsDir("chapter5", ...(quick ? ["quick"] : []), `seed-${seed}`);
}

/** Reads `<seedDir>/<style>-seed<n>/metrics.json`; undefined when the run is not on disk. */
export async function readSeedRun(
  dir: string,
  style: string,
  seed: number,
): Promise<SeedRun | undefined> {
  const file = `${dir}/${style}-seed${seed}/metrics.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  const m = JSON.parse(text);
  for (const key of ["test_auc", "test_acc", "epochs", "best_epoch", "train_seconds"]) {
    if (typeof m[key] !== "number") throw new Error(`${file}: no number ${key}`);
  }
  if (m.seed !== seed) throw new Error(`${file} is from seed ${m.seed}, not ${seed}`);
  const best = m.history?.[m.best_epoch - 1];
  if (typeof best?.val_auc !== "number") throw new Error(`${file}: history has no val_auc`);
  return {
    style,
    seed,
    test_auc: m.test_auc,
    test_acc: m.test_acc,
    epochs: m.epochs,
    best_epoch: m.best_epoch,
    train_seconds: m.train_seconds,
    val_auc: best.val_auc,
  };
}

/**
 * The sweep's summary figures from its runs (every style must have one run per seed, the Keras
 * style included): see the module documentation for the names.
 */
export function sweepFigures(runs: SeedRun[], styles: string[]): Record<string, number> {
  if (!styles.includes("keras")) {
    throw new Error("the sweep's headline figures need the keras style");
  }
  const seeds = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  const n = seeds.length;
  const out: Record<string, number> = {};
  for (const style of styles) {
    const mine = seeds.map((seed) => {
      const run = runs.find((r) => r.style === style && r.seed === seed);
      if (!run) throw new Error(`no ${style} run for seed ${seed}`);
      return run;
    });
    for (const key of ["test_auc", "test_acc", "val_auc"] as const) {
      const { mean, std } = meanStd(mine.map((r) => r[key]));
      out[`adrenal_${style}_${key}_mean${n}`] = mean;
      out[`adrenal_${style}_${key}_std${n}`] = std;
    }
    const seconds = meanStd(mine.map((r) => r.train_seconds));
    out[`adrenal_${style}_seconds_mean${n}`] = seconds.mean;
    out[`adrenal_${style}_seconds_std${n}`] = seconds.std;
  }
  const epochs = new Set(runs.map((r) => r.epochs));
  if (epochs.size !== 1) throw new Error(`the runs trained different epochs: ${[...epochs]}`);
  out.adrenal_test_auc = out[`adrenal_keras_test_auc_mean${n}`];
  out.adrenal_test_acc = out[`adrenal_keras_test_acc_mean${n}`];
  out.adrenal_test_auc_std = out[`adrenal_keras_test_auc_std${n}`];
  out.adrenal_test_acc_std = out[`adrenal_keras_test_acc_std${n}`];
  out.adrenal_seeds = n;
  out.adrenal_sweep_seeds = n;
  out.adrenal_sweep_epochs = [...epochs][0];
  return out;
}

/** `summary` without the figures of an earlier sweep (the keys {@link sweepFigures} writes). */
export function withoutSweep(summary: Record<string, unknown>): Record<string, unknown> {
  if (summary.adrenal_sweep_seeds === undefined) return summary;
  return Object.fromEntries(
    Object.entries(summary).filter(([k]) =>
      !/^adrenal_(keras|lightning)_\w+_(mean|std)\d+$/.test(k) &&
      !/^adrenal_(test_(auc|acc)(_std)?|seeds|sweep_\w+)$/.test(k)
    ),
  );
}

interface SweepArgs {
  seeds: number[];
  styles: string[];
  epochs: number;
  quick: boolean;
  rerun: boolean;
  aggregateOnly: boolean;
  rest: string[];
}

/** Parses the sweep's own options; the others are passed on to the notebook. */
export function parseSweepArgs(argv: string[]): SweepArgs {
  const a: SweepArgs = {
    seeds: [1, 2, 3],
    styles: ["keras", "lightning"],
    epochs: 40,
    quick: false,
    rerun: false,
    aggregateOnly: false,
    rest: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split("=", 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    if (name === "--seeds") {
      a.seeds = value().split(",").map((s) => Number(s.trim()));
      if (a.seeds.some((s) => !Number.isSafeInteger(s) || s < 1)) {
        throw new Error("--seeds must be whole numbers >= 1 separated by commas");
      }
    } else if (name === "--styles") {
      a.styles = value().split(",");
      if (a.styles.join(",") !== "keras" && a.styles.join(",") !== "keras,lightning") {
        throw new Error(`--styles must be keras or keras,lightning, got ${a.styles.join(",")}`);
      }
    } else if (name === "--epochs") {
      a.epochs = Number(value());
      if (!Number.isInteger(a.epochs) || a.epochs < 1) throw new Error("--epochs must be >= 1");
    } else if (name === "--quick") a.quick = true;
    else if (name === "--rerun") a.rerun = true;
    else if (name === "--aggregate-only") a.aggregateOnly = true;
    else if (name === "--adrenal-only") throw new Error(`${name} is set by the sweep itself`);
    else a.rest.push(argv[i]);
  }
  return a;
}

function runSeed(seed: number, a: SweepArgs, logFile: string): Promise<void> {
  const args = [
    "run",
    "--allow-all",
    "lib/book/run.ts",
    "chapters/05-conv3d/conv3d.ipynb",
    `--seeds=${seed}`,
    "--adrenal-only",
    `--styles=${a.styles.join(",")}`,
    `--epochs=${a.epochs}`,
    // A style already on disk for this seed (the Keras one) is read back, not trained again.
    ...(a.rerun ? [] : ["--reuse-keras"]),
    ...(a.quick ? ["--quick"] : []),
    ...a.rest,
  ];
  return runLogged(`seed ${seed}`, args, logFile);
}

/** CLI entry point. */
export async function main(argv: string[]): Promise<void> {
  const a = parseSweepArgs(argv);
  const base = runsDir("chapter5", ...(a.quick ? ["quick"] : []));
  const logDir = `${base}/seed-logs`;
  await Deno.mkdir(logDir, { recursive: true });
  const onDisk = async (seed: number) => {
    const runs = await Promise.all(
      a.styles.map((style) => readSeedRun(seedDir(seed, a.quick), style, seed)),
    );
    return runs.every((r) => r !== undefined && r.epochs === (a.quick ? 1 : a.epochs))
      ? runs as SeedRun[]
      : undefined;
  };
  if (!a.aggregateOnly) {
    console.log(
      `seeds ${a.seeds.join(", ")}, styles ${a.styles.join(", ")}, ${a.epochs} epochs, one ` +
        `seed at a time; logs in ${logDir.replace(`${projectRoot()}/`, "")}/`,
    );
    for (const seed of a.seeds) {
      if (!a.rerun && await onDisk(seed)) {
        console.log(`seed ${seed}: already on disk (--rerun trains it again)`);
        continue;
      }
      // Only the Keras style is ever read back: its log is kept, the Lightning one gets its own.
      const kerasOnDisk = !a.rerun && a.styles.length > 1 &&
        (await readSeedRun(seedDir(seed, a.quick), "keras", seed))?.epochs ===
          (a.quick ? 1 : a.epochs);
      await runSeed(seed, a, `${logDir}/seed-${seed}${kerasOnDisk ? "-lightning" : ""}.log`);
    }
  }
  const runs: SeedRun[] = [];
  for (const seed of a.seeds) {
    const mine = await onDisk(seed);
    if (!mine) {
      throw new Error(
        `seed ${seed}: no complete ${a.epochs}-epoch runs in ${seedDir(seed, a.quick)}`,
      );
    }
    runs.push(...mine);
    for (const r of mine) {
      console.log(
        `seed ${seed} ${r.style.padEnd(9)}: test AUC ${r.test_auc.toFixed(3)}, ACC ` +
          `${r.test_acc.toFixed(3)} (best val AUC ${
            r.val_auc.toFixed(3)
          } at epoch ${r.best_epoch}` +
          ` of ${r.epochs}, ${r.train_seconds.toFixed(0)} s)`,
      );
    }
  }
  const figures = sweepFigures(runs, a.styles);
  const target = `${base}/summary.json`;
  const previous: Record<string, unknown> = await Deno.readTextFile(target).then(JSON.parse)
    .catch(() => ({}));
  await writeJsonAtomic(target, { ...withoutSweep(previous), ...figures });
  const n = a.seeds.length;
  for (const style of a.styles) {
    const f = (key: string, digits = 3) =>
      `${figures[`adrenal_${style}_${key}_mean${n}`].toFixed(digits)} ± ${
        figures[`adrenal_${style}_${key}_std${n}`].toFixed(digits)
      }`;
    console.log(
      `${style}: test AUC ${f("test_auc")}, ACC ${f("test_acc")} over ${n} seeds ` +
        `(${f("seconds", 0)} s per run)`,
    );
  }
  console.log(`written to ${target.replace(`${projectRoot()}/`, "")}`);
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    console.error(`chapter5:seeds: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
