"""Trains DigitsNet, the bundled default model, on scikit-learn's digits and
exports it with its metadata; also writes sample images of held-out digits.

    python scripts/models/train_digits.py [--epochs N] [--model PATH] [--samples DIR]

Deterministic (seeded). Augmentation makes it robust to how the library sees an
image: rendered at various sizes, shifted/scaled/rotated, brightness and contrast
changed, JPEG-compressed, then resized to 32x32 (bilinear). Held-out accuracy is
measured the library's way (64x64 render -> 32x32 bilinear -> normalise)."""
import argparse
import json
import os
import time

import cv2
import numpy as np
import torch
from torch import nn

import digits_data as dd
from archs import DigitsNet

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SEED = 1234
METADATA = {
    "name": "digits",
    "description": "Handwritten digit classifier (0-9) trained on scikit-learn's digits dataset "
                   "(8x8 scans upscaled); light digit on a dark background, 32x32 input.",
    "task": "single-label",
    "class_names": [str(i) for i in range(10)],
    "input": {"width": dd.SIZE, "height": dd.SIZE},
    "resize": "stretch",
    "pad": "black",
    "mean": [dd.MEAN] * 3,
    "std": [dd.STD] * 3,
    "channel_order": "rgb",
    "output": "logits",
}


def augment(row, rng):
    """One randomly distorted 32x32 grayscale rendering of a digit."""
    size = int(rng.choice([16, 24, 32, 48, 64, 96]))
    interpolation = cv2.INTER_LINEAR if rng.random() < 0.7 else int(rng.choice([cv2.INTER_CUBIC, cv2.INTER_AREA]))
    img = cv2.resize(dd.render8(row), (size, size), interpolation=interpolation)
    if rng.random() < 0.8:  # shift / scale / rotate about the centre
        m = cv2.getRotationMatrix2D((size / 2 - 0.5, size / 2 - 0.5), rng.uniform(-12, 12), rng.uniform(0.85, 1.12))
        m[:, 2] += rng.uniform(-0.07, 0.07, 2) * size
        img = cv2.warpAffine(img, m, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)
    if rng.random() < 0.15:
        img = cv2.GaussianBlur(img, (3, 3), rng.uniform(0.3, 1.0))
    if rng.random() < 0.6:  # contrast, brightness, gamma
        x = img.astype(np.float32) / 255
        x = x ** rng.uniform(0.7, 1.4) * rng.uniform(0.6, 1.1) + rng.uniform(-0.05, 0.12)
        img = np.clip(x * 255 + 0.5, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 96))])
        img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    return cv2.resize(img, (dd.SIZE, dd.SIZE), interpolation=cv2.INTER_LINEAR)


def inputs(grays):
    return torch.from_numpy(np.stack([dd.to_input(g) for g in grays]))


def library_way(rows, size=64, jpeg_quality=None):
    """Held-out digits as the library gets them: rendered at size x size (optionally
    through JPEG), then resized to 32x32 and normalised."""
    grays = []
    for row in rows:
        img = dd.render(row, size)
        if jpeg_quality:
            img = cv2.imdecode(cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])[1], cv2.IMREAD_GRAYSCALE)
        grays.append(img)
    return inputs(grays)


@torch.no_grad()
def predict(model, x):
    model.eval()
    return torch.cat([model(chunk) for chunk in x.split(256)])


def train(x_train, y_train, epochs, variants):
    rng = np.random.default_rng(SEED)
    torch.manual_seed(SEED)
    model = DigitsNet()
    labels = torch.from_numpy(np.repeat(y_train, variants)).long()
    steps = epochs * ((len(labels) + 127) // 128)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.2)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    for epoch in range(epochs):
        t = time.perf_counter()
        x = inputs([augment(row, rng) for row in x_train for _ in range(variants)])
        order = torch.from_numpy(rng.permutation(len(labels)))
        model.train()
        total = 0.0
        for batch in order.split(128):
            opt.zero_grad()
            loss = loss_fn(model(x[batch]), labels[batch])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(batch)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(labels):.4f} ({time.perf_counter() - t:.1f} s)")
    return model.eval()


def write_samples(model, x_test, y_test, folder):
    """64x64 PNGs of the first confidently recognised held-out digit of six classes, plus one JPEG."""
    os.makedirs(folder, exist_ok=True)
    probs = torch.softmax(predict(model, library_way(x_test)), 1)
    written = []
    for label, ext in [(0, "png"), (2, "png"), (3, "png"), (5, "png"), (7, "png"), (9, "png"), (4, "jpg")]:
        index = next(i for i in range(len(y_test)) if y_test[i] == label and probs[i, label] > 0.9)
        path = os.path.join(folder, f"digit-{label}-{index}.{ext}")
        params = [cv2.IMWRITE_JPEG_QUALITY, 90] if ext == "jpg" else []
        cv2.imwrite(path, dd.render(x_test[index], 64), params)
        written.append(os.path.relpath(path, ROOT))
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--variants", type=int, default=4, help="augmented copies of each digit per epoch")
    parser.add_argument("--model", default=os.path.join(ROOT, "models", "digits.torchscript"))
    parser.add_argument("--samples", default=os.path.join(ROOT, "samples"))
    args = parser.parse_args()
    started = time.perf_counter()
    x_train, x_test, y_train, y_test = dd.split()
    model = train(x_train, y_train, args.epochs, args.variants)

    for label, x in [("64x64 render -> 32x32 (library way)", library_way(x_test)),
                     ("64x64 render, JPEG q80 -> 32x32", library_way(x_test, jpeg_quality=80)),
                     ("32x32 render", library_way(x_test, size=32))]:
        accuracy = (predict(model, x).argmax(1).numpy() == y_test).mean()
        print(f"held-out accuracy, {label}: {accuracy * 100:.2f}% of {len(y_test)}")

    os.makedirs(os.path.dirname(args.model), exist_ok=True)
    torch.jit.save(torch.jit.script(model), args.model, _extra_files={"metadata.json": json.dumps(METADATA)})
    print(f"wrote {args.model} ({os.path.getsize(args.model) / 1024:.0f} KiB)")
    print("samples:", ", ".join(write_samples(model, x_test, y_test, args.samples)))
    print(f"done in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
