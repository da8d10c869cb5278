"""Small pieces of Keras 3's model API that users' scripts reach for, found missing by the scripts in
tests/scripts/: ``layer.output``/``layer.input`` (feature extractors), the weight lists (``trainable_weights``,
``variables``, …), ``model.reset_metrics()``, Keras' metric log keys (``weighted_accuracy``, ``mae_1``), a
subclassed model compiled with one loss per output before it is built, and ``Metric.add_weight`` state."""

from __future__ import annotations

import numpy as np
import pytest

import numcnn
from numcnn import layers, metrics, ops
from numcnn.models import Model, Sequential


def _mlp_data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 6)).astype("float32"), rng.integers(0, 3, n)


# -- layer.output / layer.input ----------------------------------------------------------------------------


def test_a_shared_layer_s_output_and_input_are_those_of_its_first_call():
    x = numcnn.Input((4,))
    dense = layers.Dense(4)
    first = dense(x)
    second = dense(first)
    assert dense.output is first and dense.input is x  # Keras 3: the first call's, not the last
    model = Model(x, second)
    assert model.output is second and model.input is x
    two = Model(x, [first, second])
    assert two.output == [first, second]


def test_merge_layers_give_their_list_of_inputs():
    a, b = numcnn.Input((3,)), numcnn.Input((3,))
    add = layers.Add()
    y = add([a, b])
    assert add.input == [a, b] and add.output is y


def test_a_layer_never_called_on_a_tensor_has_no_output():
    dense = layers.Dense(2, name="lonely")
    with pytest.raises(AttributeError, match="lonely has never been called and thus has no defined output"):
        _ = dense.output
    with pytest.raises(AttributeError, match="no defined input"):
        _ = dense.input
    dense(np.ones((1, 3)))  # a call on arrays records no node, as in Keras
    with pytest.raises(AttributeError, match="never been called"):
        _ = dense.output


def test_a_feature_extractor_from_a_sequential_layer_output_computes_the_truncated_stack():
    model = Sequential()
    model.add(numcnn.Input((8, 8, 1)))
    model.add(layers.Conv2D(3, 3, activation="relu", name="conv_a"))
    model.add(layers.Conv2D(4, 3, activation="relu", name="conv_b"))
    model.add(layers.Flatten())
    model.add(layers.Dense(5, name="embedding"))
    model.add(layers.Dense(2, activation="softmax"))
    x = np.random.default_rng(1).random((6, 8, 8, 1)).astype("float32")

    extractor = Model(inputs=model.inputs, outputs=model.get_layer(name="conv_b").output)
    # one node per layer of the current stack: the calls of earlier add()s are forgotten, not recomputed
    assert [layer.name for layer in extractor.layers][1:] == ["conv_a", "conv_b"]
    expected = model.get_layer("conv_b")(model.get_layer("conv_a")(x))
    np.testing.assert_allclose(extractor.predict(x, verbose=0), expected, rtol=1e-6)

    embedder = Model(model.inputs, model.layers[-2].output)
    hidden = model.layers[-2](model.layers[-3](expected))
    np.testing.assert_allclose(embedder(x), hidden, rtol=1e-6)
    every = Model(model.inputs, [layer.output for layer in model.layers])
    outs = every(x)
    assert [o.shape for o in outs] == [(6, 6, 6, 3), (6, 4, 4, 4), (6, 64), (6, 5), (6, 2)]
    np.testing.assert_allclose(outs[-1], model.predict(x, verbose=0), rtol=1e-6)


def test_a_sequential_built_later_gives_its_layers_outputs_in_the_graph_it_built():
    model = Sequential([layers.Dense(3), layers.Dense(2)])
    with pytest.raises(AttributeError, match="never been called"):
        _ = model.layers[0].output
    model.build((None, 4))
    head = Model(model.inputs, model.layers[0].output)
    x = np.ones((2, 4), "float32")
    np.testing.assert_allclose(head(x), model.layers[0](x), rtol=1e-6)
    assert model.output.shape == (None, 2) and model.input.shape == (None, 4)


# -- the weight lists ---------------------------------------------------------------------------------------


