"""image_dataset_from_directory and its resizing, held to what Keras 3.15.1 / TF 2.21 produced
(tests/fixtures/make_keras_utils_fixtures.py) on the folder tests/_image_folder.py makes."""

import os
from pathlib import Path

import numpy as np
import pytest
from _image_folder import make_image_folder
from test_models import tiny_model

from numcnn import backend
from numcnn.utils import image_dataset_from_directory, image_resize

FIXTURES = np.load(Path(__file__).with_name("fixtures") / "keras_utils.npz")
# float32 rounding on a 0-255 scale: TF and numcnn sum the same weights in different orders
ATOL = 5e-4


@pytest.fixture
def folder(tmp_path):
    return make_image_folder(tmp_path / "images")


def relative(dataset, root):
    return [os.path.relpath(path, root) for path in dataset.file_paths]


# -- resizing --------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", image_resize.INTERPOLATIONS)
def test_resize_matches_tf_image_resize(method):
    keys = [k for k in FIXTURES.files if k.startswith("resize/") and k.split("/")[2] == method]
    assert len(keys) == 10
    for key in keys:
        _, name, _, size = key.split("/")
        height, width = map(int, size.split("x"))
        got = image_resize.resize(FIXTURES[f"input/{name}"], (height, width), method)
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, FIXTURES[key], atol=ATOL, rtol=0, err_msg=key)


def test_resize_with_pad_matches_tf():
    for key in [k for k in FIXTURES.files if k.startswith("pad/")]:
        _, name, size = key.split("/")
        height, width = map(int, size.split("x"))
        got = image_resize.resize_with_pad(FIXTURES[f"input/{name}"], (height, width), "bilinear")
        np.testing.assert_allclose(got, FIXTURES[key], atol=ATOL, rtol=0, err_msg=key)


def test_interpolating_kernels_leave_an_unchanged_size_alone():
    image = FIXTURES["input/strokes"]
    for method in ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"):
        np.testing.assert_allclose(image_resize.resize(image, image.shape[:2], method), image, atol=ATOL)


# -- the dataset -----------------------------------------------------------------------------------
CASES = {
    "plain": {"shuffle": False},
    "gray": {"shuffle": False, "color_mode": "grayscale", "interpolation": "nearest", "class_names": ["dog"]},
    "crop": {"shuffle": False, "crop_to_aspect_ratio": True, "interpolation": "bicubic"},
    "pad": {"shuffle": False, "pad_to_aspect_ratio": True},
    "classes": {"shuffle": False, "class_names": ["zebra", "cat"], "label_mode": "categorical"},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_directory_dataset_matches_keras(folder, case):
    dataset = image_dataset_from_directory(folder, image_size=(6, 8), batch_size=100, verbose=False, **CASES[case])
    assert relative(dataset, folder) == list(FIXTURES[f"dir/{case}/paths"])
    assert dataset.class_names == list(FIXTURES[f"dir/{case}/class_names"])
    images, labels = dataset[0]
    expected = FIXTURES[f"dir/{case}/images"]
    assert images.dtype == np.float32 and images.shape == expected.shape
    # Pillow's RGB -> L conversion rounds differently from libpng's: at most 1 of 255 apart
    np.testing.assert_allclose(images, expected, atol=1.0 if case == "gray" else ATOL, rtol=0)
    assert labels.dtype == FIXTURES[f"dir/{case}/labels"].dtype
    np.testing.assert_array_equal(labels, FIXTURES[f"dir/{case}/labels"])


def test_a_seed_gives_keras_file_order_and_each_image_its_own_pixels(folder):
    dataset = image_dataset_from_directory(folder, image_size=(6, 8), batch_size=4, seed=1337, verbose=False)
    paths = relative(dataset, folder)
    assert paths == list(FIXTURES["dir/seeded/paths"])
    plain = dict(zip(FIXTURES["dir/plain/paths"], zip(FIXTURES["dir/plain/images"], FIXTURES["dir/plain/labels"])))
    images = np.concatenate([x for x, _ in dataset])
    labels = np.concatenate([y for _, y in dataset])
    assert len(dataset) == 3 and images.shape[0] == 9
    for path, image, label in zip(paths, images, labels):  # epoch 1 reads the files in file_paths order
        np.testing.assert_allclose(image, plain[path][0], atol=ATOL, rtol=0)
        assert label == plain[path][1] == ["cat", "dog", "zebra"].index(path.split(os.sep)[0])


def test_each_epoch_reshuffles_the_training_files(folder):
    dataset = image_dataset_from_directory(folder, image_size=(4, 4), batch_size=9, seed=2, verbose=False)
    first = dataset[0][1].copy()
    dataset.on_epoch_end()
    second = dataset[0][1]
    assert sorted(first) == sorted(second) and not np.array_equal(first, second)
    again = image_dataset_from_directory(folder, image_size=(4, 4), batch_size=9, seed=2, verbose=False)
    again.on_epoch_end()
    np.testing.assert_array_equal(again[0][1], second)  # the seed fixes every epoch's order
    fixed = image_dataset_from_directory(folder, image_size=(4, 4), batch_size=9, shuffle=False, verbose=False)
    before = fixed[0][1].copy()
    fixed.on_epoch_end()
    np.testing.assert_array_equal(fixed[0][1], before)


def test_validation_split_and_messages(folder, capsys):
    train, val = image_dataset_from_directory(folder, image_size=(6, 8), validation_split=0.25, subset="both", seed=5)
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "Found 9 files belonging to 3 classes.",
        "Using 7 files for training.",
        "Using 2 files for validation.",
    ]
    assert relative(train, folder) == list(FIXTURES["dir/train/paths"])
    assert relative(val, folder) == list(FIXTURES["dir/val/paths"])
    alone = image_dataset_from_directory(folder, image_size=(6, 8), validation_split=0.25, subset="validation", seed=5)
    assert alone.file_paths == val.file_paths and val._rng is None  # validation is never reshuffled


