"""``Add`` for the Keras tests while numcnn's own merge layers are on another branch: the ``keras_add`` fixture
puts this minimal one at ``numcnn.layers.Add`` only when numcnn has none (the real one is used once it lands)."""

from __future__ import annotations

import pytest

import numcnn.layers
from numcnn.layers.base import Layer


class Add(Layer):
    """``y = x₀ + x₁ + …`` of inputs of one shape; the gradient goes to every input unchanged."""

    takes_list = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def forward(self, x, training=False):
        out = x[0].copy()
        for other in x[1:]:
            out += other
        self._count = len(x)
        return out

    def backward(self, dy):
        return [dy] * self._count


@pytest.fixture
def keras_add(monkeypatch):
    if getattr(numcnn.layers, "Add", None) is None:
        monkeypatch.setattr(numcnn.layers, "Add", Add, raising=False)
    return numcnn.layers.Add
