"""``fit``, ``evaluate`` and ``predict``: the epoch loops, callbacks and progress output around the steps of
:mod:`numcnn.training.trainer`."""

from __future__ import annotations

import warnings

import numpy as np

from numcnn._checks import flag, fraction, invalid, is_int, positive_int
from numcnn._data import check_batch_size, check_initial_epoch, check_validation_data, check_verbose
from numcnn._progbar import Progbar
from numcnn.callbacks import CallbackList, check_callbacks
from numcnn.training.data import ArrayData


def _check_steps(name, value):
    return None if value is None else positive_int(name, value)


def _validation_epochs(validation_freq):
    """Keras' ``validation_freq``: validate every n-th epoch, or on the listed (1-based) epochs."""
    if isinstance(validation_freq, (list, tuple)):
        expected = "a positive integer or a non-empty list of epoch numbers (from 1)"
        if not all(is_int(e) for e in validation_freq):
            raise invalid("validation_freq", expected, validation_freq, TypeError)
        if not validation_freq or min(validation_freq) < 1:
            raise invalid("validation_freq", expected, validation_freq)
        epochs = {int(e) for e in validation_freq}
        return lambda epoch: epoch + 1 in epochs
    every = positive_int("validation_freq", validation_freq)
    return lambda epoch: (epoch + 1) % every == 0


