"""Proof, with Keras itself, that Keras reads the files numcnn writes: not a test (Keras is never a numcnn
dependency), run by hand in the side virtualenv with numcnn on the path::

    PYTHONPATH=. /work/side/bin/python tests/data/check_keras_reads_numcnn.py

For the notebook's model, a BatchNormalization + Dropout model and a functional residual model, numcnn trains
two epochs and writes ``.keras`` and ``.weights.h5``; Keras loads each and gives numcnn's predictions, and Keras
continues training from numcnn's optimizer state: its next epoch equals numcnn's next epoch (for the models
without dropout, whose draws differ between the two libraries; for that one, Keras' loss keeps falling).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import numcnn  # noqa: E402
from numcnn import layers  # noqa: E402


def images(n, size, seed):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, size, size, 1), np.float32)
    for i in range(n - 1):
        for _ in range(4):
            r, c = rng.integers(0, size), rng.integers(0, size - 5)
            x[i, r, c : c + rng.integers(2, 6), 0] = 1.0
    return x


def notebook():
    return numcnn.Sequential(
        [
            layers.Input((28, 28, 1)),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def bn_dropout():
    return numcnn.Sequential(
        [
            layers.Input((12, 12, 1)),
            layers.Conv2D(8, 3),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.Dropout(0.3),
            layers.Flatten(),
            layers.Dense(16),
            layers.BatchNormalization(momentum=0.9, center=False),
            layers.Dropout(0.2),
            layers.Dense(10, activation="softmax"),
        ]
    )


def residual():
    inputs = numcnn.Input((12, 12, 1))
    first = layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    added = layers.Add()([layers.Conv2D(8, 3, padding="same")(first), first])
    outputs = layers.Dense(10, activation="softmax")(layers.GlobalAveragePooling2D()(added))
    return numcnn.Model(inputs, outputs)


def check(name, make, size, random_layers, folder):
    numcnn.utils.set_random_seed(0)
    x = images(64, size, 1)
    y = np.eye(10, dtype=np.float32)[np.random.default_rng(2).integers(0, 10, 64)]
    model = make()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    model.save(folder / f"{name}.keras")
    model.save_weights(folder / f"{name}.weights.h5")
    predicted = model.predict(x, verbose=0)
    model_before = model.get_weights()
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)  # numcnn's third epoch
    numcnn_next = model.get_weights()

    theirs = keras.models.load_model(folder / f"{name}.keras")
    control = keras.models.clone_model(theirs)  # numcnn's weights, a fresh optimizer: what restoring avoids
    control.set_weights(theirs.get_weights())
    control.compile(optimizer="adam", loss="categorical_crossentropy")
    control.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    worst = float(np.abs(theirs.predict(x, verbose=0) - predicted).max())
    steps = int(theirs.optimizer.iterations.numpy())
    history = theirs.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)  # Keras' third epoch
    line = f"{name}: .keras predictions max |Δ| {worst:.2e}; Keras resumed at step {steps}"
    if random_layers:
        line += f"; Keras' third-epoch loss {history.history['loss'][0]:.4f} (numcnn's dropout draws differ)"
    else:
        gaps = np.concatenate([np.abs(a - b).ravel() for a, b in zip(theirs.get_weights(), numcnn_next)])
        fresh_gap = max(float(np.abs(a - b).max()) for a, b in zip(control.get_weights(), numcnn_next))
        moved = np.concatenate([np.abs(a - b).ravel() for a, b in zip(numcnn_next, model_before)])
        line += (
            f", its third epoch vs numcnn's: weights max |Δ| {gaps.max():.2e}, 99.9th percentile "
            f"{np.quantile(gaps, 0.999):.1e} (the epoch moved them by up to {moved.max():.1e}; from a fresh "
            f"Adam instead: max |Δ| {fresh_gap:.1e})"
        )
    fresh = keras.models.clone_model(keras.models.load_model(folder / f"{name}.keras"))
    fresh.load_weights(folder / f"{name}.weights.h5")
    line += f"; .weights.h5 predictions max |Δ| {float(np.abs(fresh.predict(x, verbose=0) - predicted).max()):.2e}"
    print(line)


def main():
    print(f"Keras {keras.__version__} ({keras.backend.backend()}), numcnn {numcnn.__version__}")
    with tempfile.TemporaryDirectory() as folder:
        for name, make, size, random_layers in (
            ("notebook", notebook, 28, False),
            ("bn_dropout", bn_dropout, 12, True),
            ("residual", residual, 12, False),
        ):
            check(name, make, size, random_layers, Path(folder))


if __name__ == "__main__":
    main()
