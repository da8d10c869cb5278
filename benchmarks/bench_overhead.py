"""Fixed cost per training step and per layer: numcnn's train_on_batch vs a PyTorch eager step (and Keras').

Models whose arithmetic is next to nothing, so what is measured is each framework's cost of a call and of a
layer (``_zoo_models.STACKS``): "empty", a Dense(1) on 1 feature, and stacks of 1, 4 and 16 tiny layers — Dense(16,
relu) on 16 features, Conv2D(4, 3×3, 'same', relu) on 8×8×4 — each trained with Adam on a mean squared error at
batch sizes 1 to 256. Each framework runs in its own child process with ``--threads`` threads. A PyTorch step is
what a training loop does: forward, loss, ``zero_grad``, ``backward``, ``optimizer.step()``, ``loss.item()``;
numcnn and Keras call ``model.train_on_batch(x, y)`` (validation of the batch included: that is what a user
pays). ``predict_on_batch`` (PyTorch: a forward under ``no_grad``) is measured alongside. The per-layer increment is
the least-squares slope of the time over the stack depths.

    python benchmarks/bench_overhead.py
    python benchmarks/bench_overhead.py --frameworks numcnn,torch --batch-sizes 1,32 --calls 20
"""

from __future__ import annotations

import argparse
import sys

from _common import LABELS, add_framework_args, exit_code, fmt, installed, machine_info, markdown_table, run_frameworks
from _zoo_models import STACKS

TITLES = {"empty": "Dense(1) on 1 feature", "dense": "Dense(16, relu)", "conv": "Conv2D(4, 3×3, same, relu) 8×8×4"}


def int_list(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers, got {text!r}")
    return values


def kind_list(text: str) -> list[str]:
    kinds = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(kinds) - (set(STACKS) - {"empty"}))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown stack kind(s) {', '.join(unknown)}: choose from dense, conv")
    return kinds


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kinds", type=kind_list, default=["dense", "conv"], help="stacks: dense,conv")
    parser.add_argument("--depths", type=int_list, default=[1, 4, 16], help="layers per stack (default 1,4,16)")
    parser.add_argument("--batch-sizes", type=int_list, default=[1, 8, 32, 128, 256], help="default 1,8,32,128,256")
    parser.add_argument("--calls", type=int, default=50, help="calls per timed block (default 50)")
    parser.add_argument("--repeats", type=int, default=5, help="best of this many blocks (default 5)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed calls per model and batch size (default 5)")
    add_framework_args(parser)
    return parser.parse_args(argv)


def slope(depths: list[int], times: list[float]) -> float | None:
    """Least-squares increase of ``times`` per unit of ``depths`` (None for fewer than two depths)."""
    if len(set(depths)) < 2:
        return None
    mean_d, mean_t = sum(depths) / len(depths), sum(times) / len(times)
    cov = sum((d - mean_d) * (t - mean_t) for d, t in zip(depths, times))
    return cov / sum((d - mean_d) ** 2 for d in depths)


def tables(results: dict, args) -> dict[str, dict[tuple, dict[str, list]]]:
    """``{"train"|"predict": {(row label): {framework: [ms per batch size]}}}``, the increments included."""
    out = {}
    for what in ("train", "predict"):
        grid = {}
        for framework, r in results.items():
            if "error" in r:
                continue
            cell = {(row["kind"], row["depth"], row["batch"]): row[f"{what}_ms"] for row in r["rows"]}
            grid.setdefault(("empty", 1), {})[framework] = [cell[("empty", 1, b)] for b in args.batch_sizes]
            for kind in args.kinds:
                for depth in args.depths:
                    grid.setdefault((kind, depth), {})[framework] = [cell[(kind, depth, b)] for b in args.batch_sizes]
                grid.setdefault((kind, "per layer"), {})[framework] = [
                    slope(args.depths, [cell[(kind, d, b)] for d in args.depths]) for b in args.batch_sizes
                ]
        out[what] = grid
    return out


def label(key: tuple) -> str:
    kind, depth = key
    if kind == "empty":
        return TITLES["empty"]
    return f"{TITLES[kind]}: per layer" if depth == "per layer" else f"{TITLES[kind]} × {depth}"


def report(results: dict, args) -> str:
    batch_header = [f"batch {b}" for b in args.batch_sizes]
    grids = tables(results, args)
    lines = [f"### Fixed cost per call and per layer (ms; best of {args.repeats} blocks of {args.calls} calls)", ""]
    lines += [machine_info(args.threads), ""]
    names = {"train": "train_on_batch (PyTorch: one eager step)", "predict": "predict_on_batch (PyTorch: no_grad)"}
    for what, grid in grids.items():
        rows = [
            [label(key), LABELS[framework], *(fmt(v, ".3f") for v in values)]
            for key, runs in grid.items()
            for framework, values in runs.items()
        ]
        lines += [
            f"#### {names[what]}, ms per call",
            "",
            markdown_table(["model", "framework", *batch_header], rows),
            "",
        ]
    ratio_rows = []
    for what, grid in grids.items():
        for key, runs in grid.items():
            if key[1] in (1, "per layer") and "numcnn" in runs and "torch" in runs:
                ours, theirs = runs["numcnn"], runs["torch"]
                cells = [fmt(None if o is None or not t or t <= 0 else o / t, ".2f") for o, t in zip(ours, theirs)]
                ratio_rows.append([f"{what}: {label(key)}", *cells])
    if ratio_rows:
        lines += ["#### numcnn ÷ PyTorch (< 1: numcnn's cost is lower)", ""]
        lines += [markdown_table(["", *batch_header], ratio_rows), ""]
    lines += [
        "- 'per layer': least-squares slope of the time over the depths " + ", ".join(map(str, args.depths)) + ";",
        "  the stack's time at depth d ≈ the call's fixed cost + d × that increment.",
        f"- Each figure: the best of {args.repeats} blocks of {args.calls} calls, after {args.warmup} untimed calls.",
    ]
    for framework, r in results.items():
        if "error" in r:
            lines.append(f"- {LABELS[framework]}: failed: {r['error'].splitlines()[-1]}")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    frameworks = installed(args.frameworks)
    if not frameworks:
        print("no framework to run", file=sys.stderr)
        return 1
    stacks = [("empty", 1), *((kind, depth) for kind in args.kinds for depth in args.depths)]
    task = {
        "mode": "overhead",
        "stacks": stacks,
        "batch_sizes": args.batch_sizes,
        "calls": args.calls,
        "repeats": args.repeats,
        "warmup": args.warmup,
        "seed": args.seed,
    }
    results = run_frameworks(frameworks, task, args.threads, what=" overhead", baseline=args.baseline)
    print(report(results, args))
    return exit_code(results)


if __name__ == "__main__":
    sys.exit(main())
