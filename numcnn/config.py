"""``keras.config``: the global settings, kept in :mod:`numcnn.backend` (Keras 3 has them in both places)."""

from numcnn.backend import epsilon, floatx, image_data_format, set_floatx, set_image_data_format


def backend() -> str:
    """The name of the array backend: numcnn computes on NumPy (with numba kernels)."""
    return "numpy"


__all__ = ["backend", "epsilon", "floatx", "image_data_format", "set_floatx", "set_image_data_format"]
