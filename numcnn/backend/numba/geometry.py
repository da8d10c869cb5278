"""What the convolution kernels share: a convolution's geometry, per-thread work buffers, and the chunking of a
batch into a few images per task."""

from __future__ import annotations

import math
import threading
from typing import NamedTuple

import numpy as np

from numcnn._threads import THREADS
from numcnn.backend.numba.direct_conv import MAX_DIRECT_WIDTH
from numcnn.backend.shapes import output_hw

# Size of one thread's im2col chunk, which sets the images per chunk for every method (6 for the notebook's
# conv2). A few MB keeps a chunk in cache between one step writing it and the next reading it (the timings
# behind this choice are in benchmarks/README.md). Tests lower it to force many chunks.
CHUNK_BYTES = 4 * 2**20
CHUNKS_PER_THREAD = 4
# A chunk's products get at least this many rows (Winograd tiles or output pixels) when the batch allows one
# chunk a thread: small images (Géron's 7×7×256 layers, 4 tiles an image) otherwise make products of 16 rows,
# which starve BLAS (benchmarks/README.md).
MIN_ROWS = 128

# The planar direct kernels win below these channel or filter counts (against im2col + GEMM and Winograd:
# benchmarks/README.md).
PLANAR_MAX_CHANNELS = 4
PLANAR_MAX_FILTERS = 8

_local = threading.local()


class ConvGeometry(NamedTuple):
    """A convolution of a (kh, kw, C, F) kernel over NHWC images: window, strides, leading pads, output size."""

    kh: int
    kw: int
    sh: int
    sw: int
    top: int
    left: int
    out_h: int
    out_w: int
    channels: int
    filters: int

    @classmethod
    def of(cls, x_shape, kernel_shape, strides, pads) -> ConvGeometry:
        kh, kw, c, f = kernel_shape
        oh, ow = output_hw(x_shape, (kh, kw), strides, pads)
        return cls(kh, kw, strides[0], strides[1], pads[0], pads[2], oh, ow, c, f)

    @property
    def kernel_args(self) -> tuple[int, ...]:
        """``(kh, kw, sh, sw, top, left, out_h, out_w)``, the arguments of the im2col/col2im kernels."""
        return self[:8]

    @property
    def pixels(self) -> int:
        """Output pixels per image."""
        return self.out_h * self.out_w

    @property
    def width(self) -> int:
        """Inputs per window, ``kh·kw·C``: the columns of im2col."""
        return self.kh * self.kw * self.channels

    @property
    def planar(self) -> bool:
        """A stride-1 convolution with few channels or filters, which the planar direct kernels compute
        (``planar``): first layers on grey and RGB images, LeNet's 6-filter layer, tiny stacks. They also
        beat the NHWC direct kernels on 3×3 grey first layers, which keep strided windows of at most
        ``MAX_DIRECT_WIDTH`` inputs (benchmarks/README.md)."""
        return (
            self.sh == 1
            and self.sw == 1
            and (self.channels <= PLANAR_MAX_CHANNELS or self.filters <= PLANAR_MAX_FILTERS)
        )

    @property
    def direct(self) -> bool:
        """Few inputs a window and not planar: the NHWC direct kernels (``direct_conv``)."""
        return self.width <= MAX_DIRECT_WIDTH and not self.planar

    @property
    def rows_per_image(self) -> int:
        """Rows an image adds to its chunk's products: Winograd's 4×4 tiles, or output pixels."""
        if self.winograd_3x3 and not self.planar and not self.direct:
            return -(-self.out_h // 4) * -(-self.out_w // 4)
        return self.pixels

    def chunks(self, n_images: int, itemsize: int) -> list[tuple[int, int]]:
        """The image ranges for a batch of ``n_images`` (see :func:`chunks`)."""
        return chunks(n_images, self.pixels * self.width * itemsize, self.rows_per_image)

    @property
    def winograd_3x3(self) -> bool:
        """A 3×3 stride-1 convolution, which Winograd F(4×4, 3×3) computes."""
        return (self.kh, self.kw, self.sh, self.sw) == (3, 3, 1, 1)


def buffer(name: str, shape: tuple, dtype) -> np.ndarray:
    """A work array of ``shape`` owned by the calling thread and reused across calls."""
    size = math.prod(shape)
    flat = getattr(_local, name, None)
    if flat is None or flat.dtype != dtype or flat.size < size:
        flat = np.empty(size, dtype=dtype)
        setattr(_local, name, flat)
    return flat[:size].reshape(shape)


def chunks(n_images: int, bytes_per_image: int, rows_per_image: int | None = None) -> list[tuple[int, int]]:
    """``(start, stop)`` image ranges whose im2col columns fill at most ``CHUNK_BYTES`` each, and at least
    ``CHUNKS_PER_THREAD`` chunks a thread so that the threads can even out their share — unless that leaves
    the chunk's products fewer than ``MIN_ROWS`` rows (``rows_per_image`` each) while one chunk a thread
    would not."""
    step = max(1, min(CHUNK_BYTES // max(bytes_per_image, 1), -(-n_images // (CHUNKS_PER_THREAD * THREADS))))
    if rows_per_image:  # products of at least MIN_ROWS rows
        step = max(step, min(-(-MIN_ROWS // max(rows_per_image, 1)), -(-n_images // THREADS)))
    return [(s, min(s + step, n_images)) for s in range(0, n_images, step)]
