"""``image_dataset_from_directory``: a folder of images, one sub-folder a class, as batches for ``fit``.

Keras returns a ``tf.data.Dataset`` (or a Grain dataset); numcnn returns a ``PyDataset`` of NumPy batches
with the same contents. The files are found, ordered, labelled, shuffled and split exactly as Keras does
(so a seed gives the same training/validation files as in Keras); they are decoded by Pillow (Keras' Grain
path does the same) and resized in NumPy as ``tf.image.resize`` does (see ``image_resize``).
"""

from __future__ import annotations

import math
import os

import numpy as np

from numcnn import backend
from numcnn import random as nrandom
from numcnn._checks import flag, fraction, int_pair, invalid, is_int, one_of, positive_int, random_seed
from numcnn.utils import image_resize
from numcnn.utils.image_utils import pil_image
from numcnn.utils.py_dataset import PyDataset

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


class ImageDirectoryDataset(PyDataset):
    """Batches of images read from files on demand: ``images`` float32 ``(batch, height, width, channels)``
    (channels first when ``data_format='channels_first'``), with values as decoded (0–255), and ``labels``:
    int32 ``(batch,)`` for ``label_mode='int'``, float32 one-hot ``(batch, num_classes)`` for
    ``'categorical'``, float32 ``(batch, 1)`` of 0/1 for ``'binary'``; no labels (images only) for ``None``.

    ``class_names`` and ``file_paths`` are Keras' attributes. With ``shuffle=True`` the first epoch reads the
    files in ``file_paths`` order and each ``on_epoch_end`` draws a new order (from ``seed``). With
    ``batch_size=None`` each item is one image (and its label), unbatched.
    """

    def __init__(self, file_paths, labels, label_mode, class_names, options, batch_size, shuffle, seed):
        super().__init__()
        self.file_paths = list(file_paths)
        self.class_names = class_names
        self.batch_size = batch_size
        self._labels = None if labels is None else np.asarray(labels, dtype=np.int32)
        self._label_mode = label_mode
        self._options = options
        self._order = np.arange(len(self.file_paths))
        self._rng = np.random.default_rng(seed) if shuffle else None

    def __len__(self) -> int:
        if self.batch_size is None:
            return len(self.file_paths)
        return math.ceil(len(self.file_paths) / self.batch_size)

    def __getitem__(self, index):
        if not is_int(index) or not 0 <= index < len(self):
            raise IndexError(f"batch index {index} out of range for a dataset of {len(self)} batches")
        size = self.batch_size or 1
        picked = self._order[index * size : (index + 1) * size]
        images = np.stack([load_image(self.file_paths[i], **self._options) for i in picked])
        labels = None if self._labels is None else self._encode(self._labels[picked])
        if self.batch_size is None:
            images, labels = images[0], None if labels is None else labels[0]
        return images if labels is None else (images, labels)

    def _encode(self, labels: np.ndarray) -> np.ndarray:
        if self._label_mode == "binary":
            return labels.astype(np.float32)[:, None]
        if self._label_mode == "categorical":
            return np.eye(len(self.class_names), dtype=np.float32)[labels]
        return labels

    def on_epoch_end(self):
        if self._rng is not None:
            self._order = self._rng.permutation(len(self.file_paths))


def load_image(path, image_size, num_channels, interpolation, data_format, crop_to_aspect_ratio, pad_to_aspect_ratio):
    """One file as float32 ``(height, width, channels)`` (or channels first), as Keras' loader makes it."""
    Image = pil_image()
    try:
        with Image.open(path) as img:
            mode = {1: "L", 3: "RGB", 4: "RGBA"}[num_channels]
            if img.mode != mode and not (num_channels == 1 and img.mode in ("L", "I;16", "I")):
                img = img.convert(mode)
            pixels = np.asarray(img, dtype=np.float32)
    except OSError as err:  # PIL.UnidentifiedImageError and truncated files are OSErrors
        raise ValueError(f"Cannot read the image file '{path}': {err}") from None
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if crop_to_aspect_ratio:
        pixels = image_resize.resize(image_resize.crop_to_aspect_ratio(pixels, image_size), image_size, interpolation)
    elif pad_to_aspect_ratio:
        pixels = image_resize.resize_with_pad(pixels, image_size, interpolation)
    else:
        pixels = image_resize.resize(pixels, image_size, interpolation)
    return pixels.transpose(2, 0, 1) if data_format == "channels_first" else pixels


