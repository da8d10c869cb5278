"""The Keras MNIST notebook (reference/mnist_cnn_keras.md) as a script, running on numcnn.

    python examples/mnist.py                  # the notebook: batch 256, 5 epochs, validation_split 0.2
    python examples/mnist.py --epochs 1 --save mnist.npz --plot figures/

Prints the model summary, the per-epoch log, the test loss and accuracy and the wall time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numcnn as keras
from numcnn import backend as K
from numcnn.datasets import mnist
from numcnn.layers import Convolution2D, Dense, Flatten, MaxPooling2D
from numcnn.models import Sequential


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    parser.add_argument("--batch-size", type=int, default=256, help="batch size (default 256)")
    parser.add_argument("--seed", type=int, default=None, help="seed for bitwise-reproducible runs")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="where MNIST is cached (default $NUMCNN_DATA or ~/.cache/numcnn/datasets)",
    )
    parser.add_argument("--save", metavar="PATH", default=None, help="save the trained model to PATH (.npz)")
    parser.add_argument(
        "--plot",
        metavar="DIR",
        default=None,
        help="write training curves, a confusion matrix, misclassified digits and the first "
        "layer's filters as PNG files to DIR (needs the 'plot' extra: matplotlib)",
    )
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="Keras' fit verbosity")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.plot:
        try:
            from numcnn import plotting
        except ImportError as err:
            print(f"--plot needs matplotlib: pip install 'numcnn[plot]' ({err})", file=sys.stderr)
            return 2
    if args.data_dir:
        os.environ["NUMCNN_DATA"] = args.data_dir
    if args.seed is not None:
        keras.utils.set_random_seed(args.seed)
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
    print()
    print("Test loss = ", score[0])
    print("Test accuracy = ", score[1])
    print(
        f"Training: {fit_seconds:.1f} s ({fit_seconds / args.epochs:.1f} s/epoch, first includes JIT warm-up); "
        f"wall time {time.perf_counter() - start:.1f} s"
    )

    if args.save:
        model.save(args.save)
        print(f"Saved the model to {args.save}")
    if args.plot:
        probabilities = model.predict(x_test, batch_size=1000)
        for path in plotting.save_report(args.plot, history, model, x_test, test_labels, probabilities):
            print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
