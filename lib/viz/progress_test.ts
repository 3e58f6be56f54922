import { assertEquals, assertMatch } from "../testing/asserts.ts";
import { formatDuration, progressBar } from "./progress.ts";

function fakeClock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

Deno.test("plain mode prints a few milestone lines and a final line", () => {
  const out: string[] = [];
  const clock = fakeClock();
  const bar = progressBar({
    total: 100,
    label: "epoch 1",
    tty: false,
    write: (s) => out.push(s),
    now: clock.now,
  });
  for (let i = 0; i < 100; i++) {
    clock.advance(10);
    bar.tick(1, `loss ${(1 / (i + 1)).toFixed(2)}`);
  }
  bar.done();
  assertEquals(out.length, 5);
  assertEquals(out[0], "epoch 1 20/100 (20%), 100 it/s, ETA 0:01, loss 0.05");
  assertEquals(out[4], "epoch 1 100/100 (100%), 100 it/s, 0:01 total");
});

Deno.test("tty mode redraws one line in place, throttled", () => {
  const out: string[] = [];
  const clock = fakeClock();
  const bar = progressBar({ total: 10, tty: true, write: (s) => out.push(s), now: clock.now });
  for (let i = 0; i < 10; i++) {
    clock.advance(50);
    bar.tick();
  }
  bar.done("acc 0.9");
  assertEquals(out.every((s) => s.startsWith("\r")), true);
  assertEquals(out.length, 7); // every 100 ms, the completed bar, and done
  assertMatch(out[out.length - 1], /\[#{24}\] 10\/10 {2}20\.0 it\/s {2}0:01 total {2}acc 0\.9\n$/);
});

Deno.test("unknown total prints on an interval", () => {
  const out: string[] = [];
  const clock = fakeClock();
  const bar = progressBar({
    tty: false,
    intervalSeconds: 1,
    unit: "batch",
    write: (s) => out.push(s),
    now: clock.now,
  });
  for (let i = 0; i < 30; i++) {
    clock.advance(100);
    bar.tick();
  }
  bar.done();
  assertEquals(out.length, 4);
  assertEquals(out[0], "10 batch, 10.0 batch/s, 0:01");
});

Deno.test("formatDuration", () => {
  assertEquals(formatDuration(5), "0:05");
  assertEquals(formatDuration(3725), "1:02:05");
  assertEquals(formatDuration(NaN), "?");
});
