"""Keras' optimizer variables in ``optimizer/vars/<i>``: their order for every Keras optimizer (against the
variable paths Keras reported when it wrote the fixtures), and, for the optimizers numcnn has, that numcnn
resumes training from the file's state exactly where Keras resumed it (every Keras optimizer numcnn has: all
of them), through ``load_model`` and ``train_on_batch``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from numcnn.models import load_model
from numcnn.saving.keras_compile import compile_from_keras
from numcnn.saving.keras_model import model_spec
from numcnn.saving.keras_weights import keras_layer_paths, optimizer_layout, read_weights
from numcnn.saving.keras_zip import read_keras

DATA = Path(__file__).parent / "data" / "keras" / "optimizers"
MANIFEST = json.loads((DATA.parent / "manifest.json").read_text())["files"]
STEMS = sorted(p.stem for p in DATA.glob("*.keras"))
# The two Dense layers' trainable variables in the model's order, as Keras names them in slot paths.
TRAINABLE = ("dense_{a}_kernel", "dense_{a}_bias", "dense_{b}_kernel", "dense_{b}_bias")


def load(stem):
    archive = read_keras(DATA / f"{stem}.keras")
    spec = model_spec(archive.config)
    with np.load(DATA / f"{stem}.npz", allow_pickle=False) as f:
        data = {k: f[k] for k in f.files}
    return spec, read_weights(archive.weights), data


def keras_meaning(path: str) -> str:
    """``'adam/sequential_5_dense_10_kernel_momentum'`` → ``'momentum/0'`` (slot / trainable variable index)."""
    name = path.split("/", 1)[1]
    if name in ("iteration", "learning_rate"):
        return name
    if name == "variable":  # Nadam's u_product, created unnamed
        return "u_product"
    found = re.fullmatch(r"sequential(?:_\d+)?_dense(?:_(\d+))?_(kernel|bias)_(\w+)", name)
    assert found, name
    return f"{found[3]}/{found[1] or 0}_{found[2]}"


@pytest.mark.parametrize("stem", STEMS)
def test_optimizer_layout_matches_keras_variable_order(stem):
    spec, weights, _ = load(stem)
    optimizer = spec.compile_config["optimizer"]
    layout = optimizer_layout(optimizer["class_name"], optimizer["config"], n_trainable=4)
    paths = MANIFEST[f"optimizers/{stem}.keras"]["optimizer_variables"]
    meanings = [keras_meaning(p) for p in paths]
    dense = sorted({m.split("/")[1].rsplit("_", 1)[0] for m in meanings if "/" in m}, key=int)
    order = [f"{dense[0]}_kernel", f"{dense[0]}_bias", f"{dense[1]}_kernel", f"{dense[1]}_bias"] if dense else []
    expected = [m if "/" not in m else f"{m.split('/')[0]}/{order.index(m.split('/')[1])}" for m in meanings]
    assert layout == expected
    assert len(weights.optimizer) == len(layout)
    trainable = [a.shape for path in keras_layer_paths(["Dense", "Dense"]) for a in weights.layers[path]]
    for entry, array in zip(layout, weights.optimizer):
        if entry == "iteration":
            assert array.dtype == np.int64 and int(array) == 3
        elif entry in ("learning_rate", "u_product"):
            assert array.shape == () and array.dtype == np.float32
        else:
            assert array.shape == trainable[int(entry.split("/")[1])]


@pytest.mark.parametrize("stem", STEMS)
def test_learning_rate_variable_holds_the_configured_rate(stem):
    spec, weights, _ = load(stem)
    config = spec.compile_config["optimizer"]["config"]
    layout = optimizer_layout(spec.compile_config["optimizer"]["class_name"], config, 4)
    if "learning_rate" not in layout:
        assert isinstance(config["learning_rate"], dict)  # a schedule: no variable
        return
    stored = weights.optimizer[layout.index("learning_rate")]
    assert stored == np.float32(config["learning_rate"])


def test_every_keras_optimizer_fixture_maps_to_numcnn():
    for stem in STEMS:
        spec, _, _ = load(stem)
        optimizer = compile_from_keras(spec.compile_config)["optimizer"]
        assert type(optimizer).__name__ == spec.compile_config["optimizer"]["class_name"]


@pytest.mark.parametrize("stem", STEMS)
def test_numcnn_resumes_training_where_keras_did(stem):
    """``load_model`` restores the optimizer's state; one numcnn step from it gives Keras' next weights."""
    _, weights, data = load(stem)
    model = load_model(DATA / f"{stem}.keras")
    assert model.optimizer.iterations == 3
    model.train_on_batch(data["x_next"], data["y_next"])
    keras_after = [data[f"weights_next/{i}"] for i in range(4)]
    before = [a for path in keras_layer_paths(["Dense", "Dense"]) for a in weights.layers[path]]
    for mine, theirs, start in zip(model.get_weights(), keras_after, before):
        assert not np.array_equal(theirs, start)  # the step moved the weights
        # float32 updates; TensorFlow's reductions sum in another order than numpy's
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


def test_a_swapped_slot_order_is_caught():
    """The resume check is sharp: Adam's state read with each variable's momentum and velocity swapped
    (m0, v0, … taken as v0, m0, …) no longer gives Keras' step."""
    _, weights, data = load("adam")
    model = load_model(DATA / "adam.keras")
    interleaved = weights.optimizer[2:]
    swapped = [a for pair in zip(interleaved[1::2], interleaved[0::2]) for a in pair]
    keys = list(model.trainable_params()[0])
    model.optimizer.load_keras_variables(keys, weights.optimizer[:2] + swapped, model.trainable_params()[0])
    model.train_on_batch(data["x_next"], data["y_next"])
    keras_after = [data[f"weights_next/{i}"] for i in range(4)]
    assert not all(np.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(model.get_weights(), keras_after))
