"""Where numcnn's training step goes: forward and backward time of each step of the MNIST notebook CNN's plan.

One batch of real MNIST images (default 256) through the notebook's model, in this process: each step of the
model's execution plan (a layer, or a fused pair such as conv2 + max-pool; the last Dense is the
softmax-crossentropy head, whose backward starts from ``dz = (p - y) / N``) forward and backward on the values
and gradients of a real step, best of ``--repeats`` after a warm-up (numba's JIT compile or cache load, timed
separately); then Adam's
``optimizer.apply(params, grads)``, the sum, a measured ``train_on_batch`` and ``predict`` throughput on the
10 000 test images. Thread counts follow the environment (``NUMBA_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``).

    python benchmarks/bench_layers.py [--batch 256] [--repeats 5] [--predict-batch 256]
"""

from __future__ import annotations

import argparse
import time

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


def _copies(values):
    return [None if v is None else v.copy() for v in values]


def real_step(model, x, y):
    """The plan of a training step, and each step's input values and output gradients in a real step."""
    plan = model.plan(True, model._compiled.heads())
    values = [None] * plan.n_slots
    values[plan.input_slots[0]] = x
    inputs = []
    for step in plan.steps:
        inputs.append(_copies(values))
        step.forward(values, True)
    probs = values[plan.output_slots[0]]
    grads = [None] * plan.n_slots
    grads[plan.output_slots[0]] = (probs - y) / x.shape[0]  # the head's gradient with respect to the logits
    dys = [None] * len(plan.steps)
    for i in range(len(plan.steps) - 1, -1, -1):
        dys[i] = _copies(grads)
        plan.steps[i].backward(grads)
    return plan, inputs, dys


def time_steps(plan, inputs, dys, repeats: int) -> list[tuple[float, float]]:
    """(forward, backward) best seconds per step; each backward follows its own fresh forward."""
    times = []
    for step, values, grads in zip(plan.steps, inputs, dys):
        fwd = bwd = float("inf")
        for _ in range(repeats):
            vals, grs = list(values), list(grads)
            start = time.perf_counter()
            step.forward(vals, True)
            middle = time.perf_counter()
            step.backward(grs)
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

    plan, inputs, dys = real_step(model, x, y)
    times = time_steps(plan, inputs, dys, args.repeats)
    params, grads = model.trainable_params()  # after backward: layers may replace their grad arrays
    adam = best_time(lambda: model.optimizer.apply(params, grads), args.repeats)
    step = best_time(lambda: model.train_on_batch(x, y), args.repeats)
    predict = best_time(lambda: model.predict(x_pred, batch_size=args.predict_batch), args.predict_repeats)
    rate = max(sgemm_rates(3).values())

    total = sum(f + b for f, b in times) + adam
    macs_of = {layer.name: macs for (_, macs, _), layer in zip(LAYER_MACS, model.layers)}
    rows = []
    for plan_step, (fwd, bwd) in zip(plan.steps, times):
        first = plan_step is plan.steps[0]
        flop = 2.0 * sum(macs_of[layer.name] for layer in plan_step.layers) * args.batch
        rows.append(
            [
                plan_step.describe().split(":")[0],
                "×".join(str(d) for d in plan_step.layers[-1].output_shape[1:]),
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
    header = ["step", "output", "forward ms", "backward ms", "total ms", "% of sum", "fwd GFLOP/s", "bwd GFLOP/s"]
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
