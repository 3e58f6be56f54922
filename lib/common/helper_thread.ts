/**
 * One helper thread that shares a kernel's work with the calling thread: the engine's `gemm`
 * (TypeScript and WebAssembly, `lib/autograd/kernels/`) and tfjs's filter gradients
 * (`lib/tfjs/simd_kernels.ts`) each keep one.
 *
 * The helper is a `node:worker_threads` Worker running the kernel's own module (unref'd, so it
 * never keeps the process alive); the module calls {@link serveAsHelper} at its end, which turns
 * that thread into a server of jobs. Both threads see one control array (shared memory): the
 * caller writes a job's arguments from slot {@link JOB}, opens it with {@link HelperThread.share},
 * and then both threads claim the job's units with {@link claimUnit} until none are left. The
 * caller never waits for the helper to start or to wake (on a busy machine it may not join a job
 * at all); it waits only for a unit the helper has claimed and is finishing. Kernels keep results
 * bit-identical with one or two threads by computing every output the same way whichever thread
 * computes it.
 *
 * @module
 */
import { isMainThread, Worker as NodeWorker, workerData } from "node:worker_threads";
import { canLoadModule } from "./threads.ts";

// Control slots: the job's state, the next unit to claim, the helper's ready flag, the job's units.
const STATE = 0, NEXT = 1, READY = 2, UNITS = 3;
/** First slot of a job's own arguments in the control array. */
export const JOB = 4;
/** Slots of the control array (a job may use `JOB` up to this). */
export const CTRL_SLOTS = 64;
// Job states (0 = idle, the initial value).
const S_OPEN = 1, S_JOINED = 2, S_CLOSED = 3, S_DONE = 4;

/** What the helper thread receives: its kind, the control array, and the kernel's shared data. */
export interface HelperData {
  kind: string;
  ctrl: Int32Array;
  [name: string]: unknown;
}

/** A kernel module's helper thread, started on first use. */
export class HelperThread {
  #worker: { terminate(): unknown } | null = null;
  #ctrl: Int32Array | null = null;
  #failed = false;

  /**
   * @param moduleUrl the kernel module (`import.meta.url`), which calls {@link serveAsHelper}
   * @param kind a name unique to the module, which tells its helper thread apart
   * @param data the shared data the helper needs (e.g. a shared `WebAssembly.Memory`), read when
   *   the thread starts
   */
  constructor(
    readonly moduleUrl: string,
    readonly kind: string,
    readonly data: () => Record<string, unknown>,
  ) {}

  /**
   * The control array when the helper is running and ready; null while it starts (the first call
   * starts it), or when it cannot run here (no readable `file:` module, no workers) or failed.
   */
  ready(): Int32Array | null {
    if (this.#ctrl === null && !this.#failed) this.#start();
    const ctrl = this.#ctrl;
    return ctrl !== null && !this.#failed && Atomics.load(ctrl, READY) === 1 ? ctrl : null;
  }

  /** Starts the helper now and resolves to true once it is ready, false when it cannot start. */
  async whenReady(timeoutMs = 5000): Promise<boolean> {
    const t0 = Date.now();
    for (;;) {
      if (this.ready() !== null) return true;
      if (this.#ctrl === null || this.#failed || Date.now() - t0 >= timeoutMs) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Ends the helper thread; the next {@link ready} starts a new one (e.g. on new shared data). */
  stop(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#ctrl = null;
    this.#failed = false;
  }

  /**
   * Runs a job of `units` units whose arguments the caller has written into `ctrl` (from
   * {@link JOB}; `ctrl` from {@link ready}): opens it to the helper, runs `work` here (which claims
   * units with {@link claimUnit} until none are left), then waits for a unit the helper is still
   * finishing, if it joined.
   */
  share(ctrl: Int32Array, units: number, work: () => void): void {
    ctrl[UNITS] = units;
    Atomics.store(ctrl, NEXT, 0);
    Atomics.store(ctrl, STATE, S_OPEN);
    Atomics.notify(ctrl, STATE, 1);
    work();
    if (Atomics.compareExchange(ctrl, STATE, S_OPEN, S_CLOSED) === S_OPEN) return; // never joined
    const t0 = Date.now();
    while (Atomics.load(ctrl, STATE) === S_JOINED) {
      Atomics.wait(ctrl, STATE, S_JOINED, 1000);
      if (Date.now() - t0 > 60_000) {
        this.#failed = true;
        throw new Error(`${this.kind}: helper thread stopped responding (BOOK_THREADS=1)`);
      }
    }
  }

  #start(): void {
    if (!canLoadModule(this.moduleUrl)) {
      this.#failed = true;
      return;
    }
    try {
      const ctrl = new Int32Array(new SharedArrayBuffer(CTRL_SLOTS * 4));
      const worker = new NodeWorker(new URL(this.moduleUrl), {
        workerData: { ...this.data(), kind: this.kind, ctrl },
      });
      worker.unref();
      worker.on("error", () => {
        if (this.#worker === worker) this.#failed = true;
      });
      this.#worker = worker;
      this.#ctrl = ctrl;
    } catch {
      this.#failed = true;
    }
  }
}

/** The next unit of the open job in `ctrl` for the calling thread, or -1 when none is left. */
export function claimUnit(ctrl: Int32Array): number {
  const u = Atomics.add(ctrl, NEXT, 1);
  return u < ctrl[UNITS] ? u : -1;
}

/**
 * Called at the end of a kernel module: when this thread is that module's helper (of `kind`),
 * serves jobs forever once the module has been evaluated. `setup` prepares the thread (e.g.
 * instantiates the WebAssembly module on the shared memory) and returns what it does for a job:
 * claim units with {@link claimUnit} until none are left.
 */
export function serveAsHelper(kind: string, setup: (data: HelperData) => () => void): void {
  if (isMainThread || (workerData as { kind?: string } | null)?.kind !== kind) return;
  const data = workerData as HelperData;
  setTimeout(() => {
    const work = setup(data);
    const ctrl = data.ctrl;
    Atomics.store(ctrl, READY, 1);
    for (;;) {
      const s = Atomics.load(ctrl, STATE);
      if (s !== S_OPEN) {
        Atomics.wait(ctrl, STATE, s);
        continue;
      }
      if (Atomics.compareExchange(ctrl, STATE, S_OPEN, S_JOINED) !== S_OPEN) continue;
      work();
      Atomics.store(ctrl, STATE, S_DONE);
      Atomics.notify(ctrl, STATE);
    }
  }, 0);
}
