/**
 * One product, one and two threads: `deno run -A tools/bench/gemm_threads.ts [--rounds 8]
 * [--reps 20] [--shapes 512x512x512,32x3920x144]` times the engine's WebAssembly `gemm` (shapes
 * `MxNxK`, C = A·B) on one thread and shared with its helper thread, interleaved over rounds,
 * and splits the process's CPU time into the main thread's and the others' (the helper's). It tells
 * apart a sharing that does not pay from a helper that gets no core: on two free cores the main
 * thread's CPU per product falls to about half the one-thread time and the wall clock follows it;
 * when another job holds a core the helper's CPU stays low (or its units are preempted and the main
 * thread waits for them) and two threads gain little. The load average is printed with the table.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { gemmWasm, wasmHelperReady } from "../../lib/autograd/kernels/gemm_wasm.ts";
import { Rng } from "../../lib/autograd/mod.ts";
import { median } from "./stats.ts";
import { threadCpuMs } from "./thread_cpu.ts";

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "8" },
    reps: { type: "string", default: "20" },
    shapes: { type: "string", default: "512x512x512,32x3920x144,144x784x32" },
  },
});
const rounds = Number(opts.rounds), reps = Number(opts.reps);
const shapes = opts.shapes.split(",").map((s) => {
  const dims = s.split("x").map(Number);
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`--shapes: "${s}" is not MxNxK (positive integers)`);
  }
  return dims as [number, number, number];
});

if (!(await wasmHelperReady())) console.error("the helper thread did not start: 2 threads = 1");

/** CPU ms so far: the main thread's and all other threads'. */
function cpu(): { main: number; others: number } {
  let main = 0, others = 0;
  for (const [tid, t] of threadCpuMs()) {
    if (tid === Deno.pid) main += t.ms;
    else others += t.ms;
  }
  return { main, others };
}

const load0 = Deno.loadavg()[0];
const rows: string[] = [];
for (const [m, n, k] of shapes) {
  const rng = new Rng(1);
  const a = rng.uniformArray(m * k), b = rng.uniformArray(k * n), c = new Float32Array(m * n);
  const wall: Record<number, number[]> = { 1: [], 2: [] };
  const cpuMain: Record<number, number> = { 1: 0, 2: 0 },
    cpuOthers: Record<number, number> = { 1: 0, 2: 0 };
  for (let r = 0; r < rounds; r++) {
    for (const threads of [1, 2]) {
      for (let i = 0; i < 3; i++) gemmWasm(false, false, m, n, k, a, b, c, false, threads);
      const c0 = cpu();
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        gemmWasm(false, false, m, n, k, a, b, c, false, threads);
        wall[threads].push(performance.now() - t0);
      }
      const c1 = cpu();
      cpuMain[threads] += c1.main - c0.main;
      cpuOthers[threads] += c1.others - c0.others;
    }
  }
  const products = rounds * reps, gflop = 2 * m * n * k / 1e9;
  const w1 = median(wall[1]), w2 = median(wall[2]);
  const f = (x: number) => (x / products).toFixed(2);
  rows.push(
    `| ${m}×${n}×${k} | ${w1.toFixed(2)} (${(gflop / w1 * 1e3).toFixed(1)}) | ${w2.toFixed(2)} (${
      (gflop / w2 * 1e3).toFixed(1)
    }) | ${(w1 / w2).toFixed(2)}× | ${f(cpuMain[1])} / ${f(cpuOthers[1])} | ${f(cpuMain[2])} / ${
      f(cpuOthers[2])
    } |`,
  );
}
console.log(
  `gemm (WebAssembly), ${rounds} rounds × ${reps} products, interleaved; load average ${
    load0.toFixed(2)
  } → ${Deno.loadavg()[0].toFixed(2)}\n`,
);
console.log(
  "| C = A·B, M×N×K | 1 thread: median ms (GFLOP/s) | 2 threads: median ms (GFLOP/s) | speed-up | " +
    "CPU ms per product, 1 thread: main / others | 2 threads: main / others (the helper) |",
);
console.log("|---|---:|---:|---:|---:|---:|");
for (const r of rows) console.log(r);
