"""Learning-rate schedules: Keras 3's formulas written out, their arguments' checks, configs, names, and the
optimizer reading them at ``iterations``. (Against Keras itself: test_optimizers_keras.py.)"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numcnn
from numcnn import optimizers
from numcnn.optimizers import SGD, schedules
from numcnn.optimizers.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    PolynomialDecay,
)


def test_exponential_decay_values():
    smooth = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    stairs = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert smooth(0) == 0.1
    assert smooth(5) == pytest.approx(0.1 * 0.5**0.5, rel=1e-15)
    assert smooth(10) == pytest.approx(0.05, rel=1e-15)
    assert stairs(9) == 0.1
    assert stairs(15) == pytest.approx(0.05, rel=1e-15)
    assert stairs(20) == pytest.approx(0.025, rel=1e-15)
    assert smooth.get_config()["decay_steps"] == 10
    with pytest.raises(ValueError, match="argument 'decay_steps': expected a positive number"):
        ExponentialDecay(0.1, decay_steps=0, decay_rate=0.5)
    with pytest.raises(ValueError, match="argument 'initial_learning_rate'"):
        ExponentialDecay(-0.1, decay_steps=1, decay_rate=0.5)
    with pytest.raises(ValueError, match="argument 'step'"):
        smooth(-1)


def test_piecewise_constant_boundaries_belong_to_the_interval_below():
    s = PiecewiseConstantDecay([5, 20], [0.3, 0.2, 0.1])
    assert [s(t) for t in (0, 5, 6, 20, 21, 1000)] == [0.3, 0.3, 0.2, 0.2, 0.1, 0.1]
    assert PiecewiseConstantDecay([], [0.4])(7) == 0.4
    assert s.get_config() == {"boundaries": [5, 20], "values": [0.3, 0.2, 0.1], "name": "PiecewiseConstant"}
    with pytest.raises(ValueError, match=r"argument 'values': expected a list of len\(boundaries\) \+ 1 = 3"):
        PiecewiseConstantDecay([5, 20], [0.3, 0.2])
    with pytest.raises(ValueError, match="argument 'boundaries': expected strictly increasing"):
        PiecewiseConstantDecay([20, 5], [0.3, 0.2, 0.1])
    with pytest.raises(ValueError, match="argument 'values'"):
        PiecewiseConstantDecay([5], [0.3, -0.2])
    with pytest.raises(TypeError, match="argument 'boundaries'"):
        PiecewiseConstantDecay(5, [0.3, 0.2])


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay(staircase):
    s = InverseTimeDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=staircase)
    for t in (0, 1, 3, 4, 7, 8, 100):
        p = math.floor(t / 4) if staircase else t / 4
        assert s(t) == pytest.approx(0.1 / (1 + 0.5 * p), rel=1e-15)
    assert s(3) == (0.1 if staircase else pytest.approx(0.1 / 1.375))


@pytest.mark.parametrize("cycle", [False, True])
def test_polynomial_decay(cycle):
    lr0, end, steps, power = 0.1, 0.01, 10, 2.0
    s = PolynomialDecay(lr0, steps, end_learning_rate=end, power=power, cycle=cycle)
    for t in (0, 1, 5, 9, 10, 11, 25, 30):
        if cycle:
            span = steps * (1 if t == 0 else math.ceil(t / steps))
            expected = (lr0 - end) * (1 - t / span) ** power + end
        else:
            expected = (lr0 - end) * (1 - min(t, steps) / steps) ** power + end
        assert s(t) == pytest.approx(expected, rel=1e-14), t
    assert s(0) == pytest.approx(lr0) and s(10) == pytest.approx(end)  # a cycle ends at end_learning_rate
    assert s(11) == pytest.approx((lr0 - end) * (1 - 11 / 20) ** 2 + end if cycle else end)  # cycle: a 20-step span
    assert PolynomialDecay(0.1, 10).end_learning_rate == 0.0001  # Keras' default


def test_cosine_decay_with_and_without_warmup():
    s = CosineDecay(0.1, decay_steps=20, alpha=0.25)
    for t in (0, 5, 10, 20, 40):
        f = min(t, 20) / 20
        assert s(t) == pytest.approx(0.1 * ((1 - 0.25) * 0.5 * (1 + math.cos(math.pi * f)) + 0.25), rel=1e-14)
    w = CosineDecay(0.0, decay_steps=10, warmup_target=0.2, warmup_steps=5, alpha=0.1)
    assert [w(t) for t in (0, 1, 4)] == pytest.approx([0.0, 0.04, 0.16], rel=1e-14)  # linear from 0 to 0.2
    assert w(5) == pytest.approx(0.2, rel=1e-15)  # the peak, where decay starts from warmup_target
    assert w(10) == pytest.approx(0.2 * (0.9 * 0.5 * (1 + math.cos(math.pi / 2)) + 0.1), rel=1e-14)
    assert w(15) == pytest.approx(0.02, rel=1e-14) and w(1000) == pytest.approx(0.02, rel=1e-14)
    assert CosineDecay(0.1, 10, warmup_target=0.3)(0) == pytest.approx(0.3)  # no warm-up steps: decays from target
    with pytest.raises(ValueError, match="argument 'alpha'"):
        CosineDecay(0.1, 10, alpha=1.5)
    with pytest.raises(ValueError, match="argument 'warmup_steps'"):
        CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=-1)


def restarts_by_walking(lr0, first, t_mul, m_mul, alpha, step):
    """The reference: walk the periods one by one (period i lasts first·t_mul**i steps)."""
    begin, length, i = 0.0, float(first), 0
    while step >= begin + length:
        begin, length, i = begin + length, length * t_mul, i + 1
    f = (step - begin) / length
    return lr0 * ((1 - alpha) * m_mul**i * 0.5 * (1 + math.cos(math.pi * f)) + alpha)


@settings(max_examples=60, deadline=None)
@given(
    first=st.integers(1, 30),
    t_mul=st.sampled_from([1.0, 1.1, 1.2, 1.5, 2.0, 2.5, 3.0]),
    m_mul=st.sampled_from([1.0, 0.5, 0.9]),
    alpha=st.sampled_from([0.0, 0.1]),
    steps=st.lists(st.integers(0, 3000), min_size=1, max_size=10),
)
def test_cosine_decay_restarts_equals_walking_the_periods(first, t_mul, m_mul, alpha, steps):
    s = CosineDecayRestarts(0.1, first, t_mul=t_mul, m_mul=m_mul, alpha=alpha)
    for step in steps:
        assert s(step) == pytest.approx(restarts_by_walking(0.1, first, t_mul, m_mul, alpha, step), rel=1e-9, abs=1e-15)


def test_cosine_decay_restarts_starts_each_period_at_its_boundary():
    # With t_mul=1.5 period 5 starts at 16·(1.5⁵ − 1)/0.5 = 211, where the float logarithm gives period 4.
    s = CosineDecayRestarts(1.0, 16, t_mul=1.5)
    assert s(211) == 1.0  # a fresh period: the full rate
    assert s(210) == pytest.approx(restarts_by_walking(1.0, 16, 1.5, 1.0, 0.0, 210)) and s(210) < 1e-3
    shrinking = CosineDecayRestarts(0.1, 10, t_mul=0.5)  # periods 10, 5, 2.5, … add up to 20 steps
    assert shrinking(19) == pytest.approx(restarts_by_walking(0.1, 10, 0.5, 1.0, 0.0, 19))
    with pytest.raises(ValueError, match="argument 'step': expected a step before 20"):
        shrinking(20)
    with pytest.raises(ValueError, match="argument 't_mul'"):
        CosineDecayRestarts(0.1, 10, t_mul=0.0)
    assert CosineDecayRestarts(0.1, 10).get_config()["name"] == "SGDRDecay"


ALL = [
    ExponentialDecay(0.1, 7, 0.3, staircase=True),
    PiecewiseConstantDecay([5, 20], [0.1, 0.05, 0.01]),
    InverseTimeDecay(0.1, 4, 0.5),
    PolynomialDecay(0.1, 30, end_learning_rate=0.01, power=2.0, cycle=True),
    CosineDecay(0.0, 40, alpha=0.1, warmup_target=0.2, warmup_steps=10),
    CosineDecayRestarts(0.1, 6, t_mul=3.0, m_mul=0.5, alpha=0.1),
]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_config_round_trip_and_registry(schedule):
    config = schedule.get_config()
    for again in (
        type(schedule).from_config(config),
        schedules.deserialize(schedules.serialize(schedule)),
        schedules.get({"class_name": type(schedule).__name__, "config": config}),
        getattr(numcnn.schedules, type(schedule).__name__)(**config),  # the earlier import path
    ):
        assert type(again) is type(schedule) and again.get_config() == config
        assert [again(t) for t in range(0, 200, 7)] == [schedule(t) for t in range(0, 200, 7)]
    opt = optimizers.get(optimizers.serialize(optimizers.Adam(schedule)))  # inside an optimizer's config
    assert opt.learning_rate.get_config() == config
    with pytest.raises(ValueError, match="argument 'step'"):
        schedule(-1)
    with pytest.raises(TypeError, match="argument 'step'"):
        schedule("3")


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: InverseTimeDecay(0.1, 0, 0.5), "decay_steps"),
        (lambda: InverseTimeDecay(0.1, 1, -0.5), "decay_rate"),
        (lambda: InverseTimeDecay(0.1, 1, 0.5, staircase="yes"), "staircase"),
        (lambda: PolynomialDecay(0.1, 10, power=-1.0), "power"),
        (lambda: PolynomialDecay(0.1, 10, end_learning_rate=math.nan), "end_learning_rate"),
        (lambda: PolynomialDecay(0.1, -10), "decay_steps"),
        (lambda: CosineDecay(-0.1, 10), "initial_learning_rate"),
        (lambda: CosineDecay(0.1, 10, warmup_target=-1.0), "warmup_target"),
        (lambda: CosineDecayRestarts(0.1, 0), "first_decay_steps"),
        (lambda: CosineDecayRestarts(0.1, 10, m_mul=-1.0), "m_mul"),
    ],
)
def test_bad_arguments_name_themselves(make, argument):
    with pytest.raises((ValueError, TypeError), match=f"Invalid value for argument '{argument}'"):
        make()


def test_names_and_get():
    assert schedules.get(ALL[0]) is ALL[0]
    with pytest.raises(TypeError, match="argument 'schedule'"):
        schedules.get("ExponentialDecay")  # a schedule has no defaults to build from a name
    with pytest.raises(ValueError, match="argument 'schedule': expected one of 'ExponentialDecay'"):
        schedules.get({"class_name": "WarmupCosine", "config": {}})
    with pytest.raises(TypeError, match="argument 'config'"):
        schedules.deserialize("CosineDecay")
    assert optimizers.schedules is schedules and numcnn.schedules.CosineDecay is CosineDecay


def test_optimizer_driven_by_a_schedule_uses_iterations_before_the_step():
    schedule = ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt = SGD(schedule)
    assert opt.current_learning_rate() == 0.1
    w, grads = np.array([0.5, -1.0]), [np.array([0.1, -0.2]), np.array([1.0, 0.5]), np.array([-0.3, 0.0])]
    params, expected = {"w": w.copy()}, w.copy()
    for step, g in enumerate(grads):
        opt.apply(params, {"w": g})
        expected = expected - 0.1 * 0.5**step * g  # the first update uses schedule(0)
        np.testing.assert_allclose(params["w"], expected, rtol=1e-15)
    assert opt.current_learning_rate() == pytest.approx(0.1 * 0.5**3)
    assert "learning_rate" not in opt.state_dict()  # a schedule is configuration: iterations carries it
    restored = optimizers.get(optimizers.serialize(opt))
    assert isinstance(restored.learning_rate, ExponentialDecay)
    assert restored.learning_rate.get_config() == schedule.get_config()
