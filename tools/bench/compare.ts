/**
 * `deno task bench:compare`: the same training steps in our engine, TensorFlow.js (patched wasm),
 * PyTorch and Keras, interleaved round by round in one run, median ms per step.
 *
 * PyTorch and Keras run from a Python venv this script creates in `data/cache/bench-venv` from PyPI
 * (pinned versions below); when that fails, their columns are skipped with a message saying why.
 * Each round runs every workload in every framework (`--steps` timed steps each, after warm-up in
 * the first round), so a busy neighbour slows all columns alike; the tables report the median of
 * all timed steps, in wall-clock time and in CPU time of the framework's process. On a shared
 * machine the CPU time is the steadier figure (a step preempted by other jobs waits but does not
 * burn CPU); for multi-threaded columns it sums the threads, so it measures work, not latency.
 * Writes `runs/bench/compare.md` and `compare.json`.
 *
 * Options: `--rounds N` (3), `--steps N` (8), `--warmup N` (3), `--only id,id` (see WORKLOADS),
 * `--no-python`, `--out DIR` (runs/bench). `BOOK_THREADS=2` runs the tfjs column on two XNNPACK
 * threads (the engine's columns set their thread counts themselves).
 *
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { useWasm, wasmThreads } from "../../lib/tfjs/mod.ts";
import { gemmWorkerReady, setGemmKernel, setGemmThreads } from "../../lib/autograd/kernels/mod.ts";
import { engineWorkload, type Step, tfjsWorkload, WORKLOADS } from "./workloads.ts";
import { median } from "./stats.ts";

/** PyPI packages of the Python side (CPU-only TensorFlow; PyTorch's CPU build of the same wheel). */
export const PYTHON_PACKAGES = ["torch==2.14.1", "tensorflow-cpu==2.21.0"];
const VENV = "data/cache/bench-venv";

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    rounds: { type: "string", default: "3" },
    steps: { type: "string", default: "8" },
    warmup: { type: "string", default: "3" },
    only: { type: "string" },
    "no-python": { type: "boolean", default: false },
    out: { type: "string", default: "runs/bench" },
  },
});
const rounds = Number(opts.rounds), steps = Number(opts.steps), warmup = Number(opts.warmup);
const workloads = opts.only == null
  ? WORKLOADS
  : WORKLOADS.filter((w) => opts.only!.split(",").includes(w.id));
if (workloads.length === 0) throw new Error(`--only ${opts.only}: no such workload`);

/** Per-step times of one batch of steps: wall clock and process CPU, in ms. */
interface Times {
  ms: number[];
  cpu: number[];
}

/** A column of the table: one framework at one thread setting. */
interface Column {
  id: string;
  label: string;
  /** Times `n` steps of workload `id` (after `warm` untimed ones); null when unsupported. */
  run(id: string, n: number, warm: number): Promise<Times | null>;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function timeSteps(step: Step, n: number, warm: number): Promise<Times> {
  for (let i = 0; i < warm; i++) await step();
  const ms: number[] = [], cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = cpuMs(), t0 = performance.now();
    await step();
    ms.push(performance.now() - t0);
    cpu.push(cpuMs() - c0);
  }
  return { ms, cpu };
}

function cachedColumn(
  id: string,
  label: string,
  make: (w: string) => Step | null,
  before: () => void | Promise<void> = () => {},
): Column {
  const cache = new Map<string, Step | null>();
  return {
    id,
    label,
    async run(w, n, warm) {
      await before();
      if (!cache.has(w)) cache.set(w, make(w));
      const step = cache.get(w);
      return step == null ? null : await timeSteps(step, n, warm);
    },
  };
}

