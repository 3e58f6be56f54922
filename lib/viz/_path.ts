// Minimal POSIX path helpers (JSR's @std/path is unreachable here); internal to lib/viz and lib/book.

/** Converts a `file:` URL to a path. */
export function fromFileUrl(url: URL | string): string {
  const u = typeof url === "string" ? new URL(url) : url;
  if (u.protocol !== "file:") throw new TypeError(`not a file URL: ${u.href}`);
  return decodeURIComponent(u.pathname);
}

/** Directory part of a path (`"a/b/c.ts"` → `"a/b"`). */
export function dirname(path: string): string {
  const i = path.replace(/\/+$/, "").lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

/** Last segment of a path, optionally without `ext`. */
export function basename(path: string, ext = ""): string {
  const b = path.replace(/\/+$/, "").split("/").pop() ?? "";
  return ext && b.endsWith(ext) ? b.slice(0, -ext.length) : b;
}

/** Path of `path` relative to directory `from` (both absolute or both relative to the cwd). */
export function relative(from: string, path: string): string {
  const a = from.split("/").filter(Boolean);
  const b = path.split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/") || ".";
}

/** Absolute version of `path` against the cwd. */
export function resolve(path: string): string {
  if (path.startsWith("/")) return normalize(path);
  return normalize(`${Deno.cwd()}/${path}`);
}

/** Collapses `.` and `..` segments. */
export function normalize(path: string): string {
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return (path.startsWith("/") ? "/" : "") + out.join("/");
}
