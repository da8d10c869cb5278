"""The training loop of ``Sequential``: ``compile``, ``fit``, ``evaluate``, ``predict``, with Keras' semantics.

One step is: forward in training mode, per-sample loss and metrics, backward (the fused softmax-
crossentropy gradient when the model ends in softmax and the loss is a crossentropy), then one optimizer
update. The update runs with Ctrl-C deferred, so an interrupt never leaves it half applied.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import warnings

import numpy as np

from numcnn import losses, optimizers
from numcnn import metrics as metrics_module
from numcnn import random as nrandom
from numcnn._checks import flag, invalid, positive_int
from numcnn._data import (
    as_numeric_array,
    batches,
    check_batch_size,
    check_initial_epoch,
    check_inputs,
    check_same_length,
    check_validation_data,
    check_verbose,
    split_validation,
)
from numcnn._memory import keep_large_allocations
from numcnn._progbar import Progbar
from numcnn.callbacks import CallbackList, History, ProgbarLogger, check_callbacks
from numcnn.layers.base import ActivatedLayer


@contextlib.contextmanager
def deferred_interrupt():
    """Hold back SIGINT (Ctrl-C) until the block ends, then deliver it; a no-op off the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and callable(previous):
            previous(signal.SIGINT, None)
        elif received and previous == signal.SIG_DFL:
            signal.raise_signal(signal.SIGINT)


