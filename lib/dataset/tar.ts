/**
 * A minimal, reproducible `.tar.gz` writer (POSIX ustar + gzip).
 *
 * Every entry gets mode 0644 (0755 for folders), uid/gid 0, empty user names and mtime 0, and
 * gzip's header carries no time stamp or file name, so the same files in the same order always
 * give the same archive bytes. `tar -tzf` and `tar -xzf` read it.
 *
 * @module
 */

import * as path from "node:path";

/** One archive entry: a folder, or a file read from disk when the archive is written. */
export interface TarEntry {
  /** Path inside the archive, `/`-separated, no leading `/`; folders may end with `/`. */
  name: string;
  /** The file to copy in; omit for a folder. */
  file?: string;
}

const enc = new TextEncoder();

function writeString(block: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = enc.encode(value);
  if (bytes.length > length) throw new Error(`tar: "${value}" is longer than ${length} bytes`);
  block.set(bytes, offset);
}

function writeOctal(block: Uint8Array, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new Error(`tar: ${value} does not fit ${length} bytes`);
  writeString(block, offset, length, digits.padStart(length - 1, "0") + "\0");
}

/** Splits a long path into ustar's `prefix` (≤155 bytes) and `name` (≤100 bytes) fields. */
function splitName(name: string): [prefix: string, name: string] {
  if (enc.encode(name).length <= 100) return ["", name];
  const trailing = name.endsWith("/") ? "/" : "";
  const parts = name.slice(0, name.length - trailing.length).split("/");
  for (let i = 1; i < parts.length; i++) {
    const prefix = parts.slice(0, i).join("/");
    const rest = parts.slice(i).join("/") + trailing;
    if (enc.encode(prefix).length <= 155 && enc.encode(rest).length <= 100) return [prefix, rest];
  }
  throw new Error(`tar: path too long for ustar: ${name}`);
}

/** True when `name` can be stored in a ustar header (≤ 100 bytes, or split into prefix + name). */
export function fitsUstar(name: string): boolean {
  try {
    splitName(name);
    return true;
  } catch {
    return false;
  }
}

/** The 512-byte ustar header of one entry. */
export function tarHeader(name: string, size: number, isDirectory: boolean): Uint8Array {
  const block = new Uint8Array(512);
  const [prefix, short] = splitName(name);
  writeString(block, 0, 100, short);
  writeOctal(block, 100, 8, isDirectory ? 0o755 : 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, isDirectory ? 0 : size);
  writeOctal(block, 136, 12, 0);
  block.fill(0x20, 148, 156); // checksum field counts as spaces
  block[156] = isDirectory ? 0x35 : 0x30; // '5' folder, '0' file
  writeString(block, 257, 6, "ustar\0");
  writeString(block, 263, 2, "00");
  writeString(block, 345, 155, prefix);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += block[i];
  writeString(block, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return block;
}

/** The archive as a stream of uncompressed tar blocks, reading each file when its turn comes. */
export function tarStream(entries: TarEntry[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i >= entries.length) {
        controller.enqueue(new Uint8Array(1024)); // two zero blocks end the archive
        controller.close();
        return;
      }
      const entry = entries[i++];
      const name = entry.name.replace(/^\/+/, "");
      if (name === "" || name.split("/").includes("..")) {
        throw new Error(`tar: bad entry name "${entry.name}"`);
      }
      if (entry.file === undefined) {
        controller.enqueue(tarHeader(name.endsWith("/") ? name : `${name}/`, 0, true));
        return;
      }
      const data = await Deno.readFile(entry.file);
      controller.enqueue(tarHeader(name, data.length, false));
      controller.enqueue(data);
      const pad = (512 - (data.length % 512)) % 512;
      if (pad > 0) controller.enqueue(new Uint8Array(pad));
    },
  });
}

/** Writes `entries` as a gzip-compressed tar file at `outFile` (overwriting it). */
export async function writeTarGz(outFile: string, entries: TarEntry[]): Promise<void> {
  await Deno.mkdir(path.dirname(outFile), { recursive: true });
  const file = await Deno.open(outFile, { write: true, create: true, truncate: true });
  await tarStream(entries)
    .pipeThrough(new CompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>)
    .pipeTo(file.writable);
}

/**
 * The entries for every file and folder under `dir`, sorted, named `<prefix>/<relative path>`
 * (folders before their contents).
 */
export async function entriesForDirectory(dir: string, prefix: string): Promise<TarEntry[]> {
  const out: TarEntry[] = [{ name: `${prefix}/` }];
  async function walk(abs: string, rel: string): Promise<void> {
    const names: { name: string; isDir: boolean }[] = [];
    for await (const e of Deno.readDir(abs)) names.push({ name: e.name, isDir: e.isDirectory });
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of names) {
      const childRel = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDir) {
        out.push({ name: `${prefix}/${childRel}/` });
        await walk(path.join(abs, e.name), childRel);
      } else {
        out.push({ name: `${prefix}/${childRel}`, file: path.join(abs, e.name) });
      }
    }
  }
  await walk(dir, "");
  return out;
}
