"""Write tests/data/keras_ops.npz: what Keras 3's ``keras.ops`` returns (values and dtypes) for calls whose
semantics are Keras' own, for tests/test_ops_keras.py to hold ``numcnn.ops`` to.

Run with the side environment (Keras 3.15.1), never from the tests:

    /work/side/bin/python tests/data/make_keras_ops.py

It runs itself once per Keras backend, because the backends disagree: the dtype calls run under PyTorch, whose
rules are those of Keras' JAX, PyTorch and NumPy backends (Python ints are int32; the TensorFlow backend makes
them int64); the value calls run under TensorFlow, whose 'same' pooling Keras documents (the PyTorch backend
counts some padded zeros in average_pool, and gives matmul's shape for an N-D dot). Inputs are drawn from a
fixed seed and stored with the answers, so the test needs neither Keras nor this script. The manifest (JSON,
under ``manifest``) lists per call the backend, the function, its arguments (stored arrays by key, or JSON
literals), keyword arguments, the keys of the outputs and their dtypes. Data are image-like where it matters:
exact zeros, strokes of ones, ties, saturated probabilities, -0.0 next to 0.0.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("keras_ops.npz")
arrays: dict[str, np.ndarray] = {}
manifest: list[dict] = []
rng = np.random.default_rng(20260502)
ops = None  # keras.ops, imported in the child process once its backend is set


def arr(value, dtype="float32"):
    key = f"in{len(arrays)}"
    arrays[key] = np.asarray(value, dtype=dtype)
    return {"array": key}


def lit(value):
    return {"value": value}


def lst(*items):
    return {"list": list(items)}


def resolve(spec):
    """A stored argument: an array by key, a list of arguments, or a JSON literal (wrapped by ``lit`` or bare)."""
    if not isinstance(spec, dict):
        return spec
    if "array" in spec:
        return arrays[spec["array"]]
    if "list" in spec:
        return [resolve(s) for s in spec["list"]]
    return spec["value"]


def case(fn: str, *args, **kwargs):
    import keras

    result = getattr(ops, fn)(*[resolve(a) for a in args], **kwargs)
    results = list(result) if isinstance(result, (list, tuple)) else [result]
    keys, dtypes = [], []
    for r in results:
        key = f"out{len(manifest)}_{len(keys)}"
        arrays[key] = np.asarray(ops.convert_to_numpy(r))
        keys.append(key)
        dtypes.append(keras.backend.standardize_dtype(r.dtype))
    manifest.append({"fn": fn, "args": list(args), "kwargs": kwargs, "outputs": keys, "dtypes": dtypes})


def normal(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def image_like(n, h, w, c):
    """Mostly exact zeros, a stroke of ones, a saturated pixel and a tie."""
    x = np.zeros((n, h, w, c), np.float32)
    x[:, h // 2, 1 : w - 1, :] = 1.0
    x[0, 0, 0, 0] = 3.0
    x[-1, 1, 1, :] = 1.0  # ties with the stroke
    return x


# -- dtypes (PyTorch backend) -----------------------------------------------------------------------------
def dtype_cases():
    case("convert_to_tensor", lit([1.0, 2.0]))
    case("convert_to_tensor", lit([1, 2]))
    case("convert_to_tensor", lit([True, False]))
    case("add", arr([1, 2], "int32"), arr([0.5, 1.5], "float32"))
    case("add", arr([1, 2], "int64"), arr([0.5, 1.5], "float32"))
    case("add", arr([1, 2], "uint8"), arr([-1, 2], "int8"))
    case("add", arr([1.0, 2.0], "float32"), lit(2.0))
    case("add", arr([1.0, 2.0], "float32"), arr([1.0, 2.0], "float64"))
    case("multiply", arr([1, 2], "int8"), lit(3))
    case("multiply", arr([1, 2], "int8"), lit(2.5))
    case("multiply", arr([True, False], "bool"), lit(3))
    case("add", lit(1), lit(2.5))
    case("mean", arr([1, 2, 4], "int32"))
    case("sqrt", arr([1, 4], "int32"))
    case("exp", arr([0, 1], "int64"))
    case("divide", arr([1, 2], "int32"), arr([2, 4], "int32"))
    case("sum", arr([1, 2], "int8"))
    case("sum", arr([True, True, False], "bool"))
    # (not uint8: the PyTorch backend has no uint32, which Keras gives it elsewhere)
    case("square", arr([True, False], "bool"))
    case("power", arr([1, 2], "int32"), lit(2))
    case("power", arr([1, 2], "int32"), lit(2.0))
    case("argmax", arr([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]]), axis=1)
    case("one_hot", arr([0, 2, 1], "int32"), 3)
    case("arange", lit(4))
    case("arange", lit(0), lit(2), lit(0.5))
    case("zeros", lit([2, 3]))
    case("full", lit([2]), lit(7))
    case("eye", lit(3), k=1)
    case("clip", arr([True, False], "bool"), lit(0), lit(1))
    case("max", arr([True, False], "bool"))
    case("where", arr([True, False], "bool"), lit(1), lit(2.0))
    case("concatenate", lst(arr([1, 2], "int32"), arr([0.5], "float32")))


# -- values (TensorFlow backend) ---------------------------------------------------------------------------
def value_cases():
    activations()
    reductions()
    crossentropies()
    convolutions()
    moves()


def activations():
    x = arr(np.concatenate([np.linspace(-8, 8, 17), [0.0, -0.0, 1e-4, -1e-4]]))
    names = "relu relu6 sigmoid softplus softsign silu swish log_sigmoid hard_sigmoid hard_silu hard_tanh selu elu"
    for fn in (*names.split(), "celu", "gelu", "leaky_relu", "tanh", "sparse_plus"):
        case(fn, x)
    case("gelu", x, approximate=False)
    case("leaky_relu", x, negative_slope=0.1)
    case("elu", x, alpha=0.5)
    case("celu", x, alpha=2.0)
    logits = arr(np.vstack([normal(3, 5) * 3, [[1000.0, -1000.0, 0.0, 0.0, 1.0]], [[1.0] * 5]]))
    case("softmax", logits)
    case("softmax", logits, axis=0)
    case("log_softmax", logits)
    case("logsumexp", logits, axis=1)
    case("logsumexp", logits)


def reductions():
    # reductions, ties and signed zeros
    # (no NaN: TensorFlow's argmax skips NaNs, NumPy's and JAX's pick the first)
    ties = arr([[0.0, -0.0, 0.0], [-0.0, 0.0, -1.0], [2.0, 2.0, 1.0], [1.0, 3.0, 3.0]])
    case("argmax", ties, axis=1)
    case("argmin", ties, axis=1)
    case("argmax", ties)
    case("argmin", ties, axis=0, keepdims=True)
    case("max", arr([[np.nan, 1.0], [2.0, 2.0]]), axis=0)
    m = arr(normal(4, 6))
    case("var", m, axis=1)
    case("std", m, axis=0, keepdims=True)
    case("moments", m, axes=[0, 1])
    case("moments", m, axes=[1], keepdims=True)
    case("cumsum", m, axis=1)
    case("prod", arr([[1.0, 0.0, 3.0], [2.0, -1.0, 0.5]]), axis=1)
    case("top_k", arr([[1.0, 3.0, 3.0, 2.0, 3.0], [0.0, 0.0, 0.0, 0.0, -1.0]]), 3)
    case(
        "in_top_k",
        arr([2, 0, 4], "int32"),
        arr([[1.0, 3.0, 3.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0, -1.0], [5.0, 4.0, 3.0, 2.0, 1.0]]),
        2,
    )
    case("round", arr([0.5, 1.5, 2.5, -0.5, 2.675]))
    case("mod", arr([-3.0, 3.0, -3.5]), arr([2.0, -2.0, 2.0]))
    case("floor_divide", arr([-3.0, 3.0, -3.5]), arr([2.0, -2.0, 2.0]))


def crossentropies():
    # one-hot and crossentropies
    case("one_hot", arr([0, 2, -1], "int32"), 3)
    case("one_hot", arr([[0, 1], [2, 0]], "int32"), 3, axis=0)
    probs = np.abs(normal(6, 4)) + 0.05
    probs[0] = [1.0, 0.0, 0.0, 0.0]  # saturated: the clip bites at 1 - ε and at ε
    probs[1] = [0.0, 1.0, 0.0, 0.0]
    target = np.eye(4, dtype=np.float32)[[0, 0, 1, 2, 3, 3]]
    case("categorical_crossentropy", arr(target), arr(probs * 3))  # not normalised: Keras divides by the sum
    case("categorical_crossentropy", arr(target), arr(normal(6, 4) * 4), from_logits=True)
    case("categorical_crossentropy", arr(target.T), arr((probs * 3).T), axis=0)
    # rows that sum to 1 and are not saturated: TensorFlow's sparse crossentropy clips before normalising, its
    # categorical one (and Keras' NumPy backend) normalises first, which differs where the clip bites
    rows = probs[2:] / probs[2:].sum(axis=1, keepdims=True)
    case("sparse_categorical_crossentropy", arr([1, 2, 3, 3], "int32"), arr(rows))
    case(
        "sparse_categorical_crossentropy",
        arr([[0], [0], [1], [2], [3], [3]], "int32"),
        arr(normal(6, 4)),
        from_logits=True,
    )
    bt = arr((rng.random((3, 4)) > 0.5).astype(np.float32))
    case(
        "binary_crossentropy",
        bt,
        arr(np.array([[0.0, 1.0, 0.5, 0.2], [0.9, 0.1, 1e-9, 1 - 1e-9], [0.3, 0.3, 0.7, 0.7]])),
    )
    case("binary_crossentropy", bt, arr(normal(3, 4) * 5), from_logits=True)


def convolutions():
    # convolution and pooling
    img = arr(image_like(2, 7, 6, 2))
    img_random = arr(normal(2, 7, 6, 2))
    k33 = arr(normal(3, 3, 2, 3))
    for inputs in (img, img_random):
        case("conv", inputs, k33)
        case("conv", inputs, k33, strides=2, padding="same")
        case("conv", inputs, arr(normal(2, 3, 2, 4)), strides=1, padding="same", dilation_rate=(2, 1))
        case("max_pool", inputs, 2)
        case("max_pool", inputs, 3, strides=2, padding="same")
        case("average_pool", inputs, (2, 3), strides=1, padding="same")
        case("average_pool", inputs, 3, strides=2, padding="valid")
        case("depthwise_conv", inputs, arr(normal(3, 3, 2, 2)), padding="same")
        case("separable_conv", inputs, arr(normal(3, 3, 2, 2)), arr(normal(1, 1, 4, 3)), strides=2)
    case("conv", arr(normal(2, 4, 7, 6)), arr(normal(3, 3, 4, 2)), data_format="channels_first", padding="same")
    case("conv", arr(normal(2, 7, 6, 4)), arr(normal(3, 3, 2, 6)))  # two groups
    signal = arr(normal(2, 9, 3))
    case("conv", signal, arr(normal(3, 3, 2)), padding="same")
    case("conv", signal, arr(normal(4, 3, 2)), strides=2)
    case("max_pool", signal, 2, padding="same")
    case("average_pool", signal, 3, strides=2, padding="same")


def moves():
    # moving elements
    a = arr(normal(3, 4))
    case("split", a, [1, 3], axis=1)
    case("split", a, 3, axis=0)
    case("squeeze", arr(normal(1, 3, 1)))
    case("expand_dims", a, (0, 3))
    case("pad", a, ((1, 2), (0, 1)), mode="reflect")
    case("pad", a, ((1, 1), (1, 1)), constant_values=5.0)
    case("repeat", a, 2, axis=0)  # a list of repeats trips the PyTorch backend (its own `all`)
    case("tile", a, (2, 1, 2))
    case("take", a, arr([[0, 3], [-1, 1]], "int32"), axis=1)
    case("take_along_axis", a, arr([[0], [3], [1]], "int32"), axis=1)
    case("reshape", a, (-1, 2))
    case("transpose", arr(normal(2, 3, 4)), (2, 0, 1))
    case("moveaxis", arr(normal(2, 3, 4)), 0, -1)
    case("stack", lst(a, a), axis=2)
    case("where", arr([[True], [False], [True]], "bool"), a, arr(np.zeros(4)))
    case("clip", a, -0.5, 0.5)
    case("matmul", arr(normal(2, 3, 4)), arr(normal(4, 5)))
    case("matmul", arr(normal(4)), arr(normal(4, 5)))
    case("dot", arr(normal(3, 4)), arr(normal(2, 4, 5)))  # (3, 2, 5): the PyTorch backend gives matmul's (2, 3, 5)


def part(backend: str, path: str) -> None:
    """One backend's calls, written to ``path`` (run in a process of its own: Keras fixes its backend on import)."""
    global ops
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    ops = keras.ops
    assert keras.backend.backend() == backend
    if backend == "torch":
        dtype_cases()
    else:
        value_cases()
    for entry in manifest:
        entry["backend"] = backend
    np.savez(path, manifest=np.array(json.dumps(manifest)), keras_version=np.array(keras.__version__), **arrays)