def image_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    color_mode="rgb",
    batch_size=32,
    image_size=(256, 256),
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    interpolation="bilinear",
    follow_links=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    data_format=None,
    format="tf",  # noqa: A002 (Keras' argument name)
    verbose=True,
):
    """Keras 3's ``image_dataset_from_directory``, returning an ``ImageDirectoryDataset`` (a ``PyDataset``)
    with ``class_names`` and ``file_paths``; ``subset='both'`` returns ``[training, validation]``.

    ``labels='inferred'``: one sub-folder per class, classes in alphanumeric order (or ``class_names``'
    order), files found recursively (``.bmp .gif .jpeg .jpg .png``, any case) in sorted order; folders whose
    names start with ``.`` are skipped. ``labels`` may also be a list of integer labels in that file order,
    or ``None``. ``shuffle`` permutes the files as Keras does for the same ``seed``; ``validation_split``
    keeps the last fraction of them for validation (a ``seed`` is then required when shuffling, so both
    subsets come from one permutation). Images keep their 0–255 values (add a ``Rescaling`` layer).

    ``format`` (``'tf'`` or ``'grain'``) is accepted for compatibility: numcnn always returns a ``PyDataset``.
    Unlike TensorFlow, grayscale BMP files can be read. ``interpolation`` is one of ``'bilinear'``,
    ``'nearest'``, ``'bicubic'``, ``'area'``, ``'lanczos3'``, ``'lanczos5'``, ``'gaussian'``,
    ``'mitchellcubic'``, computed as ``tf.image.resize(antialias=False)`` computes them.
    """
    directory = os.fspath(directory) if isinstance(directory, (str, os.PathLike)) else directory
    if not isinstance(directory, str):
        raise invalid("directory", "a folder path", directory, TypeError)
    if not os.path.isdir(directory):
        raise invalid("directory", "an existing folder", directory)
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)) or not all(is_int(v) and v >= 0 for v in labels):
            raise invalid(
                "labels", "'inferred', None, or a list/tuple of non-negative integer labels (one per file)", labels
            )
        if class_names:
            raise invalid("class_names", "None when labels are given explicitly", class_names)
    if label_mode not in ("int", "categorical", "binary", None):
        raise invalid("label_mode", "one of 'int', 'categorical', 'binary' or None", label_mode)
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if class_names is not None and (
        not isinstance(class_names, (list, tuple)) or not all(isinstance(c, str) for c in class_names)
    ):
        raise invalid("class_names", "a list of sub-folder names", class_names, TypeError)
    num_channels = _CHANNELS[one_of("color_mode", color_mode, tuple(_CHANNELS))]
    batch_size = None if batch_size is None else positive_int("batch_size", batch_size)
    image_size = int_pair("image_size", image_size)
    shuffle, follow_links, verbose = (
        flag("shuffle", shuffle),
        flag("follow_links", follow_links),
        flag("verbose", verbose),
    )
    crop, pad = flag("crop_to_aspect_ratio", crop_to_aspect_ratio), flag("pad_to_aspect_ratio", pad_to_aspect_ratio)
    if crop and pad:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be set to `True`.")
    interpolation = one_of("interpolation", interpolation, image_resize.INTERPOLATIONS)
    one_of("format", format, ("tf", "grain"))
    data_format = backend.standardize_data_format(data_format)
    seed = random_seed(seed)
    validation_split = _check_split(validation_split, subset, shuffle, seed)

    if seed is None:
        seed = int(nrandom.generator().integers(1_000_000))
    paths, labels, class_names = index_directory(directory, labels, class_names, shuffle, seed, follow_links, verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )
    if label_mode == "categorical" and labels is not None and len(labels) and max(labels) >= len(class_names):
        raise invalid("labels", f"labels below the number of classes ({len(class_names)})", max(labels))
    options = {
        "image_size": image_size,
        "num_channels": num_channels,
        "interpolation": interpolation,
        "data_format": data_format,
        "crop_to_aspect_ratio": crop,
        "pad_to_aspect_ratio": pad,
    }

    def dataset(which, shuffled):
        some_paths, some_labels = _subset(paths, labels, validation_split, which)
        if not some_paths:
            what = {"training": "training images", "validation": "validation images"}.get(which, "images")
            raise ValueError(f"No {what} found in directory {directory}. Allowed formats: {ALLOWLIST_FORMATS}")
        return ImageDirectoryDataset(
            some_paths, some_labels, label_mode, class_names, options, batch_size, shuffled, seed
        )

    if subset == "both":
        return [dataset("training", shuffle), dataset("validation", False)]
    return dataset(subset, shuffle)


