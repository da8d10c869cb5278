"""Training and predict throughput on the models Keras scripts build: numcnn vs PyTorch (CPU) vs Keras/TF (CPU).

The zoo (``_zoo_models.ZOO``): the keras.io convnet, Keras 2's mnist_cnn and mnist_mlp, LeNet-5, a CIFAR-sized
VGG-style net with BatchNormalization, a strided all-conv net, Géron's Fashion-MNIST CNN, the Keras guide's toy
ResNet and a two-branch Concatenate model. Each model runs in a fresh child process per framework, one after the
other, with ``--threads`` threads: random data of the model's shapes, Adam, categorical crossentropy (sparse for
Géron's, as his script has it) with accuracy, the model's batch size in every framework; a warm-up of two batches,
then a timed ``fit`` of ``--steps`` batches and a timed ``predict`` of as many. Prints Markdown tables: numcnn's
throughput over the fastest peer's, samples/s and ms per step per framework, and each model's FLOP and floor at
numpy's SGEMM rate, measured in the same run. A model numcnn cannot build yet is a "not supported" row.

    python benchmarks/bench_zoo.py                                  # every model, every framework
    python benchmarks/bench_zoo.py --models lenet5,mlp --steps 10 --frameworks numcnn,torch
"""

from __future__ import annotations

import argparse
import sys

from _common import (
    LABELS,
    add_framework_args,
    flop_per_sample,
    fmt,
    installed,
    machine_info,
    markdown_table,
    measured_sgemm_rates,
    run_frameworks,
)
from _flops import layer_macs
from _zoo_models import ZOO

GOAL = 1.5  # issue 15: numcnn's throughput ≥ 1.5× the fastest peer's, training and predict


def parse_models(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(ZOO))
    if unknown or not names:
        listed = ", ".join(unknown) or "(none)"
        raise argparse.ArgumentTypeError(f"unknown model(s) {listed}: choose from {', '.join(ZOO)}")
    return names


def at_least_two(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError("expected at least 2 steps: one alone cannot split off a call's fixed cost")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--models", type=parse_models, default=list(ZOO), help=f"comma-separated subset of {','.join(ZOO)}"
    )
    parser.add_argument(
        "--steps", type=at_least_two, default=50, help="timed batches per fit and per predict (default 50)"
    )
    parser.add_argument("--gemm-repeats", type=int, default=5, help="SGEMM rate: best of this many products")
    add_framework_args(parser)
    return parser.parse_args(argv)


def throughput(r: dict, what: str) -> float | None:
    """Samples per second of ``what`` ('fit' or 'predict'), from the per-step time; None if the run has none."""
    if what not in r or r[what]["step_s"] <= 0:
        return None
    return r["batch"] / r[what]["step_s"]


def ratio_to_fastest_peer(runs: dict, what: str, ours: str = "numcnn") -> float | None:
    """``ours``' samples/s over the faster of PyTorch's and Keras' (numcnn and its baseline are not peers)."""
    ours = throughput(runs.get(ours, {}), what)
    peers = [throughput(r, what) for name, r in runs.items() if name not in ("numcnn", "baseline")]
    peers = [p for p in peers if p is not None]
    return None if ours is None or not peers else ours / max(peers)


def status(r: dict) -> str | None:
    if "error" in r:
        return "failed"
    if "unsupported" in r:
        return "not supported"
    return None


def summary_rows(results: dict, work: dict, rate: float | None, baseline: bool) -> list[list[str]]:
    rows = []
    for name, runs in results.items():
        entry, (forward, train) = ZOO[name], work[name]
        floor_ms = None if rate is None else 1e3 * entry.batch * train / (rate * 1e9)
        floor_predict = None if rate is None else rate * 1e9 / forward
        cells = []
        for ours in ("numcnn", "baseline") if baseline else ("numcnn",):
            run = runs.get(ours, {})
            missing = status(run) if run else "–"
            ratios = [ratio_to_fastest_peer(runs, what, ours) for what in ("fit", "predict")]
            cells += [missing or fmt(value, ".2f") + ("×" if value is not None else "") for value in ratios]
        rows.append(
            [
                entry.title,
                str(entry.batch),
                fmt(train / 1e6, ".1f"),
                fmt(forward / 1e6, ".1f"),
                fmt(floor_ms, ".2f"),
                fmt(floor_predict, ",.0f"),
                *cells,
            ]
        )
    return rows


