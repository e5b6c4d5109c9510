"""Independent reference for the parity tests: OpenCV + numpy preprocessing and the
same TorchScript model run by PyTorch, or the same ONNX model by onnxruntime (a "model"
ending in .onnx). Shares no code with the library.

Protocol: a JSON array of jobs on stdin, a JSON array of results on stdout (one per
job, same order). A job that fails gives {"ok": false, "error": "..."}; the others
still run. Jobs:

  {"op": "preprocess", "image": PATH, "width": W, "height": H,
   "resize": "stretch"|"letterbox"|"center-crop", "pad": "black"|"white"|"grey",
   "mean": [3], "std": [3], "channel_order": "rgb"|"bgr", "out": PATH}
      -> writes the float32 little-endian CHW tensor to "out"; {"ok": true, "shape": [3, H, W]}
      (mean/std are in the order of the tensor's channels)
  {"op": "infer", "model": PATH, "tensor": PATH, "n": N, "activation": "softmax"|"sigmoid"|"none"
   [, "width": W, "height": H]}
      -> runs the raw float32 NCHW tensor through the model; {"ok": true, "scores": [[...], ...]}
      (H and W from the job, else the model's metadata, else a square input)
  {"op": "classify", "model": PATH, "image": PATH, <preprocess fields>, "activation": ...}
      -> {"ok": true, "scores": [...], "top": INDEX}; preprocess fields left out are taken
      from the model's metadata ("out" optional)

Usage: python reference.py < jobs.json > results.json

Notes: images are read with cv2.imread(IMREAD_UNCHANGED), which ignores EXIF orientation;
alpha is dropped without compositing; only 8-bit images are accepted. Torch is imported
only when a job needs it, and loaded models are cached for the run.
"""
import json
import math
import os
import sys

import cv2
import numpy as np

PAD = {"black": 0, "white": 255, "grey": 114}
_models = {}


# ------------------------------------------------------------- preprocessing

def read_image(path, channel_order):
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f"OpenCV cannot read {path}")
    if img.dtype != np.uint8:
        raise ValueError(f"{path}: only 8-bit images are supported, got {img.dtype}")
    if img.ndim == 2:
        img = img[:, :, None]
    channels = img.shape[2]
    if channels == 1:
        img = np.repeat(img, 3, axis=2)
    elif channels == 4:
        img = img[:, :, :3]  # alpha dropped, no compositing
    elif channels != 3:
        raise ValueError(f"{path}: unsupported channel count {channels}")
    img = np.ascontiguousarray(img)  # BGR
    return img if channel_order == "bgr" else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def resize(img, width, height):
    return cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)


def geometry(img, width, height, mode, pad):
    """Exact integer geometry (the library's formulas): the resized/cropped/padded HWC uint8 image."""
    h, w = img.shape[:2]
    if mode == "stretch":
        return resize(img, width, height)
    if mode == "letterbox":
        if w * height >= width * h:
            nw, nh = width, (width * h) // w
        else:
            nw, nh = (height * w) // h, height
        nw, nh = max(1, nw), max(1, nh)
        left, top = (width - nw) // 2, (height - nh) // 2
        value = PAD[pad]
        return cv2.copyMakeBorder(resize(img, nw, nh), top, height - nh - top, left, width - nw - left,
                                  cv2.BORDER_CONSTANT, value=(value, value, value))
    if mode == "center-crop":
        if w * height >= width * h:
            rw, rh = (height * w) // h, height
        else:
            rw, rh = width, (width * h) // w
        left, top = (rw - width) // 2, (rh - height) // 2
        return resize(img, rw, rh)[top:top + height, left:left + width]
    raise ValueError(f"unknown resize mode {mode!r}")


def preprocess(job):
    width, height = int(job["width"]), int(job["height"])
    if width < 1 or height < 1:
        raise ValueError(f"bad target size {width}x{height}")
    if job.get("pad", "black") not in PAD:
        raise ValueError(f"unknown pad {job['pad']!r}")
    order = job.get("channel_order", "rgb")
    if order not in ("rgb", "bgr"):
        raise ValueError(f"unknown channel_order {order!r}")
    img = geometry(read_image(job["image"], order), width, height, job.get("resize", "stretch"), job.get("pad", "black"))
    x = img.astype(np.float32) / np.float32(255)
    x = (x - np.asarray(job["mean"], np.float32)) / np.asarray(job["std"], np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype="<f4")


def op_preprocess(job):
    x = preprocess(job)
    x.tofile(job["out"])
    return {"shape": list(x.shape)}


# ------------------------------------------------------------- models

