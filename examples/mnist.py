"""The Keras MNIST notebook (reference/mnist_cnn_keras.md) as a script, running on numcnn.

    python examples/mnist.py                  # the notebook: batch 256, 5 epochs, validation_split 0.2
    python examples/mnist.py --epochs 1 --save mnist.npz --plot figures/

Prints the model summary, the per-epoch log, the test loss and accuracy and the wall time.
"""

from __future__ import annotations

import sys
import time

import _cli

import numcnn as keras
from numcnn import backend as K
from numcnn.datasets import mnist
from numcnn.layers import Convolution2D, Dense, Flatten, MaxPooling2D
from numcnn.models import Sequential


def parse_args(argv=None):
    return _cli.parse_args(__doc__, argv, batch_size=256, data_name="MNIST", image_kind="digits")


def main(argv=None) -> int:
    args = parse_args(argv)
    if not _cli.setup(args):
        return 2
    start = time.perf_counter()

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    print("x_train.shape = ", x_train.shape)
    print("x_test.shape = ", x_test.shape)
    num_training_samples, num_testing_samples = x_train.shape[0], x_test.shape[0]
    img_height, img_width, num_channels, num_classes = 28, 28, 1, 10
    test_labels = y_test

    if K.image_data_format() == "channels_last":
        x_train = x_train.reshape(num_training_samples, img_height, img_width, num_channels).astype("float32")
        x_test = x_test.reshape(num_testing_samples, img_height, img_width, num_channels).astype("float32")
        input_shape = (img_height, img_width, num_channels)
    else:
        x_train = x_train.reshape(num_training_samples, num_channels, img_height, img_width).astype("float32")
        x_test = x_test.reshape(num_testing_samples, num_channels, img_height, img_width).astype("float32")
        input_shape = (num_channels, img_height, img_width)
    x_train /= 255
    x_test /= 255
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = Sequential()
    model.add(
        Convolution2D(filters=32, kernel_size=(3, 3), padding="valid", activation="relu", input_shape=input_shape)
    )
    model.add(Convolution2D(filters=64, kernel_size=(3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dense(128, activation="relu"))
    model.add(Dense(num_classes, activation="softmax"))
    model.summary()

    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    fit_start = time.perf_counter()
    history = model.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_split=0.2,
        verbose=args.verbose,
    )
    fit_seconds = time.perf_counter() - fit_start

    score = model.evaluate(x_test, y_test)
    _cli.finish(
        args, model, history, score, fit_seconds=fit_seconds, start=start, x_test=x_test, test_labels=test_labels
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
