"""PyTorch-in-Python peer for benchmarks/cpu.ts: the same TorchScript models,
OpenCV preprocessing (the usual Python pipeline), timed the same way.

Reads a JSON job on stdin: {"models": {name: {"path", "width", "height", "resize", "mean", "std"}},
"batches": [...], "jpeg": path, "min_ms": ..., "threads": N}; prints JSON rows."""
import json
import sys
import time

import cv2
import numpy as np
import torch


def stats(samples):
    s = sorted(samples)
    return {"runs": len(s), "medianMs": s[len(s) // 2], "p99Ms": s[min(len(s) - 1, int(0.99 * len(s)))], "minMs": s[0]}


def timeit(fn, min_ms, warmup=3, min_runs=20, max_runs=2000):
    for _ in range(warmup):
        fn()
    samples, start = [], time.perf_counter()
    while len(samples) < max_runs and (len(samples) < min_runs or (time.perf_counter() - start) * 1000 < min_ms):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return stats(samples)


def letterbox(img, w, h, pad=114):
    ih, iw = img.shape[:2]
    if iw * h >= w * ih:
        nw, nh = w, (w * ih) // iw
    else:
        nw, nh = (h * iw) // ih, h
    r = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    left, top = (w - nw) // 2, (h - nh) // 2
    return cv2.copyMakeBorder(r, top, h - nh - top, left, w - nw - left, cv2.BORDER_CONSTANT, value=(pad, pad, pad))


def center_crop(img, w, h):
    ih, iw = img.shape[:2]
    if iw * h >= w * ih:
        rw, rh = (h * iw) // ih, h
    else:
        rw, rh = w, (w * ih) // iw
    r = cv2.resize(img, (rw, rh), interpolation=cv2.INTER_LINEAR)
    left, top = (rw - w) // 2, (rh - h) // 2
    return r[top:top + h, left:left + w]


def preprocess(bgr, m):
    w, h = m["width"], m["height"]
    if m["resize"] == "letterbox":
        img = letterbox(bgr, w, h)
    elif m["resize"] == "center-crop":
        img = center_crop(bgr, w, h)
    else:
        img = cv2.resize(bgr, (w, h), interpolation=cv2.INTER_LINEAR)
    rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
    rgb = (rgb - np.array(m["mean"], np.float32)) / np.array(m["std"], np.float32)
    return rgb.transpose(2, 0, 1)


def main():
    job = json.load(sys.stdin)
    torch.set_num_threads(job["threads"])
    jpeg_bytes = np.frombuffer(open(job["jpeg"], "rb").read(), np.uint8)
    frame = cv2.imdecode(jpeg_bytes, cv2.IMREAD_COLOR)
    rows = []
    for name, m in job["models"].items():
        model = torch.jit.load(m["path"]).eval()
        for n in job["batches"]:
            def run(decode):
                frames = [cv2.imdecode(jpeg_bytes, cv2.IMREAD_COLOR) for _ in range(n)] if decode else [frame] * n
                x = torch.from_numpy(np.stack([preprocess(f, m) for f in frames]))
                with torch.inference_mode():
                    return torch.softmax(model(x), 1).numpy()
            for case, decode in (("classify raw frame", False), ("classify JPEG bytes", True)):
                rows.append({"case": case, "impl": "PyTorch+cv2 (Python)", "model": name, "batch": n,
                             "stats": timeit(lambda: run(decode), job["min_ms"])})
    pre = job.get("preprocess")
    if pre:
        big = cv2.imdecode(np.frombuffer(open(pre["jpeg"], "rb").read(), np.uint8), cv2.IMREAD_COLOR)
        m = {"width": 224, "height": 224, "resize": "letterbox", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
        rows.append({"case": "preprocess 1920x1080 -> 224 letterbox", "impl": "cv2+numpy (Python)", "batch": 1,
                     "stats": timeit(lambda: preprocess(big, m), job["min_ms"])})
    json.dump({"torch": torch.__version__, "cv2": cv2.__version__, "rows": rows}, sys.stdout)


if __name__ == "__main__":
    main()
