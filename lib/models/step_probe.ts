/**
 * One training step of a full-size network on the wasm backend: its time and memory. Run as its
 * own process (`deno run -A lib/models/step_probe.ts --size 299 --batch 2`), so that a step too
 * large for the wasm heap (4 GiB at most) ends that process, not the caller's; it prints one JSON
 * line ({@link StepProbeResult}).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import process from "node:process";
import { useWasm } from "../tfjs/backend.ts";
import { xception } from "./xception.ts";

/** What one probe measured. */
export interface StepProbeResult {
  /** Input side and batch size. */
  size: number;
  batch: number;
  /** Parameters of the network. */
  params: number;
  /** The first step (Adam's slots created, tensor memory profiled), seconds. */
  firstStepSeconds: number;
  /** The second step, seconds: the figure to quote on an idle machine. */
  stepSeconds: number;
  /** CPU time of the second step, seconds (the wasm backend runs on one thread): on a busy
   * machine, the figure that does not depend on the other processes. */
  stepCpuSeconds: number;
  /** Peak bytes of live tensors during the first step (`tf.profile`). */
  peakBytes: number;
  /** Size of the wasm heap after the steps, bytes (it grows and never shrinks). */
  wasmHeapBytes: number;
}

/** Times two Adam steps of the full-size Xception (1000 classes) on random images. */
export async function probeXceptionStep(size: number, batch: number): Promise<StepProbeResult> {
  await useWasm();
  const net = xception({ imageSize: size });
  const opt = tf.train.adam(1e-3);
  const x = tf.randomUniform([batch, size, size, 3], 0, 1, "float32", 1);
  const y = tf.oneHot(
    tf.tensor1d(Array.from({ length: batch }, (_, i) => (7 * i) % 1000), "int32"),
    1000,
  );
  const step = () => {
    const loss = opt.minimize(
      () =>
        tf.losses.softmaxCrossEntropy(
          y,
          net.apply(x, { training: true }) as tf.Tensor,
        ) as tf.Scalar,
      true,
    );
    loss?.dataSync();
    loss?.dispose();
  };
  let t0 = performance.now();
  const profile = await tf.profile(step);
  const firstStepSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const cpu0 = process.cpuUsage();
  step();
  const cpu = process.cpuUsage(cpu0);
  const stepSeconds = (performance.now() - t0) / 1000;
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.length;
  const result = {
    size,
    batch,
    params: net.countParams(),
    firstStepSeconds,
    stepSeconds,
    stepCpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakBytes: profile.peakBytes,
    wasmHeapBytes: heap ?? 0,
  };
  tf.dispose([x, y]);
  opt.dispose();
  net.dispose();
  return result;
}

/**
 * Runs {@link probeXceptionStep} in a child process; `undefined` when the step did not fit (the
 * child failed), with its last output line in `error`.
 */
export async function probeInChild(
  size: number,
  batch: number,
): Promise<{ result?: StepProbeResult; error?: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--size",
      `${size}`,
      "--batch",
      `${batch}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (out.success) return { result: JSON.parse(text.split("\n").at(-1)!) };
  const err = new TextDecoder().decode(out.stderr).trim().split("\n").filter((l) => l.trim());
  return {
    error: err.find((l) => /error|abort|memory/i.test(l)) ?? err.at(-1) ?? `exit ${out.code}`,
  };
}

if (import.meta.main) {
  const arg = (name: string, fallback: number) => {
    const i = Deno.args.indexOf(`--${name}`);
    const v = i >= 0 ? Number(Deno.args[i + 1]) : fallback;
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
    return v;
  };
  console.log(JSON.stringify(await probeXceptionStep(arg("size", 299), arg("batch", 2))));
}
