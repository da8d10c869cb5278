"""Proof, with Keras itself, that Keras reads the legacy ``.h5`` files numcnn writes: not a test (Keras is never
a numcnn dependency), run by hand in the side virtualenv with numcnn on the path::

    PYTHONPATH=. /work/side/bin/python tests/data/check_keras_reads_numcnn_h5.py

For the models of ``check_keras_reads_numcnn.py`` (the notebook's, BatchNormalization + Dropout, a functional
residual) and a nested one, numcnn trains two epochs and writes ``model.save('x.h5')``. Keras 3 loads it, gives
numcnn's predictions and is asked to train on (Keras 3.15.1 restores only the step count from any legacy
``.h5``, its own included, then refuses to ``fit``: "Unknown variable"); tf_keras (Keras 2) is asked to load it,
and its ``load_weights`` reads the notebook model's weights from it.
The file's layout is compared with Keras' own: Keras loads numcnn's ``.keras`` of the same model and saves it
to ``.h5``; the two files must hold the same attributes, ``model_config``, groups, names, shapes and dtypes.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from check_keras_reads_numcnn import bn_dropout, images, notebook, residual  # noqa: E402

import numcnn  # noqa: E402
from numcnn import layers  # noqa: E402


def nested():
    """A Sequential inside a functional model, its BatchNormalization first: Keras 2's weight order (all
    trainable weights of the nested model, then its moving statistics) differs from the layers' order."""
    inner = numcnn.Sequential(
        [
            layers.Input((12, 12, 1)),
            layers.BatchNormalization(),
            layers.Conv2D(4, 3, activation="relu"),
            layers.Flatten(),
        ]
    )
    inputs = numcnn.Input((12, 12, 1))
    return numcnn.Model(inputs, layers.Dense(10, activation="softmax")(inner(inputs)))


def layout(path) -> dict:
    """Every attribute (JSON ones parsed, the optimizer's learning rate as float32) and every dataset's
    shape and dtype."""
    out = {}
    with h5py.File(path, "r") as f:

        def visit(name, obj):
            for key, value in obj.attrs.items():
                if key in ("model_config", "training_config"):
                    value = json.loads(value)
                    if key == "training_config":  # Keras writes its float32 variable, numcnn the number given
                        rate = value["optimizer_config"]["config"]["learning_rate"]
                        value["optimizer_config"]["config"]["learning_rate"] = float(np.float32(rate))
                elif isinstance(value, np.ndarray):
                    value = (value.dtype.kind, [str(v) for v in value])
                out[f"{name}@{key}"] = value
            if isinstance(obj, h5py.Dataset):
                out[name] = (obj.shape, str(obj.dtype))

        visit("/", f)
        f.visititems(visit)
    return out


def check(name, make, size, folder):
    numcnn.utils.set_random_seed(0)
    x = images(64, size, 1)
    y = np.eye(10, dtype=np.float32)[np.random.default_rng(2).integers(0, 10, 64)]
    model = make()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras' "This file format is considered legacy"
        model.save(folder / f"{name}.h5")
    model.save(folder / f"{name}.keras")
    predicted = model.predict(x, verbose=0)
    state = [array for _, array in model.optimizer.variables_in_keras_order(list(model.trainable_params()[0]))]

    theirs = keras.models.load_model(folder / f"{name}.h5")
    worst = float(np.abs(theirs.predict(x, verbose=0) - predicted).max())
    restored = [v.numpy() for v in theirs.optimizer.variables]
    line = f"{name}: Keras 3 .h5 predictions max |Δ| {worst:.2e}; Keras' optimizer holds {len(restored)} of the "
    line += f"file's {len(state)} variables (iteration {int(restored[0])}, numcnn's {int(state[0])})"
    try:
        theirs.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
        line += "; fit resumes"
    except ValueError as err:  # Keras 3.15.1 does this for its own .h5 files too
        line += f"; Keras' fit refuses: {str(err)[:60]}…"

    keras.models.load_model(folder / f"{name}.keras").save(folder / f"{name}_keras.h5")
    ours, reference = layout(folder / f"{name}.h5"), layout(folder / f"{name}_keras.h5")
    differing = sorted(k for k in ours.keys() | reference.keys() if ours.get(k) != reference.get(k))
    line += f"; layout vs Keras' own .h5: {'identical' if not differing else f'differs at {differing[:6]}'}"
    print(line)
    import tf_keras

    try:
        legacy = tf_keras.models.load_model(folder / f"{name}.h5")
        print(f"  tf_keras: predictions max |Δ| {float(np.abs(legacy.predict(x, verbose=0) - predicted).max()):.2e}")
    except Exception as err:  # noqa: BLE001 (report whatever Keras 2 says)
        print(f"  tf_keras load_model refuses it: {type(err).__name__}: {str(err).splitlines()[0][:120]}…")
    if name == "notebook":  # Keras 2's load_weights, into the model built in Keras 2's code
        k2 = tf_keras.layers
        legacy = tf_keras.Sequential(
            [
                k2.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
                k2.Conv2D(64, (3, 3), activation="relu"),
                k2.MaxPooling2D(pool_size=(2, 2)),
                k2.Flatten(),
                *(k2.Dense(128, activation="relu") for _ in range(2)),
                k2.Dense(10, activation="softmax"),
            ]
        )
        legacy.load_weights(folder / f"{name}.h5")
        gap = float(np.abs(legacy.predict(x, verbose=0) - predicted).max())
        print(f"  tf_keras load_weights into its own notebook model: predictions max |Δ| {gap:.2e}")


def main():
    print(f"Keras {keras.__version__} ({keras.backend.backend()}), numcnn {numcnn.__version__}")
    with tempfile.TemporaryDirectory() as folder:
        for name, make, size in (
            ("notebook", notebook, 28),
            ("bn_dropout", bn_dropout, 12),
            ("residual", residual, 12),
            ("nested", nested, 12),
        ):
            check(name, make, size, Path(folder))


if __name__ == "__main__":
    main()
