"""numcnn: convolutional neural networks from scratch on NumPy, with numba kernels and Keras' API."""

__version__ = "0.1.0"
