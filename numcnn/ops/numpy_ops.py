"""Elementwise functions of ``keras.ops`` (Keras' ``ops/numpy.py``): ``add``, ``multiply``, ``sqrt``, ``exp``,
``maximum``, ``where``, ``clip``, comparisons… (array creation is in :mod:`numcnn.ops.creation`).

Elementwise functions take arrays, array-likes or numbers and broadcast as NumPy does; each returns a
``Tensor`` of the broadcast shape, of the dtype :mod:`numcnn.ops._dtypes` gives. On KerasTensors they record a
node whose backward is the function's derivative, summed back over broadcast axes to each input's shape.
"""

from __future__ import annotations

import math

import numpy as np

from numcnn.ops import _dtypes
from numcnn.ops._op import Op, bool_dtype, float_dtype, promote_dtype, unbroadcast
from numcnn.ops._shapes import broadcast_rule
from numcnn.ops._trace import register
from numcnn.ops.indexing import nonzero


# -- elementwise, one input -------------------------------------------------------------------------
def _unary(name, forward, backward, dtype=float_dtype) -> Op:
    return register(Op(name, forward, backward, dtype=dtype))


def _int_for_bool(*dtypes, **constants):
    # Keras squares bools in int32
    d = _dtypes.promote(*dtypes)
    return np.dtype("int32") if d.kind == "b" else d


_negative = _unary("negative", np.negative, lambda dy, y, x: -dy, promote_dtype)
_square = _unary("square", np.square, lambda dy, y, x: 2 * x * dy, _int_for_bool)
_abs = _unary("abs", np.abs, lambda dy, y, x: dy * np.sign(x), promote_dtype)
_sign = _unary("sign", np.sign, None, promote_dtype)
_sqrt = _unary("sqrt", np.sqrt, lambda dy, y, x: dy / (2 * y))
_exp = _unary("exp", np.exp, lambda dy, y, x: dy * y)
_expm1 = _unary("expm1", np.expm1, lambda dy, y, x: dy * (y + 1))
_log = _unary("log", np.log, lambda dy, y, x: dy / x)
_log1p = _unary("log1p", np.log1p, lambda dy, y, x: dy / (1 + x))
_log2 = _unary("log2", np.log2, lambda dy, y, x: dy / (x * math.log(2.0)))
_log10 = _unary("log10", np.log10, lambda dy, y, x: dy / (x * math.log(10.0)))
_reciprocal = _unary("reciprocal", np.reciprocal, lambda dy, y, x: -dy * y * y)
_sin = _unary("sin", np.sin, lambda dy, y, x: dy * np.cos(x))
_cos = _unary("cos", np.cos, lambda dy, y, x: -dy * np.sin(x))
_tan = _unary("tan", np.tan, lambda dy, y, x: dy * (1 + y * y))
_tanh = _unary("tanh", np.tanh, lambda dy, y, x: dy * (1 - y * y))
_sinh = _unary("sinh", np.sinh, lambda dy, y, x: dy * np.cosh(x))
_cosh = _unary("cosh", np.cosh, lambda dy, y, x: dy * np.sinh(x))
_arctan = _unary("arctan", np.arctan, lambda dy, y, x: dy / (1 + x * x))
_floor = _unary("floor", np.floor, None)
_ceil = _unary("ceil", np.ceil, None)
_round = register(Op("round", lambda x, decimals=0: np.round(x, decimals), None, dtype=promote_dtype))
_isnan = _unary("isnan", np.isnan, None, bool_dtype)
_isfinite = _unary("isfinite", np.isfinite, None, bool_dtype)
_isinf = _unary("isinf", np.isinf, None, bool_dtype)
_logical_not = _unary("logical_not", np.logical_not, None, bool_dtype)


def negative(x):
    """``-x`` elementwise, same dtype."""
    return _negative(x)


def square(x):
    """``x²`` elementwise; bools give int32, as in Keras."""
    return _square(x)


def abs(x):  # noqa: A001 (Keras' name)
    """``|x|`` elementwise; the gradient at 0 is 0."""
    return _abs(x)


absolute = abs


def sign(x):
    """-1, 0 or 1 by the sign of x (no gradient)."""
    return _sign(x)


def sqrt(x):
    """``√x`` elementwise; integers give ``floatx``."""
    return _sqrt(x)


def exp(x):
    """``eˣ`` elementwise; integers give ``floatx``."""
    return _exp(x)


