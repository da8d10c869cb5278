"""The slow, obvious NumPy references of numcnn's array ops; :mod:`numcnn.backend.numba` has a fast twin of
each with the same name, signature and result (see the table in :mod:`numcnn.backend`).

Conventions shared by all ops: images are NHWC; windows, strides and explicit pads as in
:mod:`numcnn.backend.shapes`; dtype is preserved (float32 in, float32 out; float64 in, float64 out) and
inputs are never modified.
"""

from numcnn.backend.numpy.conv import (
    col2im,
    conv2d_backward,
    conv2d_forward,
    conv2d_input_grad,
    conv2d_pool_backward,
    conv2d_pool_forward,
    im2col,
)
from numcnn.backend.numpy.depthwise import depthwise_conv2d_backward, depthwise_conv2d_forward
from numcnn.backend.numpy.image import (
    affine_transform,
    affine_transform_backward,
    resize_bilinear,
    resize_bilinear_backward,
)
from numcnn.backend.numpy.math import adam_update, matmul, relu_backward, relu_forward, softmax
from numcnn.backend.numpy.normalization import batchnorm_backward, batchnorm_forward
from numcnn.backend.numpy.pooling import (
    avgpool2d_backward,
    avgpool2d_forward,
    maxpool2d_backward,
    maxpool2d_forward,
)

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
