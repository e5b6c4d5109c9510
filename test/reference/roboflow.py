"""Independent reference of Roboflow's server preprocessing for both package formats, written from
the facts in ../shared/spec/roboflow-server-reference.md §2 and §4 with the libraries that server uses
(OpenCV, scikit-image, numpy). It reads the package files itself and shares no code with the library.

Protocol: a JSON array of jobs on stdin, a JSON array of results on stdout (same order); a failed job
gives {"ok": false, "error": "..."}. Jobs:

  {"package": DIR, "image": PATH, "out": PATH, "disable": {"auto_orient"?, "contrast"?, "grayscale"?, "static_crop"?},
   "mean"?: [3], "std"?: [3], "model"?: PATH}
      -> writes the float32 CHW tensor the server would feed the model to "out";
         {"ok": true, "shape": [3, H, W], "size": [w, h]} (+ "scores" when "model" is given: the model's
         outputs after the package's activation). DIR holds inference_config.json (default path) or
         environment.json (legacy path); "mean"/"std" are the legacy path's normalisation constants
         (class attributes of the server's model classes; default 0.5).
  {"bench": true, "package": DIR, "image": PATH, "min_ms"?: N}
      -> {"ok": true, "runs", "medianMs", "p99Ms", "minMs"}: the time of the steps, resize and
         normalisation of the decoded image (a peer for benchmarks/roboflow-steps.ts)
"""
import json
import os
import sys
import warnings

import cv2
import numpy as np
from skimage import exposure

_models = {}
# equalize_hist on a colour array: the server flattens it on purpose (one histogram over all values)
warnings.filterwarnings("ignore", message="This might be a color image")


def decode(path, auto_orient):
    flags = cv2.IMREAD_COLOR if auto_orient else cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    image = cv2.imdecode(np.fromfile(path, dtype=np.uint8), flags)  # BGR, 8-bit, 3 channels
    if image is None:
        raise ValueError(f"OpenCV cannot decode {path}")
    return image


def static_crop(image, crop):
    h, w = image.shape[:2]
    x_min, y_min = int(crop["x_min"] / 100 * w), int(crop["y_min"] / 100 * h)
    x_max, y_max = int(crop["x_max"] / 100 * w), int(crop["y_max"] / 100 * h)
    return image[y_min:y_max, x_min:x_max]


def enabled(pre, key):
    step = pre.get(key)
    return isinstance(step, dict) and bool(step.get("enabled"))


# ---------------------------------------------------------------- default path (inference-models)

def default_contrast(image, kind):
    if kind == "Contrast Stretching":
        p2, p98 = np.percentile(image, 2), np.percentile(image, 98)
        return exposure.rescale_intensity(image, in_range=(p2, p98))
    if kind == "Histogram Equalization":
        equalized = exposure.equalize_hist(image.astype(np.float32) / 255) * 255
        return equalized.astype(np.uint8)
    if kind == "Adaptive Equalization":
        adapted = exposure.equalize_adapthist(image.astype(np.float32) / 255, clip_limit=0.03) * 255
        return adapted.astype(np.uint8)
    raise ValueError(f"contrast {kind} not in this reference")


def default_path(package, image_path, disable, decoded=None):
    config = json.load(open(os.path.join(package, "inference_config.json")))
    model_config_path = os.path.join(package, "model_config.json")
    model_config = json.load(open(model_config_path)) if os.path.exists(model_config_path) else {}
    pre = config.get("image_pre_processing") or {}
    net = config["network_input"]
    image = decode(image_path, not disable.get("auto_orient")) if decoded is None else decoded
    size = [image.shape[1], image.shape[0]]
    if enabled(pre, "static-crop") and not disable.get("static_crop"):
        image = static_crop(image, pre["static-crop"])
    if enabled(pre, "grayscale") and not disable.get("grayscale"):
        image = np.stack([cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)] * 3, axis=2)
    if enabled(pre, "contrast") and not disable.get("contrast"):
        image = default_contrast(image, pre["contrast"]["type"])
    W, H = net["training_input_size"]["width"], net["training_input_size"]["height"]
    mode, padding = net["resize_mode"], net.get("padding_value")
    if mode == "fit-longer-edge":  # substituted by classification models
        mode, padding = ("letterbox", 127) if "yolo" in model_config.get("model_architecture", "") else ("stretch", padding)
    if mode == "stretch":
        canvas = cv2.resize(image, (W, H)).astype(np.float32)
    elif mode in ("letterbox", "letterbox-reflect-edges"):
        h, w = image.shape[:2]
        scale = min(W / w, H / h)
        nw, nh = int(w * scale), int(h * scale)
        top, left = int((H - nh) / 2), int((W - nw) / 2)
        canvas = np.full((H, W, 3), padding or 0, dtype=np.float32)
        canvas[top:top + nh, left:left + nw] = cv2.resize(image, (nw, nh))
    elif mode == "center-crop":
        h, w = image.shape[:2]
        canvas = np.zeros((H, W, 3), dtype=np.uint8)
        cx, cy = max(W - w, 0), max(H - h, 0)
        ix, iy = max(w - W, 0), max(h - H, 0)
        canvas[cy // 2:H - (cy - cy // 2), cx // 2:W - (cx - cx // 2)] = image[iy // 2:h - (iy - iy // 2), ix // 2:w - (ix - ix // 2)]
        canvas = canvas.astype(np.float32)
    else:
        raise ValueError(f"resize_mode {mode}")
    tensor = canvas.transpose(2, 0, 1)  # BGR planes
    if net.get("color_mode", "rgb") == "rgb":
        tensor = tensor[::-1]
    if net.get("scaling_factor") is not None:
        tensor = tensor / net["scaling_factor"]
    if net.get("normalization"):
        mean, std = (np.asarray(v, np.float32)[:, None, None] for v in net["normalization"])
        tensor = (tensor - mean) / std
    post = config.get("post_processing") or {}
    return np.ascontiguousarray(tensor, dtype=np.float32), size, ("none" if post.get("fused") else post.get("type", "softmax"))


# ---------------------------------------------------------------- legacy path (environment.json)

def legacy_contrast(image, kind):
    if kind == "Contrast Stretching":
        p2, p98 = np.percentile(image, (2, 98))
        return exposure.rescale_intensity(image, in_range=(p2, p98))
    if kind == "Histogram Equalization":
        return cv2.cvtColor(cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)), cv2.COLOR_GRAY2BGR)
    if kind == "Adaptive Equalization":
        clahe = cv2.createCLAHE(clipLimit=0.03, tileGridSize=(8, 8))
        return cv2.cvtColor(clahe.apply(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)), cv2.COLOR_GRAY2BGR)
    raise ValueError(f"contrast {kind} not in this reference")


