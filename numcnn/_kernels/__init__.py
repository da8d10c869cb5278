"""Fast numba versions of the hot ops in :mod:`numcnn.functional`: same names, signatures and results.

This package is the only part of numcnn that imports numba. Its rules, and why:

- Parallelism comes from numcnn's own thread pool (:mod:`numcnn._threads`): the batch is split into one
  contiguous part per core, and each core runs serial ``@njit(nogil=True, cache=True)`` kernels and
  single-threaded matrix products on its part. numba's own threads (``prange``) are not used, so there is
  never a second pool competing with BLAS' for the two cores.
- Matrix products stay numpy ``@`` calls between the kernels, never inside them.
- The convolutions stream each core's images through im2col → GEMM → epilogue in chunks of
  ``conv.CHUNK_BYTES``, so the im2col buffer is a few MB per thread (not conv2's 170 MB at batch 256) and
  is still in cache when the product reads it.
- No ``fastmath``: it lets LLVM assume there are no NaNs, which would break NaN propagation.
- Kernels compile lazily on first call, one version per dtype, and are loaded from numba's disk cache after.
"""

from numcnn._kernels.conv import col2im, conv2d_backward, conv2d_forward, im2col
from numcnn._kernels.elementwise import adam_update, relu_backward, relu_forward
from numcnn._kernels.linalg import matmul
from numcnn._kernels.pool import avgpool2d_backward, avgpool2d_forward, maxpool2d_backward, maxpool2d_forward
from numcnn.functional import conv_output_length, same_pads, softmax

__all__ = [
    "adam_update",
    "avgpool2d_backward",
    "avgpool2d_forward",
    "col2im",
    "conv2d_backward",
    "conv2d_forward",
    "conv_output_length",
    "im2col",
    "maxpool2d_backward",
    "matmul",
    "maxpool2d_forward",
    "relu_backward",
    "relu_forward",
    "same_pads",
    "softmax",
]
