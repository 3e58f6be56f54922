/**
 * Stands in for the internet: serves every online source in the asset registry from a data
 * mirror, so that "a fresh clone online, with no mirror" can be tried on a machine that is offline.
 *
 * ```sh
 * deno run -A tools/origin_server.ts [--port 8123] [--mirror ../shared/mirror] &
 * BOOK_DOWNLOAD_BASE=http://127.0.0.1:8123 BOOK_MIRROR=/nonexistent deno task test
 * ```
 *
 * A request for `/<host>/<path>` answers the registered URL `https://<host>/<path>`: a file from
 * the mirror (gzipped on the fly for assets whose URL serves gzip), or, for a folder of a GitHub
 * commit, a GitHub-style `.tar.gz` built from the mirror's byte-identical copy (range requests
 * honoured). A folder whose mirror copy was modified (face-mask: shrunk photos) cannot stand in
 * for its upstream archive and answers 404, as does anything not in the registry.
 *
 * @module
 */

import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { mirrorDirsFor } from "../lib/data/assets.ts";
import { archiveUrls, readTreeList } from "../lib/data/git_tree.ts";
import { FILES, TREES } from "../lib/data/registry.ts";
import { githubArchive } from "../lib/data/test_archive.ts";

type Source = () => Promise<Uint8Array<ArrayBuffer> | string>;

/** The routes: `<host>/<path>` of every registered URL → how to make its bytes (or why not). */
export function originRoutes(mirror: string): Map<string, Source> {
  const routes = new Map<string, Source>();
  const key = (url: string) => url.replace(/^https?:\/\//, "");
  for (const f of FILES) {
    const local = [
      ...(f.mirrorPaths ?? [f.name]).map((rel) => path.join(mirror, rel)),
      ...(f.localFiles ?? []),
    ];
    for (const url of f.urls) {
      routes.set(key(url), async () => {
        for (const file of local) {
          try {
            const bytes = await Deno.readFile(file);
            return f.gunzip ? new Uint8Array(gzipSync(bytes)) : bytes;
          } catch { /* next */ }
        }
        return `${f.name}: not in ${mirror}`;
      });
    }
  }
  for (const t of TREES) {
    let cached: Uint8Array<ArrayBuffer> | undefined;
    for (const url of archiveUrls(t)) {
      routes.set(key(url), async () => {
        if (t.mirrorCheck !== "blob-ids") {
          return `${t.name}: the mirror holds a modified copy, not the commit's files`;
        }
        if (cached === undefined) {
          const files = await readTreeList(t);
          const folder = path.join(mirror, t.mirrorPath);
          const prefix = t.subdir === "" ? "" : `${t.subdir}/`;
          cached = githubArchive(
            t.commit,
            await Promise.all(
              files.filter((f) => f.size >= 0).map(async (f) =>
                [prefix + f.path, await Deno.readFile(path.join(folder, f.path))] as [
                  string,
                  Uint8Array,
                ]
              ),
            ),
          );
        }
        return cached;
      });
    }
  }
  return routes;
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Deno.args[i + 1] : undefined;
  };
  const mirror = arg("--mirror") ?? mirrorDirsFor()[0];
  if (mirror === undefined) {
    console.error("no mirror: pass --mirror DIR or set BOOK_MIRROR");
    Deno.exit(2);
  }
  const routes = originRoutes(mirror);
  const port = Number(arg("--port") ?? 8123);
  Deno.serve({ hostname: "127.0.0.1", port }, async (req) => {
    const p = new URL(req.url).pathname.slice(1) + new URL(req.url).search;
    const make = routes.get(p) ?? routes.get(decodeURIComponent(p));
    const body = make ? await make() : `not a registered URL: ${p}`;
    if (typeof body === "string") {
      console.error(`404 ${p}: ${body}`);
      return new Response(body, { status: 404 });
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.get("range") ?? "");
    if (m) {
      const start = Number(m[1]);
      return new Response(body.subarray(start), {
        status: 206,
        headers: { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` },
      });
    }
    console.error(`200 ${p} (${body.length} bytes)`);
    return new Response(body, { headers: { "content-length": String(body.length) } });
  });
}
