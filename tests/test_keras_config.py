"""Keras config ↔ numcnn objects, on the configs Keras itself wrote (the fixtures and configs.json): every
spec numcnn can hold maps to numcnn and back to exactly what Keras wrote; everything else is refused by name."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import pytest

from numcnn import initializers, optimizers
from numcnn.saving import keras_compile as kc
from numcnn.saving.keras_config import keras_build_shape, layer_from_keras, layer_to_keras
from numcnn.saving.keras_model import model_spec
from numcnn.saving.keras_objects import activation_from_keras, initializer_from_keras, initializer_to_keras
from numcnn.saving.legacy_h5 import read_legacy_h5

DATA = Path(__file__).parent / "data" / "keras"
CONFIGS = json.loads((DATA / "configs.json").read_text())
NUMCNN_INITIALIZERS = {"GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform"}
NUMCNN_INITIALIZERS |= {"Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal"}
NUMCNN_INITIALIZERS |= {"VarianceScaling", "Orthogonal", "Identity"}


def config_of(name: str) -> dict:
    return json.loads(zipfile.ZipFile(DATA / name).read("config.json"))


def without_sharing(spec):
    """Keras marks objects it shares (the model's DTypePolicy) with a shared_object_id; numcnn never shares."""
    if isinstance(spec, dict):
        return {k: without_sharing(v) for k, v in spec.items() if k != "shared_object_id"}
    if isinstance(spec, list):
        return [without_sharing(v) for v in spec]
    return spec


KERAS3_LAYERS = [
    (f"{p.relative_to(DATA)}:{i}", spec)
    for p in sorted(DATA.rglob("*.keras"))
    for i, spec in enumerate(config_of(str(p.relative_to(DATA)))["config"]["layers"])
    if spec["class_name"] not in ("Sequential", "Functional")  # nested models: test_keras_roundtrip.py
]


@pytest.mark.parametrize("label,spec", KERAS3_LAYERS, ids=[label for label, _ in KERAS3_LAYERS])
def test_layer_specs_map_to_numcnn_and_back_exactly(label, spec):
    layer = layer_from_keras(spec)
    assert type(layer).__name__ == spec["class_name"]
    shape = keras_build_shape(spec)
    if shape is not None:
        layer.build(shape)
    back = layer_to_keras(layer)
    keras = without_sharing({k: v for k, v in spec.items() if k not in ("name", "inbound_nodes")})
    assert back == keras


@pytest.mark.parametrize("name", ["keras2_model.h5", "keras3_legacy.h5"])
def test_legacy_model_configs_map_to_numcnn(name):
    spec = model_spec(read_legacy_h5(str(DATA / name)).model_config)
    built = [layer_from_keras(s) for s in spec.layers]
    assert [type(layer).__name__ for layer in built] == [s["class_name"] for s in spec.layers]
    conv = built[1]
    assert conv.filters == 4 and conv.kernel_size == (3, 3) and conv.activation.name == "relu"
    if name.startswith("keras2"):  # Keras 2 puts the input shape on the first layer
        assert conv.input_spec_shape == (8, 8, 1)


@pytest.mark.parametrize("spec", CONFIGS["initializers"], ids=lambda s: s["class_name"])
def test_initializers(spec):
    if spec["class_name"] not in NUMCNN_INITIALIZERS:
        with pytest.raises(ValueError, match=f"class_name='{spec['class_name']}'"):
            initializer_from_keras(spec)
        return
    initializer = initializer_from_keras(spec)
    assert type(initializer).__name__ == spec["class_name"]
    assert initializer_to_keras(initializer) == spec


def test_initializer_names_and_arguments():
    assert isinstance(initializer_from_keras("glorot_uniform"), initializers.GlorotUniform)
    assert isinstance(initializer_from_keras("he_normal"), initializers.HeNormal)
    normal = initializer_from_keras({"class_name": "RandomNormal", "config": {"mean": 1.0, "stddev": 0.5, "seed": 3}})
    assert (normal.mean, normal.stddev, normal.seed) == (1.0, 0.5, 3)


@pytest.mark.parametrize("spec", CONFIGS["activations"], ids=lambda s: s["config"])
def test_activations(spec):
    assert activation_from_keras(spec) == spec["config"] == activation_from_keras(spec["config"])


@pytest.mark.parametrize("spec", CONFIGS["optimizers"], ids=lambda s: s["class_name"])
def test_optimizers(spec):
    cls = getattr(optimizers, spec["class_name"], None)
    if cls is None:
        with pytest.raises(ValueError, match=f"class_name='{spec['class_name']}'"):
            kc.optimizer_from_keras(spec)
        return
    optimizer = kc.optimizer_from_keras(spec)
    assert type(optimizer) is cls and optimizer.name == spec["config"]["name"]
    assert kc.optimizer_to_keras(optimizer) == spec


@pytest.mark.parametrize("spec", CONFIGS["losses"], ids=lambda s: s["class_name"])
def test_losses(spec):
    loss = kc.loss_from_keras(spec)
    assert type(loss).__name__ == spec["class_name"] and loss.name == spec["config"]["name"]
    expected = copy.deepcopy(spec)
    if spec["class_name"] == "Huber":  # Keras' Huber.get_config leaves delta out; Huber(delta=…) takes it
        expected["config"]["delta"] = 1.0
    assert kc.loss_to_keras(loss) == expected  # an object: Keras' nested form


@pytest.mark.parametrize("spec", CONFIGS["metrics"], ids=lambda s: s["class_name"])
def test_metrics(spec):
    metric = kc.metric_from_keras(spec)
    assert type(metric).__name__ == spec["class_name"] and metric.name == spec["config"]["name"]
    assert kc.metric_to_keras(metric) == spec


@pytest.mark.parametrize("name", ["notebook.keras", "bn_dropout.keras", "residual.keras"])
def test_compile_configs_round_trip(name):
    compile_config = config_of(name)["compile_config"]
    kwargs = kc.compile_from_keras(compile_config)
    assert kwargs["metrics"] == ["accuracy"] and kwargs["loss"] == "categorical_crossentropy"  # as compiled
    assert kc.compile_to_keras(**kwargs) == compile_config


def test_schedule_in_the_optimizer_config():
    spec = config_of("optimizers/adam_schedule.keras")["compile_config"]["optimizer"]
    optimizer = kc.optimizer_from_keras(spec)
    assert type(optimizer.learning_rate).__name__ == "ExponentialDecay" and optimizer.clipnorm == 1.0
    assert optimizer.current_learning_rate() == 0.01
    assert kc.optimizer_to_keras(optimizer) == spec


def test_uncompiled_and_legacy_training_configs():
    assert kc.compile_from_keras(config_of("layers/dense.keras")["compile_config"]) is None  # Keras writes {}
    for name in ("keras2_model.h5", "keras3_legacy.h5"):
        kwargs = kc.compile_from_keras(read_legacy_h5(str(DATA / name)).training_config)
        assert isinstance(kwargs["optimizer"], optimizers.Adam) and kwargs["metrics"] == ["accuracy"]
        assert kwargs["optimizer"].learning_rate == pytest.approx(1e-3)


# -- refusals ----------------------------------------------------------------------------------------------

CONV = config_of("layers/conv2d_same_strided.keras")["config"]["layers"][1]


def changed(spec=CONV, **changes):
    out = copy.deepcopy(spec)
    for key, value in changes.items():
        if key in ("class_name", "module", "registered_name"):
            out[key] = value
        else:
            out["config"][key] = value
    return out


@pytest.mark.parametrize(
    "spec,message",
    [
        (changed(class_name="Lambda"), "Lambda' layer in layer 'conv2d': it holds Python code"),
        (changed(class_name="LSTM"), "class_name='LSTM'"),
        (changed(class_name="MyConv", registered_name="my_package>MyConv"), "custom layer class 'my_package>MyConv'"),
        (changed(registered_name="custom>Conv2D"), "custom layer class"),
        (changed(module="os"), "module"),
        (changed(frobnicate=3), "'frobnicate'"),
        (changed(dilation_rate=[2, 2]), "'dilation_rate': expected 1 .numcnn has no dilated convolutions"),
        (changed(groups=2), "'groups'"),
        (changed(kernel_regularizer={"class_name": "L3", "config": {"l3": 0.01}}), "class_name='L3'"),
        (changed(kernel_constraint={"module": "os", "class_name": "NonNeg", "config": {}}), "module"),
        (changed(dtype={"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"}}), "mixed"),
        (changed(activation="glu"), "activation"),
        (changed(activation={"module": "my_module", "class_name": "custom_fn", "config": None}), "activation"),
        (
            changed(kernel_initializer={"module": "keras.initializers", "class_name": "STFT", "config": {}}),
            "STFT",
        ),
        (changed(kernel_initializer={"module": "my.module", "class_name": "GlorotUniform", "config": {}}), "module"),
        (changed(padding="causal"), "padding"),
        ({"class_name": "Dense"}, "units"),
        ("Dense", "class_name"),
        ({**CONV, "evil": 1}, "layer spec"),
    ],
)
def test_layer_specs_numcnn_cannot_hold_are_refused_by_name(spec, message):
    with pytest.raises((ValueError, TypeError), match=message.replace("[", r"\[").replace("]", r"\]")):
        layer_from_keras(spec)


