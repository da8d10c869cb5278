"""Every update rule (SGD, RMSprop, Adagrad, Adam, AdamW, Adadelta, Nadam, Adamax, Lion, Ftrl) against Keras 3's
formula, written out here step by step in plain float64 NumPy, on several parameters at once: fixed cases, then
hypothesis over hyper-parameters, shapes and image-like gradients, then the chunked path of large parameters and
float32. (Against Keras itself: test_optimizers_keras.py; the apply() contract: test_optimizers.py.)"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numcnn import optimizers
from numcnn.optimizers import Adadelta, Adamax, Ftrl, Lion, Nadam


def adadelta(ws, grads, lr=0.001, rho=0.95, epsilon=1e-7):
    acc_g, acc_d = [np.zeros_like(w) for w in ws], [np.zeros_like(w) for w in ws]
    for gs in grads:
        for i, g in enumerate(gs):
            acc_g[i] = rho * acc_g[i] + (1 - rho) * g**2
            delta = -np.sqrt(acc_d[i] + epsilon) * g / np.sqrt(acc_g[i] + epsilon)
            acc_d[i] = rho * acc_d[i] + (1 - rho) * delta**2
            ws[i] = ws[i] + lr * delta
        yield [w.copy() for w in ws]


def nadam(ws, grads, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m, v = [np.zeros_like(w) for w in ws], [np.zeros_like(w) for w in ws]
    u_product = 1.0
    for t, gs in enumerate(grads, start=1):
        u_t = beta_1 * (1 - 0.5 * 0.96**t)
        u_next = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product = u_product * u_t  # before the step, as Keras' _backend_update_step
        for i, g in enumerate(gs):
            m[i] = m[i] + (1 - beta_1) * (g - m[i])
            v[i] = v[i] + (1 - beta_2) * (g**2 - v[i])
            m_hat = u_next * m[i] / (1 - u_product * u_next) + (1 - u_t) * g / (1 - u_product)
            v_hat = v[i] / (1 - beta_2**t)
            ws[i] = ws[i] - lr * m_hat / (np.sqrt(v_hat) + epsilon)
        yield [w.copy() for w in ws]


def adamax(ws, grads, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m, u = [np.zeros_like(w) for w in ws], [np.zeros_like(w) for w in ws]
    for t, gs in enumerate(grads, start=1):
        for i, g in enumerate(gs):
            m[i] = beta_1 * m[i] + (1 - beta_1) * g
            u[i] = np.maximum(beta_2 * u[i], np.abs(g))
            ws[i] = ws[i] - lr / (1 - beta_1**t) * m[i] / (u[i] + epsilon)
        yield [w.copy() for w in ws]


def lion(ws, grads, lr=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None):
    m = [np.zeros_like(w) for w in ws]
    for gs in grads:
        for i, g in enumerate(gs):
            if weight_decay:
                ws[i] = ws[i] - ws[i] * weight_decay * lr
            ws[i] = ws[i] - lr * np.sign(beta_1 * m[i] + (1 - beta_1) * g)
            m[i] = beta_2 * m[i] + (1 - beta_2) * g
        yield [w.copy() for w in ws]


def ftrl(ws, grads, lr=0.001, lr_power=-0.5, init=0.1, l1=0.0, l2=0.0, shrinkage=0.0, beta=0.0):
    n, z = [np.full_like(w, init) for w in ws], [np.zeros_like(w) for w in ws]
    for gs in grads:
        for i, g in enumerate(gs):
            w = ws[i]
            new_n = n[i] + g**2
            sigma = (new_n ** (-lr_power) - n[i] ** (-lr_power)) / lr
            z[i] = z[i] + (g + 2 * shrinkage * w) - sigma * w
            quadratic = new_n ** (-lr_power) / lr + 2 * (l2 + beta / (2 * lr))
            # the closed form of the proximal step: 0 inside the L1 ball, shrunk linearly outside it
            ws[i] = np.where(np.abs(z[i]) <= l1, 0.0, (np.sign(z[i]) * l1 - z[i]) / quadratic)
            n[i] = new_n
        yield [w.copy() for w in ws]


def sgd(ws, grads, lr=0.01, momentum=0.0, nesterov=False):
    velocity = [np.zeros_like(w) for w in ws]
    for gs in grads:
        for i, g in enumerate(gs):
            velocity[i] = momentum * velocity[i] - lr * g
            ws[i] = ws[i] + (momentum * velocity[i] - lr * g if nesterov else velocity[i])
        yield [w.copy() for w in ws]


def rmsprop(ws, grads, lr=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    v, mg, mom = ([np.zeros_like(w) for w in ws] for _ in range(3))
    for gs in grads:
        for i, g in enumerate(gs):
            v[i] = rho * v[i] + (1 - rho) * g**2
            mg[i] = rho * mg[i] + (1 - rho) * g
            increment = lr * g / np.sqrt(v[i] - (mg[i] ** 2 if centered else 0.0) + epsilon)
            mom[i] = momentum * mom[i] + increment
            ws[i] = ws[i] - (mom[i] if momentum > 0 else increment)
        yield [w.copy() for w in ws]


def adagrad(ws, grads, lr=0.001, init=0.1, epsilon=1e-7):
    acc = [np.full_like(w, init) for w in ws]
    for gs in grads:
        for i, g in enumerate(gs):
            acc[i] = acc[i] + g**2
            ws[i] = ws[i] - lr * g / np.sqrt(acc[i] + epsilon)
        yield [w.copy() for w in ws]


def adam(ws, grads, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, weight_decay=None):
    m, v, vhat = ([np.zeros_like(w) for w in ws] for _ in range(3))
    for t, gs in enumerate(grads, start=1):
        for i, g in enumerate(gs):
            if weight_decay:
                ws[i] = ws[i] - ws[i] * weight_decay * lr
            m[i] = m[i] + (1 - beta_1) * (g - m[i])
            v[i] = v[i] + (1 - beta_2) * (g**2 - v[i])
            vhat[i] = np.maximum(vhat[i], v[i])
            alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
            ws[i] = ws[i] - alpha * m[i] / (np.sqrt(vhat[i] if amsgrad else v[i]) + epsilon)
        yield [w.copy() for w in ws]


def adamw(ws, grads, weight_decay=0.004, **kwargs):
    return adam(ws, grads, weight_decay=weight_decay, **kwargs)


REFERENCES = {
    "sgd": sgd,
    "rmsprop": rmsprop,
    "adagrad": adagrad,
    "adam": adam,
    "adamw": adamw,
    "adadelta": adadelta,
    "nadam": nadam,
    "adamax": adamax,
    "lion": lion,
    "ftrl": ftrl,
}
FTRL_NAMES = {
    "lr_power": "learning_rate_power",
    "init": "initial_accumulator_value",
    "l1": "l1_regularization_strength",
    "l2": "l2_regularization_strength",
    "shrinkage": "l2_shrinkage_regularization_strength",
}

W0 = [np.array([0.5, -1.25, 2.0, 0.0, -3.0]), np.array([[0.3, -0.2], [0.0, 1.5]])]
GRADS = [
    [np.array([0.1, -0.2, 0.3, 1e-3, -2.0]), np.array([[1.0, 0.0], [0.0, -1.0]])],
    [np.array([-0.4, 0.05, 0.3, 2.0, 0.5]), np.array([[0.0, 0.0], [0.0, 0.0]])],  # a gradient of zeros
    [np.array([0.02, 0.7, -1.1, 0.0, 1.5]), np.array([[1.0, 1.0], [1.0, 1.0]])],  # ties
    [np.array([0.3, -0.3, 0.3, -0.3, 0.0]), np.array([[-2.0, 0.5], [0.25, 1.0]])],
]


def numcnn_run(name, kwargs, ws=W0, grads=GRADS, dtype=np.float64):
    """numcnn's trajectory, from the reference's keyword arguments (``lr``, Ftrl's short names)."""
    kwargs = {("learning_rate" if k == "lr" else FTRL_NAMES.get(k, k)): v for k, v in kwargs.items()}
    opt = optimizers.get({"class_name": name, "config": kwargs})
    params = {f"layer{i}/w": w.astype(dtype) for i, w in enumerate(ws)}
    for gs in grads:
        opt.apply(params, {f"layer{i}/w": g.astype(dtype) for i, g in enumerate(gs)})
        yield [params[f"layer{i}/w"].copy() for i in range(len(ws))]


def check(name, kwargs, ws=W0, grads=GRADS, rtol=1e-12, atol=1e-15):
    expected = REFERENCES[name]([w.copy() for w in ws], grads, **kwargs)
    for step, (got, want) in enumerate(zip(numcnn_run(name, kwargs, ws, grads), expected, strict=True)):
        for i, (a, b) in enumerate(zip(got, want)):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{name} step {step + 1} param {i}")


CASES = [
    ("sgd", {}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.05, "momentum": 0.7, "nesterov": True}),
    ("rmsprop", {"lr": 0.01, "rho": 0.8, "epsilon": 1e-2}),  # a large epsilon: its place (inside the root) shows
    ("rmsprop", {"lr": 0.01, "rho": 0.8, "momentum": 0.5, "centered": True}),
    ("adagrad", {"lr": 0.1, "init": 0.5, "epsilon": 1e-3}),
    ("adam", {"lr": 0.01, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-3}),
    ("adam", {"lr": 0.05, "beta_2": 0.5, "amsgrad": True}),  # v shrinks after the big first step
    ("adamw", {"lr": 0.02, "weight_decay": 0.3, "beta_2": 0.99}),
    ("adadelta", {}),
    ("adadelta", {"lr": 1.0, "rho": 0.8, "epsilon": 1e-3}),
    ("nadam", {}),
    ("nadam", {"lr": 0.02, "beta_1": 0.7, "beta_2": 0.9, "epsilon": 1e-2}),
    ("adamax", {}),
    ("adamax", {"lr": 0.05, "beta_1": 0.5, "beta_2": 0.6, "epsilon": 1e-2}),
    ("lion", {}),
    ("lion", {"lr": 0.03, "beta_1": 0.4, "beta_2": 0.6, "weight_decay": 0.2}),
    ("ftrl", {}),
    ("ftrl", {"lr": 0.2, "lr_power": -0.3, "init": 0.5, "l1": 0.05, "l2": 0.2, "shrinkage": 0.1, "beta": 0.3}),
    ("ftrl", {"lr": 0.1, "lr_power": 0.0, "l1": 0.3}),  # a fixed rate; L1 zeroes small weights
]


