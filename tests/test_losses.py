"""Losses: Keras 3's values written out, names and functions resolving to classes, configs, targets, errors.

Gradients are in test_loss_gradients.py, the comparison with Keras itself in test_keras_objectives.py.
"""

import math

import numpy as np
import pytest

from numcnn import losses
from numcnn.utils import to_categorical

EPS = 1e-7


def probabilities(rng, n=4, k=5):
    p = rng.random((n, k)) + 0.05
    return p / p.sum(axis=1, keepdims=True)


# -- values ------------------------------------------------------------------------------------------------
def test_categorical_crossentropy_value_matches_the_formula(rng):
    p, y = probabilities(rng), to_categorical(rng.integers(0, 5, 4), 5).astype(np.float64)
    expected = -np.log(p[y.astype(bool)])
    np.testing.assert_allclose(losses.categorical_crossentropy(y, p), expected, rtol=1e-12)
    assert losses.get("categorical_crossentropy")(y, p) == pytest.approx(expected.mean(), rel=1e-12)


def test_crossentropy_clips_like_keras():
    y, p = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    assert losses.CategoricalCrossentropy()(y, p) == pytest.approx(-math.log(EPS), rel=1e-9)
    assert losses.BinaryCrossentropy()(np.array([[1.0]]), np.array([[0.0]])) == pytest.approx(-math.log(EPS))


def test_crossentropy_normalises_rows_first():
    assert losses.categorical_crossentropy([[0.0, 1.0]], [[1.0, 3.0]])[0] == pytest.approx(-math.log(0.75))


def test_label_smoothing_follows_keras():
    # categorical: y·(1 − s) + s/K; binary: y·(1 − s) + s/2
    y, p = np.array([[0.0, 1.0]]), np.array([[0.25, 0.75]])
    smoothed = -(0.05 * math.log(0.25) + 0.95 * math.log(0.75))
    assert losses.categorical_crossentropy(y, p, label_smoothing=0.1)[0] == pytest.approx(smoothed)
    binary = -(0.95 * math.log(0.25) + 0.05 * math.log(0.75))  # target 1 becomes 0.95
    assert losses.binary_crossentropy([[1.0]], [[0.25]], label_smoothing=0.1)[0] == pytest.approx(binary)


def test_from_logits_uses_log_sum_exp_and_stays_finite():
    z = np.array([[1000.0, -1000.0, 0.0]])
    assert losses.categorical_crossentropy([[0.0, 1.0, 0.0]], z, from_logits=True)[0] == pytest.approx(2000.0)
    assert losses.sparse_categorical_crossentropy([2], z, from_logits=True)[0] == pytest.approx(1000.0)
    # max(z, 0) − z·y + log1p(e^−|z|): 1000 for a confident miss, log(2) at 0
    np.testing.assert_allclose(
        losses.binary_crossentropy([[0.0, 1.0, 1.0]], z, from_logits=True), [(1000 + 1000 + math.log(2)) / 3]
    )


def test_sparse_and_categorical_agree(rng):
    labels, p = rng.integers(0, 5, 6), probabilities(rng, 6)
    dense = losses.categorical_crossentropy(to_categorical(labels, 5).astype(np.float64), p)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels, p), dense, rtol=1e-12)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels[:, None], p), dense, rtol=1e-12)


