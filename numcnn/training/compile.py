"""What ``compile`` sets up, per model output: its loss, loss weight and metrics, and how a batch is measured.

Keras 3's rules: ``loss`` is one loss for every output, a list (one per output) or a dict by output name (an
output without a loss is not trained from); ``loss_weights`` a list or dict of floats; ``metrics`` a list for a
single output, or a list of lists or a dict for several. The reported ``loss`` is ``Σ weightₒ·lossₒ`` plus the
weights' regularization penalties; with several outputs the logs also carry ``<output>_loss`` and
``<output>_<metric>``. Names (``'accuracy'``, ``'crossentropy'``) that depend on the targets' shapes are
resolved on the first batch, as Keras does.
"""

from __future__ import annotations

import numpy as np

from numcnn import losses as losses_module
from numcnn import metrics as metrics_module
from numcnn._checks import invalid


def _per_output(value, names: list[str], argument: str, default=None, nested=False) -> list:
    """``value`` spread over the outputs: one item for all (not for ``nested``), a list in order, or a dict."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise invalid(argument, f"a dict keyed by output names {names}", f"unknown keys {unknown}")
        return [value.get(n, default) for n in names]
    if isinstance(value, (list, tuple)) and (len(names) > 1 or nested):
        if len(value) != len(names):
            raise invalid(
                argument, f"a list of {len(names)} entries, one per output {names}, or a dict", f"{len(value)} entries"
            )
        return list(value)
    return [value] * len(names) if not nested else [value]


class Compiled:
    """The losses, loss weights and metrics of a compiled model, one entry per output, and the measurement of
    one batch: loss values, the gradients that start backward, and the metrics' running state."""

    def __init__(self, output_names: list[str], loss, loss_weights=None, metrics=None, weighted_metrics=None):
        self.output_names = list(output_names)
        if loss is None:
            raise invalid("loss", "a loss name, Loss instance or loss function", None, TypeError)
        self.loss_specs = _per_output(loss, self.output_names, "loss")
        self.losses = [None if spec is None else self._resolve_loss(spec) for spec in self.loss_specs]
        if all(loss is None for loss in self.losses):
            raise invalid("loss", f"a loss for at least one of the outputs {self.output_names}", loss)
        if isinstance(loss_weights, (list, tuple)) and len(loss_weights) != len(self.output_names):
            raise invalid(
                "loss_weights",
                f"a list of {len(self.output_names)} numbers, one per output {self.output_names}, or a dict",
                f"{len(loss_weights)} entries",
            )
        weights = _per_output(1.0 if loss_weights is None else loss_weights, self.output_names, "loss_weights", 1.0)
        for w in weights:
            if isinstance(w, bool) or not isinstance(w, (int, float, np.number)) or not np.isfinite(w):
                raise invalid("loss_weights", "finite numbers", w, TypeError)
        self.loss_weights = [float(w) for w in weights]
        self.metric_specs = self._metric_specs(metrics, "metrics")
        self.weighted_specs = self._metric_specs(weighted_metrics, "weighted_metrics")
        self.metrics: list[list] | None = None  # resolved on the first batch

    @staticmethod
    def _resolve_loss(spec):
        if isinstance(spec, str) and spec.lower() in ("crossentropy", "ce"):
            return spec  # resolved from the targets' shapes on the first batch
        return losses_module.get(spec)

    def _metric_specs(self, metrics, argument) -> list[list]:
        if metrics is None:
            return [[] for _ in self.output_names]
        if isinstance(metrics, str) or not isinstance(metrics, (list, tuple, dict)):
            raise invalid(argument, "a list of metrics (or a list of lists, or a dict, per output)", metrics, TypeError)
        if isinstance(metrics, dict):
            specs = _per_output(metrics, self.output_names, argument, [])
        elif len(self.output_names) == 1:
            specs = [list(metrics)]
        else:
            specs = _per_output(metrics, self.output_names, argument)
        specs = [
            [] if s is None else ([s] if isinstance(s, str) or not isinstance(s, (list, tuple)) else list(s))
            for s in specs
        ]
        for entry in (m for s in specs for m in s):  # refuse a bad entry now, not at the first batch
            if isinstance(entry, str) and entry.lower() in ("accuracy", "acc"):
                continue
            metrics_module.get(entry)
        return specs

    def resolve(self, ys, outs) -> None:
        """Resolve shape-dependent names and create the metric objects, from one batch's targets and outputs."""
        for i, (loss, y, out) in enumerate(zip(self.losses, ys, outs)):
            if isinstance(loss, str):
                self.losses[i] = losses_module.get(loss, y.shape, out.shape)
        if self.metrics is not None:
            return
        self.metrics = []
        for specs, weighted_specs, y, out in zip(self.metric_specs, self.weighted_specs, ys, outs):
            shapes = (None, None) if y is None else (y.shape, out.shape)
            objects = [(metrics_module.get(m, *shapes), False) for m in specs]
            objects += [(metrics_module.get(m, *shapes), True) for m in weighted_specs]
            self.metrics.append(objects)

    def heads(self) -> tuple[int, ...]:
        """The outputs whose loss takes probabilities from a softmax and can start from the logits' gradient."""
        return tuple(
            i
            for i, loss in enumerate(self.losses)
            if loss is not None and not isinstance(loss, str) and getattr(loss, "fuses_with_softmax", False)
        )

    def measure(self, ys, outs, weights) -> tuple[float, list]:
        """The batch's total loss and each output's (weighted) loss; updates the metrics."""
        per_output = []
        total = 0.0
        for i, (loss, y, out) in enumerate(zip(self.losses, ys, outs)):
            if loss is None:
                per_output.append(None)
                continue
            value = float(loss(y, out, None if weights is None else weights[i]))
            per_output.append(value)
            total += self.loss_weights[i] * value
        for objects, y, out, i in zip(self.metrics, ys, outs, range(len(outs))):
            for metric, weighted in objects:
                metric.update_state(y, out, None if weights is None or not weighted else weights[i])
        return total, per_output

    def output_gradients(self, ys, outs, weights, fused: set) -> list:
        """The gradient of the total loss with respect to each output (to its logits where ``fused``)."""
        grads = []
        for i, (loss, y, out) in enumerate(zip(self.losses, ys, outs)):
            if loss is None:
                grads.append(None)
                continue
            w = None if weights is None else weights[i]
            g = loss.softmax_gradient(y, out, w) if i in fused else loss.gradient(y, out, w)
            if self.loss_weights[i] != 1.0:
                g = g * g.dtype.type(self.loss_weights[i])
            grads.append(g)
        return grads

    def named_metrics(self) -> list[tuple[str, object]]:
        """``(log key, metric)`` in Keras 3's order and names: every output's metrics, then every output's
        weighted metrics; ``accuracy``, or ``<output>_accuracy`` with several outputs. A key already taken
        gets ``_1``, ``_2``, … (a weighted metric first becomes ``weighted_<name>``), so no metric hides another."""
        prefix = len(self.output_names) > 1
        taken, out = {}, []
        for weighted_pass in (False, True):
            for output, objects in zip(self.output_names, self.metrics or []):
                for metric, weighted in objects:
                    if weighted != weighted_pass:
                        continue
                    key = f"{output}_{metric.name}" if prefix else metric.name
                    if key in taken and weighted:
                        key = f"{output}_weighted_{metric.name}" if prefix else f"weighted_{metric.name}"
                    if key in taken:
                        taken[key] += 1
                        key = f"{key}_{taken[key] - 1}"
                    taken.setdefault(key, 1)
                    out.append((key, metric))
        return out

    def metric_names(self) -> list[str]:
        """The log keys of the metrics, in order (see ``named_metrics``)."""
        return [key for key, _ in self.named_metrics()]

    def result_order(self) -> list[str]:
        """The log keys in the order Keras 3's ``evaluate``/``train_on_batch`` list them: the losses, then the
        metrics logged under their own names (a single output's, in compile order), then every other key
        sorted (``<output>_<metric>`` of several outputs, ``weighted_…``, ``…_1``)."""
        keys = self.metric_names()
        own = {metric.name for _, metric in self.named_metrics()}
        return self.loss_names() + [k for k in keys if k in own] + sorted(k for k in keys if k not in own)

    def loss_names(self) -> list[str]:
        """``loss``, then ``<output>_loss`` for each output with a loss when there are several outputs."""
        if len(self.output_names) == 1:
            return ["loss"]
        return ["loss"] + [f"{n}_loss" for n, loss in zip(self.output_names, self.losses) if loss is not None]

    def metric_results(self) -> dict:
        """Each metric's result: a float, or an array for a per-class result (``F1Score(average=None)``), as
        Keras logs it."""
        results = {}
        for key, metric in self.named_metrics():
            value = np.asarray(metric.result())
            results[key] = float(value) if value.ndim == 0 else np.array(value)
        return results

    def reset_metrics(self) -> None:
        for objects in self.metrics or []:
            for metric, _ in objects:
                metric.reset_state()

    def config(self) -> dict:
        """What ``compile`` was given, in a JSON-able form (for model files)."""

        def plain(spec):
            if spec is None or isinstance(spec, (str, int, float)):
                return spec
            if isinstance(spec, (list, tuple)):
                return [plain(s) for s in spec]
            if isinstance(spec, dict):
                return {k: plain(v) for k, v in spec.items()}
            if hasattr(spec, "get_config"):
                return {"class_name": type(spec).__name__, "config": spec.get_config()}
            return getattr(spec, "__name__", str(spec))

        return {
            "loss": plain(self.loss_specs if len(self.output_names) > 1 else self.loss_specs[0]),
            "loss_weights": self.loss_weights if len(self.output_names) > 1 else None,
            "metrics": plain(self.metric_specs if len(self.output_names) > 1 else self.metric_specs[0]),
            "weighted_metrics": plain(self.weighted_specs if len(self.output_names) > 1 else self.weighted_specs[0])
            or None,
        }