@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_rule_matches_its_formula_step_by_step(name, kwargs):
    check(name, kwargs)


def test_the_formulas_are_not_interchangeable():
    """Each rule's trajectory differs from every other's on the same data: the cases above are not vacuous."""
    finals = {name: list(numcnn_run(name, {"lr": 0.01}))[-1][0] for name in REFERENCES}
    names = list(finals)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not np.allclose(finals[a], finals[b], rtol=1e-5, atol=0), (a, b)


def test_lion_moves_every_element_by_exactly_lr_or_not_at_all():
    (w1,) = next(numcnn_run("lion", {"lr": 0.125}, [np.array([0.5, -1.0, 0.0])], [[np.array([3.0, -1e-9, 0.0])]]))
    np.testing.assert_array_equal(w1, [0.375, -0.875, 0.0])  # sign(g) times lr; sign(0) = 0


def test_ftrl_l1_holds_weights_at_exactly_zero():
    ws = [np.array([0.5, -0.5, 2.0])]
    grads = [[np.array([0.01, -0.01, 5.0])]] * 3
    final = list(numcnn_run("ftrl", {"lr": 0.5, "l1": 1.0}, ws, grads))[-1][0]
    assert final[0] == 0.0 and final[1] == 0.0 and final[2] != 0.0  # |z| below l1 → exactly 0


