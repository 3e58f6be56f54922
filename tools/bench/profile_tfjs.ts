/**
 * Where a tfjs training step spends its time, kernel by kernel (nested kernels, e.g. the ops our
 * patched kernels run, are counted inside their parent too): `deno run -A
 * tools/bench/profile_tfjs.ts <workload id>` (ids in workloads.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { useWasm } from "../../lib/tfjs/mod.ts";
import { tfjsWorkload } from "./workloads.ts";

await useWasm();
const id = Deno.args[0] ?? "cnn1";
const step = tfjsWorkload(id);
if (step == null) throw new Error(`no tfjs workload ${id}`);
await step();
const info = await tf.profile(async () => {
  await step();
});
const byName = new Map<string, { ms: number; n: number }>();
let total = 0;
for (const k of info.kernels) {
  const ms = (await k.kernelTimeMs) as number;
  const key = k.name;
  const e = byName.get(key) ?? { ms: 0, n: 0 };
  e.ms += ms;
  e.n++;
  byName.set(key, e);
  total += ms;
}
console.log(
  `${id}: ${info.kernels.length} kernel calls, ${
    total.toFixed(1)
  } ms summed (nested double-counted)`,
);
for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
  console.log(
    `${name.padEnd(40)} ${e.ms.toFixed(1).padStart(9)} ms  ${String(e.n).padStart(4)} calls`,
  );
}
if (Deno.args.includes("--calls")) {
  const calls = [];
  for (const k of info.kernels) {
    calls.push({
      name: k.name,
      ms: (await k.kernelTimeMs) as number,
      shapes: JSON.stringify(k.inputShapes),
    });
  }
  for (const c of calls.sort((a, b) => b.ms - a.ms).slice(0, 40)) {
    console.log(`${c.name.padEnd(32)} ${c.ms.toFixed(1).padStart(8)} ms  ${c.shapes}`);
  }
}
