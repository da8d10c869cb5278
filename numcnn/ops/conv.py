"""Convolutions and pooling of ``keras.ops`` (``ops.nn``): ``conv``, ``depthwise_conv``, ``separable_conv``,
``max_pool``, ``average_pool``, over 1 or 2 spatial axes, computed by ``backend.nn``'s kernels.

Inputs are ``(N, *spatial, C)`` (``channels_last``) or ``(N, C, *spatial)`` (``channels_first``); kernels are
Keras' ``(*window, C_in, C_out)``. ``padding='same'`` pads as Keras and TensorFlow do (``out = ceil(n / s)``,
the odd pixel after) and pooling ignores padded positions; ``'valid'`` gives
``out = floor((n - (k - 1)·d - 1) / s) + 1``. A kernel with ``C_in`` dividing the input's channels convolves
``C / C_in`` groups. Dilation inserts zeros into the kernel (the gradient reads the kernel's own taps back).
3-D convolutions are not available.
"""

from __future__ import annotations

import numpy as np

from numcnn import backend
from numcnn._checks import format_shape, invalid, is_int, one_of
from numcnn.backend.shapes import conv_output_length, same_pads
from numcnn.ops._op import Op, float_dtype
from numcnn.ops._trace import register


def _spatial_rank(x, op: str) -> int:
    rank = len(getattr(x, "shape", np.shape(x)))
    if rank not in (3, 4):
        raise invalid("inputs", f"a 3-D or 4-D tensor (1 or 2 spatial axes) for numcnn.ops.{op}", f"rank {rank}")
    return rank - 2


def _ints(name: str, value, n: int) -> tuple:
    items = (value,) * n if is_int(value) else value
    if not isinstance(items, (list, tuple)) or len(items) != n or not all(is_int(v) for v in items):
        raise invalid(name, f"a positive integer or a tuple of {n}", value, TypeError)
    if min(items) < 1:
        raise invalid(name, f"a positive integer or a tuple of {n}", value)
    return tuple(int(v) for v in items)


def _arguments(x, op, strides, padding, data_format, dilation_rate=1, window=None):
    """The op's constants, checked: strides (and pool_size or dilation_rate) as tuples, padding, data_format."""
    n = _spatial_rank(x, op)
    args = {"padding": one_of("padding", padding, ("valid", "same"))}
    args["data_format"] = backend.standardize_data_format(data_format)
    if window is not None:  # pooling: strides default to the window
        args["pool_size"] = _ints("pool_size", window, n)
        args["strides"] = args["pool_size"] if strides is None else _ints("strides", strides, n)
    else:
        args["strides"] = _ints("strides", strides, n)
        args["dilation_rate"] = _ints("dilation_rate", dilation_rate, n)
    return args


# -- layout ------------------------------------------------------------------------------------------------
def _to_nhwc(x, data_format):
    """x (N, *spatial, C) or (N, C, *spatial) → (N, H, W, C), a 1-D signal becoming one row."""
    if data_format == "channels_first":
        x = np.moveaxis(x, 1, -1)
    return np.ascontiguousarray(x[:, None] if x.ndim == 3 else x)


def _from_nhwc(y, data_format, one_d: bool):
    y = y[:, 0] if one_d else y
    return np.ascontiguousarray(np.moveaxis(y, -1, 1)) if data_format == "channels_first" else y


def _pair(values: tuple) -> tuple:
    return values if len(values) == 2 else (1, *values)


def _pads(spatial, window, strides, padding) -> tuple:
    if padding == "valid":
        return (0, 0, 0, 0)
    (top, bottom), (left, right) = (same_pads(n, k, s) for n, k, s in zip(spatial, window, strides))
    return (top, bottom, left, right)


def _spatial_shape(shape, data_format):
    spatial = shape[2:] if data_format == "channels_first" else shape[1:-1]
    channels = shape[1] if data_format == "channels_first" else shape[-1]
    if None in spatial or channels is None:
        raise TypeError(
            "numcnn.ops convolutions and pooling need known spatial sizes and channels. "
            f"Received: shape {format_shape(shape)}"
        )
    return tuple(spatial), channels


