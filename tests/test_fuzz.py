"""Fuzzing every public entry point with malformed arguments: only ValueError/TypeError may come out.

hypothesis draws malformed values (None, strings, bytes, bools, NaN/inf, zero/negative/huge ints, NumPy
scalars, nested and ragged lists, dicts, objects, object/str/complex arrays, wrongly shaped or empty arrays,
out-of-range labels) for 61 argument slots — 39 constructors and functions, 22 model methods and ``fit``
keywords — and asserts a clear ``ValueError``/``TypeError`` every time (never an IndexError, AttributeError,
ZeroDivisionError, MemoryError or a NumPy internal, never a hang), with weights and optimizer state unchanged.
"""

from __future__ import annotations

import contextlib
import math
import re
import signal

import numpy as np
import pytest
from _bad_input import (  # the shared data, models and snapshots
    LABELS,
    Models,
    N,
    X,
    Y,
    tiny,
    with_value,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numcnn import activations, callbacks, losses, metrics, optimizers, utils
from numcnn._checks import is_int
from numcnn.layers import (
    Conv2D,
    Dense,
    Dropout,
    Input,
    MaxPooling2D,
    Reshape,
)
from numcnn.models import Sequential, load_model

# -- fuzz ----------------------------------------------------------------------------------------------

# The names each family accepts (case-insensitive ``in``), so that no drawn "bad" name is a valid one.
ACTIVATIONS = activations._REGISTRY
LOSSES = losses._REGISTRY
OPTIMIZERS = {"sgd", "rmsprop", "adagrad", "adam", "adamw", "adadelta", "nadam", "adamax", "lion", "ftrl"}
METRICS = {"acc", "mean_metric_wrapper", *(name.lower() for name in metrics._REGISTRY.names())}


def _object_array():
    arr = np.empty(3, dtype=object)
    arr[:] = [1, "a", None]
    return arr


# Values no numeric, size, name or array argument accepts.
not_a_number = st.one_of(
    st.text(max_size=4),
    st.binary(max_size=4),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.sampled_from([object(), 1j, {1, 2}, (), [[1], [2, 3]], _object_array(), np.array(["a", "b"]), np.array(2.5)]),
)
any_float = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([np.float32(np.nan), np.float64(np.inf), np.float16(2.0), -np.inf]),
)
huge = st.integers(min_value=2**40, max_value=2**80)
# Not a positive integer: zero and negative ints, all floats, bools, NumPy bools, junk.
bad_positive_int = st.one_of(
    st.integers(max_value=0),
    st.sampled_from([np.int64(0), np.int8(-1), np.bool_(True), True, False]),
    any_float,
    not_a_number,
)
bad_size = st.one_of(bad_positive_int, st.none())
# Not a fraction in [0, 1).
bad_fraction = st.one_of(
    any_float.filter(lambda v: not 0 <= v < 1),
    st.booleans(),
    st.none(),
    not_a_number,
)
bad_fraction_closed = st.one_of(any_float.filter(lambda v: not 0 <= v <= 1), st.booleans(), st.none(), not_a_number)
bad_non_negative = st.one_of(any_float.filter(lambda v: not v >= 0 or math.isinf(v)), st.booleans(), not_a_number)
bad_flag = st.one_of(st.integers(), any_float, st.none(), st.text(max_size=3), not_a_number)


def bad_name(valid, none_ok=False):
    names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10)
    others = [names, st.integers(), any_float, st.booleans(), not_a_number]
    if not none_ok:
        others.append(st.none())
    return st.one_of(*others).filter(lambda v: not (isinstance(v, str) and v.lower() in valid))


def bad_pair():
    return st.one_of(
        bad_positive_int.filter(lambda v: not isinstance(v, (list, tuple)) or len(v) != 2),
        st.tuples(bad_positive_int, st.integers(1, 3)),
        st.tuples(st.integers(1, 3), bad_positive_int),
        st.lists(st.integers(1, 3), min_size=3, max_size=4),
    )


