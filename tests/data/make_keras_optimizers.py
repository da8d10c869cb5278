"""Make ``tests/data/keras_optimizers.npz``: what Keras 3 itself computes, for tests/test_optimizers_keras.py.

Run with the side environment (Keras 3 on TensorFlow; never a numcnn dependency):

    /work/side/bin/python tests/data/make_keras_optimizers.py

It records, for each case of ``CASES`` in float32 and in float64:

- ``<case>/<dtype>/traj/<i>``: the i-th variable after every one of ``STEPS`` Keras updates, shape
  ``(STEPS, *shape)``, from the fixed start ``params/<i>`` and gradients ``grads/<i>`` (``(STEPS, *shape)``);
- ``<case>/<dtype>/vars/<j>`` and ``<case>/<dtype>/var_names``: Keras' ``optimizer.variables`` (the list its
  ``optimizer/vars/<j>`` in ``.weights.h5`` holds) after ``SPLIT`` updates, to resume from;
- ``h5/<case>/layout``: what each ``optimizer/vars/<j>`` of a real ``model.weights.h5`` holds (see ``layout``),
  written by Keras for a two-Dense model after one ``train_on_batch`` and read back with h5py, after checking
  that ``optimizer/vars/<j>`` is exactly ``optimizer.variables[j]`` (so the order is the file's);
- ``clip/<set>/<mode>/<i>``: Keras' own clipping (``clipnorm``, ``global_clipnorm``, ``clipvalue`` at ``CLIPS``)
  of the float32 gradients ``clip/<set>/grads/<i>``: norms under and over the limit, all zeros, a NaN, an inf;
- ``schedule/<k>/<dtype>``: ``LearningRateSchedule`` values at ``SCHEDULE_STEPS``; the float64 run passes its floats
  as ``np.float64`` (Keras computes a schedule in the dtype of ``initial_learning_rate``, float32 for a Python float).

``meta`` is a JSON string: Keras, TensorFlow and NumPy versions, the backend, the case configs and the parameter
keys, so that the test rebuilds every case from the file alone.
"""

import json
import os
import re
import tempfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = Path(__file__).with_name("keras_optimizers.npz")
STEPS, SPLIT = 6, 3
KEYS = ["conv2d/kernel", "conv2d/bias", "dense/kernel"]
SHAPES = [(2, 2, 1, 3), (3,), (6, 2)]

