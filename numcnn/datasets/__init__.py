"""Data sets with Keras' loaders and layout: ``from numcnn.datasets import mnist; mnist.load_data()``.

Each loader returns ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays, exactly like Keras. Files
are checked by SHA-256 before use, downloads are written atomically, nothing is unpickled, and the verified
data is cached in ``$NUMCNN_DATA`` (default ``~/.cache/numcnn/datasets``) so later loads are fast. When no
source can provide a data set, ``DatasetUnavailableError`` (an ``OSError``) lists every source tried and why
it failed, and says where to put the files by hand. This package stands alone: it needs only the standard
library and NumPy.
"""

from numcnn.datasets import fashion_mnist, mnist
from numcnn.datasets._cache import cache_dir
from numcnn.datasets._sources import DatasetUnavailableError

__all__ = ["DatasetUnavailableError", "cache_dir", "fashion_mnist", "mnist"]
