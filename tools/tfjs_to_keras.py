"""Export a saved TensorFlow.js Layers model (model.json + weights) to a Keras 3 `.keras` file.

The `modelTopology` inside a tfjs `model.json` is Keras JSON as Keras 2 wrote it: a list of layers,
each with its class name, its config (snake_case keys) and the layers it is called on
(`inbound_nodes`). Keras 3 no longer reads that legacy form directly, so this tool rebuilds the
graph: each layer is constructed from its class and config, called on its inbound tensors in file
order, and the model's weights (named `<layer>/<weight>` in the tfjs weights manifest) are set
layer by layer. The result is saved with `model.save(path)`, which any Keras 3 installation loads
with `keras.models.load_model` — on a laptop, on a GPU, or under a `tf.distribute` strategy.

Usage (the venv that `.ci/run` makes: `data/cache/keras-venv`):

    python tools/tfjs_to_keras.py runs/chapter4/xception/model out/xception.keras
    python tools/tfjs_to_keras.py MODEL_DIR OUT.keras --check-input x.npy --check-output y.npy

`--check-input` loads a float32 batch (.npy), predicts it with the exported model and writes the
predictions to `--check-output`, so that a caller can compare them with tfjs's.

Supported layers: those of the book's models (`lib/models`): InputLayer, Conv2D, SeparableConv2D,
DepthwiseConv2D, BatchNormalization, Activation, ReLU, MaxPooling2D, AveragePooling2D,
GlobalAveragePooling2D, GlobalMaxPooling2D, ZeroPadding2D, Dropout, Dense, Flatten, Add,
Concatenate, and the book's SeededDropout (`lib/tfjs/seeded_dropout.ts`), which becomes Keras'
seeded Dropout (both are the identity at inference). Anything else stops the export with the
layer's name and class. The graph is exported as it is: the book's models end in logits, and so
does the exported model (no softmax is added; `tools/train_distributed.py` trains it with
`from_logits=True`).
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

import keras  # noqa: E402

SUPPORTED = {
    "Conv2D",
    "SeparableConv2D",
    "DepthwiseConv2D",
    "BatchNormalization",
    "Activation",
    "ReLU",
    "MaxPooling2D",
    "AveragePooling2D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling2D",
    "ZeroPadding2D",
    "Dropout",
    "Dense",
    "Flatten",
    "Add",
    "Concatenate",
}

# Config keys tfjs writes that Keras 3's constructors do not take (or take under another name).
DROPPED_KEYS = {"trainable_weights", "batch_input_shape", "input_dtype"}


class ExportError(Exception):
    """A model.json this exporter cannot translate; the message names the layer or field."""


def _initializer(spec):
    if not isinstance(spec, dict):
        return spec
    return keras.initializers.get({"class_name": spec["class_name"], "config": spec.get("config", {})})


# The book's own layers and the Keras layer each one becomes.
RENAMED = {"SeededDropout": "Dropout"}


def layer_from_config(class_name, config):
    """Constructs one Keras 3 layer from a tfjs (Keras 2 style) class name and config."""
    class_name = RENAMED.get(class_name, class_name)
    if class_name not in SUPPORTED:
        raise ExportError(f"layer {config.get('name')!r}: class {class_name} is not supported")
    cfg = {k: v for k, v in config.items() if k not in DROPPED_KEYS}
    for key, value in list(cfg.items()):
        if key.endswith("_initializer"):
            cfg[key] = _initializer(value)
    if class_name == "ReLU" and cfg.get("max_value") is None:
        cfg.pop("max_value", None)
    cls = getattr(keras.layers, class_name)
    try:
        return cls(**cfg)
    except TypeError as e:
        raise ExportError(f"layer {config.get('name')!r} ({class_name}): {e}") from e


def read_tfjs(model_dir):
    """Reads model.json and its weight files: (topology, {weight name: array})."""
    path = os.path.join(model_dir, "model.json")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise ExportError(f"{path}: {e}") from e
    if "modelTopology" not in doc or "weightsManifest" not in doc:
        raise ExportError(f"{path}: not a tfjs Layers model (no modelTopology/weightsManifest)")
    weights = {}
    for group in doc["weightsManifest"]:
        data = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            if w.get("dtype", "float32") != "float32" or "quantization" in w:
                raise ExportError(f"{path}: weight {w['name']} is not plain float32")
            count = int(np.prod(w["shape"])) if w["shape"] else 1
            end = offset + 4 * count
            if end > len(data):
                raise ExportError(f"{path}: weight {w['name']} runs past the end of its weight files")
            weights[w["name"]] = np.frombuffer(data[offset:end], "<f4").reshape(w["shape"])
            offset = end
    return doc["modelTopology"], weights


def build_keras_model(topology, weights):
    """Rebuilds the functional graph in Keras 3 and sets every layer's weights."""
    cfg = topology.get("config", topology)
    if topology.get("class_name") not in ("Model", "Functional"):
        raise ExportError(f"only functional models are exported, not {topology.get('class_name')}")
    tensors = {}
    layers = {}
    for spec in cfg["layers"]:
        name, class_name, lcfg = spec["name"], spec["class_name"], spec["config"]
        if class_name == "InputLayer":
            shape = lcfg["batch_input_shape"][1:]
            tensors[name] = keras.Input(shape=shape, dtype=lcfg.get("dtype", "float32"), name=name)
            continue
        if len(spec["inbound_nodes"]) != 1:
            raise ExportError(f"layer {name!r}: shared layers (called more than once) are not supported")
        inbound = spec["inbound_nodes"][0]
        try:
            args = [tensors[node[0]] for node in inbound]
        except KeyError as e:
            raise ExportError(f"layer {name!r}: input {e} is not defined before it") from e
        layer = layer_from_config(class_name, lcfg)
        tensors[name] = layer(args if len(args) > 1 else args[0])
        layers[name] = layer
    inputs = [tensors[n[0]] for n in cfg["input_layers"]]
    outputs = [tensors[n[0]] for n in cfg["output_layers"]]
    model = keras.Model(
        inputs=inputs[0] if len(inputs) == 1 else inputs,
        outputs=outputs[0] if len(outputs) == 1 else outputs,
        name=cfg.get("name"),
    )
    used = set()
    for name, layer in layers.items():
        if not layer.weights:
            continue
        values = []
        for var in layer.weights:
            # Keras 3 names a variable by its role ("kernel", "gamma", "moving_mean", ...), as tfjs
            # does after the layer's name.
            key = f"{name}/{var.name.split('/')[-1].split(':')[0]}"
            if key not in weights:
                raise ExportError(f"layer {name!r}: weight {key} is missing from the weights manifest")
            if tuple(weights[key].shape) != tuple(var.shape):
                raise ExportError(f"{key}: shape {weights[key].shape} in tfjs, {var.shape} in Keras")
            values.append(weights[key])
            used.add(key)
        layer.set_weights(values)
    unused = sorted(set(weights) - used)
    if unused:
        raise ExportError(f"weights not used by any layer: {', '.join(unused[:5])}")
    return model


