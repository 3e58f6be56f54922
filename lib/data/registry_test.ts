import { createHash } from "node:crypto";
import * as path from "node:path";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "../testing/asserts.ts";
import { mirrorDirsFor, rebaseUrl as rebase, sha256File } from "./assets.ts";
import {
  FILES,
  namedFile,
  registeredNames,
  resolveNamedAsset,
  resolveNamedTree,
  resolveNamedTreeCopy,
  TREES,
} from "./registry.ts";

const hasMirror = mirrorDirsFor().some((d) => {
  try {
    return Deno.statSync(d).isDirectory;
  } catch {
    return false;
  }
});
const needsMirror = !hasMirror && !(Deno.env.get("CI") ?? "");

Deno.test("registry entries are complete: name, source, version, license, checksum, a way to get it", () => {
  const names = new Set<string>();
  for (const f of FILES) {
    assert(!names.has(f.name), `duplicate ${f.name}`);
    names.add(f.name);
    assert(/^[0-9a-f]{64}$/.test(f.sha256), `${f.name} sha256`);
    for (const k of ["title", "source", "version", "license"] as const) {
      assert(f[k].length > 0, `${f.name} ${k}`);
    }
    assert(f.urls.length > 0 || f.note, `${f.name}: no URL and no note saying why`);
  }
  for (const t of TREES) {
    assert(/^[0-9a-f]{40}$/.test(t.commit), `${t.name} commit`);
    assert(t.license.length > 0);
  }
  assertEquals(registeredNames().trees, ["clothing-dataset-small", "face-mask"]);
  assertEquals(
    namedFile("medmnist3d/adrenalmnist3d.npz").officialChecksums?.md5,
    "bbd3c5a5576322bc4cdfea780653b1ce",
  );
});

Deno.test("an unknown name is an error listing the registered ones", () => {
  const e = assertThrows(() => namedFile("nope.bin"));
  assertStringIncludes((e as Error).message, "medmnist3d/adrenalmnist3d_64.npz");
});

Deno.test("BOOK_DOWNLOAD_BASE sends downloads to another server", () => {
  Deno.env.set("BOOK_DOWNLOAD_BASE", "http://127.0.0.1:9/");
  try {
    assertEquals(
      rebase("https://zenodo.org/records/1/f?download=1"),
      "http://127.0.0.1:9/zenodo.org/records/1/f?download=1",
    );
  } finally {
    Deno.env.delete("BOOK_DOWNLOAD_BASE");
  }
  assertEquals(rebase("https://x.org/a"), "https://x.org/a");
});

Deno.test({
  name: "every registered file and folder resolves from the mirror (or npm) and verifies",
  ignore: needsMirror,
  async fn() {
    const cacheDir = await Deno.makeTempDir({ prefix: "registry-" });
    try {
      for (const f of FILES) {
        const p = await resolveNamedAsset(f.name, { cacheDir, offline: true });
        assertEquals(await sha256File(p), f.sha256, f.name);
        // Our SHA-256 pins the publisher's file: its official MD5 matches too.
        const md5 = f.officialChecksums?.md5;
        if (md5) {
          assertEquals(createHash("md5").update(await Deno.readFile(p)).digest("hex"), md5);
        }
      }
      for (const t of TREES) {
        const dir = await resolveNamedTree(t.name, { cacheDir, offline: true });
        assertEquals(path.basename(dir), t.mirrorPath);
      }
      // The face-mask mirror is a modified copy, and says so.
      const face = await resolveNamedTreeCopy("face-mask", { cacheDir, offline: true });
      assertStringIncludes(face.copy, "the data mirror's modified copy");
    } finally {
      await Deno.remove(cacheDir, { recursive: true });
    }
  },
});