def framework_rows(results: dict, work: dict, rate: float | None) -> tuple[list[list[str]], list[str]]:
    rows, notes = [], []
    for name, runs in results.items():
        entry, (_, train) = ZOO[name], work[name]
        floor_s = None if rate is None else entry.batch * train / (rate * 1e9)
        for framework, r in runs.items():
            label = [entry.title, LABELS[framework]]
            missing = status(r)
            if missing:
                rows.append([*label, missing, *["–"] * 8])
                reason = r.get("unsupported") or r["error"].splitlines()[-1]
                notes.append(f"- {entry.title}, {LABELS[framework]}: {missing}: {reason}")
                continue
            fit, predict = r["fit"], r["predict"]
            share = None if floor_s is None or fit["step_s"] <= 0 else 100 * floor_s / fit["step_s"]
            rows.append(
                [
                    *label,
                    f"{r['params']:,}",
                    fmt(throughput(r, "fit"), ",.0f"),
                    fmt(1e3 * fit["step_s"], ".2f"),
                    fmt(1e3 * max(fit["fixed_s"], 0.0), ".0f"),
                    fmt(throughput(r, "predict"), ",.0f"),
                    fmt(1e3 * max(predict["fixed_s"], 0.0), ".0f"),
                    fmt(share, ".0f") + ("%" if share is not None else ""),
                    fmt(r["warmup_s"], ".1f"),
                    fmt(r["peak_rss_mib"], ".0f"),
                ]
            )
    return rows, notes


def report(results: dict, work: dict, rates: dict, steps: int, threads: int, baseline: str | None = None) -> str:
    rate = max(rates.values()) if rates else None
    ratio_columns = [f"numcnn ÷ fastest peer, train (goal ≥ {GOAL})", "numcnn ÷ fastest peer, predict"]
    if baseline:
        ratio_columns += ["baseline ÷ fastest peer, train", "baseline ÷ fastest peer, predict"]
    rows, notes = framework_rows(results, work, rate)
    lines = [
        f"### The zoo: {steps} timed batches per fit and per predict, random data, Adam",
        "",
        machine_info(threads),
        "",
        markdown_table(
            [
                "model",
                "batch",
                "train MFLOP/sample",
                "forward MFLOP/sample",
                "floor ms/step",
                "floor predict samples/s",
                *ratio_columns,
            ],
            summary_rows(results, work, rate, baseline is not None),
        ),
        "",
        markdown_table(
            [
                "model",
                "framework",
                "trainable params",
                "train samples/s",
                "ms/step",
                "fit call fixed ms",
                "predict samples/s",
                "predict call fixed ms",
                "% of floor (train)",
                "warm-up s",
                "peak RSS MiB",
            ],
            rows,
        ),
        "",
        *notes,
        *([f"- numcnn (baseline): the checkout at {baseline}, run in the same way."] if baseline else []),
        "- Per-step times are (a fit, or predict, of all the timed batches − the best of 3 one-batch calls) / "
        "(batches − 1); 'call fixed ms' is what a call costs besides its batches (Keras: its data pipeline; a "
        "negative estimate, i.e. noise, shows as 0).",
        "- 'numcnn ÷ fastest peer': numcnn's samples/s over the faster of PyTorch and Keras (> 1: numcnn is faster).",
        "- FLOP count the convolutions' and dense layers' products as direct convolutions, 2 per multiply-add:",
        "  training = forward + weight gradient + input gradient (none for a layer fed by the model's input).",
    ]
    for name, value in rates.items():
        lines.append(f"- numpy {name}: {value:.0f} GFLOP/s" + (" (the floor's rate)" if value == rate else ""))
    if rate is not None:
        lines.append("- floor ms/step = batch × train FLOP / that rate; '% of floor' = floor / measured ms/step.")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    frameworks = installed(args.frameworks)
    if not frameworks:
        print("no framework to run", file=sys.stderr)
        return 1
    rates = measured_sgemm_rates(args.threads, args.gemm_repeats)
    work = {name: flop_per_sample(layer_macs(ZOO[name].keras)) for name in args.models}
    results = {}
    for name in args.models:
        task = {"mode": "zoo", "model": name, "steps": args.steps, "seed": args.seed}
        results[name] = run_frameworks(frameworks, task, args.threads, what=f" {name}", baseline=args.baseline)
    print(report(results, work, rates, args.steps, args.threads, args.baseline))
    failed = any("error" in r for runs in results.values() for r in runs.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