def export(model_dir, out_path):
    """model.json folder → `.keras` file (written whole or not at all). Returns the model."""
    topology, weights = read_tfjs(model_dir)
    model = build_keras_model(topology, weights)
    if not out_path.endswith(".keras"):
        raise ExportError(f"{out_path}: a Keras 3 model file must end in .keras")
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    tmp = out_path[: -len(".keras")] + f".partial-{os.getpid()}.keras"
    model.save(tmp)
    os.replace(tmp, out_path)
    return model


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model_dir", help="folder with the tfjs model.json and weight files")
    p.add_argument("out", help="the .keras file to write")
    p.add_argument("--check-input", help=".npy batch to predict with the exported model")
    p.add_argument("--check-output", help="where to write its predictions (.npy)")
    a = p.parse_args(argv)
    try:
        export(a.model_dir, a.out)
    except ExportError as e:
        print(f"tfjs_to_keras: {e}", file=sys.stderr)
        return 1
    loaded = keras.models.load_model(a.out)
    print(f"wrote {a.out}: {loaded.name}, {loaded.count_params()} parameters, keras {keras.__version__}")
    if a.check_input:
        x = np.load(a.check_input).astype("float32")
        y = loaded.predict(x, verbose=0)
        np.save(a.check_output or a.out + ".predictions.npy", np.asarray(y, dtype="float32"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
