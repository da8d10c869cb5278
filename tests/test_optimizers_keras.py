"""Every optimizer, clipping mode and schedule against Keras 3 itself, through the committed fixture
``tests/data/keras_optimizers.npz`` (made by ``tests/data/make_keras_optimizers.py``; its ``meta`` names the
Keras version). Keras is never imported here.

Tolerances. float64: Keras' float64 run is float64 throughout (the script passes every hyper-parameter as
np.float64), so numcnn must agree to rounding: rtol 1e-12. The one exception is Nadam: Keras 3.15 casts its
constant 0.96 through float32 in μ_t = β1·(1 − 0.5·0.96ᵗ) (though not in the running product of the μ's),
whatever the variables' dtype; numcnn uses 0.96, which moves the updates by ~1e-7 relative (with Keras'
rounding reproduced they agree to 3e-17, checked while writing this test).
float32: Keras rounds each hyper-parameter to float32 before use (1 − float32(0.999) is 1.3e-5 off 0.001, so
Adam's α is 6e-6 off at every step) and each operation to float32 (6e-8), while numcnn keeps hyper-parameters
in float64 and rounds once per array operation. So each step may differ by ~1e-5 of its own size, and
each parameter by a few float32 ulps of itself per step: ``PATH_RTOL`` (of the path length, the sum of the
steps' sizes so far, Keras') and ``PARAM_ULPS`` below,
each ~5-10x the worst difference measured (reported in the lead's notes), far below what a wrong formula
(a missing bias correction, ε in the wrong place, a swapped slot) moves.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from numcnn import optimizers
from numcnn.optimizers import schedules

FIXTURE = Path(__file__).parent / "data" / "keras_optimizers.npz"
with np.load(FIXTURE, allow_pickle=False) as _f:
    DATA = {name: _f[name] for name in _f.files}
META = json.loads(str(DATA["meta"]))
KEYS, STEPS, SPLIT = META["keys"], META["steps"], META["split"]
CASES = {case["id"]: case for case in META["cases"]}
PATH_RTOL = 1e-4  # float32: of each element's path length so far
PARAM_ULPS = 16  # float32: ulps of the parameter itself, for the roundings of p += step


def new_optimizer(case_id):
    case = CASES[case_id]
    return optimizers.get({"class_name": case["class_name"], "config": case["config"]})


def start(dtype):
    return {key: DATA[f"params/{i}"].astype(dtype) for i, key in enumerate(KEYS)}


def grads_at(step, dtype):
    return {key: DATA[f"grads/{i}"][step].astype(dtype) for i, key in enumerate(KEYS)}


def keras_params(case_id, dtype, step):
    return {key: DATA[f"{case_id}/{dtype}/traj/{i}"][step] for i, key in enumerate(KEYS)}


def path_length(case_id, dtype, step, key):
    """The sum of the sizes of Keras' steps 1..step+1 of parameter ``key``, per element (float64)."""
    i = KEYS.index(key)
    path = np.concatenate([DATA[f"params/{i}"][None], DATA[f"{case_id}/{dtype}/traj/{i}"][: step + 1]])
    return np.abs(np.diff(path.astype(np.float64), axis=0)).sum(axis=0)


def assert_close(case_id, dtype, got, step, what):
    want = keras_params(case_id, dtype, step)
    for key in KEYS:
        g, w = got[key].astype(np.float64), want[key].astype(np.float64)
        if dtype == "float64":
            rtol = 1e-6 if CASES[case_id]["class_name"] == "Nadam" else 1e-12
            np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-15, err_msg=f"{what} {key}")
        else:
            ulps = PARAM_ULPS * np.spacing(np.abs(w).astype(np.float32)).astype(np.float64)
            bound = PATH_RTOL * path_length(case_id, dtype, step, key) + ulps + 1e-12
            assert np.all(np.abs(g - w) <= bound), f"{what} {key}: worst {np.max(np.abs(g - w) - bound):.3g} over"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case_id", list(CASES))
def test_trajectory_matches_keras(case_id, dtype):
    opt, params = new_optimizer(case_id), start(dtype)
    for step in range(STEPS):
        opt.apply(params, grads_at(step, dtype))
        assert all(p.dtype == dtype for p in params.values())
        assert_close(case_id, dtype, params, step, f"step {step + 1}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case_id", [c for c, case in CASES.items() if case["class_name"] in ("Adam", "AdamW")])
def test_adam_matches_keras_with_both_kernel_sets(case_id, dtype, kernels):
    """Adam's fused update is a backend op: the NumPy reference and the numba kernel both follow Keras."""
    test_trajectory_matches_keras(case_id, dtype)


