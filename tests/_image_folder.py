"""A small image folder like the ones users point ``image_dataset_from_directory`` at, made the same way
by the tests and by ``fixtures/make_keras_utils_fixtures.py`` (which recorded what Keras made of it).

Lossless formats only (PNG, BMP), so every decoder reads the same pixels. Sizes differ per image (so every
image is resized), the content is image-like (exact zeros, strokes at 255, ties), and the folder holds what
Keras skips: a text file, a hidden folder; and what it keeps: a nested folder and an upper-case extension.
"""

from pathlib import Path

import numpy as np
from PIL import Image

CLASSES = ("cat", "dog", "zebra")


def _pixels(index: int, height: int, width: int, channels: int) -> np.ndarray:
    rng = np.random.default_rng(index)
    image = np.zeros((height, width, channels), dtype=np.uint8)
    image[index % height, :, :] = 255  # a horizontal stroke
    image[:, (3 * index) % width, 0] = 255  # a vertical one in the first channel
    patch = rng.integers(0, 256, (height // 2, width // 2, channels), dtype=np.uint8)
    image[: height // 2, : width // 2] = patch
    return image


def make_image_folder(root) -> Path:
    """Write the folder under ``root`` and return its path; 9 images in 3 classes."""
    root = Path(root)
    layout = [
        ("cat/c1.png", (9, 12), "RGB"),
        ("cat/c0.png", (12, 9), "RGB"),
        ("cat/more/c2.bmp", (8, 8), "RGB"),
        ("dog/d0.PNG", (10, 15), "RGB"),
        ("dog/d1.png", (7, 7), "L"),
        ("dog/d2.png", (16, 10), "RGBA"),
        ("zebra/z0.png", (11, 11), "RGB"),
        ("zebra/z1.png", (6, 13), "RGB"),
        ("zebra/z2.bmp", (13, 6), "RGB"),
    ]
    for index, (name, (height, width), mode) in enumerate(layout):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        channels = {"RGB": 3, "L": 1, "RGBA": 4}[mode]
        pixels = _pixels(index, height, width, channels)
        Image.fromarray(pixels[..., 0] if mode == "L" else pixels, mode).save(path)
    (root / "cat" / "notes.txt").write_text("not an image")
    (root / ".hidden").mkdir(exist_ok=True)
    Image.fromarray(_pixels(0, 5, 5, 3), "RGB").save(root / ".hidden" / "h.png")
    return root