/** A Python framework served by frameworks.py over JSON lines. */
class PythonColumn implements Column {
  constructor(
    readonly id: string,
    readonly label: string,
    readonly proc: PythonRunner,
    readonly threads: number,
  ) {}
  async run(w: string, n: number, warm: number): Promise<Times | null> {
    const r = await this.proc.request({
      workload: w,
      threads: this.threads,
      steps: n,
      warmup: warm,
    });
    if (r.error) {
      if (!String(r.error).startsWith("no workload")) {
        console.error(`${this.label} ${w}: ${r.error}`);
      }
      return null;
    }
    return { ms: r.ms as number[], cpu: r.cpu as number[] };
  }
}

class PythonRunner {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  version = "";
  constructor(python: string, framework: string) {
    this.#child = new Deno.Command(python, {
      args: [new URL("./frameworks.py", import.meta.url).pathname, framework],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
      env: { TF_CPP_MIN_LOG_LEVEL: "3", PYTHONUNBUFFERED: "1" },
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#reader = this.#child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  }
  async ready(): Promise<void> {
    const r = await this.#next();
    this.version = String(r.version);
  }
  async #next(): Promise<Record<string, unknown>> {
    for (;;) {
      const nl = this.#buffer.indexOf("\n");
      if (nl >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        if (line.startsWith("{")) return JSON.parse(line);
        continue;
      }
      const { value, done } = await this.#reader.read();
      if (done) throw new Error("frameworks.py exited");
      this.#buffer += value;
    }
  }
  async request(req: Record<string, unknown>): Promise<Record<string, unknown>> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(req) + "\n"));
    return await this.#next();
  }
  async close(): Promise<void> {
    await this.#writer.close();
    await this.#child.status;
  }
}

async function sh(cmd: string, args: string[]): Promise<boolean> {
  const out = await new Deno.Command(cmd, { args, stdout: "inherit", stderr: "inherit" }).output();
  return out.success;
}

/** The venv's python with torch and keras importable, creating it first; null with a reason. */
async function pythonWithPackages(): Promise<string | null> {
  const python = `${VENV}/bin/python`;
  const probe = async () =>
    (await new Deno.Command(python, {
      args: ["-c", "import torch, tensorflow, keras"],
      stdout: "null",
      stderr: "null",
    }).output().catch(() => ({ success: false }))).success;
  if (await probe()) return python;
  console.error(`creating ${VENV} with ${PYTHON_PACKAGES.join(" ")} from PyPI (a few GB)...`);
  const ok = (await sh("python3", ["-m", "venv", VENV])) &&
    (await sh(`${VENV}/bin/pip`, ["install", "--quiet", ...PYTHON_PACKAGES]));
  if (ok && await probe()) return python;
  console.error(
    `SKIPPING PyTorch and Keras: could not install ${PYTHON_PACKAGES.join(", ")} into ${VENV} ` +
      "(needs python3 with venv and pip, and PyPI). The Deno columns still run.",
  );
  return null;
}

// ------------------------------------------------------------------ columns
await useWasm();
const columns: Column[] = [
  cachedColumn("engineTs", "our engine, TS kernels, 1 thread", engineWorkload, () => {
    setGemmKernel("ts"); // the plain TypeScript reference kernels: the "before" of the fast path
    setGemmThreads(1);
  }),
  cachedColumn("engine1", "our engine, 1 thread", engineWorkload, () => {
    setGemmKernel("wasm");
    setGemmThreads(1);
  }),
  cachedColumn("engine2", "our engine, 2 threads", engineWorkload, async () => {
    setGemmKernel("wasm");
    setGemmThreads(2);
    await gemmWorkerReady(); // start-up happens once, outside every timed step
  }),
  // XNNPACK's thread count is fixed per process: BOOK_THREADS=2 for the threaded backend.
  cachedColumn("tfjs", `tfjs patched wasm, ${wasmThreads()} thread(s)`, tfjsWorkload),
];
const runners: PythonRunner[] = [];
const versions: Record<string, string> = { deno: Deno.version.deno };
const python = opts["no-python"] ? null : await pythonWithPackages();
if (python != null) {
  for (const framework of ["torch", "keras"]) {
    const runner = new PythonRunner(python, framework);
    try {
      await runner.ready();
    } catch (e) {
      console.error(`SKIPPING ${framework}: frameworks.py failed to start (${e})`);
      continue;
    }
    runners.push(runner);
    versions[framework] = runner.version;
    if (framework === "torch") {
      columns.push(
        new PythonColumn("torch1", "PyTorch, 1 thread", runner, 1),
        new PythonColumn("torch2", "PyTorch, 2 threads", runner, 2),
      );
    } else {
      columns.push(new PythonColumn("keras", "Keras (TF CPU)", runner, 0));
    }
  }
} else if (opts["no-python"]) {
  console.error("--no-python: PyTorch and Keras skipped");
}

