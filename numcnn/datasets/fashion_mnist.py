"""Fashion-MNIST (Zalando's 28x28 grey-scale clothing images), loaded as Keras loads it.

SHA-256 sums: the ``.gz`` values are those published for the files of
github.com/zalandoresearch/fashion-mnist (which Keras' bucket serves; 26421880, 29515, 4422102 and 5148
bytes). The raw values are those of the files inside. Debian's package ``dataset-fashion-mnist`` holds the
same deflate streams with the file name dropped from the gzip header: restoring it reproduces the MD5 sums
that Zalando publishes and the ``.gz`` SHA-256 sums below, so its files pass by their content hash.
"""

from __future__ import annotations

from numcnn.datasets._loader import DatasetSpec, IdxFile, load

SPEC = DatasetSpec(
    title="Fashion-MNIST",
    dirname="fashion-mnist",
    npz_name="fashion-mnist.npz",
    files=(
        IdxFile(
            "train-images-idx3-ubyte",
            (60000, 28, 28),
            sha256="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            gz_sha256="3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        ),
        IdxFile(
            "train-labels-idx1-ubyte",
            (60000,),
            sha256="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            gz_sha256="a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        ),
        IdxFile(
            "t10k-images-idx3-ubyte",
            (10000, 28, 28),
            sha256="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            gz_sha256="346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        ),
        IdxFile(
            "t10k-labels-idx1-ubyte",
            (10000,),
            sha256="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            gz_sha256="67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        ),
    ),
    keras_dir="datasets/fashion-mnist",
    local_dirs=("/usr/share/datasets/fashion-mnist",),
    gz_mirrors=("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",),
)

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def load_data(path=None):
    """Load the Fashion-MNIST data set: 28x28 grey-scale images of 10 kinds of clothing (``CLASS_NAMES``).

    Sources, in order (each file is checked by SHA-256 before use; see ``numcnn.datasets``): the numcnn
    cache, IDX files put by hand in the ``fashion-mnist/`` folder beside the cache file, Keras' cache
    ``~/.keras/datasets/fashion-mnist/``, Debian's ``/usr/share/datasets/fashion-mnist/`` (``apt-get install
    dataset-fashion-mnist``), then Keras' download. No npm package ships these files. The first load caches
    the data; later loads take a fraction of a second.

    Args:
        path: where to cache the data (numcnn's addition; Keras' function takes no argument): a file name
            or relative path is taken inside the cache folder (``$NUMCNN_DATA``, else
            ``~/.cache/numcnn/datasets``), an absolute path is used as it is. Default ``None``:
            ``fashion-mnist.npz`` in the cache folder.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``, all uint8: ``x_train`` of shape (60000, 28, 28) with pixel
        values 0..255, ``y_train`` (60000,) with labels 0..9, ``x_test`` (10000, 28, 28), ``y_test`` (10000,).

    Raises:
        TypeError, ValueError: ``path`` is not a file name or path.
        numcnn.datasets.DatasetUnavailableError: (an ``OSError``) no source could provide verified data; the
            message lists every source tried, why each failed, and where to put the files by hand.
    """
    return load(SPEC, path)