bad_shape = st.one_of(
    st.none(),
    st.tuples(),
    st.lists(st.integers(max_value=0), min_size=1, max_size=3),
    st.tuples(st.integers(1, 4), bad_positive_int),
    any_float,
    st.booleans(),
    st.text(max_size=3),
)


@st.composite
def bad_x(draw):
    """Arrays (and things) that are not a batch of (8, 8, 1) finite numbers."""
    kind = draw(st.sampled_from(["nan", "shape", "empty", "dtype", "junk", "ragged"]))
    if kind == "nan":
        x = X.astype(draw(st.sampled_from([np.float16, np.float32, np.float64])))
        index = tuple(draw(st.integers(0, d - 1)) for d in x.shape)
        x[index] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        return x
    if kind == "shape":
        shape = draw(st.lists(st.integers(1, 9), min_size=1, max_size=5).map(tuple))
        if shape[1:] == (8, 8, 1):
            shape = (*shape, 1)
        return np.ones(shape, dtype=draw(st.sampled_from([np.float32, np.uint8, np.int64])))
    if kind == "empty":
        return np.ones(draw(st.sampled_from([(0, 8, 8, 1), (0,), (3, 0, 8, 1), (0, 0)])), dtype=np.float32)
    if kind == "dtype":
        return X.astype(draw(st.sampled_from([object, str, complex, "datetime64[s]", "V4"])))
    if kind == "ragged":
        return [X[0].tolist(), X[1, :4].tolist()]
    return draw(st.one_of(st.none(), any_float, st.integers(), st.booleans(), not_a_number))


@st.composite
def bad_one_hot(draw):
    kind = draw(st.sampled_from(["width", "length", "nan", "labels", "junk"]))
    if kind == "width":
        return np.ones((N, draw(st.sampled_from([1, 2, 4, 10]))), dtype=np.float32)
    if kind == "length":
        return Y[: draw(st.sampled_from([1, 9]))] if draw(st.booleans()) else np.concatenate([Y, Y[:1]])
    if kind == "nan":
        return with_value(
            Y, (draw(st.integers(0, N - 1)), draw(st.integers(0, 2))), draw(st.sampled_from([np.nan, np.inf]))
        )
    if kind == "labels":
        return LABELS
    return draw(bad_x())


@st.composite
def bad_labels(draw):
    kind = draw(st.sampled_from(["range", "fraction", "shape", "junk"]))
    if kind == "range":
        value = draw(st.one_of(st.integers(-(2**62), -1), st.integers(3, 2**62)))
        return with_value(LABELS, draw(st.integers(0, N - 1)), value)
    if kind == "fraction":
        labels = LABELS.astype(np.float64)
        labels[draw(st.integers(0, N - 1))] += draw(st.floats(0.01, 0.99))
        return labels
    if kind == "shape":
        return np.zeros(draw(st.sampled_from([(N, 2), (N, 3), (N - 1,), (N, 1, 1)])), dtype=np.int64)
    return draw(bad_x())


@st.composite
def bad_class_labels(draw):
    """Not labels in [0, 3): out of range, fractional, NaN, or not numbers at all (any shape is fine)."""
    kind = draw(st.sampled_from(["range", "fraction", "nan", "junk"]))
    if kind in ("range", "fraction"):
        labels = draw(bad_labels().filter(lambda y: isinstance(y, np.ndarray) and y.shape == (N,)))
        return labels if kind == "range" or labels.dtype.kind == "f" else labels + 0.5
    if kind == "nan":
        return with_value(
            LABELS.astype(np.float32), draw(st.integers(0, N - 1)), draw(st.sampled_from([np.nan, -np.inf]))
        )
    return draw(
        st.one_of(
            st.none(), st.text(max_size=3), st.sampled_from([_object_array(), np.array(["a"]), [[1], [2, 3]], {1: 2}])
        )
    )


def _fits(value, weight):
    """Would ``value`` be a valid replacement for ``weight`` (a list of ints of the right length, say)?"""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        return False
    return arr.shape == weight.shape and arr.dtype.kind in "iuf"