ADAM = CONFIGS["optimizers"][3]


@pytest.mark.parametrize(
    "change,message",
    [
        ({"use_ema": True}, "'use_ema'"),
        ({"gradient_accumulation_steps": 4}, "'gradient_accumulation_steps'"),
        ({"jit_compile": True}, "'jit_compile'"),  # Keras 2's key: only in training_config
        ({"beta_3": 0.5}, "'beta_3'"),
        ({"learning_rate": {"class_name": "MySchedule", "config": {}}}, "MySchedule"),
    ],
)
def test_optimizer_configs_numcnn_cannot_hold_are_refused(change, message):
    spec = copy.deepcopy(ADAM)
    spec["config"].update(change)
    with pytest.raises(ValueError, match=message):
        kc.optimizer_from_keras(spec)


def test_keras2_optimizer_spelling_only_in_legacy_configs():
    spec = {**copy.deepcopy(ADAM), "class_name": "Custom>Adam"}
    with pytest.raises(ValueError, match="Custom>Adam"):
        kc.optimizer_from_keras(spec)
    assert isinstance(kc.optimizer_from_keras(spec, legacy=True), optimizers.Adam)


@pytest.mark.parametrize(
    "change,message",
    [
        ({"loss_weights": ["half"]}, "'loss_weights'"),
        ({"weighted_metrics": ["pearson_correlation"]}, "'metric'"),
        ({"metrics": ["pearson_correlation"]}, "'metric'"),
        ({"loss": "dice"}, "'loss'"),
        ({"loss": None}, "'loss'"),
        ({"unknown_key": 1}, "'compile_config'"),
    ],
)
def test_compile_configs_numcnn_cannot_hold_are_refused(change, message):
    compile_config = {**config_of("notebook.keras")["compile_config"], **change}
    with pytest.raises((ValueError, TypeError), match=message):
        kc.compile_from_keras(compile_config)


