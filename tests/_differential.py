"""What the differential tests share: the models that take every path of the fast kernels and the plan, one
training step through the public API, and the near-tie margin of a float32 comparison.

A "path" is a way the shipped code can compute a layer: the convolution's direct loop (few inputs a window),
the planar direct kernels (stride 1, at most 4 channels or 8 filters), Winograd F(4×4, 3×3) (other 3×3
stride 1) and im2col + GEMM (anything else), each with ReLU fused in or a linear
activation, 'valid' or 'same' padding, stride 1 or 2; a max-pool fused into the convolution before it or on
its own; average pooling, global max pooling, BatchNormalization, Dropout in training, and the fused
softmax-crossentropy head.
"""

from __future__ import annotations

import numpy as np

from numcnn import backend, optimizers, plan
from numcnn.layers import (
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalMaxPooling2D,
    MaxPooling2D,
)
from numcnn.layers.activated import ActivatedLayer
from numcnn.models import Sequential
from numcnn.utils import set_random_seed, to_categorical


def _notebook(c):
    # direct (3·3·c inputs a window for c = 1; planar for c = 2), Winograd, the fused conv + pool, the softmax head
    return [Conv2D(6, 3, activation="relu"), Conv2D(10, 3, activation="relu"), MaxPooling2D(), Flatten(),
            Dense(12, activation="relu"), Dense(5, activation="softmax")]  # fmt: skip


def _same_strided(c):
    # 'same' everywhere: Winograd with pads, a linear stride-2 im2col, a 5×5 im2col fused with an overlapping
    # 'same' pool, average pooling, and a linear head
    return [Conv2D(6, 3, padding="same", activation="relu"), Conv2D(10, 3, padding="same", activation="relu"),
            Conv2D(8, 3, strides=2, padding="same"), Conv2D(9, 5, padding="same", activation="relu"),
            MaxPooling2D(3, strides=1, padding="same"), AveragePooling2D(), Flatten(),
            Dense(5, activation="softmax")]  # fmt: skip


def _batchnorm_dropout(c):
    # BatchNormalization between convolutions (so no fusion there), Dropout in training, then a fused pair
    return [Conv2D(6, 3), BatchNormalization(), Activation("relu"), Conv2D(8, 3, activation="relu"), MaxPooling2D(),
            Dropout(0.3), Flatten(), Dense(5, activation="softmax")]  # fmt: skip


def _global_max(c):
    # a strided im2col ReLU, an unfused Winograd ReLU into a global max-pool (ties across the whole image)
    return [Conv2D(4, 3, strides=2, activation="relu"), Conv2D(6, 3, padding="same", activation="relu"),
            GlobalMaxPooling2D(), Dense(5, activation="softmax")]  # fmt: skip


def _lenet(c):
    # LeNet's shapes on the planar kernels: a 5×5 'same' first layer fused with its pool, a layer with few
    # filters that needs its input gradient, a linear 2×2 'same' (pads after only), the softmax head
    return [Conv2D(6, 5, padding="same", activation="relu"), MaxPooling2D(), Conv2D(5, 3, activation="relu"),
            Conv2D(7, 2, padding="same"), Flatten(), Dense(5, activation="softmax")]  # fmt: skip


MODELS = {
    "lenet": _lenet,
    "notebook": _notebook,
    "same-strided": _same_strided,
    "bn-dropout": _batchnorm_dropout,
    "global-max": _global_max,
}


def build(name: str, x_shape, dtype, seed: int, bias: bool) -> Sequential:
    """The model ``name`` for inputs like ``x_shape``, weights from ``seed``; with ``bias``, random biases in
    place of Keras' zeros (zero biases meet exact-zero windows in the first step; random ones test the rest)."""
    set_random_seed(seed)
    layers = MODELS[name](x_shape[-1])
    for layer in layers:
        layer.dtype = np.dtype(dtype)
    model = Sequential(layers)
    model.build((None, *x_shape[1:]))
    if bias:
        rng = np.random.default_rng(seed)
        model.set_weights([w + (0.1 * rng.standard_normal(w.shape) if w.ndim == 1 else 0) for w in model.get_weights()])
    return model


