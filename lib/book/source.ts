/**
 * Showing library code on the page from its source file, so the page never drifts from the code
 * that runs: {@link sourceOf} cuts one named declaration (with its doc comment) out of a
 * `deno fmt`-formatted TypeScript file, {@link showSource} displays it as a code block.
 *
 * ```ts
 * await showSource("lib/tfjs/gem_pool.ts", "GemPooling2D");           // a whole class
 * await showSource("lib/tfjs/gem_pool.ts", "GemPooling2D.getConfig"); // one method of it
 * ```
 *
 * A name is found as a top-level `function`, `class`, `interface`, `type`, `const` or `let`
 * (exported or not); `Class.member` finds a member declared at the class's first indentation
 * level. The declaration ends at the first line, at its own indentation, that closes it (`}`,
 * `};` or `});`), or at its first line ending in `;` for one-line declarations.
 *
 * @module
 */
import * as path from "node:path";
import { projectRoot } from "../data/assets.ts";
import { markdown } from "../viz/display.ts";

/** Options of {@link sourceOf} and {@link showSource}. */
export interface SourceOptions {
  /** Keep the declaration's JSDoc comment (default true). */
  doc?: boolean;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function findDecl(lines: string[], name: string, indent: string, from: number, to: number) {
  const head = indent === ""
    ? new RegExp(
      `^(export\\s+)?(default\\s+)?(declare\\s+)?(abstract\\s+)?(async\\s+)?` +
        `(function\\*?|class|interface|type|const|let|enum)\\s+${escape(name)}\\b`,
    )
    : new RegExp(
      `^${indent}(public\\s+|private\\s+|protected\\s+)?(static\\s+)?(override\\s+)?` +
        `(readonly\\s+)?(async\\s+)?(get\\s+|set\\s+)?\\*?${escape(name)}\\b\\s*[(<:=?]`,
    );
  for (let i = from; i < to; i++) if (head.test(lines[i])) return i;
  return -1;
}

function declEnd(lines: string[], start: number, indent: string, to: number): number {
  const first = lines[start];
  if (first.trimEnd().endsWith(";") && !first.includes("{")) return start;
  // Only a line of closing brackets ends it: `): Tensor {` closes a multi-line signature, not the body.
  const close = new RegExp(`^${indent}[}\\)\\]]+[;,]?\\s*$`);
  for (let i = start + 1; i < to; i++) if (close.test(lines[i])) return i;
  throw new Error(`sourceOf: no end found for the declaration on line ${start + 1}`);
}

function docStart(lines: string[], start: number): number {
  let i = start - 1;
  while (i >= 0 && /^\s*@\w/.test(lines[i])) i--; // decorators
  if (i < 0 || !lines[i].trim().endsWith("*/")) return start;
  while (i >= 0 && !lines[i].trim().startsWith("/**")) i--;
  return i >= 0 ? i : start;
}

/**
 * The source text of `name` (`fn`, `Class`, or `Class.member`) in `file` (a path relative to the
 * repository root, or absolute). Throws naming the file when the name is not found.
 */
export function sourceOf(file: string, name: string, opts: SourceOptions = {}): string {
  const full = path.isAbsolute(file) ? file : path.join(projectRoot(), file);
  const lines = Deno.readTextFileSync(full).split("\n");
  const [outer, member] = name.split(".");
  let start = findDecl(lines, outer, "", 0, lines.length);
  if (start < 0) throw new Error(`sourceOf: no top-level declaration "${outer}" in ${file}`);
  let end = declEnd(lines, start, "", lines.length);
  if (member !== undefined) {
    const inner = findDecl(lines, member, "  ", start + 1, end);
    if (inner < 0) throw new Error(`sourceOf: no member "${member}" of ${outer} in ${file}`);
    start = inner;
    end = declEnd(lines, inner, "  ", end);
  }
  const from = opts.doc === false ? start : docStart(lines, start);
  let text = lines.slice(from, end + 1);
  if (member !== undefined) text = text.map((l) => l.replace(/^ {2}/, ""));
  return text.join("\n");
}

/**
 * Displays {@link sourceOf}'s text as a TypeScript code block headed by where it comes from
 * (rendered in Jupyter and on the site; printed in script runs).
 */
export async function showSource(
  file: string,
  name: string,
  opts: SourceOptions = {},
): Promise<void> {
  const code = sourceOf(file, name, opts);
  await markdown(`\`${name}\` in \`${file}\`:\n\n\`\`\`ts\n${code}\n\`\`\``);
}
