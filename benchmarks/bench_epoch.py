"""Seconds per training epoch of the MNIST notebook's CNN: numcnn vs PyTorch (CPU) vs Keras/TensorFlow (CPU).

Each framework runs in its own child process (same data, model, glorot_uniform/zero init, Adam with ε 1e-7,
batch 256, validation_split 0.2, same thread count). In each child: import, build, a warm-up fit on 800 samples
(JIT compile, numba cache load, tf.function tracing, oneDNN primitives; reported separately), the initial weights
and optimizer state restored, then the timed ``fit`` (training on 48 000 samples + the validation pass on 12 000,
as Keras' fit does), a standalone validation pass (timed, to split train from validation time), and the test
accuracy. Prints a Markdown table with the ratios numcnn/PyTorch and numcnn/Keras and the FLOP floor from a
measured numpy SGEMM rate.

    python benchmarks/bench_epoch.py                          # one full epoch for each framework
    python benchmarks/bench_epoch.py --batches 10 --frameworks numcnn,torch --no-accuracy
"""

from __future__ import annotations

import argparse
import math
import sys

from _common import (
    BATCH,
    FORWARD_FLOP,
    LABELS,
    TRAIN_FLOP,
    add_common_args,
    epoch_flop,
    exit_code,
    fmt,
    machine_info,
    markdown_table,
    measured_sgemm_rates,
    run_training,
    samples_for,
    split_sizes,
)

TARGETS = {"torch": 0.6, "keras": 1.0}  # numcnn's epoch ≤ 0.6× PyTorch's; stretch: no slower than Keras


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(parser)
    parser.add_argument("--no-accuracy", action="store_true", help="skip the test-set evaluation")
    parser.add_argument("--gemm-repeats", type=int, default=5, help="SGEMM rate: best of this many products")
    return parser.parse_args(argv)


def epoch_rows(results: dict, floor_rate: float | None) -> list[list[str]]:
    rows = []
    for name, r in results.items():
        if "error" in r:
            rows.append([LABELS[name], "failed", *["–"] * 8])
            continue
        epoch = r["fit_s"] / r["epochs"]
        val = r.get("val_s")
        train = None if val is None else epoch - val
        floor = None if floor_rate is None else epoch_flop(r["n_train"], r["n_val"]) / (floor_rate * 1e9)
        rows.append(
            [
                LABELS[name],
                r["version"],
                fmt(r.get("warmup_s")),
                fmt(epoch),
                fmt(train),
                fmt(val),
                fmt(None if train is None else 1e3 * train / math.ceil(r["n_train"] / BATCH), ".0f"),
                fmt(r.get("test_accuracy"), ".4f"),
                fmt(r["peak_rss_mib"], ".0f"),
                fmt(None if floor is None else 100 * floor / epoch, ".0f") + ("%" if floor else ""),
            ]
        )
    return rows


def report(results: dict, rates: dict, n_train: int, n_val: int, threads: int) -> str:
    floor_rate = max(rates.values()) if rates else None
    lines = [
        f"### One epoch of the MNIST notebook CNN ({n_train} training + {n_val} validation samples, batch {BATCH})",
        "",
        machine_info(threads),
        "",
        markdown_table(
            [
                "framework",
                "version",
                "warm-up s",
                "epoch s (train+val)",
                "train s",
                "val pass s",
                "ms/step",
                "test acc",
                "peak RSS MiB",
                "% of floor",
            ],
            epoch_rows(results, floor_rate),
        ),
        "",
    ]
    ours = results.get("numcnn", {})
    for name, target in TARGETS.items():
        theirs = results.get(name, {})
        if "fit_s" in ours and "fit_s" in theirs:
            ratio = ours["fit_s"] / theirs["fit_s"]
            verdict = "meets" if ratio <= target else "misses"
            lines.append(f"- numcnn / {LABELS[name]}: **{ratio:.2f}** ({verdict} the target ≤ {target:.1f})")
    flop = epoch_flop(n_train, n_val)
    lines.append(
        f"- Work: {n_train} × {TRAIN_FLOP / 1e6:.1f} MFLOP (training step) + {n_val} × {FORWARD_FLOP / 1e6:.1f} MFLOP "
        f"(validation forward) = {flop / 1e12:.3f} TFLOP per epoch"
    )
    for name, rate in rates.items():
        lines.append(f"- numpy {name}: {rate:.0f} GFLOP/s → floor {flop / (rate * 1e9):.2f} s per epoch")
    lines += [
        "- '% of floor' = floor seconds (at the best SGEMM rate above) / measured epoch seconds.",
        "- 'val pass s' is a standalone validation pass after training, 'train s' = epoch − val pass;",
        "  warm-up (a fit on 800 samples, then weights and optimizer reset) is outside the timed epoch.",
        "- Peak RSS is the whole child process (import, data, warm-up, epoch, test evaluation).",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    n_train, n_val = split_sizes(samples_for(args.batches))
    rates = measured_sgemm_rates(args.threads, args.gemm_repeats)
    results = run_training(args, warmup=True, time_validation=True, accuracy=not args.no_accuracy)
    print(report(results, rates, n_train, n_val, args.threads))
    return exit_code(results)


if __name__ == "__main__":
    sys.exit(main())
