#!/usr/bin/python3
"""Execute a Jupyter notebook in its kernel without losing late outputs.

The Deno 2.x kernel sometimes publishes a cell's last stream/display messages on iopub *after*
its ``status: idle``. nbclient (``jupyter nbconvert --execute``) stops listening for a cell at
idle and drops them. This executor instead keeps one reader for the whole run and routes every
iopub message to the cell whose ``execute_request`` is its parent, and after the last cell keeps
reading until the channel has been quiet for ``--grace`` seconds. Consecutive stream outputs are
then merged (and carriage-return overwrites resolved) as nbconvert does.

The iopub channel is read by our own ZMTP subscriber (:class:`IopubReader`), not by jupyter_client,
because the Deno kernel (2.9's JavaScript kernel) can corrupt that stream: it writes each iopub
message with a loop of ``conn.write`` calls and does not serialise concurrent senders, so when a
large message (a plotly figure, an image) needs several writes, a status or ``execute_input``
message published meanwhile is written into the middle of it. jupyter_client then fails with
"Invalid Signature" (seen in CI under load: a figure's late ``display_data`` cut by the next
cell's ``busy``). The reader verifies every message's HMAC and repairs such a message: it finds the
complete, correctly signed message written into it, cuts it out (delivering it too) and checks
the signature again. A message it cannot repair fails the run with a clear error.

Exit status: 0 on success; 1 when a cell raises (the cell number, first line and error are
printed), the kernel dies or a cell times out; 2 on bad usage.

Usage: /usr/bin/python3 lib/book/execute.py NOTEBOOK [-o OUT] [--quick] [--env K=V]...
       [--timeout SECONDS] [--grace SECONDS] [--kernel NAME] [--allow-errors]

Needs Debian's jupyter-client (``/usr/bin/python3``); no nbclient/nbconvert.
"""
import argparse
import hashlib
import hmac
import json
import os
import queue
import re
import signal
import socket
import sys
import threading
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


# -- iopub: our own ZMTP 3.0 subscriber ---------------------------------------------------------
DELIMITER = b"<IDS|MSG>"
# How every iopub message of the Deno kernel starts (no topic frames): the delimiter as a short
# frame with the MORE flag. JSON frames cannot contain byte 0x01, so inside a message this marks
# the start of another message written into it.
MESSAGE_START = b"\x01\x09" + DELIMITER
MAX_FRAME = 1 << 31


class FramingError(ValueError):
    """ZMTP framing that no kernel writes, found at byte ``at`` of the buffer."""

    def __init__(self, message, at):
        super().__init__(message)
        self.at = at


class IopubCorrupted(RuntimeError):
    """The kernel's iopub stream holds a message that cannot be verified or repaired."""


def parse_message(buf, start):
    """Parses one ZMTP multipart message at ``buf[start:]``.

    Returns ``(frames, end)``, ``None`` while incomplete, or raises FramingError on framing that
    no kernel writes (a command frame, reserved flag bits, an absurd length)."""
    frames = []
    i = start
    n = len(buf)
    while True:
        if i >= n:
            return None
        flag = buf[i]
        if flag & ~0x03:
            raise FramingError(f"unexpected frame flag 0x{flag:02x}", i)
        if flag & 0x02:
            if i + 9 > n:
                return None
            size = int.from_bytes(buf[i + 1:i + 9], "big")
            i += 9
        else:
            if i + 2 > n:
                return None
            size = buf[i + 1]
            i += 2
        if size > MAX_FRAME:
            raise FramingError(f"frame of {size} bytes", i)
        if i + size > n:
            return None
        frames.append(bytes(buf[i:i + size]))
        i += size
        if not flag & 0x01:
            return frames, i


def short_frame(data, more=False, command=False):
    flag = (0x01 if more else 0) | (0x04 if command else 0)
    if len(data) > 255:
        return bytes([flag | 0x02]) + len(data).to_bytes(8, "big") + data
    return bytes([flag, len(data)]) + data


