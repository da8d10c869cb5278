"""``PyDataset`` (Keras 3's ``keras.utils.PyDataset``, ``Sequence`` in Keras 2): a dataset of batches that
Python code builds on demand, one ``__getitem__`` call a batch."""

from __future__ import annotations

import itertools
import warnings

import numpy as np

from numcnn._checks import flag, non_negative_int, positive_int


class PyDataset:
    """Base class for a dataset that yields whole batches.

    Implement ``__len__`` (the number of batches, or the ``num_batches`` property; ``None`` means endless)
    and ``__getitem__(index)`` returning a batch ``x``, ``(x, y)`` or ``(x, y, sample_weight)`` of arrays;
    optionally ``on_epoch_begin()``/``on_epoch_end()`` (e.g. to reshuffle), which ``fit`` calls around
    each epoch. Call ``super().__init__(**kwargs)`` in your ``__init__``.

    ``workers``, ``use_multiprocessing`` and ``max_queue_size`` are Keras' knobs for reading batches in
    parallel. numcnn accepts them and reads batches one at a time on the calling thread (its kernels already
    keep every core busy); it warns once when they ask for parallelism.

    ``Sequence`` is the same class under Keras 2's name.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = non_negative_int("workers", workers)
        self._use_multiprocessing = flag("use_multiprocessing", use_multiprocessing)
        self._max_queue_size = positive_int("max_queue_size", max_queue_size)
        if self._workers > 1 or self._use_multiprocessing:
            warnings.warn(
                f"numcnn reads PyDataset batches on the calling thread: workers={workers} and "
                f"use_multiprocessing={use_multiprocessing} are accepted and have no effect",
                stacklevel=2,
            )

    def _warn_if_super_not_called(self):
        missing = [name for name in ("_workers", "_use_multiprocessing", "_max_queue_size") if not hasattr(self, name)]
        if missing:
            self._workers, self._use_multiprocessing, self._max_queue_size = 1, False, 10
            warnings.warn(
                "Your `PyDataset` class should call `super().__init__(**kwargs)` in its constructor. `**kwargs` can "
                "include `workers`, `use_multiprocessing`, `max_queue_size`. Do not pass these arguments to "
                "`fit()`, as they will be ignored.",
                stacklevel=3,
            )

    @property
    def workers(self):
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """The batch at position ``index``."""
        raise NotImplementedError

    @property
    def num_batches(self):
        """The number of batches (``len(self)``), or ``None`` for an endless dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            "You need to implement the `num_batches` property:\n\n@property\ndef num_batches(self):\n  return ..."
        )

    def __iter__(self):
        try:
            count = self.num_batches
        except NotImplementedError:
            count = None
        for index in itertools.count() if count is None else range(count):
            yield self[index]

    def on_epoch_begin(self):
        """Called at the beginning of every epoch."""

    def on_epoch_end(self):
        """Called at the end of every epoch."""


Sequence = PyDataset


def standardize_batch(batch):
    """One batch as ``fit`` consumes it: a tuple ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` (a dict
    passes through), as Keras' PyDataset adapter does; anything else is a ``ValueError`` in Keras' words."""
    if isinstance(batch, dict):
        return batch
    if isinstance(batch, np.ndarray):
        batch = (batch,)
    if isinstance(batch, list):
        batch = tuple(batch)
    if not isinstance(batch, tuple) or len(batch) not in (1, 2, 3):
        raise ValueError(
            "PyDataset.__getitem__() must return a tuple or a dict. If a tuple, it must be ordered either "
            "(input,) or (inputs, targets) or (inputs, targets, sample_weights). "
            f"Received: {str(batch)[:100]}... of type {type(batch)}"
        )
    return batch


def batch_order(dataset: PyDataset, shuffle: bool, rng: np.random.Generator):
    """The batch indices of one epoch: ``range(n)``, permuted by ``rng`` when ``shuffle`` (Keras shuffles the
    order of a finite PyDataset's batches in ``fit(shuffle=True)``), or an endless count."""
    count = dataset.num_batches
    if count is None:
        return itertools.count()
    count = non_negative_int("num_batches", count)
    return rng.permutation(count).tolist() if shuffle else range(count)
