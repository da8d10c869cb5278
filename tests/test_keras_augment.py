"""RandomCrop, CenterCrop, RandomBrightness and RandomGrayscale against Keras: outputs and ``.keras`` specs from the
fixture tests/data/keras_augment.npz (written by tests/data/make_keras_augment.py with Keras 3.15.1 on
TensorFlow, and tf_keras 2.21 for RandomCrop's inference rule).

Deterministic paths run as Keras ran them (CenterCrop, RandomCrop's undrawn training windows, RandomCrop at
inference against ``smart_resize``); the colour layers replay the parameters of the call Keras was given.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from numcnn import layers
from numcnn.saving.keras_config import keras_build_shape, layer_from_keras, layer_to_keras

FIXTURE = Path(__file__).parent / "data" / "keras_augment.npz"
DATA = np.load(FIXTURE, allow_pickle=False)
MANIFEST = json.loads(str(DATA["manifest"]))
CASES = {case["id"]: case for case in MANIFEST["cases"]}
# plain cuts and added shifts: no arithmetic to round differently, so the outputs are equal
EXACT = {
    "center_crop",
    "center_crop_odd_margin",
    "center_crop_same_size",
    "center_crop_channels_first",
    "random_crop_train_same_size",
    "random_crop_train_height_equal",
    "random_crop_train_width_equal",
    "brightness",
    "brightness_unit_range",
    "brightness_signed_range",
    "grayscale_one_channel",
}


def test_fixture_records_its_versions_and_cases():
    assert MANIFEST["versions"]["keras"] == "3.15.1" and MANIFEST["versions"]["tf_keras"] == "2.21.0"
    classes = {case["class_name"] for case in CASES.values()}
    assert classes == {"RandomCrop", "CenterCrop", "RandomBrightness", "RandomGrayscale"}
    assert len(CASES) == 26


@pytest.mark.parametrize("cid", sorted(CASES))
def test_outputs_match_keras(cid):
    case = CASES[cid]
    x, expected = DATA[f"{cid}/x"], DATA[f"{cid}/y"]
    layer = getattr(layers, case["class_name"])(**case["kwargs"])
    if f"{cid}/params" in DATA:
        params = DATA[f"{cid}/params"]
        layer.draw = lambda shape, rng: params
    training = case["class_name"] != "CenterCrop" and "inference" not in cid
    y = np.asarray(layer(x, training=training))
    assert y.shape == expected.shape and y.dtype == np.float32
    if cid in EXACT:
        np.testing.assert_array_equal(y, expected)
    else:  # resized or weighted: float32 on both sides, TensorFlow sums in other orders
        np.testing.assert_allclose(y, expected, rtol=2e-6, atol=2e-6 * max(1.0, float(np.abs(expected).max())))


@pytest.mark.parametrize("cid", sorted(CASES))
def test_keras_specs_load_and_are_written_back_as_keras_wrote_them(cid):
    spec = CASES[cid]["spec"]
    layer = layer_from_keras(spec)
    assert type(layer).__name__ == spec["class_name"]
    layer.build(keras_build_shape(spec))
    assert layer_to_keras(layer) == spec


def test_random_crop_at_inference_is_not_keras_3_15s_pass_through():
    """Keras 3.15.1 returns the image uncut at inference (the fixture's script checks it); numcnn keeps the shape
    compute_output_shape promises, by smart_resize, which is not a plain central crop of the target's size."""
    case = CASES["random_crop_inference"]
    x, expected = DATA["random_crop_inference/x"], DATA["random_crop_inference/y"]
    layer = layers.RandomCrop(**case["kwargs"])
    assert layer.compute_output_shape(x.shape) == expected.shape != x.shape
    central = layers.CenterCrop(5, 6)(x)
    assert not np.allclose(layer(x), central)
