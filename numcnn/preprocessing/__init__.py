"""``keras.preprocessing``: Keras 3 keeps the image helpers here as well as in ``keras.utils``."""

from numcnn.preprocessing import image
from numcnn.utils import image_dataset_from_directory

__all__ = ["image", "image_dataset_from_directory"]