@pytest.mark.parametrize(
    ("fn", "y", "p", "expected"),
    [
        (losses.mean_squared_error, [[1.0, 2.0]], [[2.0, 4.0]], (1 + 4) / 2),
        (losses.mean_absolute_error, [[1.0, 2.0]], [[2.0, 4.0]], (1 + 2) / 2),
        (losses.mean_absolute_percentage_error, [[1.0, -2.0]], [[2.0, 4.0]], 100 * (1 + 3) / 2),
        (losses.mean_squared_logarithmic_error, [[0.0, 1.0]], [[1.0, 1.0]], math.log(2) ** 2 / 2),
        (losses.huber, [[0.0, 0.0]], [[0.5, 3.0]], (0.5 * 0.25 + (3 - 0.5)) / 2),
        (losses.log_cosh, [[0.0, 1.0]], [[2.0, 1.0]], math.log(math.cosh(2)) / 2),
        (losses.kl_divergence, [[0.5, 0.5]], [[0.25, 0.75]], 0.5 * math.log(2) + 0.5 * math.log(2 / 3)),
        (losses.poisson, [[1.0, 2.0]], [[1.0, 4.0]], ((1 - math.log(1 + EPS)) + (4 - 2 * math.log(4 + EPS))) / 2),
        (losses.cosine_similarity, [[1.0, 0.0]], [[1.0, 1.0]], -1 / math.sqrt(2)),
        # 0/1 targets become ±1: max(1 − y·p, 0)
        (losses.hinge, [[1.0, 0.0]], [[0.25, 0.5]], (0.75 + 1.5) / 2),
        (losses.hinge, [[1.0, -1.0]], [[0.25, 0.5]], (0.75 + 1.5) / 2),
        (losses.squared_hinge, [[1.0, 0.0]], [[0.25, 0.5]], (0.75**2 + 1.5**2) / 2),
        (losses.categorical_hinge, [[0.0, 1.0, 0.0]], [[0.5, 0.25, 0.1]], 0.5 - 0.25 + 1),
    ],
    ids=lambda v: getattr(v, "__name__", None),
)
def test_function_values_are_keras_formulas(fn, y, p, expected):
    assert fn(np.array(y), np.array(p))[0] == pytest.approx(expected, rel=1e-6)


def test_huber_delta_changes_the_switch():
    assert losses.huber([[0.0]], [[2.0]], delta=3.0)[0] == pytest.approx(2.0)  # quadratic: ½·2²
    assert losses.Huber(delta=0.5)([[0.0]], [[2.0]]) == pytest.approx(0.5 * 2 - 0.5 * 0.25)


def test_sample_weights_give_the_sum_over_batch_size():
    loss = losses.MeanSquaredError()
    y, p = np.zeros((3, 2)), np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    assert loss(y, p) == pytest.approx((1 + 4 + 9) / 3)
    assert loss(y, p, sample_weight=[1.0, 0.0, 2.0]) == pytest.approx((1 + 18) / 3)  # Σ w·l / N, not / Σ w
    np.testing.assert_allclose(loss.per_sample(y, p), [1, 4, 9])


def test_per_sample_averages_every_non_batch_axis(rng):
    y, p = rng.random((2, 3, 4)), rng.random((2, 3, 4))
    np.testing.assert_allclose(losses.mean_squared_error(y, p), np.mean((y - p) ** 2, axis=-1))
    np.testing.assert_allclose(losses.MeanSquaredError().per_sample(y, p), np.mean((y - p) ** 2, axis=(1, 2)))


def test_targets_of_shape_n_meet_outputs_of_shape_n_1():
    loss = losses.MeanSquaredError()
    assert loss(np.array([1.0, 2.0]), np.array([[1.0], [4.0]])) == pytest.approx(2.0)
    assert loss.gradient(np.array([1.0, 2.0]), np.array([[1.0], [4.0]])).shape == (2, 1)
    loss.check_targets(np.zeros(2), (2, 1))


def test_empty_batch_is_zero():
    assert losses.MeanSquaredError()(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0


# -- names, functions, configs --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("categorical_crossentropy", losses.CategoricalCrossentropy),
        ("CategoricalCrossentropy", losses.CategoricalCrossentropy),
        ("bce", losses.BinaryCrossentropy),
        ("mse", losses.MeanSquaredError),
        ("mae", losses.MeanAbsoluteError),
        ("mape", losses.MeanAbsolutePercentageError),
        ("msle", losses.MeanSquaredLogarithmicError),
        ("huber", losses.Huber),
        ("huber_loss", losses.Huber),
        ("kld", losses.KLDivergence),
        ("kl_divergence", losses.KLDivergence),
        ("log_cosh", losses.LogCosh),
        ("logcosh", losses.LogCosh),
        ("hinge", losses.Hinge),
        ("squared_hinge", losses.SquaredHinge),
        ("categorical_hinge", losses.CategoricalHinge),
        ("poisson", losses.Poisson),
        ("cosine_similarity", losses.CosineSimilarity),
    ],
)
def test_names_resolve_to_classes(name, cls):
    assert type(losses.get(name)) is cls


