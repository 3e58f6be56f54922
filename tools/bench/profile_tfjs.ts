/**
 * Where a tfjs training step spends its CPU time, kernel by kernel:
 * `deno run -A tools/bench/profile_tfjs.ts <workload id> [--steps N] [--calls]` (ids in
 * workloads.ts; `BOOK_THREADS=2` for the threaded backend).
 *
 * Every kernel registered for the wasm backend is wrapped to read the process's CPU time before and
 * after it runs; a kernel's *self* time excludes the kernels it runs inside (our patched kernels
 * are built from other kernels), so the self times add up to the step's time in kernels, and the
 * rest is tfjs's JavaScript around them (tape, optimizer bookkeeping). CPU time, not wall time: on
 * a shared machine a kernel preempted by other jobs waits but does not burn CPU. With several
 * XNNPACK threads the process's CPU time includes the pool threads' work (and their spinning);
 * the per-thread table at the end shows how it is shared.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import process from "node:process";
import { parseArgs } from "node:util";
import { useWasm, wasmThreads } from "../../lib/tfjs/mod.ts";
import { tfjsWorkload } from "./workloads.ts";
import { threadCpuMs } from "./thread_cpu.ts";

const { values: opts, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { steps: { type: "string", default: "5" }, calls: { type: "boolean", default: false } },
});
const id = positionals[0] ?? "cnn1";
const steps = Number(opts.steps);

await useWasm();
const step = tfjsWorkload(id);
if (step == null) throw new Error(`no tfjs workload ${id}`);

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Entry {
  self: number;
  total: number;
  n: number;
}
const byName = new Map<string, Entry>();
const byCall = new Map<string, Entry>();
/** Child time accumulated by each open kernel frame. */
const stack: number[] = [];
let recording = false;

for (const k of tf.getKernelsForBackend("wasm")) {
  const inner = k.kernelFunc;
  tf.unregisterKernel(k.kernelName, "wasm");
  tf.registerKernel({
    ...k,
    kernelFunc: (args) => {
      if (!recording) return inner(args);
      stack.push(0);
      const c0 = cpuMs();
      try {
        return inner(args);
      } finally {
        const total = cpuMs() - c0;
        const children = stack.pop()!;
        if (stack.length > 0) stack[stack.length - 1] += total;
        const e = byName.get(k.kernelName) ?? { self: 0, total: 0, n: 0 };
        e.self += total - children;
        e.total += total;
        e.n++;
        byName.set(k.kernelName, e);
        if (opts.calls) {
          const shapes = Object.values(args.inputs).map((t) =>
            (t as tf.TensorInfo | undefined)?.shape
          );
          const key = `${k.kernelName} ${JSON.stringify(shapes)}`;
          const c = byCall.get(key) ?? { self: 0, total: 0, n: 0 };
          c.self += total - children;
          c.total += total;
          c.n++;
          byCall.set(key, c);
        }
      }
    },
  });
}

await step();
await step();
const threads0 = threadCpuMs();
const c0 = cpuMs(), t0 = performance.now();
recording = true;
for (let i = 0; i < steps; i++) await step();
recording = false;
const cpu = (cpuMs() - c0) / steps, wall = (performance.now() - t0) / steps;
const threads1 = threadCpuMs();

let inKernels = 0;
for (const e of byName.values()) inKernels += e.self;
inKernels /= steps;
console.log(
  `${id}: ${wasmThreads()} XNNPACK thread(s); per step (mean of ${steps}): ` +
    `CPU ${cpu.toFixed(1)} ms (kernels ${inKernels.toFixed(1)}, outside kernels ${
      (cpu - inKernels).toFixed(1)
    }), wall ${wall.toFixed(1)} ms`,
);
console.log(
  `${"kernel".padEnd(36)} ${"self ms".padStart(8)} ${"share".padStart(6)} ${"calls".padStart(6)}`,
);
for (const [name, e] of [...byName].sort((a, b) => b[1].self - a[1].self).slice(0, 25)) {
  console.log(
    `${name.padEnd(36)} ${(e.self / steps).toFixed(1).padStart(8)} ${
      (100 * e.self / steps / cpu).toFixed(1).padStart(5)
    }% ${String(e.n / steps).padStart(6)}`,
  );
}
if (opts.calls) {
  console.log("\nheaviest calls (self ms per step, input shapes):");
  for (const [key, e] of [...byCall].sort((a, b) => b[1].self - a[1].self).slice(0, 30)) {
    console.log(`${(e.self / steps).toFixed(1).padStart(8)}  ${e.n / steps}×  ${key}`);
  }
}
console.log("\nCPU per thread over the timed steps (ms per step; /proc/self/task, 10 ms ticks):");
for (const [tid, t] of threads1) {
  const before = threads0.get(tid);
  const ms = (t.ms - (before?.ms ?? 0)) / steps;
  if (ms >= 0.5) {
    console.log(`  ${String(tid).padStart(8)} ${t.name.padEnd(18)} ${ms.toFixed(1).padStart(8)}`);
  }
}
