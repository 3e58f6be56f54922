/**
 * Seed sweeps of a chapter (`deno task chapter2:seeds`, `chapter5:seeds`): each seed's run as a
 * child `deno` process whose output goes to a log file, and the mean and sample standard deviation
 * of a figure over the seeds.
 *
 * @module
 */
import { projectRoot } from "../data/assets.ts";

/** Mean and sample standard deviation (n − 1; 0 for one value). */
export function meanStd(values: number[]): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) throw new Error("meanStd: no values");
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const v = n > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(v) };
}

/** Options for {@linkcode runLogged}. */
export interface RunLoggedOptions {
  /** Run under `nice -n 10` where the machine has `nice` (a background job). Default false. */
  nice?: boolean;
  /** Working folder (default: the repository root). */
  cwd?: string;
}

let niceAvailable: Promise<boolean> | undefined;

function hasNice(): Promise<boolean> {
  niceAvailable ??= new Deno.Command("nice", { args: ["true"] }).output()
    .then((o) => o.success, () => false);
  return niceAvailable;
}

async function writeAll(file: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  for (let done = 0; done < chunk.length;) done += await file.write(chunk.subarray(done));
}

/**
 * Runs `deno <args>` with its stdout and stderr written to `logFile` (replaced) as they arrive,
 * then prints `<label> done in N min`; throws `<label> failed after N min; see <logFile>` when the
 * child fails.
 */
export async function runLogged(
  label: string,
  args: string[],
  logFile: string,
  options: RunLoggedOptions = {},
): Promise<void> {
  const nice = options.nice === true && await hasNice();
  const started = performance.now();
  const log = await Deno.open(logFile, { write: true, create: true, truncate: true });
  let success: boolean;
  try {
    const child = new Deno.Command(nice ? "nice" : Deno.execPath(), {
      args: nice ? ["-n", "10", Deno.execPath(), ...args] : args,
      cwd: options.cwd ?? projectRoot(),
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const sink = () => new WritableStream<Uint8Array>({ write: (chunk) => writeAll(log, chunk) });
    await Promise.all([child.stdout.pipeTo(sink()), child.stderr.pipeTo(sink())]);
    success = (await child.status).success;
  } finally {
    log.close();
  }
  const minutes = ((performance.now() - started) / 60000).toFixed(1);
  if (!success) throw new Error(`${label} failed after ${minutes} min; see ${logFile}`);
  console.log(`${label} done in ${minutes} min`);
}
