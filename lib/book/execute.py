#!/usr/bin/python3
"""Execute a Jupyter notebook in its kernel without losing late outputs.

The Deno 2.x kernel sometimes publishes a cell's last stream/display messages on iopub *after*
its ``status: idle``. nbclient (``jupyter nbconvert --execute``) stops listening for a cell at
idle and drops them. This executor instead keeps one reader for the whole run and routes every
iopub message to the cell whose ``execute_request`` is its parent, and after the last cell keeps
reading until the channel has been quiet for ``--grace`` seconds. Consecutive stream outputs are
then merged (and carriage-return overwrites resolved) as nbconvert does.

Exit status: 0 on success; 1 when a cell raises (the cell number, first line and error are
printed), the kernel dies or a cell times out; 2 on bad usage.

Usage: /usr/bin/python3 lib/book/execute.py NOTEBOOK [-o OUT] [--quick] [--env K=V]...
       [--timeout SECONDS] [--grace SECONDS] [--kernel NAME] [--allow-errors]

Needs Debian's jupyter-client (``/usr/bin/python3``); no nbclient/nbconvert.
"""
import argparse
import json
import os
import queue
import re
import signal
import sys
import time

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

from jupyter_client.manager import KernelManager  # noqa: E402

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def source_of(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def cell_head(src):
    for line in src.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= 60 else line[:57] + "..."
    return ""


def resolve_cr(text):
    """Resolves carriage-return overwrites and backspaces line by line (as Jupyter renders)."""
    while re.search(r"[^\n\x08]\x08", text):
        text = re.sub(r"[^\n\x08]\x08", "", text)
    text = text.replace("\x08", "")
    out = []
    for line in text.split("\n"):
        if "\r" in line:
            parts = [p for p in line.split("\r")]
            # The visible text is the last non-empty overwrite (a trailing \r keeps the line).
            visible = next((p for p in reversed(parts) if p != ""), "")
            line = visible
        out.append(line)
    return "\n".join(out)


def merge_streams(outputs):
    """Merges consecutive stream outputs with the same name (nbconvert's coalesce_streams)."""
    merged = []
    for o in outputs:
        if (o["output_type"] == "stream" and merged and merged[-1]["output_type"] == "stream"
                and merged[-1]["name"] == o["name"]):
            merged[-1]["text"] += o["text"]
        else:
            merged.append(dict(o))
    for o in merged:
        if o["output_type"] == "stream":
            o["text"] = resolve_cr(o["text"].replace("\r\n", "\n"))
    return [o for o in merged if not (o["output_type"] == "stream" and o["text"] == "")]


def split_lines(text):
    """nbformat's on-disk multi-line form: a list of lines keeping their newlines."""
    return text.splitlines(keepends=True)


class CellState:
    def __init__(self, index, cell):
        self.index = index  # 0-based among all cells
        self.cell = cell
        self.outputs = []
        self.idle = False
        self.reply = None
        self.clear_pending = False
        self.started = time.time()
        self.finished = None


class Executor:
    def __init__(self, nb, path, kernel, env, timeout, grace, log):
        self.nb = nb
        self.path = path
        self.kernel = kernel
        self.env = env
        self.timeout = timeout
        self.grace = grace
        self.log = log
        self.by_msg = {}  # execute_request msg_id -> CellState
        self.displays = {}  # display_id -> [(CellState, output)]
        self.last_message = time.time()

    # -- iopub routing --------------------------------------------------------------------
    def handle_iopub(self, msg):
        state = self.by_msg.get(msg.get("parent_header", {}).get("msg_id"))
        if state is None:
            return
        self.last_message = time.time()
        t = msg["msg_type"]
        c = msg["content"]
        if t == "status":
            if c.get("execution_state") == "idle":
                state.idle = True
            return
        if t == "clear_output":
            if c.get("wait"):
                state.clear_pending = True
            else:
                state.outputs = []
            return
        if t == "update_display_data":
            did = c.get("transient", {}).get("display_id")
            for _, out in self.displays.get(did, []):
                out["data"] = c.get("data", {})
                out["metadata"] = c.get("metadata", {})
            return
        out = None
        if t == "stream":
            out = {"output_type": "stream", "name": c.get("name", "stdout"), "text": c.get("text", "")}
        elif t in ("display_data", "execute_result"):
            out = {"output_type": t, "data": c.get("data", {}), "metadata": c.get("metadata", {})}
            if t == "execute_result":
                out["execution_count"] = c.get("execution_count")
            did = c.get("transient", {}).get("display_id")
            if did:
                self.displays.setdefault(did, []).append((state, out))
        elif t == "error":
            out = {"output_type": "error", "ename": c.get("ename", ""), "evalue": c.get("evalue", ""),
                   "traceback": c.get("traceback", [])}
        if out is not None:
            if state.clear_pending:
                state.outputs = []
                state.clear_pending = False
            state.outputs.append(out)

    def pump(self, kc, until, deadline):
        """Reads iopub/shell until `until()` holds or `deadline` passes; False on timeout."""
        while not until():
            if time.time() > deadline:
                return False
            if not self.km.is_alive():
                raise RuntimeError("the kernel died")
            got = False
            try:
                self.handle_iopub(kc.get_iopub_msg(timeout=0.05))
                got = True
            except queue.Empty:
                pass
            try:
                while True:
                    reply = kc.get_shell_msg(timeout=0)
                    state = self.by_msg.get(reply.get("parent_header", {}).get("msg_id"))
                    if state is not None and reply["msg_type"] == "execute_reply":
                        state.reply = reply["content"]
                        got = True
            except queue.Empty:
                pass
            if not got:
                continue
        return True

    def drain(self, kc):
        """Keeps reading iopub until it has been quiet for `grace` seconds."""
        self.last_message = time.time()
        while time.time() - self.last_message < self.grace:
            try:
                self.handle_iopub(kc.get_iopub_msg(timeout=0.05))
            except queue.Empty:
                pass

    # -- run ------------------------------------------------------------------------------
    def run(self):
        env = dict(os.environ)
        env.update(self.env)
        self.km = KernelManager(kernel_name=self.kernel)
        self.km.start_kernel(cwd=os.path.dirname(os.path.abspath(self.path)) or ".", env=env)
        kc = self.km.client()
        kc.start_channels()
        failure = None
        states = []
        for cell in self.nb["cells"]:  # no stale outputs from an earlier run survive
            if cell["cell_type"] == "code":
                cell["outputs"] = []
                cell["execution_count"] = None
        try:
            kc.wait_for_ready(timeout=120)
            code_cells = [(i, c) for i, c in enumerate(self.nb["cells"]) if c["cell_type"] == "code"]
            for n, (i, cell) in enumerate(code_cells, 1):
                src = source_of(cell)
                state = CellState(i, cell)
                states.append(state)
                if not src.strip():
                    state.idle = True
                    state.reply = {"status": "ok", "execution_count": None}
                    continue
                msg_id = kc.execute(src, store_history=True, allow_stdin=False, stop_on_error=True)
                self.by_msg[msg_id] = state
                ok = self.pump(kc, lambda: state.idle and state.reply is not None,
                               time.time() + self.timeout)
                state.finished = time.time()
                secs = state.finished - state.started
                if not ok:
                    failure = (state, f"timed out after {self.timeout:.0f} s")
                    self.km.interrupt_kernel()
                    break
                status = state.reply.get("status")
                self.log(f"  cell {i + 1} ({n}/{len(code_cells)}) {status} in {secs:.1f} s")
                if status != "ok":
                    err = next((o for o in state.outputs if o["output_type"] == "error"), None)
                    ename = (err or state.reply).get("ename", "Error")
                    evalue = (err or state.reply).get("evalue", "")
                    tb = "\n".join(ANSI.sub("", line) for line in (err or state.reply).get("traceback", []))
                    failure = (state, f"{ename}: {evalue}" + (f"\n{tb}" if tb else ""))
                    break
            self.drain(kc)
        except RuntimeError as e:
            failure = (states[-1] if states else None, str(e))
        finally:
            kc.stop_channels()
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:
                pass
        for state in states:
            cell = state.cell
            cell["outputs"] = []
            for o in merge_streams(state.outputs):
                if o["output_type"] == "stream":
                    o["text"] = split_lines(o["text"])
                cell["outputs"].append(o)
            cell["execution_count"] = (state.reply or {}).get("execution_count")
            if state.finished:
                cell.setdefault("metadata", {})["execution"] = {
                    "book/seconds": round(state.finished - state.started, 3)}
        return failure


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebook")
    ap.add_argument("-o", "--output", help="where to write the executed notebook (default: print nothing, write nothing)")
    ap.add_argument("--quick", action="store_true", help="set BOOK_QUICK=1 for the kernel")
    ap.add_argument("--env", action="append", default=[], metavar="K=V")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per cell (default 3600)")
    ap.add_argument("--grace", type=float, default=1.0,
                    help="seconds of iopub silence to wait for late outputs at the end (default 1)")
    ap.add_argument("--kernel", help="kernel name (default: the notebook's kernelspec, else deno)")
    ap.add_argument("--allow-errors", action="store_true", help="exit 0 even if a cell raises")
    args = ap.parse_args(argv)
    # Killed (e.g. `deno task book` interrupted): unwind so the kernel is shut down, not orphaned.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with open(args.notebook, encoding="utf-8") as f:
        nb = json.load(f)
    env = dict(kv.split("=", 1) for kv in args.env)
    if args.quick:
        env["BOOK_QUICK"] = "1"
    kernel = args.kernel or nb.get("metadata", {}).get("kernelspec", {}).get("name") or "deno"

    def log(line):
        print(line, file=sys.stderr, flush=True)

    log(f"executing {args.notebook} in kernel {kernel}{' (quick)' if args.quick else ''}")
    t0 = time.time()
    failure = Executor(nb, args.notebook, kernel, env, args.timeout, args.grace, log).run()
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w", encoding="utf-8") as f:
            json.dump(nb, f, indent=1, ensure_ascii=False)
            f.write("\n")
    if failure:
        state, message = failure
        where = f"cell {state.index + 1} ({cell_head(source_of(state.cell))!r})" if state else "startup"
        log(f"FAILED: {args.notebook} {where}: {message}")
        return 0 if args.allow_errors else 1
    log(f"done: {args.notebook} in {time.time() - t0:.1f} s" + (f" -> {args.output}" if args.output else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
