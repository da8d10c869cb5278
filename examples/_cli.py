"""What the example scripts share: their command line, and what they do after training.

Each example is the notebook's code in the middle; this module takes the flags in (``--epochs``,
``--batch-size``, ``--seed``, ``--data-dir``, ``--save``, ``--plot``, ``--verbose``) and, at the end, prints the
test score and timings, saves the model and writes the pictures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numcnn


def parse_args(doc: str, argv, *, batch_size: int, data_name: str, image_kind: str):
    """Parse the shared flags; the defaults that differ per example come in as arguments."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5, help="training epochs (default 5)")
    parser.add_argument("--batch-size", type=int, default=batch_size, help=f"batch size (default {batch_size})")
    parser.add_argument("--seed", type=int, default=None, help="seed for bitwise-reproducible runs")
    parser.add_argument(
        "--data-dir",
        default=None,
        help=f"where {data_name} is cached (default $NUMCNN_DATA or ~/.cache/numcnn/datasets)",
    )
    parser.add_argument("--save", metavar="PATH", default=None, help="save the trained model to PATH (.npz)")
    parser.add_argument(
        "--plot",
        metavar="DIR",
        default=None,
        help=f"write training curves, a confusion matrix, misclassified {image_kind} and the first layer's "
        "filters as PNG files to DIR (needs the 'plot' extra: matplotlib)",
    )
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="Keras' fit verbosity")
    return parser.parse_args(argv)


def setup(args) -> bool:
    """Apply ``--data-dir`` and ``--seed``; False (after a message) when ``--plot`` cannot work."""
    if args.plot:
        try:
            from numcnn import plotting  # noqa: F401 (only to learn whether matplotlib is there)
        except ImportError as err:
            print(f"--plot needs matplotlib: pip install 'numcnn[plot]' ({err})", file=sys.stderr)
            return False
    if args.data_dir:
        os.environ["NUMCNN_DATA"] = args.data_dir
    if args.seed is not None:
        numcnn.utils.set_random_seed(args.seed)
    return True


def finish(args, model, history, score, *, fit_seconds, start, x_test, test_labels, class_names=None) -> None:
    """Print the score and timings, then ``--save`` the model and ``--plot`` the pictures."""
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
        from numcnn import plotting

        probabilities = model.predict(x_test, batch_size=1000)
        for path in plotting.save_report(
            args.plot, history, model, x_test, test_labels, probabilities, class_names=class_names
        ):
            print(f"Wrote {path}")
