/**
 * The helper-thread protocol without a helper: the calling thread claims every unit itself, and a
 * module that cannot be loaded from disk never starts one. The kernels that use it test one thread
 * against two (`lib/autograd/kernels/matmul_test.ts`, `gemm_wasm_test.ts`,
 * `lib/tfjs/simd_kernels_test.ts`).
 */
import { assert, assertEquals } from "../testing/asserts.ts";
import { claimUnit, CTRL_SLOTS, HelperThread } from "./helper_thread.ts";

Deno.test("a job no helper joins is done by the calling thread, each unit once", () => {
  const helper = new HelperThread("data:text/javascript,", "test/no-helper", () => ({}));
  const ctrl = new Int32Array(new SharedArrayBuffer(CTRL_SLOTS * 4));
  for (const units of [0, 1, 5]) {
    const claimed: number[] = [];
    helper.share(ctrl, units, () => {
      for (let u = claimUnit(ctrl); u >= 0; u = claimUnit(ctrl)) claimed.push(u);
    });
    assertEquals(claimed, Array.from({ length: units }, (_, i) => i));
  }
});

Deno.test("a module that is not a readable file never starts a helper", async () => {
  const helper = new HelperThread("data:text/javascript,", "test/no-helper", () => ({}));
  assertEquals(helper.ready(), null);
  assert(!(await helper.whenReady(50)));
  helper.stop();
});
