/**
 * A tiny static file server for the built site (`deno task serve`): serves `_site/` on
 * `http://127.0.0.1:8000/` (flags: `--port N`, `--dir DIR`, `--base /book/` to serve it from a
 * sub-path as a static host would). Missing files get the site's `404.html` with status 404.
 *
 * Every response carries the cross-origin isolation headers ({@link ISOLATION_HEADERS}): the
 * classifier demo runs libvips (wasm-vips) on threads sharing memory, which browsers allow only in
 * an isolated page. `--no-isolation` leaves them off, as a host that cannot send headers would
 * (GitHub Pages); there `coi-serviceworker.js` adds them after one reload.
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
  wasm: "application/wasm",
  woff2: "font/woff2",
  woff: "font/woff",
  ttf: "font/ttf",
};

/** Content type for a file name by extension. */
export function contentType(path: string): string {
  return TYPES[path.split(".").pop()?.toLowerCase() ?? ""] ?? "application/octet-stream";
}

/**
 * Headers that make a page cross-origin isolated (`SharedArrayBuffer`, WebAssembly threads). The
 * site's static-host configuration (`_headers`) and its service worker send the same.
 */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-embedder-policy": "require-corp",
};

/** Options of {@link staticHandler} and {@link serveSite}. */
export interface ServeOptions {
  /** URL path the site is served at (default `/`). */
  base?: string;
  /** Send {@link ISOLATION_HEADERS} (default true); false acts like a host that cannot. */
  isolation?: boolean;
}

/**
 * A request handler serving files under `root` (directories serve their `index.html`) at URL path
 * `base` (default `/`); anything else gets `root/404.html` (or plain text) with status 404.
 */
export function staticHandler(
  root: string,
  options: ServeOptions = {},
): (req: Request) => Promise<Response> {
  const base = options.base ?? "/";
  const prefix = base.endsWith("/") ? base : `${base}/`;
  const extra = options.isolation === false ? {} : ISOLATION_HEADERS;
  const notFound = async () => {
    try {
      const body = await Deno.readFile(`${root}/404.html`);
      return new Response(body, {
        status: 404,
        headers: { "content-type": contentType("x.html"), ...extra },
      });
    } catch {
      return new Response("not found", { status: 404, headers: extra });
    }
  };
  return async (req) => {
    const url = new URL(req.url);
    if (!url.pathname.startsWith(prefix)) {
      if (`${url.pathname}/` === prefix) return Response.redirect(new URL(prefix, url), 301);
      return await notFound();
    }
    let rel = normalize(decodeURIComponent(url.pathname.slice(prefix.length - 1)));
    if (rel === "" || rel === "/") rel = "/index.html";
    const path = `${root}${rel.startsWith("/") ? rel : `/${rel}`}`;
    try {
      const stat = await Deno.stat(path);
      const file = stat.isDirectory ? `${path}/index.html` : path;
      const body = await Deno.readFile(file);
      return new Response(body, { headers: { "content-type": contentType(file), ...extra } });
    } catch {
      return await notFound();
    }
  };
}

/** Starts the server; returns it (call `shutdown()` to stop). */
export function serveSite(
  root: string,
  port = 8000,
  onListen?: (addr: Deno.NetAddr) => void,
  options: ServeOptions = {},
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port, onListen: onListen ?? (() => {}) },
    staticHandler(root, options),
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
  const base = flag("--base") ?? "/";
  serveSite(
    root,
    port,
    (a) => console.log(`serving ${root} at http://${a.hostname}:${a.port}${base}`),
    { base, isolation: !args.includes("--no-isolation") },
  );
}