def keras_vars(case_id, dtype):
    names = DATA[f"{case_id}/{dtype}/var_names"]
    return [DATA[f"{case_id}/{dtype}/vars/{j}"] for j in range(len(names))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case_id", list(CASES))
def test_resumes_from_keras_variables_and_exports_them_in_keras_order(case_id, dtype):
    # numcnn's own first SPLIT steps give Keras' optimizer.variables, in Keras' order...
    opt, params = new_optimizer(case_id), start(dtype)
    for step in range(SPLIT):
        opt.apply(params, grads_at(step, dtype))
    exported = opt.variables_in_keras_order(KEYS)
    want = keras_vars(case_id, dtype)
    assert len(exported) == len(want)
    for (name, got), ref in zip(exported, want):
        assert got.shape == ref.shape and got.dtype.kind == ref.dtype.kind, name
        if got.dtype.kind == "i":
            assert int(got) == int(ref) == SPLIT
        elif name != "learning_rate":  # Keras keeps the rate in floatx; numcnn's float32 export too
            # float32: a velocity accumulates (1 − β2)·g², and Keras' 1 − float32(0.999) is 1.3e-5 off
            tol = 3e-5 if dtype == "float32" else 1e-10
            np.testing.assert_allclose(got, ref, rtol=tol, atol=tol * max(1.0, np.abs(ref).max()), err_msg=name)
    # ...and a fresh optimizer loaded with Keras' variables continues Keras' trajectory
    resumed = new_optimizer(case_id)
    params = {k: v.astype(dtype) for k, v in keras_params(case_id, dtype, SPLIT - 1).items()}
    resumed.load_keras_variables(KEYS, want, params=params)
    assert resumed.iterations == SPLIT
    for step in range(SPLIT, STEPS):
        resumed.apply(params, grads_at(step, dtype))
        assert_close(case_id, dtype, params, step, f"resumed step {step + 1}")


H5_CASES = sorted({name.split("/")[1] for name in DATA if name.startswith("h5/")})
DENSE_KEYS = ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]  # the script's Dense(3), Dense(2)
DENSE_SHAPES = [(4, 3), (3,), (3, 2), (2,)]


@pytest.mark.parametrize("case_id", H5_CASES)
def test_keras_order_is_the_order_of_a_real_weights_h5(case_id):
    """The script read ``optimizer/vars/<j>`` back from a ``.weights.h5`` Keras wrote for two Dense layers."""
    layout = json.loads(str(DATA[f"h5/{case_id}/layout"]))
    opt = new_optimizer(case_id)
    params = {k: np.full(s, 0.5, np.float32) for k, s in zip(DENSE_KEYS, DENSE_SHAPES)}
    assert [name for name, _ in opt.variables_in_keras_order(DENSE_KEYS)] == [
        e for e in layout if isinstance(e, str)
    ]  # before any step: Keras' unbuilt optimizer
    opt.apply(params, {k: np.ones(s, np.float32) for k, s in zip(DENSE_KEYS, DENSE_SHAPES)})
    ours = []
    for name, array in opt.variables_in_keras_order(DENSE_KEYS):
        owner = [i for i, k in enumerate(DENSE_KEYS) if name.startswith(k.replace("/", "_") + "_")]
        if name in ("iteration", "learning_rate"):
            ours.append(name)
        elif owner:  # the longest match: 'dense_1_kernel_…' also starts with 'dense_'
            i = max(owner, key=lambda j: len(DENSE_KEYS[j]))
            ours.append([i, name[len(DENSE_KEYS[i]) + 1 :], list(array.shape)])
        else:
            ours.append(["extra", {"u_product": "variable"}.get(name, name), list(array.shape)])
    assert ours == layout


@pytest.mark.parametrize("mode", list(META["clips"]))
@pytest.mark.parametrize("grad_set", ["under", "over", "zeros", "nan", "inf"])
def test_clipping_matches_keras(mode, grad_set):
    grads = {key: DATA[f"clip/{grad_set}/grads/{i}"] for i, key in enumerate(KEYS)}
    want = {key: DATA[f"clip/{grad_set}/{mode}/{i}"] for i, key in enumerate(KEYS)}
    params = {key: np.zeros_like(g) for key, g in grads.items()}
    with np.errstate(invalid="ignore"):
        optimizers.SGD(1.0, **{mode: META["clips"][mode]}).apply(params, grads)  # p = 0 − 1·clip(g)
    for key in KEYS:  # NaN where Keras has NaN, and nowhere else
        np.testing.assert_allclose(-params[key], want[key], rtol=2e-6, atol=1e-9, equal_nan=True, err_msg=key)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("k", range(len(META["schedules"])))
def test_schedule_values_match_keras(k, dtype):
    spec = META["schedules"][k]
    schedule = schedules.deserialize(spec)
    got = np.array([schedule(step) for step in META["schedule_steps"]])
    want = DATA[f"schedule/{k}/{dtype}"]
    # float32: Keras computes in float32 (rate rounding 6e-8, cos/pow/log a few ulps, π·f near 1 cancels in 1+cos)
    rtol, atol = (1e-12, 1e-17) if dtype == "float64" else (2e-6, 3e-8 * np.abs(want).max())
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
