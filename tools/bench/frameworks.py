"""PyTorch and Keras sides of `deno task bench:compare` (tools/bench/compare.ts).

Run as `python frameworks.py torch|keras`: reads one JSON request per line on stdin and answers one
JSON line on stdout, so the Deno orchestrator can interleave frameworks round by round.

Requests: {"workload": name, "threads": n, "steps": k, "warmup": w}
          -> {"ms": [k wall-clock step times], "cpu": [k process CPU times, all threads]}
          or {"error": "..."} when this framework has no such workload.

The models mirror tools/bench/workloads.ts layer for layer (same sizes, batch, optimizer, loss); the
data are random, since only time is measured.
"""

import json
import sys
import time

import numpy as np

FRAMEWORK = sys.argv[1]
rng = np.random.default_rng(1)

if FRAMEWORK == "keras":
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import tensorflow as tf
    import keras
    from keras import layers as L
elif FRAMEWORK == "torch":
    import torch
    import torch.nn as nn
else:
    raise SystemExit(f"frameworks.py: unknown framework {FRAMEWORK!r} (torch or keras)")


def data(shape, classes):
    x = rng.random(shape, dtype=np.float32)
    y = (np.arange(shape[0]) % classes).astype(np.int64)
    return x, y


# ---------------------------------------------------------------- PyTorch


def torch_step(model, x, y):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def torch_sep(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False),
        nn.Conv2d(cin, cout, 1, bias=False),
    )


def torch_xception():
    class TorchXceptionBlock(nn.Module):
        """Entry conv, then two Xception residual blocks (separable convs + BN + strided shortcut)."""

        def __init__(self):
            super().__init__()
            self.entry = nn.Sequential(
                nn.Conv2d(3, 32, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
                nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
            )
            self.blocks = nn.ModuleList()
            self.shortcuts = nn.ModuleList()
            cin = 64
            for cout in (128, 256):
                self.blocks.append(nn.Sequential(
                    torch_sep(cin, cout), nn.BatchNorm2d(cout), nn.ReLU(),
                    torch_sep(cout, cout), nn.BatchNorm2d(cout),
                    nn.MaxPool2d(3, stride=2, padding=1),
                ))
                self.shortcuts.append(nn.Sequential(
                    nn.Conv2d(cin, cout, 1, stride=2, bias=False), nn.BatchNorm2d(cout)))
                cin = cout
            self.head = nn.Linear(cin, 10)

        def forward(self, x):
            h = self.entry(x)
            for block, short in zip(self.blocks, self.shortcuts):
                h = torch.relu(block(h) + short(h))
            return self.head(h.mean(dim=(2, 3)))

    return TorchXceptionBlock()


def torch_workload(name):
    if name == "matmul512":
        a = torch.from_numpy(rng.random((512, 512), dtype=np.float32))
        b = torch.from_numpy(rng.random((512, 512), dtype=np.float32))
        return lambda: torch.mm(a, b)
    if name == "mlp":
        m = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
        return torch_step(m, *data((128, 784), 10))
    if name == "cnn1":
        m = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(128, 10))
        return torch_step(m, *data((64, 1, 28, 28), 10))
    if name == "cnn2":
        mods, cin = [], 3
        for i, f in enumerate((16, 32, 64, 128, 256)):
            mods += [nn.Conv2d(cin, f, 3, padding=1), nn.ReLU()]
            mods += [nn.MaxPool2d(2)] if i < 4 else [nn.AdaptiveMaxPool2d(1), nn.Flatten()]
            cin = f
        mods += [nn.Dropout(0.3), nn.Linear(256, 5)]
        return torch_step(nn.Sequential(*mods), *data((32, 3, 64, 64), 5))
    if name == "cnn3d":
        m = nn.Sequential(
            nn.Conv3d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
            nn.Conv3d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool3d(2),
            nn.Flatten(), nn.Linear(16 * 8 * 8 * 8, 4))
        return torch_step(m, *data((8, 1, 32, 32, 32), 4))
    if name == "xception":
        return torch_step(torch_xception(), *data((16, 3, 64, 64), 10))
    return None


# ---------------------------------------------------------------- Keras