def test_label_modes_and_explicit_labels(folder):
    kwargs = {"image_size": (5, 5), "shuffle": False, "verbose": False}
    binary = image_dataset_from_directory(folder, class_names=["dog", "cat"], label_mode="binary", **kwargs)
    _, y = binary[0]
    assert y.dtype == np.float32 and y.shape == (6, 1) and y[:, 0].tolist() == [0, 0, 0, 1, 1, 1]
    unlabelled = image_dataset_from_directory(folder, labels=None, **kwargs)
    batch = unlabelled[0]
    assert isinstance(batch, np.ndarray) and batch.shape == (10, 5, 5, 3)  # labels=None walks hidden folders too
    assert unlabelled.class_names is None
    given = image_dataset_from_directory(folder, labels=[0, 1] * 5, **kwargs)
    assert given.class_names == ["0", "1"] and given[0][1].tolist() == [0, 1] * 5
    single = image_dataset_from_directory(folder, batch_size=None, **kwargs)
    assert len(single) == 9 and single[0][0].shape == (5, 5, 3) and single[0][1] == 0


def test_channels_first_and_the_backend_default(folder):
    backend.set_image_data_format("channels_first")
    images, _ = image_dataset_from_directory(folder, image_size=(4, 6), shuffle=False, verbose=False)[0]
    assert images.shape == (9, 3, 4, 6)


def test_a_model_trains_on_the_batches(folder):
    dataset = image_dataset_from_directory(
        folder, image_size=(8, 8), color_mode="grayscale", label_mode="categorical", batch_size=3, seed=1, verbose=False
    )
    model = tiny_model()
    losses = [model.train_on_batch(x / 255.0, y)[0] for _ in range(15) for x, y in dataset]
    assert np.mean(losses[-3:]) < np.mean(losses[:3])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"label_mode": "sparse"}, ValueError, "'label_mode'"),
        ({"color_mode": "cmyk"}, ValueError, "'color_mode'"),
        ({"interpolation": "cubic"}, ValueError, "'interpolation'"),
        ({"image_size": (0, 4)}, ValueError, "'image_size'"),
        ({"batch_size": 0}, ValueError, "'batch_size'"),
        ({"format": "torch"}, ValueError, "'format'"),
        ({"validation_split": 0.2}, ValueError, "If `subset` is set, `validation_split` must be set"),
        ({"validation_split": 0.2, "subset": "training"}, ValueError, "you must provide a `seed`"),
        ({"validation_split": 1.2, "subset": "training", "seed": 1}, ValueError, "'validation_split'"),
        ({"subset": "test", "validation_split": 0.2, "seed": 1}, ValueError, "'subset'"),
        ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, ValueError, "Only one of"),
        ({"labels": "folders"}, ValueError, "'labels'"),
        ({"labels": [0, 1]}, ValueError, "len\\(labels\\) is 2 while we found 10 files"),
        ({"labels": [0] * 9, "class_names": ["a"]}, ValueError, "'class_names'"),
        ({"class_names": ["cat", "bird"]}, ValueError, "did not match the names of the subdirectories"),
        ({"label_mode": "binary"}, ValueError, "exactly 2 class_names"),
        ({"seed": -1}, ValueError, "'seed'"),
        ({"validation_split": 0.05, "subset": "validation", "seed": 1}, ValueError, "No validation images found"),
    ],
)
def test_bad_arguments_raise_clear_errors(folder, kwargs, error, match):
    with pytest.raises(error, match=match):
        image_dataset_from_directory(folder, verbose=False, **kwargs)


def test_missing_folder_and_unreadable_files(tmp_path):
    with pytest.raises(ValueError, match="'directory'"):
        image_dataset_from_directory(tmp_path / "nowhere")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "broken.png").write_bytes(b"not a png")
    dataset = image_dataset_from_directory(tmp_path, verbose=False)
    with pytest.raises(ValueError, match="Cannot read the image file .*broken.png"):
        dataset[0]
    with pytest.raises(IndexError):
        dataset[1]
