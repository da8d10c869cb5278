"""What the bad-input tests share: small data, a compiled model pair, and snapshots of their state.

``Models`` holds a compiled model per loss; ``assert_unchanged`` checks that weights and optimizer state are
bit-for-bit as they were, which every bad-input test asserts after the error.
"""

from __future__ import annotations

import numpy as np

from numcnn import utils
from numcnn.layers import (
    Conv2D,
    Dense,
    Flatten,
    MaxPooling2D,
)
from numcnn.models import Sequential

N = 10
RNG = np.random.default_rng(0)
X = RNG.random((N, 8, 8, 1), dtype=np.float32)
LABELS = np.arange(N) % 3
Y = utils.to_categorical(LABELS, 3)


def with_value(array, index, value):
    out = np.array(array, dtype=np.float64 if isinstance(value, float) and abs(value) > 1e38 else array.dtype)
    out[index] = value
    return out


X_NAN = with_value(X, (0, 0, 0, 0), np.nan)
X_INF = with_value(X, (3, 2, 1, 0), -np.inf)
X_HUGE = with_value(X, (1, 1, 1, 0), 1e39)  # finite in float64, inf in float32


def tiny(loss="categorical_crossentropy"):
    model = Sequential(
        [
            Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
            MaxPooling2D(),
            Flatten(),
            Dense(3, activation="softmax"),
        ]
    )
    model.compile(loss=loss, optimizer="adam", metrics=["accuracy"])
    return model


class Models:
    """A categorical and a sparse model, each trained one step so the optimizer has state to lose."""

    def __init__(self):
        self.cat = tiny()
        self.sparse = tiny("sparse_categorical_crossentropy")
        self.cat.train_on_batch(X, Y)
        self.sparse.train_on_batch(X, LABELS)
        self.before = {m: snapshot(m) for m in (self.cat, self.sparse)}

    def assert_unchanged(self):
        for model, before in self.before.items():
            assert_same(snapshot(model), before)


def snapshot(model):
    opt = model.optimizer
    state = opt.state_dict() if opt is not None else {}
    return {
        "weights": [w.copy() for w in model.get_weights()],
        "iterations": getattr(opt, "iterations", None),
        "optimizer": opt,
        "state": {k: np.array(v, copy=True) for k, v in state.items()},
        "loss": model.loss,
        "built": model.built,
        "input_shape": model.input_shape,
        "layers": list(model.layers),
    }


def assert_same(after, before):
    assert after["iterations"] == before["iterations"]
    assert after["optimizer"] is before["optimizer"] and after["loss"] is before["loss"]
    assert (after["built"], after["input_shape"]) == (before["built"], before["input_shape"])
    assert len(after["layers"]) == len(before["layers"])
    assert all(a is b for a, b in zip(after["layers"], before["layers"]))
    assert len(after["weights"]) == len(before["weights"])
    for a, b in zip(after["weights"], before["weights"]):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert after["state"].keys() == before["state"].keys()
    for key, value in before["state"].items():
        assert np.array_equal(after["state"][key], value)


def uncompiled():
    return Sequential([Dense(3, input_shape=(4,))])


def compiled_without_optimizer(m):
    model = tiny()
    model.compile(loss="categorical_crossentropy", optimizer=None)
    return model


# -- the bad-input tables (tests/test_errors*.py) --------------------------------------------------------


def R(error, match, fn, *marks, id):  # noqa: N802 (a table row, short on purpose)
    import pytest

    return pytest.param(error, match, fn, id=id, marks=marks)


V, T = ValueError, TypeError
W = lambda m: m.cat.get_weights()  # noqa: E731


def assert_table(cases, count: int) -> None:
    """A table holds ``count`` distinct rows, none skipped or expected to fail."""
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids)) == count
    assert not any(case.marks for case in cases)


def assert_refused(models, error, match, call) -> None:
    """``call(models)`` raises ``error`` with a message matching ``match`` (never an IndexError, AttributeError or
    KeyError slipping through), and the models are bit for bit what they were."""
    import pytest

    with pytest.raises(error, match=match) as caught:
        call(models)
    assert type(caught.value) is error or issubclass(type(caught.value), error)
    assert not isinstance(caught.value, (IndexError, AttributeError, KeyError))
    models.assert_unchanged()
