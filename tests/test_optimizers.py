"""The existing rules (SGD, RMSprop, Adagrad, Adam, AdamW) against Keras 3's formulas written out step by step,
the apply() contract every rule keeps, and name resolution. New rules: test_optimizer_rules.py."""

import math

import numpy as np
import pytest

from numcnn import optimizers
from numcnn.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Ftrl, Lion, Nadam, RMSprop

W0 = np.array([0.5, -1.25, 2.0, 0.0, -3.0])
GRADS = [
    np.array([0.1, -0.2, 0.3, 1e-3, -2.0]),
    np.array([-0.4, 0.05, 0.3, 2.0, 0.5]),
    np.array([0.02, 0.7, -1.1, 0.0, 1.5]),
]


def run(opt, grads=GRADS, w0=W0):
    """Apply ``opt`` to ``{'w': w0}`` once per gradient; return the weights after each step."""
    params = {"w": w0.copy()}
    out = []
    for g in grads:
        opt.apply(params, {"w": g.copy()})
        out.append(params["w"].copy())
    return out


def check(got, expected):
    for step, (a, b) in enumerate(zip(got, expected, strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0, err_msg=f"step {step + 1}")


# -- update rules ----------------------------------------------------------------------------------------


def test_adam_matches_keras_formula():
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-3  # non-defaults, and an epsilon large enough to matter
    w, m, v, expected = W0.copy(), np.zeros(5), np.zeros(5), []
    for t, g in enumerate(GRADS, start=1):
        m = m + (1 - b1) * (g - m)
        v = v + (1 - b2) * (g * g - v)
        alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        w = w - alpha * m / (np.sqrt(v) + eps)
        expected.append(w)
    got = run(Adam(learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps))
    check(got, expected)
    # PyTorch's form adds epsilon to the bias-corrected sqrt(v): measurably different here
    m1, v1 = (1 - b1) * GRADS[0], (1 - b2) * GRADS[0] ** 2
    torch_w1 = W0 - lr * (m1 / (1 - b1)) / (np.sqrt(v1 / (1 - b2)) + eps)
    assert not np.allclose(got[0], torch_w1, rtol=1e-6, atol=0)


def test_adam_defaults_first_step_epsilon_acts_like_eps_over_sqrt_one_minus_beta2():
    g = 1e-9
    params = {"w": np.zeros(1)}
    Adam().apply(params, {"w": np.array([g])})
    update = -params["w"][0]
    eps_eff = 1e-7 / math.sqrt(1 - 0.999)  # ≈ 3.2e-6
    assert update == pytest.approx(1e-3 * g / (g + eps_eff), rel=1e-9)
    assert update < 0.05 * (1e-3 * g / (g + 1e-7))  # PyTorch's form would step ~30x further


def test_amsgrad_divides_by_running_max_of_v():
    lr, b1, b2, eps = 0.05, 0.9, 0.5, 1e-7
    grads = [np.array([3.0, -2.0]), np.array([0.1, 0.1]), np.array([-0.2, 0.05])]  # v shrinks after step 1
    w, m, v, vhat, expected = np.array([1.0, 1.0]), np.zeros(2), np.zeros(2), np.zeros(2), []
    for t, g in enumerate(grads, start=1):
        m = m + (1 - b1) * (g - m)
        v = v + (1 - b2) * (g * g - v)
        vhat = np.maximum(vhat, v)
        w = w - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(vhat) + eps)
        expected.append(w)
    got = run(Adam(lr, b1, b2, eps, amsgrad=True), grads, np.array([1.0, 1.0]))
    check(got, expected)
    assert not np.allclose(got[-1], run(Adam(lr, b1, b2, eps), grads, np.array([1.0, 1.0]))[-1])


def test_adamw_decays_with_lr_before_the_adam_step():
    lr, wd, b1, b2, eps = 0.02, 0.3, 0.9, 0.99, 1e-7
    w, m, v, expected = W0.copy(), np.zeros(5), np.zeros(5), []
    for t, g in enumerate(GRADS, start=1):
        w = w - w * wd * lr  # decoupled decay with the learning rate, not with Adam's alpha
        m = m + (1 - b1) * (g - m)
        v = v + (1 - b2) * (g * g - v)
        w = w - lr * math.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
        expected.append(w)
    check(run(AdamW(lr, weight_decay=wd, beta_1=b1, beta_2=b2, epsilon=eps)), expected)
    # zero gradients: only the decay acts
    zero = [np.zeros(5)] * 3
    np.testing.assert_allclose(run(AdamW(lr, weight_decay=wd), zero)[-1], W0 * (1 - wd * lr) ** 3, rtol=1e-12)
    assert AdamW().weight_decay == 0.004


