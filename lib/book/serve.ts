/**
 * A tiny static file server for the built site (`deno task serve`): serves `_site/` on
 * `http://127.0.0.1:8000/` (flags: `--port N`, `--dir DIR`).
 *
 * @module
 */
import { normalize } from "node:path";
import { projectRoot } from "../data/assets.ts";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json",
  ipynb: "application/x-ipynb+json",
  png: "image/png",
  jpg: "image/jpeg",
  gif: "image/gif",
  svg: "image/svg+xml",
  woff2: "font/woff2",
  woff: "font/woff",
  ttf: "font/ttf",
};

/** Content type for a file name by extension. */
export function contentType(path: string): string {
  return TYPES[path.split(".").pop()?.toLowerCase() ?? ""] ?? "application/octet-stream";
}

/** A request handler serving files under `root` (directories serve their `index.html`). */
export function staticHandler(root: string): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    let rel = normalize(decodeURIComponent(url.pathname));
    if (rel === "" || rel === "/") rel = "/index.html";
    const path = `${root}${rel.startsWith("/") ? rel : `/${rel}`}`;
    try {
      const stat = await Deno.stat(path);
      const file = stat.isDirectory ? `${path}/index.html` : path;
      const body = await Deno.readFile(file);
      return new Response(body, { headers: { "content-type": contentType(file) } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  };
}

/** Starts the server; returns it (call `shutdown()` to stop). */
export function serveSite(
  root: string,
  port = 8000,
  onListen?: (addr: Deno.NetAddr) => void,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port, onListen: onListen ?? (() => {}) },
    staticHandler(root),
  );
}

if (import.meta.main) {
  const args = Deno.args;
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const root = flag("--dir") ?? `${projectRoot()}/_site`;
  const port = Number(flag("--port") ?? 8000);
  serveSite(root, port, (a) => console.log(`serving ${root} at http://${a.hostname}:${a.port}/`));
}