def _check_split(validation_split, subset, shuffle, seed):
    if validation_split is not None and validation_split != 0:
        validation_split = fraction("validation_split", validation_split)
        if validation_split == 0:
            raise invalid("validation_split", "a number in (0, 1)", validation_split)
    else:
        validation_split = None
    if subset is not None:
        one_of("subset", subset, ("training", "validation", "both"))
    if (validation_split is None) != (subset is None):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` argument, to make "
            "sure that there is no overlap between the training and validation subset."
        )
    return validation_split


def index_directory(directory, labels, class_names, shuffle, seed, follow_links, verbose):
    """``(file_paths, labels, class_names)`` in Keras' order (``dataset_utils.index_directory``)."""
    if labels == "inferred":
        subdirs = [
            name
            for name in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")
        ]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories of the target "
                    f"directory. Expected: {subdirs} (or a subset of it), but received: class_names={class_names}"
                )
            subdirs = list(class_names)
    else:
        subdirs = [""]  # explicit labels or none: every file under the folder, structure ignored
    found, found_labels = [], []
    for label, subdir in enumerate(subdirs):
        for path in _image_files(os.path.join(directory, subdir), follow_links):
            found.append(path)
            found_labels.append(label)
    if labels == "inferred":
        labels = np.asarray(found_labels, dtype=np.int32)
        names = subdirs
    elif labels is None:
        names = None
    else:
        if len(labels) != len(found):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target directory. "
                f"len(labels) is {len(labels)} while we found {len(found)} files in directory {directory}."
            )
        labels = np.asarray(labels, dtype=np.int32)
        names = [str(label) for label in sorted(set(labels.tolist()))]
    if verbose:
        classes = "" if labels is None else f" belonging to {len(names)} classes"
        print(f"Found {len(found)} files{classes}.")
    if shuffle:
        order = np.arange(len(found))
        np.random.RandomState(seed).shuffle(order)  # Keras' permutation for this seed  # noqa: NPY002
        found = [found[i] for i in order]
        labels = None if labels is None else labels[order]
    return found, labels, names


def _image_files(folder, follow_links):
    """The image files under ``folder``: folders in sorted order of their paths, files sorted within each."""
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(ALLOWLIST_FORMATS):
                yield os.path.join(root, name)


def _subset(paths, labels, validation_split, subset):
    """Keras' ``get_training_or_validation_split``: the last ``int(split · n)`` files validate."""
    if not validation_split:
        return paths, labels
    count = int(validation_split * len(paths))
    if subset == "training":
        print(f"Using {len(paths) - count} files for training.")
        return paths[: len(paths) - count], None if labels is None else labels[: len(paths) - count]
    print(f"Using {count} files for validation.")
    return paths[len(paths) - count :], None if labels is None else labels[len(paths) - count :]