def test_sgd_plain():
    lr, w, expected = 0.1, W0.copy(), []
    for g in GRADS:
        w = w - lr * g
        expected.append(w)
    check(run(SGD(lr)), expected)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_and_nesterov(nesterov):
    lr, mu = 0.1, 0.9
    w, velocity, expected = W0.copy(), np.zeros(5), []
    for g in GRADS:
        velocity = mu * velocity - lr * g
        w = w + (mu * velocity - lr * g if nesterov else velocity)
        expected.append(w)
    got = run(SGD(lr, momentum=mu, nesterov=nesterov))
    check(got, expected)
    other = run(SGD(lr, momentum=mu, nesterov=not nesterov))
    assert not np.allclose(got[-1], other[-1])


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.7])
def test_rmsprop(centered, momentum):
    lr, rho, eps = 0.01, 0.8, 1e-2  # a large epsilon so its place (inside the root) is tested
    w, v, mg, mom, expected = W0.copy(), np.zeros(5), np.zeros(5), np.zeros(5), []
    for g in GRADS:
        v = rho * v + (1 - rho) * g**2
        if centered:
            mg = rho * mg + (1 - rho) * g
            denominator = v - mg**2 + eps
        else:
            denominator = v + eps
        increment = lr * g / np.sqrt(denominator)
        if momentum:
            mom = momentum * mom + increment
            w = w - mom
        else:
            w = w - increment
        expected.append(w)
    check(run(RMSprop(lr, rho=rho, momentum=momentum, epsilon=eps, centered=centered)), expected)


def test_adagrad():
    lr, init, eps = 0.1, 0.1, 1e-3
    w, acc, expected = W0.copy(), np.full(5, init), []
    for g in GRADS:
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
        expected.append(w)
    check(run(Adagrad(lr, initial_accumulator_value=init, epsilon=eps)), expected)


def test_large_and_non_contiguous_params_follow_the_same_formula():
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((300, 700))  # larger than one update chunk
    g = rng.standard_normal((700, 300)).T  # a non-contiguous gradient
    m = 0.1 * g
    v = 0.001 * g * g
    expected = w0 - 1e-3 * math.sqrt(0.001) / 0.1 * m / (np.sqrt(v) + 1e-7)
    params = {"big": w0.copy(), "view": w0.copy().T.copy().T}  # the second is a transposed (F-order) array
    Adam().apply(params, {"big": g, "view": g})
    np.testing.assert_allclose(params["big"], expected, rtol=1e-12)
    np.testing.assert_allclose(params["view"], expected, rtol=1e-12)


# -- the apply() contract --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["adam", "sgd", "rmsprop", "adagrad", "adamw", "adadelta", "nadam", "adamax", "lion", "ftrl"]
)
def test_float32_in_place_and_grads_untouched(name):
    opt = optimizers.get({"class_name": name, "config": {"clipnorm": 0.5}})
    rng = np.random.default_rng(1)
    kernel = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
    params = {"conv/kernel": kernel, "conv/bias": np.zeros(4, np.float32)}
    grads = {"conv/kernel": rng.standard_normal((3, 3, 2, 4)).astype(np.float32), "conv/bias": np.ones(4)}
    before = {k: g.copy() for k, g in grads.items()}
    ref = optimizers.get({"class_name": name, "config": {"clipnorm": 0.5}})
    ref_params = {k: p.astype(np.float64) for k, p in params.items()}
    for _ in range(3):
        opt.apply(params, grads)
        ref.apply(ref_params, {k: g.astype(np.float64) for k, g in grads.items()})
        assert all(a.dtype == np.float32 for a in opt.state_dict().values() if isinstance(a, np.ndarray))
    assert params["conv/kernel"] is kernel
    assert kernel.dtype == np.float32
    assert params["conv/bias"].dtype == np.float32  # a float64 gradient does not promote it
    for key in grads:
        np.testing.assert_array_equal(grads[key], before[key])
        np.testing.assert_allclose(params[key], ref_params[key], rtol=1e-5, atol=1e-6)
    assert opt.iterations == 3


