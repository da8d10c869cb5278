"""``compile``, ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` calls, with Keras 3's semantics, over the
model's execution plan.

One training step (``train_step``, the public seam) is: forward in training mode, the loss and metrics of the
batch, backward from the losses' gradients (from the logits' gradient where a softmax meets a crossentropy),
the weights' regularization gradients, one optimizer update on the layers that received gradients, then the
weights' constraints. The update runs with Ctrl-C deferred, so an interrupt never leaves it half applied.
User data is checked once, where it enters; batches of arrays are then only sliced.
"""

from __future__ import annotations

import contextlib
import signal
import threading

import numpy as np

from numcnn import graph, optimizers
from numcnn._checks import flag, invalid
from numcnn._memory import keep_large_allocations
from numcnn.training.compile import Compiled
from numcnn.training.data import ArrayData, Peek, StreamData, Structure, class_weights, is_stream


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


def _added_loss(plan) -> float:
    """The losses ``add_loss`` added in the models' ``call`` at the plan's last forward."""
    from numcnn.models.added_losses import total  # numcnn.models imports this module

    return total(plan)


def _provisional_names(loss) -> list[str]:
    """Output names to check ``compile``'s arguments against before a subclassed model is built and its
    outputs are known: one per loss of a list (``loss=("mse", "mse")`` for two outputs), a dict's keys."""
    if isinstance(loss, dict) and loss:
        return list(loss)
    if isinstance(loss, (list, tuple)) and len(loss) > 1:
        return [f"output_{i}" for i in range(1, len(loss) + 1)]
    return ["output"]