def main() -> None:
    merged, entries = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("torch", "tensorflow"):
            path = os.path.join(tmp, f"{backend}.npz")
            subprocess.run([sys.executable, __file__, backend, path], check=True)
            with np.load(path, allow_pickle=False) as f:
                version = str(f["keras_version"])
                for key in f.files:
                    if key not in ("manifest", "keras_version"):
                        merged[f"{backend}_{key}"] = f[key]
                for entry in json.loads(str(f["manifest"])):
                    entry["args"] = _prefixed(entry["args"], backend)
                    entry["outputs"] = [f"{backend}_{k}" for k in entry["outputs"]]
                    entries.append(entry)
    np.savez_compressed(OUT, manifest=np.array(json.dumps(entries)), keras_version=np.array(version), **merged)
    print(f"wrote {OUT}: {len(entries)} calls, Keras {version}")


def _prefixed(spec, backend):
    if isinstance(spec, list):
        return [_prefixed(s, backend) for s in spec]
    if isinstance(spec, dict) and "array" in spec:
        return {"array": f"{backend}_{spec['array']}"}
    if isinstance(spec, dict) and "list" in spec:
        return {"list": _prefixed(spec["list"], backend)}
    return spec


if __name__ == "__main__":
    if len(sys.argv) == 3:
        part(sys.argv[1], sys.argv[2])
    else:
        main()