# (case id, class name, config). Hyper-parameters away from their defaults where a default would hide a
# mistake (an epsilon too small to matter, a rule that never takes its other branch).
CASES = [
    ("sgd", "SGD", {"learning_rate": 0.1}),
    ("sgd_momentum", "SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("sgd_nesterov", "SGD", {"learning_rate": 0.05, "momentum": 0.8, "nesterov": True}),
    ("rmsprop", "RMSprop", {"learning_rate": 0.01, "epsilon": 1e-3}),
    ("rmsprop_centered_momentum", "RMSprop", {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5, "centered": True}),
    ("adagrad", "Adagrad", {"learning_rate": 0.1, "epsilon": 1e-3}),
    ("adam", "Adam", {"learning_rate": 0.01}),
    ("adam_amsgrad", "Adam", {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.9, "epsilon": 1e-3, "amsgrad": True}),
    ("adamw", "AdamW", {"learning_rate": 0.02, "weight_decay": 0.3}),
    ("adadelta", "Adadelta", {}),
    ("adadelta_lr1", "Adadelta", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-4}),
    ("nadam", "Nadam", {"learning_rate": 0.01}),
    ("nadam_eps", "Nadam", {"learning_rate": 0.02, "beta_1": 0.7, "beta_2": 0.9, "epsilon": 1e-2}),
    ("adamax", "Adamax", {"learning_rate": 0.01}),
    ("adamax_eps", "Adamax", {"learning_rate": 0.02, "beta_1": 0.7, "beta_2": 0.5, "epsilon": 1e-2}),
    ("lion", "Lion", {"learning_rate": 0.01}),
    ("lion_betas", "Lion", {"learning_rate": 0.02, "beta_1": 0.5, "beta_2": 0.7, "weight_decay": 0.1}),
    ("ftrl", "Ftrl", {"learning_rate": 0.1}),
    (
        "ftrl_regularized",
        "Ftrl",
        {
            "learning_rate": 0.2,
            "learning_rate_power": -0.3,
            "initial_accumulator_value": 0.5,
            "l1_regularization_strength": 0.05,
            "l2_regularization_strength": 0.2,
            "l2_shrinkage_regularization_strength": 0.1,
            "beta": 0.3,
        },
    ),
    ("ftrl_power0", "Ftrl", {"learning_rate": 0.1, "learning_rate_power": 0.0, "l1_regularization_strength": 0.3}),
    # clipping: per-variable norm, global norm, elementwise; the gradients' norms straddle the limits
    ("clipnorm", "SGD", {"learning_rate": 0.1, "clipnorm": 1.0}),
    ("global_clipnorm", "SGD", {"learning_rate": 0.1, "global_clipnorm": 2.0}),
    ("clipvalue", "SGD", {"learning_rate": 0.1, "clipvalue": 0.5}),
    ("adam_clipnorm", "Adam", {"learning_rate": 0.01, "clipnorm": 0.5}),
    ("rmsprop_global_clipnorm", "RMSprop", {"learning_rate": 0.01, "global_clipnorm": 1.5}),
    # weight decay on a rule that is not AdamW: Keras decays every optimizer the same way
    ("sgd_weight_decay", "SGD", {"learning_rate": 0.1, "momentum": 0.5, "weight_decay": 0.2}),
    # schedules: evaluated at `iterations` before each update
    (
        "sgd_exponential",
        "SGD",
        {
            "learning_rate": {
                "class_name": "ExponentialDecay",
                "config": {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5},
            }
        },
    ),
    (
        "adam_cosine_warmup",
        "Adam",
        {
            "learning_rate": {
                "class_name": "CosineDecay",
                "config": {
                    "initial_learning_rate": 0.0,
                    "decay_steps": 4,
                    "warmup_target": 0.05,
                    "warmup_steps": 2,
                    "alpha": 0.1,
                },
            }
        },
    ),
]

SCHEDULES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.3}),
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.3, "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [5, 20, 40], "values": [0.1, 0.05, 0.01, 0.002]}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 4, "decay_rate": 0.5, "staircase": True}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 30}),
    (
        "PolynomialDecay",
        {"initial_learning_rate": 0.1, "decay_steps": 30, "end_learning_rate": 0.01, "power": 2.0, "cycle": True},
    ),
    ("PolynomialDecay", {"initial_learning_rate": 0.01, "decay_steps": 25, "end_learning_rate": 0.1, "power": 0.5}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 30}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 30, "alpha": 0.2}),
    (
        "CosineDecay",
        {"initial_learning_rate": 0.0, "decay_steps": 40, "alpha": 0.1, "warmup_target": 0.2, "warmup_steps": 10},
    ),
    ("CosineDecay", {"initial_learning_rate": 0.05, "decay_steps": 20, "warmup_target": 0.1, "warmup_steps": 7}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 10}),
    (
        "CosineDecayRestarts",
        {"initial_learning_rate": 0.1, "first_decay_steps": 6, "t_mul": 3.0, "m_mul": 0.5, "alpha": 0.1},
    ),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 8, "t_mul": 1.0, "m_mul": 0.8}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 5, "t_mul": 1.5}),
]
CLIPS = {"clipnorm": 1.0, "global_clipnorm": 1.5, "clipvalue": 0.5}
# every integer step to 160: each boundary, restart and end of warm-up above falls on one
SCHEDULE_STEPS = np.arange(161)


