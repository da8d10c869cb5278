"""No kernel computes float32 data in float64: a literal like ``4.0`` is float64 to numba and silently
promotes whole loops (it cost the Winograd transforms 2.8×). Every kernel the notebook's model runs is
compiled again, uncached, for the float32 signatures that model used, and its machine code is searched for
double-precision arithmetic and float → double conversions."""

from __future__ import annotations

import importlib
import pkgutil
import re

import numba
import numpy as np

from numcnn.backend import numba as _kernels
from numcnn.layers import Conv2D, Dense, Flatten, MaxPooling2D
from numcnn.models import Sequential

# Kernels that accumulate in float64 by design: batch normalization's channel sums over thousands of rows.
WIDE_ACCUMULATORS = {"normalization._sums_kernel"}
DOUBLE_ARITHMETIC = re.compile(r"\bv(add|sub|mul|div|sqrt|max|min|f[n]?m(add|sub)\d*)[ps]d\b|\bvcvtss2sd\b")


def _float32_signatures():
    """(name, kernel, signature) for every kernel the notebook's model compiled with a float32 array."""
    for info in pkgutil.iter_modules(_kernels.__path__):
        module = importlib.import_module(f"{_kernels.__name__}.{info.name}")
        for name, kernel in vars(module).items():
            if isinstance(kernel, numba.core.registry.CPUDispatcher):
                for signature in kernel.signatures:
                    if any(getattr(arg, "dtype", None) == numba.float32 for arg in signature):
                        yield f"{info.name}.{name}", kernel, signature


def test_float32_kernels_do_no_double_precision_arithmetic():
    model = Sequential(
        [
            Conv2D(32, (3, 3), activation="relu", input_shape=(12, 12, 1)),
            Conv2D(64, (3, 3), activation="relu"),
            MaxPooling2D((2, 2)),
            Flatten(),
            Dense(16, activation="relu"),
            Dense(10, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.random((40, 12, 12, 1), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 40)]
    model.fit(x, y, batch_size=20, epochs=1, verbose=0)
    model.predict(x, verbose=0)

    checked, promoted = [], {}
    for name, kernel, signature in _float32_signatures():
        fresh = numba.njit(nogil=True)(kernel.py_func)  # cached code cannot be inspected
        fresh.compile(signature)
        body = fresh.inspect_asm(signature).split("_ZN7cpython")[0]  # the kernel, not its Python wrapper
        found = DOUBLE_ARITHMETIC.findall(body)
        checked.append(name)
        if found and name not in WIDE_ACCUMULATORS:
            promoted[name] = len(found)
    assert {"winograd.transform_input", "winograd.transform_gradient", "elementwise._adam_kernel"} <= set(checked)
    assert promoted == {}
