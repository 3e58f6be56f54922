#!/usr/bin/python3
"""Checks execute.py's IopubStream on made-up iopub bytes (run by execute_test.ts).

Every way the Deno kernel can interleave two messages is tried: a complete message written into
another at every byte position (so inside frame headers, the delimiter, the signature and the
JSON), fed in chunks of several sizes; two messages written into one; a large message; and a
message signed with another key, which must fail with IopubCorrupted. Prints "ok: N streams".
"""
import hashlib
import hmac
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from execute import IopubCorrupted, IopubStream, short_frame  # noqa: E402

KEY = b"0123456789abcdef"


def message(msg_type, content, key=KEY, n=[0]):
    n[0] += 1
    parts = [json.dumps(p).encode() for p in (
        {"msg_id": f"m{n[0]}", "msg_type": msg_type, "session": "s", "version": "5.3"},
        {"msg_id": "parent"}, {}, content)]
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for p in parts:
        mac.update(p)
    frames = [b"<IDS|MSG>", mac.hexdigest().encode()] + parts
    return b"".join(short_frame(f, more=i < len(frames) - 1) for i, f in enumerate(frames))


def run(data, chunk):
    stream = IopubStream(KEY)
    got = []
    for i in range(0, len(data), chunk):
        got += stream.feed(data[i:i + chunk])
    assert not stream.buf, f"{len(stream.buf)} bytes left over"
    return got, stream.repairs


def contents(msgs):
    return sorted(json.dumps(m["content"], sort_keys=True) for m in msgs)


def main():
    streams = 0
    big = message("display_data", {"data": {"text/plain": "x" * 300}})
    idle = message("status", {"execution_state": "idle"})
    busy = message("status", {"execution_state": "busy"})
    want = contents([{"content": {"data": {"text/plain": "x" * 300}}},
                     {"content": {"execution_state": "idle"}}])
    # Plain messages, in any chunking.
    for chunk in (1, 7, 4096):
        got, repairs = run(big + idle, chunk)
        assert contents(got) == want and repairs == 0, (chunk, got)
        streams += 1
    # `idle` written into `big` at every position.
    for k in range(1, len(big)):
        for chunk in (1, 13, 100000):
            got, repairs = run(big[:k] + idle + big[k:], chunk)
            assert contents(got) == want, (k, chunk, [m["msg_type"] for m in got])
            assert repairs == 1, (k, chunk, repairs)
            streams += 1
    # Two messages written into a large one, then one more after it.
    large = message("display_data", {"data": {"text/plain": "y" * 300000}})
    rng = random.Random(1)
    for _ in range(20):
        k1, k2 = sorted(rng.sample(range(1, len(large)), 2))
        data = large[:k1] + idle + large[k1:k2] + busy + large[k2:] + idle
        for chunk in (65536, 1000003):
            got, repairs = run(data, chunk)
            assert [m["msg_type"] for m in got].count("display_data") == 1
            assert len(got) == 4 and repairs == 2, (k1, k2, chunk, len(got), repairs)
            streams += 1
    # A message signed with another key: not ours to repair.
    for data in (message("status", {"execution_state": "idle"}, key=b"other"),
                 big[:50] + message("status", {}, key=b"other") + big[50:]):
        try:
            run(data, 4096)
        except IopubCorrupted as e:
            assert "holds no correctly signed message" in str(e), e
        else:
            raise AssertionError("a wrongly signed message was accepted")
        streams += 1
    print(f"ok: {streams} streams")


if __name__ == "__main__":
    main()