FUNCTIONS = [name for name in losses.__all__ if name[0].islower() and name not in ("get", "serialize", "deserialize")]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_resolves_to_its_class(name):
    fn = getattr(losses, name)
    loss = losses.get(fn)
    assert type(loss).function is fn and loss.name == name


def test_a_function_numcnn_does_not_know_is_refused_with_the_way_out():
    def my_loss(y_true, y_pred):
        return (y_true - y_pred) ** 2

    with pytest.raises(TypeError, match=r"argument 'loss'.*subclass numcnn.losses.Loss.*my_loss"):
        losses.get(my_loss)


def test_crossentropy_by_shape_like_keras_compile():
    assert type(losses.get("crossentropy", (8,), (8, 10))) is losses.SparseCategoricalCrossentropy
    assert type(losses.get("ce", (8, 10), (8, 10))) is losses.CategoricalCrossentropy
    assert type(losses.get("crossentropy", (8, 1), (8, 1))) is losses.BinaryCrossentropy
    with pytest.raises(ValueError, match="argument 'loss'.*target shapes"):
        losses.get("crossentropy")


CONFIGURED = [
    losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, axis=1, name="cce"),
    losses.SparseCategoricalCrossentropy(from_logits=True),
    losses.BinaryCrossentropy(label_smoothing=0.3),
    losses.Huber(delta=0.25),
    losses.CosineSimilarity(axis=1),
    *(cls() for cls in (losses.MeanSquaredError, losses.KLDivergence, losses.LogCosh, losses.CategoricalHinge)),
]


@pytest.mark.parametrize("loss", CONFIGURED, ids=lambda loss: type(loss).__name__)
def test_config_round_trip(loss):
    again = losses.deserialize(losses.serialize(loss))
    assert type(again) is type(loss) and again.get_config() == loss.get_config()
    assert loss.get_config()["reduction"] == "sum_over_batch_size"


def test_keras_configs_are_accepted():
    config = {"name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": True}
    loss = losses.get({"class_name": "SparseCategoricalCrossentropy", "config": {**config, "ignore_class": None}})
    assert loss.from_logits and not loss.fuses_with_softmax and loss.sparse


def test_from_logits_losses_do_not_fuse_with_the_activation():
    assert losses.CategoricalCrossentropy().fuses_with_softmax
    assert not losses.CategoricalCrossentropy(from_logits=True).fuses_with_softmax
    assert losses.BinaryCrossentropy().fuses_with_sigmoid
    assert not losses.BinaryCrossentropy(from_logits=True).fuses_with_sigmoid
    assert not losses.MeanSquaredError().fuses_with_softmax


# -- targets and bad arguments --------------------------------------------------------------------------------
def test_sparse_labels_out_of_range_are_named():
    loss = losses.SparseCategoricalCrossentropy()
    with pytest.raises(ValueError, match=r"label value of 12 which is outside the valid range of \[0, 10\)"):
        loss.check_targets(np.array([1, 12]), (2, 10))
    with pytest.raises(ValueError, match=r"label value of -1"):
        loss.check_targets(np.array([-1, 2]), (2, 10))
    with pytest.raises(ValueError, match=r"label value of 5"):  # the function checks too: no silent wrap-around
        losses.sparse_categorical_crossentropy([5], [[0.5, 0.5]])


