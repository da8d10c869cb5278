"""The execution plan: one place where fusions are decided, from the graph, rebuilt whenever the graph or a
layer's state changes; layers stay pure array-in, array-out whatever model they are in."""

from __future__ import annotations

import numpy as np
import pytest
from test_models import notebook_model

from numcnn import backend, optimizers, plan
from numcnn.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from numcnn.models import Sequential


def _steps(model, training=True):
    return model.describe_plan(training).splitlines()[1:]


def test_the_notebook_plan_fuses_the_second_convolution_with_its_pool_and_the_softmax_head():
    model = notebook_model()
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    steps = _steps(model)
    assert len(steps) == 6
    assert "conv2d_1 (Conv2D): weight gradients only" in steps[0]
    assert "conv2d_2 + max_pooling2d_1 (Conv2D + MaxPooling2D): convolution + max-pool fused" in steps[1]
    assert "dense_3 (Dense): softmax + crossentropy head" in steps[5]
    assert "head" not in model.describe_plan(training=False)  # inference has no loss


def test_no_fusion_where_it_would_change_the_result():
    tanh = Sequential([Conv2D(2, 3, activation="tanh", input_shape=(6, 6, 1)), MaxPooling2D()])
    assert len(_steps(tanh)) == 2  # the pool needs tanh's dense gradient
    mse = Sequential([Dense(3, activation="softmax", input_shape=(4,))])
    mse.compile(loss="mse", optimizer="sgd")
    assert "head" not in mse.describe_plan()  # the shortcut holds for crossentropy only
    channels_first = Sequential(
        [
            Conv2D(2, 3, data_format="channels_first", input_shape=(1, 6, 6)),
            MaxPooling2D(data_format="channels_first"),
            Flatten(),
        ]
    )
    assert "fused" not in channels_first.describe_plan()


def test_a_layer_behaves_the_same_in_every_model_and_alone():
    """``model.layers[0](x)`` gives the array ``compute_output_shape`` promises, even in a fused pair."""
    model = notebook_model(input_shape=(10, 10, 1))
    x = np.random.default_rng(0).random((2, 10, 10, 1), dtype=np.float32)
    conv2 = model.layers[1]
    h = model.layers[0](x)
    y = conv2(h)
    assert isinstance(y, np.ndarray) and y.shape == (2, *conv2.compute_output_shape((None, 8, 8, 32))[1:])
    assert type(y.numpy()) is np.ndarray
    pooled = model.layers[2](y)
    assert pooled.shape == (2, 3, 3, 64)
    shared = Sequential([Input(shape=(8, 8, 32)), conv2, Flatten()])  # the same layer in a second model
    np.testing.assert_allclose(shared.predict(h, verbose=0), np.asarray(y).reshape(2, -1), rtol=1e-6)
    assert "fused" in model.describe_plan()  # each model plans its own steps


@pytest.mark.parametrize("implementation", ["numba", "numpy"])
def test_pop_after_a_fused_pair_leaves_a_working_model(implementation):
    backend.set_implementation(implementation)
    model = Sequential(
        [Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)), Conv2D(4, 3, activation="relu"), MaxPooling2D()]
    )
    assert "fused" in model.describe_plan()
    model.pop()
    model.add(Flatten())
    model.add(Dense(3, activation="softmax"))
    assert "fused" not in model.describe_plan()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    x = np.random.default_rng(1).random((5, 8, 8, 1), dtype=np.float32)
    y = np.arange(5) % 3
    assert model.predict(x, verbose=0).shape == (5, 3)
    model.fit(x, y, epochs=1, verbose=0)
    assert np.isfinite(model.evaluate(x, y, verbose=0))


def test_the_plan_follows_trainable_and_compile():
    model = notebook_model(input_shape=(10, 10, 1))
    model.compile(loss="categorical_crossentropy", optimizer=optimizers.SGD(0.1))
    assert "weight gradients only" in _steps(model)[0]
    model.layers[0].trainable = False
    steps = _steps(model)
    assert "no backward pass" in steps[0] and "weight gradients only" in steps[1]
    x = np.random.default_rng(2).random((3, 10, 10, 1), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[[1, 2, 3]]
    frozen = model.layers[0].get_weights()
    model.train_on_batch(x, y)
    assert all(np.array_equal(a, b) for a, b in zip(frozen, model.layers[0].get_weights()))
    model.compile(loss="mse", optimizer="sgd")
    assert "head" not in model.describe_plan()


def test_fusions_can_be_turned_off_and_then_every_layer_is_its_own_step():
    model = notebook_model(input_shape=(10, 10, 1))
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    plan.set_fusions(False)
    try:
        steps = _steps(model)
        assert len(steps) == 7 and not any("fused" in s or "head" in s for s in steps)
    finally:
        plan.set_fusions(True)
    assert len(_steps(model)) == 6
    with pytest.raises(TypeError, match="'enabled'"):
        plan.set_fusions("no")


def _dropped(model, **call):
    """How many of a 4×1000 batch of ones the model's Dropout zeroed."""
    x = np.ones((4, 1000), "float32")
    y = model.predict(x, verbose=0) if call.pop("predict", False) else np.asarray(model(x, **call))
    return int((y == 0).sum())


def test_the_models_mode_overrides_a_calls_fixed_training_as_in_keras_3():
    """Keras 3.15 (checked): fit/evaluate/predict and model(x, training=...) override `layer(t, training=...)`
    recorded in a graph, also on a nested model; a fixed value counts only under a plain model(x)."""
    from numcnn import Model
    from numcnn.layers import Dropout

    inputs = Input((1000,))
    fixed_off = Model(inputs, Dropout(0.5)(inputs, training=False))
    assert _dropped(fixed_off) == 0 and _dropped(fixed_off, training=True) > 1000
    inputs = Input((1000,))
    fixed_on = Model(inputs, Dropout(0.5)(inputs, training=True))
    assert _dropped(fixed_on) > 1000 and _dropped(fixed_on, training=False) == 0
    assert _dropped(fixed_on, predict=True) == 0
    outer_inputs = Input((1000,))
    nested = Model(outer_inputs, fixed_on(outer_inputs, training=False))
    assert _dropped(nested) == 0 and _dropped(nested, training=True) > 1000
    nested.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 1000), "float32")
    assert nested.evaluate(x, x, verbose=0) == 0.0  # inference: nothing dropped, output == target
    assert nested.train_on_batch(x, x) > 0.5  # training: half dropped, the rest doubled: mse = 1
