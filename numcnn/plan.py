"""The execution plan of a model: its layer graph and losses turned into steps, and the one place fusions live.

A plan is built from a model's graph (``inputs`` and ``outputs`` KerasTensors, see :mod:`numcnn.graph`): nested
models are inlined, every layer call becomes a step over numbered value slots, in an order that runs each step
after the steps it reads from. Then, in one pass over the steps:

- a Conv2D whose output feeds only a MaxPooling2D becomes one fused step: the convolution pools each chunk
  of images while it is in cache (``backend.nn.conv2d_pool_forward``), and takes the pool's gradient
  unscattered (``conv2d_pool_backward``);
- a model output made by a layer whose activation is softmax, with a crossentropy loss on probabilities,
  becomes a softmax-crossentropy head: backward starts from the stable gradient with respect to the logits,
  ``(p − y)/N``, and skips softmax's Jacobian;
- a step that nothing before needs a gradient from computes its weight gradients only; a step with neither
  trainable weights nor anything trainable before it is left out of the backward pass.

A layer with an ``activity_regularizer`` runs as its own step (never fused): forward, the step keeps Keras 3's
penalty of its output, ``regularizer(y) / N`` for a batch of N (:meth:`Plan.activity_loss` sums them for the
batch's loss); backward, it adds the penalty's gradient to the output's gradient before the layer's backward.

Layers never learn any of this: each step calls a layer's own ``forward``/``backward``/``backward_weights`` (or,
fused, the backend op with the layers' weights), so every fused step has an unfused twin (``fuse=False``) that
tests hold it to. A layer called by several steps (shared) runs all but its first call on shallow copies with
their own caches and gradients, and the plan adds their weight gradients into the layer's ``grads``.
"""

from __future__ import annotations

import copy

import numpy as np

from numcnn import backend, graph

_settings = {"fuse": True}


def set_fusions(enabled: bool) -> None:
    """Turn the plan's fusions on (the default) or off for every model: with them off, each layer runs as its
    own step, the unfused twin of the same computation (for debugging and for tests that compare the two)."""
    from numcnn._checks import flag

    _settings["fuse"] = flag("enabled", enabled)
    graph.changed()


def fusions() -> bool:
    """Whether plans fuse steps (see ``set_fusions``)."""
    return _settings["fuse"]


class Step:
    """One unit of execution: reads value slots ``inputs``, writes ``outputs``; ``layers`` are the layers whose
    weights it uses. ``needs_dx[i]``: whether input i's producer needs its gradient; ``runs_backward``: whether
    the step takes part in the backward pass at all (set by the plan)."""

    kind = ""

    def __init__(self, inputs, outputs, pairs):
        self.inputs, self.outputs = tuple(inputs), tuple(outputs)
        self.pairs = tuple(pairs)  # (layer, runner): the layer, and the object (it or a call copy) that runs it
        self.layers = tuple(layer for layer, _ in self.pairs)
        self.needs_dx = (True,) * len(self.inputs)
        self.runs_backward = True

    def trainable_weights(self) -> bool:
        return any(layer.trainable and layer.params for layer in self.layers)

    def describe(self) -> str:
        names = " + ".join(layer.name for layer in self.layers)
        kinds = " + ".join(type(layer).__name__ for layer in self.layers)
        notes = [self.kind] if self.kind else []
        if not self.runs_backward:
            notes.append("no backward pass")
        elif not any(self.needs_dx):
            notes.append("weight gradients only")
        return f"{names} ({kinds})" + (f": {'; '.join(notes)}" if notes else "")