def test_state_is_created_lazily_per_key():
    opt = Adam()
    params = {"a": np.zeros((2, 3)), "b": np.zeros(4)}
    opt.apply(params, {"a": np.ones((2, 3)), "b": np.ones(4)})
    state = opt.state_dict()
    assert set(state) == {"iterations", "learning_rate", "momentum/a", "velocity/a", "momentum/b", "velocity/b"}
    assert state["momentum/a"].shape == (2, 3)
    assert state["velocity/b"].shape == (4,)
    params["c"] = np.zeros(2)
    opt.apply(params, {"a": np.ones((2, 3)), "b": np.ones(4), "c": np.ones(2)})
    assert {"momentum/c", "velocity/c"} <= set(opt.state_dict())
    assert opt.iterations == 2
    assert set(SGD().state_dict()) == {"iterations", "learning_rate"}
    opt.apply({}, {})  # nothing to update is still a step, as in Keras
    assert opt.iterations == 3


def test_bad_arrays_raise_before_anything_changes():
    opt = Adam()
    params = {"a": np.ones(3), "b": np.ones(2)}
    with pytest.raises(ValueError, match=r"argument 'grads': expected the keys of params \['a', 'b'\]"):
        opt.apply(params, {"a": np.ones(3)})
    with pytest.raises(ValueError, match=r"grads\['b'\] of shape \(2,\).*Received: grads\['b'\].shape=\(3,\)"):
        opt.apply(params, {"a": np.ones(3), "b": np.ones(3)})  # 'a' is fine and comes first
    with pytest.raises(TypeError, match="argument 'grads'"):
        opt.apply(params, {"a": [1.0, 1.0, 1.0], "b": np.ones(2)})
    with pytest.raises(TypeError, match="argument 'params'"):
        opt.apply({"a": np.ones(3, dtype=int), "b": np.ones(2)}, {"a": np.ones(3), "b": np.ones(2)})
    with pytest.raises(TypeError, match="argument 'params'"):
        opt.apply([np.ones(3)], {"a": np.ones(3)})
    np.testing.assert_array_equal(params["a"], np.ones(3))
    np.testing.assert_array_equal(params["b"], np.ones(2))
    assert opt.iterations == 0
    assert opt.state_dict() == {"iterations": 0, "learning_rate": 0.001}
    opt.apply(params, {"a": np.ones(3), "b": np.ones(2)})
    with pytest.raises(ValueError, match="optimizer state"):  # a key whose shape changed since
        opt.apply({"a": np.ones(4), "b": np.ones(2)}, {"a": np.ones(4), "b": np.ones(2)})


def test_bad_hyper_parameters_raise_house_style():
    msg = r"Invalid value for argument 'learning_rate': expected a non-negative number\. Received: learning_rate=-1"
    with pytest.raises(ValueError, match=msg):
        Adam(learning_rate=-1)
    with pytest.raises(ValueError, match=r"argument 'beta_1': expected a number in \[0.0, 1.0\)"):
        Adam(beta_1=1.0)
    with pytest.raises(ValueError, match="argument 'epsilon'"):
        Adam(epsilon=float("nan"))
    with pytest.raises(TypeError, match="argument 'amsgrad': expected a bool"):
        Adam(amsgrad="yes")
    with pytest.raises(ValueError, match=r"argument 'momentum': expected a number in \[0.0, 1.0\]"):
        SGD(momentum=1.5)
    with pytest.raises(ValueError, match="argument 'rho'"):
        RMSprop(rho=-0.1)
    with pytest.raises(ValueError, match="argument 'initial_accumulator_value'"):
        Adagrad(initial_accumulator_value=-1.0)
    with pytest.raises(ValueError, match="argument 'weight_decay'"):
        AdamW(weight_decay=-0.1)
    with pytest.raises(ValueError, match="argument 'clipnorm': expected a positive number"):
        SGD(clipnorm=0)
    with pytest.raises(ValueError, match="at most one of clipnorm"):
        SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(TypeError, match="argument 'learning_rate'"):
        SGD(learning_rate="fast")
    # hyper-parameters changed after construction are checked again before the next step
    opt, params = Adam(), {"w": np.ones(2)}
    opt.beta_2 = float("inf")
    with pytest.raises(ValueError, match="argument 'beta_2'"):
        opt.apply(params, {"w": np.ones(2)})
    np.testing.assert_array_equal(params["w"], np.ones(2))


