"""Data sets with Keras' loaders and layout: ``from numcnn.datasets import mnist; mnist.load_data()``.

``mnist``, ``fashion_mnist``, ``cifar10`` and ``cifar100``: each ``load_data`` returns ``(x_train, y_train),
(x_test, y_test)`` with Keras 3's dtypes and shapes. Files are checked by their published SHA-256 before
use, downloads have an overall deadline and are written atomically, nothing is unpickled (CIFAR comes from its
binary version), and the verified data is cached in ``$NUMCNN_DATA`` (default ``~/.cache/numcnn/datasets``)
so later loads are fast. The loaders never delete or replace a file they could not have written themselves:
a corrupt cache is moved aside (``<name>.corrupt-<time>``), anything else is left alone (see ``_cache``).
When no source can provide a data set, ``DatasetUnavailableError`` (an ``OSError``) lists every source tried
and why it failed, and says where to put the files by hand. Besides NumPy and the standard library, this
package uses only numcnn's file helpers (``_archive``, ``_files``, ``_checks``) and, for CIFAR's
channels-first layout, ``numcnn.backend.image_data_format``.
"""

from numcnn.datasets import cifar10, cifar100, fashion_mnist, mnist
from numcnn.datasets._cache import cache_dir
from numcnn.datasets._sources import DatasetUnavailableError

__all__ = ["DatasetUnavailableError", "cache_dir", "cifar10", "cifar100", "fashion_mnist", "mnist"]
