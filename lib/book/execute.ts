/**
 * Executing notebooks in the real Deno Jupyter kernel, from TypeScript.
 *
 * Wraps `lib/book/execute.py` (run by Debian's `/usr/bin/python3` with `jupyter_client`), our
 * executor that never drops the outputs the Deno kernel publishes after reporting "idle" (stock
 * `jupyter nbconvert --execute` does), merges streams as nbconvert does, and fails naming the cell
 * when a cell raises. It reads the kernel's iopub messages itself, verifying each signature and
 * repairing the messages that the Deno kernel sometimes writes into the middle of another.
 *
 * Setup once per machine: Debian's `jupyter-client python3-nbclient jupyter-nbconvert
 * python3-ipykernel jupyter-core`, then `deno task setup` (`deno jupyter --install`).
 *
 * @module
 */
import { fileURLToPath as fromFileUrl } from "node:url";

/** The Python that has `jupyter_client` (`$BOOK_PYTHON`, default Debian's `/usr/bin/python3`). */
export function bookPython(): string {
  try {
    return Deno.env.get("BOOK_PYTHON") ?? "/usr/bin/python3";
  } catch {
    return "/usr/bin/python3";
  }
}

/** Path of the Python executor script. */
export const EXECUTOR_PY: string = fromFileUrl(new URL("./execute.py", import.meta.url));

/** Options for {@linkcode executeNotebook}. */
export interface ExecuteOptions {
  /** Where to write the executed notebook. */
  output?: string;
  /** Pass `BOOK_QUICK=1` to the kernel. */
  quick?: boolean;
  /** Seconds per cell before giving up (default 3600). */
  timeout?: number;
  /** Seconds of iopub silence to wait for late outputs at the end (default 1). */
  grace?: number;
  /** Extra environment for the kernel. */
  env?: Record<string, string>;
  /** Exit 0 even when a cell raises. */
  allowErrors?: boolean;
  /** Capture the executor's log instead of streaming it to stderr. */
  capture?: boolean;
  /**
   * Tests only: read the kernel's iopub channel through a `rcvbuf`-byte socket buffer, pausing
   * `readDelay` seconds after each read, so that the kernel has to write large messages in
   * pieces (see `IopubReader` in `execute.py`).
   */
  starveIopub?: { rcvbuf: number; readDelay: number };
}

/** What an execution returned. */
export interface ExecuteResult {
  /** True when every cell ran without error. */
  success: boolean;
  /** Exit code of the executor. */
  code: number;
  /** The executor's log (only with `capture`). */
  log: string;
}

/** Executes a notebook with `lib/book/execute.py`. */
export async function executeNotebook(
  notebook: string,
  options: ExecuteOptions = {},
): Promise<ExecuteResult> {
  const args = [EXECUTOR_PY, notebook];
  if (options.output) args.push("-o", options.output);
  if (options.quick) args.push("--quick");
  if (options.timeout !== undefined) args.push("--timeout", String(options.timeout));
  if (options.grace !== undefined) args.push("--grace", String(options.grace));
  if (options.allowErrors) args.push("--allow-errors");
  for (const [k, v] of Object.entries(options.env ?? {})) args.push("--env", `${k}=${v}`);
  if (options.starveIopub) {
    args.push("--iopub-rcvbuf", String(options.starveIopub.rcvbuf));
    args.push("--iopub-read-delay", String(options.starveIopub.readDelay));
  }
  const capture = options.capture ?? false;
  const out = await new Deno.Command(bookPython(), {
    args,
    stdout: capture ? "piped" : "inherit",
    stderr: capture ? "piped" : "inherit",
    env: { PYDEVD_DISABLE_FILE_VALIDATION: "1", NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  const log = capture ? dec.decode(out.stdout) + dec.decode(out.stderr) : "";
  return { success: out.success, code: out.code, log };
}

/**
 * Whether notebooks can be executed here: `bookPython()` imports `jupyter_client` and a `deno`
 * kernelspec is installed. Returns a reason when not.
 */
export async function jupyterStatus(): Promise<{ ok: boolean; reason?: string }> {
  try {
    const out = await new Deno.Command(bookPython(), {
      args: [
        "-c",
        "import jupyter_client.kernelspec as k; k.KernelSpecManager().get_kernel_spec('deno')",
      ],
      stdout: "null",
      stderr: "piped",
      env: { PYDEVD_DISABLE_FILE_VALIDATION: "1" },
    }).output();
    if (out.success) return { ok: true };
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").pop() ?? "";
    return { ok: false, reason: `${bookPython()}: ${err}` };
  } catch (e) {
    return { ok: false, reason: `${bookPython()}: ${(e as Error).message}` };
  }
}

/** True when the environment variable `CI` is set (tests must not skip there). */
export function inCI(): boolean {
  try {
    const v = Deno.env.get("CI");
    return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
  } catch {
    return false;
  }
}

/**
 * Why the registered Deno kernel cannot start, or undefined when it can: no Jupyter, no `deno`
 * kernelspec, or a kernelspec whose `deno` binary moved or was deleted (e.g. registered by
 * another clone's `deno jupyter --install`). The message says what to run.
 */
export async function kernelspecProblem(): Promise<string | undefined> {
  const py = "import json, jupyter_client.kernelspec as k\n" +
    "try:\n  s = k.KernelSpecManager().get_kernel_spec('deno')\n" +
    "except k.NoSuchKernel:\n  print(json.dumps(None)); raise SystemExit\n" +
    "print(json.dumps({'argv': s.argv, 'dir': s.resource_dir}))";
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(bookPython(), {
      args: ["-c", py],
      stdout: "piped",
      stderr: "piped",
      env: { PYDEVD_DISABLE_FILE_VALIDATION: "1" },
    }).output();
  } catch (e) {
    return `cannot run ${bookPython()} (${(e as Error).message}): install Debian's Jupyter ` +
      "(see README.md), then run `deno task setup`";
  }
  const dec = new TextDecoder();
  if (!out.success) {
    const err = dec.decode(out.stderr).trim().split("\n").pop() ?? "";
    return `${bookPython()} cannot load jupyter_client (${err}): install Debian's Jupyter ` +
      "(see README.md), then run `deno task setup`";
  }
  const spec = JSON.parse(dec.decode(out.stdout)) as { argv: string[]; dir: string } | null;
  if (!spec) return "no Deno Jupyter kernel is registered: run `deno task setup`";
  const exe = spec.argv[0] ?? "";
  if (exe.includes("/")) {
    try {
      if (Deno.statSync(exe).isFile) return undefined;
    } catch { /* missing */ }
    return `the Deno Jupyter kernel (${spec.dir}/kernel.json) runs ${exe}, which does not ` +
      "exist (moved or deleted): run `deno task setup` to register this checkout's deno";
  }
  return undefined;
}