class StepsMixin:
    """compile, the steps, and the ``*_on_batch`` calls; the model provides its graph, plan, weights and ``build``."""

    compiled = False
    optimizer = None

    # -- compile --------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None, **kwargs):
        """Choose the optimizer, the loss(es) and metrics, by name (``'adam'``, ``'categorical_crossentropy'``,
        ``['accuracy']``) or as objects; per output as lists or dicts. Everything is checked before the model
        changes. ``optimizer=None`` compiles for ``evaluate``/``predict`` only, as in Keras."""
        ignored = {"run_eagerly", "jit_compile", "steps_per_execution", "auto_scale_loss"}
        unknown = sorted(set(kwargs) - ignored)
        if unknown:
            raise TypeError(f"compile() got unexpected keyword argument(s): {', '.join(unknown)}")
        names = self.output_names if self.built else _provisional_names(loss)
        compiled = Compiled(names, loss, loss_weights, metrics, weighted_metrics)
        self._compile_request = (loss, loss_weights, metrics, weighted_metrics)
        resolved_optimizer = None if optimizer is None else optimizers.get(optimizer)
        self._compiled, self.optimizer = compiled, resolved_optimizer
        self._compile_args = {
            "optimizer": None if resolved_optimizer is None else optimizers.serialize(resolved_optimizer),
            **compiled.config(),
        }
        self.compiled = True
        self._plans.clear()

    @property
    def loss(self):
        """The compiled loss (a list, one per output, for several outputs)."""
        if not self.compiled:
            return None
        losses = self._compiled.losses
        return losses[0] if len(losses) == 1 else losses

    @property
    def metrics_names(self) -> list[str]:
        if not self.compiled:
            return []
        return self._compiled.result_order()

    def reset_metrics(self) -> None:
        """Start every compiled metric afresh (Keras' ``model.reset_metrics()``, for hand-written loops)."""
        if self.compiled:
            self._compiled.reset_metrics()

    def _compile_config(self):
        return getattr(self, "_compile_args", None)

    def _require_compiled(self, what, optimizer=False) -> Compiled:
        if not self.compiled:
            raise ValueError(f"You must call compile() before {what}()")
        if optimizer and self.optimizer is None:
            raise ValueError(
                f"Invalid value for argument 'optimizer': {what}() needs an optimizer. "
                "Received: compile(optimizer=None)"
            )
        return self._compiled

    def _compiled_outputs(self) -> Compiled:
        """The compile settings spread over the outputs of the (now built) model: a model compiled before it
        was built gets them once its outputs are known."""
        compiled = self._compiled
        if compiled.output_names != self.output_names:
            self._compiled = compiled = Compiled(self.output_names, *self._compile_request)
        return compiled

    # -- data in ----------------------------------------------------------------------------------
    def input_dtype(self, index: int) -> str:
        """The dtype data for input ``index`` is cast to: the float type of the layers that read it."""
        layers = [layer for layer in self.leaf_layers() if hasattr(layer, "dtype")]
        return layers[0].dtype.name if layers else "float32"

    def _ensure_built_for(self, x, argument="x") -> None:
        """Build a Sequential or subclassed model that has no input shape yet from the first data it gets."""
        if self.built:
            return
        from numcnn._data import as_numeric_array

        values = x if isinstance(x, (list, tuple)) and x and hasattr(x[0], "shape") else [x]
        shapes = [(None, *as_numeric_array(argument, v, check_finite=False).shape[1:]) for v in values]
        self.build(shapes if len(shapes) > 1 else shapes[0])

    def _structure_now(self) -> Structure:
        """The model's input and output structure, made once per version of its graph (not per batch)."""
        key = (graph.version(), self._structure)
        cached = self.__dict__.get("_structure_cache")
        if cached is None or cached[0] != key:
            cached = self._structure_cache = (key, Structure(self))
        return cached[1]

    def _prepare_inputs(self, x, argument="x") -> list[np.ndarray]:
        keep_large_allocations()
        self._ensure_built_for(x, argument)
        return self._structure_now().inputs(x, argument)

    def _array_data(self, x, y, sample_weight, batch_size, shuffle=False, names=("x", "y")) -> ArrayData:
        xs = self._prepare_inputs(x, names[0])
        compiled = self._compiled_outputs()
        structure = self._structure_now()
        n = xs[0].shape[0]
        ys = structure.targets(y, compiled.losses, n, names[1])
        weights = structure.weights(sample_weight, n)
        return ArrayData(xs, ys, weights, batch_size, shuffle)

    def _data(self, x, y, sample_weight, batch_size, shuffle, names=("x", "y"), class_weight=None):
        if is_stream(x):
            if y is not None or sample_weight is not None:
                raise invalid(names[1], "None when x is a generator or PyDataset (it yields the targets)", "an array")
            if class_weight is not None:
                raise invalid("class_weight", "None with a generator or PyDataset", class_weight)
            probe = Peek(x)
            first = probe.first()
            self._ensure_built_for(first[0] if isinstance(first, tuple) else first, names[0])
            return StreamData(probe.data, Structure(self), self._compiled_outputs().losses, shuffle, argument=names[0])
        data = self._array_data(x, y, sample_weight, batch_size, shuffle, names)
        if class_weight is not None:
            if len(data.ys) != 1:
                raise invalid("class_weight", "None for a model with several outputs (use sample_weight)", class_weight)
            cw = class_weights(class_weight, data.ys[0], getattr(self._compiled.losses[0], "sparse", False))
            data.weights = [cw if data.weights is None else data.weights[0] * cw]
        return data

    # -- one batch ----------------------------------------------------------------------------------
    def _forward(self, xs, training, heads=()):
        return self.plan(training, heads).forward(xs, training, keep=training)

    def train_step(self, data):
        """One update on a batch ``(xs, ys, sample_weights)`` (lists in input and output order); returns the
        batch's logs. Override it to change what one training step does."""
        xs, ys, weights = data
        compiled = self._compiled
        heads = compiled.heads()
        plan = self.plan(True, heads)
        outs = plan.forward(xs, True)
        compiled.resolve(ys, outs)
        total, per_output = compiled.measure(ys, outs, weights)
        total += _added_loss(plan) + plan.activity_loss()
        plan.backward(compiled.output_gradients(ys, outs, weights, plan.head_outputs))
        layers, keys = self._trained_weights(plan)
        total += self._regularize(layers)
        params = {key: layer.params[name] for key, layer, name in keys}
        grads = {key: layer.grads[name] for key, layer, name in keys}
        with deferred_interrupt():
            self.optimizer.apply(params, grads)
            self._constrain(layers)
        return self._batch_logs(total, per_output, xs[0].shape[0])

    def test_step(self, data):
        """The loss and metrics of a batch, in inference mode."""
        xs, ys, weights = data
        outs = self._forward(xs, False)
        self._compiled.resolve(ys, outs)
        total, per_output = self._compiled.measure(ys, outs, weights)
        plan = self.plan(False)
        total += self._regularization_penalty() + _added_loss(plan) + plan.activity_loss()
        return self._batch_logs(total, per_output, xs[0].shape[0])

    def predict_step(self, data):
        xs = data[0] if isinstance(data, tuple) else data
        return self._forward(xs, False)

    def _batch_logs(self, total, per_output, n) -> dict:
        names = self._compiled.loss_names()
        values = [total] + ([v for v in per_output if v is not None] if len(names) > 1 else [])
        return {"_size": n, **dict(zip(names, values))}

    def _trained_weights(self, plan):
        """``(layers, keys)`` of a step: the trainable leaf layers its backward reached, in weight order, and
        ``(key, layer, weight name)`` of their trainable weights (``trainable_params``' keys). Made once per
        plan and set of trained layers (which a plan rebuild, e.g. after a change to ``trainable``, resets),
        not per step."""
        trained = frozenset(plan.trained)
        cache = plan.__dict__.setdefault("_trained_weights", {})
        found = cache.get(trained)
        if found is None:
            layers = [layer for layer in self.leaf_layers() if layer.trainable and id(layer) in trained]
            chosen = {id(layer) for layer in layers}
            keys = [(key, layer, name) for key, layer, name in self.weight_keys()
                    if id(layer) in chosen and name in layer.params]  # fmt: skip
            found = cache[trained] = (layers, keys)
        return found

    def _regularized_weights(self, layers=None):
        for layer in self.leaf_layers() if layers is None else layers:
            if layer.trainable or layers is not None:
                for name, reg in layer.regularizers.items():
                    if name in layer.params:
                        yield layer, name, reg

    def _regularization_penalty(self) -> float:
        return float(sum(reg(layer.params[name]) for layer, name, reg in self._regularized_weights()))

    def _regularize(self, layers) -> float:
        """Add each regularizer's gradient into its weight's gradient (``layers``: the trained ones); return
        the penalties' sum."""
        total = 0.0
        for layer, name, reg in self._regularized_weights(layers):
            total += float(reg(layer.params[name]))
            layer.grads[name] = layer.grads[name] + reg.gradient(layer.params[name])
        return total

    def _constrain(self, layers) -> None:
        for layer in layers:
            if layer.constraints:
                for name, constraint in layer.constraints.items():
                    if name in layer.params:
                        layer.params[name][...] = constraint(layer.params[name])

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One update on ``(x, y)``; returns ``[loss, *metrics]`` of the batch (measured before the update)."""
        compiled = self._require_compiled("train_on_batch", optimizer=True)
        data = self._data(x, y, sample_weight, 1 << 62, False, class_weight=class_weight)
        compiled.reset_metrics()
        logs = self.train_step(next(data.epoch()))
        return self._result(self._final_logs(logs), flag("return_dict", return_dict))

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        compiled = self._require_compiled("test_on_batch")
        data = self._data(x, y, sample_weight, 1 << 62, False)
        compiled.reset_metrics()
        logs = self.test_step(next(data.epoch()))
        return self._result(self._final_logs(logs), flag("return_dict", return_dict))

    def predict_on_batch(self, x):
        xs = self._prepare_inputs(x)
        return self._pack_outputs(self.predict_step(xs))

    def _final_logs(self, sums: dict) -> dict:
        logs = {k: v for k, v in sums.items() if k != "_size"}
        logs.update(self._compiled.metric_results())
        return logs

    def _result(self, logs: dict, return_dict: bool):
        if return_dict:
            return dict(sorted(logs.items()))  # Keras 3 sorts the keys, as in History; the list follows metrics_names
        values = [logs[k] for k in self.metrics_names if k in logs]
        return values[0] if len(values) == 1 else values

    # -- loops ----------------------------------------------------------------------------------------
    def _run_epoch(self, data, step_fn, steps=None, on_begin=None, on_end=None) -> dict:
        """Run ``step_fn`` on every batch; returns the epoch's logs: losses as means over the samples seen
        (Keras weights each batch's loss by its size), metrics from their state."""
        self._compiled.reset_metrics()
        sums, seen = {}, 0
        logs = {}
        for step, batch in enumerate(data.epoch(steps)):
            if on_begin is not None:
                on_begin(step)
            batch_logs = step_fn(batch)
            n = batch_logs.pop("_size")
            seen += n
            for key, value in batch_logs.items():
                sums[key] = sums.get(key, 0.0) + value * n
            logs = {key: total / seen for key, total in sums.items()}
            logs.update(self._compiled.metric_results())
            if on_end is not None:
                on_end(step, logs)
            if getattr(self, "stop_training", False) and on_end is not None:
                break
        data.on_epoch_end()
        return logs
