"""Reference for the CLIP tests: open_clip itself (scripts/models/open_clip_shim.py imports it beside the
CPU torch), rebuilding the same seeded model the package was exported from. Reads on stdin
{"site", "arch", "seed", "tensor": f32 file of N x 3 x S x S, "n", "texts": [...]} and prints
{"image": [[...]], "text": [[...]], "logit_scale"}: L2-normalised embeddings, as open_clip computes them."""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "models"))
from open_clip_shim import build, import_open_clip  # noqa: E402

job = json.load(sys.stdin)
open_clip = import_open_clip(job["site"])
model = build(open_clip, job["arch"], job["seed"])
tokenizer = open_clip.SimpleTokenizer()
with torch.no_grad():
    size = job["size"]
    pixels = torch.from_numpy(np.fromfile(job["tensor"], dtype=np.float32).reshape(job["n"], 3, size, size))
    image = model.encode_image(pixels, normalize=True)
    text = model.encode_text(tokenizer(job["texts"]), normalize=True)
print(json.dumps({"image": image.tolist(), "text": text.tolist(), "logit_scale": float(model.logit_scale.detach().exp())}))
