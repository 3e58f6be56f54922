"""Train an exported book model (a Keras 3 `.keras` file) on a published book dataset, data-parallel
with `tf.distribute`: the step the book's chapter 4 points to when one CPU is not enough.

    python tools/train_distributed.py --model runs/chapter4/export/xception.keras \\
        --dataset data/datasets/clothing10-v1 --epochs 30 --batch-size 32

- `--strategy mirrored` (default): `tf.distribute.MirroredStrategy`, one replica per visible GPU
  on this machine (one CPU replica where there is none). Each step splits the global batch
  (`--batch-size` × replicas) across the replicas, each computes its gradients, and an all-reduce
  sums them before every replica applies the same update.
- `--strategy multiworker`: `tf.distribute.MultiWorkerMirroredStrategy`, the same across machines;
  each worker runs this script with a `TF_CONFIG` environment variable naming the cluster and its
  own index (see the chapter), and the dataset is sharded between the workers.

The dataset is the folder `deno task dataset` publishes (`manifest.csv`: file, label, split);
classes are the sorted labels, as in `lib/dataset`'s loader, so class indices match the tfjs
model's. Images are scaled to [0, 1] like the book's tensors; training batches are flipped
left-right at random. Ends with one JSON line: test accuracy, epochs, seconds, replicas.
"""

import argparse
import csv
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import tensorflow as tf  # noqa: E402

import keras  # noqa: E402


def read_manifest(dataset_dir):
    """{split: (paths, labels)} and the sorted class names, from the dataset's manifest.csv."""
    path = os.path.join(dataset_dir, "manifest.csv")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        sys.exit(f"train_distributed: {path}: {e}")
    if not rows or not {"file", "label", "split"} <= set(rows[0]):
        sys.exit(f"train_distributed: {path}: needs the columns file, label, split")
    classes = sorted({r["label"] for r in rows})
    splits = {}
    for name in ("train", "val", "test"):
        part = [r for r in rows if r["split"] == name]
        splits[name] = ([os.path.join(dataset_dir, r["file"]) for r in part],
                        [classes.index(r["label"]) for r in part])
    return splits, classes


def make_dataset(paths, labels, num_classes, batch_size, train, seed, limit=None):
    if limit:
        paths, labels = paths[:limit], labels[:limit]

    def load(path, label):
        image = tf.io.decode_png(tf.io.read_file(path), channels=3)
        image = tf.cast(image, tf.float32) / 255.0
        return image, tf.one_hot(label, num_classes)

    ds = tf.data.Dataset.from_tensor_slices((paths, labels))
    if train:
        ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    if train:
        ds = ds.map(lambda x, y: (tf.image.random_flip_left_right(x, seed=seed), y),
                    num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", required=True, help="the .keras file (tools/tfjs_to_keras.py)")
    p.add_argument("--dataset", required=True, help="a published dataset folder")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=32, help="per replica")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam's rate for one replica's batch")
    p.add_argument("--strategy", choices=["mirrored", "multiworker"], default="mirrored")
    p.add_argument("--limit", type=int, help="use only the first N images of each split (tests)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", help="where to save the trained model (.keras)")
    a = p.parse_args(argv)

    keras.utils.set_random_seed(a.seed)
    if a.strategy == "multiworker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    else:
        strategy = tf.distribute.MirroredStrategy()
    replicas = strategy.num_replicas_in_sync
    global_batch = a.batch_size * replicas
    splits, classes = read_manifest(a.dataset)
    data = {
        name: make_dataset(*splits[name], len(classes), global_batch, name == "train", a.seed, a.limit)
        for name in splits
    }

    with strategy.scope():
        # Variables made inside the scope are mirrored: one copy per replica, kept equal.
        model = keras.models.load_model(a.model, compile=False)
        if model.output_shape[-1] != len(classes):
            sys.exit(f"train_distributed: {a.model} has {model.output_shape[-1]} outputs, "
                     f"{a.dataset} has {len(classes)} classes")
        # The book's models return logits; a model that ends in a softmax returns probabilities.
        from_logits = model.layers[-1].get_config().get("activation") != "softmax"
        model.compile(
            # The global batch is `replicas` times larger: scale the rate with it (linear rule).
            optimizer=keras.optimizers.Adam(a.lr * replicas),
            loss=keras.losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=0.1),
            metrics=["accuracy"],
        )
    start = time.time()
    history = model.fit(data["train"], validation_data=data["val"], epochs=a.epochs, verbose=2)
    seconds = time.time() - start
    test_loss, test_acc = model.evaluate(data["test"], verbose=0)
    if a.out:
        model.save(a.out)
    print(json.dumps({
        "strategy": a.strategy,
        "replicas": replicas,
        "devices": [d.name for d in tf.config.list_logical_devices() if d.device_type in ("CPU", "GPU")],
        "epochs": len(history.history["loss"]),
        "train_seconds": round(seconds, 1),
        "val_accuracy": float(history.history["val_accuracy"][-1]),
        "test_accuracy": float(test_acc),
        "test_loss": float(test_loss),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
