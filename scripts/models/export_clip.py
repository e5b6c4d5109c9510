"""Exports an open_clip model as an edge-classify CLIP package: image and text encoders as TorchScript,
CLIP's BPE vocabulary, and clip.json (image size, mean/std, context length, logit scale). No weights
ship or download: give your own checkpoint with --weights (open_clip's create_model(arch,
pretrained=<file>)), or get seeded random weights (tests).

    python scripts/models/export_clip.py OUT_DIR [--arch ViT-B-32 | tiny] [--weights FILE] [--seed 0]
                                         [--open-clip-site DIR]
"""
import argparse
import copy
import json
import os
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from open_clip_shim import build, import_open_clip  # noqa: E402


class ImageEncoder(torch.nn.Module):
    """encode_image without normalisation: the vision tower alone."""
    def __init__(self, model):
        super().__init__()
        self.visual = model.visual

    def forward(self, x):
        return self.visual(x)


class TextEncoder(torch.nn.Module):
    """encode_text without normalisation, on a copy of the model without its vision tower."""
    def __init__(self, model):
        super().__init__()
        self.model = copy.copy(model)
        self.model.visual = torch.nn.Identity()

    def forward(self, tokens):
        return self.model.encode_text(tokens)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--arch", default="tiny")
    parser.add_argument("--weights")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--open-clip-site")
    args = parser.parse_args()
    open_clip = import_open_clip(args.open_clip_site)
    model = build(open_clip, args.arch, args.seed, args.weights)
    size = model.visual.image_size
    size = size[0] if isinstance(size, (tuple, list)) else size
    mean = list(getattr(model.visual, "image_mean", None) or open_clip.OPENAI_DATASET_MEAN)
    std = list(getattr(model.visual, "image_std", None) or open_clip.OPENAI_DATASET_STD)
    context = int(model.context_length)
    os.makedirs(args.out, exist_ok=True)
    with torch.no_grad():
        image = ImageEncoder(model).eval()
        dim = image(torch.zeros(1, 3, size, size)).shape[1]
        meta = {"name": f"clip-{args.arch}-image", "description": f"open_clip {args.arch} image encoder (embeddings, not normalised)",
                "task": "single-label", "class_names": [f"dim_{i}" for i in range(dim)], "input": {"width": size, "height": size},
                "resize": "center-crop", "mean": mean, "std": std, "output": "probabilities"}
        traced = torch.jit.trace(image, torch.rand(2, 3, size, size))
        torch.jit.save(traced, os.path.join(args.out, "image.torchscript"), _extra_files={"metadata.json": json.dumps(meta)})
        tokenizer = open_clip.get_tokenizer(args.arch) if args.arch != "tiny" else open_clip.SimpleTokenizer()
        example = tokenizer(["a photo of a cat", "a diagram"])
        traced = torch.jit.trace(TextEncoder(model).eval(), example)
        torch.jit.save(traced, os.path.join(args.out, "text.torchscript"))
    vocab = "bpe_simple_vocab_16e6.txt.gz"
    shutil.copy(os.path.join(os.path.dirname(open_clip.tokenizer.__file__), vocab), os.path.join(args.out, vocab))
    config = {"arch": args.arch, "seed": None if args.weights else args.seed, "embed_dim": int(dim), "image_size": int(size),
              "mean": mean, "std": std, "context_length": context, "logit_scale": float(model.logit_scale.detach().exp()),
              "image": "image.torchscript", "text": "text.torchscript", "vocab": vocab}
    with open(os.path.join(args.out, "clip.json"), "w") as f:
        json.dump(config, f, indent=2)
    print(args.out)


if __name__ == "__main__":
    main()
