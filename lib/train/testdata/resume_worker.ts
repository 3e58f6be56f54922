/**
 * Subprocess for the kill-and-resume test: trains `BlobModule` with a checkpoint directory and
 * prints `EPOCH <n>` after each epoch. With `--hang-at-epoch K` it stalls in the middle of epoch K
 * (after printing `HANG`) so the test can SIGKILL it there. On completion it prints
 * `HISTORY <json>`.
 *
 * Usage: deno run -A resume_worker.ts <checkpointDir> <maxEpochs> [--hang-at-epoch K]
 */
import { useWasm } from "../../tfjs/backend.ts";
import { Trainer } from "../lightning.ts";
import { blobDataset, BlobModule } from "./fixtures.ts";

/** Trainer options shared by the worker and the test's uninterrupted reference run. */
export const RESUME_OPTIONS = { batchSize: 16, seed: 5, numClasses: 3 };

if (import.meta.main) {
  await useWasm();
  const [dir, epochs, flag, hangAt] = Deno.args;
  const hang = flag === "--hang-at-epoch" ? Number(hangAt) : -1;
  const trainer = new Trainer({
    ...RESUME_OPTIONS,
    maxEpochs: Number(epochs),
    checkpointDir: dir,
    callbacks: [{
      onBatchEnd: async (t, batchIdx) => {
        if (t.state.epoch === hang && batchIdx === 1) {
          console.log("HANG");
          await new Promise((r) => setTimeout(r, 120_000));
        }
      },
      onEpochEnd: (_t, epoch) => console.log(`EPOCH ${epoch}`),
    }],
  });
  const history = await trainer.fit(new BlobModule(9), blobDataset(96, 1), blobDataset(30, 2));
  console.log(`HISTORY ${JSON.stringify(history)}`);
}
