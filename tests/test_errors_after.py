"""Bad input to ``evaluate``/``predict``/``__call__``/``*_on_batch``, ``set_weights``, ``to_categorical``, model
files, callbacks and settings gives a clear ValueError/TypeError naming the argument, before anything changes:
the table and the snapshot check of ``tests/test_errors.py``."""

from __future__ import annotations

import math
import tempfile

import numpy as np
import pytest
from _bad_input import (  # the shared data, models and snapshots
    LABELS,
    X_INF,
    X_NAN,
    R,
    T,
    V,
    W,
    X,
    Y,
    assert_refused,
    assert_table,
    with_value,
)

from numcnn import backend, callbacks, losses, utils
from numcnn.models import load_model

CASES = [
    # -- evaluate, predict, __call__, train/test_on_batch ------------------------------------------
    R(V, "'x'.*NaN", lambda m: m.cat.evaluate(X_NAN, Y, verbose=0), id="evaluate-x-nan"),
    R(V, "'batch_size'", lambda m: m.cat.evaluate(X, Y, batch_size=0, verbose=0), id="evaluate-batch-size"),
    R(
        V,
        "label value of 3 ",
        lambda m: m.sparse.evaluate(X, with_value(LABELS, 9, 3), verbose=0),
        id="evaluate-label-range",
    ),
    R(
        T,
        "'return_dict'",
        lambda m: m.cat.evaluate(X, Y, verbose=0, return_dict="yes"),
        id="evaluate-return-dict",
    ),
    R(T, "'x'.*x=None", lambda m: m.cat.predict(None), id="predict-none"),
    R(V, "'x'.*batch axis: x\\[None\\]", lambda m: m.cat.predict(X[0]), id="predict-single-sample"),
    R(V, "'x'.*\\(None, 8, 8, 1\\)", lambda m: m.cat.predict(np.ones((2, 64))), id="predict-flat-images"),
    R(V, "'batch_size'", lambda m: m.cat.predict(X, batch_size=-1), id="predict-batch-size"),
    R(V, "'verbose'", lambda m: m.cat.predict(X, verbose=7), id="predict-verbose"),
    R(V, "'x'.*NaN", lambda m: m.cat(X_NAN), id="call-nan"),
    R(V, "'y'.*as many samples", lambda m: m.cat.train_on_batch(X, Y[:3]), id="train-on-batch-lengths"),
    R(V, "'x'.*inf", lambda m: m.cat.test_on_batch(X_INF, Y), id="test-on-batch-inf"),
    # -- set_weights ------------------------------------------------------------------------------
    R(T, "'weights'", lambda m: m.cat.set_weights(None), id="set-weights-none"),
    R(T, "'weights'", lambda m: m.cat.set_weights(np.zeros(4)), id="set-weights-array"),
    R(T, "'weights'", lambda m: m.cat.set_weights({"kernel": 0}), id="set-weights-dict"),
    R(V, "'weights'.*4 arrays.*3 arrays", lambda m: m.cat.set_weights(W(m)[:-1]), id="set-weights-too-few"),
    R(V, "'weights'.*4 arrays.*5 arrays", lambda m: m.cat.set_weights([*W(m), W(m)[0]]), id="set-weights-too-many"),
    R(
        V,
        "'weights\\[0\\]'.*\\(3, 3, 1, 4\\).*\\(4, 1, 3, 3\\)",
        lambda m: m.cat.set_weights([w.T for w in W(m)]),
        id="set-weights-transposed",
    ),
    R(T, "'weights\\[0\\]'.*<U", lambda m: m.cat.set_weights([w.astype(str) for w in W(m)]), id="set-weights-str"),
    R(
        T,
        "'weights\\[0\\]'.*object",
        lambda m: m.cat.set_weights([w.astype(object) for w in W(m)]),
        id="set-weights-object",
    ),
    R(T, "'weights\\[0\\]'.*bool", lambda m: m.cat.set_weights([w > 0 for w in W(m)]), id="set-weights-bool"),
    R(
        T,
        "'weights\\[0\\]'.*complex",
        lambda m: m.cat.set_weights([w.astype(complex) for w in W(m)]),
        id="set-weights-complex",
    ),
    R(T, "'weights\\[1\\]'", lambda m: m.cat.set_weights([W(m)[0], None, *W(m)[2:]]), id="set-weights-none-entry"),
    R(
        V,
        "'weights\\[1\\]'.*finite",
        lambda m: m.cat.set_weights([*W(m)[:3], with_value(W(m)[3], 0, np.nan)]),
        id="set-weights-nan-last",
    ),
    R(
        V,
        "too large for float32",
        lambda m: m.cat.set_weights([with_value(W(m)[0], (0, 0, 0, 0), 1e300), *W(m)[1:]]),
        id="set-weights-overflow",
    ),
    R(
        T,
        "'weights\\[0\\]'.*not an array",
        lambda m: m.cat.set_weights([[[1.0], [2.0, 3.0]], *W(m)[1:]]),
        id="set-weights-ragged",
    ),
    R(
        V,
        "'weights\\[1\\]'.*\\(3,\\).*\\(2,\\)",
        lambda m: m.cat.set_weights(tuple([w.tolist() for w in W(m)][:3] + [[0.0, 0.0]])),
        id="set-weights-tuple-of-lists-bad-shape",
    ),
    # -- to_categorical ---------------------------------------------------------------------------
    R(
        V,
        "Received a label value of 12 which is outside the valid range of \\[0, 10\\)",
        lambda m: utils.to_categorical([1, 12], 10),
        id="to-categorical-too-large",
    ),
    R(V, "label value of -1", lambda m: utils.to_categorical([-1, 2], 10), id="to-categorical-negative"),
    R(V, "'y'.*integer class labels", lambda m: utils.to_categorical([1.5], 3), id="to-categorical-fraction"),
    R(T, "'y'", lambda m: utils.to_categorical(["a"], 3), id="to-categorical-str"),
    R(T, "'y'", lambda m: utils.to_categorical(None), id="to-categorical-none"),
    R(T, "'y'.*not an array", lambda m: utils.to_categorical([[1], [2, 3]]), id="to-categorical-ragged"),
    R(V, "'num_classes'", lambda m: utils.to_categorical([1], 0), id="to-categorical-num-classes-0"),
    R(T, "'num_classes'", lambda m: utils.to_categorical([1], 3.0), id="to-categorical-num-classes-float"),
    R(V, "'dtype'", lambda m: utils.to_categorical([1], 3, dtype="str"), id="to-categorical-dtype"),
    R(V, "'num_classes'.*memory", lambda m: utils.to_categorical([2**40]), id="to-categorical-huge-label"),
    # -- model files ------------------------------------------------------------------------------
    R(V, "No model file", lambda m: load_model("/nonexistent-numcnn/model.npz"), id="load-missing-file"),
    R(T, "'filepath'", lambda m: load_model(None), id="load-none"),
    R(T, "'filepath'", lambda m: load_model(3), id="load-int"),
    R(V, "'filepath'", lambda m: load_model(""), id="load-empty-path"),
    R(T, "'filepath'", lambda m: m.cat.save(None), id="save-none"),
    R(V, "'filepath'.*folder", lambda m: m.cat.save(tempfile.gettempdir()), id="save-to-folder"),
    R(T, "'filepath'", lambda m: m.cat.load_weights(["w.npz"]), id="load-weights-list"),
    # -- callbacks --------------------------------------------------------------------------------
    R(V, "'patience'", lambda m: callbacks.EarlyStopping(patience=-1), id="early-stopping-patience"),
    R(T, "'patience'", lambda m: callbacks.EarlyStopping(patience=1.5), id="early-stopping-patience-float"),
    R(V, "'min_delta'", lambda m: callbacks.EarlyStopping(min_delta=math.nan), id="early-stopping-min-delta-nan"),
    R(T, "'min_delta'", lambda m: callbacks.EarlyStopping(min_delta="0.1"), id="early-stopping-min-delta-str"),
    R(V, "'mode'", lambda m: callbacks.EarlyStopping(mode="minimum"), id="early-stopping-mode"),
    R(T, "'monitor'", lambda m: callbacks.EarlyStopping(monitor=None), id="early-stopping-monitor"),
    R(T, "'baseline'", lambda m: callbacks.EarlyStopping(baseline="0.5"), id="early-stopping-baseline"),
    R(
        T,
        "'restore_best_weights'",
        lambda m: callbacks.EarlyStopping(restore_best_weights="yes"),
        id="early-stopping-restore",
    ),
    R(V, "'start_from_epoch'", lambda m: callbacks.EarlyStopping(start_from_epoch=-2), id="early-stopping-start"),
    R(V, "'verbose'", lambda m: callbacks.EarlyStopping(verbose=5), id="early-stopping-verbose"),
    R(T, "'filepath'", lambda m: callbacks.ModelCheckpoint(None), id="checkpoint-path-none"),
    R(V, "'filepath'", lambda m: callbacks.ModelCheckpoint("ckpt-{}.npz"), id="checkpoint-positional-field"),
    R(V, "'filepath'", lambda m: callbacks.ModelCheckpoint("ckpt-{epoch.npz"), id="checkpoint-malformed-field"),
    R(V, "'filepath'.*folder", lambda m: callbacks.ModelCheckpoint(tempfile.gettempdir()), id="checkpoint-folder"),
    R(V, "'save_freq'", lambda m: callbacks.ModelCheckpoint("m.npz", save_freq=0), id="checkpoint-save-freq"),
    R(V, "'filepath'.*suffix", lambda m: callbacks.ModelCheckpoint("ckpt.txt"), id="checkpoint-unknown-suffix"),
    R(
        V,
        "'filepath'.*weights.h5",
        lambda m: callbacks.ModelCheckpoint("w.keras", save_weights_only=True),
        id="checkpoint-weights-to-keras",
    ),
    R(
        V,
        "'filepath'.*save_weights",
        lambda m: callbacks.ModelCheckpoint("m.weights.h5"),
        id="checkpoint-model-to-weights",
    ),
    R(
        T,
        "'save_best_only'",
        lambda m: callbacks.ModelCheckpoint("m.npz", save_best_only="yes"),
        id="checkpoint-best-only",
    ),
    R(V, "'mode'", lambda m: callbacks.ModelCheckpoint("m.npz", mode="best"), id="checkpoint-mode"),
    R(V, "'factor'", lambda m: callbacks.ReduceLROnPlateau(factor=1.0), id="reduce-lr-factor-1"),
    R(V, "'factor'", lambda m: callbacks.ReduceLROnPlateau(factor=math.nan), id="reduce-lr-factor-nan"),
    R(V, "'min_lr'", lambda m: callbacks.ReduceLROnPlateau(min_lr=-1), id="reduce-lr-min-lr"),
    R(T, "'cooldown'", lambda m: callbacks.ReduceLROnPlateau(cooldown="2"), id="reduce-lr-cooldown"),
    R(V, "'verbose'", lambda m: callbacks.ProgbarLogger(verbose=3), id="progbar-verbose"),
    # -- settings ---------------------------------------------------------------------------------
    R(V, "'seed'", lambda m: utils.set_random_seed(-1), id="seed-negative"),
    R(T, "'seed'", lambda m: utils.set_random_seed("42"), id="seed-str"),
    R(V, "'loss'.*'hinge_loss'", lambda m: losses.get("hinge_loss"), id="loss-get-unknown"),
    R(V, "'data_format'", lambda m: backend.set_image_data_format("nchw"), id="set-data-format"),
]


def test_the_table_counts_what_the_module_docstring_says():
    assert_table(CASES, 73)


@pytest.mark.parametrize(("error", "match", "call"), CASES)
def test_bad_input_raises_a_clear_error_and_changes_nothing(models, error, match, call):
    assert_refused(models, error, match, call)
