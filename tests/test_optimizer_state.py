"""State that survives a checkpoint (numcnn's state_dict and Keras' optimizer/vars list), checked whole before it
is loaded, and one optimizer serving one model."""

import gc

import numpy as np
import pytest

from numcnn import optimizers
from numcnn.layers import Dense
from numcnn.models import Sequential, load_model
from numcnn.optimizers.schedules import CosineDecay

CONFIGS = [
    ("SGD", {"learning_rate": 0.0078125, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.0078125}),
    ("RMSprop", {"learning_rate": 0.0078125, "momentum": 0.5, "centered": True}),
    ("Adagrad", {"learning_rate": 0.0078125}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adam", {"learning_rate": 0.0078125, "amsgrad": True}),
    ("AdamW", {"learning_rate": 0.0078125}),
    ("Nadam", {"learning_rate": 0.0078125}),
    ("Adamax", {"learning_rate": 0.0078125}),
    ("Lion", {"learning_rate": 0.0078125, "weight_decay": 0.1}),
    ("Ftrl", {"learning_rate": 0.0078125, "l1_regularization_strength": 0.01}),
    ("Adam", {"learning_rate": CosineDecay(0.0, 6, warmup_target=0.01, warmup_steps=3), "clipnorm": 0.5}),
]  # learning rates exact in float32, so that Keras' float32 learning_rate variable round-trips bit for bit
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CONFIGS)]
KEYS = ["conv/kernel", "conv/bias", "dense/kernel"]
RNG = np.random.default_rng(5)
START = {k: RNG.standard_normal(s) for k, s in zip(KEYS, [(3, 3, 1, 2), (2,), (4, 3)])}
GRADS = [{k: RNG.standard_normal(w.shape) * (1 + 5 * (t == 2)) for k, w in START.items()} for t in range(8)]


def make(i):
    name, config = CONFIGS[i]
    return getattr(optimizers, name)(**config)


def steps(opt, params, grads):
    for g in grads:
        opt.apply(params, g)


def fresh(dtype=np.float64):
    return {k: w.astype(dtype) for k, w in START.items()}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("i", range(len(CONFIGS)), ids=IDS)
def test_resume_through_an_npz_equals_never_stopping(i, dtype, tmp_path):
    straight = fresh(dtype)
    steps(make(i), straight, GRADS)
    params, first = fresh(dtype), make(i)
    steps(first, params, GRADS[:5])
    np.savez(tmp_path / "opt.npz", **first.state_dict())
    resumed = optimizers.deserialize(optimizers.serialize(first))  # the config, as a checkpoint keeps it
    with np.load(tmp_path / "opt.npz", allow_pickle=False) as f:
        resumed.load_state_dict(dict(f), params=params)
    assert resumed.iterations == 5
    steps(resumed, params, GRADS[5:])
    for key in KEYS:
        np.testing.assert_array_equal(params[key], straight[key], err_msg=key)


@pytest.mark.parametrize("i", range(len(CONFIGS)), ids=IDS)
def test_resume_through_keras_variables_equals_never_stopping(i):
    straight = fresh(np.float32)
    steps(make(i), straight, GRADS)
    params, first = fresh(np.float32), make(i)
    steps(first, params, GRADS[:4])
    exported = first.variables_in_keras_order(KEYS)
    resumed = optimizers.deserialize(optimizers.serialize(first))
    resumed.load_keras_variables(KEYS, [a for _, a in exported])
    steps(resumed, params, GRADS[4:])
    for key in KEYS:
        np.testing.assert_array_equal(params[key], straight[key], err_msg=key)


def test_state_dict_carries_iterations_learning_rate_and_every_slot():
    opt, params = optimizers.RMSprop(0.01, momentum=0.5, centered=True), fresh()
    steps(opt, params, GRADS[:2])
    state = opt.state_dict()
    slots = ["velocity", "momentum", "average_gradient"]
    assert set(state) == {"iterations", "learning_rate"} | {f"{s}/{k}" for s in slots for k in KEYS}
    assert state["iterations"] == 2 and state["learning_rate"] == 0.01
    state["velocity/conv/bias"][...] = 7.0  # a copy: the optimizer's own arrays are untouched
    assert not np.any(opt.state_dict()["velocity/conv/bias"] == 7.0)


def test_a_changed_learning_rate_is_restored():
    opt, params = optimizers.Adam(0.01), fresh()
    steps(opt, params, GRADS[:1])
    opt.learning_rate = 0.002  # as ReduceLROnPlateau does
    again = optimizers.Adam(0.01)
    again.load_state_dict(opt.state_dict())
    assert again.learning_rate == 0.002
    del_lr = {k: v for k, v in opt.state_dict().items() if k != "learning_rate"}  # an older state dict
    again = optimizers.Adam(0.01)
    again.load_state_dict(del_lr)
    assert again.learning_rate == 0.01 and again.iterations == 1