def _output_shape(shape, window, strides, padding, data_format, filters):
    spatial, _ = _spatial_shape(shape, data_format)
    out = []
    for n, k, s in zip(spatial, window, strides):
        before, after = same_pads(n, k, s) if padding == "same" else (0, 0)
        size = conv_output_length(n, k, s, before, after)
        if size < 1:
            raise invalid("inputs", f"spatial sizes at least the window {tuple(window)}", format_shape(shape))
        out.append(size)
    return (shape[0], filters, *out) if data_format == "channels_first" else (shape[0], *out, filters)


# -- convolution ---------------------------------------------------------------------------------------------
def _dilated_window(kernel_shape, dilation_rate):
    return tuple((k - 1) * d + 1 for k, d in zip(kernel_shape, dilation_rate))


def _dilate(kernel4, dilation):
    if dilation == (1, 1):
        return kernel4
    kh, kw = _dilated_window(kernel4.shape[:2], dilation)
    out = np.zeros((kh, kw, *kernel4.shape[2:]), kernel4.dtype)
    out[:: dilation[0], :: dilation[1]] = kernel4
    return out


def _conv_setup(x, kernel, strides, padding, data_format, dilation_rate):
    x4 = _to_nhwc(x, data_format)
    kernel4 = kernel[None] if kernel.ndim == 3 else kernel
    strides, dilation = _pair(strides), _pair(dilation_rate)
    kd = np.ascontiguousarray(_dilate(kernel4, dilation))
    pads = _pads(x4.shape[1:3], kd.shape[:2], strides, padding)
    groups = x4.shape[-1] // kd.shape[2]
    return x4, kd, strides, pads, groups


def _group(array, groups, g):
    size = array.shape[-1] // groups
    return np.ascontiguousarray(array[..., g * size : (g + 1) * size])


def _conv_forward(x, kernel, strides, padding, data_format, dilation_rate):
    x4, kd, strides2, pads, groups = _conv_setup(x, kernel, strides, padding, data_format, dilation_rate)
    parts = [
        backend.nn.conv2d_forward(_group(x4, groups, g), _group(kd, groups, g), None, strides2, pads)
        for g in range(groups)
    ]
    return _from_nhwc(parts[0] if groups == 1 else np.concatenate(parts, axis=-1), data_format, x.ndim == 3)


def _conv_backward(dy, y, x, kernel, strides, padding, data_format, dilation_rate):
    x4, kd, strides2, pads, groups = _conv_setup(x, kernel, strides, padding, data_format, dilation_rate)
    dy4 = _to_nhwc(dy, data_format)
    dxs, dks = [], []
    for g in range(groups):
        dx, dk, _ = backend.nn.conv2d_backward(
            _group(dy4, groups, g), _group(x4, groups, g), _group(kd, groups, g), strides2, pads
        )
        dxs.append(dx)
        dks.append(dk)
    dx4 = dxs[0] if groups == 1 else np.concatenate(dxs, axis=-1)
    dkd = dks[0] if groups == 1 else np.concatenate(dks, axis=-1)
    dilation = _pair(dilation_rate)
    dkernel = dkd[:: dilation[0], :: dilation[1]].reshape(kernel.shape)  # the real taps of the dilated kernel
    return _from_nhwc(dx4, data_format, x.ndim == 3), dkernel


