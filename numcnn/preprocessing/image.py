"""``keras.preprocessing.image``: the image helpers of :mod:`numcnn.utils` (Pillow: ``numcnn[image]``)."""

from numcnn.utils.image_resize import smart_resize
from numcnn.utils.image_utils import array_to_img, img_to_array, load_img, save_img

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]
