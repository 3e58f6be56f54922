/**
 * Headless Chromium for the book's browser tests, driven by `playwright-core` (uploads, clicks,
 * waiting for network idle, console capture) over Debian's `chromium` (no browser download).
 *
 * ```ts
 * const b = await openBrowser();
 * await b.page.goto("http://127.0.0.1:8000/");
 * b.requests; // every URL the page asked for
 * await b.close();
 * ```
 *
 * @module
 */
import { type Browser, chromium, type Page } from "playwright-core";

/** Where Chromium is (`$CHROMIUM`, else the first of the usual paths that exists). */
export function chromiumPath(): string | undefined {
  const candidates = [
    Deno.env.get("CHROMIUM"),
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
  ];
  for (const c of candidates) {
    if (!c) continue;
    try {
      if (Deno.statSync(c).isFile) return c;
    } catch { /* next */ }
  }
  return undefined;
}

/** A headless browser with one page that records its requests and console. */
export interface BookBrowser {
  /** The playwright browser. */
  browser: Browser;
  /** The page. */
  page: Page;
  /** URLs of every request the page made, in order. */
  requests: string[];
  /** Console messages (`type: text`) and uncaught exceptions (`exception: ...`). */
  console: string[];
  /** Closes the browser. */
  close(): Promise<void>;
}

/** Launches Chromium headless and opens a page recording requests, console and page errors. */
export async function openBrowser(executable = chromiumPath()): Promise<BookBrowser> {
  if (!executable) throw new Error("chromium not found (apt-get install chromium)");
  const browser = await chromium.launch({
    executablePath: executable,
    args: ["--disable-background-networking", "--disable-component-update", "--no-sandbox"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  const log: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => log.push(`exception: ${e.message}`));
  return {
    browser,
    page,
    requests,
    console: log,
    close: () => browser.close(),
  };
}

/** The requests that went anywhere but `origin` (data: and blob: URLs are local). */
export function requestsLeaving(requests: string[], origin: string): string[] {
  return requests.filter((u) =>
    !u.startsWith(origin) && !u.startsWith("data:") && !u.startsWith("blob:")
  );
}
