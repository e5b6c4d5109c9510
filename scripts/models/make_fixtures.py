"""Writes the test fixtures: real photographs (and awkward variants of them) and
small TorchScript models with seeded random weights, in every metadata flavour
the library reads, plus broken model files.

    python scripts/models/make_fixtures.py --out test/.fixtures [--onnx] [--all]

  --onnx  also resnet18.onnx and mobilenet_v3_small.onnx (benchmark peer)
  --all   also resnet50 and efficientnet_b0 (GPU benchmarks; slow on 2 cores)

Idempotent: each product is rebuilt only when one of its files is missing or
the hash of these scripts (recorded in DIR/.stamp.json) has changed."""
import argparse
import functools
import hashlib
import json
import os
import sys
import time
import warnings

import cv2
import numpy as np
import torch

import archs
from photos import IMAGENET_MEAN, IMAGENET_STD, bundled_photos

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = ["make_fixtures.py", "archs.py", "photos.py"]
HALF = [0.5, 0.5, 0.5]


def scripts_hash():
    h = hashlib.sha256(torch.__version__.encode())
    for name in SOURCES:
        with open(os.path.join(HERE, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def metadata(width, height, resize="stretch", pad="black", mean=HALF, std=HALF, channel_order="rgb",
             task="single-label", output="logits", class_names=None, **extra):
    meta = {"task": task, "input": {"width": width, "height": height}, "resize": resize, "pad": pad,
            "mean": mean, "std": std, "channel_order": channel_order, "output": output, **extra}
    if class_names is not None:
        meta["class_names"] = class_names
    return meta


def seeded_for(model, seed, meta, **options):
    """seeded() calibrated on inputs shaped as `meta` says."""
    size = meta["input"]
    return archs.seeded(model, seed, size["width"], size["height"], meta["mean"], meta["std"],
                        meta["channel_order"], **options)


def save(model, path, meta=None):
    """TorchScript (scripted, eval) with `meta` as the extra file metadata.json (none if None)."""
    extra = {"metadata.json": json.dumps(meta)} if meta is not None else {}
    torch.jit.save(torch.jit.script(model.eval()), path, _extra_files=extra)


# ------------------------------------------------------------- photos

def write_png(path, rgb):
    """RGB(A)/gray uint8 array -> PNG via OpenCV (which wants BGR(A))."""
    if rgb.ndim == 3:
        rgb = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR if rgb.shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    if not cv2.imwrite(path, rgb):
        raise RuntimeError(f"cannot write {path}")


def make_photos(out):
    p = bundled_photos()
    yy, xx = np.mgrid[0:256, 0:256]
    alpha = np.clip(255 - np.hypot(yy - 128, xx - 128) * 2, 0, 255).astype(np.uint8)  # opaque centre, clear corners
    images = dict(p)  # the six photographs, astronaut first
    images.update({
        "crop-333x217": p["astronaut"][150:367, 100:433],
        "crop-97x251": p["coffee"][60:311, 250:347],
        "tiny-3x5": cv2.resize(p["chelsea"], (3, 5), interpolation=cv2.INTER_AREA),
        "gray": cv2.cvtColor(p["rocket"], cv2.COLOR_RGB2GRAY),
        "rgba": np.dstack([cv2.resize(p["astronaut"], (256, 256), interpolation=cv2.INTER_AREA), alpha]),
        "wide-640x61": p["china"][180:241],
        "tall-45x420": p["flower"][0:420, 300:345],
    })
    manifest = []
    for name, img in images.items():
        img = np.ascontiguousarray(img)
        write_png(os.path.join(out, f"{name}.png"), img)
        manifest.append({"file": f"{name}.png", "width": img.shape[1], "height": img.shape[0],
                         "channels": 1 if img.ndim == 2 else img.shape[2]})
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


# ------------------------------------------------------------- models

IMAGENET = dict(mean=IMAGENET_MEAN, std=IMAGENET_STD)
# MobileNetV3/EfficientNet (hard-swish/SiLU, squeeze-excitation, few residuals) grow
# some photos' activations layer after layer when random; BatchNorm scales of 0.15 and
# shifts of 0.5 keep their activations in the near-linear range (see archs.seeded).
NEAR_LINEAR = dict(logit_std=1.2, norm_gain=0.15, norm_shift=0.5)
# name -> (constructor, seed, metadata, seeded() options): 1000 classes, no class names.
# Seeds picked so that on every fixture photo the top class is stable and confidences
# move < 1e-3 when preprocessing differs by rounding (float vs uint8 bilinear).
BIG = {
    "resnet18": (archs.resnet18, 5, metadata(224, 224, "letterbox", "grey", **IMAGENET), {}),
    "mobilenet_v3_small": (archs.mobilenet_v3_small, 3, metadata(224, 224, "center-crop", **IMAGENET), NEAR_LINEAR),
    "resnet50": (archs.resnet50, 50, metadata(224, 224, "stretch", **IMAGENET), {}),
    "efficientnet_b0": (archs.efficientnet_b0, 0, metadata(224, 224, "center-crop", **IMAGENET), NEAR_LINEAR),
}


@functools.lru_cache(maxsize=None)
def big_model(name):
    build, seed, meta, options = BIG[name]
    return seeded_for(build(), seed, meta, **options), meta


def make_big(out, name):
    model, meta = big_model(name)
    save(model, os.path.join(out, f"{name}.torchscript"),
         {"name": name, "description": f"{name}, seeded random weights (test fixture)", **meta})


def make_onnx(out, name):
    model, meta = big_model(name)
    x = torch.zeros(1, 3, meta["input"]["height"], meta["input"]["width"])
    with warnings.catch_warnings():  # the legacy (TorchScript-based) exporter is wanted here
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (x,), os.path.join(out, f"{name}.onnx"), dynamo=False, opset_version=17,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    embed_metadata(os.path.join(out, f"{name}.onnx"), {"name": name, "description": f"{name}, seeded random weights (test fixture)", **meta})


def embed_metadata(path, meta):
    """The model's metadata as ONNX metadata_props["metadata.json"] (read by edge-classify's TensorRT path)."""
    import onnx
    model = onnx.load(path)
    for entry in list(model.metadata_props):
        if entry.key == "metadata.json":
            model.metadata_props.remove(entry)
    entry = model.metadata_props.add()
    entry.key = "metadata.json"
    entry.value = json.dumps(meta)
    onnx.save(model, path)


def tiny(num_classes, seed, meta, softmax=False):
    return seeded_for(archs.TinyNet(num_classes, softmax=softmax), seed, meta)


def make_small(out):
    """The small single-file fixtures."""
    # 100 classes: with few classes a tiny random net's confidences are too near 0.5 to
    # stay within 1e-3 when preprocessing rounds differently.
    meta = metadata(160, 112, "letterbox", "white", channel_order="bgr", **IMAGENET,
                    class_names=[f"class-{i:02d}" for i in range(100)], name="bgr")
    save(tiny(100, 0, meta), os.path.join(out, "bgr.torchscript"), meta)

    meta = metadata(64, 64, task="multi-label", class_names=["person", "animal", "vehicle", "food", "plant"],
                    name="multilabel")
    save(tiny(5, 2, meta), os.path.join(out, "multilabel.torchscript"), meta)

    meta = metadata(64, 64, output="probabilities", class_names=["north", "east", "south", "west"], name="probabilities")
    save(tiny(4, 3, meta, softmax=True), os.path.join(out, "probabilities.torchscript"), meta)

    # No extra file: metadata in a sidecar JSON. Global pooling: any input size works.
    meta = metadata(64, 64, class_names=["red", "green", "blue"], name="sidecar")
    save(tiny(3, 4, meta), os.path.join(out, "sidecar.torchscript"))
    with open(os.path.join(out, "sidecar.torchscript.json"), "w") as f:
        json.dump(meta, f, indent=1)

    meta = metadata(32, 32, class_names=["a", "b", "c"], name="mismatch")  # the model outputs 4
    save(tiny(4, 5, meta), os.path.join(out, "mismatch.torchscript"), meta)

    with open(os.path.join(out, "not-a-model.torchscript"), "wb") as f:
        f.write(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    open(os.path.join(out, "empty.torchscript"), "wb").close()
    with open(os.path.join(out, "mismatch.torchscript"), "rb") as f:
        whole = f.read()
    with open(os.path.join(out, "corrupt.torchscript"), "wb") as f:
        f.write(whole[: len(whole) // 2])


def make_roboflow(out):
    """A Roboflow-style package: weights without metadata, environment.json, class_names.txt."""
    folder = os.path.join(out, "roboflow")
    os.makedirs(folder, exist_ok=True)
    names = ["cat", "dog", "bird"]
    meta = metadata(96, 96, "letterbox", "white")
    save(tiny(3, 6, meta), os.path.join(folder, "weights.torchscript"))
    preprocessing = {"auto-orient": {"enabled": True},
                     "resize": {"format": "Fit (white edges) in", "width": 96, "height": 96, "enabled": True}}
    env = {"CLASS_MAP": {str(i): n for i, n in enumerate(names)},
           "PREPROCESSING": json.dumps(preprocessing),  # Roboflow stores it as a JSON string
           "MULTICLASS": False,
           "COLORS": {n: c for n, c in zip(names, ["#C7FC00", "#8622FF", "#FE0056"])}}
    with open(os.path.join(folder, "environment.json"), "w") as f:
        json.dump(env, f, indent=1)
    with open(os.path.join(folder, "class_names.txt"), "w") as f:
        f.write("\n".join(names) + "\n")


# ------------------------------------------------------------- driver

def products(args):
    """name -> (files relative to DIR, builder(DIR))."""
    p = {"photos": (["photos/manifest.json"], lambda d: make_photos(os.path.join(d, "photos")))}
    big = ["resnet18", "mobilenet_v3_small"] + (["resnet50", "efficientnet_b0"] if args.all else [])
    for name in big:
        p[name] = ([f"models/{name}.torchscript"], lambda d, n=name: make_big(os.path.join(d, "models"), n))
    if args.onnx:
        for name in ("resnet18", "mobilenet_v3_small"):
            p[f"{name}.onnx"] = ([f"models/{name}.onnx"], lambda d, n=name: make_onnx(os.path.join(d, "models"), n))
    small = ["bgr", "multilabel", "probabilities", "sidecar", "mismatch", "not-a-model", "empty", "corrupt"]
    p["small"] = ([f"models/{n}.torchscript" for n in small] + ["models/sidecar.torchscript.json"],
                  lambda d: make_small(os.path.join(d, "models")))
    p["roboflow"] = ([f"models/roboflow/{n}" for n in ("weights.torchscript", "environment.json", "class_names.txt")],
                     lambda d: make_roboflow(os.path.join(d, "models")))
    return p


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="fixture folder (the tests use test/.fixtures)")
    parser.add_argument("--onnx", action="store_true", help="also export resnet18 and mobilenet_v3_small to ONNX")
    parser.add_argument("--all", action="store_true", help="also resnet50 and efficientnet_b0")
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    for sub in ("photos", "models"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    stamp_file = os.path.join(out, ".stamp.json")
    stamp = {}
    if os.path.exists(stamp_file):
        with open(stamp_file) as f:
            stamp = json.load(f)
    digest = scripts_hash()
    started = time.perf_counter()
    for name, (files, build) in products(args).items():
        if stamp.get(name) == digest and all(os.path.exists(os.path.join(out, f)) for f in files):
            continue
        t = time.perf_counter()
        build(out)
        stamp[name] = digest
        with open(stamp_file, "w") as f:  # after each product, so an interrupted run keeps what it did
            json.dump(stamp, f, indent=1)
        print(f"make_fixtures: {name} ({time.perf_counter() - t:.1f} s)", file=sys.stderr)
    print(f"make_fixtures: {out} up to date ({time.perf_counter() - started:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
