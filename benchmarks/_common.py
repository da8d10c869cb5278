"""Helpers shared by the benchmark scripts: the notebook's data and FLOP count, machine facts, child processes, tables.

Importing this module costs only numpy: the PyTorch and Keras children import it too, and nothing here may
load numba or numcnn at import time (that would inflate their memory and start-up numbers).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORKER = HERE / "_worker.py"
FRAMEWORKS = ("numcnn", "torch", "keras")
MODULES = {"numcnn": "numcnn", "torch": "torch", "keras": "tensorflow"}  # what a child must import
LABELS = {"numcnn": "numcnn", "baseline": "numcnn (baseline)", "torch": "PyTorch", "keras": "Keras/TF"}
BATCH = 256
VALIDATION_SPLIT = 0.2
SAMPLES_PER_BATCH = round(BATCH / (1 - VALIDATION_SPLIT))  # 320: 256 train + 64 validation samples

# The notebook's layers at 28×28×1 input: (name, multiply-adds per sample, has weights).
LAYER_MACS = (
    ("conv2d_1", 26 * 26 * 32 * (3 * 3 * 1), True),
    ("conv2d_2", 24 * 24 * 64 * (3 * 3 * 32), True),
    ("max_pooling2d", 0, False),
    ("flatten", 0, False),
    ("dense_1", 9216 * 128, True),
    ("dense_2", 128 * 128, True),
    ("dense_3", 128 * 10, True),
)


def flop_per_sample(layers) -> tuple[float, float]:
    """FLOP per sample of one forward pass and of one training step, from ``(multiply-adds, needs_dx)`` pairs.

    Only the products of convolutions and dense layers count (as direct convolutions: out_h·out_w·c_out·kh·kw·c_in
    multiply-adds), 2 FLOP each. Training is the forward pass, the weight gradient (the same work) and, for each
    layer whose input needs a gradient (``needs_dx``: not the model's input), the input gradient (the same work).
    """
    layers = [(float(macs), bool(needs_dx)) for macs, needs_dx in layers]
    forward = 2 * sum(macs for macs, _ in layers)
    return forward, 2 * forward + 2 * sum(macs for macs, needs_dx in layers if needs_dx)


# ≈ 24.0 and 72.0 MFLOP per sample: every layer but the first needs dX
FORWARD_FLOP, TRAIN_FLOP = flop_per_sample((macs, index > 0) for index, (_, macs, _) in enumerate(LAYER_MACS))


def epoch_flop(n_train: int, n_val: int) -> float:
    """FLOP of one epoch: training steps on ``n_train`` samples plus the validation forward pass on ``n_val``."""
    return float(n_train) * TRAIN_FLOP + float(n_val) * FORWARD_FLOP


def split_sizes(n: int, validation_split: float = VALIDATION_SPLIT) -> tuple[int, int]:
    """Keras' ``validation_split`` (0.2: the first ``floor(0.8·n)`` samples train, the rest validate)."""
    n_train = int(n * (1.0 - validation_split))
    return n_train, n - n_train


def samples_for(batches: int | None) -> int:
    """How many of MNIST's 60 000 training images a run uses: all, or ``batches`` training batches' worth."""
    return 60000 if batches is None else min(60000, batches * SAMPLES_PER_BATCH)


# -- data -------------------------------------------------------------------------------------------
def write_mnist(folder: Path) -> Path:
    """Load MNIST once through numcnn's loader and store it (uint8, as published) for the children.

    Every framework then reads the same file the same way (``np.load``), and the PyTorch and Keras children
    never import numcnn or numba.
    """
    from numcnn.datasets import mnist

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    path = folder / "mnist.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def images(raw: np.ndarray) -> np.ndarray:
    """The notebook's preprocessing of uint8 digits: NHWC float32 in [0, 1]."""
    x = raw.reshape(-1, 28, 28, 1).astype("float32")
    x /= 255
    return x


def load_mnist(path, n_samples: int):
    """``write_mnist``'s file as the notebook prepares it, integer labels; the first ``n_samples`` to train."""
    with np.load(path) as data:
        x_train, y_train = data["x_train"][:n_samples], data["y_train"][:n_samples]
        x_test, y_test = data["x_test"], data["y_test"]
    return (images(x_train), y_train.astype(np.int64)), (images(x_test), y_test.astype(np.int64))


def random_data(n: int, input_shape, seed: int, classes: int = 10):
    """``n`` random samples: float32 inputs uniform in [0, 1) of ``(n, *input_shape)``, int64 labels in [0, classes).

    The same seed gives the same arrays in every child, whatever its framework.
    """
    rng = np.random.default_rng(seed)
    return rng.random((n, *input_shape), dtype=np.float32), rng.integers(0, classes, n)


def one_hot(labels: np.ndarray, classes: int = 10) -> np.ndarray:
    out = np.zeros((labels.shape[0], classes), dtype=np.float32)
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


# -- measuring ------------------------------------------------------------------------------------
def best_time(fn, repeats: int) -> float:
    """Best wall time of ``repeats`` calls of ``fn()``, in seconds."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def sgemm_rates(repeats: int = 5) -> dict[str, float]:
    """numpy float32 matrix-product rates in GFLOP/s, best of ``repeats``: square 2048³ and conv2's forward shape."""
    rng = np.random.default_rng(0)
    shapes = {"sgemm 2048³": (2048, 2048, 2048), "conv2 (147456×288)·(288×64)": (147456, 288, 64)}
    rates = {}
    for name, (m, k, n) in shapes.items():
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        out = np.empty((m, n), dtype=np.float32)
        np.matmul(a, b, out=out)
        rates[name] = 2.0 * m * k * n / best_time(lambda a=a, b=b, out=out: np.matmul(a, b, out=out), repeats) / 1e9
    return rates


def measured_sgemm_rates(threads: int, repeats: int = 5) -> dict[str, float]:
    """``sgemm_rates`` measured in a child with ``threads`` threads, as the frameworks run (``{}`` if it fails)."""
    print("numpy SGEMM rate: running …", file=sys.stderr, flush=True)
    return run_worker({"mode": "gemm", "repeats": repeats}, threads).get("rates", {})


def rss_mib() -> float:
    """This process's resident set now, in MiB (``VmRSS``; the peak so far where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux and BSD: KiB


# -- child processes --------------------------------------------------------------------------------
def available(framework: str) -> bool:
    """Whether the framework's package is installed here (checked without importing it)."""
    from importlib.util import find_spec

    return find_spec(MODULES[framework]) is not None


def thread_env(threads: int) -> dict[str, str]:
    """The environment of a child: every thread pool (OpenBLAS/MKL/OpenMP, numba, numcnn, TF) sized to ``threads``."""
    env = dict(os.environ)
    for name in (
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "NUMBA_NUM_THREADS",
        "NUMCNN_NUM_THREADS",
    ):
        env[name] = str(threads)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    env.setdefault("KERAS_BACKEND", "tensorflow")
    return env


def run_worker(task: dict, threads: int, numcnn_path: str | None = None) -> dict:
    """Run ``_worker.py`` on ``task`` in a fresh interpreter; returns its JSON result plus ``peak_rss_mib``.

    ``numcnn_path``: a numcnn checkout the child imports instead of the installed one (``--baseline``).

    The child's own peak RSS is read from ``wait4``'s resource usage of that one process. A child that fails
    gives ``{"error": ...}`` with the end of its stderr.
    """
    with tempfile.TemporaryDirectory(prefix="numcnn-bench-") as tmp:
        result_path = Path(tmp) / "result.json"
        task = {**task, "threads": threads, "result": str(result_path)}
        env = thread_env(threads)
        if numcnn_path is not None:
            env["PYTHONPATH"] = os.pathsep.join(p for p in (numcnn_path, env.get("PYTHONPATH")) if p)
        with open(Path(tmp) / "stderr.txt", "w+") as err:
            proc = subprocess.Popen([sys.executable, str(WORKER), json.dumps(task)], env=env, stdout=err, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            err.seek(0)
            log = err.read()
        if proc.returncode != 0 or not result_path.exists():
            tail = "\n".join(log.strip().splitlines()[-6:])
            return {"error": f"exit code {proc.returncode}\n{tail}"}
        result = json.loads(result_path.read_text())
    result["peak_rss_mib"] = usage.ru_maxrss / 1024
    return result


def installed(frameworks) -> list[str]:
    """The frameworks of ``frameworks`` that are installed here; a message for each one skipped."""
    found = []
    for name in frameworks:
        if available(name):
            found.append(name)
        else:
            print(f"{LABELS[name]}: skipped, '{MODULES[name]}' is not importable in {sys.executable}", file=sys.stderr)
    return found


def run_frameworks(frameworks, task: dict, threads: int, what: str = "", baseline: str | None = None):
    """Run ``task`` for each installed framework in turn, then, given ``baseline`` (a numcnn checkout), numcnn
    from there as "baseline"; ``what`` names the task in the progress messages. Returns {framework: result}."""
    runs = [(name, name, None) for name in installed(frameworks)]
    if baseline is not None:
        runs.append(("baseline", "numcnn", baseline))
    results = {}
    for name, framework, path in runs:
        label = f"{LABELS[name]}{what}"
        print(f"{label}: running …", file=sys.stderr, flush=True)
        results[name] = run_worker({**task, "framework": framework, "numcnn_path": path}, threads, path)
        if "error" in results[name]:
            print(f"{label}: failed: {results[name]['error']}", file=sys.stderr)
        elif path is not None and not str(results[name].get("numcnn_file", "")).startswith(str(Path(path).resolve())):
            results[name] = {"error": f"the child imported numcnn from {results[name].get('numcnn_file')}, not {path}"}
    return results


def run_training(args, *, warmup: bool, time_validation: bool, accuracy: bool) -> dict[str, dict]:
    """The ``train`` task of ``_worker.py`` for each framework of ``args.frameworks``, on the same MNIST file."""
    with tempfile.TemporaryDirectory(prefix="numcnn-bench-") as tmp:
        task = {
            "mode": "train",
            "data": str(write_mnist(Path(tmp))),
            "samples": samples_for(args.batches),
            "epochs": args.epochs,
            "seed": args.seed,
            "warmup": warmup,
            "time_validation": time_validation,
            "accuracy": accuracy,
        }
        return run_frameworks(args.frameworks, task, args.threads, baseline=args.baseline)


def exit_code(results: dict) -> int:
    return 0 if results and all("error" not in r for r in results.values()) else 1


def add_common_args(parser) -> None:
    """``--batches --epochs --frameworks --threads --seed``, as the notebook's comparison scripts take them."""
    parser.add_argument("--batches", type=int, default=None, help="train on N batches of 256 (default: all 188)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs (default 1)")
    add_framework_args(parser)


def add_framework_args(parser) -> None:
    """``--frameworks --threads --seed``, as every comparison script takes them."""
    parser.add_argument(
        "--frameworks",
        type=parse_frameworks,
        default=list(FRAMEWORKS),
        help="comma-separated subset of numcnn,torch,keras (default: all three)",
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="threads for every framework")
    parser.add_argument(
        "--baseline",
        type=existing_checkout,
        default=None,
        help="a numcnn checkout (e.g. a git worktree of an older commit) also run, as 'numcnn (baseline)'",
    )
    parser.add_argument("--seed", type=int, default=0)


def existing_checkout(text: str) -> str:
    path = Path(text).resolve()
    if not (path / "numcnn" / "__init__.py").is_file():
        raise argparse.ArgumentTypeError(f"{text} holds no numcnn/__init__.py")
    return str(path)


def parse_frameworks(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = sorted(set(names) - set(FRAMEWORKS))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown framework(s) {', '.join(unknown)}: choose from {', '.join(FRAMEWORKS)}"
        )
    return names


# -- output ---------------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_name() -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older numpy: no dict mode
        return "unknown"


def version(distribution: str) -> str:
    for name in (distribution, f"{distribution}-cpu"):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def machine_info(threads: int | None = None) -> str:
    """One line: CPU model, cores, threads, Python and package versions, numpy's BLAS."""
    packages = ("numpy", "numba", "numcnn", "torch", "tensorflow", "keras")
    versions = ", ".join(f"{name} {version(name)}" for name in packages)
    per_framework = "" if threads is None else f", {threads} threads per framework"
    return (
        f"CPU: {cpu_model()}, {os.cpu_count()} logical cores{per_framework}; "
        f"Python {platform.python_version()}; {versions}; numpy BLAS: {blas_name()}"
    )


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table; columns after the first are right-aligned."""
    align = ["---"] + ["---:"] * (len(header) - 1)
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(str(cell) for cell in line) + " |" for line in lines)


def fmt(value, spec: str = ".2f", missing: str = "–") -> str:
    return missing if value is None else format(value, spec)