def start_and_grads():
    """Fixed float64 start values and gradients, image-like in part: exact zeros, ties and strokes of ones."""
    rng = np.random.default_rng(20240601)
    params = [0.5 * rng.standard_normal(s) for s in SHAPES]
    params[1][:] = 0.0  # a bias as Keras initialises it
    grads = []
    for i, shape in enumerate(SHAPES):
        g = rng.standard_normal((STEPS, *shape))
        g[:, ..., 0] = np.where(rng.random(g[:, ..., 0].shape) < 0.5, 0.0, 1.0)  # strokes: exact 0s and 1s
        g[2] *= 20.0  # one step far over every clipping limit, the others around it
        g[4] *= 0.05
        if i == 1:
            g[3] = 0.0  # a whole gradient of zeros
        grads.append(g)
    return params, grads


def keras_object(class_name, config, dtype):
    """A Keras optimizer from a config; float64 runs pass every float as np.float64.

    Keras casts a Python float hyper-parameter with ``ops.cast``, which goes through a float32 tensor
    whatever the variable's dtype (β2 = 0.999 becomes 0.99900001287): an np.float64 is cast exactly, so the
    float64 run is float64 throughout and holds numcnn to the formulas, not to float32 roundings.
    """
    config = dict(config)
    if isinstance(config.get("learning_rate"), dict):
        lr = config["learning_rate"]
        config["learning_rate"] = keras_schedule(lr["class_name"], lr["config"], dtype)
    opt = getattr(keras.optimizers, class_name)(**config)
    if dtype == "float64":  # the defaults too: Keras keeps them as attributes and casts them at each step
        for name, value in opt.get_config().items():
            if isinstance(value, float) and name != "learning_rate":
                setattr(opt, name, np.float64(value))
    return opt


def keras_schedule(class_name, config, dtype):
    if dtype == "float64" and "values" in config:
        config = {**config, "values": [np.float64(v) for v in config["values"]]}
    schedule = getattr(keras.optimizers.schedules, class_name)(**config)
    if dtype == "float64":  # every float, defaults too (CosineDecayRestarts keeps t_mul, m_mul as _t_mul, _m_mul)
        for name, value in schedule.get_config().items():
            if isinstance(value, float):
                setattr(schedule, name if hasattr(schedule, name) else f"_{name}", np.float64(value))
    return schedule


def trajectories(class_name, config, dtype, params, grads, out, prefix):
    keras.config.set_floatx(dtype)  # the learning-rate variable takes floatx
    try:
        variables = [keras.Variable(p.astype(dtype), dtype=dtype, name=f"v{i}") for i, p in enumerate(params)]
        opt = keras_object(class_name, config, dtype)
        traj = [[] for _ in variables]
        for step in range(STEPS):
            opt.apply([tf.constant(g[step].astype(dtype)) for g in grads], variables)
            for i, v in enumerate(variables):
                traj[i].append(np.array(v.numpy()))
            if step + 1 == SPLIT:
                for j, var in enumerate(opt.variables):
                    out[f"{prefix}/vars/{j}"] = np.array(var.numpy())
                out[f"{prefix}/var_names"] = np.array([var.path for var in opt.variables])
        for i, t in enumerate(traj):
            out[f"{prefix}/traj/{i}"] = np.stack(t)
    finally:
        keras.config.set_floatx("float32")