@st.composite
def bad_weights(draw):
    weights = [w.copy() for w in tiny().get_weights()]
    kind = draw(st.sampled_from(["count", "entry", "container"]))
    if kind == "count":
        return weights[: draw(st.integers(0, 3))] if draw(st.booleans()) else [*weights, weights[-1]]
    if kind == "container":
        return draw(st.one_of(st.none(), st.integers(), st.text(max_size=3), st.just(np.zeros(4)), st.just({"w": 1})))
    i = draw(st.integers(0, len(weights) - 1))
    bad = draw(
        st.one_of(
            st.just(np.zeros((weights[i].size + 1,), dtype=np.float32)),
            st.just(weights[i].astype(draw(st.sampled_from([object, str, complex, bool])))),
            st.just(with_value(weights[i], (0,) * weights[i].ndim, draw(st.sampled_from([np.nan, np.inf, 1e300])))),
            st.none(),
            any_float,
            not_a_number.filter(lambda v: not _fits(v, weights[i])),
        )
    )
    weights[i] = bad
    return weights


FIT_KW = {
    "batch_size": bad_positive_int,
    "epochs": st.one_of(bad_size, st.integers(max_value=0)),
    "validation_split": bad_fraction,
    # Keras also takes a list of epoch numbers (from 1): only lists that are not one are bad.
    "validation_freq": bad_size.filter(
        lambda v: not (isinstance(v, (list, tuple)) and v and all(isinstance(e, int) and e >= 1 for e in v))
    ),
    "initial_epoch": st.one_of(st.integers(max_value=-1), st.integers(min_value=1, max_value=2**70), any_float),
    "verbose": st.one_of(
        st.integers().filter(lambda v: v not in (0, 1, 2)), st.text(max_size=3).filter(lambda s: s != "auto")
    ),
    "callbacks": st.one_of(
        st.integers(),
        st.text(max_size=3),
        st.lists(st.integers(), min_size=1, max_size=2),
        st.just(callbacks.History()),
    ),
    "validation_data": st.one_of(
        st.none().map(lambda _: {"x": X}),
        st.integers(),
        bad_x().map(lambda x: (x, Y)),
        bad_one_hot().map(lambda y: (X, y)),
        st.just(()),
    ),
    "validation_batch_size": bad_positive_int,
}


def not_a_target_shape(v):
    """Reshape's target: ints > 0 with at most one -1; anything else is malformed."""
    if not isinstance(v, (tuple, list)) or not all(is_int(d) for d in v):
        return v is not None
    return v.count(-1) > 1 or any(d == 0 or d < -1 for d in v)


