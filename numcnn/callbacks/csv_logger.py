"""``CSVLogger``: stream each epoch's logs to a CSV file."""

from __future__ import annotations

import collections.abc
import csv
import os

import numpy as np

from numcnn._checks import file_path, flag, invalid
from numcnn.callbacks.callback import Callback


class CSVLogger(Callback):
    """Append one row per epoch to ``filename``: ``epoch`` (counting from 0), then the log keys in sorted order.

    Keras' columns: when the first epoch's logs have no ``val_*`` key, a ``val_<key>`` column is added for
    each key anyway and filled with ``NA`` (so a file's columns do not depend on whether validation ran);
    a key missing from a later epoch is ``NA`` too. Each row is flushed and fsynced as it is written, so
    the file holds every finished epoch even if the process dies. ``append=True`` continues an existing
    file (no second header when it already has one); ``append=False`` overwrites it.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = file_path("filename", filename)
        if os.path.isdir(self.filename):
            raise invalid("filename", "a file path", f"a folder {self.filename!r}")
        if not isinstance(separator, str):
            raise invalid("separator", "a one-character string such as ',' or ';'", separator, TypeError)
        if len(separator) != 1 or separator in '\r\n"':
            raise invalid("separator", "a one-character string such as ',' or ';'", separator)
        self.sep = separator
        self.append = flag("append", append)
        self.keys = None
        self.writer = None
        self.csv_file = None
        self.append_header = True

    def on_train_begin(self, logs=None):
        mode = "w"
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8", newline="") as f:
                    self.append_header = not f.readline()
            mode = "a"
        self._close()
        folder = os.path.dirname(os.path.abspath(self.filename))
        os.makedirs(folder, exist_ok=True)
        self.csv_file = open(self.filename, mode, encoding="utf-8", newline="")  # noqa: SIM115 (open across hooks)
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            self.writer = csv.writer(self.csv_file, delimiter=self.sep, lineterminator="\n")
            if self.append_header:
                self.writer.writerow(["epoch", *self.keys])
        self.writer.writerow([epoch, *(_cell(logs.get(key, "NA")) for key in self.keys)])
        self.csv_file.flush()
        os.fsync(self.csv_file.fileno())

    def on_train_end(self, logs=None):
        self._close()
        self.writer = None

    def _close(self):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()


def _cell(value):
    """A log value as Keras writes it: strings and numbers as they are, 1-D iterables as ``"[a, b]"``."""
    if isinstance(value, str) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value
    if isinstance(value, collections.abc.Iterable):
        return f'"[{", ".join(map(str, value))}]"'
    return value