def model_file(path):
    """A folder (e.g. a Roboflow package) holds the TorchScript file."""
    if not os.path.isdir(path):
        return path
    for name in ("weights.torchscript", "weights.pt", "model.torchscript", "model.pt"):
        if os.path.exists(os.path.join(path, name)):
            return os.path.join(path, name)
    found = [n for n in os.listdir(path) if n.endswith((".torchscript", ".pt"))]
    if len(found) != 1:
        raise ValueError(f"no single TorchScript file in {path}")
    return os.path.join(path, found[0])


def metadata_of(file, embedded):
    """Extra file metadata.json, else a sidecar <file>.json, else Roboflow's environment.json."""
    if embedded:
        return json.loads(embedded)
    if os.path.exists(file + ".json"):
        with open(file + ".json") as f:
            return json.load(f)
    env = os.path.join(os.path.dirname(file), "environment.json")
    if os.path.exists(env):
        with open(env) as f:
            pre = json.load(f).get("PREPROCESSING") or {}
        pre = json.loads(pre) if isinstance(pre, str) else pre
        size = pre.get("resize") or {}
        if size.get("width") and size.get("height"):
            return {"input": {"width": int(size["width"]), "height": int(size["height"])}}
    return {}


def load_model(path):
    """(module, metadata), cached per path; an .onnx file gives an onnxruntime session (CPU)."""
    if path not in _models and path.endswith(".onnx"):
        import onnx
        import onnxruntime

        props = {p.key: p.value for p in onnx.load(path, load_external_data=False).metadata_props}
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        _models[path] = (session, metadata_of(path, props.get("metadata.json", "")))
    if path not in _models:
        import torch

        file = model_file(path)
        extra = {"metadata.json": ""}
        module = torch.jit.load(file, map_location="cpu", _extra_files=extra).eval()
        _models[path] = (module, metadata_of(file, extra["metadata.json"]))
    return _models[path]


def run_model(path, x, activation):
    """x: float32 NCHW numpy -> float64 scores (N, classes) after `activation`."""
    import torch

    module, _ = load_model(path)
    if path.endswith(".onnx"):
        out = torch.from_numpy(np.asarray(module.run(None, {module.get_inputs()[0].name: x})[0], dtype=np.float32))
    else:
        with torch.inference_mode():
            out = module(torch.from_numpy(x))
    if isinstance(out, (tuple, list)):
        out = out[0]
    out = out.reshape(x.shape[0], -1).double()
    if activation == "softmax":
        out = torch.softmax(out, 1)
    elif activation == "sigmoid":
        out = torch.sigmoid(out)
    elif activation != "none":
        raise ValueError(f"unknown activation {activation!r}")
    return out.numpy()


def finite(rows):
    return [[v if math.isfinite(v) else None for v in row] for row in rows.tolist()]


def op_infer(job):
    n = int(job["n"])
    meta = load_model(job["model"])[1]
    data = np.fromfile(job["tensor"], dtype="<f4")
    if "width" in job or "input" in meta:
        size = job if "width" in job else meta["input"]
        width, height = int(size["width"]), int(size["height"])
    else:
        width = height = int(round(math.sqrt(data.size / (3 * n))))
    if data.size != n * 3 * height * width:
        raise ValueError(f"{job['tensor']} holds {data.size} floats, not {n}x3x{height}x{width}")
    scores = run_model(job["model"], data.reshape(n, 3, height, width), job.get("activation", "softmax"))
    return {"scores": finite(scores)}


def op_classify(job):
    meta = load_model(job["model"])[1]
    params = {"resize": "stretch", "pad": "black", "mean": [0.5] * 3, "std": [0.5] * 3, "channel_order": "rgb"}
    params.update({k: meta[k] for k in params if k in meta})
    if meta.get("channel_order") == "bgr":  # metadata gives mean/std in RGB order
        params["mean"], params["std"] = params["mean"][::-1], params["std"][::-1]
    if "input" in meta:
        params.update(meta["input"])
    params.update(job)
    x = preprocess(params)
    if job.get("out"):
        x.tofile(job["out"])
    scores = run_model(job["model"], x[None], job.get("activation", "softmax"))[0]
    return {"scores": finite(scores[None])[0], "top": int(np.argmax(scores))}


OPS = {"preprocess": op_preprocess, "infer": op_infer, "classify": op_classify}


def run(job):
    try:
        if not isinstance(job, dict) or job.get("op") not in OPS:
            raise ValueError(f"unknown job {job!r:.200}")
        return {"ok": True, **OPS[job["op"]](job)}
    except Exception as e:  # one failed job never stops the others
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}


def main():
    try:
        jobs = json.load(sys.stdin)
        if not isinstance(jobs, list):
            raise ValueError("expected a JSON array of jobs")
    except Exception as e:
        json.dump([{"ok": False, "error": f"bad input: {e}"}], sys.stdout)
        return 1
    json.dump([run(job) for job in jobs], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
