/**
 * Test fixture: GitHub-style commit archives (`.tar.gz` with a pax global header carrying the
 * commit and a `<repo>-<commit>/` top folder), built in memory from given files.
 *
 * @module
 */

import { gzipSync } from "node:zlib";

const enc = new TextEncoder();

/** One tar header block (ustar), with a type flag. */
function header(name: string, size: number, type: string): Uint8Array {
  const b = new Uint8Array(512);
  const put = (off: number, s: string) => b.set(enc.encode(s), off);
  const oct = (off: number, len: number, v: number) =>
    put(off, v.toString(8).padStart(len - 1, "0") + "\0");
  put(0, name.slice(0, 100));
  oct(100, 8, 0o644);
  oct(108, 8, 0);
  oct(116, 8, 0);
  oct(124, 12, size);
  oct(136, 12, 0);
  b.fill(0x20, 148, 156);
  b[156] = type.charCodeAt(0);
  put(257, "ustar\0");
  put(263, "00");
  let sum = 0;
  for (const x of b) sum += x;
  put(148, sum.toString(8).padStart(6, "0") + "\0 ");
  return b;
}

function paxRecord(key: string, value: string): Uint8Array {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + enc.encode(body).length !== len) len++;
  return enc.encode(`${len}${body}`);
}

/** A GitHub-style archive: a pax global header with the commit, then `<repo>-<commit>/…`. */
export function githubArchive(
  commit: string,
  files: [string, Uint8Array][],
): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  const add = (h: Uint8Array, data: Uint8Array) => {
    parts.push(h, data, new Uint8Array((512 - (data.length % 512)) % 512));
  };
  const global = paxRecord("comment", commit);
  add(header("pax_global_header", global.length, "g"), global);
  const top = `repo-${commit}/`;
  add(header(top, 0, "5"), new Uint8Array(0));
  for (const [name, data] of files) {
    const full = top + name;
    if (full.length > 100) {
      const pax = paxRecord("path", full);
      add(header("PaxHeader", pax.length, "x"), pax);
    }
    add(header(full, data.length, "0"), data);
  }
  parts.push(new Uint8Array(1024));
  const total = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return new Uint8Array(gzipSync(out, { level: 1 }));
}
