/**
 * CPU time of each thread of this process, from `/proc/self/task/<tid>/stat` (Linux; empty
 * elsewhere): shows whether the wasm backend's pool threads do their share of the work.
 *
 * @module
 */

/** One thread's name (`comm`) and CPU time (user + system) so far, in ms (10 ms ticks). */
export interface ThreadCpu {
  name: string;
  ms: number;
}

/** Clock ticks per second of `/proc` times (`CLK_TCK`; 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** Every live thread's CPU time by thread id; an empty map where `/proc` is not readable. */
export function threadCpuMs(): Map<number, ThreadCpu> {
  const out = new Map<number, ThreadCpu>();
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync("/proc/self/task");
  } catch {
    return out;
  }
  for (const e of entries) {
    try {
      const stat = Deno.readTextFileSync(`/proc/self/task/${e.name}/stat`);
      // "tid (comm) state ..." — comm may contain spaces or parentheses: split at the last ")".
      const close = stat.lastIndexOf(")");
      const name = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
      const ticks = Number(fields[11]) + Number(fields[12]);
      out.set(Number(e.name), { name, ms: (ticks * 1000) / TICKS_PER_SECOND });
    } catch {
      // the thread ended while we listed it
    }
  }
  return out;
}
