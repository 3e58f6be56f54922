import { assertAlmostEquals, assertEquals, assertRejects } from "../testing/asserts.ts";
import { meanStd, runLogged } from "./sweep.ts";

Deno.test("meanStd: mean and sample standard deviation", () => {
  assertEquals(meanStd([0.5]), { mean: 0.5, std: 0 });
  const { mean, std } = meanStd([0.9, 0.92, 0.94]);
  assertAlmostEquals(mean, 0.92, 1e-12);
  assertAlmostEquals(std, 0.02, 1e-12);
});

Deno.test("runLogged: both streams go to the log; a failure names the log", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const log = `${dir}/run.log`;
    await runLogged("child", ["eval", "console.log('to stdout'); console.error('to stderr')"], log);
    const text = await Deno.readTextFile(log);
    assertEquals([text.includes("to stdout"), text.includes("to stderr")], [true, true]);
    await assertRejects(
      () => runLogged("seed 7", ["eval", "Deno.exit(3)"], log, { nice: true }),
      Error,
      ["seed 7 failed after ", ` min; see ${log}`],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