class LayerStep(Step):
    """A layer's own forward and backward. ``layer`` may be a call copy of ``original`` (a shared layer)."""

    def __init__(self, layer, original, inputs, outputs, as_list, training):
        super().__init__(inputs, outputs, [(original, layer)])
        self.layer, self.as_list, self.training = layer, as_list, training
        # A layer computes in its own float type, as Keras casts a layer's inputs (an op upstream may have
        # promoted them, say by a float64 constant); ops keep their inputs' types.
        self.dtype = None if getattr(layer, "is_operation", False) else getattr(layer, "dtype", None)

    def _input(self, value):
        if self.dtype is not None and value.dtype != self.dtype and value.dtype.kind == "f":
            return value.astype(self.dtype)
        return value

    def forward(self, values, training):
        inputs = [self._input(values[i]) for i in self.inputs]
        x = inputs if self.as_list else inputs[0]
        mode = training if self.training is None else self.training
        y = self.layer.forward(x, training=mode)
        if len(self.outputs) == 1:
            values[self.outputs[0]] = y
        else:
            for slot, value in zip(self.outputs, y):
                values[slot] = value
        if self.layer.activity_regularizer is not None:
            self._activity_outputs = [values[s] for s in self.outputs]
            regularizer = self.layer.activity_regularizer
            self.activity_loss = sum(_activity_penalty(regularizer, y) for y in self._activity_outputs)

    def output_gradient(self, grads):
        if self.layer.activity_regularizer is not None:
            for slot, y in zip(self.outputs, self._activity_outputs):
                grads[slot] = grads[slot] + _activity_gradient(self.layer.activity_regularizer, y)
        return grads[self.outputs[0]] if len(self.outputs) == 1 else [grads[s] for s in self.outputs]

    def backward(self, grads):
        dy = self.output_gradient(grads)
        if not any(self.needs_dx):
            self.layer.backward_weights(dy)
            return
        dx = self.layer.backward(dy)
        add_gradients(grads, self.inputs, dx if self.as_list else [dx], self.needs_dx)


def _batch_size(y: np.ndarray) -> int:
    return y.shape[0] if y.ndim else 1  # Keras divides by the batch size, a scalar's loss by nothing


def _activity_penalty(regularizer, y: np.ndarray) -> float:
    """Keras 3's activity loss of one output: the regularizer's value over the batch size (0 for no samples)."""
    n = _batch_size(y)
    return float(regularizer(y)) / n if n else 0.0


def _activity_gradient(regularizer, y: np.ndarray) -> np.ndarray:
    return (regularizer.gradient(y) / max(_batch_size(y), 1)).astype(y.dtype, copy=False)


class SoftmaxHeadStep(LayerStep):
    """A model output whose softmax feeds a crossentropy: the gradient arriving in backward is with respect to
    the logits (the loss's stable ``softmax_gradient``), so it goes to the layer's linear part directly."""

    kind = "softmax + crossentropy head: backward starts from the logits' gradient (p - y)/N"

    def backward(self, grads):
        need = any(self.needs_dx)
        dx = self.layer.backward_linear(grads[self.outputs[0]], need_dx=need)
        if need:
            add_gradients(grads, self.inputs, [dx], self.needs_dx)


class ConvPoolStep(Step):
    """A Conv2D (ReLU or linear, channels_last) and the MaxPooling2D that alone reads its output, run as one
    op: the convolution's full output (37.7 MB for the notebook's conv2 at batch 256) is never written."""

    kind = "convolution + max-pool fused: each chunk is pooled in cache, the full output never stored"

    def __init__(self, conv, pool, pairs, inputs, outputs):
        super().__init__(inputs, outputs, pairs)
        self.conv, self.pool = conv, pool
        self.relu = conv.activation.name == "relu"
        self._cache = None

    def forward(self, values, training):
        x = values[self.inputs[0]]
        conv, pool = self.conv, self.pool
        y, argmax = backend.nn.conv2d_pool_forward(
            x, conv.params["kernel"], conv.params.get("bias"), conv.strides, conv.pads, self.relu,
            pool.pool_size, pool.strides, pool.pads,
        )  # fmt: skip
        self._cache = (x, y, argmax)
        values[self.outputs[0]] = y

    def backward(self, grads):
        x, y, argmax = self._cache
        conv = self.conv
        dx, dkernel, dbias = backend.nn.conv2d_pool_backward(
            grads[self.outputs[0]], argmax, y, x, conv.params["kernel"], conv.strides, conv.pads, self.relu,
            self.needs_dx[0],
        )  # fmt: skip
        conv.grads["kernel"] = dkernel
        if conv.use_bias:
            conv.grads["bias"] = dbias
        self._cache = None  # backward ran: the input and the pool's argmax are no longer needed
        if self.needs_dx[0]:
            add_gradients(grads, self.inputs, [dx], self.needs_dx)


def add_gradients(grads, slots, dxs, needed) -> None:
    """Add each needed ``dxs[i]`` into ``grads[slots[i]]``: a tensor read by several steps gets the sum."""
    for slot, dx, need in zip(slots, dxs, needed):
        if need and dx is not None:
            grads[slot] = dx if grads[slot] is None else grads[slot] + dx


