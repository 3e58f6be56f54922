#!/usr/bin/python3
"""Measures output loss: stock `jupyter nbconvert --execute` vs lib/book/execute.py.

Runs both N times (default 10) over lib/book/testdata/many_outputs.ipynb (40 small cells, each
printing or displaying) in the Deno kernel and prints, per run, how many expected outputs are
missing. Usage: /usr/bin/python3 tools/compare_executors.py [N]
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NB = os.path.join(ROOT, "lib/book/testdata/many_outputs.ipynb")
ENV = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")


def missing(path):
    with open(path) as f:
        nb = json.load(f)
    lost = []
    for i, cell in enumerate(nb["cells"], 1):
        text = ""
        for o in cell.get("outputs", []):
            if o["output_type"] == "stream":
                text += "".join(o["text"]) if isinstance(o["text"], list) else o["text"]
            elif "data" in o:
                text += str(o["data"].get("text/plain", ""))
        want = [f"out {i}a", f"err {i}", f"out {i}b"] if i % 4 == 3 else [f"out {i}"]
        lost += [f"cell {i}: {w}" for w in want if w not in text]
    return lost


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    tmp = tempfile.mkdtemp()
    runners = {
        "nbconvert": lambda out: ["/usr/bin/jupyter", "nbconvert", "--to", "notebook", "--execute",
                                  "--ExecutePreprocessor.kernel_name=deno", "--output", out, NB],
        "execute.py": lambda out: ["/usr/bin/python3", os.path.join(ROOT, "lib/book/execute.py"),
                                   NB, "-o", out],
    }
    for name, cmd in runners.items():
        runs_losing = 0
        total = 0
        for k in range(n):
            out = os.path.join(tmp, f"{name}-{k}.ipynb")
            subprocess.run(cmd(out), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            lost = missing(out) if os.path.exists(out) else ["(no output notebook)"]
            runs_losing += bool(lost)
            total += len(lost)
            print(f"{name} run {k + 1}: {len(lost)} missing {lost[:3]}", flush=True)
        print(f"== {name}: {runs_losing}/{n} runs lost output, {total} outputs missing in all")


if __name__ == "__main__":
    main()
