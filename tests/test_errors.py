"""Bad input gives a clear ValueError/TypeError naming the argument, before anything changes.

``CASES`` is a table of distinct bad inputs, one per row; this file holds the rows for layer and model
construction, ``compile`` and the optimizers, ``tests/test_errors_fit.py`` those for ``fit``'s data and keyword
arguments, ``tests/test_errors_after.py`` those for ``evaluate``/``predict``, ``set_weights``,
``to_categorical``, model files, callbacks and settings. Each row names the exception type and a regex the
message must match (the argument's name); after each row the compiled, once-trained models' weights, optimizer
``iterations`` and optimizer state arrays are bit-for-bit what they were. ``tests/test_fuzz.py`` throws random
malformed values at the same entry points.

Distinct bad inputs: 104 + 68 + 73 = 245 rows in the three tables + 5 in the dedicated
tests below the table (state the snapshot cannot see: unbuilt models, refused adds, shared layers) = 250.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _bad_input import (  # the shared data, models and snapshots
    LABELS,
    RNG,
    N,
    R,
    T,
    V,
    X,
    Y,
    assert_refused,
    assert_table,
    tiny,
)

from numcnn import optimizers, utils
from numcnn.layers import (
    Activation,
    AveragePooling2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    Input,
    MaxPooling2D,
    Reshape,
)
from numcnn.models import Sequential

CASES = [
    # -- Conv2D ------------------------------------------------------------------------------------
    R(V, "'filters'.*positive integer.*filters=0", lambda m: Conv2D(0, 3), id="conv-filters-0"),
    R(T, "'filters'.*filters=True", lambda m: Conv2D(True, 3), id="conv-filters-bool"),
    R(T, "'filters'.*filters=2.0", lambda m: Conv2D(2.0, 3), id="conv-filters-float"),
    R(V, "'dilation_rate'.*dilated", lambda m: Conv2D(2, 3, dilation_rate=2), id="conv-dilation"),
    R(V, "'groups'.*grouped", lambda m: Conv2D(2, 3, groups=2), id="conv-groups"),
    R(T, "'filters'", lambda m: Conv2D("8", 3), id="conv-filters-str"),
    R(V, "'kernel_size'", lambda m: Conv2D(2, 0), id="conv-kernel-0"),
    R(T, "'kernel_size'", lambda m: Conv2D(2, (3, 3, 3)), id="conv-kernel-3-tuple"),
    R(V, "'kernel_size'", lambda m: Conv2D(2, (3, -1)), id="conv-kernel-negative"),
    R(T, "'kernel_size'", lambda m: Conv2D(2, 2.5), id="conv-kernel-float"),
    R(T, "'kernel_size'", lambda m: Conv2D(2, math.nan), id="conv-kernel-nan"),
    R(V, "'strides'", lambda m: Conv2D(2, 3, strides=0), id="conv-strides-0"),
    R(T, "'strides'", lambda m: Conv2D(2, 3, strides="1"), id="conv-strides-str"),
    R(V, "'padding'.*'valid', 'same'.*padding='full'", lambda m: Conv2D(2, 3, padding="full"), id="conv-padding"),
    R(T, "'padding'", lambda m: Conv2D(2, 3, padding=None), id="conv-padding-none"),
    R(V, "'data_format'", lambda m: Conv2D(2, 3, data_format="NHWC"), id="conv-data-format"),
    R(V, "'activation'.*activation='relu7'", lambda m: Conv2D(2, 3, activation="relu7"), id="conv-activation"),
    R(T, "'activation'", lambda m: Conv2D(2, 3, activation=3), id="conv-activation-int"),
    R(V, "'initializer'", lambda m: Conv2D(2, 3, kernel_initializer="glorot"), id="conv-initializer"),
    R(T, "'initializer'", lambda m: Conv2D(2, 3, bias_initializer=0.5), id="conv-initializer-float"),
    R(T, "'name'", lambda m: Conv2D(2, 3, name=""), id="conv-name-empty"),
    R(V, "'input_shape'", lambda m: Conv2D(2, 3, input_shape=(0, 8, 1)), id="conv-input-shape-0"),
    R(T, "'input_shape'", lambda m: Conv2D(2, 3, input_shape=(None, 8, 1)), id="conv-input-shape-none"),
    R(T, "'batch_input_shape'", lambda m: Conv2D(2, 3, batch_input_shape=5), id="conv-batch-input-shape"),
    R(V, "'dtype'", lambda m: Conv2D(2, 3, dtype="int32"), id="conv-dtype-int"),
    R(T, "'dtype'", lambda m: Conv2D(2, 3, dtype="float128x"), id="conv-dtype-unknown"),
    R(T, "'trainable'", lambda m: Conv2D(2, 3, trainable="yes"), id="conv-trainable-str"),
    R(T, "unexpected keyword argument.*filter_size", lambda m: Conv2D(2, 3, filter_size=3), id="conv-unknown-kwarg"),
    # -- Dense, Dropout, pooling, Reshape, Flatten, Activation, Input -----------------------------
    R(V, "'units'.*units=0", lambda m: Dense(0), id="dense-units-0"),
    R(V, "'units'.*units=-3", lambda m: Dense(-3), id="dense-units-negative"),
    R(T, "'units'", lambda m: Dense(np.float64(4)), id="dense-units-numpy-float"),
    R(T, "'units'", lambda m: Dense(None), id="dense-units-none"),
    R(T, "'units'", lambda m: Dense([10]), id="dense-units-list"),
    R(T, "'use_bias'", lambda m: Dense(3, use_bias="no"), id="dense-use-bias-str"),
    R(V, "weight 'kernel'.*memory", lambda m: Sequential([Dense(2**40, input_shape=(16,))]), id="dense-units-huge"),
    R(V, "'rate'.*rate=1.0", lambda m: Dropout(1.0), id="dropout-rate-1"),
    R(V, "'rate'", lambda m: Dropout(-0.1), id="dropout-rate-negative"),
    R(V, "'rate'", lambda m: Dropout(math.nan), id="dropout-rate-nan"),
    R(T, "'rate'", lambda m: Dropout("0.5"), id="dropout-rate-str"),
    R(V, "'seed'", lambda m: Dropout(0.5, seed=-1), id="dropout-seed-negative"),
    R(T, "'seed'", lambda m: Dropout(0.5, seed=1.5), id="dropout-seed-float"),
    R(T, "'noise_shape'", lambda m: Dropout(0.5, noise_shape=3), id="dropout-noise-shape-int"),
    R(V, "'noise_shape'", lambda m: Dropout(0.5, noise_shape=(None, 0)), id="dropout-noise-shape-0"),
    R(
        V,
        "'noise_shape'.*broadcasts",
        lambda m: Sequential([Dense(4, input_shape=(3,)), Dropout(0.5, noise_shape=(None, 5))]),
        id="dropout-noise-shape-mismatch",
    ),
    R(V, "'pool_size'", lambda m: MaxPooling2D(pool_size=0), id="pool-size-0"),
    R(T, "'pool_size'", lambda m: MaxPooling2D(pool_size=(2,)), id="pool-size-1-tuple"),
    R(V, "'strides'", lambda m: MaxPooling2D(strides=-1), id="pool-strides-negative"),
    R(V, "'padding'", lambda m: AveragePooling2D(padding="full"), id="avgpool-padding"),
    R(V, "'target_shape'", lambda m: Reshape((0, 4)), id="reshape-0"),
    R(V, "'target_shape'", lambda m: Reshape((-1, -1)), id="reshape-two-minus-ones"),
    R(T, "'target_shape'", lambda m: Reshape("4x4"), id="reshape-str"),
    R(V, "'target_shape'.*8 elements", lambda m: Sequential([Reshape((5,), input_shape=(8,))]), id="reshape-size"),
    R(V, "'data_format'", lambda m: Flatten(data_format="last"), id="flatten-data-format"),
    R(V, "'activation'", lambda m: Activation("softmaxx"), id="activation-unknown"),
    R(T, "'shape'", lambda m: Input(), id="input-no-shape"),
    R(V, "'shape'.*shape=\\(28, -28, 1\\)", lambda m: Input(shape=(28, -28, 1)), id="input-shape-negative"),
    R(T, "'shape'", lambda m: Input(shape=(28.0, 28)), id="input-shape-float"),
    R(T, "'shape'", lambda m: Input(shape="28x28"), id="input-shape-str"),
    R(T, "'shape'", lambda m: Input(shape=(True, 3)), id="input-shape-bool"),
    R(V, "'batch_size'", lambda m: Input(shape=(3,), batch_size=0), id="input-batch-size"),
    # -- shapes that do not fit: kernels and pools larger than their input, wrong ranks ------------
    R(
        V,
        "'input_shape'.*at least \\(9, 9\\)",
        lambda m: Sequential([Conv2D(2, 9, input_shape=(8, 8, 1))]),
        id="kernel-larger-than-input",
    ),
    R(V, "'input_shape'.*at least", lambda m: Sequential([Input((4, 4, 1)), MaxPooling2D(5)]), id="pool-larger"),
    R(
        V,
        "'input_shape'.*at least \\(3, 3\\).*\\(None, 2, 2, 2\\)",
        lambda m: Sequential([Conv2D(2, 3, input_shape=(8, 8, 1)), Conv2D(2, 3), Conv2D(2, 3), Conv2D(2, 3)]),
        id="output-shrinks-to-nothing",
    ),
    R(
        V,
        "'input_shape'.*at least",
        lambda m: Sequential([Conv2D(2, 3, strides=4, input_shape=(8, 8, 1)), MaxPooling2D(3)]),
        id="strided-output-too-small",
    ),
    R(V, "'input_shape'.*rank 4", lambda m: Sequential([Conv2D(2, 3, input_shape=(8, 8))]), id="conv-rank-3"),
    R(V, "'input_shape'.*rank 4", lambda m: Sequential([Dense(4, input_shape=(8,)), MaxPooling2D()]), id="pool-rank-2"),
    R(
        V,
        "'input_shape'.*GlobalAveragePooling2D",
        lambda m: Sequential([Dense(4, input_shape=(8,)), GlobalAveragePooling2D()]),
        id="global-pool-rank-2",
    ),
    # -- Sequential -------------------------------------------------------------------------------
    R(T, "'layers'", lambda m: Sequential("conv"), id="sequential-layers-str"),
    R(T, "'name'", lambda m: Sequential([Dense(2)], name=3), id="sequential-name-int"),
    R(T, "'layer'", lambda m: m.cat.add("Dense"), id="add-str"),
    R(T, "'layer'", lambda m: m.cat.add(Dense), id="add-class"),
    R(V, "'layer'.*not already in this model", lambda m: m.cat.add(m.cat.layers[0]), id="add-same-instance"),
    R(V, "'layer'.*unique", lambda m: m.cat.add(Dense(3, name=m.cat.layers[-1].name)), id="add-duplicate-name"),
    R(V, "'layer'.*Input", lambda m: m.cat.add(Input((3,))), id="add-input-after-layers"),
    R(V, "'input_shape'.*built for", lambda m: m.cat.build((None, 9, 9, 1)), id="rebuild-other-shape"),
    R(T, "'input_shape'", lambda m: m.cat.build("x"), id="build-str"),
    R(V, "'input_shape'", lambda m: m.cat.build((None, 0, 8, 1)), id="build-zero-size"),
    R(V, "no layers", lambda m: Sequential().build((None, 3)), id="build-empty-model"),
    R(V, "no layers", lambda m: Sequential().predict(X), id="predict-empty-model"),
    R(V, "'line_length'", lambda m: m.cat.summary(line_length=0), id="summary-line-length"),
    R(T, "'print_fn'", lambda m: m.cat.summary(print_fn="print"), id="summary-print-fn"),
    # -- compile ----------------------------------------------------------------------------------
    R(V, "'loss'.*loss='crossentropyy'", lambda m: m.cat.compile(loss="crossentropyy"), id="compile-loss-unknown"),
    R(T, "'loss'", lambda m: m.cat.compile(loss=None, optimizer="adam"), id="compile-loss-none"),
    R(T, "'loss'", lambda m: m.cat.compile(loss=3), id="compile-loss-int"),
    R(V, "'optimizer'.*'lamb'", lambda m: m.cat.compile(loss="mse", optimizer="lamb"), id="compile-opt-unknown"),
    R(T, "'optimizer'", lambda m: m.cat.compile(loss="mse", optimizer=5), id="compile-opt-int"),
    R(
        V,
        "'learning_rate'",
        lambda m: m.cat.compile(loss="mse", optimizer={"class_name": "Adam", "config": {"learning_rate": -1}}),
        id="compile-opt-config",
    ),
    R(T, "'metrics'", lambda m: m.cat.compile(loss="mse", metrics="accuracy"), id="compile-metrics-str"),
    R(V, "'metrics'.*'f1'", lambda m: m.cat.compile(loss="mse", metrics=["f1"]), id="compile-metrics-unknown"),
    R(T, "'metrics'", lambda m: m.cat.compile(loss="mse", metrics=[None]), id="compile-metrics-none"),
    R(T, "unexpected keyword.*jit", lambda m: m.cat.compile(loss="mse", jit=True), id="compile-unknown-kwarg"),
    # -- optimizers -------------------------------------------------------------------------------
    R(V, "'learning_rate'", lambda m: optimizers.Adam(learning_rate=-1e-3), id="adam-lr-negative"),
    R(V, "'learning_rate'", lambda m: optimizers.Adam(learning_rate=math.nan), id="adam-lr-nan"),
    R(T, "'learning_rate'", lambda m: optimizers.Adam(learning_rate="1e-3"), id="adam-lr-str"),
    R(T, "'learning_rate'", lambda m: optimizers.Adam(learning_rate=True), id="adam-lr-bool"),
    R(V, "'beta_1'", lambda m: optimizers.Adam(beta_1=1.0), id="adam-beta1-1"),
    R(V, "'beta_2'", lambda m: optimizers.Adam(beta_2=-0.1), id="adam-beta2-negative"),
    R(V, "'epsilon'", lambda m: optimizers.Adam(epsilon=math.inf), id="adam-epsilon-inf"),
    R(T, "'amsgrad'", lambda m: optimizers.Adam(amsgrad="yes"), id="adam-amsgrad-str"),
    R(V, "'momentum'", lambda m: optimizers.SGD(momentum=1.5), id="sgd-momentum"),
    R(T, "'nesterov'", lambda m: optimizers.SGD(nesterov=1), id="sgd-nesterov-int"),
    R(V, "'rho'", lambda m: optimizers.RMSprop(rho=1.0), id="rmsprop-rho"),
    R(V, "'clipnorm'", lambda m: optimizers.Adam(clipnorm=0), id="adam-clipnorm-0"),
    R(V, "'clipnorm'.*at most one", lambda m: optimizers.Adam(clipnorm=1, clipvalue=1), id="adam-two-clips"),
]


def test_the_table_counts_what_the_module_docstring_says():
    assert_table(CASES, 104)


@pytest.mark.parametrize(("error", "match", "call"), CASES)
def test_bad_input_raises_a_clear_error_and_changes_nothing(models, error, match, call):
    assert_refused(models, error, match, call)


# -- dedicated cases: state that the table's snapshot cannot see ------------------------------------------


def test_predict_with_a_wrong_shape_before_build_leaves_the_model_unbuilt():
    model = Sequential([Conv2D(2, 3), MaxPooling2D(2), Conv2D(2, 5), Flatten(), Dense(2, activation="softmax")])
    with pytest.raises(ValueError, match="'input_shape'.*rank 4"):
        model.predict(np.ones((2, 36), dtype=np.float32))
    with pytest.raises(ValueError, match="'input_shape'.*at least \\(5, 5\\)"):
        model.predict(np.ones((2, 6, 6, 1), dtype=np.float32))  # 6 -> 4 -> 2, then a 5x5 kernel
    assert not model.built and not any(layer.built or layer.params for layer in model.layers)
    assert model.predict(np.ones((2, 16, 16, 1), dtype=np.float32)).shape == (2, 2)


def test_a_failed_rebuild_keeps_the_model_working(models):
    with pytest.raises(ValueError, match="built for"):
        models.cat.build((None, 10, 10, 1))
    assert models.cat.input_shape == (None, 8, 8, 1)
    assert models.cat.predict(X).shape == (N, 3)
    models.assert_unchanged()


def test_a_failed_add_leaves_the_model_as_it_was():
    model = Sequential([Conv2D(2, 3, input_shape=(5, 5, 1))])
    big = Conv2D(2, 4)
    with pytest.raises(ValueError, match="at least \\(4, 4\\)"):
        model.add(big)
    assert len(model.layers) == 1 and not big.built and not big.params
    model.add(Conv2D(2, 3))  # still usable, and the refused layer can go elsewhere
    Sequential([Input((8, 8, 1)), big])
    assert big.built


def test_a_layer_from_another_model_is_shared_never_rebuilt():
    a = Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    kernel = a.layers[0].params["kernel"]
    before = kernel.copy()
    b = Sequential([a.layers[0], Dense(5)])
    assert b.layers[0].params["kernel"] is kernel and np.array_equal(kernel, before)
    with pytest.raises(ValueError, match="built for inputs \\(None, 3\\)"):
        Sequential([Dense(3, input_shape=(7,)), Dense(4), a.layers[0]])  # would get 4 features, not 3
    assert a.layers[0].input_shape == (None, 3) and np.array_equal(kernel, before)


def test_a_shared_first_layer_still_passes_gradients_in_the_other_model():
    a = Sequential([Dense(4, input_shape=(3,)), Dense(2, activation="softmax")])
    shared = a.layers[0]
    b = Sequential([Dense(3, input_shape=(5,)), shared, Dense(2, activation="softmax")])
    b.compile(loss="categorical_crossentropy", optimizer=optimizers.SGD(learning_rate=0.5))
    first = b.layers[0].params["kernel"].copy()
    b.train_on_batch(RNG.random((6, 5), dtype=np.float32), utils.to_categorical([0, 1] * 3, 2))
    assert not np.array_equal(b.layers[0].params["kernel"], first)  # b's first layer did learn


def test_pop_then_add_builds_again():
    model = Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    popped = model.pop()
    model.pop()
    assert not model.built and popped.built  # a popped layer keeps its weights
    model.add(Dense(2, input_shape=(6,)))
    assert model.built and model.input_shape == (None, 6)


@pytest.mark.parametrize(
    "x",
    [
        (X * 255).astype(np.uint8),
        X.astype(np.float16),
        X.astype(np.float64),
        X.tolist(),
        (X > 0.5),
        X.astype(np.int64),
    ],
    ids=["uint8", "float16", "float64", "nested-list", "bool", "int64"],
)
def test_numeric_inputs_of_any_width_are_cast_not_refused(models, x):
    out = models.cat.predict(x)
    assert out.dtype == np.float32 and out.shape == (N, 3)
    np.testing.assert_allclose(out, models.cat.predict(np.asarray(x, dtype=np.float32)), rtol=1e-6)


def test_numpy_scalars_and_tuples_are_accepted_where_python_ones_are():
    model = tiny()
    history = model.fit(
        X.tolist(),
        Y,
        batch_size=np.int64(4),
        epochs=np.int32(1),
        validation_split=np.float32(0.2),
        validation_freq=np.uint8(1),
        verbose=0,
    )
    assert len(history.history["val_loss"]) == 1
    model.set_weights(tuple(w.tolist() for w in model.get_weights()))  # tuple of nested lists
    assert Conv2D(np.int64(2), (np.int32(3), 3)).kernel_size == (3, 3)
    assert utils.to_categorical(np.array([[1], [0]], dtype=np.uint8), np.int64(2)).shape == (2, 2)


def test_integral_float_labels_are_accepted():
    model = tiny("sparse_categorical_crossentropy")
    model.fit(X, LABELS.astype(np.float64), epochs=1, verbose=0)
    assert utils.to_categorical(np.array([0.0, 2.0]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