# (entry point, strategy for the malformed argument, call)
ENTRY_POINTS = {
    "Conv2D.filters": (st.one_of(bad_positive_int, st.none()), lambda v: Conv2D(v, 3)),
    "Conv2D.kernel_size": (bad_pair(), lambda v: Conv2D(2, v)),
    "Conv2D.strides": (bad_pair(), lambda v: Conv2D(2, 3, strides=v)),
    "Conv2D.padding": (bad_name({"valid", "same"}), lambda v: Conv2D(2, 3, padding=v)),
    "Conv2D.data_format": (
        bad_name({"channels_last", "channels_first"}, none_ok=True),
        lambda v: Conv2D(2, 3, data_format=v),
    ),
    "Conv2D.activation": (bad_name(ACTIVATIONS, none_ok=True), lambda v: Conv2D(2, 3, activation=v)),
    "Conv2D.kernel_initializer": (
        st.one_of(st.text(alphabet="xyz", min_size=1, max_size=4), st.integers(), any_float, st.booleans()),
        lambda v: Conv2D(2, 3, kernel_initializer=v),
    ),
    "Conv2D.input_shape": (bad_shape.filter(lambda v: v is not None), lambda v: Conv2D(2, 3, input_shape=v)),
    "Conv2D.kernel_vs_input": (st.integers(9, 2**62), lambda v: Sequential([Conv2D(2, v, input_shape=(8, 8, 1))])),
    "Conv2D.same_padding_huge_kernel": (
        huge,
        lambda v: Sequential([Conv2D(2, v, padding="same", input_shape=(8, 8, 1))]),
    ),
    "Dense.units": (bad_size, lambda v: Dense(v)),
    "Dense.units_huge": (huge, lambda v: Sequential([Dense(v, input_shape=(16,))])),
    "Dense.use_bias": (bad_flag, lambda v: Dense(2, use_bias=v)),
    "Dense.dtype": (
        st.one_of(
            st.sampled_from(["int32", "uint8", "bool", "complex64", "U3", object, int, "float128x"]), st.integers()
        ),
        lambda v: Dense(2, dtype=v),
    ),
    "Dense.trainable": (bad_flag, lambda v: Dense(2, trainable=v)),
    "Dropout.rate": (bad_fraction, lambda v: Dropout(v)),
    "Dropout.seed": (
        st.one_of(st.integers(max_value=-1), any_float, st.text(max_size=2), st.booleans()),
        lambda v: Dropout(0.5, seed=v),
    ),
    "Dropout.noise_shape": (
        st.one_of(st.integers(), st.text(max_size=2), st.lists(st.integers(max_value=0), min_size=1, max_size=3)),
        lambda v: Dropout(0.5, noise_shape=v),
    ),
    "MaxPooling2D.pool_size": (bad_pair(), lambda v: MaxPooling2D(v)),
    "MaxPooling2D.pool_vs_input": (st.integers(9, 2**62), lambda v: Sequential([Input((8, 8, 1)), MaxPooling2D(v)])),
    "Reshape.target_shape": (
        st.one_of(bad_shape, st.lists(st.integers(-5, 0), min_size=1, max_size=3)).filter(not_a_target_shape),
        lambda v: Sequential([Reshape(v, input_shape=(8,))]),
    ),
    "Input.shape": (bad_shape, lambda v: Input(shape=v)),
    "Sequential.layers": (
        st.one_of(st.integers(), st.text(max_size=3), st.lists(st.integers(), min_size=1, max_size=2)),
        Sequential,
    ),
    "Sequential.add": (
        st.one_of(st.none(), st.integers(), st.text(max_size=3), not_a_number),
        lambda v: Sequential().add(v),
    ),
    "compile.loss": (bad_name(LOSSES), lambda v: tiny().compile(loss=v)),
    "compile.optimizer": (bad_name(OPTIMIZERS, none_ok=True), lambda v: tiny().compile(loss="mse", optimizer=v)),
    "compile.metrics": (
        st.one_of(st.text(max_size=3), st.lists(bad_name(METRICS), min_size=1, max_size=2)),
        lambda v: tiny().compile(loss="mse", metrics=v),
    ),
    "Adam.learning_rate": (
        st.one_of(any_float.filter(lambda v: not v >= 0 or math.isinf(v)), st.booleans(), not_a_number),
        lambda v: optimizers.Adam(learning_rate=v),
    ),
    "Adam.beta_1": (bad_fraction, lambda v: optimizers.Adam(beta_1=v)),
    "Adam.epsilon": (bad_non_negative, lambda v: optimizers.Adam(epsilon=v)),
    "SGD.momentum": (bad_fraction_closed, lambda v: optimizers.SGD(momentum=v)),
    "to_categorical.y": (bad_class_labels(), lambda v: utils.to_categorical(v, 3)),
    "to_categorical.num_classes": (bad_positive_int, lambda v: utils.to_categorical([0, 1], v)),
    "to_categorical.huge_label": (huge, lambda v: utils.to_categorical([0, v])),
    "load_model.filepath": (
        st.one_of(st.none(), st.integers(), any_float, st.lists(st.text(max_size=2), max_size=2)),
        load_model,
    ),
    "EarlyStopping.patience": (
        st.one_of(st.integers(max_value=-1), any_float, st.text(max_size=2), st.booleans()),
        lambda v: callbacks.EarlyStopping(patience=v),
    ),
    "EarlyStopping.min_delta": (
        st.one_of(any_float.filter(lambda v: not math.isfinite(v)), st.text(max_size=2), st.none(), st.booleans()),
        lambda v: callbacks.EarlyStopping(min_delta=v),
    ),
    "ModelCheckpoint.filepath": (
        st.one_of(st.none(), st.integers(), st.sampled_from(["{}.npz", "{0}.npz", "{epoch.npz", "}{", ""])),
        lambda v: callbacks.ModelCheckpoint(v),
    ),
    "ReduceLROnPlateau.factor": (
        st.one_of(any_float.filter(lambda v: not 0 < v < 1), st.text(max_size=2), st.booleans()),
        lambda v: callbacks.ReduceLROnPlateau(factor=v),
    ),
}

