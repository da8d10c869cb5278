"""Where numcnn's training step goes: forward and backward time of each layer of the MNIST notebook's CNN.

One batch of real MNIST images (default 256) through the notebook's model, in this process: each layer's
``forward(x, training=True)`` and ``backward(dy)`` (the last Dense: ``backward_linear(dz)`` with the fused
softmax-crossentropy gradient ``dz = (p - y) / N``) on the inputs and gradients of a real step, best of
``--repeats`` after a warm-up (numba's JIT compile or cache load, timed separately); then Adam's
``optimizer.apply(params, grads)``, the sum, a measured ``train_on_batch`` and ``predict`` throughput on the
10 000 test images. Thread counts follow the environment (``NUMBA_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``).

    python benchmarks/bench_layers.py [--batch 256] [--repeats 5] [--predict-batch 256]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import (
    LAYER_MACS,
    TRAIN_FLOP,
    best_time,
    fmt,
    images,
    machine_info,
    markdown_table,
    one_hot,
    sgemm_rates,
)
from _frameworks import NumcnnBench


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=256, help="batch size (default 256)")
    parser.add_argument("--repeats", type=int, default=5, help="best of this many calls (default 5)")
    parser.add_argument("--predict-samples", type=int, default=10000, help="test images to predict (default all)")
    parser.add_argument("--predict-batch", type=int, default=256, help="predict's batch_size (default 256)")
    parser.add_argument("--predict-repeats", type=int, default=2, help="best of this many predict runs")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def _copy(value):
    """A copy of what passes between two layers: an array, or the tuple of arrays a fused convolution and
    max-pool hand each other (``PooledOutput`` forward, ``PooledGradient`` backward)."""
    if isinstance(value, tuple):
        return type(value)(*(v.copy() if isinstance(v, np.ndarray) else v for v in value))
    return value.copy()


def real_step(model, x, y):
    """Each layer's input and output gradient in one real training step (copies: layers may reuse buffers)."""
    layers = model.layers
    inputs, h = [], x
    for layer in layers:
        inputs.append(_copy(h))
        h = layer.forward(h, training=True)
    dys = [None] * len(layers)
    dys[-1] = (h - y) / x.shape[0]  # the fused softmax-crossentropy gradient, w.r.t. the last layer's logits
    grad = layers[-1].backward_linear(dys[-1])
    for i in range(len(layers) - 2, -1, -1):
        dys[i] = _copy(grad)
        grad = layers[i].backward(dys[i])
    return inputs, dys


def time_layers(model, inputs, dys, repeats: int) -> list[tuple[float, float]]:
    """(forward, backward) best seconds per layer; each backward follows its own fresh forward."""
    layers, times = model.layers, []
    for i, layer in enumerate(layers):
        backward = layer.backward_linear if i == len(layers) - 1 else layer.backward
        fwd = bwd = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            layer.forward(inputs[i], training=True)
            middle = time.perf_counter()
            backward(dys[i])
            end = time.perf_counter()
            fwd, bwd = min(fwd, middle - start), min(bwd, end - middle)
        times.append((fwd, bwd))
    return times


def gflops(flop: float, seconds: float) -> str:
    return fmt(flop / seconds / 1e9 if flop else None, ".0f")


def main(argv=None) -> int:
    args = parse_args(argv)
    from numcnn.datasets import mnist

    (x_train, y_train), (x_test, _) = mnist.load_data()
    x, y = images(x_train[: args.batch]), one_hot(y_train[: args.batch])
    x_pred = images(x_test[: args.predict_samples])

    bench = NumcnnBench(threads=None, seed=args.seed)
    model = bench.build()
    if len(model.layers) != len(LAYER_MACS):
        raise SystemExit(f"expected the notebook's {len(LAYER_MACS)} layers, got {len(model.layers)}")
    start = time.perf_counter()
    model.train_on_batch(x, y)
    model.predict(x[:32], batch_size=32)
    warmup = time.perf_counter() - start

    inputs, dys = real_step(model, x, y)
    times = time_layers(model, inputs, dys, args.repeats)
    params, grads = model.trainable_params()  # after backward: layers may replace their grad arrays
    adam = best_time(lambda: model.optimizer.apply(params, grads), args.repeats)
    step = best_time(lambda: model.train_on_batch(x, y), args.repeats)
    predict = best_time(lambda: model.predict(x_pred, batch_size=args.predict_batch), args.predict_repeats)
    rate = max(sgemm_rates(3).values())

    total = sum(f + b for f, b in times) + adam
    rows = []
    for (_, macs, _), layer, (fwd, bwd) in zip(LAYER_MACS, model.layers, times):
        first = layer is model.layers[0]
        flop = 2.0 * macs * args.batch
        rows.append(
            [
                f"{layer.name} ({type(layer).__name__})",
                "×".join(str(d) for d in layer.output_shape[1:]),
                fmt(1e3 * fwd),
                fmt(1e3 * bwd),
                fmt(1e3 * (fwd + bwd)),
                fmt(100 * (fwd + bwd) / total, ".1f"),
                gflops(flop, fwd),
                gflops(flop * (1 if first else 2), bwd),  # dW, and dX except for the first layer
            ]
        )
    rows.append(["Adam apply", "", "", "", fmt(1e3 * adam), fmt(100 * adam / total, ".1f"), "", ""])
    rows.append(["**sum**", "", "", "", f"**{1e3 * total:.2f}**", "100.0", "", ""])
    header = ["layer", "output", "forward ms", "backward ms", "total ms", "% of sum", "fwd GFLOP/s", "bwd GFLOP/s"]
    floor = TRAIN_FLOP * args.batch / (rate * 1e9)
    print(f"### numcnn: one training step of the MNIST notebook CNN, batch {args.batch}, best of {args.repeats}\n")
    print(machine_info() + "\n")
    print(markdown_table(header, rows) + "\n")
    print(f"- warm-up (first train_on_batch + predict: numba compile or cache load): {warmup:.2f} s")
    print(
        f"- train_on_batch measured: {1e3 * step:.1f} ms (sum of the parts above: {1e3 * total:.1f} ms; "
        "the rest is input checks, loss, metrics and Python overhead)"
    )
    print(
        f"- FLOP floor of a step: {TRAIN_FLOP * args.batch / 1e9:.1f} GFLOP at numpy's best SGEMM rate "
        f"{rate:.0f} GFLOP/s = {1e3 * floor:.1f} ms → train_on_batch is at {100 * floor / step:.0f}% of the floor"
    )
    print(
        f"- predict on {x_pred.shape[0]} test images, batch_size {args.predict_batch}: {predict:.2f} s = "
        f"{x_pred.shape[0] / predict:,.0f} images/s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