def trained_adam():
    opt, params = optimizers.Adam(0.01, amsgrad=True), fresh()
    steps(opt, params, GRADS[:2])
    return opt, params


def good_state():
    return trained_adam()[0].state_dict()


def changed(**entries):
    state = good_state()
    state.update(entries)
    return {k: v for k, v in state.items() if v is not None}


@pytest.mark.parametrize(
    ("state", "params", "error", "match"),
    [
        (lambda: [1, 2], None, TypeError, "argument 'state': expected a dict from state_dict"),
        (lambda: {"momentum/conv/bias": np.zeros(2)}, None, TypeError, "argument 'state'"),
        (lambda: changed(iterations=-1), None, ValueError, "argument 'iterations'"),
        (lambda: changed(iterations=1.5), None, TypeError, "argument 'iterations'"),
        (lambda: changed(learning_rate=np.nan), None, ValueError, "argument 'learning_rate'"),
        (lambda: changed(learning_rate=-0.1), None, ValueError, "argument 'learning_rate'"),
        (lambda: changed(**{"accumulator/conv/bias": np.zeros(2)}), None, ValueError, "slot one of"),
        (lambda: changed(**{"momentum/dense/kernel": None}), None, ValueError, r"no \['momentum'\] for key"),
        (lambda: changed(**{"velocity/conv/bias": np.zeros(3)}), None, ValueError, "one shape for every slot"),
        (lambda: changed(**{"velocity/conv/bias": np.zeros(2, int)}), None, TypeError, "floating-point"),
        (lambda: changed(**{"velocity/conv/bias": [0.0, 0.0]}), None, TypeError, "floating-point"),
        (good_state, {**START, "conv/bias": np.zeros(5)}, ValueError, "of its parameter's shape"),
        (good_state, {"conv/bias": np.zeros(2)}, ValueError, "argument 'params': expected an array under every"),
        (good_state, {k: list(w.shape) for k, w in START.items()}, TypeError, "argument 'params'"),
    ],
)
def test_load_state_dict_checks_everything_before_changing_anything(state, params, error, match):
    opt, bound = trained_adam()
    before = opt.state_dict()
    with pytest.raises(error, match=match):
        opt.load_state_dict(state(), params=params)
    after = opt.state_dict()
    assert after.keys() == before.keys() and opt.iterations == 2
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value)
    steps(opt, bound, GRADS[2:3])  # still bound to its own arrays


def test_a_schedule_optimizer_refuses_a_saved_float_learning_rate():
    opt = optimizers.SGD(CosineDecay(0.1, 10))
    with pytest.raises(ValueError, match="learning rate is a schedule"):
        opt.load_state_dict({"iterations": 3, "learning_rate": 0.1})
    assert opt.iterations == 0
    opt.load_state_dict({"iterations": 3})
    assert opt.current_learning_rate() == pytest.approx(CosineDecay(0.1, 10)(3))  # resumes from iterations


def test_keras_variables_before_any_step_and_with_a_schedule():
    opt = optimizers.Adam(0.5)
    (it, a), (lr, b) = opt.variables_in_keras_order(KEYS)  # never stepped: Keras' unbuilt optimizer
    assert (it, a.dtype, int(a)) == ("iteration", np.int64, 0)
    assert (lr, b.dtype, float(b)) == ("learning_rate", "float32", 0.5)
    opt.load_keras_variables(KEYS, [np.array(7), np.array(0.25, np.float32)])
    assert opt.iterations == 7 and opt.learning_rate == 0.25
    assert opt.state_dict().keys() == {"iterations", "learning_rate"}
    scheduled = optimizers.Nadam(CosineDecay(0.1, 10))
    steps(scheduled, fresh(), GRADS[:2])
    names = [name for name, _ in scheduled.variables_in_keras_order(KEYS)]
    assert names[0] == "iteration" and "learning_rate" not in names and names[-1] == "u_product"
    assert names[1:3] == ["conv_kernel_momentum", "conv_kernel_velocity"]  # interleaved per variable


