"""numcnn.ops against Keras 3: the fixture tests/data/keras_ops.npz holds what Keras 3.15.1 returned (values and
dtypes) for calls whose semantics are Keras' own (dtype promotion, activation defaults, tie-breaking, clipping
in the crossentropies, 'same' padding of convolutions and pooling, …), with the inputs it was given. The script
tests/data/make_keras_ops.py made it; its docstring says which backend answered what, and why."""

import json
from pathlib import Path

import numpy as np
import pytest

from numcnn import ops

FIXTURE = np.load(Path(__file__).parent / "data" / "keras_ops.npz", allow_pickle=False)
MANIFEST = json.loads(str(FIXTURE["manifest"]))


def _resolve(spec):
    if not isinstance(spec, dict):
        return spec
    if "array" in spec:
        return FIXTURE[spec["array"]]
    if "list" in spec:
        return [_resolve(s) for s in spec["list"]]
    return spec["value"]


def _label(entry) -> str:
    return f"{entry['backend']}:{entry['fn']}({', '.join(f'{k}={v}' for k, v in entry['kwargs'].items())})"


def test_the_fixture_is_what_the_script_wrote():
    assert str(FIXTURE["keras_version"]) == "3.15.1"
    assert len(MANIFEST) == 127
    assert {e["backend"] for e in MANIFEST} == {"torch", "tensorflow"}


@pytest.mark.parametrize("entry", MANIFEST, ids=[f"{i}-{_label(e)}" for i, e in enumerate(MANIFEST)])
def test_numcnn_ops_give_what_keras_gave(entry):
    result = getattr(ops, entry["fn"])(*[_resolve(a) for a in entry["args"]], **entry["kwargs"])
    results = list(result) if isinstance(result, (list, tuple)) else [result]
    assert len(results) == len(entry["outputs"])
    for got, key, dtype in zip(results, entry["outputs"], entry["dtypes"]):
        want = FIXTURE[key]
        assert isinstance(got, np.ndarray) and hasattr(got, "numpy")
        assert got.shape == want.shape
        assert str(got.dtype) == dtype
        if want.dtype.kind in "biu":
            np.testing.assert_array_equal(got, want)
        else:
            # float32 results of sums in another order: rounding relative to the values' magnitude
            scale = 1.0 + float(np.nanmax(np.abs(want))) if want.size else 1.0
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6 * scale)
