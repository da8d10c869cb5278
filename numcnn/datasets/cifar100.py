"""CIFAR-100 (60000 32x32 colour images in 100 classes, grouped in 20 superclasses), loaded as Keras loads
it: ``from numcnn.datasets import cifar100``.

numcnn reads the authors' *binary* version (``cifar-100-binary.tar.gz``), not the pickled Python version
Keras downloads: it never unpickles. Pinned sums, and where they are published:

- the tarball's MD5 ``03b5dce01913d631647c71ecec9e9cb8``: the authors' page,
  https://www.cs.toronto.edu/~kriz/cifar.html;
- its size (168513733 bytes) and SHA-256: TensorFlow Datasets' ``url_checksums/cifar100.txt``
  (github.com/tensorflow/datasets), the same value that MLDatasets.jl and GoMLX pin;
- the SHA-256 of ``train.bin`` and ``test.bin``: ankane/torchvision-ruby's ``datasets/cifar100.rb``.
"""

from __future__ import annotations

from numcnn._checks import invalid
from numcnn.datasets._cifar import BinFile, CifarSpec, keras_arrays, load

SPEC = CifarSpec(
    title="CIFAR-100",
    npz_name="cifar-100.npz",
    tarball="cifar-100-binary.tar.gz",
    tar_size=168513733,
    tar_sha256="58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec",
    tar_md5="03b5dce01913d631647c71ecec9e9cb8",
    urls=("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",),
    files=(
        BinFile(
            "cifar-100-binary/train.bin",
            "train",
            50000,
            "f31298fc616915fa142368359df1c4ca2ae984d6915ca468b998a5ec6aeebf29",
        ),
        BinFile(
            "cifar-100-binary/test.bin",
            "test",
            10000,
            "d8b1e6b7b3bee4020055f0699b111f60b1af1e262aeb93a0b659061746f8224a",
        ),
    ),
    labels=("coarse", "fine"),  # each record starts with its coarse label, then its fine label
    num_classes=(20, 100),
)


def load_data(label_mode="fine", path=None):
    """Load the CIFAR-100 data set: 50000 training and 10000 test colour images of 32x32, labelled with one of
    100 fine classes or one of 20 coarse superclasses.

    Sources, in order (each checked by its published SHA-256, the tarball also by MD5; see
    ``numcnn.datasets``): the numcnn cache, ``cifar-100-binary.tar.gz`` put by hand beside the cache file (or
    its folder ``cifar-100-binary/`` extracted there), then the download from the authors' site (161 MB). The
    cache holds both label kinds, so one download serves both ``label_mode`` values.

    Args:
        label_mode: ``'fine'`` (labels 0..99, default) or ``'coarse'`` (superclasses 0..19), as in Keras.
        path: where to cache the data (numcnn's addition), as for ``cifar10.load_data``. Default ``None``:
            ``cifar-100.npz`` in the cache folder.

    Returns:
        ``(x_train, y_train), (x_test, y_test)`` as Keras 3 returns them: ``x_train`` uint8 of shape
        (50000, 32, 32, 3) (``(50000, 3, 32, 32)`` under ``'channels_first'``), ``y_train`` int64 of shape
        (50000, 1), ``x_test`` (10000, 32, 32, 3), ``y_test`` (10000, 1). The labels are int64 because Keras
        3.15 builds them from Python lists (its docstring says uint8; its arrays are int64).

    Raises:
        TypeError, ValueError: ``label_mode`` is not ``'fine'`` or ``'coarse'``, or ``path`` is not a file
            name or path (checked before any work).
        numcnn.datasets.DatasetUnavailableError: (an ``OSError``) no source could provide verified data; the
            message lists every source tried, why each failed, and where to put the files by hand.
    """
    if not isinstance(label_mode, str):
        raise invalid("label_mode", "one of 'fine', 'coarse'", label_mode, TypeError)
    if label_mode not in ("fine", "coarse"):  # compared exactly, as Keras does: 'Fine' is refused too
        raise invalid("label_mode", "one of 'fine', 'coarse'", label_mode)
    return keras_arrays(SPEC, load(SPEC, path), label_mode, "int64")