LEGACY_PAD = {"Fit (black edges) in": 0, "Fit (white edges) in": 255, "Fit (grey edges) in": 114,
              "Fit (reflect edges) in": 0, "Fit within": 0, "Fill (with center crop) in": 0}


def legacy_path(package, image_path, disable, mean, std, decoded=None):
    env = json.load(open(os.path.join(package, "environment.json")))
    pre = env["PREPROCESSING"]
    pre = json.loads(pre) if isinstance(pre, str) else pre
    image = decode(image_path, "auto-orient" in pre and not disable.get("auto_orient")) if decoded is None else decoded
    size = [image.shape[1], image.shape[0]]
    if enabled(pre, "static-crop") and not disable.get("static_crop"):
        image = static_crop(image, pre["static-crop"])
    if enabled(pre, "contrast") and not disable.get("contrast"):
        image = legacy_contrast(image, pre["contrast"]["type"])
    if enabled(pre, "grayscale") and not disable.get("grayscale"):
        image = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    resize = pre.get("resize") or {}
    W, H = int(resize.get("width", 640)), int(resize.get("height", 640))
    fmt = resize.get("format", "Stretch to")
    if fmt in LEGACY_PAD:
        h, w = image.shape[:2]
        ratio = w / h
        if ratio >= W / H:
            nw, nh = W, int(W / ratio)
        else:
            nw, nh = int(H * ratio), H
        resized = cv2.resize(image, (nw, nh))
        top, left = (H - nh) // 2, (W - nw) // 2
        value = LEGACY_PAD[fmt]
        canvas = cv2.copyMakeBorder(resized, top, H - nh - top, left, W - nw - left, cv2.BORDER_CONSTANT, value=(value, value, value))
        canvas = canvas.astype(np.float32)
    else:  # "Stretch to", also for unknown names: resized as float32
        canvas = cv2.resize(image.astype(np.float32), (W, H))
    rgb = canvas[:, :, ::-1].transpose(2, 0, 1) / 255.0
    tensor = (rgb - np.asarray(mean, np.float32)[:, None, None]) / np.asarray(std, np.float32)[:, None, None]
    activation = "none" if env.get("MULTICLASS") else "softmax"
    return np.ascontiguousarray(tensor, dtype=np.float32), size, activation


def scores(model_path, tensor, activation):
    import torch
    if model_path not in _models:
        _models[model_path] = torch.jit.load(model_path, map_location="cpu").eval()
    with torch.no_grad():
        out = _models[model_path](torch.from_numpy(tensor[None])).double()
    if activation == "softmax":
        out = torch.softmax(out, dim=1)
    elif activation == "sigmoid":
        out = torch.sigmoid(out)
    return out[0].tolist()


def bench(job):
    """Median and p99 ms of the steps, resize and normalisation of one decoded image (decoding excluded)."""
    import time
    package = job["package"]
    image = decode(job["image"], True)
    default = os.path.exists(os.path.join(package, "inference_config.json"))
    step = (lambda: default_path(package, None, {}, image)) if default else (lambda: legacy_path(package, None, {}, [0.5] * 3, [0.5] * 3, image))
    for _ in range(3):
        step()
    samples, start = [], time.perf_counter()
    while len(samples) < 20 or (time.perf_counter() - start) * 1000 < job.get("min_ms", 1000):
        t = time.perf_counter()
        step()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return {"ok": True, "runs": len(samples), "medianMs": samples[len(samples) // 2], "p99Ms": samples[min(len(samples) - 1, int(0.99 * len(samples)))], "minMs": samples[0]}


def run(job):
    if job.get("bench"):
        return bench(job)
    package, disable = job["package"], job.get("disable") or {}
    if os.path.exists(os.path.join(package, "inference_config.json")):
        tensor, size, activation = default_path(package, job["image"], disable)
    else:
        tensor, size, activation = legacy_path(package, job["image"], disable, job.get("mean", [0.5] * 3), job.get("std", [0.5] * 3))
    tensor.astype("<f4").tofile(job["out"])
    result = {"ok": True, "shape": list(tensor.shape), "size": size}
    if job.get("model"):
        result["scores"] = scores(job["model"], tensor, activation)
    return result


def main():
    results = []
    for job in json.load(sys.stdin):
        try:
            results.append(run(job))
        except Exception as error:  # noqa: BLE001 - reported per job
            results.append({"ok": False, "error": f"{type(error).__name__}: {error}"})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
