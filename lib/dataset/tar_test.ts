import * as path from "node:path";
import { assertEquals, assertThrows } from "../testing/asserts.ts";
import { entriesForDirectory, tarHeader, writeTarGz } from "./tar.ts";
import { writeTree } from "./test_helpers.ts";

Deno.test("writeTarGz: system tar lists and extracts it; same input, same bytes", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const long = "d".repeat(60) + "/" + "e".repeat(60) + ".txt"; // needs the ustar prefix field
    await writeTree(path.join(tmp, "src"), {
      "a.txt": new TextEncoder().encode("hello"),
      "images/x.bin": new Uint8Array(1000).fill(7),
      [long]: new TextEncoder().encode("long"),
    });
    const entries = await entriesForDirectory(path.join(tmp, "src"), "ds-v1");
    await writeTarGz(path.join(tmp, "a.tar.gz"), entries);
    await writeTarGz(path.join(tmp, "b.tar.gz"), entries);
    assertEquals(
      await Deno.readFile(path.join(tmp, "a.tar.gz")),
      await Deno.readFile(path.join(tmp, "b.tar.gz")),
    );
    const list = new Deno.Command("tar", { args: ["-tzf", path.join(tmp, "a.tar.gz")] });
    const out = await list.output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assertEquals(new TextDecoder().decode(out.stdout).trim().split("\n"), [
      "ds-v1/",
      "ds-v1/a.txt",
      `ds-v1/${"d".repeat(60)}/`,
      `ds-v1/${long}`,
      "ds-v1/images/",
      "ds-v1/images/x.bin",
    ]);
    await Deno.mkdir(path.join(tmp, "x"));
    const x = await new Deno.Command("tar", {
      args: ["-xzf", path.join(tmp, "a.tar.gz"), "-C", path.join(tmp, "x")],
    }).output();
    assertEquals(x.code, 0, new TextDecoder().decode(x.stderr));
    assertEquals(await Deno.readTextFile(path.join(tmp, "x", "ds-v1", long)), "long");
    assertEquals(
      await Deno.readFile(path.join(tmp, "x", "ds-v1", "images", "x.bin")),
      new Uint8Array(1000).fill(7),
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("tarHeader: checksum field and a path too long for ustar", () => {
  const h = tarHeader("a.txt", 5, false);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  assertEquals(parseInt(new TextDecoder().decode(h.slice(148, 154)), 8), sum);
  assertThrows(() => tarHeader("x".repeat(300), 1, false), Error, "too long");
});
