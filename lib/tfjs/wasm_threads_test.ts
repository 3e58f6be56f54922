import { assert, assertEquals } from "../testing/asserts.ts";
import type { ProbeResult } from "./wasm_threads_probe.ts";

/** Runs the probe in a fresh process (the backend's thread count is fixed per process). */
async function probeWith(threads: number): Promise<ProbeResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("./wasm_threads_probe.ts", import.meta.url).pathname],
    env: { BOOK_THREADS: String(threads) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert(out.success, `probe with BOOK_THREADS=${threads} failed:\n${stderr}`);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

Deno.test({
  name: "wasm backend on 2 XNNPACK threads: repeatable, and bit-identical to one thread",
  ignore: (navigator.hardwareConcurrency ?? 1) < 2,
  async fn() {
    const one = await probeWith(1);
    const a = await probeWith(2);
    const b = await probeWith(2);
    assertEquals(one.threads, 1);
    assertEquals(a.threads, 2, "XNNPACK pool size with BOOK_THREADS=2");
    // A fixed thread count gives the same numbers run to run, to the last bit.
    assertEquals(a.values, b.values);
    // And the same numbers as the single-threaded binary: XNNPACK splits outputs into tiles and
    // each output is still reduced by one thread in one order, so BOOK_THREADS changes speed only.
    assertEquals(a.values, one.values, "2 threads vs the single-threaded binary");
  },
});