def test_sparse_labels_on_positions():
    loss = losses.SparseCategoricalCrossentropy()
    loss.check_targets(np.zeros((2, 3, 3)), (2, 3, 3, 4))
    loss.check_targets(np.zeros((2, 3, 3, 1)), (2, 3, 3, 4))
    with pytest.raises(ValueError, match=r"expected integer labels of shape \(2, 3, 3\)"):
        loss.check_targets(np.zeros((2, 3)), (2, 3, 3, 4))


def test_one_hot_width_must_match_the_output():
    with pytest.raises(ValueError, match=r"expected targets of shape \(2, 10\).*Received: y.shape=\(2, 9\)"):
        losses.CategoricalCrossentropy().check_targets(np.zeros((2, 9)), (2, 10))
    with pytest.raises(ValueError, match=r"integer labels\? one-hot encode"):
        losses.CategoricalCrossentropy().check_targets(np.zeros(2), (2, 10))
    with pytest.raises(ValueError, match=r"same shape"):  # no silent broadcasting of (N, 1) against (N, K)
        losses.CategoricalCrossentropy()(np.zeros((2, 1)), np.full((2, 3), 1 / 3))


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: losses.CategoricalCrossentropy(label_smoothing=1.5), ValueError, "'label_smoothing'"),
        (lambda: losses.BinaryCrossentropy(from_logits="yes"), TypeError, "'from_logits'"),
        (lambda: losses.MeanSquaredError(reduction="sum"), ValueError, "'reduction'.*sum_over_batch_size"),
        (lambda: losses.SparseCategoricalCrossentropy(ignore_class=3), ValueError, "'ignore_class'"),
        (lambda: losses.SparseCategoricalCrossentropy(axis=1), ValueError, "'axis'"),
        (lambda: losses.CategoricalCrossentropy(axis=1.0), TypeError, "'axis'"),
        (lambda: losses.Huber(delta=-1), ValueError, "'delta'"),
        (lambda: losses.Hinge(name=3), TypeError, "'name'"),
        (lambda: losses.get(3), TypeError, "'loss'"),
        (lambda: losses.get("hinge_loss"), ValueError, "'loss'.*'hinge_loss'"),
        (lambda: losses.MeanSquaredError()([[1.0]], [[1.0]], sample_weight=[1, 2]), ValueError, "'sample_weight'"),
        (lambda: losses.MeanSquaredError().per_sample([1.0], [1.0]), ValueError, "at least 2 axes"),
        (lambda: losses.CategoricalCrossentropy(axis=0)([[1.0]], [[1.0]]), ValueError, "'axis'.*batch"),
    ],
)
def test_bad_arguments_raise_house_style_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


# -- a loss of one's own ---------------------------------------------------------------------------------------
class CubedError(losses.Loss):
    """A user's loss: values ``mean(|p − y|³)`` over the last axis, and their backward pass."""

    def call(self, y_true, y_pred):
        return np.mean(np.abs(y_pred - y_true) ** 3, axis=-1)

    def call_backward(self, y_true, y_pred, upstream):
        e = y_pred - y_true
        return upstream[..., None] * 3 * e * np.abs(e) / y_pred.shape[-1]


def test_a_subclass_writes_call_and_call_backward_and_gets_the_rest(rng):
    from numcnn.gradcheck import check_function

    loss = CubedError()
    assert loss.name == "cubed_error" and losses.get(loss) is loss
    y, p, w = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.random(4)
    assert loss(y, p, w) == pytest.approx(np.sum(w * np.mean(np.abs(p - y) ** 3, axis=1)) / 4)
    assert check_function(lambda q: loss(y, q, w), lambda q: loss.gradient(y, q, w), p) <= 1e-7


def test_a_subclass_without_a_backward_pass_says_so():
    class NoBackward(losses.Loss):
        def call(self, y_true, y_pred):
            return np.mean(y_pred, axis=-1)

    with pytest.raises(NotImplementedError, match="call_backward.*no automatic differentiation"):
        NoBackward().gradient(np.zeros((2, 2)), np.ones((2, 2)))
