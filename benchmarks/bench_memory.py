"""Peak memory (RSS) of a whole examples/mnist.py-style run: numcnn vs PyTorch (CPU) vs Keras/TensorFlow (CPU).

Each framework runs in its own child process, which imports the framework, loads MNIST (the same file for all),
builds the notebook's CNN, fits it (``--batches`` training batches or whole epochs, with validation_split 0.2)
and evaluates it on the 10 000 test images; no separate warm-up. The peak RSS is the child's ``ru_maxrss`` as
``wait4`` reports it; the child itself reports its resident set just after the import and after loading the data.

    python benchmarks/bench_memory.py                      # one epoch each
    python benchmarks/bench_memory.py --batches 10 --frameworks numcnn,torch
"""

from __future__ import annotations

import argparse
import sys

from _common import (
    LABELS,
    add_common_args,
    exit_code,
    fmt,
    machine_info,
    markdown_table,
    run_training,
    samples_for,
    split_sizes,
)

TARGET = 0.5  # numcnn's peak RSS ≤ 0.5× PyTorch's


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser)
    return parser.parse_args(argv)


def report(results: dict, n_train: int, n_val: int, epochs: int, threads: int) -> str:
    rows = []
    for name, r in results.items():
        if "error" in r:
            rows.append([LABELS[name], "failed", *["–"] * 5])
            continue
        rows.append(
            [
                LABELS[name],
                fmt(r["peak_rss_mib"], ".0f"),
                fmt(r["rss_import_mib"], ".0f"),
                fmt(r["rss_data_mib"], ".0f"),
                fmt(r["peak_rss_mib"] - r["rss_data_mib"], ".0f"),
                fmt(r["wall_s"], ".1f"),
                fmt(r.get("test_accuracy"), ".4f"),
            ]
        )
    header = ["framework", "peak RSS MiB", "after import", "after data", "training + eval adds", "run s", "test acc"]
    lines = [
        f"### Peak memory of an examples/mnist.py-style run ({epochs} epoch(s) of {n_train} training + {n_val} "
        "validation samples, then evaluate on 10 000)",
        "",
        machine_info(threads),
        "",
        markdown_table(header, rows),
        "",
    ]
    ours, theirs = results.get("numcnn", {}), results.get("torch", {})
    if "peak_rss_mib" in ours and "peak_rss_mib" in theirs:
        ratio = ours["peak_rss_mib"] / theirs["peak_rss_mib"]
        verdict = "meets" if ratio <= TARGET else "misses"
        lines.append(f"- numcnn / PyTorch peak RSS: **{ratio:.2f}** ({verdict} the target ≤ {TARGET})")
    lines += [
        "- 'after import' and 'after data': the child's resident set (VmRSS) at those points (interpreter + framework,",
        "  then + MNIST as float32); 'training + eval adds' = peak − after data. MiB; peak = wait4's ru_maxrss / 1024.",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    n_train, n_val = split_sizes(samples_for(args.batches))
    results = run_training(args, warmup=False, time_validation=False, accuracy=True)
    print(report(results, n_train, n_val, args.epochs, args.threads))
    return exit_code(results)


if __name__ == "__main__":
    sys.exit(main())
