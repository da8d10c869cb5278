"""Test helpers for numcnn.ops on KerasTensors: trace a function of symbolic tensors standing for arrays, run the
recorded op layers forward and backward exactly as a model's plan calls them (``layer.forward(x)``,
``layer.backward(dy)``, several inputs as a list, an output nothing used getting a zero gradient), and compare
the gradients with central differences in float64."""

from __future__ import annotations

import numpy as np

from numcnn import graph
from numcnn.gradcheck import numerical_gradient, relative_error


def symbolic(*arrays) -> list:
    """KerasTensors of the arrays' full shapes and dtypes, with no producer: the inputs of a traced graph."""
    return [graph.KerasTensor(np.shape(a), np.asarray(a).dtype.name) for a in arrays]


def nodes_between(inputs, outputs) -> list:
    """The nodes that lead from ``inputs`` to ``outputs``, in the order they were recorded (a valid order)."""
    stop, found, stack = {id(t) for t in inputs}, {}, list(outputs)
    while stack:
        tensor = stack.pop()
        if id(tensor) not in stop:
            found[id(tensor.node)] = tensor.node
            stack += tensor.node.inputs
    return sorted(found.values(), key=lambda n: n.serial)


def _multi(node) -> bool:
    return isinstance(node.layer.output_shape, list)


def run(inputs, outputs, arrays) -> dict:
    """Forward through the recorded layers; the value of every tensor by id."""
    values = {id(t): a for t, a in zip(inputs, arrays)}
    for node in nodes_between(inputs, outputs):
        xs = [values[id(t)] for t in node.inputs]
        y = node.layer.forward(xs if node.as_list else xs[0])
        for t, v in zip(node.outputs, y if _multi(node) else [y]):
            values[id(t)] = v
    return values


def backward(inputs, outputs, arrays, output_grads) -> list:
    """The gradient of ``Σ output · output_grad`` for each input (None where none arrives)."""
    values = run(inputs, outputs, arrays)
    grads = {id(t): g for t, g in zip(outputs, output_grads)}
    for node in reversed(nodes_between(inputs, outputs)):
        dys = [grads.get(id(t)) for t in node.outputs]
        if all(d is None for d in dys):
            continue
        dys = [np.zeros(0) if d is None else d for d in dys]  # the plan's placeholder for an unused output
        dx = node.layer.backward(dys if _multi(node) else dys[0])
        for t, d in zip(node.inputs, dx if node.as_list else [dx]):
            if d is not None:
                assert d.shape == values[id(t)].shape, (node.layer.name, d.shape, values[id(t)].shape)
                grads[id(t)] = d if id(t) not in grads else grads[id(t)] + d
    return [grads.get(id(t)) for t in inputs]


def gradient_errors(fn, *arrays, seed=7, **kwargs) -> list[float]:
    """Trace ``fn(*tensors, **kwargs)``, then the relative error of the traced gradient for each input against
    central differences of the traced forward, in float64 (a missing gradient counts as zeros)."""
    # C order: numerical_gradient perturbs x through x.reshape(-1), which copies a non-contiguous array
    arrays = [np.array(a, dtype=np.float64, order="C") for a in arrays]
    tensors = symbolic(*arrays)
    out = fn(*tensors, **kwargs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    values = run(tensors, outs, arrays)
    probes = [np.random.default_rng(seed).standard_normal(values[id(t)].shape) for t in outs]

    def loss():
        values = run(tensors, outs, arrays)
        return float(sum(np.sum(values[id(t)] * p) for t, p in zip(outs, probes)))

    analytic = backward(tensors, outs, arrays, probes)
    errors = []
    for array, grad in zip(arrays, analytic):
        numeric = numerical_gradient(loss, array)
        errors.append(relative_error(np.zeros_like(array) if grad is None else grad, numeric))
    return errors


def traced_outputs(fn, *arrays, **kwargs) -> list:
    """``fn`` traced on symbolic stand-ins and run on ``arrays``: its outputs, with the output KerasTensors."""
    tensors = symbolic(*arrays)
    out = fn(*tensors, **kwargs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    values = run(tensors, outs, [np.asarray(a) for a in arrays])
    return [(t, values[id(t)]) for t in outs]
