import { assert, assertEquals } from "../testing/asserts.ts";
import { runsDir, setupChapter } from "./args.ts";

Deno.test("setupChapter: the notebook's QUICK toggle or --quick picks the quick run folder", async () => {
  try {
    const toggled = await setupChapter("setup-test", true, []);
    assertEquals(toggled.quick, true);
    assertEquals(toggled.runDir, runsDir("setup-test", "quick"));
    assert((await Deno.stat(toggled.runDir)).isDirectory);
    const flagged = await setupChapter("setup-test", false, ["--quick", "--epochs=2"]);
    assertEquals([flagged.quick, flagged.args], [true, ["--epochs=2"]]);
  } finally {
    await Deno.remove(runsDir("setup-test"), { recursive: true }).catch(() => {});
  }
});
