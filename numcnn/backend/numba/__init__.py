"""Fast numba versions of numcnn's hot ops, with the names, signatures and results of the references in
:mod:`numcnn.backend.numpy` (the table of twins is in :mod:`numcnn.backend`).

This package is the only part of numcnn that imports numba. Its rules, and why:

- Parallelism comes from numcnn's own thread pool (:mod:`numcnn._threads`): the batch is split into chunks
  of a few images, and each core runs serial ``@njit(nogil=True, cache=True)`` kernels and single-threaded
  matrix products on its chunks. numba's own threads (``prange``) are not used, so there is never a second
  pool competing with BLAS' for the cores.
- Matrix products stay numpy ``@`` calls between the kernels, never inside them.
- The convolutions stream each chunk through im2col → GEMM → epilogue, or Winograd's transforms and products,
  so the work buffers are a few MB per thread (not conv2's 170 MB im2col matrix at batch 256) and still in
  cache when the next step reads them (``geometry.CHUNK_BYTES``).
- Inexact methods keep the guarantees of exact sums that ReLU and max-pooling rely on (``exact_windows``).
- float32 data is computed in float32: constants come from ``_scalars`` (numba types a literal ``4.0`` as
  float64 and would promote whole loops); ``tests/test_kernel_precision.py`` searches the machine code.
- No ``fastmath``: it lets LLVM assume there are no NaNs, which would break NaN propagation.
- Kernels compile lazily on first call, one version per dtype, and are loaded from numba's disk cache after.
"""

from numcnn.backend.numba.conv import conv2d_forward, conv2d_pool_forward
from numcnn.backend.numba.conv_backward import conv2d_backward, conv2d_input_grad, conv2d_pool_backward
from numcnn.backend.numba.depthwise import depthwise_conv2d_backward, depthwise_conv2d_forward
from numcnn.backend.numba.elementwise import adam_update, relu_backward, relu_forward
from numcnn.backend.numba.im2col import col2im, im2col
from numcnn.backend.numba.linalg import matmul
from numcnn.backend.numba.normalization import batchnorm_backward, batchnorm_forward
from numcnn.backend.numba.pool import avgpool2d_backward, avgpool2d_forward, maxpool2d_backward, maxpool2d_forward
from numcnn.backend.numpy.image import (  # NumPy only: augmentation and resizing are not hot loops
    affine_transform,
    affine_transform_backward,
    resize_bilinear,
    resize_bilinear_backward,
)
from numcnn.backend.numpy.math import softmax

__all__ = [
    "adam_update",
    "affine_transform",
    "affine_transform_backward",
    "avgpool2d_backward",
    "avgpool2d_forward",
    "batchnorm_backward",
    "batchnorm_forward",
    "col2im",
    "conv2d_backward",
    "conv2d_forward",
    "conv2d_input_grad",
    "conv2d_pool_backward",
    "conv2d_pool_forward",
    "depthwise_conv2d_backward",
    "depthwise_conv2d_forward",
    "im2col",
    "matmul",
    "maxpool2d_backward",
    "maxpool2d_forward",
    "relu_backward",
    "relu_forward",
    "resize_bilinear",
    "resize_bilinear_backward",
    "softmax",
]