def _is_model(layer) -> bool:
    return hasattr(layer, "graph_for")


class Plan:
    """Steps for running ``outputs`` from ``inputs`` (KerasTensors of a model's graph).

    ``heads``: indices of the outputs whose loss takes the fused softmax-crossentropy gradient (only where the
    output's layer ends in softmax; ``head_outputs`` says which were fused). ``fuse=False`` keeps every layer its
    own step: the unfused twin of the same plan. ``training``: the model's mode, or None to follow each call's
    fixed ``training=`` (see :meth:`numcnn.models.Model.plan`).
    """

    def __init__(self, inputs, outputs, training: bool | None, heads=(), fuse: bool = True):
        self.version = graph.version()
        self.n_slots = 0
        slot_of = {}
        for t in inputs:
            slot_of[id(t)] = self._new_slot()
        self.input_slots = [slot_of[id(t)] for t in inputs]
        calls = list(self._calls(inputs, outputs, slot_of, training))
        self.output_slots = [slot_of[id(t)] for t in outputs]
        self.steps = self._steps(calls)
        fuse = fuse and fusions()
        if fuse:
            self._fuse_conv_pool()
        self.head_outputs = self._fuse_heads(set(heads)) if fuse else set()
        self._plan_backward()
        self._last_reads = self._last_reads_of_slots()

    # -- building ------------------------------------------------------------------------------------
    def _new_slot(self) -> int:
        self.n_slots += 1
        return self.n_slots - 1

    def _calls(self, inputs, outputs, slot_of, training):
        """``(layer, input slots, output slots, as_list, training)`` per layer call, nested models inlined."""
        nodes, _ = graph.map_graph(inputs, outputs)
        for node in nodes:
            ins = [slot_of[id(t)] for t in node.inputs]
            # Keras 3's rule: the model's mode (fit, evaluate, predict, or an explicit `training=`) overrides
            # a call's fixed `training=`; a fixed value counts only under a plain `model(x)`.
            mode = node.training if training is None else training
            if _is_model(node.layer):
                inner_in, inner_out = node.layer.graph_for(bool(mode))
                inner = {id(t): s for t, s in zip(inner_in, ins)}
                yield from self._calls(inner_in, inner_out, inner, mode)
                for outer, t in zip(node.outputs, inner_out):
                    slot_of[id(outer)] = inner[id(t)]
                continue
            outs = [self._new_slot() for _ in node.outputs]
            for t, s in zip(node.outputs, outs):
                slot_of[id(t)] = s
            yield node.layer, ins, outs, node.as_list, mode

    def _steps(self, calls) -> list[Step]:
        steps, seen = [], set()
        self._shared = set()
        for layer, ins, outs, as_list, training in calls:
            runner = layer
            if id(layer) in seen:  # a shared layer: this call gets its own caches and gradients
                runner = copy.copy(layer)
                runner.grads = dict(layer.grads)
                self._shared.add(id(layer))
            seen.add(id(layer))
            steps.append(LayerStep(runner, layer, ins, outs, as_list, training))
        return steps

    def _readers(self) -> dict[int, list[Step]]:
        readers: dict[int, list[Step]] = {}
        for step in self.steps:
            for slot in step.inputs:
                readers.setdefault(slot, []).append(step)
        return readers

    def _fuse_conv_pool(self) -> None:
        from numcnn.layers.conv import Conv2D
        from numcnn.layers.pooling import MaxPooling2D

        readers = self._readers()
        fused, replaced = {}, set()
        for step in self.steps:
            conv = getattr(step, "layer", None)
            if (
                not isinstance(conv, Conv2D)
                or conv.data_format != "channels_last"
                or step.outputs[0] in self.output_slots
            ):
                continue
            if conv.activation.name not in ("relu", "linear") or conv.activity_regularizer is not None:
                continue
            users = readers.get(step.outputs[0], [])
            pool_step = users[0] if len(users) == 1 else None
            pool = getattr(pool_step, "layer", None)
            if not isinstance(pool, MaxPooling2D) or pool.data_format != "channels_last":
                continue
            if pool.activity_regularizer is not None or id(pool_step) in replaced:
                continue
            fused[id(step)] = ConvPoolStep(conv, pool, [*step.pairs, *pool_step.pairs], step.inputs, pool_step.outputs)
            replaced.add(id(pool_step))
        self.steps = [fused.get(id(s), s) for s in self.steps if id(s) not in replaced]

    def _fuse_heads(self, heads: set) -> set:
        from numcnn.layers.activated import ActivatedLayer

        readers = self._readers()
        done = set()
        for index in heads:
            slot = self.output_slots[index]
            for i, step in enumerate(self.steps):
                layer = getattr(step, "layer", None)
                if (
                    type(step) is LayerStep
                    and step.outputs == (slot,)
                    and isinstance(layer, ActivatedLayer)
                    and layer.activation.name == "softmax"
                    and layer.activity_regularizer is None
                    and not readers.get(slot)
                    and self.output_slots.count(slot) == 1
                ):
                    head = SoftmaxHeadStep(step.layer, step.layers[0], step.inputs, step.outputs, False, step.training)
                    self.steps[i] = head
                    done.add(index)
        return done

    def _plan_backward(self) -> None:
        """Which steps run backward, and which of their inputs need a gradient: a slot needs one when some
        step before it has trainable weights."""
        requires = [False] * self.n_slots
        for step in self.steps:
            upstream = [requires[s] for s in step.inputs]
            step.needs_dx = tuple(upstream)
            step.runs_backward = any(upstream) or step.trainable_weights()
            for s in step.outputs:
                requires[s] = step.runs_backward

    def _last_reads_of_slots(self) -> list[int]:
        last = [-1] * self.n_slots
        for i, step in enumerate(self.steps):
            for s in step.inputs:
                last[s] = i
        for s in self.output_slots:
            last[s] = len(self.steps)
        return last

    # -- running -------------------------------------------------------------------------------------
    def forward(self, arrays: list, training: bool, keep: bool = True) -> list:
        """Run every step on ``arrays`` (one per model input); return the outputs. ``keep=False`` (inference)
        drops each intermediate value after its last reader, so memory holds only what is still needed."""
        values = [None] * self.n_slots
        for slot, array in zip(self.input_slots, arrays):
            values[slot] = array
        for i, step in enumerate(self.steps):
            step.forward(values, training)
            if not keep:
                for s in step.inputs:
                    if self._last_reads[s] == i:
                        values[s] = None
        return [values[s] for s in self.output_slots]

    def backward(self, output_grads: list) -> None:
        """Backward from the outputs' gradients (None where an output has no loss); fills the layers' grads.

        For an output in ``head_outputs`` the gradient is with respect to its layer's logits."""
        grads = [None] * self.n_slots
        for slot, g in zip(self.output_slots, output_grads):
            if g is not None:
                grads[slot] = g if grads[slot] is None else grads[slot] + g
        ran = []
        for step in reversed(self.steps):
            if step.runs_backward and any(grads[s] is not None for s in step.outputs):
                for s in step.outputs:
                    if grads[s] is None:  # an output of a multi-output layer that nothing used
                        grads[s] = np.zeros(0)
                step.backward(grads)
                ran.append(step)
                for s in step.outputs:  # consumed: its producer was the last to need it
                    grads[s] = None
        self._collect_shared_gradients(ran)
        self.trained = {id(layer) for step in ran for layer in step.layers}

    def _collect_shared_gradients(self, ran) -> None:
        """A shared layer's gradient is the sum over its calls that ran: each call's runner (the layer or a
        copy) holds its own share."""
        totals: dict[int, tuple] = {}
        for step in ran:
            for original, runner in step.pairs:
                if id(original) not in self._shared:
                    continue
                layer, sums = totals.setdefault(id(original), (original, {}))
                for key, g in runner.grads.items():
                    sums[key] = g if key not in sums else sums[key] + g
        for layer, sums in totals.values():
            layer.grads.update(sums)

    def activity_loss(self) -> float:
        """The activity penalties of the last forward pass, summed over the layers that have a regularizer."""
        return float(sum(getattr(step, "activity_loss", 0.0) for step in self.steps))

    def describe(self) -> list[str]:
        """One line per step, in execution order: what runs, and what is fused."""
        return [f"{i + 1:>3}. {step.describe()}" for i, step in enumerate(self.steps)]