class LoopsMixin:
    """``fit``/``evaluate``/``predict`` for a model with the step methods of ``TrainingMixin``."""

    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        steps_per_epoch=None,
        validation_steps=None,
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Train for ``epochs`` epochs; returns a ``History`` (``history.history["loss"]`` etc.).

        Keras semantics: ``validation_split`` takes the last fraction of array data before shuffling; training
        batches are reshuffled each epoch (``shuffle=True``); the last, partial batch is used; epoch losses are
        means over the epoch's samples, measured before each update; metrics are stateful over the epoch.
        ``x`` may also be a generator or ``PyDataset`` of ``(x, y[, sample_weight])`` batches.
        """
        self._require_compiled("fit", optimizer=True)
        batch_size = check_batch_size(batch_size)
        epochs = positive_int("epochs", epochs)
        verbose = check_verbose(verbose)
        initial_epoch = check_initial_epoch(initial_epoch, epochs)
        validate_now = _validation_epochs(validation_freq)
        shuffle = flag("shuffle", shuffle)
        steps_per_epoch = _check_steps("steps_per_epoch", steps_per_epoch)
        validation_steps = _check_steps("validation_steps", validation_steps)
        split = fraction("validation_split", validation_split)
        callbacks = check_callbacks(callbacks)
        val_batch = check_batch_size(validation_batch_size, default=batch_size, name="validation_batch_size")
        with self._build_or_restore():  # a refused fit leaves an unbuilt model unbuilt
            data = self._data(x, y, sample_weight, batch_size, shuffle, class_weight=class_weight)
            val = None
            if split:
                if not isinstance(data, ArrayData):
                    raise invalid("validation_split", "0 when x is a generator or PyDataset", validation_split)
                data, val = data.split(split)
                val.batch_size = val_batch
            if validation_data is not None:
                val = self._validation_source(validation_data, val_batch)

        steps = steps_per_epoch or data.steps()
        history_cbs = CallbackList(
            callbacks,
            add_history=True,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=epochs,
            steps=steps,
        )
        if verbose and isinstance(data, ArrayData):
            note = f", validate on {val.n} samples" if isinstance(val, ArrayData) else ""
            print(f"Train on {data.n} samples{note}", flush=True)
        self.stop_training = False
        self._initial_epoch = None
        warned = [False]
        history_cbs.on_train_begin()
        initial_epoch = max(initial_epoch, self._initial_epoch or 0)
        logs = {}
        for epoch in range(initial_epoch, epochs):
            history_cbs.on_epoch_begin(epoch)

            def batch_end(step, batch_logs, epoch=epoch):
                if not np.isfinite(batch_logs["loss"]) and not warned[0]:
                    warnings.warn(
                        f"The loss became {batch_logs['loss']} at epoch {epoch + 1}, batch {step}: "
                        "the weights are no longer finite",
                        RuntimeWarning,
                        stacklevel=4,
                    )
                    warned[0] = True
                history_cbs.on_train_batch_end(step, batch_logs)

            logs = self._run_epoch(data, self.train_step, steps_per_epoch, history_cbs.on_train_batch_begin, batch_end)
            if val is not None and validate_now(epoch) and not self.stop_training:
                val_logs = self._run_epoch(val, self.test_step, validation_steps)
                logs.update({f"val_{key}": value for key, value in val_logs.items()})
            history_cbs.on_epoch_end(epoch, logs)
            if self.stop_training or getattr(data, "exhausted", False):
                break
        history_cbs.on_train_end(logs)
        return self.history

    def _validation_source(self, validation_data, batch_size):
        from numcnn.training.data import is_stream

        if is_stream(validation_data):
            return self._data(validation_data, None, None, batch_size, False, ("validation_data", "validation_data"))
        x_val, y_val, sw = check_validation_data(validation_data)
        names = ("validation_data[0]", "validation_data[1]")
        return self._array_data(x_val, y_val, sw, batch_size, names=names)

    def evaluate(
        self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None, callbacks=None,
        return_dict=False,
    ):  # fmt: skip
        """Loss and metrics on ``(x, y)``: ``[loss, accuracy]`` (a float when there are no metrics)."""
        self._require_compiled("evaluate")
        batch_size = check_batch_size(batch_size)
        verbose = check_verbose(verbose)
        return_dict = flag("return_dict", return_dict)
        steps = _check_steps("steps", steps)
        cbs = CallbackList(check_callbacks(callbacks), model=self, verbose=verbose, epochs=1, steps=steps)
        with self._build_or_restore():
            data = self._data(x, y, sample_weight, batch_size, False)
        total = steps or data.steps()
        bar = Progbar(total or 0, verbose=verbose) if verbose else None
        cbs.on_test_begin()

        def end(step, logs):
            cbs.on_test_batch_end(step, logs)
            if bar is not None:
                bar.update(step + 1, logs)

        logs = self._run_epoch(data, self.test_step, steps, cbs.on_test_batch_begin, end)
        if bar is not None:
            bar.finish(logs)
        cbs.on_test_end(logs)
        return self._result(logs, return_dict)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for ``x`` (arrays, or a generator/PyDataset of batches), in batches: e.g. class
        probabilities ``(N, 10)``; several outputs come back in the structure the model's outputs have."""
        batch_size = check_batch_size(batch_size)
        verbose = check_verbose(verbose)
        steps = _check_steps("steps", steps)
        cbs = CallbackList(check_callbacks(callbacks), model=self, verbose=verbose, epochs=1, steps=steps)
        from numcnn.training.data import Peek, StreamData, Structure, is_stream

        with self._build_or_restore():
            if is_stream(x):
                probe = Peek(x)
                first = probe.first()
                self._ensure_built_for(first[0] if isinstance(first, tuple) else first)
                data = StreamData(probe.data, Structure(self), [], for_predict=True)
            else:
                data = ArrayData(self._prepare_inputs(x), None, None, batch_size)
        total = steps or data.steps()
        bar = Progbar(total or 0, verbose=verbose) if verbose else None
        cbs.on_predict_begin()
        parts = []
        for step, (xs, _, _) in enumerate(data.epoch(steps)):
            cbs.on_predict_batch_begin(step)
            parts.append(self.predict_step(xs))
            cbs.on_predict_batch_end(step, {})
            if bar is not None:
                bar.update(step + 1, {})
        if bar is not None:
            bar.finish({})
        cbs.on_predict_end()
        if not parts:
            raise ValueError("predict() got no batches from its input")
        outputs = [np.concatenate([p[i] for p in parts]) for i in range(len(parts[0]))]
        return self._pack_outputs(outputs)
