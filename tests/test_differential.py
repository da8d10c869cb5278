"""The shipped path against the reference, on whole models and data like users': every forward output and every
weight gradient of one training step, numba kernels and the plan's fusions against the NumPy references with
every layer on its own.

Random uniform inputs have no exact zeros, dead ReLUs, empty windows or tied maxima; images are full of them.
Each model (``tests/_differential.py``) runs on image-like batches (``strategies.image_like``: strokes of exact
ones on exact zeros, saturated blobs, empty images, repeated rows that tie maxima) and on random ones, with
Keras' zero initial biases (which meet empty windows exactly at the first step) and with random biases.

float64: the two agree to 1e-10 of the largest gradient of each layer (the kernels only sum in other orders).
float32: every fast path agrees with the float64 reference to 1e-4 of each layer's largest gradient. Winograd's
transforms amplify float32 rounding by up to ~100 against a direct sum (``tests/_winograd_bounds.py`` has the exact
constants), and a gradient passes through up to four layers: 6e-8 · 100 · 4 · 4 ≈ 1e-4. Where a step is ill-conditioned
(BatchNormalization of a near-constant channel divides by √ε) float32 rounding grows in any implementation: the
bound is then ten times the error of the float32 reference itself, measured on the same batch. A pool maximum or ReLU
input that lies within rounding of its rival selects a different subgradient in any two float32 computations,
so the float32 check skips inputs where the float64 reference selects within 1e-4 of a tie (exact zeros and
exact ties are kept: they are structure, which the fast path reproduces exactly).
"""

from __future__ import annotations

import numpy as np
import pytest
from _differential import MODELS, near_tie_margin, one_step, relative_errors
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import image_batches

FLOAT64_BOUND = 1e-10
FLOAT32_BOUND = 1e-4


def _labels(x, seed):
    return np.random.default_rng(seed).integers(0, 5, x.shape[0])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(image_batches(max_channels=2), st.sampled_from(sorted(MODELS)), st.booleans())
def test_float64_fast_path_equals_the_reference_on_image_like_batches(batch, name, bias):
    x, seed = batch
    labels = _labels(x, seed)
    fast_out, fast_grads = one_step(name, x, labels, np.float64, seed, bias, "numba")
    ref_out, ref_grads = one_step(name, x, labels, np.float64, seed, bias, "numpy", fuse=False)
    assert max(relative_errors([[fast_out]], [[ref_out]])) <= FLOAT64_BOUND
    errors = relative_errors(fast_grads, ref_grads)
    assert max(errors) <= FLOAT64_BOUND, errors


@pytest.mark.parametrize("name", sorted(MODELS))
def test_float64_fast_path_equals_the_reference_on_random_batches(name):
    rng = np.random.default_rng(5)
    x = rng.random((3, 11, 10, 2))
    labels = _labels(x, 5)
    fast_out, fast_grads = one_step(name, x, labels, np.float64, 5, True, "numba")
    ref_out, ref_grads = one_step(name, x, labels, np.float64, 5, True, "numpy", fuse=False)
    assert max(relative_errors([[fast_out]], [[ref_out]])) <= FLOAT64_BOUND
    assert max(relative_errors(fast_grads, ref_grads)) <= FLOAT64_BOUND


@pytest.mark.parametrize("implementation", ["numba", "numpy"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_fused_plan_equals_the_unfused_one(name, implementation):
    """Fusions change where the work happens, never the result: float64, same model, same weights."""
    x = image_batches_example(seed=11)
    labels = _labels(x, 11)
    fused = one_step(name, x, labels, np.float64, 11, False, implementation)
    unfused = one_step(name, x, labels, np.float64, 11, False, implementation, fuse=False)
    assert max(relative_errors([[fused[0]]], [[unfused[0]]])) <= FLOAT64_BOUND
    assert max(relative_errors(fused[1], unfused[1])) <= FLOAT64_BOUND


def image_batches_example(seed):
    from strategies import image_like

    kinds = ["strokes", "repeated", "empty", "blobs"]
    return image_like(np.random.default_rng(seed), (4, 12, 12, 1), kinds)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(image_batches(max_channels=2), st.sampled_from(sorted(MODELS)), st.booleans())
def test_float32_fast_path_is_within_rounding_of_the_reference(batch, name, bias):
    x, seed = batch
    assume(near_tie_margin(name, x, seed, bias) > FLOAT32_BOUND)
    labels = _labels(x, seed)
    fast_out, fast_grads = one_step(name, x, labels, np.float32, seed, bias, "numba")
    ref32_out, ref32_grads = one_step(name, x, labels, np.float32, seed, bias, "numpy", fuse=False)
    ref_out, ref_grads = one_step(name, x, labels, np.float64, seed, bias, "numpy", fuse=False)
    assert fast_out.dtype == np.float32 and all(g.dtype == np.float32 for layer in fast_grads for g in layer)
    out_bound = max(FLOAT32_BOUND, 10 * max(relative_errors([[ref32_out]], [[ref_out]])))
    assert max(relative_errors([[fast_out]], [[ref_out]])) <= out_bound
    bounds = [max(FLOAT32_BOUND, 10 * e) for e in relative_errors(ref32_grads, ref_grads)]
    errors = relative_errors(fast_grads, ref_grads)
    assert all(e <= b for e, b in zip(errors, bounds)), (errors, bounds)
