import * as tf from "@tensorflow/tfjs";
import { fileURLToPath } from "node:url";
import { useWasm } from "../tfjs/backend.ts";
import { loadCheckpoint } from "./checkpoint.ts";
import {
  clipByGlobalNorm,
  EarlyStopping,
  type EpochLogs,
  MetricsJsonLogger,
  ModelCheckpoint,
  TensorBoardLogger,
  Trainer,
  type TrainerState,
} from "./lightning.ts";
import { blobDataset, BlobModule } from "./testdata/fixtures.ts";
import { RESUME_OPTIONS } from "./testdata/resume_worker.ts";

await useWasm();

function sameHistory(a: EpochLogs[], b: EpochLogs[], what: string) {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} vs ${b.length} epochs`);
  a.forEach((e, i) => {
    for (const k of Object.keys(e)) {
      if (!(Math.abs(e[k] - b[i][k]) <= 1e-6 * Math.max(1, Math.abs(e[k])))) {
        throw new Error(`${what}: epoch ${i} ${k}: ${e[k]} vs ${b[i][k]}`);
      }
    }
  });
}

Deno.test("Trainer learns, keeps numTensors flat, logs TensorBoard + metrics.json", async () => {
  const dir = await Deno.makeTempDir({ prefix: "trainer-" });
  try {
    const train = blobDataset(96, 1), val = blobDataset(30, 2);
    const counts: number[] = [];
    const trainer = new Trainer({
      maxEpochs: 4,
      batchSize: 16,
      seed: 1,
      numClasses: 3,
      gradientClipNorm: 5,
      callbacks: [{ onEpochEnd: () => void counts.push(tf.memory().numTensors) }],
      loggers: [new TensorBoardLogger(`${dir}/tb`), new MetricsJsonLogger(dir, { run: "test" })],
    });
    const module = new BlobModule(1);
    const history = await trainer.fit(module, train, val);
    if (history.length !== 4) throw new Error(`epochs ${history.length}`);
    if (!(history[3].loss < history[0].loss)) {
      throw new Error(`loss did not fall: ${JSON.stringify(history)}`);
    }
    if (!(history[3].val_acc > 0.6)) throw new Error(`val_acc ${history[3].val_acc}`);
    // Optimizer slots appear in the first step; after that nothing may accumulate.
    if (new Set(counts.slice(1)).size !== 1 || counts[1] !== counts[0]) {
      throw new Error(`numTensors not flat across epochs: ${counts}`);
    }
    const metrics = JSON.parse(await Deno.readTextFile(`${dir}/metrics.json`));
    if (metrics.run !== "test" || metrics.history.length !== 4) throw new Error("metrics.json");
    if (metrics.report.confusion.length !== 3) throw new Error("report missing");
    let events = 0;
    for await (const e of Deno.readDir(`${dir}/tb`)) if (e.name.startsWith("events.out")) events++;
    if (events !== 1) throw new Error(`event files: ${events}`);
    module.model.dispose();
    tf.dispose([train.x, train.y, val.x, val.y]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("EarlyStopping stops when the metric stops improving; ModelCheckpoint saves the best", async () => {
  const dir = await Deno.makeTempDir({ prefix: "es-" });
  try {
    const train = blobDataset(32, 3), val = blobDataset(12, 4);
    // `epoch` never decreases: with mode "min" and patience 1, epochs 1 and 2 do not improve.
    const stop = new EarlyStopping({ monitor: "epoch", mode: "min", patience: 1 });
    const best = new ModelCheckpoint(`${dir}/best`, { monitor: "epoch", mode: "min" });
    const trainer = new Trainer({ maxEpochs: 10, batchSize: 16, callbacks: [stop, best] });
    const module = new BlobModule(2);
    const history = await trainer.fit(module, train, val);
    if (history.length !== 3) throw new Error(`ran ${history.length} epochs, expected 3`);
    const ckpt = await loadCheckpoint<{ epoch: number }>(`${dir}/best`);
    if (ckpt?.state.epoch !== 0) throw new Error(`best checkpoint epoch ${ckpt?.state.epoch}`);
    tf.dispose(ckpt.variables);
    module.model.dispose();
    tf.dispose([train.x, train.y, val.x, val.y]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("clipByGlobalNorm bounds the global norm and keeps directions", () => {
  const [a, b] = clipByGlobalNorm([tf.tensor1d([3, 0]), tf.tensor1d([0, 4])], 1);
  const av = a.dataSync(), bv = b.dataSync();
  if (Math.abs(av[0] - 0.6) > 1e-6 || Math.abs(bv[1] - 0.8) > 1e-6) throw new Error(`${av} ${bv}`);
  const [c] = clipByGlobalNorm([tf.tensor1d([0.1, 0.2])], 1);
  if (Math.abs(c.dataSync()[1] - 0.2) > 1e-7) {
    throw new Error("small gradients must pass unchanged");
  }
  tf.dispose([a, b, c]);
});

Deno.test("resume from a checkpoint reproduces an uninterrupted run exactly", async () => {
  const dirA = await Deno.makeTempDir({ prefix: "resumeA-" });
  try {
    const train = blobDataset(48, 5), val = blobDataset(12, 6);
    const opts = { batchSize: 16, seed: 2, numClasses: 3 };
    const full = await new Trainer({ ...opts, maxEpochs: 4 }).fit(new BlobModule(3), train, val);
    await new Trainer({ ...opts, maxEpochs: 2, checkpointDir: dirA }).fit(
      new BlobModule(3),
      train,
      val,
    );
    // A differently initialised module: everything must come from the checkpoint.
    const resumed = await new Trainer({ ...opts, maxEpochs: 4, checkpointDir: dirA })
      .fit(new BlobModule(77), train, val);
    sameHistory(resumed, full, "resumed vs uninterrupted");
    tf.dispose([train.x, train.y, val.x, val.y]);
  } finally {
    await Deno.remove(dirA, { recursive: true });
  }
});

Deno.test("kill -9 mid-epoch, restart: no lost epoch, same result as uninterrupted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kill-" });
  const worker = fileURLToPath(new URL("./testdata/resume_worker.ts", import.meta.url));
  const config = fileURLToPath(new URL("../../deno.json", import.meta.url));
  const args = (extra: string[]) => ["run", "-A", "--config", config, worker, dir, "5", ...extra];
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: args(["--hang-at-epoch", "2"]),
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("HANG")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`worker exited before hanging: ${out}`);
      out += value;
    }
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel().catch(() => {});
    if (!out.includes("EPOCH 1") || out.includes("EPOCH 2")) throw new Error(`unexpected: ${out}`);
    const ckpt = await loadCheckpoint<TrainerState>(dir);
    if (ckpt?.state.epoch !== 2) throw new Error(`checkpoint at epoch ${ckpt?.state.epoch}`);
    tf.dispose(ckpt.variables);
    tf.dispose(ckpt.optimizer.map((o) => o.tensor));

    const again = await new Deno.Command(Deno.execPath(), { args: args([]), stderr: "inherit" })
      .output();
    const text = new TextDecoder().decode(again.stdout);
    if (!again.success) throw new Error(`restart failed: ${text}`);
    const resumedEpochs = [...text.matchAll(/EPOCH (\d+)/g)].map((m) => Number(m[1]));
    if (resumedEpochs.join() !== "2,3,4") throw new Error(`restart ran epochs ${resumedEpochs}`);
    const history = JSON.parse(text.split("HISTORY ")[1]) as EpochLogs[];
    if (history.map((h) => h.epoch).join() !== "0,1,2,3,4") throw new Error("history epochs");

    const train = blobDataset(96, 1), val = blobDataset(30, 2);
    const reference = await new Trainer({ ...RESUME_OPTIONS, maxEpochs: 5 })
      .fit(new BlobModule(9), train, val);
    sameHistory(history, reference, "killed+resumed vs uninterrupted");
    tf.dispose([train.x, train.y, val.x, val.y]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
