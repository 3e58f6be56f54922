/**
 * Fixtures for the dataset builder's tests: generated photos and the mirror's real ones.
 *
 * @module
 */

import * as path from "node:path";
import sharp from "sharp";
import { Rng } from "../autograd/random.ts";
import { mirrorDirsFor } from "../data/assets.ts";

/** True when tests run in CI (`CI` set): tests that need the mirror then fail instead of skipping. */
export const inCI = (() => {
  try {
    return (Deno.env.get("CI") ?? "") !== "";
  } catch {
    return false;
  }
})();

/** The absolute path of `rel` inside the first mirror folder that has it, or undefined. */
export function mirrorPath(rel: string): string | undefined {
  for (const dir of mirrorDirsFor()) {
    const full = path.join(dir, rel);
    try {
      Deno.statSync(full);
      return full;
    } catch {
      // next
    }
  }
  return undefined;
}

/**
 * The absolute path of `rel` in the data mirror, or an error that says where it looked and how to
 * point the tests at a mirror (tests that need the mirror fail with this in CI instead of skipping).
 */
export function requireMirror(rel: string): string {
  const found = mirrorPath(rel);
  if (found !== undefined) return found;
  const looked = mirrorDirsFor();
  throw new Error(
    `the data mirror folder "${rel}" is missing (looked in ${
      looked.length > 0 ? looked.join(", ") : "no mirror folder: ../shared/mirror does not exist"
    }); set BOOK_MIRROR to the folder that holds it`,
  );
}

/** The clothing photos folder of the mirror, when present. */
export const CLOTHING = mirrorPath("clothing-dataset-small");

/** The face-mask torture set of the mirror, when present. */
export const FACE_MASK = mirrorPath("face-mask");

/** The first `n` photos (sorted names) of `<clothing>/train/<cls>/`. */
export function clothingPhotos(cls: string, n: number): string[] {
  const dir = path.join(requireMirror("clothing-dataset-small"), "train", cls);
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort().slice(0, n)
    .map((f) => path.join(dir, f));
}

/**
 * A generated photo: a 6×6 grid of random colours from `seed`, smoothly upscaled to
 * `width × height`, encoded as `format`. Different seeds give unrelated dHashes.
 */
export async function syntheticPhoto(
  seed: number,
  width = 96,
  height = 80,
  format: "jpeg" | "png" | "webp" = "jpeg",
  options: { orientation?: number; alpha?: boolean } = {},
): Promise<Uint8Array> {
  const rng = new Rng(seed);
  const grid = new Uint8Array(6 * 6 * 3);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.int(256);
  let img = sharp(grid, { raw: { width: 6, height: 6, channels: 3 } })
    .resize(width, height, { fit: "fill", kernel: "cubic" });
  if (options.alpha) img = img.ensureAlpha(0.5);
  if (options.orientation) img = img.withMetadata({ orientation: options.orientation });
  const out = format === "jpeg"
    ? await img.jpeg({ quality: 90 }).toBuffer()
    : format === "png"
    ? await img.png().toBuffer()
    : await img.webp().toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Writes files given as `{ relative path: bytes }` under `root`. */
export async function writeTree(root: string, files: Record<string, Uint8Array>): Promise<void> {
  for (const [rel, data] of Object.entries(files)) {
    const full = path.join(root, ...rel.split("/"));
    await Deno.mkdir(path.dirname(full), { recursive: true });
    await Deno.writeFile(full, data);
  }
}

/** A local HTTP server with good photos and every kind of broken download. */
export interface TestServer {
  /** `http://127.0.0.1:<port>`. */
  base: string;
  /** Requests per path so far. */
  hits: Map<string, number>;
  /** Stops the server. */
  close(): Promise<void>;
}

/**
 * Serves on 127.0.0.1 (a free port):
 * `/img/<i>.jpg` photo `i` of `photos`; `/octet/<i>` the same as `application/octet-stream`;
 * `/404`; `/slow.jpg` (headers, then a body that never comes); `/html.jpg` (an HTML page);
 * `/fake.jpg` (HTML sent as `image/jpeg`); `/truncated.jpg` (half of photo 0); `/huge.jpg`
 * (3 MB with a content-length); `/stream-huge.jpg` (3 MB streamed, no length); `/redirect/<n>/<i>` (n hops to photo
 * i); `/loop`; `/flaky.jpg` (HTTP 503 the first time, then photo 0).
 */
export function startImageServer(images: Uint8Array[]): TestServer {
  const photos = images.map((b) => new Uint8Array(b) as Uint8Array<ArrayBuffer>);
  const hits = new Map<string, number>();
  const jpeg = { "content-type": "image/jpeg" };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const p = new URL(req.url).pathname;
    const n = (hits.get(p) ?? 0) + 1;
    hits.set(p, n);
    let m: RegExpExecArray | null;
    if ((m = /^\/img\/(\d+)\.jpg$/.exec(p))) return new Response(photos[+m[1]], { headers: jpeg });
    if ((m = /^\/octet\/(\d+)$/.exec(p))) {
      return new Response(photos[+m[1]], {
        headers: { "content-type": "application/octet-stream" },
      });
    }
    if ((m = /^\/redirect\/(\d+)\/(\d+)$/.exec(p))) {
      const left = +m[1];
      const to = left <= 1 ? `/img/${m[2]}.jpg` : `/redirect/${left - 1}/${m[2]}`;
      return new Response(null, { status: 302, headers: { location: to } });
    }
    switch (p) {
      case "/404":
        return new Response("not found", { status: 404 });
      case "/slow.jpg":
        // Headers now, then a body that never comes (until the client gives up).
        return new Response(new ReadableStream({ pull: () => new Promise(() => {}) }), {
          headers: jpeg,
        });
      case "/html.jpg":
        return new Response("<!doctype html><title>Sign in</title>", {
          headers: { "content-type": "text/html; charset=utf-8" },
        });
      case "/fake.jpg":
        return new Response("<!DOCTYPE html><html>captcha</html>", { headers: jpeg });
      case "/truncated.jpg":
        return new Response(photos[0].slice(0, Math.floor(photos[0].length / 2)), {
          headers: jpeg,
        });
      case "/huge.jpg": {
        const big = new Uint8Array(3_000_000); // declared by content-length
        big.set([0xff, 0xd8, 0xff, 0xe0]);
        return new Response(big, { headers: jpeg });
      }
      case "/stream-huge.jpg": {
        let sent = 0;
        return new Response(
          new ReadableStream({
            pull(c) {
              if (sent >= 3_000_000) return c.close();
              const chunk = new Uint8Array(64 * 1024);
              chunk.set([0xff, 0xd8, 0xff, 0xe0]);
              c.enqueue(chunk);
              sent += chunk.length;
            },
          }),
          { headers: jpeg },
        );
      }
      case "/loop":
        return new Response(null, { status: 302, headers: { location: "/loop" } });
      case "/flaky.jpg":
        return n === 1
          ? new Response("busy", { status: 503 })
          : new Response(photos[0], { headers: jpeg });
      default:
        return new Response("no such path", { status: 404 });
    }
  });
  const addr = server.addr as Deno.NetAddr;
  return {
    base: `http://127.0.0.1:${addr.port}`,
    hits,
    close: () => server.shutdown(),
  };
}
