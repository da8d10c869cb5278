"""Helpers shared by the new layers' tests: float64 gradient checks (single-input and list-input layers), the
fixed parameters of an augmentation call, and image-like batches nudged off the kinks."""

from __future__ import annotations

import numpy as np

from numcnn.gradcheck import check_layer, numerical_gradient, relative_error

TOL = 1e-7
WORST: dict[str, float] = {}  # layer class -> the largest error any check saw (for reports)


def _note(layer, errors) -> None:
    name = type(layer).__name__
    WORST[name] = max(WORST.get(name, 0.0), *errors)


def assert_gradients(layer, x, training=False, params=None):
    """``check_layer`` for every gradient (input and weights), each ≤ TOL; ``params`` fixes an augmentation
    layer's draw so that every probe sees the same transform. Returns the errors."""
    if params is not None:
        layer.draw = lambda shape, rng: params
    errors = check_layer(layer, x, training=training)
    _note(layer, errors.values())
    assert set(errors) == {"x", *layer.params}, errors
    assert max(errors.values()) <= TOL, errors
    return errors


def assert_list_gradients(layer, xs, seed=7):
    """The gradcheck of a layer taking a list (a merge layer): every input's gradient ≤ TOL. Returns the errors."""
    xs = [np.array(x, dtype=np.float64) for x in xs]
    layer.ensure_built([(None, *x.shape[1:]) for x in xs])
    probe = np.random.default_rng(seed).standard_normal(layer.forward(xs).shape)

    def loss():
        return float(np.sum(layer.forward(xs) * probe))

    layer.forward(xs)
    analytic = layer.backward(probe.copy())
    assert len(analytic) == len(xs)
    errors = [relative_error(a, numerical_gradient(loss, x)) for a, x in zip(analytic, xs)]
    _note(layer, errors)
    assert max(errors) <= TOL, errors
    return errors


def off_kinks(x, offset=0.0137):
    """An image-like batch moved off ReLU-like kinks at 0 (its ties and plateaus stay)."""
    return x + offset


def images(seed, shape, kinds=("strokes", "empty", "blobs", "saturated", "repeated", "random")):
    """An image-like float64 batch of ``shape`` (see ``tests/strategies.image_like``)."""
    from strategies import image_like

    n = shape[0]
    return image_like(np.random.default_rng(seed), shape, [kinds[i % len(kinds)] for i in range(n)])


def frozen_draws(layer, seed=0):
    """``layer`` with its generator reset before every forward pass, so that a gradcheck's probes all see the
    same noise (a seeded random layer otherwise draws anew on every call)."""
    forward = layer.forward

    def fixed(x, training=False):
        layer._rng = np.random.default_rng(seed)
        return forward(x, training)

    layer.forward = fixed
    return layer
