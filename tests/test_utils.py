"""numcnn.utils: normalize, split_dataset, PyDataset/Sequence and the Pillow image helpers."""

import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numcnn import utils

FIXTURES = np.load(Path(__file__).with_name("fixtures") / "keras_utils.npz")


# -- normalize -------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    order=st.sampled_from([1, 2, 3, np.inf]),
    data=st.data(),
)
def test_normalize_gives_unit_norms_along_any_axis(shape, order, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(len(shape))
    x = rng.normal(size=shape)
    x[rng.random(shape) < 0.3] = 0.0  # image-like: many exact zeros, some all-zero slices
    out = utils.normalize(x, axis=axis, order=order)
    norms = np.linalg.norm(out, ord=order, axis=axis)
    zero = np.linalg.norm(x, ord=order, axis=axis) == 0
    np.testing.assert_allclose(norms[~zero], 1.0, rtol=1e-12)
    assert np.all(norms[zero] == 0) and out.dtype == np.float64


def test_normalize_matches_keras_on_the_last_axis_and_keeps_dtypes():
    x = np.array([[3.0, 4.0], [0.0, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]], rtol=1e-7)
    assert utils.normalize(x).dtype == np.float32 and utils.normalize([[1, 1]]).dtype == np.float32
    np.testing.assert_allclose(utils.normalize(x, axis=0, order=1), [[1.0, 1.0], [0.0, 0.0]])


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [({"axis": 2}, ValueError, "axis"), ({"axis": 0.5}, TypeError, "axis"), ({"order": 0}, ValueError, "order")]
    + [({"order": "l2"}, TypeError, "order")],
)
def test_normalize_checks_its_arguments(kwargs, error, name):
    with pytest.raises(error, match=f"'{name}'"):
        utils.normalize(np.ones((2, 2)), **kwargs)
    with pytest.raises(TypeError, match="'x'"):
        utils.normalize("abc")


# -- split_dataset ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("left", "right", "seed"), [(0.7, None, 42), (None, 6, 7), (0.5, 0.25, 3), (13, None, None)])
def test_split_dataset_matches_keras(left, right, seed):
    a, b = utils.split_dataset(np.arange(20), left_size=left, right_size=right, shuffle=seed is not None, seed=seed)
    tag = f"split/{left}/{right}/{seed}"
    np.testing.assert_array_equal(a, FIXTURES[f"{tag}/left"])
    np.testing.assert_array_equal(b, FIXTURES[f"{tag}/right"])


def test_split_dataset_keeps_the_structure_and_the_pairs():
    x = np.arange(30).reshape(10, 3)
    y = np.arange(10) * 10
    (x_left, y_left), (x_right, y_right) = utils.split_dataset((x, y), right_size=0.3, shuffle=True, seed=1)
    assert x_left.shape == (7, 3) and y_right.shape == (3,)
    np.testing.assert_array_equal(x_left[:, 0] // 3 * 10, y_left)  # rows still with their labels
    assert sorted([*y_left, *y_right]) == list(y)
    left, right = utils.split_dataset([x, y], left_size=4)
    assert isinstance(left, list) and np.array_equal(right[1], y[4:])


def test_split_dataset_without_a_seed_follows_set_random_seed():
    utils.set_random_seed(5)
    first = utils.split_dataset(np.arange(50), left_size=0.5, shuffle=True)
    utils.set_random_seed(5)
    again = utils.split_dataset(np.arange(50), left_size=0.5, shuffle=True)
    np.testing.assert_array_equal(first[0], again[0])
    assert not np.array_equal(first[0], np.arange(25))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({}, ValueError, "At least one of the `left_size` or `right_size`"),
        ({"left_size": 10}, ValueError, "'left_size'"),
        ({"left_size": 1.5}, ValueError, "'left_size'"),
        ({"left_size": "half"}, TypeError, "'left_size'"),
        ({"left_size": 0.6, "right_size": 0.6}, ValueError, "greater than 1"),
        ({"left_size": 6, "right_size": 6}, ValueError, "should be smaller than the 10"),
        ({"left_size": 0.01}, ValueError, "left side dataset split will be empty"),
        ({"left_size": 5, "shuffle": "yes"}, TypeError, "'shuffle'"),
    ],
)
def test_split_dataset_refuses_bad_sizes(kwargs, error, match):
    with pytest.raises(error, match=match):
        utils.split_dataset(np.arange(10), **kwargs)


def test_split_dataset_refuses_bad_datasets():
    with pytest.raises(ValueError, match="lengths \\[3, 2\\]"):
        utils.split_dataset((np.zeros(3), np.zeros(2)), left_size=1)
    with pytest.raises(TypeError, match="'dataset'"):
        utils.split_dataset({"x": np.zeros(3)}, left_size=1)
    with pytest.raises(TypeError, match="item 1 of type list"):
        utils.split_dataset((np.zeros(3), [1, 2, 3]), left_size=1)


