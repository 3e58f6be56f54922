/**
 * A streaming reader of (gzipped) tar archives: ustar, GNU long names and pax headers, which is
 * what GitHub's commit archives use.
 *
 * We write our own rather than use npm `tar`: the book already owns the writer (`lib/dataset/tar.ts`),
 * the reader is short, and the one caller needs each file's bytes in order, once, to hash them
 * while extracting — no file-system side effects from the library.
 *
 * @module
 */

/** One archive member. `data` is set for regular files only. */
export interface TarMember {
  /** The member's path (pax `path` or GNU long name when present). */
  name: string;
  /** `file`, `directory`, `symlink`, or `other` (hard links, devices, FIFOs…). */
  type: "file" | "directory" | "symlink" | "other";
  /** Size in bytes (0 for non-files). */
  size: number;
  /** The link target, for a symlink. */
  linkName?: string;
  /** The file's contents (regular files only). */
  data?: Uint8Array;
}

/** What a pax global header (GitHub puts the commit id in its `comment`) said. */
export type PaxGlobal = Record<string, string>;

/** Reads exactly `n` bytes at a time from a byte stream. */
class ByteReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunks: Uint8Array[] = [];
  #buffered = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** The next `n` bytes, or null at a clean end of stream; a short read is an error. */
  async read(n: number): Promise<Uint8Array | null> {
    while (this.#buffered < n) {
      const { done, value } = await this.#reader.read();
      if (done) {
        if (this.#buffered === 0) return null;
        throw new Error(`tar: archive ends early (wanted ${n} bytes, have ${this.#buffered})`);
      }
      this.#chunks.push(value);
      this.#buffered += value.length;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.#chunks[0];
      const take = Math.min(head.length, n - filled);
      out.set(head.subarray(0, take), filled);
      filled += take;
      if (take === head.length) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(take);
    }
    this.#buffered -= n;
    return out;
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }
}

const utf8 = new TextDecoder();

function field(block: Uint8Array, offset: number, length: number): string {
  const bytes = block.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return utf8.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function octal(block: Uint8Array, offset: number, length: number): number {
  const text = field(block, offset, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`tar: bad number field "${text}"`);
  return parseInt(text, 8);
}

function parsePax(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = parseInt(utf8.decode(data.subarray(i, space)), 10);
    if (!(len > 0)) throw new Error("tar: bad pax record");
    const record = utf8.decode(data.subarray(space + 1, i + len - 1)); // drop the newline
    const eq = record.indexOf("=");
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    i += len;
  }
  return out;
}

/**
 * Yields the members of a tar stream (already decompressed) in order. `onGlobal` receives pax
 * global headers. Stops at the end-of-archive blocks or the end of the stream; a header whose
 * checksum is wrong is an error.
 */
export async function* readTar(
  stream: ReadableStream<Uint8Array>,
  onGlobal?: (pax: PaxGlobal) => void,
): AsyncGenerator<TarMember> {
  const reader = new ByteReader(stream);
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  try {
    while (true) {
      const header = await reader.read(512);
      if (header === null || header.every((b) => b === 0)) return;
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
      if (sum !== octal(header, 148, 8)) throw new Error("tar: header checksum mismatch");
      const size = octal(header, 124, 12);
      const typeFlag = String.fromCharCode(header[156] || 0x30);
      const padded = Math.ceil(size / 512) * 512;
      const body = padded > 0 ? await reader.read(padded) : new Uint8Array(0);
      if (body === null) throw new Error("tar: archive ends inside a member");
      const data = body.subarray(0, size);
      if (typeFlag === "g") {
        onGlobal?.(parsePax(data));
        continue;
      }
      if (typeFlag === "x") {
        pax = parsePax(data);
        continue;
      }
      if (typeFlag === "L") {
        longName = field(data, 0, data.length);
        continue;
      }
      if (typeFlag === "K") {
        longLink = field(data, 0, data.length);
        continue;
      }
      const prefix = field(header, 345, 155);
      const shortName = field(header, 0, 100);
      const name = pax.path ?? longName ?? (prefix ? `${prefix}/${shortName}` : shortName);
      const linkName = pax.linkpath ?? longLink ?? field(header, 157, 100);
      pax = {};
      longName = undefined;
      longLink = undefined;
      const type = typeFlag === "0" || typeFlag === "7"
        ? "file"
        : typeFlag === "5"
        ? "directory"
        : typeFlag === "2"
        ? "symlink"
        : "other";
      yield {
        name,
        type,
        size: type === "file" ? size : 0,
        linkName: type === "symlink" ? linkName : undefined,
        data: type === "file" ? data : undefined,
      };
    }
  } finally {
    await reader.cancel();
  }
}
