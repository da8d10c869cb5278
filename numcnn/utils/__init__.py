"""Keras' ``keras.utils`` helpers on NumPy: ``to_categorical``, ``normalize``, ``set_random_seed``,
``split_dataset``, ``PyDataset``/``Sequence``, ``image_dataset_from_directory``, and the image helpers
``load_img``, ``img_to_array``, ``array_to_img``, ``save_img`` (these need Pillow: ``pip install 'numcnn[image]'``),
and ``plot_model``/``model_to_dot`` (pydot: ``pip install 'numcnn[plot]'``).
"""

from numcnn.backend import clear_session
from numcnn.saving.custom_objects import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from numcnn.utils.dataset_utils import split_dataset
from numcnn.utils.image_dataset import image_dataset_from_directory
from numcnn.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from numcnn.utils.model_visualization import model_to_dot, plot_model
from numcnn.utils.numerical_utils import normalize, to_categorical
from numcnn.utils.py_dataset import PyDataset, Sequence
from numcnn.utils.rng_utils import set_random_seed

__all__ = [
    "CustomObjectScope",
    "PyDataset",
    "Sequence",
    "array_to_img",
    "clear_session",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "image_dataset_from_directory",
    "img_to_array",
    "load_img",
    "model_to_dot",
    "normalize",
    "plot_model",
    "register_keras_serializable",
    "save_img",
    "set_random_seed",
    "split_dataset",
    "to_categorical",
]
