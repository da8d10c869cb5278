"""Write tests/data/keras_objectives.npz: what Keras 3 computes for losses, metrics, activations,
regularizers and constraints, for tests/test_keras_objectives.py to hold numcnn to.

Run with the side environment (Keras 3.15.1, TensorFlow 2.21 backend), never from the tests:

    /work/side/bin/python tests/data/make_keras_objectives.py

Every input is drawn here from a fixed seed and stored next to Keras' answers, so the test needs neither
Keras nor this script. Each entry of the JSON manifest (``manifest`` in the file) names a Keras class, its
``get_config()`` (numcnn must rebuild the object from it; losses also keep the arguments they were built with,
as Keras' ``Huber.get_config()`` drops ``delta``) and the arrays it was run on. Losses store the
value with and without sample weights and the gradient of the weighted value with respect to y_pred (from
``tf.GradientTape``); metrics store ``result()`` after each of three ``update_state`` calls, without and
with sample weights. Data are image-like where it matters: saturated one-hot predictions (the clip bites),
tied scores (top-k and arg-max ties), exact zeros.

Sparse crossentropy gets no saturated rows: TensorFlow clips before normalising and numcnn (like Keras'
NumPy backend) normalises before clipping, which gives the same values on softmax outputs but a different
gradient where the clip bites.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = Path(__file__).with_name("keras_objectives.npz")
rng = np.random.default_rng(20260101)
arrays: dict[str, np.ndarray] = {}
manifest: list[dict] = []
N, K = 8, 5


def put(key, value):
    arrays[key] = np.asarray(value)
    return key


def f32(x):
    return np.asarray(x, dtype=np.float32)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# -- data sets: three batches each -------------------------------------------------------------------
def batches(make):
    return [make(b) for b in range(3)]


def categorical(b):
    labels = rng.integers(0, K, N)
    probs = softmax(rng.standard_normal((N, K)) * 2)
    probs[0] = np.eye(K)[labels[0]]  # saturated and right: the clip at 1 − ε bites
    probs[1] = np.eye(K)[(labels[1] + 1) % K]  # saturated and wrong: the clip at ε bites
    probs[2] = [0.3, 0.3, 0.3, 0.05, 0.05]  # a three-way tie
    labels[2] = 2
    return {"y_true": f32(np.eye(K)[labels]), "y_pred": f32(probs), "sample_weight": f32(rng.random(N) + 0.25)}


def sparse(b):
    labels = rng.integers(0, K, N)
    probs = softmax(rng.standard_normal((N, K)) * 2)
    probs[2] = [0.3, 0.3, 0.3, 0.05, 0.05]
    labels[2] = 2
    return {"y_true": labels.astype(np.int64), "y_pred": f32(probs), "sample_weight": f32(rng.random(N) + 0.25)}


def logits(b):
    labels = rng.integers(0, K, N)
    z = rng.standard_normal((N, K)) * 3
    z[0] = [40.0, -40.0, 0.0, 0.0, 0.0]  # huge logits stay finite
    return {"y_true": f32(np.eye(K)[labels]), "labels": labels, "y_pred": f32(z), "sample_weight": f32(rng.random(N))}


def binary(b):
    y = (rng.random((N, 1)) > 0.5).astype(np.float32)
    p = 1 / (1 + np.exp(-rng.standard_normal((N, 1)) * 2))
    p[0, 0], p[1, 0] = 1.0, 0.0  # saturated
    p[2, 0] = 0.5  # exactly at the threshold
    return {"y_true": y, "y_pred": f32(p), "sample_weight": f32(rng.random(N) + 0.25)}


def multilabel(b):
    y = (rng.random((N, K)) > 0.6).astype(np.float32)
    p = rng.random((N, K))
    p[0] = [0.0, 1.0, 0.5, 0.5, 0.25]  # exact zeros, ones, ties and a bucket edge
    return {"y_true": y, "y_pred": f32(p), "sample_weight": f32(rng.random(N) + 0.25)}


def regression(b):
    y = rng.standard_normal((N, K))
    p = y + rng.standard_normal((N, K)) * 1.5
    p[0, :2] = y[0, :2]  # exact zeros of the error
    return {"y_true": f32(y), "y_pred": f32(p), "sample_weight": f32(rng.random(N) + 0.25)}


def positive(b):
    return {
        "y_true": f32(rng.random((N, K)) * 3),
        "y_pred": f32(rng.random((N, K)) * 3 + 0.01),
        "sample_weight": f32(rng.random(N) + 0.25),
    }


def hinge_pm(b):
    y = np.where(rng.random((N, K)) > 0.5, 1.0, -1.0)
    return {"y_true": f32(y), "y_pred": f32(rng.standard_normal((N, K)) * 1.5), "sample_weight": f32(rng.random(N))}


def hinge_01(b):
    y = (rng.random((N, K)) > 0.5).astype(np.float32)
    return {"y_true": y, "y_pred": f32(rng.standard_normal((N, K)) * 1.5), "sample_weight": f32(rng.random(N))}


DATA = {
    name: batches(make)
    for name, make in [
        ("categorical", categorical),
        ("sparse", sparse),
        ("logits", logits),
        ("binary", binary),
        ("multilabel", multilabel),
        ("regression", regression),
        ("positive", positive),
        ("hinge_pm", hinge_pm),
        ("hinge_01", hinge_01),
    ]
}
for data_name, data_batches in DATA.items():
    for b, batch in enumerate(data_batches):
        for key, value in batch.items():
            put(f"data/{data_name}/{b}/{key}", value)


def config_of(obj):
    return json.loads(json.dumps(obj.get_config(), default=lambda o: np.asarray(o).tolist()))


# -- losses ----------------------------------------------------------------------------------------------
L = keras.losses
LOSSES = [
    (L.CategoricalCrossentropy, dict(), "categorical", "y_true"),
    (L.CategoricalCrossentropy, dict(label_smoothing=0.1), "categorical", "y_true"),
    (L.CategoricalCrossentropy, dict(from_logits=True), "logits", "y_true"),
    (L.CategoricalCrossentropy, dict(from_logits=True, label_smoothing=0.2), "logits", "y_true"),
    (L.SparseCategoricalCrossentropy, dict(), "sparse", "y_true"),
    (L.SparseCategoricalCrossentropy, dict(from_logits=True), "logits", "labels"),
    (L.BinaryCrossentropy, dict(), "binary", "y_true"),
    (L.BinaryCrossentropy, dict(label_smoothing=0.1), "multilabel", "y_true"),
    (L.BinaryCrossentropy, dict(from_logits=True), "logits", "y_true"),
    (L.KLDivergence, dict(), "categorical", "y_true"),
    (L.Poisson, dict(), "positive", "y_true"),
    (L.MeanSquaredError, dict(), "regression", "y_true"),
    (L.MeanAbsoluteError, dict(), "regression", "y_true"),
    (L.MeanAbsolutePercentageError, dict(), "regression", "y_true"),
    (L.MeanSquaredLogarithmicError, dict(), "positive", "y_true"),
    (L.Huber, dict(), "regression", "y_true"),
    (L.Huber, dict(delta=0.5), "regression", "y_true"),
    (L.LogCosh, dict(), "regression", "y_true"),
    (L.CosineSimilarity, dict(), "regression", "y_true"),
    (L.Hinge, dict(), "hinge_01", "y_true"),
    (L.Hinge, dict(), "hinge_pm", "y_true"),
    (L.SquaredHinge, dict(), "hinge_pm", "y_true"),
    (L.CategoricalHinge, dict(), "categorical", "y_true"),
]
for i, (loss_cls, args, data_name, target) in enumerate(LOSSES):
    loss = loss_cls(**args)
    entry = {"kind": "loss", "id": f"loss{i}", "class_name": loss_cls.__name__, "config": config_of(loss)}
    entry.update(args=args, data=data_name, target=target)  # Huber's config leaves its delta out
    batch = DATA[data_name][0]
    y_true, y_pred, w = batch[target], batch["y_pred"], batch["sample_weight"]
    put(f"loss{i}/value", float(loss(y_true, y_pred)))
    p = tf.Variable(y_pred)
    with tf.GradientTape() as tape:
        weighted = loss(y_true, p, sample_weight=w)
    put(f"loss{i}/value_weighted", float(weighted))
    put(f"loss{i}/gradient", tape.gradient(weighted, p).numpy())
    put(f"loss{i}/function", keras.ops.convert_to_numpy(loss.fn(y_true, y_pred, **loss._fn_kwargs)))
    manifest.append(entry)

# -- metrics ---------------------------------------------------------------------------------------------
M = keras.metrics
METRICS = [
    (M.Accuracy(), "binary", "y_true"),
    (M.BinaryAccuracy(), "binary", "y_true"),
    (M.BinaryAccuracy(threshold=0.7), "multilabel", "y_true"),
    (M.CategoricalAccuracy(), "categorical", "y_true"),
    (M.SparseCategoricalAccuracy(), "sparse", "y_true"),
    (M.TopKCategoricalAccuracy(k=2), "categorical", "y_true"),
    (M.SparseTopKCategoricalAccuracy(k=2), "sparse", "y_true"),
    (M.SparseTopKCategoricalAccuracy(), "sparse", "y_true"),
    (M.Precision(), "binary", "y_true"),
    (M.Precision(thresholds=[0.3, 0.6]), "multilabel", "y_true"),
    (M.Precision(top_k=2), "multilabel", "y_true"),
    (M.Precision(class_id=1), "multilabel", "y_true"),
    (M.Recall(), "multilabel", "y_true"),
    (M.Recall(thresholds=[0.0, 0.5, 1.0]), "multilabel", "y_true"),
    (M.Recall(top_k=1, class_id=2), "categorical", "y_true"),
    (M.TruePositives(), "binary", "y_true"),
    (M.FalsePositives(thresholds=[0.25, 0.5, 0.75]), "multilabel", "y_true"),
    (M.TrueNegatives(), "multilabel", "y_true"),
    (M.FalseNegatives(thresholds=[0.0, 0.5, 1.0]), "multilabel", "y_true"),
    (M.AUC(), "binary", "y_true"),
    (M.AUC(), "multilabel", "y_true"),
    (M.AUC(curve="PR"), "multilabel", "y_true"),
    (M.AUC(num_thresholds=11, summation_method="minoring"), "multilabel", "y_true"),
    (M.AUC(curve="PR", summation_method="majoring"), "multilabel", "y_true"),
    (M.AUC(curve="PRGAIN"), "multilabel", "y_true"),
    (M.AUC(thresholds=[0.2, 0.5, 0.8]), "multilabel", "y_true"),
    (M.AUC(multi_label=True), "multilabel", "y_true"),
    (M.AUC(multi_label=True, label_weights=[1.0, 2.0, 0.0, 1.0, 0.5]), "multilabel", "y_true"),
    (M.AUC(label_weights=[1.0, 2.0, 0.0, 1.0, 0.5]), "multilabel", "y_true"),
    (M.AUC(from_logits=True), "logits", "y_true"),
    (M.MeanSquaredError(), "regression", "y_true"),
    (M.MeanAbsoluteError(), "regression", "y_true"),
    (M.RootMeanSquaredError(), "regression", "y_true"),
    (M.MeanAbsolutePercentageError(), "regression", "y_true"),
    (M.MeanSquaredLogarithmicError(), "positive", "y_true"),
    (M.LogCoshError(), "regression", "y_true"),
    (M.CosineSimilarity(), "regression", "y_true"),
    (M.KLDivergence(), "categorical", "y_true"),
    (M.Poisson(), "positive", "y_true"),
    (M.Hinge(), "hinge_pm", "y_true"),
    (M.SquaredHinge(), "hinge_01", "y_true"),
    (M.CategoricalHinge(), "categorical", "y_true"),
    (M.BinaryCrossentropy(), "binary", "y_true"),
    (M.CategoricalCrossentropy(label_smoothing=0.1), "categorical", "y_true"),
    (M.SparseCategoricalCrossentropy(from_logits=True), "logits", "labels"),
]
for i, (metric, data_name, target) in enumerate(METRICS):
    entry = {"kind": "metric", "id": f"metric{i}", "class_name": type(metric).__name__, "config": config_of(metric)}
    entry.update(data=data_name, target=target)
    for weighted in (False, True):
        metric.reset_state()
        results = []
        for batch in DATA[data_name]:
            weights = batch["sample_weight"] if weighted else None
            metric.update_state(batch[target], batch["y_pred"], sample_weight=weights)
            results.append(keras.ops.convert_to_numpy(metric.result()))
        put(f"metric{i}/results{'_weighted' if weighted else ''}", np.array(results, dtype=np.float64))
    manifest.append(entry)

for i, metric_cls in enumerate((M.Mean, M.Sum)):
    metric = metric_cls()
    entry = {"kind": "reduction", "id": f"reduction{i}", "class_name": metric_cls.__name__}
    entry.update(config=config_of(metric), data="regression")
    results = []
    for b, batch in enumerate(DATA["regression"]):
        weights = batch["sample_weight"] if b else None  # the first batch unweighted, the rest weighted
        metric.update_state(batch["y_pred"], sample_weight=weights)
        results.append(float(metric.result()))
    put(f"reduction{i}/results", results)
    manifest.append(entry)

# -- activations -----------------------------------------------------------------------------------------
edges = [-7.0, -6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 7.0, -30.0, 30.0, -100.0, 88.0]
x_forward = f32(np.concatenate([edges, rng.uniform(-8, 8, 49)]).reshape(8, 8))
x_gradient = f32(rng.uniform(-5, 5, (6, 7)))
x_gradient[np.abs(np.abs(x_gradient) - np.round(np.abs(x_gradient))) < 0.05] += 0.1  # away from the kinks
probe = f32(rng.standard_normal(x_gradient.shape))
put("activation/x_forward", x_forward)
put("activation/x_gradient", x_gradient)
put("activation/probe", probe)
ACTIVATIONS = [
    "linear", "relu", "softmax", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "softplus", "selu", "silu",
    "swish", "hard_sigmoid", "hard_silu", "hard_swish", "mish", "log_softmax", "relu6", "softsign",
    "exponential", "celu", "hard_tanh", "log_sigmoid", "tanh_shrink", "sparse_plus", "sparse_sigmoid",
    "squareplus",
]  # fmt: skip
for name in ACTIVATIONS:
    fn = keras.activations.get(name)
    x = x_forward if name != "exponential" else np.clip(x_forward, -80, 80)
    put(f"activation/{name}/forward", keras.ops.convert_to_numpy(fn(x)))
    v = tf.Variable(x_gradient)
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(fn(v) * probe)
    put(f"activation/{name}/gradient", tape.gradient(total, v).numpy())
manifest.append({"kind": "activations", "names": ACTIVATIONS})

# -- regularizers and constraints ----------------------------------------------------------------------
w2 = f32(rng.standard_normal((6, 4)))
w2[0, 0] = 0.0
w4 = f32(rng.standard_normal((3, 3, 2, 4)))
put("weights/w2", w2)
put("weights/w4", w4)
R = keras.regularizers
REGULARIZERS = [
    R.L1(0.1),
    R.L2(0.05),
    R.L1L2(0.01, 0.02),
    R.OrthogonalRegularizer(0.1, "rows"),
    R.OrthogonalRegularizer(0.3, "columns"),
]
for i, reg in enumerate(REGULARIZERS):
    v = tf.Variable(w2)
    with tf.GradientTape() as tape:
        penalty = reg(v)
    put(f"regularizer{i}/value", float(penalty))
    put(f"regularizer{i}/gradient", tape.gradient(penalty, v).numpy())
    entry = {"kind": "regularizer", "id": f"regularizer{i}", "class_name": type(reg).__name__}
    manifest.append({**entry, "config": config_of(reg), "weights": "w2"})
C = keras.constraints
CONSTRAINTS = [
    (C.MaxNorm(2.0), "w2"),
    (C.MaxNorm(1.5, axis=[0, 1, 2]), "w4"),
    (C.NonNeg(), "w2"),
    (C.UnitNorm(axis=1), "w2"),
    (C.MinMaxNorm(0.5, 1.0, 0.7, 0), "w2"),
    (C.MinMaxNorm(1.0, 2.0, axis=[0, 1, 2]), "w4"),
]
for i, (con, weights) in enumerate(CONSTRAINTS):
    put(f"constraint{i}/output", keras.ops.convert_to_numpy(con(arrays[f"weights/{weights}"])))
    entry = {"kind": "constraint", "id": f"constraint{i}", "class_name": type(con).__name__}
    manifest.append({**entry, "config": config_of(con), "weights": weights})

versions = {
    "keras_version": keras.__version__,
    "backend": keras.backend.backend(),
    "tensorflow_version": tf.__version__,
}
put("manifest", json.dumps({**versions, "entries": manifest}))
np.savez_compressed(OUT, **arrays)
print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(arrays)} arrays, {len(manifest)} entries), {versions}")