# Entry points on the trained models: ``call(models, value)``.
MODEL_ENTRY_POINTS = {
    "fit.x": (bad_x(), lambda m, v: m.cat.fit(v, Y, verbose=0)),
    "fit.y": (bad_one_hot(), lambda m, v: m.cat.fit(X, v, verbose=0)),
    "fit.y_sparse": (bad_labels(), lambda m, v: m.sparse.fit(X, v, verbose=0)),
    "evaluate.x": (bad_x(), lambda m, v: m.cat.evaluate(v, Y, verbose=0)),
    "evaluate.y": (bad_one_hot(), lambda m, v: m.cat.evaluate(X, v, verbose=0)),
    "evaluate.batch_size": (bad_positive_int, lambda m, v: m.cat.evaluate(X, Y, batch_size=v, verbose=0)),
    "predict.x": (bad_x(), lambda m, v: m.cat.predict(v)),
    "predict.batch_size": (bad_positive_int, lambda m, v: m.cat.predict(X, batch_size=v)),
    "train_on_batch.x": (bad_x(), lambda m, v: m.cat.train_on_batch(v, Y)),
    "set_weights": (bad_weights(), lambda m, v: m.cat.set_weights(v)),
    "add": (st.one_of(st.none(), st.integers(), not_a_number), lambda m, v: m.cat.add(v)),
    "build": (bad_shape, lambda m, v: m.cat.build(v if v is not None else 3)),
    "save.filepath": (st.one_of(st.none(), st.integers(), any_float, st.just([])), lambda m, v: m.cat.save(v)),
}
MODEL_ENTRY_POINTS.update(
    {
        f"fit.{name}": (strategy, lambda m, v, name=name: m.cat.fit(X, Y, **{name: v}, verbose=0))
        for name, strategy in FIT_KW.items()
        if name != "verbose"
    }
)
MODEL_ENTRY_POINTS["fit.verbose"] = (FIT_KW["verbose"], lambda m, v: m.cat.fit(X, Y, verbose=v))


# What a clear message says: which argument (or label, or weight) is wrong.
CLEAR = re.compile(r"argument '|label value of|Cannot create weight|unexpected keyword|No model file|has no layers")


class Timeout(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds):
    """Turn a hang into a failure (SIGALRM, main thread only)."""

    def expire(signum, frame):
        raise Timeout(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def expect_clear_error(call, *args):
    with time_limit(10), pytest.raises((ValueError, TypeError)) as caught:
        call(*args)
    assert CLEAR.search(str(caught.value)), str(caught.value)


FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


def test_fuzz_covers_every_entry_point_listed_in_the_docstring():
    assert len(ENTRY_POINTS) + len(MODEL_ENTRY_POINTS) == 61


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_fuzz_constructors_and_functions(entry):
    strategy, call = ENTRY_POINTS[entry]

    @FUZZ
    @given(value=strategy)
    def run(value):
        expect_clear_error(call, value)

    run()


@pytest.mark.parametrize("entry", sorted(MODEL_ENTRY_POINTS))
def test_fuzz_model_methods_leave_weights_and_optimizer_unchanged(entry):
    strategy, call = MODEL_ENTRY_POINTS[entry]
    models = Models()

    @FUZZ
    @given(value=strategy)
    def run(value):
        expect_clear_error(call, models, value)
        models.assert_unchanged()

    run()
