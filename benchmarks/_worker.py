"""Child process of the benchmarks: runs one task for one framework and writes its result as JSON.

Started by ``_common.run_worker`` (one fresh interpreter per framework, so thread pools, imports and memory never
mix); not meant to be run by hand:

    python benchmarks/_worker.py '{"mode": "train", "framework": "torch", "data": "mnist.npz", ...}'

Modes:
- ``gemm``: numpy's SGEMM rates;
- ``train``: the notebook's model (build, optional warm-up, timed ``fit``, optional standalone validation pass,
  optional test evaluation), with batch 256 and ``validation_split=0.2`` semantics (the first 80 % train,
  shuffled each epoch; the last 20 % validate);
- ``zoo``: one model of ``_zoo_models.ZOO`` on random data: timed ``fit`` and ``predict`` (``bench_zoo.py``);
- ``overhead``: ``train_on_batch`` and ``predict_on_batch`` of tiny stacks, call by call (``bench_overhead.py``).

Every framework gets the same data, model, initialisation (glorot_uniform kernels, zero biases) and Adam (lr 1e-3,
β 0.9/0.999, ε 1e-7); ``_frameworks.py`` holds what differs.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from _common import best_time, load_mnist, random_data, rss_mib, sgemm_rates, split_sizes
from _frameworks import BENCHES

WARMUP_SAMPLES = 800  # with validation_split 0.2: 2 full training batches, 1 half batch, 160 validation samples
ZOO_WARMUP_STEPS = 2  # compile, trace and allocate before anything is timed
ONE_STEP_REPEATS = 3  # the fixed cost of a fit/predict call: best of this many one-batch calls


def train(task: dict) -> dict:
    """Import, load data, build; warm up (then restore the initial state); time ``fit``; time a validation pass."""
    start = time.perf_counter()
    bench = BENCHES[task["framework"]](task["threads"], task["seed"])
    result = {"version": bench.version, "import_s": time.perf_counter() - start, "rss_import_mib": rss_mib()}
    (x, labels), (x_test, test_labels) = load_mnist(task["data"], task["samples"])
    result["rss_data_mib"] = rss_mib()
    x, y = bench.prepare(x, labels)
    n_train, n_val = split_sizes(x.shape[0])
    result.update(n_train=n_train, n_val=n_val, epochs=task["epochs"])
    model = bench.build()

    if task["warmup"]:
        tick = time.perf_counter()
        initial = bench.snapshot(model)
        bench.fit(model, x[:WARMUP_SAMPLES], y[:WARMUP_SAMPLES], 1)
        bench.restore(model, initial)
        result["warmup_s"] = time.perf_counter() - tick

    tick = time.perf_counter()
    result["logs"] = bench.fit(model, x, y, task["epochs"])
    result["fit_s"] = time.perf_counter() - tick

    if task["time_validation"]:
        tick = time.perf_counter()
        bench.evaluate(model, x[n_train:], y[n_train:])
        result["val_s"] = time.perf_counter() - tick
    if task["accuracy"]:
        tick = time.perf_counter()
        result["test_loss"], result["test_accuracy"] = bench.evaluate(model, *bench.prepare(x_test, test_labels))
        result["test_s"] = time.perf_counter() - tick
    result["wall_s"] = time.perf_counter() - start
    return result


def zoo(task: dict) -> dict:
    """Build one zoo model, warm up, then time ``fit`` and ``predict`` over ``steps`` batches of random data.

    A one-batch call (best of ``ONE_STEP_REPEATS``) measures what a call costs besides its steps; the per-step
    time is ``(steps-batch call − one-batch call) / (steps − 1)``, so a framework's fixed cost per ``fit`` call
    (Keras builds its data pipeline there) does not weigh on a short run more than on a real epoch.
    """
    from _zoo_models import ZOO

    entry, framework = ZOO[task["model"]], task["framework"]
    bench = BENCHES[framework](task["threads"], task["seed"])
    result = {"version": bench.version}
    if entry.functional and bench.api == "keras" and not hasattr(bench.lib, "Model"):
        return {**result, "unsupported": f"no functional API ({bench.lib.__name__}.Model) yet"}
    try:
        model = bench.build_from(entry.builder(bench.api), entry.loss)
    except Exception as error:  # numcnn may lack a layer or argument a script uses: a row, not a crash
        if framework != "numcnn":
            raise
        return {**result, "unsupported": f"{type(error).__name__}: {error}"}
    result["params"] = bench.trainable_count(model)
    batch, steps = entry.batch, task["steps"]
    sparse = entry.loss.startswith("sparse")
    x, y = bench.prepare(*random_data(batch * steps, entry.input_shape, task["seed"]), sparse=sparse)

    def fit(n):
        return bench.fit(model, x[:n], y[:n], 1, batch_size=batch, validation_split=0.0)

    def predict(n):
        return bench.predict(model, x[:n], batch)

    tick = time.perf_counter()
    fit(ZOO_WARMUP_STEPS * batch)
    predict(ZOO_WARMUP_STEPS * batch)
    result["warmup_s"] = time.perf_counter() - tick
    for name, call in (("fit", fit), ("predict", predict)):
        one = best_time(lambda call=call: call(batch), ONE_STEP_REPEATS)
        tick = time.perf_counter()
        out = call(steps * batch)
        total = time.perf_counter() - tick
        step = (total - one) / (steps - 1)
        result[name] = {"one_s": one, "total_s": total, "step_s": step, "fixed_s": one - step}
        if name == "fit":
            result["logs"] = out
    result["steps"], result["batch"] = steps, batch
    return result


def overhead(task: dict) -> dict:
    """ms per ``train_on_batch`` and per ``predict_on_batch`` of each tiny stack at each batch size.

    Each figure is the best, over ``repeats`` blocks, of a block of ``calls`` calls divided by ``calls``, after
    ``warmup`` calls of the same shapes (numba compiles, TensorFlow traces each new batch size).
    """
    from _zoo_models import STACKS, stack_builder

    bench = BENCHES[task["framework"]](task["threads"], task["seed"])
    calls, repeats = task["calls"], task["repeats"]
    rows = []
    for kind, depth in task["stacks"]:
        model = bench.build_from(stack_builder(kind, depth, bench.api), "mse", metrics=())
        shape = STACKS[kind][0]
        for batch in task["batch_sizes"]:
            x = bench.tensor(random_data(batch, shape, task["seed"])[0])
            y = bench.tensor(random_data(batch, shape, task["seed"] + 1)[0])
            row = {"kind": kind, "depth": depth, "batch": batch}
            for name, call in (
                ("train", lambda model=model, x=x, y=y: bench.train_on_batch(model, x, y)),
                ("predict", lambda model=model, x=x: bench.predict_on_batch(model, x)),
            ):
                for _ in range(task["warmup"]):
                    call()
                block = best_time(lambda call=call: [call() for _ in range(calls)], repeats)
                row[f"{name}_ms"] = 1e3 * block / calls
            rows.append(row)
    return {"version": bench.version, "rows": rows}


def gemm(task: dict) -> dict:
    return {"rates": sgemm_rates(task.get("repeats", 5))}


def main() -> None:
    task = json.loads(sys.argv[1])
    result = {"train": train, "gemm": gemm, "zoo": zoo, "overhead": overhead}[task["mode"]](task)
    if "numcnn" in sys.modules:  # which checkout ran (the parent checks a --baseline run's)
        result["numcnn_file"] = str(Path(sys.modules["numcnn"].__file__).resolve())
    Path(task["result"]).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