def _conv_shape(shape, kernel, strides, padding, data_format, dilation_rate):
    n = len(shape) - 2
    if len(kernel) != n + 2:
        raise invalid("kernel", f"a kernel of rank {n + 2} (*window, C_in, C_out)", format_shape(kernel))
    _, channels = _spatial_shape(shape, data_format)
    c_in, filters = kernel[-2], kernel[-1]
    if channels % c_in or filters % (channels // c_in):
        raise invalid(
            "kernel",
            f"input channels C_in dividing the input's {channels} channels, and C_out divisible by the groups",
            format_shape(kernel),
        )
    window = _dilated_window(kernel[:n], dilation_rate)
    return _output_shape(shape, window, strides, padding, data_format, filters)


_conv = register(Op("conv", _conv_forward, _conv_backward, _conv_shape, float_dtype))


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """The convolution (cross-correlation) of ``inputs`` (N, *spatial, C) with ``kernel`` (*window, C_in,
    C_out) → (N, *out, C_out), with 1 or 2 spatial axes; gradients for both."""
    args = _arguments(inputs, "conv", strides, padding, data_format, dilation_rate)
    return _conv(inputs, kernel, **args)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Each input channel convolved with its own ``kernel[..., c, :]`` (*window, C, multiplier) → (N, *out,
    C·multiplier), channel ``c·multiplier + m`` from filter m of channel c, as in Keras."""
    from numcnn.ops.shape_ops import reshape

    shape = tuple(getattr(kernel, "shape", np.shape(kernel)))
    if len(shape) < 3:
        raise invalid("kernel", "a kernel (*window, C, multiplier)", format_shape(shape))
    grouped = reshape(kernel, (*shape[:-2], 1, shape[-2] * shape[-1]))  # one group per input channel
    return conv(inputs, grouped, strides, padding, data_format, dilation_rate)


def separable_conv(
    inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None, dilation_rate=1
):
    """``depthwise_conv`` with ``depthwise_kernel``, then a 1×1 ``conv`` with ``pointwise_kernel`` (1, 1, C·m, F)."""
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(depthwise, pointwise_kernel, 1, "valid", data_format, 1)


# -- pooling -------------------------------------------------------------------------------------------------
def _pool_setup(x, pool_size, strides, padding, data_format):
    x4 = _to_nhwc(x, data_format)
    window, strides2 = _pair(pool_size), _pair(strides)
    return x4, window, strides2, _pads(x4.shape[1:3], window, strides2, padding)


def _max_pool_forward(x, pool_size, strides, padding, data_format):
    x4, window, strides2, pads = _pool_setup(x, pool_size, strides, padding, data_format)
    return _from_nhwc(backend.nn.maxpool2d_forward(x4, window, strides2, pads)[0], data_format, x.ndim == 3)


def _max_pool_backward(dy, y, x, pool_size, strides, padding, data_format):
    x4, window, strides2, pads = _pool_setup(x, pool_size, strides, padding, data_format)
    # the winners are found again (an op keeps only its output): the first maximum of each window wins
    argmax = backend.nn.maxpool2d_forward(x4, window, strides2, pads)[1]
    dx4 = backend.nn.maxpool2d_backward(_to_nhwc(dy, data_format), argmax, x4.shape)
    return _from_nhwc(dx4, data_format, x.ndim == 3)


def _average_pool_forward(x, pool_size, strides, padding, data_format):
    x4, window, strides2, pads = _pool_setup(x, pool_size, strides, padding, data_format)
    return _from_nhwc(backend.nn.avgpool2d_forward(x4, window, strides2, pads), data_format, x.ndim == 3)


def _average_pool_backward(dy, y, x, pool_size, strides, padding, data_format):
    x4, window, strides2, pads = _pool_setup(x, pool_size, strides, padding, data_format)
    dx4 = backend.nn.avgpool2d_backward(_to_nhwc(dy, data_format), x4.shape, window, strides2, pads)
    return _from_nhwc(dx4, data_format, x.ndim == 3)


def _pool_shape(shape, pool_size, strides, padding, data_format):
    _, channels = _spatial_shape(shape, data_format)
    return _output_shape(shape, pool_size, strides, padding, data_format, channels)


_max_pool = register(Op("max_pool", _max_pool_forward, _max_pool_backward, _pool_shape, float_dtype))
_average_pool = register(Op("average_pool", _average_pool_forward, _average_pool_backward, _pool_shape, float_dtype))


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The maximum of each ``pool_size`` window, moved by ``strides`` (default ``pool_size``). Ties: the
    first maximum in row-major order takes the gradient; 'same' padding never wins."""
    return _max_pool(inputs, **_arguments(inputs, "max_pool", strides, padding, data_format, window=pool_size))


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """The mean of each ``pool_size`` window, moved by ``strides`` (default ``pool_size``); with 'same' padding
    each window averages its real elements only, as in Keras."""
    return _average_pool(inputs, **_arguments(inputs, "average_pool", strides, padding, data_format, window=pool_size))