def test_weight_lists_follow_trainable_as_keras_does():
    model = Sequential([numcnn.Input((5,)), layers.Dense(4), layers.BatchNormalization(), layers.Dense(2)])
    dense, norm, head = model.layers
    assert [w.shape for w in norm.trainable_weights] == [(4,), (4,)]  # gamma, beta
    assert [w.shape for w in norm.non_trainable_weights] == [(4,), (4,)]  # moving mean and variance
    assert len(norm.variables) == 4 and np.shares_memory(norm.trainable_variables[0], norm.params["gamma"])
    assert len(model.trainable_weights) == 6 and len(model.non_trainable_weights) == 2
    dense.trainable = False
    assert dense.trainable_weights == [] and len(dense.non_trainable_weights) == 2
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 4
    assert len(model.variables) == len(model.weights) == 8
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_variables) == 8


def test_freezing_then_recompiling_keeps_the_frozen_weights():
    x, y = _mlp_data()
    model = Sequential([numcnn.Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(3)])
    model.compile("adam", numcnn.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.layers[0].trainable = False
    model.compile("adam", numcnn.losses.SparseCategoricalCrossentropy(from_logits=True))
    frozen = [w.copy() for w in model.layers[0].weights]
    head = model.layers[1].get_weights()[0]
    model.fit(x, y, epochs=2, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(frozen, model.layers[0].weights))
    assert not np.array_equal(head, model.layers[1].get_weights()[0])
    assert len(model.trainable_weights) == 2


# -- metrics: reset_metrics, Keras' log keys ------------------------------------------------------------------


def test_reset_metrics_starts_the_compiled_metrics_afresh():
    x, y = _mlp_data()
    accuracy = metrics.SparseCategoricalAccuracy()
    model = Sequential([numcnn.Input((6,)), layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=[accuracy])
    model.fit(x, y, epochs=1, verbose=0)
    assert accuracy.result() > 0
    model.reset_metrics()
    assert accuracy.result() == 0.0
    numcnn.models.Sequential().reset_metrics()  # not compiled: nothing to reset, no error


def test_a_weighted_metric_named_like_a_plain_one_is_logged_as_weighted_and_weighs():
    x, y = _mlp_data(64)
    model = Sequential([numcnn.Input((6,)), layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"], weighted_metrics=["accuracy"])
    weights = np.where(y == 1, 3.0, 1.0)
    logs = model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)
    assert sorted(logs) == ["accuracy", "loss", "weighted_accuracy"]
    hit = model.predict(x, verbose=0).argmax(axis=1) == y
    np.testing.assert_allclose(logs["accuracy"], hit.mean(), rtol=1e-6)
    np.testing.assert_allclose(logs["weighted_accuracy"], (hit * weights).sum() / weights.sum(), rtol=1e-6)
    assert model.metrics_names == ["loss", "accuracy", "weighted_accuracy"]


def test_the_same_metric_twice_gets_a_numbered_key():
    x, y = _mlp_data()
    model = Sequential([numcnn.Input((6,)), layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae", "mae", metrics.MeanAbsoluteError()])
    history = model.fit(x, y.astype("float32"), epochs=1, verbose=0, validation_split=0.25)
    keys = ["loss", "mae", "mae_1", "mean_absolute_error"]
    assert sorted(history.history) == sorted(keys + [f"val_{k}" for k in keys])
    assert history.history["mae"] == history.history["mae_1"]


# -- compile before the outputs are known ---------------------------------------------------------------------


class _TwoHeads(Model):
    def __init__(self):
        super().__init__()
        self.trunk = layers.Dense(8, activation="relu")
        self.main = layers.Dense(1)
        self.aux = layers.Dense(1)

    def call(self, inputs):
        wide, deep = inputs
        hidden = self.trunk(deep)
        return self.main(layers.concatenate([wide, hidden])), self.aux(hidden)


def test_a_subclassed_model_compiled_with_a_loss_per_output_before_it_is_built():
    rng = np.random.default_rng(2)
    wide, deep = rng.standard_normal((40, 3)), rng.standard_normal((40, 4))
    target = wide[:, :1] - deep[:, 1:2]
    model = _TwoHeads()
    model.compile(loss=("mse", "mae"), loss_weights=[0.9, 0.1], optimizer="adam")
    history = model.fit((wide, deep), (target, target), epochs=2, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    main, aux = model.predict((wide, deep), verbose=0)
    logs = model.evaluate((wide, deep), (target, target), verbose=0, return_dict=True)
    mse, mae = np.mean((main - target) ** 2), np.mean(np.abs(aux - target))
    np.testing.assert_allclose(logs["loss"], 0.9 * mse + 0.1 * mae, rtol=1e-5)


def test_loss_weights_of_the_wrong_length_say_so():
    model = Sequential([numcnn.Input((6,)), layers.Dense(1)])
    with pytest.raises(ValueError, match=r"'loss_weights': expected a list of 1 numbers, one per output .*2 entries"):
        model.compile("sgd", "mse", loss_weights=[0.9, 0.1])
    assert not model.compiled
    with pytest.raises(ValueError, match="loss_weights"):  # a subclassed model: checked against its losses
        _TwoHeads().compile("sgd", loss=("mse", "mse"), loss_weights=[1.0, 2.0, 3.0])


# -- Metric subclasses with add_weight ----------------------------------------------------------------------


class _RootMeanSquaredError(metrics.Metric):
    """Deep Learning with Python's chapter 7 metric, written as the book writes it."""

    def __init__(self, name="rmse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.mse_sum = self.add_weight(name="mse_sum", initializer="zeros")
        self.total_samples = self.add_weight(name="total_samples", initializer="zeros", dtype="int32")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.one_hot(y_true, num_classes=ops.shape(y_pred)[1])
        self.mse_sum.assign_add(ops.sum(ops.square(y_true - y_pred)))
        self.total_samples.assign_add(ops.shape(y_pred)[0])

    def result(self):
        return ops.sqrt(self.mse_sum / ops.cast(self.total_samples, "float32"))


def test_a_metric_subclass_keeps_its_state_in_add_weight_variables():
    metric = _RootMeanSquaredError()
    assert [v.name for v in metric.variables] == ["mse_sum", "total_samples"]
    assert metric.mse_sum.shape == () and metric.total_samples.dtype == np.int32
    probs = np.array([[0.5, 0.5, 0.0], [0.1, 0.7, 0.2], [0.0, 0.0, 1.0]], "float32")
    labels = np.array([0, 1, 2])
    metric.update_state(labels[:2], probs[:2])
    metric.update_state(labels[2:], probs[2:])
    expected = np.sqrt(np.sum((np.eye(3)[labels] - probs) ** 2) / 3)
    np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-6)
    metric.reset_state()  # the base class zeroes every variable
    assert float(metric.mse_sum) == 0.0 and int(metric.total_samples.numpy()) == 0
    with pytest.raises(ValueError, match="variable 'rmse/mse_sum'"):
        metric.mse_sum.assign(np.ones(3))
    assert float(metric.mse_sum) == 0.0


def test_a_metric_subclass_is_logged_by_fit():
    x, y = _mlp_data()
    model = Sequential([numcnn.Input((6,)), layers.Dense(3, activation="softmax")])
    model.compile("rmsprop", "sparse_categorical_crossentropy", metrics=["accuracy", _RootMeanSquaredError()])
    history = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y))
    assert sorted(history.history) == ["accuracy", "loss", "rmse", "val_accuracy", "val_loss", "val_rmse"]
    probs = model.predict(x, verbose=0)
    expected = np.sqrt(np.sum((np.eye(3)[y] - probs) ** 2) / len(y))
    np.testing.assert_allclose(history.history["val_rmse"][-1], expected, rtol=1e-5)


def test_a_metric_without_variables_must_still_write_reset_state():
    class Bare(metrics.Metric):
        pass

    with pytest.raises(NotImplementedError, match="Bare must implement reset_state"):
        Bare().reset_state()


def test_evaluate_lists_values_in_keras_3_order():
    # Keras 3.15 on this model: [loss, main_loss, aux_loss, aux_mse, main_mae] (other keys sorted)
    x = numcnn.Input((6,))
    hidden = layers.Dense(4)(x)
    model = Model(x, [layers.Dense(1, name="main")(hidden), layers.Dense(1, name="aux")(hidden)])
    model.compile("sgd", loss=["mse", "mae"], metrics=[["mae"], ["mse"]])
    data, target = _mlp_data(16)
    ys = [target[:, None] * 1.0, target[:, None] * 2.0]
    logs = model.evaluate(data, ys, verbose=0, return_dict=True)
    order = ["loss", "main_loss", "aux_loss", "aux_mse", "main_mae"]
    assert model.metrics_names == order
    assert model.evaluate(data, ys, verbose=0) == [logs[k] for k in order]
    single = Sequential([numcnn.Input((6,)), layers.Dense(1)])
    single.compile("sgd", "mse", metrics=["mse", "mae"], weighted_metrics=["mae"])
    single.evaluate(data, target, verbose=0)  # the metrics exist from the first batch on
    assert single.metrics_names == ["loss", "mse", "mae", "weighted_mae"]  # compile order, then the rest


def test_weights_are_attributes_by_their_keras_names():
    model = Sequential([numcnn.Input((4,)), layers.Dense(3), layers.BatchNormalization()])
    dense, norm = model.layers
    assert (
        np.shares_memory(dense.kernel, dense.params["kernel"])
        and dense.kernel.shape == (4, 3)
        and dense.bias.shape == (3,)
    )
    assert np.shares_memory(norm.moving_variance, norm.state["moving_variance"]) and norm.gamma.shape == (3,)
    dense.kernel[...] = 1.0  # the layer's own array, as Keras' variable is
    np.testing.assert_allclose(model.layers[0](np.ones((1, 4)))[0], 4.0 + dense.bias)
    with pytest.raises(AttributeError, match="'Dense' object has no attribute 'kernel'"):
        _ = layers.Dense(2).kernel  # not built yet
    with pytest.raises(AttributeError, match="has no attribute 'gamma'"):
        _ = dense.gamma


# -- optimizer.learning_rate as a variable ------------------------------------------------------------------


def test_the_learning_rate_is_a_variable_whose_assign_sets_the_next_step_s_rate():
    x, y = _mlp_data()
    model = Sequential([numcnn.Input((6,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer=numcnn.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    lr = model.optimizer.learning_rate
    assert float(lr) == 0.1 and lr.numpy() == 0.1 and lr.shape == () and lr * 2 == 0.2
    lr.assign(0.0)  # Keras 3 scripts: model.optimizer.learning_rate.assign(...)
    assert model.optimizer.current_learning_rate() == 0.0 and float(model.optimizer.learning_rate) == 0.0
    before = model.get_weights()
    model.train_on_batch(x, y)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # a rate of 0 leaves the weights where they were
    model.optimizer.learning_rate.assign(0.05)
    model.train_on_batch(x, y)
    assert not np.array_equal(before[0], model.get_weights()[0])
    assert model.optimizer.get_config()["learning_rate"] == 0.05
    other = numcnn.optimizers.Adam()
    other.learning_rate = model.optimizer.learning_rate  # a 0-d variable is a number too
    assert other.current_learning_rate() == 0.05


def test_assigning_a_bad_learning_rate_is_refused_and_keeps_the_old_one():
    optimizer = numcnn.optimizers.Adam(0.01)
    with pytest.raises(ValueError, match="argument 'learning_rate'.*Received: learning_rate=-1"):
        optimizer.learning_rate.assign(-1.0)
    with pytest.raises(TypeError, match="argument 'learning_rate'"):
        optimizer.learning_rate.assign("fast")
    assert optimizer.current_learning_rate() == 0.01
    schedule = numcnn.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    assert numcnn.optimizers.SGD(schedule).learning_rate is schedule


def test_count_params_before_the_build_is_keras_value_error_and_repr_still_works():
    dense, model = layers.Dense(2), Sequential([layers.Dense(3)], name="stack")
    for unbuilt, name in ((dense, dense.name), (model, "stack")):
        with pytest.raises(ValueError, match=f"count_params` on layer '{name}', but the layer isn't built"):
            unbuilt.count_params()
    assert "params=?" in repr(model)
    model.build((None, 4))
    assert model.count_params() == 15 and "params=15" in repr(model)


def test_return_dict_keys_are_sorted_as_keras_3_sorts_them_and_the_list_starts_with_the_loss():
    x, y = _mlp_data()
    model = Sequential([numcnn.Input((6,)), layers.Dense(3, activation="softmax")])
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_top_k_categorical_accuracy", "accuracy"],
    )
    keys = ["accuracy", "loss", "sparse_top_k_categorical_accuracy"]  # what Keras 3.15.1 returned
    assert list(model.train_on_batch(x, y, return_dict=True)) == keys
    assert list(model.test_on_batch(x, y, return_dict=True)) == keys
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == keys
    assert model.evaluate(x, y, verbose=0) == [logs[k] for k in model.metrics_names]
    assert model.metrics_names[0] == "loss"