class IopubStream:
    """The bytes of a kernel's iopub connection (after the handshake) → verified messages.

    ``feed(chunk)`` returns the messages completed by `chunk`. A message whose signature or
    framing is broken is searched for a complete, correctly signed message written into it, which
    is cut out and delivered (``repairs`` counts them); one that cannot be repaired raises
    :class:`IopubCorrupted`."""

    def __init__(self, key):
        self.key = key
        self.buf = bytearray()
        self.scan_from = 1
        self.repairs = 0
        self.out = []

    def feed(self, chunk):
        self.buf += chunk
        self.out = []
        self._extract()
        return self.out

    def _verified(self, frames):
        try:
            d = frames.index(DELIMITER)
        except ValueError:
            return None
        if len(frames) < d + 6:
            return None
        signature = frames[d + 1]
        if self.key:
            mac = hmac.new(self.key, digestmod=hashlib.sha256)
            for part in frames[d + 2:d + 6]:
                mac.update(part)
            if not hmac.compare_digest(mac.hexdigest().encode(), signature):
                return None
        try:
            header, parent, metadata, content = (json.loads(f) for f in frames[d + 2:d + 6])
        except ValueError:
            return None
        return {"header": header, "msg_id": header.get("msg_id"), "msg_type": header.get("msg_type"),
                "parent_header": parent, "metadata": metadata, "content": content,
                "buffers": frames[d + 6:]}

    def _extract(self):
        """Delivers every complete message at the head of the buffer, repairing interleaving."""
        buf = self.buf
        while buf:
            try:
                head = parse_message(buf, 0)
                broken_at = None
            except FramingError as e:
                head, broken_at = None, e.at
            if head is not None:
                msg = self._verified(head[0])
                if msg is not None:
                    self.out.append(msg)
                    del buf[:head[1]]
                    self.scan_from = 1
                    continue
                broken_at = head[1] - 1  # whatever was written into it starts before its end
            # Incomplete or broken: a message written into this one starts at or before
            # `broken_at` (anywhere, while the head is incomplete).
            last = len(buf) if broken_at is None else broken_at + 1
            found = self._cut_inner(min(len(buf), last - 1 + len(MESSAGE_START)))
            if found == "cut":
                continue
            if found == "none" and broken_at is not None and not self._marker_may_follow(last):
                raise IopubCorrupted(
                    f"a {('malformed' if head is None else 'wrongly signed')} message on the "
                    "kernel's iopub channel holds no correctly signed message to cut out "
                    f"(starts {bytes(buf[:48])!r})")
            return  # wait for more bytes

    def _marker_may_follow(self, last):
        """Whether the buffer ends in the first bytes of a message start at a position < last."""
        buf = self.buf
        tail = max(1, len(buf) - len(MESSAGE_START) + 1)
        return any(MESSAGE_START.startswith(bytes(buf[q:])) for q in range(tail, min(len(buf), last)))

    def _cut_inner(self, end):
        """Finds a complete, correctly signed message starting in ``buf[1:end]`` and cuts it out
        (delivering it): "cut", "waiting" (one is not all here yet) or "none"."""
        buf = self.buf
        p = buf.find(MESSAGE_START, self.scan_from, end)
        while p != -1:
            try:
                inner = parse_message(buf, p)
            except FramingError:
                inner = False
            if inner is None:
                self.scan_from = p
                return "waiting"
            msg = self._verified(inner[0]) if inner else None
            if msg is not None:
                self.out.append(msg)
                del buf[p:inner[1]]
                self.repairs += 1
                self.scan_from = 1
                return "cut"
            p = buf.find(MESSAGE_START, p + 1, end)
        self.scan_from = max(1, end - len(MESSAGE_START) + 1)
        return "none"


