"""Time the NumPy reference ops (numcnn.backend.numpy) against the numba kernels (numcnn.backend.numba).

Shapes are those of the MNIST notebook at batch 256: conv1 (28×28×1 → 32 filters), conv2 (26×26×32 → 64
filters, 'valid'), max pooling 2×2 of conv2's output, ReLU of conv2's output. The first call of each numba
kernel (JIT compile, or load from numba's cache) is timed separately and left out of the table, which shows the
best of ``--repeats`` calls.

    python benchmarks/bench_kernels.py [--batch 256] [--repeats 5] [--skip-functional]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from numcnn.backend import numba as _kernels
from numcnn.backend import numpy as functional


def best_time(fn, repeats: int) -> float:
    """Best wall time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def cases(batch: int, rng: np.random.Generator):
    """(name, callable taking the ops module) pairs, with inputs built once."""
    f32 = np.float32
    valid = (0, 0, 0, 0)
    one = (1, 1)
    x1 = rng.standard_normal((batch, 28, 28, 1)).astype(f32)
    k1 = rng.standard_normal((3, 3, 1, 32)).astype(f32)
    b1 = rng.standard_normal(32).astype(f32)
    dy1 = rng.standard_normal((batch, 26, 26, 32)).astype(f32)
    x2 = rng.standard_normal((batch, 26, 26, 32)).astype(f32)
    k2 = rng.standard_normal((3, 3, 32, 64)).astype(f32)
    b2 = rng.standard_normal(64).astype(f32)
    dy2 = rng.standard_normal((batch, 24, 24, 64)).astype(f32)
    cols2 = functional.im2col(x2, (3, 3), one, valid)
    xp = dy2  # conv2's output shape, fed to pooling and ReLU
    yp, argmax = functional.maxpool2d_forward(xp, (2, 2), (2, 2), valid)
    dyp = rng.standard_normal(yp.shape).astype(f32)
    return [
        ("conv1 im2col", lambda ops: ops.im2col(x1, (3, 3), one, valid)),
        ("conv1 forward", lambda ops: ops.conv2d_forward(x1, k1, b1, one, valid)),
        ("conv1 backward (no dx)", lambda ops: ops.conv2d_backward(dy1, x1, k1, one, valid, need_dx=False)),
        ("conv2 im2col", lambda ops: ops.im2col(x2, (3, 3), one, valid)),
        ("conv2 col2im", lambda ops: ops.col2im(cols2, x2.shape, (3, 3), one, valid)),
        ("conv2 forward", lambda ops: ops.conv2d_forward(x2, k2, b2, one, valid)),
        ("conv2 backward", lambda ops: ops.conv2d_backward(dy2, x2, k2, one, valid)),
        ("maxpool 2x2 forward", lambda ops: ops.maxpool2d_forward(xp, (2, 2), (2, 2), valid)),
        ("maxpool 2x2 backward", lambda ops: ops.maxpool2d_backward(dyp, argmax, xp.shape)),
        ("relu forward", lambda ops: ops.relu_forward(xp)),
        ("relu backward", lambda ops: ops.relu_backward(dy2, xp)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5, help="best of this many calls")
    parser.add_argument("--skip-functional", action="store_true", help="time only the numba kernels")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    table = cases(args.batch, rng)

    print(f"batch {args.batch}, float32, best of {args.repeats}; times in ms")
    warmup = time.perf_counter()
    for _, run in table:
        run(_kernels)
    print(f"numba warm-up (compile or cache load, all kernels): {1e3 * (time.perf_counter() - warmup):.0f} ms\n")

    print(f"{'op':<24}{'functional':>12}{'_kernels':>12}{'speedup':>10}")
    for name, run in table:
        fast = best_time(lambda run=run: run(_kernels), args.repeats)
        if args.skip_functional:
            print(f"{name:<24}{'-':>12}{1e3 * fast:>12.1f}{'-':>10}")
            continue
        slow = best_time(lambda run=run: run(functional), args.repeats)
        print(f"{name:<24}{1e3 * slow:>12.1f}{1e3 * fast:>12.1f}{slow / fast:>9.1f}x")


if __name__ == "__main__":
    main()
