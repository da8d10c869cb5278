"""Shared fixtures: both kernel sets, float64 layers, fresh layer names and a fixed seed per test."""

import numpy as np
import pytest

from numcnn import backend
from numcnn.layers.base import reset_names
from numcnn.utils import set_random_seed


@pytest.fixture(autouse=True)
def _clean_state():
    """Every test starts from default settings, name counters and seed, and leaves them so."""
    saved = (backend.image_data_format(), backend.floatx(), backend.kernels())
    reset_names()
    set_random_seed(1234)
    yield
    backend.set_image_data_format(saved[0])
    backend.set_floatx(saved[1])
    backend.set_kernels(saved[2])


@pytest.fixture(params=["numpy", "numba"])
def kernels(request):
    """Run the test once with the NumPy reference ops and once with the numba kernels."""
    backend.set_kernels(request.param)
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def models():
    """A fresh pair of small compiled models, snapshotted for the bad-input tests (tests/_bad_input.py)."""
    from _bad_input import Models

    return Models()