def one_step(name, x, labels, dtype, seed, bias, implementation, fuse=True):
    """``(outputs, gradients)`` of one ``train_on_batch`` of model ``name`` with ``implementation``'s ops:
    the model's forward outputs in training mode and every weight gradient, in ``get_weights`` order."""
    backend.set_implementation(implementation)
    plan.set_fusions(fuse)
    try:
        model = build(name, x.shape, dtype, seed, bias)
        model.compile(optimizer=optimizers.SGD(learning_rate=0.0), loss="categorical_crossentropy")
        y = to_categorical(labels, 5).astype(dtype)
        set_random_seed(seed + 1)  # the same Dropout mask in every run
        model.train_on_batch(x.astype(dtype), y)
        set_random_seed(seed + 1)
        outputs = np.asarray(model(x.astype(dtype), training=True))
        grads = [[layer.grads[k].copy() for k in layer.params] for layer in model.leaf_layers() if layer.params]
        return outputs, grads
    finally:
        plan.set_fusions(True)
        backend.set_implementation("numba")


def relative_errors(got, want) -> list[float]:
    """Per layer: the largest absolute difference of its gradients over their scale, the largest absolute value
    among them — but at least a thousandth of the largest gradient in the model.

    The floor is for layers whose true gradient is 0 or cancels to almost nothing (a bias before
    BatchNormalization, which removes the mean; any weight over an empty batch): both sides then give rounding
    noise of the size of the terms that cancelled, which is the model's gradient scale, not the layer's."""
    peaks = [max(float(np.abs(w).max()) for w in layer) for layer in want]
    floor = 1e-3 * max(peaks)
    errors = []
    for g_layer, w_layer, peak in zip(got, want, peaks):
        scale = max(peak, floor, 1e-300)
        errors.append(max(float(np.abs(g - w).max()) for g, w in zip(g_layer, w_layer)) / scale)
    return errors


def near_tie_margin(name, x, seed, bias) -> float:
    """The smallest gap, relative to its layer's largest value, at which the float64 reference makes a
    selection: a ReLU pre-activation's distance from 0, or the gap between a pool window's maximum and its
    runner-up. Exact zeros and exact ties are structure (empty or equal windows), which the fast path keeps
    exactly, so they do not count."""
    backend.set_implementation("numpy")
    try:
        model = build(name, x.shape, np.float64, seed, bias)
        set_random_seed(seed + 1)
        a, margin = x.astype(np.float64), np.inf
        for layer in model.layers:
            if isinstance(layer, ActivatedLayer) and layer.activation.name == "relu":
                z = layer.forward_linear(a, training=True)
                nonzero = np.abs(z[z != 0])
                if nonzero.size:
                    margin = min(margin, nonzero.min() / np.abs(z).max())
            if isinstance(layer, (MaxPooling2D, GlobalMaxPooling2D)):
                margin = min(margin, _pool_gap(layer, a))
            a = layer.forward(a, training=True)
        return margin
    finally:
        backend.set_implementation("numba")


def _pool_gap(layer, a) -> float:
    from numcnn.backend.numpy import im2col

    if isinstance(layer, GlobalMaxPooling2D):
        windows = a.reshape(a.shape[0], -1, a.shape[-1]).transpose(0, 2, 1).reshape(-1, a.shape[1] * a.shape[2])
    else:
        c = a.shape[-1]
        cols = im2col(np.where(np.isfinite(a), a, 0), layer.pool_size, layer.strides, layer.pads)
        windows = cols.reshape(cols.shape[0], -1, c).transpose(0, 2, 1).reshape(-1, cols.shape[1] // c)
    top = windows.max(axis=1, keepdims=True)
    below = np.where(windows < top, windows, -np.inf).max(axis=1)
    gaps = (top[:, 0] - below)[np.isfinite(below)]
    return float(gaps.min() / max(np.abs(a).max(), 1e-300)) if gaps.size else np.inf