def expm1(x):
    """``eˣ − 1``, accurate near 0."""
    return _expm1(x)


def log(x):
    """The natural logarithm elementwise (``-inf`` at 0, NaN below); integers give ``floatx``."""
    return _log(x)


def log1p(x):
    """``log(1 + x)``, accurate near 0."""
    return _log1p(x)


def log2(x):
    return _log2(x)


def log10(x):
    return _log10(x)


def reciprocal(x):
    """``1 / x`` elementwise."""
    return _reciprocal(x)


def sin(x):
    return _sin(x)


def cos(x):
    return _cos(x)


def tan(x):
    return _tan(x)


def tanh(x):
    """The hyperbolic tangent elementwise, in (-1, 1)."""
    return _tanh(x)


def sinh(x):
    return _sinh(x)


def cosh(x):
    return _cosh(x)


def arctan(x):
    return _arctan(x)


def floor(x):
    """The largest integer ≤ x, as a float (no gradient)."""
    return _floor(x)


def ceil(x):
    """The smallest integer ≥ x, as a float (no gradient)."""
    return _ceil(x)


def round(x, decimals=0):  # noqa: A001
    """``x`` rounded half to even to ``decimals`` places, same dtype (no gradient)."""
    return _round(x, decimals=decimals)


def isnan(x):
    return _isnan(x)


def isfinite(x):
    return _isfinite(x)


def isinf(x):
    return _isinf(x)


def logical_not(x):
    return _logical_not(x)


# -- elementwise, two inputs ------------------------------------------------------------------------
def _binary(name, forward, backward, dtype=promote_dtype) -> Op:
    return register(Op(name, forward, backward, shape=broadcast_rule, dtype=dtype))


def _grads(g1, g2, x1, x2):
    return unbroadcast(g1, x1.shape), unbroadcast(g2, x2.shape)


def _power_backward(dy, y, x1, x2):
    # x2 · x1^(x2−1), with 0 (not 0 · inf) where the exponent is 0
    d1 = x2 * np.power(x1, x2 - 1, where=x2 != 0, out=np.zeros_like(y))
    d2 = np.where(x1 > 0, y * np.log(np.where(x1 > 0, x1, 1)), 0)
    return _grads(dy * d1, dy * d2, x1, x2)


def _maximum_backward(dy, y, x1, x2):
    first = x1 >= x2  # a tie sends the gradient to x1, as TensorFlow does
    return _grads(np.where(first, dy, 0), np.where(first, 0, dy), x1, x2)


def _minimum_backward(dy, y, x1, x2):
    first = x1 <= x2
    return _grads(np.where(first, dy, 0), np.where(first, 0, dy), x1, x2)


_add = _binary("add", np.add, lambda dy, y, x1, x2: _grads(dy, dy, x1, x2))
_subtract = _binary("subtract", np.subtract, lambda dy, y, x1, x2: _grads(dy, -dy, x1, x2))
_multiply = _binary("multiply", np.multiply, lambda dy, y, x1, x2: _grads(dy * x2, dy * x1, x1, x2))
_divide = _binary("divide", np.true_divide, lambda dy, y, x1, x2: _grads(dy / x2, -dy * y / x2, x1, x2), float_dtype)
_power = _binary("power", np.power, _power_backward)
_maximum = _binary("maximum", np.maximum, _maximum_backward)
_minimum = _binary("minimum", np.minimum, _minimum_backward)
_mod = _binary("mod", np.mod, lambda dy, y, x1, x2: _grads(dy, -dy * np.floor_divide(x1, x2), x1, x2))
_floor_divide = _binary("floor_divide", np.floor_divide, None)
_logaddexp = _binary(
    "logaddexp",
    np.logaddexp,
    lambda dy, y, x1, x2: _grads(dy * np.exp(x1 - y), dy * np.exp(x2 - y), x1, x2),
    float_dtype,
)


def _comparison(name, forward) -> Op:
    # compared in their own dtypes (cast=False): NumPy compares an int32 with a float64 exactly
    return register(Op(name, forward, None, shape=broadcast_rule, dtype=bool_dtype, cast=False))


_equal, _not_equal = _comparison("equal", np.equal), _comparison("not_equal", np.not_equal)
_greater, _greater_equal = _comparison("greater", np.greater), _comparison("greater_equal", np.greater_equal)
_less, _less_equal = _comparison("less", np.less), _comparison("less_equal", np.less_equal)
_logical_and, _logical_or = _comparison("logical_and", np.logical_and), _comparison("logical_or", np.logical_or)
_logical_xor = _comparison("logical_xor", np.logical_xor)


