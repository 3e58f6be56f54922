/**
 * How many threads the book's kernels may use: one setting, `BOOK_THREADS`, for the engine's
 * `gemm` (chapter 1) and tfjs's wasm backend (chapters 2-5).
 *
 * Unset, the default is two threads on machines with 2 or more cores, one on a single core: on our
 * idle 2-core reference machine, two XNNPACK threads made chapter 2's training step 1.47× faster
 * (RESULTS.md, "Speed"), and results are bit-identical with one or two threads (each output is
 * summed by one thread in one order). On a machine shared with other jobs the second thread can
 * find no free core and only add work (it spins while it waits): set `BOOK_THREADS=1` there.
 *
 * @module
 */

/** Logical cores reported by the runtime (`navigator.hardwareConcurrency`), at least 1. */
export function logicalCores(): number {
  const n = typeof navigator !== "undefined" ? navigator.hardwareConcurrency ?? 1 : 1;
  return Math.max(1, Math.floor(n));
}

/** The default for `cores` logical cores when `BOOK_THREADS` is unset: 2 on 2+ cores, else 1. */
export function defaultThreads(cores: number): number {
  return cores >= 2 ? 2 : 1;
}

/**
 * `BOOK_THREADS` as a whole number ≥ 1, or null when unset, empty, not a number or not readable
 * (no `--allow-env`).
 */
export function envThreads(): number | null {
  try {
    const st = Deno.permissions.querySync({ name: "env", variable: "BOOK_THREADS" });
    if (st.state !== "granted") return null;
    const v = Deno.env.get("BOOK_THREADS");
    if (v === undefined || v.trim() === "") return null;
    const t = Number(v);
    if (!Number.isFinite(t)) return null;
    return Math.max(1, Math.floor(t));
  } catch {
    return null;
  }
}

/**
 * Threads to use, at most `max`: `BOOK_THREADS` when set, else {@link defaultThreads}; never more
 * than the machine's logical cores.
 */
export function bookThreads(max: number): number {
  const cores = logicalCores();
  if (cores < 2) return 1;
  return Math.min(envThreads() ?? defaultThreads(cores), cores, max);
}

/**
 * True when the module at `url` may be loaded from disk by a worker (a `file:` URL with read
 * permission): the helper threads of the wasm kernels load their own module.
 */
export function canLoadModule(url: string): boolean {
  try {
    const u = new URL(url);
    if (u.protocol !== "file:") return false;
    return Deno.permissions.querySync({ name: "read", path: u }).state === "granted";
  } catch {
    return false;
  }
}
