/**
 * The dataset builder's command line.
 *
 * ```sh
 * deno task dataset build lib/dataset/configs/clothing5.json [--force] [--out DIR] [--no-archive]
 * deno task dataset verify data/datasets/clothing5-v1
 * deno task dataset info data/datasets/clothing5-v1
 * ```
 *
 * Paths given on the command line are relative to the folder the command was started from.
 * Relative paths inside a config file are relative to the project root. Ctrl-C during a build
 * removes the staging folder and publishes nothing.
 *
 * @module
 */

import * as path from "node:path";
import { projectRoot } from "../data/assets.ts";
import { formatDuration } from "../viz/progress.ts";
import { buildDataset, datasetDirName } from "./build.ts";
import { readConfig } from "./config.ts";
import { readManifest, verifyDataset } from "./loader.ts";
import { SPLITS } from "./split.ts";

const USAGE = `usage:
  deno task dataset build <config.json> [--force] [--out DIR] [--no-archive]
  deno task dataset verify <dataset dir>
  deno task dataset info <dataset dir>`;

function userPath(p: string): string {
  const cwd = Deno.env.get("INIT_CWD") ?? Deno.cwd();
  return path.resolve(cwd, p);
}

/** Runs the CLI with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  const flags = new Set(rest.filter((a) => a.startsWith("--")));
  const positional: string[] = [];
  let outDir: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === "--out") {
      outDir = rest[++i];
      flags.delete("--out");
    } else if (!rest[i].startsWith("--")) positional.push(rest[i]);
  }
  const unknown = [...flags].filter((f) => !["--force", "--no-archive", "--quiet"].includes(f));
  if (unknown.length > 0 || positional.length !== 1) {
    console.error(unknown.length ? `unknown option ${unknown[0]}\n${USAGE}` : USAGE);
    return 2;
  }
  const target = userPath(positional[0]);
  if (command === "build") {
    const config = await readConfig(target);
    if (outDir !== undefined) config.outDir = userPath(outDir);
    const controller = new AbortController();
    const onSignal = interruptHandler(controller);
    Deno.addSignalListener("SIGINT", onSignal);
    try {
      const quiet = flags.has("--quiet");
      const result = await buildDataset(config, {
        baseDir: projectRoot(),
        overwrite: flags.has("--force"),
        archive: !flags.has("--no-archive"),
        progress: !quiet,
        log: quiet ? undefined : (m) => console.log(m),
        signal: controller.signal,
      });
      const c = result.report.counts;
      console.log(
        [
          `dataset   ${result.dir}`,
          result.archive ? `archive   ${result.archive}` : "",
          `images    ${c.published} (${
            SPLITS.map((s) => `${s} ${Object.values(c.perSplit[s]).reduce((a, b) => a + b, 0)}`)
              .join(", ")
          })`,
          `dropped   ${c.dropped} of ${c.candidates} (${
            Object.entries(c.droppedByReason).map(([r, n]) => `${r}: ${n}`).join("; ") || "none"
          })`,
          `near-dup  ${c.nearDuplicateGroups} groups, ${c.imagesInNearDuplicateGroups} images`,
          result.downloads.fetched + result.downloads.reused > 0
            ? `downloads ${result.downloads.fetched} fetched, ${result.downloads.reused} reused, ` +
              `${result.downloads.failed} failed`
            : "",
          `time      ${formatDuration(result.seconds)} (${result.seconds.toFixed(1)} s)`,
        ].filter((l) => l !== "").join("\n"),
      );
      return 0;
    } catch (e) {
      if (controller.signal.aborted) return 130;
      throw e;
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
    }
  }
  if (command === "verify") {
    const r = await verifyDataset(target);
    console.log(
      `OK ${target}: ${r.checked} files match SHA256SUMS, ${r.images} images in the manifest`,
    );
    return 0;
  }
  if (command === "info") {
    const rows = await readManifest(target);
    const labels = [...new Set(rows.map((r) => r.label))].sort();
    console.log(`${path.basename(target)}: ${rows.length} images`);
    console.log(["class", ...SPLITS].map((s) => s.padEnd(12)).join(""));
    for (const l of labels) {
      console.log(
        [l, ...SPLITS.map((s) => String(rows.filter((r) => r.label === l && r.split === s).length))]
          .map((s) => s.padEnd(12)).join(""),
      );
    }
    return 0;
  }
  console.error(USAGE);
  return 2;
}

/**
 * The Ctrl-C handler of a build: the first call aborts (downloads and decodes stop, the staging
 * folder is removed, nothing is published); a second call exits at once with status 130.
 */
export function interruptHandler(
  controller: AbortController,
  exit: (code: number) => void = (code) => Deno.exit(code),
  say: (line: string) => void = (line) => console.error(line),
): () => void {
  return () => {
    if (controller.signal.aborted) {
      say("\ninterrupted again: exiting now");
      exit(130);
      return;
    }
    say(
      "\ninterrupted: removing the staging folder, nothing is published (Ctrl-C again to quit now)",
    );
    controller.abort(new Error("interrupted"));
  };
}

/** The name a config would publish under (for scripts): `name-vVersion`. */
export async function publishedName(configFile: string): Promise<string> {
  const c = await readConfig(configFile);
  return datasetDirName(c.name, String(c.version ?? "1"));
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