def test_gradient_clipping():
    g = {"a": np.array([3.0, 4.0]), "b": np.array([0.0, 12.0])}  # norms 5 and 12, global norm 13
    cases = [
        (SGD(1.0, clipnorm=1.0), {"a": g["a"] / 5, "b": g["b"] / 12}),
        (SGD(1.0, global_clipnorm=1.0), {"a": g["a"] / 13, "b": g["b"] / 13}),
        (SGD(1.0, clipvalue=3.5), {"a": np.array([3.0, 3.5]), "b": np.array([0.0, 3.5])}),
        (SGD(1.0, clipnorm=20.0), g),  # under the limit: unchanged
    ]
    for opt, clipped in cases:
        params = {"a": np.zeros(2), "b": np.zeros(2)}
        opt.apply(params, {k: v.copy() for k, v in g.items()})
        for key in g:
            np.testing.assert_allclose(params[key], -clipped[key], rtol=1e-12)


def test_state_dict_round_trip_through_npz(tmp_path):
    grads = [{"k/w": g, "k/b": g[:2]} for g in GRADS]
    opt = RMSprop(0.01, momentum=0.5, centered=True)
    params = {"k/w": W0.copy(), "k/b": W0[:2].copy()}
    for g in grads[:2]:
        opt.apply(params, g)
    np.savez(tmp_path / "opt.npz", **opt.state_dict())
    resumed = RMSprop(0.01, momentum=0.5, centered=True)
    with np.load(tmp_path / "opt.npz", allow_pickle=False) as f:
        resumed.load_state_dict(f)
    assert resumed.iterations == 2
    twin = {k: p.copy() for k, p in params.items()}
    opt.apply(params, grads[2])
    resumed.apply(twin, grads[2])
    for key in params:
        np.testing.assert_array_equal(params[key], twin[key])
    with pytest.raises(ValueError, match="argument 'state'"):
        Adam().load_state_dict({"iterations": 0, "accumulator/w": np.zeros(2)})


# -- get -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cls", "lr"),
    [
        ("adam", Adam, 0.001),
        ("Adam", Adam, 0.001),
        ("sgd", SGD, 0.01),
        ("SGD", SGD, 0.01),
        ("rmsprop", RMSprop, 0.001),
        ("RMSprop", RMSprop, 0.001),
        ("adagrad", Adagrad, 0.001),
        ("adamw", AdamW, 0.001),
        ("AdamW", AdamW, 0.001),
        ("adadelta", Adadelta, 0.001),  # Keras 3's default; Keras 2's was 1.0
        ("Adadelta", Adadelta, 0.001),
        ("nadam", Nadam, 0.001),
        ("adamax", Adamax, 0.001),
        ("lion", Lion, 0.001),
        ("Ftrl", Ftrl, 0.001),
    ],
)
def test_get_by_name_gives_keras_defaults(name, cls, lr):
    opt = optimizers.get(name)
    assert type(opt) is cls
    assert opt.learning_rate == lr
    assert opt.iterations == 0


def test_get_instance_config_and_errors():
    adam = Adam()
    assert optimizers.get(adam) is adam
    assert (adam.beta_1, adam.beta_2, adam.epsilon, adam.amsgrad) == (0.9, 0.999, 1e-7, False)
    config = RMSprop(0.01, rho=0.8, centered=True).get_config()
    again = optimizers.get({"class_name": "RMSprop", "config": config})
    assert again.get_config() == config
    keras_config = {**Adam().get_config(), "use_ema": False, "ema_momentum": 0.99}  # as Keras writes it
    assert isinstance(optimizers.get({"class_name": "Adam", "config": keras_config}), Adam)
    with pytest.raises(ValueError, match=r"argument 'optimizer': expected one of 'sgd', .*'adam'.*Received"):
        optimizers.get("lamb")  # a Keras optimizer numcnn does not have
    with pytest.raises(TypeError, match="Invalid value for argument 'optimizer'"):
        optimizers.get(0.1)
