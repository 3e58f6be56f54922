/**
 * Turns a `git ls-tree -r -l <commit>` listing into the compact, committed file list that
 * `lib/data/git_tree.ts` verifies a downloaded GitHub archive against:
 *
 * ```sh
 * deno run -A tools/tree_list.ts ../shared/mirror/upstream/clothing-dataset-small@<commit>.ls-tree \
 *   lib/data/trees/clothing-dataset-small@<commit>.tsv.gz
 * ```
 *
 * Output: gzip of `<blob id>\t<size>\t<path>` lines (C-quoted paths decoded to UTF-8; size `-` for
 * a blob missing from the repository itself).
 *
 * @module
 */
import { gzipSync } from "node:zlib";

/** Decodes git's C-quoted path (`"a\303\251.png"`) into a string; an unquoted path is returned as is. */
export function unquoteGitPath(p: string): string {
  if (!p.startsWith('"')) return p;
  const bytes: number[] = [];
  const body = p.slice(1, -1);
  const simple: Record<string, number> = {
    n: 10,
    t: 9,
    r: 13,
    '"': 34,
    "\\": 92,
    a: 7,
    b: 8,
    f: 12,
    v: 11,
  };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== "\\") {
      bytes.push(...new TextEncoder().encode(ch));
      continue;
    }
    const next = body[++i];
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else if (next in simple) bytes.push(simple[next]);
    else throw new Error(`unknown escape \\${next} in ${p}`);
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
}

if (import.meta.main) {
  const [input, output] = Deno.args;
  const lines = (await Deno.readTextFile(input)).split("\n").filter((l) => l !== "");
  const out = lines.map((line) => {
    // A size of "BAD" means the commit names a blob the repository lacks: written as "-".
    const m = /^\d{6} blob ([0-9a-f]{40}) +(\d+|BAD)\t(.+)$/.exec(line);
    if (!m) throw new Error(`${input}: not an ls-tree -l blob line: ${line}`);
    return `${m[1]}\t${m[2] === "BAD" ? "-" : m[2]}\t${unquoteGitPath(m[3])}`;
  });
  await Deno.writeFile(
    output,
    gzipSync(new TextEncoder().encode(out.join("\n") + "\n"), { level: 9 }),
  );
  console.log(`${output}: ${out.length} files`);
}
