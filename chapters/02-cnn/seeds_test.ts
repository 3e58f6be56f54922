import { assertAlmostEquals, assertEquals, assertThrows } from "../../lib/testing/asserts.ts";
import { sweepFigures, withoutSweep } from "./seeds.ts";

Deno.test("seed sweep: mean and sample standard deviation per style", () => {
  const runs = [0.9, 0.92, 0.94].map((a, i) => ({
    keras_test_acc: a,
    lightning_test_acc: 0.9,
    keras_val_acc: 0.8 + i / 100,
    lightning_val_acc: 0.8,
  }));
  const f = sweepFigures(runs);
  assertAlmostEquals(f.keras_test_acc_mean3, 0.92, 1e-12);
  assertAlmostEquals(f.keras_test_acc_std3, 0.02, 1e-12);
  assertEquals(f.lightning_test_acc_std3, 0);
  assertAlmostEquals(f.keras_val_acc_mean3, 0.81, 1e-12);
  assertThrows(() => sweepFigures([{ keras_test_acc: 1 }]), Error, "no lightning_test_acc");
});

Deno.test("seed sweep: a new sweep replaces the figures of an earlier one (other seed counts too)", () => {
  const kept = withoutSweep({
    keras_test_acc: 0.91,
    keras_test_acc_mean2: 0.9,
    lightning_val_acc_std2: 0.01,
    keras_test_acc_mean3: 0.905,
    max_pooling_test_acc: 0.907,
  });
  assertEquals(kept, { keras_test_acc: 0.91, max_pooling_test_acc: 0.907 });
});