class IopubReader:
    """Subscribes to a kernel's iopub port and yields its messages, verified and repaired.

    A thread reads the socket as fast as it can into memory (so the kernel's writes rarely wait
    on us) and parses it (:class:`IopubStream`) into a queue. ``rcvbuf``/``read_delay`` starve the reader on
    purpose (tests: they make the kernel split large messages and interleave others)."""

    def __init__(self, ip, port, key, alive, rcvbuf=None, read_delay=0.0, connect_timeout=60):
        self.stream = IopubStream(key)
        self.read_delay = read_delay
        self.last_read = time.time()  # when bytes last arrived
        self.messages = queue.Queue()
        deadline = time.time() + connect_timeout
        while True:  # the kernel listens a moment after it starts
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if rcvbuf:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            try:
                sock.connect((ip, port))
                break
            except ConnectionRefusedError:
                sock.close()
                if not alive():
                    raise RuntimeError("the kernel died before it listened on iopub")
                if time.time() > deadline:
                    raise RuntimeError(f"the kernel's iopub port {ip}:{port} refused connections "
                                       f"for {connect_timeout} s")
                time.sleep(0.05)
        self.sock = sock
        greeting = bytearray(64)  # signature, version 3.0, mechanism NULL, as-server 0
        greeting[0], greeting[9], greeting[10] = 0xFF, 0x7F, 0x03
        greeting[12:16] = b"NULL"
        sock.sendall(bytes(greeting))
        self._read_exact(64)
        ready = b"\x05READY" + b"\x0bSocket-Type" + (3).to_bytes(4, "big") + b"SUB"
        sock.sendall(short_frame(ready, command=True))
        flag = self._read_exact(1)[0]  # the kernel's READY command
        size = int.from_bytes(self._read_exact(8), "big") if flag & 0x02 else self._read_exact(1)[0]
        self._read_exact(size)
        sock.sendall(short_frame(b"\x01"))  # ZMTP 3.0 subscription to every topic
        self.thread = threading.Thread(target=self._run, name="iopub", daemon=True)
        self.thread.start()

    def _read_exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise RuntimeError("the kernel closed its iopub connection during the handshake")
            out += chunk
        return out

    def get(self, timeout):
        """The next message (jupyter_client's dict shape); queue.Empty after `timeout` s."""
        item = self.messages.get(timeout=timeout)
        if isinstance(item, Exception):
            self.messages.put(item)  # every later call fails the same way
            raise item
        return item

    def quiet_for(self):
        """Seconds since bytes last arrived; 0 while a message is only partly here."""
        busy = self.stream.buf or not self.messages.empty()
        return 0.0 if busy else time.time() - self.last_read

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def _run(self):
        try:
            while True:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    return
                self.last_read = time.time()
                for msg in self.stream.feed(chunk):
                    self.messages.put(msg)
                if self.read_delay:
                    time.sleep(self.read_delay)
        except OSError:
            return  # closed by us
        except Exception as e:  # IopubCorrupted, or a bug: the executor reports it
            self.messages.put(e if isinstance(e, IopubCorrupted) else IopubCorrupted(repr(e)))

    @property
    def repairs(self):
        return self.stream.repairs


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
    def __init__(self, nb, path, kernel, env, timeout, grace, log, iopub_options=None):
        self.nb = nb
        self.iopub_options = iopub_options or {}  # IopubReader's rcvbuf/read_delay (tests)
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
            try:
                self.handle_iopub(self.iopub.get(timeout=0.05))
            except queue.Empty:
                pass
            try:
                while True:
                    reply = kc.get_shell_msg(timeout=0)
                    state = self.by_msg.get(reply.get("parent_header", {}).get("msg_id"))
                    if state is not None and reply["msg_type"] == "execute_reply":
                        state.reply = reply["content"]
            except queue.Empty:
                pass
        return True

    def drain(self):
        """Keeps reading iopub until it has been quiet for `grace` seconds."""
        self.last_message = time.time()
        while time.time() - self.last_message < self.grace:
            try:
                self.handle_iopub(self.iopub.get(timeout=0.05))
            except queue.Empty:
                pass

    def settle(self, quiet=0.05, limit=10.0):
        """Waits (up to `limit` s) until iopub has been quiet for `quiet` s, handling what comes.

        The kernel tags each output with the request it is executing when it *publishes* the
        output, and it publishes a cell's last outputs (a large figure especially) after the
        cell's idle: sending the next cell at once would file them under the next cell."""
        end = time.time() + limit
        while time.time() < end and self.iopub.quiet_for() < quiet:
            try:
                self.handle_iopub(self.iopub.get(timeout=0.01))
            except queue.Empty:
                pass

    def wait_for_ready(self, kc, timeout):
        """jupyter_client's wait_for_ready on our iopub reader: a kernel_info reply on shell, and
        a message on iopub (so the subscription is live before the first cell), then quiet."""
        deadline = time.time() + timeout
        while True:
            kc.kernel_info()
            try:
                ready = kc.get_shell_msg(timeout=1)["msg_type"] == "kernel_info_reply"
            except queue.Empty:
                ready = False
            if ready:
                try:
                    self.iopub.get(timeout=0.2)
                    break
                except queue.Empty:
                    pass
            if not self.km.is_alive():
                raise RuntimeError("the kernel died before replying to kernel_info")
            if time.time() > deadline:
                raise RuntimeError(f"the kernel did not answer kernel_info in {timeout:.0f} s")
        while True:
            try:
                self.iopub.get(timeout=0.2)
            except queue.Empty:
                break

    # -- run ------------------------------------------------------------------------------
    def run(self):
        env = dict(os.environ)
        env.update(self.env)
        self.km = KernelManager(kernel_name=self.kernel)
        self.km.start_kernel(cwd=os.path.dirname(os.path.abspath(self.path)) or ".", env=env)
        kc = self.km.client()
        # iopub is ours (IopubReader: the Deno kernel can interleave its messages), the rest
        # jupyter_client's. No stdin: cells run with allow_stdin=False.
        kc.start_channels(iopub=False, stdin=False)
        self.iopub = None
        failure = None
        states = []
        for cell in self.nb["cells"]:  # no stale outputs from an earlier run survive
            if cell["cell_type"] == "code":
                cell["outputs"] = []
                cell["execution_count"] = None
        try:
            self.iopub = IopubReader(self.km.ip, self.km.iopub_port, self.km.session.key,
                                     self.km.is_alive, **self.iopub_options)
            self.wait_for_ready(kc, timeout=120)
            code_cells = [(i, c) for i, c in enumerate(self.nb["cells"]) if c["cell_type"] == "code"]
            for n, (i, cell) in enumerate(code_cells, 1):
                src = source_of(cell)
                state = CellState(i, cell)
                states.append(state)
                if not src.strip():
                    state.idle = True
                    state.reply = {"status": "ok", "execution_count": None}
                    continue
                self.settle()
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
            self.drain()
        except IopubCorrupted as e:
            failure = (states[-1] if states else None,
                       f"the kernel's iopub stream is corrupt: {e}")
        except RuntimeError as e:
            failure = (states[-1] if states else None, str(e))
        finally:
            if self.iopub is not None:
                self.iopub.close()
                if self.iopub.repairs:
                    self.log(f"  note: repaired {self.iopub.repairs} iopub message(s) the kernel "
                             "had written into the middle of another (see execute.py)")
            # Not kc.stop_channels(): it would create (connect) the iopub channel to stop it.
            for channel in (kc.shell_channel, kc.hb_channel, kc.control_channel):
                if channel.is_alive():
                    channel.stop()
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
    ap.add_argument("--iopub-rcvbuf", type=int, metavar="BYTES",
                    help="tests: a small receive buffer for iopub, so the kernel splits its writes")
    ap.add_argument("--iopub-read-delay", type=float, default=0.0, metavar="SECONDS",
                    help="tests: pause after each iopub read, a starved reader")
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
    iopub_options = {"rcvbuf": args.iopub_rcvbuf, "read_delay": args.iopub_read_delay}
    failure = Executor(nb, args.notebook, kernel, env, args.timeout, args.grace, log,
                       iopub_options).run()
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
