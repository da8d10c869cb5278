"""Fast numba versions of the hot ops in :mod:`numcnn.functional`: same names, signatures and results.

This package is the only part of numcnn that imports numba. Its rules, and why:

- Parallelism comes from numcnn's own thread pool (:mod:`numcnn._threads`): the batch is split into one
  contiguous part per core, and each core runs serial ``@njit(nogil=True, cache=True)`` kernels and
  single-threaded matrix products on its part. numba's own threads (``prange``) are not used, so there is
  never a second pool competing with BLAS' for the two cores.
- Matrix products stay numpy ``@`` calls between the kernels, never inside them.
- The convolutions stream each core's images in chunks of a few images (``conv.CHUNK_BYTES``) through
  im2col → GEMM → epilogue, or Winograd's transforms and products, so the work buffers are a few MB per
  thread (not conv2's 170 MB im2col matrix at batch 256) and still in cache when the next step reads them.
- float32 data is computed in float32: constants come from ``_scalars`` (numba types a literal ``4.0`` as
  float64 and would promote whole loops); ``tests/test_kernel_precision.py`` searches the machine code.
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