// ------------------------------------------------------------------ rounds
const samples = new Map<string, Times>(); // `${workload}/${column}` → step times
for (let round = 0; round < rounds; round++) {
  for (const w of workloads) {
    for (const c of columns) {
      const t = await c.run(w.id, steps, round === 0 ? warmup : 1);
      if (t == null) continue;
      const key = `${w.id}/${c.id}`;
      const all = samples.get(key) ?? { ms: [], cpu: [] };
      samples.set(key, { ms: [...all.ms, ...t.ms], cpu: [...all.cpu, ...t.cpu] });
      console.error(
        `round ${round + 1}/${rounds} ${w.id.padEnd(10)} ${c.label.padEnd(34)} ` +
          `median ${median(t.ms).toFixed(2)} ms (CPU ${median(t.cpu).toFixed(2)} ms)`,
      );
    }
  }
}
setGemmThreads(1);
for (const r of runners) await r.close();

// ------------------------------------------------------------------ report
type Table = Record<string, Record<string, number>>;
const wall: Table = {}, cpu: Table = {};
for (const w of workloads) {
  wall[w.id] = {};
  cpu[w.id] = {};
  for (const c of columns) {
    const s = samples.get(`${w.id}/${c.id}`);
    if (!s) continue;
    wall[w.id][c.id] = Number(median(s.ms).toFixed(3));
    cpu[w.id][c.id] = Number(median(s.cpu).toFixed(3));
  }
}
const fmt = (v: number | undefined) =>
  v == null ? "–" : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
const ratio = (a: number | undefined, b: number | undefined) =>
  a == null || b == null ? "–" : `${(a / b).toFixed(1)}×`;
const table = (what: string, t: Table) =>
  [
    `| workload (one training step, median ${what}) | ${
      columns.map((c) => c.label).join(" | ")
    } | engine ÷ PyTorch (1 thread / 2) | tfjs ÷ Keras |`,
    `|---|${columns.map(() => "---:").join("|")}|---:|---:|`,
    ...workloads.map((w) => {
      const r = t[w.id];
      return `| ${w.label} | ${columns.map((c) => fmt(r[c.id])).join(" | ")} | ` +
        `${ratio(r.engine1, r.torch1)} / ${ratio(r.engine2, r.torch2)} | ${
          ratio(r.tfjs, r.keras)
        } |`;
    }),
  ].join("\n");
const lines = [
  table("wall-clock ms", wall),
  "",
  "CPU time of the framework's process (sums its threads: for 2-thread columns and Keras, work " +
  "rather than latency):",
  "",
  table("CPU ms", cpu),
];
const date = new Date().toISOString().slice(0, 16).replace("T", " ");
const header =
  `\`deno task bench:compare ${Deno.args.join(" ")}\`, ${date} UTC, ${rounds} rounds × ` +
  `${steps} steps, medians; ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(", ")}.`;
const markdown = `${header}\n\n${lines.join("\n")}\n`;
await Deno.mkdir(opts.out, { recursive: true });
await Deno.writeTextFile(`${opts.out}/compare.md`, markdown);
await Deno.writeTextFile(
  `${opts.out}/compare.json`,
  JSON.stringify({ date, rounds, steps, versions, medianMs: wall, medianCpuMs: cpu }, null, 2) +
    "\n",
);
console.log(markdown);
console.error(`wrote ${opts.out}/compare.md and compare.json`);