def add(x1, x2):
    """``x1 + x2``, broadcast."""
    return _add(x1, x2)


def subtract(x1, x2):
    """``x1 - x2``, broadcast."""
    return _subtract(x1, x2)


def multiply(x1, x2):
    """``x1 * x2``, broadcast."""
    return _multiply(x1, x2)


def divide(x1, x2):
    """``x1 / x2`` (true division), broadcast; integers give ``floatx``."""
    return _divide(x1, x2)


true_divide = divide


def power(x1, x2):
    """``x1 ** x2``, broadcast. The gradient for the exponent is taken where ``x1 > 0`` (0 elsewhere)."""
    return _power(x1, x2)


def maximum(x1, x2):
    """The larger of x1 and x2 elementwise; where they tie the gradient goes to x1."""
    return _maximum(x1, x2)


def minimum(x1, x2):
    """The smaller of x1 and x2 elementwise; where they tie the gradient goes to x1."""
    return _minimum(x1, x2)


def mod(x1, x2):
    """The remainder of ``x1 / x2`` with the sign of x2 (Python's ``%``)."""
    return _mod(x1, x2)


def floor_divide(x1, x2):
    """``x1 // x2`` (no gradient)."""
    return _floor_divide(x1, x2)


def logaddexp(x1, x2):
    """``log(exp(x1) + exp(x2))`` without overflow."""
    return _logaddexp(x1, x2)


def equal(x1, x2):
    return _equal(x1, x2)


def not_equal(x1, x2):
    return _not_equal(x1, x2)


def greater(x1, x2):
    return _greater(x1, x2)


def greater_equal(x1, x2):
    return _greater_equal(x1, x2)


def less(x1, x2):
    return _less(x1, x2)


def less_equal(x1, x2):
    return _less_equal(x1, x2)


def logical_and(x1, x2):
    return _logical_and(x1, x2)


def logical_or(x1, x2):
    return _logical_or(x1, x2)


def logical_xor(x1, x2):
    return _logical_xor(x1, x2)


# -- where and clip ---------------------------------------------------------------------------------
def _where_backward(dy, y, condition, x1, x2):
    return None, unbroadcast(np.where(condition, dy, 0), x1.shape), unbroadcast(np.where(condition, 0, dy), x2.shape)


def _clip_dtype(x, low, high):
    return np.dtype("int32") if x.kind == "b" else x


def _clip_backward(dy, y, x, low, high):
    below, above = x < low, x > high  # a value on a bound keeps its gradient, as in TensorFlow
    inside = ~(below | above)
    return (
        unbroadcast(np.where(inside, dy, 0), x.shape),
        unbroadcast(np.where(below, dy, 0), low.shape),
        unbroadcast(np.where(above, dy, 0), high.shape),
    )


_where = register(
    Op(
        "where",
        lambda c, x1, x2: np.where(c, x1, x2),
        _where_backward,
        shape=broadcast_rule,
        dtype=lambda c, x1, x2: _dtypes.promote(x1, x2),
        cast=(1, 2),
    )
)
_clip = register(Op("clip", np.clip, _clip_backward, shape=broadcast_rule, dtype=_clip_dtype))


def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` holds, else ``x2`` (broadcast); the condition gets no gradient. With only
    ``condition``: the indices of its nonzero elements (a tuple of int arrays, on arrays only)."""
    if x1 is None and x2 is None:
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("numcnn.ops.where takes both x1 and x2, or neither")
    return _where(condition, x1, x2)


def clip(x, x_min, x_max):
    """``x`` limited to ``[x_min, x_max]``, in ``x``'s dtype (bools give int32). Where x lies outside, the
    gradient goes to the bound it was clipped to."""
    return _clip(x, x_min, x_max)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """``x`` with NaN replaced by ``nan`` and infinities by ``posinf``/``neginf`` (default: the dtype's
    extremes). The gradient passes where x was finite."""
    return _nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


_nan_to_num = register(
    Op(
        "nan_to_num",
        lambda x, nan, posinf, neginf: np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf),
        lambda dy, y, x, **_: np.where(np.isfinite(x), dy, 0),
        dtype=promote_dtype,
    )
)