def test_nadam_step_one_by_hand():
    lr, b1, b2, eps, g = 0.01, 0.9, 0.999, 1e-7, 0.5
    u1, u2 = b1 * (1 - 0.5 * 0.96), b1 * (1 - 0.5 * 0.96**2)
    m, v = (1 - b1) * g, (1 - b2) * g * g
    m_hat = u2 * m / (1 - u1 * u2) + (1 - u1) * g / (1 - u1)
    expected = 1.0 - lr * m_hat / (math.sqrt(v / (1 - b2)) + eps)
    (w,) = next(numcnn_run("nadam", {"lr": lr}, [np.array([1.0])], [[np.array([g])]]))
    assert w[0] == pytest.approx(expected, rel=1e-14)


def image_like(rng, shape):
    """Mostly exact zeros, strokes of ones, a few saturated values: what a CNN's gradients see from MNIST."""
    g = np.zeros(shape)
    flat = g.reshape(-1)
    flat[rng.random(flat.size) < 0.2] = 1.0
    flat[rng.random(flat.size) < 0.1] = -1.0
    saturated = rng.random(flat.size) < 0.05
    flat[saturated] = 10.0 * rng.choice([-1.0, 1.0], saturated.sum())
    return g


BETAS = {
    "lr": st.floats(1e-4, 0.1),
    "beta_1": st.floats(0.0, 0.99),
    "beta_2": st.floats(0.5, 0.9999),
    "epsilon": st.floats(1e-8, 1e-2),
}
HYPER = {
    "sgd": {"lr": st.floats(1e-4, 0.5), "momentum": st.floats(0.0, 1.0), "nesterov": st.booleans()},
    "rmsprop": {"lr": st.floats(1e-4, 0.1), "rho": st.floats(0.0, 0.99), "momentum": st.floats(0.0, 0.99),
                "epsilon": st.floats(1e-8, 1e-2), "centered": st.booleans()},
    "adagrad": {"lr": st.floats(1e-4, 0.5), "init": st.floats(0.0, 1.0), "epsilon": st.floats(1e-8, 1e-2)},
    "adam": {**BETAS, "amsgrad": st.booleans()},
    "adamw": {**BETAS, "weight_decay": st.floats(0.0, 0.5)},
    "adadelta": {"lr": st.floats(1e-3, 2.0), "rho": st.floats(0.0, 0.99), "epsilon": st.floats(1e-8, 1e-2)},
    "nadam": BETAS,
    "adamax": BETAS,
    "lion": {"lr": st.floats(1e-4, 0.1), "beta_1": st.floats(0.01, 1.0), "beta_2": st.floats(0.0, 0.999)},
    "ftrl": {"lr": st.floats(1e-3, 1.0), "lr_power": st.floats(-1.0, 0.0), "init": st.floats(0.01, 1.0),
             "l1": st.floats(0.0, 0.5), "l2": st.floats(0.0, 0.5), "shrinkage": st.floats(0.0, 0.5),
             "beta": st.floats(0.0, 1.0)},
}  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(HYPER)),
    data=st.data(),
    shapes=st.lists(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), min_size=1, max_size=3),
    steps=st.integers(1, 4),
    seed=st.integers(0, 2**16),
    image=st.booleans(),
)
def test_rules_match_their_formulas_over_hyper_parameters(name, data, shapes, steps, seed, image):
    kwargs = {k: data.draw(s, label=k) for k, s in HYPER[name].items()}
    rng = np.random.default_rng(seed)
    ws = [rng.standard_normal(s) for s in shapes]
    make = (lambda s: image_like(rng, s)) if image else (lambda s: rng.standard_normal(s))
    grads = [[make(s) for s in shapes] for _ in range(steps)]
    expected = REFERENCES[name]([w.copy() for w in ws], grads, **kwargs)
    got = numcnn_run(name, kwargs, ws, grads)
    for step, (a, b) in enumerate(zip(got, expected, strict=True)):
        for i, (x, y) in enumerate(zip(a, b)):
            np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12, err_msg=f"step {step + 1} param {i}")