class TrainingMixin:
    """``compile``/``fit``/``evaluate``/``predict`` for a model with ``_layers``, ``build`` and weights."""

    # -- compile ------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        """Choose the optimizer, loss and metrics, by name (``'adam'``, ``'categorical_crossentropy'``,
        ``['accuracy']``) or as objects. Everything is checked before the model changes."""
        ignored = {"run_eagerly", "jit_compile", "steps_per_execution", "auto_scale_loss"}
        unknown = sorted(set(kwargs) - ignored)
        if unknown:
            raise TypeError(f"compile() got unexpected keyword argument(s): {', '.join(unknown)}")
        if loss is None:
            raise invalid("loss", "a loss name or Loss instance", None, TypeError)
        resolved_loss = losses.get(loss)
        # Keras: optimizer=None compiles a model for evaluate/predict only; fit then says it needs one.
        resolved_optimizer = None if optimizer is None else optimizers.get(optimizer)
        if metrics is None:
            metrics = []
        if isinstance(metrics, str) or not isinstance(metrics, (list, tuple)):
            raise invalid("metrics", "a list of metric names", metrics, TypeError)
        resolved_metrics = [metrics_module.get(m, resolved_loss.name) for m in metrics]
        self.loss, self.optimizer, self.metrics = resolved_loss, resolved_optimizer, resolved_metrics
        self._compile_args = {
            "optimizer": None
            if resolved_optimizer is None
            else {
                "class_name": type(resolved_optimizer).__name__,
                "config": resolved_optimizer.get_config(),
            },
            "loss": resolved_loss.name,
            "metrics": list(metrics),
        }
        self.compiled = True

    def _compile_config(self):
        return getattr(self, "_compile_args", None)

    def _require_compiled(self, what, optimizer=False):
        if not getattr(self, "compiled", False):
            raise ValueError(f"You must call compile() before {what}()")
        if optimizer and self.optimizer is None:
            raise ValueError(
                f"Invalid value for argument 'optimizer': {what}() needs an optimizer. "
                "Received: compile(optimizer=None)"
            )

    # -- arrays in ----------------------------------------------------------------------------
    def _prepare_x(self, x, name="x"):
        keep_large_allocations()
        x = as_numeric_array(name, x, check_finite=False)
        if not self.built:
            self.build((None, *x.shape[1:]))
        check_inputs(x, self.input_shape, name)
        # NaN/inf are looked for after the cast: a float64 1e300 becomes inf in float32
        return as_numeric_array(name, x, dtype=self._layers[0].dtype)

    def _prepare_xy(self, x, y, names=("x", "y")):
        x = self._prepare_x(x, names[0])
        sparse = self.loss.name.startswith("sparse")
        y = as_numeric_array(names[1], y, dtype=None if sparse else x.dtype)
        check_same_length(x, y, names)
        self.loss.check_targets(y, (x.shape[0], *self.output_shape[1:]), names[1])
        return x, y

    # -- one batch ----------------------------------------------------------------------------
    def _forward(self, x, training=False):
        for layer in self._layers:
            x = layer.forward(x, training=training)
        return x

    def _fused(self) -> bool:
        last = self._layers[-1]
        return (
            getattr(self.loss, "fuses_with_softmax", False)
            and isinstance(last, ActivatedLayer)
            and last.activation.name == "softmax"
        )

    def _backward(self, y, out) -> None:
        stack = self._layers
        if self._fused():
            grad = stack[-1].backward_linear(self.loss.softmax_gradient(y, out))
            stack = stack[:-1]
        else:
            grad = self.loss.gradient(y, out)
        for layer in reversed(stack):
            if grad is None:
                break
            grad = layer.backward(grad)

    def _measure(self, y, out) -> dict[str, np.ndarray]:
        """Per-sample loss and metric values of one batch (float64, shape ``(N,)``)."""
        values = {"loss": np.asarray(self.loss.per_sample(y, out), dtype=np.float64)}
        for name, fn in self.metrics:
            values[name] = fn(y, out)
        return values

    def _train_step(self, x, y) -> dict[str, np.ndarray]:
        out = self._forward(x, training=True)
        values = self._measure(y, out)
        self._backward(y, out)
        params, grads = self.trainable_params()
        with deferred_interrupt():
            self.optimizer.apply(params, grads)
        return values

    def train_on_batch(self, x, y):
        """One update on ``(x, y)``; returns ``[loss, *metrics]`` of the batch (before the update)."""
        self._require_compiled("train_on_batch", optimizer=True)
        x, y = self._prepare_xy(x, y)
        values = self._train_step(x, y)
        return self._result({k: float(v.mean()) for k, v in values.items()})

    def test_on_batch(self, x, y):
        self._require_compiled("test_on_batch")
        x, y = self._prepare_xy(x, y)
        values = self._measure(y, self._forward(x))
        return self._result({k: float(v.mean()) for k, v in values.items()})

    def predict_on_batch(self, x):
        return self._forward(self._prepare_x(x))

    def _result(self, logs):
        return logs["loss"] if len(logs) == 1 else [logs["loss"], *(logs[name] for name, _ in self.metrics)]

    # -- fit ----------------------------------------------------------------------------------
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
        validation_batch_size=None,
        validation_freq=1,
    ):
        """Train for ``epochs`` epochs; returns a ``History`` (``history.history["loss"]`` etc.).

        Keras semantics: ``validation_split`` takes the last fraction of ``x``/``y`` before shuffling;
        training batches are reshuffled each epoch (``shuffle=True``); the last, partial batch is used;
        epoch ``loss``/``accuracy`` are means over the epoch's samples, measured before each update.
        """
        self._require_compiled("fit", optimizer=True)
        if class_weight is not None or sample_weight is not None:
            raise ValueError("class_weight and sample_weight are not supported by numcnn yet")
        batch_size = check_batch_size(batch_size)
        epochs = positive_int("epochs", epochs)
        verbose = check_verbose(verbose)
        initial_epoch = check_initial_epoch(initial_epoch, epochs)
        validation_freq = positive_int("validation_freq", validation_freq)
        shuffle = flag("shuffle", shuffle)
        callbacks = check_callbacks(callbacks)
        x, y = self._prepare_xy(x, y)
        (x, y), val = split_validation(x, y, validation_split)
        if validation_data is not None:
            x_val, y_val = check_validation_data(validation_data)
            val = self._prepare_xy(x_val, y_val, names=("validation_data[0]", "validation_data[1]"))
        val_batch = check_batch_size(validation_batch_size, default=batch_size, name="validation_batch_size")

        steps = -(-x.shape[0] // batch_size)
        history = History()
        self.history = history
        extra = [ProgbarLogger(verbose)] if verbose else []
        cbs = CallbackList(
            [*callbacks, *extra, history],
            self,
            {"epochs": epochs, "steps": steps, "verbose": verbose, "batch_size": batch_size},
        )
        if verbose:
            split_note = f", validate on {val[0].shape[0]} samples" if val is not None else ""
            print(f"Train on {x.shape[0]} samples{split_note}", flush=True)
        self.stop_training = False
        warned_nan = False
        cbs.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            cbs.on_epoch_begin(epoch)
            order = nrandom.generator().permutation(x.shape[0]) if shuffle else None
            sums, seen = {}, 0
            for step, index in enumerate(batches(x.shape[0], batch_size, order)):
                cbs.on_train_batch_begin(step)
                values = self._train_step(x[index], y[index])
                seen += values["loss"].shape[0]
                for key, v in values.items():
                    sums[key] = sums.get(key, 0.0) + float(v.sum())
                logs = {key: total / seen for key, total in sums.items()}
                if not np.isfinite(logs["loss"]) and not warned_nan:
                    warnings.warn(
                        f"The loss became {logs['loss']} at epoch {epoch + 1}, batch {step}: "
                        "the weights are no longer finite",
                        RuntimeWarning,
                        stacklevel=2,
                    )
                    warned_nan = True
                cbs.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_arrays(*val, val_batch)
                logs.update({f"val_{key}": value for key, value in val_logs.items()})
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cbs.on_train_end(logs)
        return history

    # -- evaluate / predict -------------------------------------------------------------------
    def _evaluate_arrays(self, x, y, batch_size, bar=None) -> dict[str, float]:
        sums = {}
        for step, index in enumerate(batches(x.shape[0], batch_size)):
            values = self._measure(y[index], self._forward(x[index]))
            for key, v in values.items():
                sums[key] = sums.get(key, 0.0) + float(v.sum())
            if bar is not None:
                bar.update(step + 1, {k: s / min((step + 1) * batch_size, x.shape[0]) for k, s in sums.items()})
        return {key: total / x.shape[0] for key, total in sums.items()}

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", return_dict=False):
        """Loss and metrics on ``(x, y)``: ``[loss, accuracy]`` (a float when there are no metrics)."""
        self._require_compiled("evaluate")
        batch_size = check_batch_size(batch_size)
        verbose = check_verbose(verbose)
        return_dict = flag("return_dict", return_dict)
        x, y = self._prepare_xy(x, y)
        bar = Progbar(-(-x.shape[0] // batch_size), verbose=verbose) if verbose else None
        logs = self._evaluate_arrays(x, y, batch_size, bar)
        if bar is not None:
            bar.finish(logs)
        return dict(logs) if return_dict else self._result(logs)

    def predict(self, x, batch_size=None, verbose=0):
        """Model outputs for ``x`` of shape ``(N, …)``, in batches: e.g. class probabilities ``(N, 10)``."""
        batch_size = check_batch_size(batch_size)
        check_verbose(verbose)
        x = self._prepare_x(x)
        return np.concatenate([self._forward(x[index]) for index in batches(x.shape[0], batch_size)])

    def __call__(self, x, training=False):
        return self._forward(self._prepare_x(x), training=training)
