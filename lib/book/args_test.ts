import { assert, assertEquals, assertThrows } from "../testing/asserts.ts";
import { intListOption, intOption, optionValue, runsDir, setupChapter } from "./args.ts";

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

Deno.test("chapter options: --name value and --name=value, defaults, and errors naming the option", () => {
  const args = ["--epochs", "25", "--filters=32,64,128,128"];
  assertEquals(optionValue(args, "epochs"), "25");
  assertEquals(optionValue(args, "seed"), undefined);
  assertEquals(intOption(args, "epochs", 15), 25);
  assertEquals(intOption([], "epochs", 15), 15);
  assertEquals(intListOption(args, "filters", [16]), [32, 64, 128, 128]);
  assertEquals(intListOption([], "filters", [16, 32]), [16, 32]);
  assertThrows(() => intOption(["--epochs", "2.5"], "epochs", 15), Error, "--epochs 2.5");
  assertThrows(() => intOption(["--epochs", "1,2"], "epochs", 15), Error, "a whole number");
  assertThrows(() => intListOption(["--filters", "32,x"], "filters", []), Error, "--filters 32,x");
  assertThrows(() => optionValue(["--epochs"], "epochs"), Error, "--epochs needs a value");
  assertThrows(() => optionValue(["--epochs", "--quick"], "epochs"), Error, "needs a value");
});
