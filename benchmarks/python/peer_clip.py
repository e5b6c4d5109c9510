"""Peer of the CLIP benchmark: open_clip in Python on the same seeded model, with a typical pipeline
(PIL bicubic resize of the shortest side + center crop + numpy normalisation, encode_image, cosine
similarity against cached text embeddings, softmax, probabilities back on the host). Reads {"site",
"arch", "seed", "image", "label_counts", "min_ms", "threads", "device", "precision"} on stdin (device
"cpu" or "cuda", precision "fp32" or "fp16"); prints rows of timings."""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "models"))
from open_clip_shim import build, import_open_clip  # noqa: E402

job = json.load(sys.stdin)
torch.set_num_threads(job["threads"])
open_clip = import_open_clip(job["site"])
device = torch.device(job.get("device", "cpu"))
dtype = torch.float16 if job.get("precision") == "fp16" else torch.float32
model = build(open_clip, job["arch"], job["seed"]).to(device=device, dtype=dtype).eval()
tokenizer = open_clip.SimpleTokenizer() if job["arch"] == "tiny" else open_clip.get_tokenizer(job["arch"])
size = model.visual.image_size
size = size[0] if isinstance(size, (tuple, list)) else size
mean = np.array(getattr(model.visual, "image_mean", None) or open_clip.OPENAI_DATASET_MEAN, np.float32)
std = np.array(getattr(model.visual, "image_std", None) or open_clip.OPENAI_DATASET_STD, np.float32)
scale = float(model.logit_scale.detach().exp())


def preprocess(path):
    im = Image.open(path).convert("RGB")
    w, h = im.size
    s = size / min(w, h)
    im = im.resize((max(size, int(w * s)), max(size, int(h * s))), Image.BICUBIC)
    w, h = im.size
    left, top = (w - size) // 2, (h - size) // 2
    x = (np.asarray(im.crop((left, top, left + size, top + size)), np.float32) / 255 - mean) / std
    return torch.from_numpy(x.transpose(2, 0, 1).copy())[None].to(device=device, dtype=dtype)


rows = []
with torch.inference_mode():
    for count in job["label_counts"]:
        labels = [f"a photo of object number {i}" for i in range(count)]
        text = model.encode_text(tokenizer(labels).to(device), normalize=True)  # cached, as edge-classify caches them
        def once():
            image = model.encode_image(preprocess(job["image"]), normalize=True)
            sim = image @ text.T
            return torch.softmax(sim.float() * scale, dim=-1).cpu()
        for _ in range(3):
            once()
        samples = []
        start = time.perf_counter()
        while len(samples) < 10 or (time.perf_counter() - start) * 1000 < job["min_ms"]:
            t = time.perf_counter()
            once()
            samples.append((time.perf_counter() - t) * 1000)
        samples.sort()
        rows.append({"labels": count, "median_ms": statistics.median(samples), "p99_ms": samples[min(len(samples) - 1, int(0.99 * len(samples)))], "min_ms": samples[0], "runs": len(samples)})
print(json.dumps({"rows": rows, "torch": torch.__version__, "device": str(device), "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None}))
