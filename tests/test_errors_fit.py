"""Bad input to ``fit`` — its ``x``, its ``y`` and its keyword arguments — gives a clear ValueError/TypeError
naming the argument, before anything changes: the table and the snapshot check of ``tests/test_errors.py``."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _bad_input import (  # the shared data, models and snapshots
    LABELS,
    X_HUGE,
    X_INF,
    X_NAN,
    N,
    R,
    T,
    V,
    X,
    Y,
    assert_refused,
    assert_table,
    compiled_without_optimizer,
    uncompiled,
    with_value,
)

from numcnn import callbacks, utils

CASES = [
    # -- fit: x -----------------------------------------------------------------------------------
    R(T, "'x'.*x=None", lambda m: m.cat.fit(None, Y, verbose=0), id="fit-x-none"),
    R(T, "'x'.*x='images'", lambda m: m.cat.fit("images", Y, verbose=0), id="fit-x-str"),
    R(T, "'x'.*dtype object", lambda m: m.cat.fit(X.astype(object), Y, verbose=0), id="fit-x-object"),
    R(T, "'x'.*dtype <U", lambda m: m.cat.fit(X.astype(str), Y, verbose=0), id="fit-x-str-array"),
    R(T, "'x'.*complex", lambda m: m.cat.fit(X.astype(complex), Y, verbose=0), id="fit-x-complex"),
    R(V, "'x'.*finite.*NaN", lambda m: m.cat.fit(X_NAN, Y, verbose=0), id="fit-x-nan"),
    R(V, "'x'.*finite.*inf", lambda m: m.cat.fit(X_INF, Y, verbose=0), id="fit-x-inf"),
    R(
        V,
        "'x'.*too large for float32",
        lambda m: m.cat.fit(X_HUGE, Y, verbose=0),
        id="fit-x-f32-overflow",
    ),
    R(
        V,
        "'x'.*\\(None, 8, 8, 1\\).*x.shape=\\(10, 8, 8\\).*channel",
        lambda m: m.cat.fit(X[..., 0], Y, verbose=0),
        id="fit-x-no-channel",
    ),
    R(V, "'x'.*x.shape=\\(10, 8, 8, 1, 1\\)", lambda m: m.cat.fit(X[..., None], Y, verbose=0), id="fit-x-extra-axis"),
    R(V, "'x'.*x.shape=\\(10, 9, 9, 1\\)", lambda m: m.cat.fit(np.ones((N, 9, 9, 1)), Y, verbose=0), id="fit-x-hw"),
    R(
        V,
        "'x'.*x.shape=\\(10, 8, 8, 3\\)",
        lambda m: m.cat.fit(np.ones((N, 8, 8, 3)), Y, verbose=0),
        id="fit-x-channels",
    ),
    R(V, "'x'.*at least one sample", lambda m: m.cat.fit(X[:0], Y[:0], verbose=0), id="fit-x-empty"),
    R(V, "'x'.*batch axis", lambda m: m.cat.fit(3.0, Y, verbose=0), id="fit-x-scalar"),
    R(T, "'x'.*not an array", lambda m: m.cat.fit([[1.0, 2.0], [3.0]], Y, verbose=0), id="fit-x-ragged"),
    R(V, "'x'.*keys \\['input_layer", lambda m: m.cat.fit({"x": X}, Y, verbose=0), id="fit-x-dict"),
    # -- fit: y -----------------------------------------------------------------------------------
    R(T, "'y'.*y=None", lambda m: m.cat.fit(X, None, verbose=0), id="fit-y-none"),
    R(V, "'y'.*as many samples as x \\(10\\).*9", lambda m: m.cat.fit(X, Y[:9], verbose=0), id="fit-xy-lengths"),
    R(
        V,
        "'y'.*\\(10, 3\\).*y.shape=\\(10, 4\\)",
        lambda m: m.cat.fit(X, utils.to_categorical(LABELS, 4), verbose=0),
        id="fit-one-hot-width",
    ),
    R(V, "'y'.*to_categorical", lambda m: m.cat.fit(X, LABELS, verbose=0), id="fit-labels-for-categorical"),
    R(V, "'y'.*finite", lambda m: m.cat.fit(X, with_value(Y, (2, 1), np.nan), verbose=0), id="fit-y-nan"),
    R(T, "'y'.*object", lambda m: m.cat.fit(X, Y.astype(object), verbose=0), id="fit-y-object"),
    R(
        V,
        "'y'.*too large",
        lambda m: m.cat.fit(X, with_value(Y, (0, 0), 1e39), verbose=0),
        id="fit-y-f32-overflow",
    ),
    R(
        V,
        "Received a label value of 12 which is outside the valid range of \\[0, 3\\)",
        lambda m: m.sparse.fit(X, with_value(LABELS, 4, 12), verbose=0),
        id="sparse-label-too-large",
    ),
    R(
        V,
        "label value of -1 .*\\[0, 3\\)",
        lambda m: m.sparse.fit(X, with_value(LABELS, 0, -1), verbose=0),
        id="sparse-label-negative",
    ),
    R(V, "'y'.*integer class labels", lambda m: m.sparse.fit(X, LABELS + 0.5, verbose=0), id="sparse-label-fraction"),
    R(V, "'y'.*categorical_crossentropy", lambda m: m.sparse.fit(X, Y, verbose=0), id="sparse-given-one-hot"),
    R(T, "'y'", lambda m: m.sparse.fit(X, LABELS.astype(str), verbose=0), id="sparse-label-str"),
    R(
        V,
        "'y'.*finite",
        lambda m: m.sparse.fit(X, with_value(LABELS.astype(float), 1, np.inf), verbose=0),
        id="sparse-label-inf",
    ),
    # -- fit: keyword arguments -------------------------------------------------------------------
    R(V, "'batch_size'.*batch_size=0", lambda m: m.cat.fit(X, Y, batch_size=0, verbose=0), id="fit-batch-size-0"),
    R(V, "'batch_size'", lambda m: m.cat.fit(X, Y, batch_size=-32, verbose=0), id="fit-batch-size-negative"),
    R(T, "'batch_size'", lambda m: m.cat.fit(X, Y, batch_size=32.0, verbose=0), id="fit-batch-size-float"),
    R(T, "'batch_size'", lambda m: m.cat.fit(X, Y, batch_size=True, verbose=0), id="fit-batch-size-bool"),
    R(T, "'batch_size'", lambda m: m.cat.fit(X, Y, batch_size="32", verbose=0), id="fit-batch-size-str"),
    R(V, "'epochs'.*epochs=0", lambda m: m.cat.fit(X, Y, epochs=0, verbose=0), id="fit-epochs-0"),
    R(V, "'epochs'", lambda m: m.cat.fit(X, Y, epochs=-1, verbose=0), id="fit-epochs-negative"),
    R(T, "'epochs'", lambda m: m.cat.fit(X, Y, epochs=2.5, verbose=0), id="fit-epochs-float"),
    R(T, "'epochs'", lambda m: m.cat.fit(X, Y, epochs=None, verbose=0), id="fit-epochs-none"),
    R(T, "'epochs'", lambda m: m.cat.fit(X, Y, epochs=np.float32(3), verbose=0), id="fit-epochs-numpy-float"),
    R(
        V,
        "'validation_split'.*\\[0.0, 1.0\\)",
        lambda m: m.cat.fit(X, Y, validation_split=1.0, verbose=0),
        id="fit-split-1",
    ),
    R(V, "'validation_split'", lambda m: m.cat.fit(X, Y, validation_split=-0.2, verbose=0), id="fit-split-negative"),
    R(V, "'validation_split'", lambda m: m.cat.fit(X, Y, validation_split=math.nan, verbose=0), id="fit-split-nan"),
    R(T, "'validation_split'", lambda m: m.cat.fit(X, Y, validation_split="0.2", verbose=0), id="fit-split-str"),
    R(
        V,
        "'validation_split'.*training",
        lambda m: m.cat.fit(X, Y, validation_split=0.99, verbose=0),
        id="fit-split-no-training",
    ),
    R(
        V,
        "'validation_split'.*validation sample",
        lambda m: m.cat.fit(X, Y, validation_split=1e-17, verbose=0),
        id="fit-split-no-val",
    ),
    R(V, "'verbose'", lambda m: m.cat.fit(X, Y, verbose=3), id="fit-verbose-3"),
    R(T, "'verbose'", lambda m: m.cat.fit(X, Y, verbose="loud"), id="fit-verbose-str"),
    R(V, "'initial_epoch'", lambda m: m.cat.fit(X, Y, initial_epoch=-1, verbose=0), id="fit-initial-epoch-negative"),
    R(
        V,
        "'initial_epoch'.*epochs=2",
        lambda m: m.cat.fit(X, Y, epochs=2, initial_epoch=5, verbose=0),
        id="fit-initial-epoch-5",
    ),
    R(
        T,
        "'initial_epoch'",
        lambda m: m.cat.fit(X, Y, initial_epoch=True, verbose=0),
        id="fit-initial-epoch-bool",
    ),
    R(
        T,
        "'initial_epoch'",
        lambda m: m.cat.fit(X, Y, initial_epoch="0", verbose=0),
        id="fit-initial-epoch-str",
    ),
    R(V, "'validation_freq'", lambda m: m.cat.fit(X, Y, validation_freq=0, verbose=0), id="fit-validation-freq-0"),
    R(
        T,
        "'callbacks'.*in a list",
        lambda m: m.cat.fit(X, Y, callbacks=callbacks.History(), verbose=0),
        id="fit-callbacks-single",
    ),
    R(
        T,
        "'callbacks'.*instantiate",
        lambda m: m.cat.fit(X, Y, callbacks=[callbacks.EarlyStopping], verbose=0),
        id="fit-callbacks-class",
    ),
    R(T, "'callbacks'", lambda m: m.cat.fit(X, Y, callbacks=["history"], verbose=0), id="fit-callbacks-str"),
    R(T, "'validation_data'", lambda m: m.cat.fit(X, Y, validation_data={"x": X}, verbose=0), id="fit-val-data-dict"),
    R(
        V,
        "'validation_data'",
        lambda m: m.cat.fit(X, Y, validation_data=(X,), verbose=0),
        id="fit-val-data-1",
    ),
    R(
        V,
        "'sample_weight'.*non-negative",
        lambda m: m.cat.fit(X, Y, validation_data=(X, Y, -np.ones(N)), verbose=0),
        id="fit-val-data-weights",
    ),
    R(
        V,
        "'validation_data\\[0\\]'.*shape",
        lambda m: m.cat.fit(X, Y, validation_data=(X[..., 0], Y), verbose=0),
        id="fit-val-x-shape",
    ),
    R(
        V,
        "'x'|'validation_data\\[0\\]'",
        lambda m: m.cat.fit(X, Y, validation_data=(X_NAN, Y), verbose=0),
        id="fit-val-x-nan",
    ),
    R(
        V,
        "'y'|'validation_data\\[1\\]'",
        lambda m: m.cat.fit(X, Y, validation_data=(X, Y[:, :2]), verbose=0),
        id="fit-val-y-width",
    ),
    R(
        V,
        "'y'|'validation_data\\[1\\]'",
        lambda m: m.cat.fit(X, Y, validation_data=(X, Y[:3]), verbose=0),
        id="fit-val-lengths",
    ),
    R(V, "batch_size", lambda m: m.cat.fit(X, Y, validation_batch_size=0, verbose=0), id="fit-val-batch-size"),
    R(T, "'shuffle'", lambda m: m.cat.fit(X, Y, shuffle="no", verbose=0), id="fit-shuffle-str"),
    R(T, "'class_weight'", lambda m: m.cat.fit(X, Y, class_weight="balanced", verbose=0), id="fit-class-weight"),
    R(V, "'steps_per_epoch'", lambda m: m.cat.fit(X, Y, steps_per_epoch=0, verbose=0), id="fit-steps-per-epoch"),
    R(
        V,
        "compile\\(\\)",
        lambda m: uncompiled().fit(np.ones((2, 4)), np.ones((2, 3)), verbose=0),
        id="fit-uncompiled",
    ),
    R(
        V,
        "'optimizer'",
        lambda m: compiled_without_optimizer(m).fit(X, Y, verbose=0),
        id="fit-no-optimizer",
    ),
]


def test_the_table_counts_what_the_module_docstring_says():
    assert_table(CASES, 68)


@pytest.mark.parametrize(("error", "match", "call"), CASES)
def test_bad_input_raises_a_clear_error_and_changes_nothing(models, error, match, call):
    assert_refused(models, error, match, call)
