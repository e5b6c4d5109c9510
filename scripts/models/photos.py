"""Real photographs bundled with scikit-image and scikit-learn (no download), and
batches of crops from them, used to calibrate random-weight models and as test
fixtures."""
import cv2
import numpy as np

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def bundled_photos():
    """name -> RGB uint8 array (H, W, 3), in a fixed order."""
    import skimage.data
    from sklearn.datasets import load_sample_images

    out = {name: getattr(skimage.data, name)() for name in ("astronaut", "coffee", "chelsea", "rocket")}
    sample = load_sample_images()
    for file, image in zip(sample.filenames, sample.images):
        out[file.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]] = image  # china, flower
    return out


def normalize(rgb, mean, std, channel_order="rgb"):
    """uint8 RGB HWC -> float32 CHW, (x/255 - mean)/std; mean/std are given in RGB order."""
    x = rgb.astype(np.float32) / 255.0
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    if channel_order == "bgr":
        x = x[:, :, ::-1]
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def calibration_batch(width, height, mean, std, channel_order="rgb", count=48, seed=0):
    """float32 NCHW batch of `count` views of the bundled photos, resized with
    INTER_LINEAR as the library does: every whole photo stretched and letterboxed
    (grey), then random crops (side log-uniform from 12 px to the whole photo, so
    strongly upscaled views too; random aspect and flip). Calibration thus sees
    inputs like the tests' (large, small, odd-shaped photos)."""
    rng = np.random.default_rng(seed)
    photos = list(bundled_photos().values())
    resize = lambda img, w, h: cv2.resize(np.ascontiguousarray(img), (w, h), interpolation=cv2.INTER_LINEAR)
    views = []
    for rgb in photos:
        views.append(resize(rgb, width, height))
        h, w = rgb.shape[:2]
        s = min(width / w, height / h)
        nw, nh = max(1, int(w * s)), max(1, int(h * s))
        canvas = np.full((height, width, 3), 114, np.uint8)
        top, left = (height - nh) // 2, (width - nw) // 2
        canvas[top:top + nh, left:left + nw] = resize(rgb, nw, nh)
        views.append(canvas)
    while len(views) < count:
        rgb = photos[rng.integers(len(photos))]
        h, w = rgb.shape[:2]
        side = np.exp(rng.uniform(np.log(12), np.log(min(h, w))))
        aspect = np.exp(rng.uniform(-0.5, 0.5))
        cw, ch = max(2, int(min(w, side * aspect))), max(2, int(min(h, side / aspect)))
        x0, y0 = rng.integers(0, w - cw + 1), rng.integers(0, h - ch + 1)
        crop = rgb[y0:y0 + ch, x0:x0 + cw]
        views.append(resize(crop[:, ::-1] if rng.random() < 0.5 else crop, width, height))
    return np.stack([normalize(v, mean, std, channel_order) for v in views[:count]])
