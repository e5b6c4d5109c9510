"""scikit-learn's bundled digits (real handwriting, 8x8, values 0..16): the fixed
train/held-out split and the rendering to images that every digits script shares."""
import cv2
import numpy as np

SIZE = 32  # the model's input
MEAN = STD = 0.5


def split():
    """(x_train, x_test, y_train, y_test): x rows are 64 values 0..16, y labels 0..9."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    return train_test_split(x, y, test_size=0.25, random_state=42, stratify=y)


def render8(row):
    """64 values 0..16 -> 8x8 uint8 0..255 (round half to even: only 8 -> 127.5 -> 128 ties)."""
    return np.rint(np.asarray(row, np.float64).reshape(8, 8) * 255 / 16).astype(np.uint8)


def render(row, size):
    """The digit as a size x size grayscale uint8 image (bilinear upscale of the 8x8)."""
    return cv2.resize(render8(row), (size, size), interpolation=cv2.INTER_LINEAR)


def to_input(gray):
    """Grayscale uint8 image of any size -> 3x32x32 float32, the library's way for this
    model: stretch resize (bilinear, half-pixel), gray replicated to RGB, (x/255-0.5)/0.5."""
    if gray.shape != (SIZE, SIZE):
        gray = cv2.resize(gray, (SIZE, SIZE), interpolation=cv2.INTER_LINEAR)
    x = (gray.astype(np.float32) / 255 - MEAN) / STD
    return np.repeat(x[None], 3, axis=0)
