"""CIFAR-10 (60000 32x32 colour images in 10 classes), loaded as Keras loads it: ``from numcnn.datasets import
cifar10``.

numcnn reads the authors' *binary* version (``cifar-10-binary.tar.gz``), not the pickled Python version Keras
downloads: it never unpickles. Pinned sums, and where they are published:

- the tarball's MD5 ``c32a1d4ab5d03f1284b67883e8d87530``: the authors' page,
  https://www.cs.toronto.edu/~kriz/cifar.html;
- its size (170052171 bytes) and SHA-256: TensorFlow Datasets' ``url_checksums/cifar10.txt``
  (github.com/tensorflow/datasets), the same value that MLDatasets.jl and GoMLX pin;
- the SHA-256 of each ``.bin`` file inside: ankane/torchvision-ruby's ``datasets/cifar10.rb``, which checks
  the extracted files against them.
"""

from __future__ import annotations

from numcnn.datasets._cifar import BinFile, CifarSpec, keras_arrays, load

_BATCHES = "cifar-10-batches-bin"
# SHA-256 of data_batch_1.bin .. data_batch_5.bin, 10000 records each.
_TRAIN_SHA256 = (
    "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5",
    "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed",
    "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67",
    "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48",
    "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add",
)
_TEST_SHA256 = "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b"  # test_batch.bin

SPEC = CifarSpec(
    title="CIFAR-10",
    npz_name="cifar-10.npz",
    tarball="cifar-10-binary.tar.gz",
    tar_size=170052171,
    tar_sha256="c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
    tar_md5="c32a1d4ab5d03f1284b67883e8d87530",
    urls=("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",),
    files=(
        *(BinFile(f"{_BATCHES}/data_batch_{i}.bin", "train", 10000, h) for i, h in enumerate(_TRAIN_SHA256, 1)),
        BinFile(f"{_BATCHES}/test_batch.bin", "test", 10000, _TEST_SHA256),
    ),
)

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def load_data(path=None):
    """Load the CIFAR-10 data set: 50000 training and 10000 test colour images of 32x32, in 10 classes
    (``CLASS_NAMES``).

    Sources, in order (each checked by its published SHA-256, the tarball also by MD5; see
    ``numcnn.datasets``): the numcnn cache, ``cifar-10-binary.tar.gz`` put by hand beside the cache file
    (or its folder ``cifar-10-batches-bin/`` extracted there), then the download from the authors' site
    (162 MB). The first load caches the data; later loads take about a second.

    Args:
        path: where to cache the data (numcnn's addition; Keras' function takes no argument): a file name or
            relative path is taken inside the cache folder (``$NUMCNN_DATA``, else
            ``~/.cache/numcnn/datasets``), an absolute path is used as it is. Default ``None``:
            ``cifar-10.npz`` in the cache folder.

    Returns:
        ``(x_train, y_train), (x_test, y_test)`` as Keras 3 returns them: ``x_train`` uint8 of shape
        (50000, 32, 32, 3) with values 0..255 (``(50000, 3, 32, 32)`` when
        ``numcnn.backend.image_data_format()`` is ``'channels_first'``), ``y_train`` uint8 (50000, 1) with
        labels 0..9, ``x_test`` (10000, 32, 32, 3), ``y_test`` (10000, 1). Unlike Keras' x, which are
        transposed views, these arrays are C-contiguous.

    Raises:
        TypeError, ValueError: ``path`` is not a file name or path.
        numcnn.datasets.DatasetUnavailableError: (an ``OSError``) no source could provide verified data; the
            message lists every source tried, why each failed, and where to put the files by hand.
    """
    return keras_arrays(SPEC, load(SPEC, path), "", "uint8")
