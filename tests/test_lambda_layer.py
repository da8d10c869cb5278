"""``layers.Lambda``: functions of tensors traced into recorded ops, in Sequential and functional models, eager
calls, ``arguments``, float64 gradients through it, and the refusals (no code in files, no masks); and Keras 2's
``decay=`` optimizer argument, which Keras 3 warns about and ignores."""

from __future__ import annotations

import numpy as np
import pytest
from _model_gradcheck import model_gradient_errors, random_inputs

import numcnn
from numcnn import layers, ops
from numcnn.layers import Lambda

F64 = {"dtype": "float64"}


def test_a_lambda_that_adds_the_channel_axis_trains_in_a_sequential():
    rng = np.random.default_rng(0)
    x, y = rng.random((24, 8, 8)).astype("float32"), rng.integers(0, 3, 24)
    model = numcnn.Sequential([numcnn.Input((8, 8)), layers.Lambda(lambda v: ops.expand_dims(v, -1)),
                               layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(3)])  # fmt: skip
    assert model.layers[0].output_shape == (None, 8, 8, 1) and model.layers[0].name.startswith("lambda")
    model.compile("adam", numcnn.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    conv, flatten, dense = model.layers[1:]
    expected = dense(flatten(conv(x[..., None])))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_an_eager_lambda_with_arguments():
    scale = Lambda(lambda v, factor: v * factor + 1.0, arguments={"factor": 0.5})
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(scale(x), x * 0.5 + 1.0)
    assert Lambda(lambda v: v / 255.0)(x * 255).numpy().max() == pytest.approx(5.0)


class _Squash(numcnn.Model):
    def call(self, v):
        return ops.tanh(v) * 2.0 + ops.square(v)


@pytest.mark.parametrize("kind", ["lambda", "subclassed model"])
def test_gradients_through_a_lambda_in_float64(kind):
    # the trace reads float64 tensors when called on them (it used to trace in floatx, float32)
    inputs = numcnn.Input((5,), dtype="float64")
    hidden = layers.Dense(4, **F64)(inputs)
    squash = Lambda(lambda v: ops.tanh(v) * 2.0 + ops.square(v), **F64) if kind == "lambda" else _Squash(**F64)
    squashed = squash(hidden)
    model = numcnn.Model(inputs, layers.Dense(2, **F64)(squashed))
    errors = model_gradient_errors(model, random_inputs([(5,)]), np.ones((3, 2)), "mse")
    assert len(errors) == 4 and max(errors.values()) <= 1e-7, errors


def test_a_declared_output_shape_must_be_the_traced_one():
    inputs = numcnn.Input((4,))
    assert Lambda(lambda v: ops.square(v), output_shape=(4,))(inputs).shape == (None, 4)
    with pytest.raises(ValueError, match="'output_shape': expected the shape the function gives"):
        Lambda(lambda v: ops.square(v), output_shape=(3,))(inputs)


def test_lambda_refusals_name_the_problem(tmp_path):
    with pytest.raises(TypeError, match="'function': expected a callable"):
        Lambda("x * 2")
    with pytest.raises(ValueError, match="'mask': expected None"):
        Lambda(lambda v: v, mask=lambda v, m: m)
    with pytest.raises(TypeError, match="'arguments'"):
        Lambda(lambda v: v, arguments=[1])
    model = numcnn.Sequential([numcnn.Input((3,)), Lambda(lambda v: v * 2.0), layers.Dense(1)])
    with pytest.raises(ValueError, match="Python code"):
        model.to_json()
    with pytest.raises(ValueError, match="Python code"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()
    with pytest.raises(TypeError, match="no value"):  # NumPy on a symbolic tensor: the tracer's error
        Lambda(lambda v: np.expand_dims(v, -1))(numcnn.Input((3,)))


def test_keras_2_decay_argument_is_ignored_with_keras_3_warning():
    with pytest.warns(UserWarning, match="`decay` is no longer supported and will be ignored"):
        optimizer = numcnn.optimizers.RMSprop(learning_rate=0.0001, decay=1e-6)
    assert optimizer.learning_rate == 0.0001 and "decay" not in optimizer.get_config()
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\): \['lr'\]"):
        numcnn.optimizers.Adam(lr=0.01)  # Keras 3 refuses it too
