/**
 * A minimal headless-Chromium driver over the DevTools protocol (WebSocket), for the site's
 * browser test: launch Debian's `chromium`, open a page, record every network request, evaluate
 * expressions, take screenshots. No npm dependency.
 *
 * @module
 */

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

type Pending = { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void };

/** A running headless browser with one page. */
export class Browser {
  /** URLs of every request the page made, in order. */
  readonly requests: string[] = [];
  /** Console messages and uncaught exceptions from the page. */
  readonly console: string[] = [];
  #proc: Deno.ChildProcess;
  #ws: WebSocket;
  #userDir: string;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #listeners: ((method: string, params: Record<string, unknown>) => void)[] = [];
  #session = "";

  private constructor(proc: Deno.ChildProcess, ws: WebSocket, userDir: string) {
    this.#proc = proc;
    this.#ws = ws;
    this.#userDir = userDir;
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data));
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id);
        this.#pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${msg.error.message} (${msg.error.code})`));
        else p?.resolve(msg.result ?? {});
      } else if (msg.method) {
        for (const l of this.#listeners) l(msg.method, msg.params ?? {});
      }
    };
  }

  /** Launches Chromium headless with a fresh profile and opens a blank page. */
  static async launch(executable = chromiumPath()): Promise<Browser> {
    if (!executable) throw new Error("chromium not found (apt-get install chromium)");
    const userDir = await Deno.makeTempDir({ prefix: "chromium-" });
    const proc = new Deno.Command(executable, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        "--mute-audio",
        "--hide-scrollbars",
        `--user-data-dir=${userDir}`,
        "--remote-debugging-port=0",
        "--window-size=1280,900",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const wsUrl = await readDevtoolsUrl(proc.stderr);
    const ws = new WebSocket(wsUrl);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = (e) => reject(new Error(`devtools websocket: ${(e as ErrorEvent).message}`));
    });
    const b = new Browser(proc, ws, userDir);
    const { targetId } = await b.send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await b.send("Target.attachToTarget", { targetId, flatten: true });
    b.#session = String(sessionId);
    b.#listeners.push((method, params) => {
      if (method === "Network.requestWillBeSent") {
        b.requests.push((params.request as { url: string }).url);
      } else if (method === "Runtime.consoleAPICalled") {
        const args = (params.args as { value?: unknown; description?: string }[]) ?? [];
        b.console.push(`${params.type}: ${args.map((a) => a.value ?? a.description).join(" ")}`);
      } else if (method === "Runtime.exceptionThrown") {
        const d = params.exceptionDetails as {
          text?: string;
          exception?: { description?: string };
        };
        b.console.push(`exception: ${d.exception?.description ?? d.text}`);
      }
    });
    await b.page("Network.enable");
    await b.page("Page.enable");
    await b.page("Runtime.enable");
    return b;
  }

  /** Sends a browser-level DevTools command. */
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<
    Record<string, unknown>
  > {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  /** Sends a command to the page. */
  page(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.send(method, params, this.#session);
  }

  /** Navigates and waits for the load event (plus `settleMs` for scripts to draw). */
  async goto(url: string, settleMs = 500, timeoutMs = 30_000): Promise<void> {
    const loaded = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timeout loading ${url}`)), timeoutMs);
      this.#listeners.push((method) => {
        if (method === "Page.loadEventFired") {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await this.page("Page.navigate", { url });
    await loaded;
    await new Promise((r) => setTimeout(r, settleMs));
  }

  /** Evaluates an expression in the page (awaiting promises) and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.page("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    const ex = r.exceptionDetails as { text?: string } | undefined;
    if (ex) throw new Error(`evaluate failed: ${ex.text}`);
    return (r.result as { value: T }).value;
  }

  /** A PNG screenshot of the viewport (or the full page). */
  async screenshot(fullPage = false): Promise<Uint8Array> {
    const r = await this.page("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: fullPage,
    });
    return Uint8Array.from(atob(String(r.data)), (c) => c.charCodeAt(0));
  }

  /** Closes the browser and removes its profile. */
  async close(): Promise<void> {
    try {
      await Promise.race([this.send("Browser.close"), new Promise((r) => setTimeout(r, 2000))]);
    } catch { /* already closing */ }
    try {
      this.#ws.close();
    } catch { /* closed */ }
    try {
      this.#proc.kill("SIGKILL");
    } catch { /* exited */ }
    await this.#proc.status;
    await this.#proc.stderr.cancel().catch(() => {});
    await Deno.remove(this.#userDir, { recursive: true }).catch(() => {});
  }
}

async function readDevtoolsUrl(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader();
  const dec = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
    const m = text.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) {
      // Keep draining stderr so Chromium never blocks on a full pipe.
      (async () => {
        try {
          while (!(await reader.read()).done) { /* discard */ }
        } catch { /* closed */ }
      })();
      return m[1];
    }
  }
  throw new Error(`chromium did not report a DevTools URL:\n${text.slice(-2000)}`);
}