def weights_file_order(case, class_name, config, out, workdir):
    """The optimizer variables of a real ``.weights.h5``, checked against ``optimizer.variables``."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    opt = keras_object(class_name, config, "float32")
    model.compile(optimizer=opt, loss="mse")
    rng = np.random.default_rng(0)
    model.train_on_batch(rng.standard_normal((8, 4)), rng.standard_normal((8, 2)))
    path = os.path.join(workdir, f"{case}.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        group = f["optimizer/vars"]
        stored = [group[str(j)][()] for j in range(len(group))]
    expected = [np.array(v.numpy()) for v in opt.variables]
    assert len(stored) == len(expected), case
    for a, b in zip(stored, expected):
        assert a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b), case
    out[f"h5/{case}/layout"] = np.array(json.dumps(layout(opt, model, stored)))
    if case == "adam":  # a whole .keras file stores the same list in its model.weights.h5
        model.save(os.path.join(workdir, "adam.keras"))
        import zipfile

        with zipfile.ZipFile(os.path.join(workdir, "adam.keras")) as z:
            z.extract("model.weights.h5", workdir)
        with h5py.File(os.path.join(workdir, "model.weights.h5"), "r") as f:
            group = f["optimizer/vars"]
            assert [group[str(j)].shape for j in range(len(group))] == [a.shape for a in stored]


def layout(opt, model, stored):
    """Each entry of ``optimizer/vars``: ``"iteration"``, ``"learning_rate"``, ``[i, slot, shape]`` for the slot
    of the model's i-th trainable variable (Keras names it ``<variable path>_<slot>``), or ``["extra", name]``."""
    prefixes = [v.path.replace("/", "_") + "_" for v in model.trainable_variables]
    entries = []
    for var, array in zip(opt.variables, stored):
        name = var.path.split("/", 1)[1]
        owner = [i for i, p in enumerate(prefixes) if name.startswith(p)]
        if name in ("iteration", "learning_rate"):
            entries.append(name)
        elif owner:
            entries.append([owner[0], name[len(prefixes[owner[0]]) :], list(array.shape)])
        else:
            entries.append(["extra", re.sub(r"_\d+$", "", name), list(array.shape)])  # drop Keras' uid suffix
    return entries


def clip_sets():
    """Gradient lists for the clipping table: norms under and over the limits, all zeros, a NaN, an inf."""
    rng = np.random.default_rng(7)
    base = [rng.standard_normal(s).astype("float32") for s in SHAPES]
    sets = {"under": [0.05 * g for g in base], "over": [4.0 * g for g in base], "zeros": [0 * g for g in base]}
    sets["nan"] = [g.copy() for g in sets["over"]]
    sets["nan"][0].flat[1] = np.nan
    sets["inf"] = [g.copy() for g in sets["under"]]
    sets["inf"][1].flat[0] = np.inf
    return sets


def main():
    params, grads = start_and_grads()
    out = {}
    for i, (p, g) in enumerate(zip(params, grads)):
        out[f"params/{i}"], out[f"grads/{i}"] = p, g
    for case, class_name, config in CASES:
        for dtype in ("float32", "float64"):
            trajectories(class_name, config, dtype, params, grads, out, f"{case}/{dtype}")
    with tempfile.TemporaryDirectory() as workdir:
        for case, class_name, config in CASES:
            weights_file_order(case, class_name, config, out, workdir)
    for set_name, grads_set in clip_sets().items():
        for mode, limit in CLIPS.items():
            opt = keras.optimizers.SGD(**{mode: limit})
            clipped = opt._clip_gradients([tf.constant(g) for g in grads_set])
            for i, (g, c) in enumerate(zip(grads_set, clipped)):
                out[f"clip/{set_name}/grads/{i}"] = g
                out[f"clip/{set_name}/{mode}/{i}"] = np.array(c)
    for k, (class_name, config) in enumerate(SCHEDULES):
        for dtype in ("float32", "float64"):
            schedule = keras_schedule(class_name, config, dtype)
            out[f"schedule/{k}/{dtype}"] = np.array([float(schedule(int(s))) for s in SCHEDULE_STEPS])
    meta = {
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "tensorflow_version": tf.__version__,
        "numpy_version": np.__version__,
        "steps": STEPS,
        "split": SPLIT,
        "keys": KEYS,
        "cases": [{"id": c, "class_name": n, "config": cfg} for c, n, cfg in CASES],
        "schedules": [{"class_name": n, "config": cfg} for n, cfg in SCHEDULES],
        "schedule_steps": SCHEDULE_STEPS.tolist(),
        "clips": CLIPS,
    }
    out["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(out)} arrays) with Keras {keras.__version__}")


if __name__ == "__main__":
    main()
