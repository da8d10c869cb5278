"""Every object Keras 3.15.1 can name in a model file (tests/data/keras/catalog.json, written by Keras itself by
tests/data/make_keras_catalog.py): each one numcnn has maps to numcnn's object and back to exactly what Keras
wrote; each one numcnn lacks is refused by its class name."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from numcnn import layers as numcnn_layers
from numcnn.saving import keras_compile as kc
from numcnn.saving import keras_objectives as ko
from numcnn.saving import keras_objects as kob
from numcnn.saving.keras_config import LAYERS, keras_build_shape, layer_from_keras, layer_to_keras

CATALOG = json.loads((Path(__file__).parent / "data" / "keras" / "catalog.json").read_text())
OBJECTS = CATALOG["objects"]
FAMILIES = {
    "initializers": (kob.initializer_from_keras, kob.initializer_to_keras),
    "regularizers": (kob.regularizer_from_keras, kob.regularizer_to_keras),
    "constraints": (kob.constraint_from_keras, kob.constraint_to_keras),
    "losses": (ko.loss_from_keras, ko.loss_to_keras),
    "metrics": (ko.metric_from_keras, ko.metric_to_keras),
    "optimizers": (kc.optimizer_from_keras, kc.optimizer_to_keras),
    "schedules": (kc.schedule_from_keras, kc.schedule_to_keras),
}
# numcnn has no such class: refused by name
LACKS = {"Dice", "Adafactor", "Embedding"}
# (class, argument) numcnn does not implement at the value the catalog gives: refused by the argument's name,
# never dropped. Once numcnn implements the argument, its exact round trip is required instead.
REFUSED = {
    ("SparseCategoricalCrossentropy", "ignore_class"),
    ("MeanSquaredError", "reduction"),
    ("BatchNormalization", "beta_regularizer"),
}


def refused_argument(spec: dict) -> str | None:
    """The argument of ``spec`` that REFUSED lists, if ``spec`` holds another value for it than the class' first
    catalog entry (Keras' default)."""
    for class_name, argument in REFUSED:
        if spec["class_name"] == class_name and argument in spec["config"]:
            first = next(
                s
                for s in (*CATALOG["objects"].get("losses", []), *(c["spec"] for c in CATALOG["layers"]))
                if s["class_name"] == class_name
            )
            if spec["config"][argument] != first["config"][argument]:
                return argument
    return None


def read_or_refused(read, spec):
    """``read(spec)``, or ``None`` when it refuses the REFUSED argument ``spec`` sets, by its name. (Once numcnn
    implements that argument, reading succeeds and the caller requires the exact round trip.)"""
    argument = refused_argument(spec)
    if argument is None:
        return read(spec)
    try:
        return read(spec)
    except ValueError as err:
        assert f"argument '{argument}'" in str(err), err
        return None


CASES = [(family, spec) for family in FAMILIES for spec in OBJECTS[family]]


def expected_back(family: str, spec: dict) -> dict:
    out = copy.deepcopy(spec)
    if spec["class_name"] == "Huber":  # Keras' get_config leaves delta out; numcnn writes it (Huber takes it)
        out["config"]["delta"] = 1.0
    if family == "metrics" and spec["class_name"] == "MeanMetricWrapper":
        out["config"]["fn"] = {**spec["config"]["fn"], "registered_name": "function"}
    return out


@pytest.mark.parametrize(("family", "spec"), CASES, ids=[f"{f}-{s['class_name']}" for f, s in CASES])
def test_objects_map_to_numcnn_and_back_as_keras_wrote_them(family, spec):
    read, write = FAMILIES[family]
    if spec["class_name"] in LACKS:
        with pytest.raises(ValueError, match=f"class_name='{spec['class_name']}'"):
            read(spec)
        return
    obj = read_or_refused(read, spec)
    if obj is None:
        return
    assert type(obj).__name__ == spec["class_name"]
    assert write(obj) == expected_back(family, spec)


@pytest.mark.parametrize("spec", OBJECTS["activations"], ids=lambda s: s["config"])
def test_activations(spec):
    if spec["config"] in ("glu", "threshold"):
        with pytest.raises(ValueError, match="activation"):
            kob.activation_from_keras(spec)
        return
    name = kob.activation_from_keras(spec)
    assert kob.activation_from_keras(name) == name  # Keras' layer configs hold the plain name
    assert name == {"swish": "silu", "hard_swish": "hard_silu"}.get(spec["config"], spec["config"])


LAYER_CASES = [(i, case) for i, case in enumerate(CATALOG["layers"])]


@pytest.mark.parametrize(("i", "case"), LAYER_CASES, ids=[f"{c['spec']['class_name']}-{i}" for i, c in LAYER_CASES])
def test_layers_map_to_numcnn_and_back_as_keras_wrote_them(i, case):
    spec = case["spec"]
    entry = LAYERS.get(spec["class_name"])
    if entry is None or entry.numcnn() is None:  # numcnn lacks it (or the layers branch is adding it)
        assert entry is not None or spec["class_name"] in LACKS
        with pytest.raises(ValueError, match=f"class_name='{spec['class_name']}'"):
            layer_from_keras(spec)
        return
    layer = read_or_refused(layer_from_keras, spec)
    if layer is None:
        return
    shape = keras_build_shape(spec) or case["input_shape"]
    layer.build(shape if not isinstance(shape[0], list) else [tuple(s) for s in shape])
    assert layer_to_keras(layer) == spec


def test_every_numcnn_layer_class_has_a_table_entry():
    registered = {cls.__name__ for cls in set(numcnn_layers._REGISTRY._entries.values()) if isinstance(cls, type)}
    assert registered - set(LAYERS) == set()
    assert all(LAYERS[name].numcnn() is not None for name in registered)


@pytest.mark.parametrize("name", ["categorical_crossentropy", "mse", "mae", "huber", "kld", "bce", "crossentropy"])
def test_loss_names_stay_names_keras_knows(name):
    assert ko.loss_from_keras(name) == name
    assert ko.loss_to_keras(name) == name
    assert name in CATALOG["names"]["losses"] or name == "crossentropy"  # Keras' compile decides from shapes


def test_loss_and_metric_names_keras_would_not_resolve_are_written_as_it_spells_them():
    assert ko.loss_to_keras("Huber_Loss") == "huber"  # numcnn resolves any case; Keras only its own spellings
    assert ko.metric_to_keras("Mse") == "mean_squared_error"
    assert {ko.loss_to_keras("logcosh"), ko.metric_to_keras("acc")} <= {*CATALOG["names"]["losses"], "acc"}


@pytest.mark.parametrize("compile_config", CATALOG["compile"], ids=lambda c: json.dumps(c["loss"])[:40])
def test_compile_configs_keras_wrote_round_trip(compile_config):
    kwargs = kc.compile_from_keras(compile_config)
    assert kc.compile_to_keras(**kwargs) == compile_config


def test_loss_metric_and_schedule_tables_name_only_keras_classes():
    # The tables are derived from numcnn's registries, so a class numcnn registers that Keras lacks shows here.
    assert set(ko.LOSSES) <= set(CATALOG["names"]["losses"])
    assert set(ko.METRICS) <= set(CATALOG["names"]["metrics"])
    assert set(kc._SCHEDULES) == {spec["class_name"] for spec in OBJECTS["schedules"]}
    assert all(
        entry.numcnn() is not None for table in (ko.LOSSES, ko.METRICS, kc._SCHEDULES) for entry in table.values()
    )