def test_load_keras_variables_checks_before_changing_anything():
    opt, params = trained_adam()
    good = [a for _, a in opt.variables_in_keras_order(KEYS)]  # 2 + 3 keys × (m, v) + 3 × vhat = 11
    before = opt.state_dict()
    bad_lists = [
        (good[:-1], ValueError, r"expected 2 or 11 arrays: iteration, learning_rate, 9 slot arrays \(momentum, "),
        ([np.array(1.5)] + good[1:], TypeError, "argument 'iteration'"),
        (good[:2] + [np.zeros(7)] + good[3:], ValueError, "one shape for every slot"),
        (good[:2] + [np.zeros((3, 3, 1, 2), int)] + good[3:], TypeError, "floating-point"),
        ({"0": good[0]}, TypeError, "argument 'arrays'"),
    ]
    for arrays, error, match in bad_lists:
        with pytest.raises(error, match=match):
            opt.load_keras_variables(KEYS, arrays)
    with pytest.raises(TypeError, match="argument 'keys'"):
        opt.load_keras_variables("conv/kernel", good)
    with pytest.raises(ValueError, match="argument 'keys': expected distinct"):
        opt.variables_in_keras_order(["conv/bias", "conv/bias"])
    with pytest.raises(ValueError, match=r"keys without state: \['other/w'\]"):
        opt.variables_in_keras_order([*KEYS, "other/w"])
    assert opt.iterations == 2
    for key, value in before.items():
        np.testing.assert_array_equal(opt.state_dict()[key], value)
    steps(opt, params, GRADS[2:3])


# -- one optimizer, one model ----------------------------------------------------------------------------


def test_different_arrays_under_known_keys_are_refused_before_anything_changes():
    opt, params = optimizers.Adam(), fresh()
    steps(opt, params, GRADS[:1])
    before = opt.state_dict()
    other = fresh()  # another model's arrays under the same keys
    with pytest.raises(ValueError, match="create one optimizer per model") as info:
        opt.apply(other, GRADS[1])
    assert "Invalid value for argument 'params'" in str(info.value) and "params['conv/kernel']" in str(info.value)
    for key in KEYS:
        np.testing.assert_array_equal(other[key], START[key])
    assert opt.iterations == 1 and all(np.array_equal(opt.state_dict()[k], v) for k, v in before.items())
    mixed = {**params, "dense/kernel": other["dense/kernel"]}  # only the last key is foreign
    kept = {k: w.copy() for k, w in params.items()}
    with pytest.raises(ValueError, match="one optimizer per model"):
        opt.apply(mixed, GRADS[1])
    for key in KEYS:  # refused before the first key was updated
        np.testing.assert_array_equal(params[key], kept[key])
    opt.apply({**params, "new/w": np.zeros(3)}, {**GRADS[1], "new/w": np.ones(3)})  # a new key binds lazily
    assert opt.iterations == 2


def test_a_bound_array_that_was_freed_is_not_mistaken_for_a_new_one():
    opt = optimizers.SGD(0.1, momentum=0.5)
    opt.apply({"w": np.zeros(3)}, {"w": np.ones(3)})  # the array dies with this call
    gc.collect()
    with pytest.raises(ValueError, match="one optimizer per model"):
        opt.apply({"w": np.zeros(3)}, {"w": np.ones(3)})


def test_load_state_dict_rebinds():
    opt, params = optimizers.Adam(), fresh()
    steps(opt, params, GRADS[:2])
    other = fresh()
    opt.load_state_dict(opt.state_dict())  # re-bound: the next apply decides
    opt.apply(other, GRADS[2])
    with pytest.raises(ValueError, match="one optimizer per model"):
        opt.apply(params, GRADS[3])
    opt.load_state_dict(opt.state_dict(), params=params)  # bound at once to the given arrays
    with pytest.raises(ValueError, match="one optimizer per model"):
        opt.apply(other, GRADS[3])
    opt.apply(params, GRADS[3])


def test_one_optimizer_compiled_into_two_loaded_copies_of_a_model(tmp_path):
    model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.npz")
    a, b = load_model(tmp_path / "m.npz"), load_model(tmp_path / "m.npz")  # the same layer names
    opt = optimizers.Adam()
    a.compile(optimizer=opt, loss="mse")
    b.compile(optimizer=opt, loss="mse")
    x, y = np.ones((5, 3), np.float32), np.zeros((5, 2), np.float32)
    a.train_on_batch(x, y)
    weights = [w.copy() for w in b.get_weights()]
    with pytest.raises(ValueError, match="create one optimizer per model"):
        b.train_on_batch(x, y)
    assert opt.iterations == 1
    for w, before in zip(b.get_weights(), weights):
        np.testing.assert_array_equal(w, before)
    a.set_weights(b.get_weights())  # set_weights writes into the same arrays: still a's optimizer
    a.train_on_batch(x, y)
    assert opt.iterations == 2