def test_model_level_refusals():
    functional = config_of("residual.keras")
    with pytest.raises(ValueError, match="numcnn loads no subclassed model"):
        model_spec({**functional, "class_name": "MyModel"})
    broken = copy.deepcopy(functional)
    broken["config"]["layers"][2]["inbound_nodes"][0]["kwargs"] = {"scale": 2.0}
    with pytest.raises(ValueError, match="no arguments but training"):
        model_spec(broken)
    broken = copy.deepcopy(functional)
    broken["config"]["output_layers"] = ["nowhere", 0, 0]
    with pytest.raises(ValueError, match="'nowhere'"):
        model_spec(broken)
    with pytest.raises(ValueError, match="model config"):
        model_spec({"class_name": "Sequential", "config": {"layers": "many"}})


def test_keras2_spellings_in_training_configs():
    """Older Keras 2 files: the learning rate as ``lr``, loss objects with ``reduction='auto'``."""
    config = read_legacy_h5(str(DATA / "keras2_model.h5")).training_config
    optimizer = {**config["optimizer_config"], "config": dict(config["optimizer_config"]["config"])}
    optimizer["config"]["lr"] = optimizer["config"].pop("learning_rate")
    loss = {
        "class_name": "CategoricalCrossentropy",
        "config": {"reduction": "auto", "name": "categorical_crossentropy"},
    }
    kwargs = kc.compile_from_keras({**config, "optimizer_config": optimizer, "loss": loss})
    assert kwargs["optimizer"].learning_rate == pytest.approx(1e-3)
    assert kwargs["loss"].reduction == "sum_over_batch_size"
    with pytest.raises(ValueError, match="'reduction'"):  # Keras 3 has no 'auto'
        kc.compile_from_keras({"loss": loss, "optimizer": None})