# -- PyDataset -------------------------------------------------------------------------------------
class Batches(utils.PyDataset):
    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n, self.ends = n, 0

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return np.full((2, 1), index), np.array([index, index])

    def on_epoch_end(self):
        self.ends += 1


def test_py_dataset_iterates_its_batches_and_keeps_keras_arguments():
    data = Batches(3, max_queue_size=4)
    assert data.num_batches == 3 and [int(y[0]) for _, y in data] == [0, 1, 2]
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (1, False, 4)
    assert utils.Sequence is utils.PyDataset
    orders = {tuple(utils.py_dataset.batch_order(data, True, np.random.default_rng(s))) for s in range(20)}
    assert all(sorted(order) == [0, 1, 2] for order in orders) and len(orders) > 1
    assert list(utils.py_dataset.batch_order(data, False, np.random.default_rng(0))) == [0, 1, 2]


def test_py_dataset_says_it_runs_single_threaded():
    with pytest.warns(UserWarning, match="workers=4 and use_multiprocessing=True are accepted and have no effect"):
        Batches(2, workers=4, use_multiprocessing=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Batches(2, workers=1)


def test_a_py_dataset_that_skips_super_init_warns_as_in_keras():
    class Old(utils.Sequence):
        def __init__(self):
            self.x = np.zeros((1, 1))  # Keras 2 style: no super().__init__()

        def __len__(self):
            return 1

        def __getitem__(self, index):
            return np.zeros((1, 1)), np.zeros(1)

    with pytest.warns(UserWarning, match="should call `super\\(\\).__init__\\(\\*\\*kwargs\\)`"):
        assert Old().workers == 1


def test_standardize_batch_accepts_keras_shapes_only():
    x = np.zeros((2, 3))
    assert utils.py_dataset.standardize_batch(x)[0] is x
    assert len(utils.py_dataset.standardize_batch([x, x, x])) == 3
    with pytest.raises(ValueError, match="must return a tuple or a dict"):
        utils.py_dataset.standardize_batch((x, x, x, x))
    with pytest.raises(TypeError, match="'workers'"):
        Batches(1, workers=1.5)


# -- image helpers ---------------------------------------------------------------------------------
def test_save_load_round_trip_and_arrays(tmp_path):
    image = np.zeros((5, 7, 3), dtype=np.float32)
    image[2, :, 0] = 255.0  # a stroke: exact zeros elsewhere
    path = tmp_path / "stroke.png"
    utils.save_img(path, image, scale=False)
    loaded = utils.load_img(path)
    assert loaded.mode == "RGB" and loaded.size == (7, 5)
    np.testing.assert_array_equal(utils.img_to_array(loaded), image)
    gray = utils.img_to_array(utils.load_img(path, color_mode="grayscale"), data_format="channels_first")
    assert gray.shape == (1, 5, 7) and gray.dtype == np.float32
    resized = utils.load_img(path, target_size=(10, 14), interpolation="nearest")
    np.testing.assert_array_equal(utils.img_to_array(resized)[::2, ::2], image)
    cropped = utils.load_img(path, target_size=(4, 4), keep_aspect_ratio=True)
    assert cropped.size == (4, 4)
    buffer = io.BytesIO(path.read_bytes())
    assert utils.load_img(buffer, color_mode="rgba").mode == "RGBA"


def test_array_to_img_scales_like_keras():
    x = np.array([[[-1.0], [0.0]], [[1.0], [3.0]]])
    img = utils.array_to_img(x)
    assert img.mode == "L" and np.array(img).tolist() == [[0, 63], [127, 255]]
    assert utils.array_to_img(np.full((2, 2, 1), 300.0), scale=False).mode == "I"
    with pytest.raises(ValueError, match="Unsupported channel number: 2"):
        utils.array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="rank 3"):
        utils.array_to_img(np.zeros((2, 2)))


def test_save_img_to_jpeg_drops_alpha_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="JPEG format does not support RGBA"):
        utils.save_img(tmp_path / "a.jpg", np.zeros((4, 4, 4)))
    assert utils.load_img(tmp_path / "a.jpg").size == (4, 4)


def test_load_img_errors():
    with pytest.raises(TypeError, match="path should be path-like or io.BytesIO"):
        utils.load_img(3)
    with pytest.raises(FileNotFoundError):
        utils.load_img("/nonexistent-numcnn/x.png")


def test_without_pillow_the_error_names_the_extra(tmp_path):
    (tmp_path / "PIL").mkdir()
    (tmp_path / "PIL" / "__init__.py").write_text("raise ImportError('No module named PIL')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    code = "import numcnn\ntry:\n    numcnn.utils.load_img('x.png')\nexcept ImportError as e:\n    print(e)\n"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert "pip install 'numcnn[image]'" in done.stdout, done.stderr
