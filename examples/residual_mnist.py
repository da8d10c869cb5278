"""A functional residual CNN on MNIST: Keras' functional API (``Input``, layers called on tensors, ``Add``, a 1×1
projection shortcut, ``Model(inputs, outputs)``), running on numcnn.

    python examples/residual_mnist.py                 # batch 128, 5 epochs, validation_split 0.1
    python examples/residual_mnist.py --epochs 1 --save residual.npz

Prints the model summary (with what each layer is connected to), the plan the model runs, the per-epoch log,
the test loss and accuracy and the wall time.
"""

from __future__ import annotations

import sys
import time

import _cli

import numcnn as keras
from numcnn import layers
from numcnn.datasets import mnist


def parse_args(argv=None):
    return _cli.parse_args(__doc__, argv, batch_size=128, data_name="MNIST", image_kind="digits")


def residual_block(x, filters, name):
    """conv-relu-conv, added to the block's input (through a 1×1 convolution when the width changes)."""
    shortcut = x
    if x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, name=f"{name}_projection")(x)
    y = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv1")(x)
    y = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv2")(y)
    return layers.ReLU(name=f"{name}_relu")(layers.Add(name=f"{name}_add")([shortcut, y]))


def build_model(num_classes=10):
    inputs = keras.Input(shape=(28, 28, 1), name="digits")
    x = layers.Conv2D(16, 3, activation="relu", name="stem")(inputs)
    x = residual_block(x, 16, "block1")
    x = layers.MaxPooling2D(name="pool1")(x)
    x = residual_block(x, 32, "block2")
    x = layers.MaxPooling2D(name="pool2")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.2, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name="residual_mnist")


def main(argv=None) -> int:
    args = parse_args(argv)
    if not _cli.setup(args):
        return 2
    start = time.perf_counter()

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255
    x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255
    test_labels = y_test

    model = build_model()
    model.summary()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    print(model.describe_plan())

    fit_start = time.perf_counter()
    history = model.fit(
        x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.1, verbose=args.verbose
    )
    fit_seconds = time.perf_counter() - fit_start
    score = model.evaluate(x_test, y_test, verbose=0)
    _cli.finish(args, model, history, score, fit_seconds=fit_seconds, start=start, x_test=x_test,
                test_labels=test_labels)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
