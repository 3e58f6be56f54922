"""Generates the tiny, randomly initialised CLIP that chapter 3's tests run transformers.js on.

The fixture (`lib/transfer/fixtures/tiny-random-clip/`) has the layout transformers.js loads from a
local folder -- `config.json`, `tokenizer_config.json`, `preprocessor_config.json`,
`onnx/model.onnx` -- except `tokenizer.json`, which `lib/transfer/clip.ts` writes at load time from
CLIP's real merges file (the registry asset `clip/bpe_simple_vocab_16e6.txt.gz`): the real
49,408-token vocabulary is 1.7-3.6 MB of JSON (compact / indented) that the asset registry already
provides, so the repo keeps only the model (~2 MB). `tokenizer_reference.json` holds the ids Hugging
Face's own (Rust) CLIP tokenizer gives for a few texts and the SHA-256 of its tokenizer.json
(canonical JSON), so the test can compare the tokenizer.json we generate against an independent
implementation.

The model is CLIP's architecture (ViT-B/32's image pipeline: 224 px, 32 px patches, CLIP's
normalisation) with tiny widths (text 8, vision 16, projection 16; 2 layers each), weights drawn
with `torch.manual_seed(0)`: its outputs are random and mean nothing -- it exists so tests can run
the real pipeline (tokenizer ids, shapes, zero-shot argmax) offline.

A tool around the book (never imported by it). Needs Python 3.11 with torch, transformers and
optimum-onnx (see requirements.txt; torch is not needed by CI). Run from the repository root:

    python tools/chapter3/tiny_clip/make_tiny_clip.py [--merges PATH] [--out DIR]

`--merges` defaults to `../shared/mirror/clip/bpe_simple_vocab_16e6.txt.gz` (checked by SHA-256).
"""

import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MERGES_SHA256 = "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"
# Texts whose ids tokenizer_reference.json records (Hugging Face's CLIPTokenizerFast).
REFERENCE_TEXTS = [
    "a photo of a cat",
    "a photo of a t-shirt.",
    "  Hello,\n  WORLD! ",
    "a blurry photo of the pants",
    "2021 shoes & dresses",
    "naïve café, über-cool",
    "don't it's we'll",
]
SEED = 0
# transformers must not import TensorFlow (a venv may have it): torch only.
os.environ.setdefault("USE_TF", "0")
os.environ.setdefault("USE_TORCH", "1")


def build_tokenizer(merges_file: Path, folder: Path):
    """CLIPTokenizerFast over the real merges: vocab = 256 bytes, the same + </w>, merges, 2 specials."""
    from transformers import CLIPTokenizerFast
    from transformers.models.clip.tokenization_clip import bytes_to_unicode

    data = merges_file.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != MERGES_SHA256:
        sys.exit(f"{merges_file}: SHA-256 {digest}, expected {MERGES_SHA256}")
    lines = gzip.decompress(data).decode("utf-8").split("\n")[1 : 49152 - 256 - 2 + 1]
    merges = [tuple(line.split()) for line in lines]
    byte_chars = list(bytes_to_unicode().values())
    vocab = byte_chars + [c + "</w>" for c in byte_chars] + ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocab) == 49408
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}))
    (folder / "merges.txt").write_text(
        "#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n"
    )
    return CLIPTokenizerFast(
        str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77
    )


def build_model():
    import torch
    from transformers import CLIPConfig, CLIPModel

    config = CLIPConfig(
        text_config=dict(
            vocab_size=49408,
            hidden_size=8,
            intermediate_size=16,
            num_hidden_layers=2,
            num_attention_heads=2,
            max_position_embeddings=77,
            bos_token_id=49406,
            eos_token_id=49407,
            pad_token_id=49407,
            projection_dim=16,
        ),
        vision_config=dict(
            image_size=224,
            patch_size=32,
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            projection_dim=16,
        ),
        projection_dim=16,
    )
    torch.manual_seed(SEED)
    return CLIPModel(config).eval()


def main() -> None:
    root = Path(__file__).resolve().parents[3]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--merges", type=Path, default=root.parent / "shared/mirror/clip/bpe_simple_vocab_16e6.txt.gz"
    )
    parser.add_argument(
        "--out", type=Path, default=root / "lib/transfer/fixtures/tiny-random-clip"
    )
    args = parser.parse_args()

    from transformers import CLIPImageProcessor

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tokenizer = build_tokenizer(args.merges, work)
        model = build_model()
        saved = work / "torch"
        model.save_pretrained(saved)
        tokenizer.save_pretrained(saved)
        CLIPImageProcessor().save_pretrained(saved)  # CLIP's defaults: 224 px, its mean/std
        exported = work / "onnx"
        subprocess.run(
            [
                sys.executable, "-m", "optimum.exporters.onnx",
                "--model", str(saved),
                "--task", "zero-shot-image-classification",
                "--opset", "18",
                str(exported),
            ],
            check=True,
        )
        out = args.out
        if out.exists():
            shutil.rmtree(out)
        (out / "onnx").mkdir(parents=True)
        shutil.copy(exported / "model.onnx", out / "onnx/model.onnx")
        for name in ["config.json", "tokenizer_config.json", "preprocessor_config.json"]:
            shutil.copy(exported / name, out / name)
        # The tokenizer.json Hugging Face writes, canonicalised (keys sorted, compact, UTF-8), so
        # the test can check that ours (ClipTokenizer.huggingFaceJson) is the same document.
        hf_json = json.loads((saved / "tokenizer.json").read_text(encoding="utf-8"))
        canonical = json.dumps(hf_json, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        rows = ",\n".join(
            f"    {json.dumps(t, ensure_ascii=False)}: {json.dumps(tokenizer(t)['input_ids'])}"
            for t in REFERENCE_TEXTS
        )
        name = "transformers.CLIPTokenizerFast over clip/bpe_simple_vocab_16e6.txt.gz"
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        (out / "tokenizer_reference.json").write_text(
            f'{{\n  "tokenizer": {json.dumps(name)},\n'
            f'  "tokenizer_json_canonical_sha256": "{digest}",\n'
            f'  "ids": {{\n{rows}\n  }}\n}}\n',
            encoding="utf-8",
        )
        with open(out / "SHA256SUMS", "w") as sums:
            for f in sorted(p for p in out.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
                digest = hashlib.sha256(f.read_bytes()).hexdigest()
                sums.write(f"{digest}  {f.relative_to(out).as_posix()}\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