@pytest.mark.parametrize("cls", [Adadelta, Nadam, Adamax, Lion, Ftrl])  # test_optimizers.py: Adam's
def test_large_params_take_the_chunked_path_and_follow_the_same_formula(cls):
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((300, 700))  # larger than one 64K-element update chunk
    g = rng.standard_normal((700, 300)).T  # a non-contiguous gradient
    big, small = cls(learning_rate=0.01), cls(learning_rate=0.01)
    params = {"big": w0.copy(), "view": w0.copy().T.copy().T}  # C-ordered (chunked) and F-ordered (whole)
    for _ in range(2):
        big.apply(params, {"big": g, "view": g})
    parts = {f"row{r}": w0[r].copy() for r in range(300)}  # the same elements as many small parameters
    for _ in range(2):
        small.apply(parts, {f"row{r}": np.ascontiguousarray(g[r]) for r in range(300)})
    stacked = np.stack([parts[f"row{r}"] for r in range(300)])
    np.testing.assert_allclose(params["big"], stacked, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(params["view"], stacked, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_float32_params_follow_the_float64_formula(name):
    got = list(numcnn_run(name, {"lr": 0.01}, dtype=np.float32))
    want = list(REFERENCES[name]([w.copy() for w in W0], GRADS, lr=0.01))
    for a, b in zip(got, want):
        for x, y in zip(a, b):
            assert x.dtype == np.float32
            np.testing.assert_allclose(x, y, rtol=2e-6, atol=2e-7)  # float32 rounding of a few ops a step
