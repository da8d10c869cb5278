"""Twenty-eight more Keras 3 scripts in the shapes users write them (Keras 2's examples, keras.io, the TensorFlow
tutorials, Hands-On ML, Deep Learning with Python; see each script's docstring), run on small stand-in data with
only the import words changed: ``import tensorflow as tf`` / ``from tensorflow import keras`` /
``tensorflow.keras`` / ``tf.keras.`` / ``keras`` become numcnn, while file names ending in ``.keras`` stay.

Every script ran under Keras 3.15.1 (TensorFlow backend) on the same stand-in data before it was committed; the
history keys asserted here are the ones Keras logged. Each script must train (its loss falls) and give Keras'
shapes, keys and files. The two that still fail are marked ``xfail(strict=True)`` with the reason, so that
they are noticed the day they pass."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from test_scripts import _colour, _digits, translate

from numcnn.datasets import cifar10, fashion_mnist, mnist

SCRIPTS = Path(__file__).parent / "scripts"
_ACC = ["accuracy", "loss", "val_accuracy", "val_loss"]


def test_translate_keeps_file_suffixes():
    source = (
        'import tensorflow as tf\nfrom tensorflow.keras import layers\nm = tf.keras.Sequential()\nkeras.x("a.keras")'
    )
    assert translate(source) == 'import numcnn\nfrom numcnn import layers\nm = numcnn.Sequential()\nnumcnn.x("a.keras")'


@pytest.fixture
def stand_ins(monkeypatch, tmp_path):
    monkeypatch.setattr(mnist, "load_data", lambda path=None: (_digits(384, 0), _digits(96, 1)))
    monkeypatch.setattr(fashion_mnist, "load_data", lambda: (_digits(384, 4), _digits(96, 5)))
    monkeypatch.setattr(cifar10, "load_data", lambda: (_colour(320, 2), _colour(64, 3)))
    monkeypatch.chdir(tmp_path)  # the scripts write their checkpoints and logs where they run
    return tmp_path


def run(name: str) -> dict:
    namespace = {"__name__": "__main__"}
    exec(compile(translate((SCRIPTS / f"{name}.py").read_text()), f"{name}.py", "exec"), namespace)  # noqa: S102
    return namespace


def trained(history, keys):
    assert sorted(history.history) == sorted(keys), sorted(history.history)
    losses = history.history["loss"]
    assert len(losses) == len(history.epoch) and losses[-1] < losses[0], losses


# -- what each script leaves behind, beyond its history ------------------------------------------------------


def _batch_loops(ns, _):
    assert ns["epoch_losses"][-1] < ns["epoch_losses"][0]
    assert sorted(ns["test_logs"]) == sorted(ns["train_logs"]) == ["accuracy", "loss"]
    assert ns["batch_predictions"].shape == (16, 10) and ns["names"] == ["loss", "accuracy"]


def _cifar10_cnn(ns, folder):
    assert (folder / "saved_models" / "keras_cifar10_trained_model.keras").is_file() and len(ns["scores"]) == 2


def _dlwp_ch2_mlp(ns, _):
    assert ns["predictions"].shape == (10, 10) and 0 <= ns["test_acc"] <= 1
    np.testing.assert_allclose(ns["predictions"].sum(axis=1), 1.0, rtol=1e-5)


def _dlwp_ch5_overfitting(ns, _):
    assert len(ns["val_loss_values"]) == 3 and list(ns["epochs"]) == [1, 2, 3]
    trained(ns["history_l2_reg"], _ACC)
    assert sorted(ns["random_history"].history) == _ACC


def _dlwp_ch7_custom(ns, folder):
    trained(ns["first_history"], _ACC + ["rmse", "val_rmse"])
    assert len(ns["test_metrics"]) == 3 and (folder / "checkpoint_path.keras").is_file()
    assert len(ns["loss_history"].per_batch_losses) == 3 * math.ceil(320 / 32)
    assert ns["model"].predict(ns["test_images"][:2], verbose=0).shape == (2, 10)


def _dlwp_ch8_convnet(ns, folder):
    trained(ns["first_history"], ["accuracy", "loss"])
    assert (folder / "convnet_from_scratch_with_augmentation.keras").is_file() and 0 <= ns["test_acc"] <= 1


def _feature_extractor_freeze(ns, _):
    assert ns["features"].shape == (4, 11, 11, 16) and ns["embeddings"].shape == (8, 16) and len(ns["outs"]) == 5
    # Keras 3.15.1 gave these counts for this script
    assert (ns["trainable_before"], ns["trainable_after"], ns["non_trainable"], ns["n_params"]) == (8, 2, 6, 1690)
    assert ns["still_frozen"] and ns["same"] and '"class_name"' in ns["json_config"]


def _generators_pydataset(ns, _):
    trained(ns["first_history"], _ACC)
    assert ns["seq_predictions"].shape == (96, 10) and len(ns["seq_score"]) == 2
    assert ns["history"].params["steps"] == 6


def _hands_on_callbacks(ns, folder):
    assert len(ns["ratios"]) == 3 and all(r > 0 for r in ns["ratios"]) and len(ns["mse_test"]) == 2
    assert (folder / "my_keras_model.keras").is_file()


def _hands_on_fashion_mlp(ns, _):
    assert ns["weights"].shape == (784, 300) and ns["biases"].shape == (300,) and len(ns["layer_names"]) == 4
    assert ns["y_proba"].shape == (3, 10) and ns["history"].epoch == [0, 1, 2]
    assert ns["history"].params["epochs"] == 3 and ns["history"].params["steps"] == 10


def _hands_on_subclassing(ns, _):
    assert ns["y_pred_main"].shape == ns["y_pred_aux"].shape == (3, 1) and len(ns["eval_results"]) == 5


def _hands_on_wide_deep(ns, _):
    trained(ns["first_history"], ["RootMeanSquaredError", "loss", "val_RootMeanSquaredError", "val_loss"])
    np.testing.assert_allclose(ns["rmse_test"] ** 2, ns["mse_test"], rtol=1e-5)  # loss mse, metric its root
    model = ns["model"]
    assert sorted(ns["y_pred"]) == sorted(model.output_names) and ns["y_pred_main"].shape == (3, 1)
    assert sorted(ns["eval_results"]) == sorted(["loss"] + [f"{o}_{k}" for o in model.output_names
                                                           for k in ("loss", "RootMeanSquaredError")])  # fmt: skip


def _keras_io_image_classification(ns, folder):
    assert (folder / "save_at_1.keras").is_file() and (folder / "save_at_2.keras").is_file()
    assert ns["predictions"].shape == (1, 1) and 0 <= ns["score"] <= 1


def _lambda_preprocessing(ns, _):
    trained(ns["first_history"], ["accuracy", "loss"])
    assert ns["predictions"].shape == (96, 10)


def _lr_callbacks(ns, _):
    assert ns["first_lr"] == pytest.approx(0.1) and ns["set_lr"] == pytest.approx(0.05)
    assert ns["scheduled_lr"] == pytest.approx(0.1 * math.exp(-0.2), rel=1e-6)  # Keras: 0.08187307417392731
    lrs = ns["schedule_history"].history["learning_rate"]
    np.testing.assert_allclose(lrs, [0.1, 0.1 * math.exp(-0.1), 0.1 * math.exp(-0.2)], rtol=1e-6)
    assert ns["log_header"] == ["epoch", "accuracy", "learning_rate", "loss", "val_accuracy", "val_loss"]
    assert sorted(ns["decayed_history"].history) == ["loss"]


def _metrics_and_aliases(ns, _):
    names = ["acc", "auc", "loss", "precision", "recall"]
    trained(ns["binary_history"], names + [f"val_{k}" for k in names])
    assert sorted(ns["binary_results"]) == names
    loss, mae, mse = ns["regression_results"]
    assert loss == pytest.approx(mse) and mae > 0


def _mnist_transfer_cnn(ns, _):
    trained(ns["first_history"], _ACC)
    assert np.array_equal(ns["frozen_kernel"], ns["kernel_after"])  # the feature layers stayed frozen
    assert ns["model"].layers[-2].get_weights()[0].shape == (32, 5)


def _model_subclass_cnn(ns, _):
    assert ns["predicted"].shape == (96,) and ns["first_five"].shape == (5,)
    assert (ns["n_layers"], ns["n_params"]) == (5, 43706)  # Keras 3.15.1's numbers


def _tf_basic_classification(ns, _):
    assert ns["predictions"].shape == (96, 10) and ns["predictions_single"].shape == (1, 10)
    np.testing.assert_allclose(ns["predictions"].sum(axis=1), 1.0, rtol=1e-5)


def _tf_cnn_cifar(ns, _):
    accuracy, val_accuracy = ns["curve"]
    assert len(accuracy) == len(val_accuracy) == 3 and 0 <= ns["test_acc"] <= 1


def _tf_data_augmentation(ns, _):
    assert ns["result"].shape == (1, 24, 24, 3) and all(a.shape == (1, 24, 24, 3) for a in ns["augmented"])
    assert ns["result"].numpy().min() >= 0 and ns["result"].numpy().max() <= 1


def _tf_overfit_regularizers(ns, _):
    trained(ns["l2_history"], ns["history"].history)


def _tf_save_load(ns, _):
    # Keras 3.15.1 wrote these: the epoch-0 save, then one every 2 epochs' worth of batches
    assert ns["saved"] == ["cp-0000.weights.h5", "cp-0002.weights.h5", "cp-0004.weights.h5"]
    assert ns["restored_acc"] >= ns["untrained_acc"] and ns["same"]


def _weighted_training(ns, _):
    names = ["fn", "fp", "loss", "precision", "recall", "tn", "tp"]
    assert sorted(ns["class_history"].history) == sorted(names + [f"val_{k}" for k in names])
    assert len(ns["weighted_score"]) == 3  # loss, accuracy, weighted_accuracy (Keras 3.15 repeats accuracy)


_KNOWN_FAILURES: dict[str, str] = {}  # script name -> why it fails today (a strict xfail)


def _custom_layer_ops(ns, _):
    assert ns["n_weights"] == 4 and ns["guesses"].shape == (5,)  # two Linears' own w and b
    assert [w.path for w in ns["model"].weights[:2]] == ["linear_2/variable_2", "linear_2/variable_3"]
    losses = ns["history"].history["loss"]
    assert losses[-1] < losses[0]


SCRIPTS_AND_KEYS = [
    ("batch_loops", None, _batch_loops),
    ("cifar10_cnn", _ACC, _cifar10_cnn),
    ("custom_layer_ops", ["accuracy", "loss"], _custom_layer_ops),
    ("dlwp_ch2_mlp", ["accuracy", "loss"], _dlwp_ch2_mlp),
    ("dlwp_ch5_overfitting", _ACC, _dlwp_ch5_overfitting),
    ("dlwp_ch7_custom", _ACC, _dlwp_ch7_custom),
    ("dlwp_ch8_convnet", _ACC, _dlwp_ch8_convnet),
    ("feature_extractor_freeze", ["accuracy", "loss"], _feature_extractor_freeze),
    ("generators_pydataset", _ACC, _generators_pydataset),
    ("hands_on_callbacks", _ACC, _hands_on_callbacks),
    ("hands_on_cnn", _ACC, None),
    ("hands_on_deep_nets", _ACC, None),
    ("hands_on_fashion_mlp", _ACC, _hands_on_fashion_mlp),
    ("hands_on_resnet", _ACC, None),
    ("hands_on_subclassing", None, _hands_on_subclassing),
    ("hands_on_wide_deep", None, _hands_on_wide_deep),
    ("keras_io_image_classification", ["acc", "loss", "val_acc", "val_loss"], _keras_io_image_classification),
    ("lambda_preprocessing", _ACC, _lambda_preprocessing),
    ("lr_callbacks", _ACC + ["learning_rate"], _lr_callbacks),
    ("metrics_and_aliases", ["loss", "mae", "mse", "val_loss", "val_mae", "val_mse"], _metrics_and_aliases),
    ("mnist_transfer_cnn", None, _mnist_transfer_cnn),  # Keras 3's adadelta (lr 0.001) barely moves in phase 2
    ("model_subclass_cnn", _ACC, _model_subclass_cnn),
    ("tf_basic_classification", ["accuracy", "loss"], _tf_basic_classification),
    ("tf_cnn_cifar", _ACC, _tf_cnn_cifar),
    ("tf_data_augmentation", _ACC, _tf_data_augmentation),
    ("tf_overfit_regularizers", _ACC + ["binary_crossentropy", "val_binary_crossentropy"], _tf_overfit_regularizers),
    ("tf_save_load", ["loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"],
     _tf_save_load),
    ("weighted_training", _ACC + ["weighted_accuracy", "val_weighted_accuracy"], _weighted_training),
]  # fmt: skip


def _params():
    for name, keys, check in SCRIPTS_AND_KEYS:
        marks = [pytest.mark.xfail(strict=True, reason=_KNOWN_FAILURES[name])] if name in _KNOWN_FAILURES else []
        yield pytest.param(name, keys, check, id=name, marks=marks)


def test_the_scripts_cover_every_file_in_tests_scripts():
    named = {name for name, _, _ in SCRIPTS_AND_KEYS}
    first_eight = {
        "augmentation",
        "cnn_adadelta",
        "from_logits_sparse",
        "functional_cnn",
        "keras_io_convnet",
        "mlp_rmsprop",
        "residual_cifar",
        "two_inputs",
    }  # fmt: skip (tests/test_scripts.py runs these)
    assert {p.stem for p in SCRIPTS.glob("*.py")} == named | first_eight and len(named) == 28


@pytest.mark.usefixtures("stand_ins")
@pytest.mark.filterwarnings("ignore:Argument `decay` is no longer supported")  # cifar10_cnn keeps Keras 2's decay
@pytest.mark.parametrize(("name", "keys", "check"), list(_params()))
def test_a_keras_script_runs_with_the_import_word_changed(name, keys, check, stand_ins):
    namespace = run(name)
    if keys is not None:
        trained(namespace["history"], keys)
    if check is not None:
        check(namespace, stand_ins)
