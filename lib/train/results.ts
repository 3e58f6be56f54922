/**
 * Where runs write their results: `runs/<chapter>/<run>/` holding `metrics.json` (machine
 * readable), TensorBoard events, checkpoints and plots.
 *
 * @module
 */
import { dirname, join } from "node:path";

/** `runs/<chapter>/<run>` under `root` (default: the current directory). */
export function runDir(chapter: string, run: string, root = "."): string {
  return join(root, "runs", chapter, run);
}

/** Writes `data` as pretty JSON via a temporary file and a rename (never half-written). */
export async function writeJsonAtomic(path: string, data: unknown): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, JSON.stringify(data, null, 2) + "\n");
  await Deno.rename(tmp, path);
}

/** Writes `<dir>/metrics.json`; returns its path. */
export async function writeMetricsJson(dir: string, metrics: unknown): Promise<string> {
  const path = join(dir, "metrics.json");
  await writeJsonAtomic(path, metrics);
  return path;
}
