import { assert, assertEquals, assertMatch } from "../testing/asserts.ts";
import { fileURLToPath as fromFileUrl } from "node:url";

const runner = fromFileUrl(new URL("./run.ts", import.meta.url));
const testdata = fromFileUrl(new URL("./testdata", import.meta.url));

async function run(args: string[], figureDir: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", runner, ...args],
    env: { NO_COLOR: "1", BOOK_FIGURE_DIR: figureDir, BOOK_QUICK: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

function leftovers(): string[] {
  return [...Deno.readDirSync(testdata)].map((e) => e.name).filter((n) => n.includes(".book-"));
}

Deno.test("runner: a good notebook runs as a script, with figures saved and display degraded", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await run([`${testdata}/ok.ipynb`, "--quick"], dir);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /quick: true/);
    assertMatch(r.stdout, /\*\*bold\*\* from display/);
    assertMatch(r.stdout, /cwd ends with testdata: true/);
    assert((await Deno.stat(`${dir}/fixture-loss.png`)).size > 1000);
    assertEquals(leftovers(), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runner: re-declaring a name in a later cell is a book-rule error naming both cells", async () => {
  const r = await run([`${testdata}/redeclare.ipynb`], "/nonexistent");
  assertEquals(r.code, 1);
  assertMatch(r.stderr, /cell 3 re-declares `x`, already declared in cell 1/);
  assertEquals(leftovers(), []);
});

Deno.test("runner: type errors and runtime errors point at notebook cells", async () => {
  const t = await run([`${testdata}/type_error.ipynb`], "/nonexistent");
  assertEquals(t.code, 1);
  assertMatch(t.stderr, /type_error\.ipynb cell 2, line 2:7/);
  const e = await run([`${testdata}/throws.ipynb`], "/nonexistent");
  assertEquals(e.code, 1);
  assertMatch(e.stdout, /before/);
  assertEquals(e.stdout.includes("never"), false);
  assertMatch(e.stderr, /boom in cell 2/);
  assertMatch(e.stderr, /throws\.ipynb cell 2, line 2:9/);
  assertEquals(leftovers(), []);
});

Deno.test("runner: only the default run is kept for the site; a run with options says so", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await run([`${testdata}/ok.ipynb`, "--quick", "--seed", "2"], dir);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, /executed notebook not kept: this run had options \(--seed 2\)/);
    assert(!/executed notebook kept/.test(r.stderr + r.stdout), "a seed run replaced the kept run");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