def keras_step(model, x, y):
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return lambda: model.train_on_batch(x, y)


def keras_xception():
    inp = keras.Input((64, 64, 3))
    h = L.Conv2D(32, 3, strides=2, padding="same", use_bias=False)(inp)
    h = L.ReLU()(L.BatchNormalization()(h))
    h = L.Conv2D(64, 3, padding="same", use_bias=False)(h)
    h = L.ReLU()(L.BatchNormalization()(h))
    for f in (128, 256):
        r = L.BatchNormalization()(L.Conv2D(f, 1, strides=2, use_bias=False)(h))
        b = L.SeparableConv2D(f, 3, padding="same", use_bias=False)(h)
        b = L.ReLU()(L.BatchNormalization()(b))
        b = L.BatchNormalization()(L.SeparableConv2D(f, 3, padding="same", use_bias=False)(b))
        b = L.MaxPooling2D(3, strides=2, padding="same")(b)
        h = L.ReLU()(L.Add()([b, r]))
    out = L.Dense(10)(L.GlobalAveragePooling2D()(h))
    return keras.Model(inp, out)


def keras_workload(name):
    if name == "matmul512":
        a = tf.constant(rng.random((512, 512), dtype=np.float32))
        b = tf.constant(rng.random((512, 512), dtype=np.float32))
        return lambda: tf.linalg.matmul(a, b).numpy()
    if name == "mlp":
        m = keras.Sequential([keras.Input((784,)), L.Dense(256, activation="relu"),
                              L.Dense(128, activation="relu"), L.Dense(10)])
        return keras_step(m, *data((128, 784), 10))
    if name == "cnn1":
        m = keras.Sequential([
            keras.Input((28, 28, 1)),
            L.Conv2D(16, 3, padding="same"), L.BatchNormalization(), L.ReLU(), L.MaxPooling2D(2),
            L.Conv2D(32, 3, padding="same"), L.BatchNormalization(), L.ReLU(), L.MaxPooling2D(2),
            L.Flatten(), L.Dense(128, activation="relu"), L.Dropout(0.3), L.Dense(10)])
        return keras_step(m, *data((64, 28, 28, 1), 10))
    if name == "cnn2":
        ls = [keras.Input((64, 64, 3))]
        for i, f in enumerate((16, 32, 64, 128, 256)):
            ls += [L.Conv2D(f, 3, padding="same", activation="relu")]
            ls += [L.MaxPooling2D(2)] if i < 4 else [L.GlobalMaxPooling2D()]
        ls += [L.Dropout(0.3), L.Dense(5)]
        return keras_step(keras.Sequential(ls), *data((32, 64, 64, 3), 5))
    if name == "cnn3d":
        m = keras.Sequential([
            keras.Input((32, 32, 32, 1)),
            L.Conv3D(8, 3, padding="same", activation="relu"), L.MaxPooling3D(2),
            L.Conv3D(16, 3, padding="same", activation="relu"), L.MaxPooling3D(2),
            L.Flatten(), L.Dense(4)])
        return keras_step(m, *data((8, 32, 32, 32, 1), 4))
    if name == "xception":
        return keras_step(keras_xception(), *data((16, 64, 64, 3), 10))
    return None


def main():
    cache = {}
    version = torch.__version__ if FRAMEWORK == "torch" else f"{keras.__version__} (TF {tf.__version__})"
    print(json.dumps({"ready": FRAMEWORK, "version": version}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        name, threads = req["workload"], int(req.get("threads", 0))
        try:
            if FRAMEWORK == "torch" and threads > 0:
                torch.set_num_threads(threads)
            if name not in cache:
                cache[name] = torch_workload(name) if FRAMEWORK == "torch" else keras_workload(name)
            step = cache[name]
            if step is None:
                print(json.dumps({"error": f"no workload {name}"}), flush=True)
                continue
            for _ in range(int(req.get("warmup", 0))):
                step()
            ms, cpu = [], []
            for _ in range(int(req["steps"])):
                c0, t0 = time.process_time(), time.perf_counter()
                step()
                ms.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            print(json.dumps({"ms": ms, "cpu": cpu}), flush=True)
        except Exception as e:  # report, keep serving the other workloads
            print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)


main()
