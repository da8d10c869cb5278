"""Write the Keras fixtures under ``tests/data/keras/``: model files written by Keras itself, with the
predictions Keras gave on fixed inputs, so that numcnn's tests can pin Keras' file layouts without Keras.

Run once in a side virtualenv that has Keras 3, TensorFlow and tf_keras (never a numcnn dependency)::

    /work/side/bin/python tests/data/make_keras_fixtures.py [--seed 1234]

For every model ``<stem>`` it writes the Keras file(s) (``<stem>.keras``, ``<stem>.weights.h5``, ``<stem>.h5``)
and ``<stem>.npz`` (plain arrays, no pickles) holding ``x`` (the fixed inputs) and ``y`` (Keras' predictions on
them). Optimizer fixtures also hold ``x_next``/``y_next`` (one more training batch) and ``weights_next/<i>``
(``model.get_weights()`` after Keras trained on that batch), so a reader can check that training resumes from
the saved optimizer state exactly as Keras resumes it. ``manifest.json`` records the library versions, the seed
and, per file, the optimizer's variable paths in the order Keras stores them.

The arrays are determined by the seed (Keras', NumPy's and TensorFlow's seeds are set, TF ops deterministic);
the files' bytes are not, since Keras stamps ``metadata.json`` with the date and the zip entries with the time.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras  # noqa: E402  (Keras 2, for the legacy files)
from keras import layers  # noqa: E402

tf.get_logger().setLevel("ERROR")  # retracing notes and the legacy-.h5 advice are expected here

OUT = Path(__file__).resolve().parent / "keras"


def images(rng, n, h, w, c):
    """Image-like inputs: mostly exact zeros, a few strokes of ones, one saturated blob, one blank image."""
    x = np.zeros((n, h, w, c), np.float32)
    for i in range(n - 1):
        for _ in range(3):
            r, col = rng.integers(0, h), rng.integers(0, w)
            x[i, r, col : col + rng.integers(2, 5), rng.integers(0, c)] = 1.0
        r, col = rng.integers(0, max(h - 1, 1)), rng.integers(0, max(w - 1, 1))
        x[i, r : r + 2, col : col + 2, :] = rng.uniform(0.2, 1.0)
    return x  # the last image stays all zeros


def one_hot(rng, n, k):
    return np.eye(k, dtype=np.float32)[rng.integers(0, k, n)]


def save_npz(stem, **arrays):
    np.savez(OUT / f"{stem}.npz", **{k: np.asarray(v) for k, v in arrays.items()})


def optimizer_paths(model):
    return [v.path for v in model.optimizer.variables] if model.optimizer is not None else []


def fit_steps(model, x, y, steps):
    for _ in range(steps):
        model.train_on_batch(x, y)


def notebook_model():
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, (3, 3), padding="valid", activation="relu"),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def notebook(rng, manifest):
    model = notebook_model()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    fit_steps(model, images(rng, 16, 28, 28, 1), one_hot(rng, 16, 10), 3)
    # Saved from a compiled copy that has not trained: the trained weights and the compile config, without
    # Adam's two moments per weight (4.9 MB instead of 14.6; the small optimizer fixtures pin that layout).
    # (keras.models.clone_model would share the compiled optimizer.) Its layers are named conv2d_2, ….
    plain = notebook_model()
    plain.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    plain.set_weights(model.get_weights())
    plain.save(OUT / "notebook.keras")
    x = images(rng, 4, 28, 28, 1)
    save_npz("notebook", x=x, y=model.predict(x, verbose=0))
    manifest["notebook.keras"] = {"optimizer_variables": optimizer_paths(plain)}


def bn_dropout(rng, manifest):
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            layers.Conv2D(4, 3),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.Dropout(0.3),
            layers.Flatten(),
            layers.Dense(6),
            layers.BatchNormalization(momentum=0.9, epsilon=1e-2, center=False),
            layers.Dropout(0.2),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    fit_steps(model, images(rng, 16, 8, 8, 1), one_hot(rng, 16, 3), 4)
    model.save(OUT / "bn_dropout.keras")
    model.save_weights(OUT / "bn_dropout.weights.h5")  # Keras 3's weights file, with Adam's state too
    x = images(rng, 5, 8, 8, 1)
    save_npz("bn_dropout", x=x, y=model.predict(x, verbose=0))
    manifest["bn_dropout.keras"] = {"optimizer_variables": optimizer_paths(model)}
    manifest["bn_dropout.weights.h5"] = {"optimizer_variables": optimizer_paths(model)}


def residual(rng, manifest):
    inputs = keras.Input((8, 8, 2))
    first = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    second = layers.Conv2D(4, 3, padding="same")(first)
    added = layers.Add()([second, first])
    pooled = layers.GlobalAveragePooling2D()(added)
    outputs = layers.Dense(3, activation="softmax")(pooled)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    fit_steps(model, images(rng, 8, 8, 8, 2), one_hot(rng, 8, 3), 2)
    model.save(OUT / "residual.keras")
    x = images(rng, 4, 8, 8, 2)
    save_npz("residual", x=x, y=model.predict(x, verbose=0))
    manifest["residual.keras"] = {"optimizer_variables": optimizer_paths(model)}


def legacy(rng, manifest):
    """tf.keras (Keras 2) full-model .h5 and weights-only .h5; Keras 3's own legacy .h5 writer too."""
    k2 = tf_keras
    model = k2.Sequential(
        [
            k2.layers.Conv2D(4, (3, 3), activation="relu", input_shape=(8, 8, 1)),
            k2.layers.MaxPooling2D((2, 2)),
            k2.layers.Flatten(),
            k2.layers.Dense(5, activation="relu"),
            k2.layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x_train, y_train = images(rng, 16, 8, 8, 1), one_hot(rng, 16, 3)
    for _ in range(3):
        model.train_on_batch(x_train, y_train)
    model.save(OUT / "keras2_model.h5")
    model.save_weights(OUT / "keras2_weights.h5")
    x = images(rng, 4, 8, 8, 1)
    save_npz("keras2", x=x, y=model.predict(x, verbose=0))
    manifest["keras2_model.h5"] = {"optimizer_variables": [v.name for v in model.optimizer.variables()]}

    model3 = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            layers.Conv2D(4, (3, 3), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model3.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    fit_steps(model3, x_train, y_train, 2)
    model3.save(OUT / "keras3_legacy.h5")
    save_npz("keras3_legacy", x=x, y=model3.predict(x, verbose=0))
    manifest["keras3_legacy.h5"] = {"optimizer_variables": optimizer_paths(model3)}


def nested(rng, manifest):
    """Models inside models: a Functional calling a Sequential and a Functional (the latter also an output,
    whose node Keras numbers from 1), a layer shared twice, a call with training=False, two outputs with their
    own losses and loss weights; a Sequential holding a Sequential; tf_keras' Functional with a nested
    Sequential and a residual Add (Keras 2's node format)."""
    block = keras.Sequential(
        [keras.Input((6,)), layers.Dense(5, activation="relu"), layers.BatchNormalization()], name="block"
    )
    head_in = keras.Input((5,))
    head = keras.Model(head_in, layers.Activation("relu")(layers.Dense(4)(head_in)), name="head")
    x = keras.Input((6,))
    b = head(block(x))
    shared = layers.Dense(4, activation="tanh")
    # Keras 3 lets the model's mode override a call's training= (fit trains it anyway): a rate of 0 keeps the
    # fixture's next step reproducible while the config still carries the call's kwargs
    c = shared(shared(layers.Dropout(0.0)(b, training=False)))
    model = keras.Model(x, [layers.Dense(3, activation="softmax")(c), b])
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=["categorical_crossentropy", "mse"],
        loss_weights=[1.0, 0.5],
        metrics=[["accuracy"], ["mae"]],
    )
    x_train = rng.normal(size=(8, 6)).astype(np.float32)
    y_train = [one_hot(rng, 8, 3), rng.normal(size=(8, 4)).astype(np.float32)]
    for _ in range(2):
        model.train_on_batch(x_train, y_train)
    model.save(OUT / "nested.keras")
    xs = rng.normal(size=(4, 6)).astype(np.float32)
    y0, y1 = model.predict(xs, verbose=0)
    x_next, y_next = rng.normal(size=(8, 6)).astype(np.float32), [one_hot(rng, 8, 3), rng.normal(size=(8, 4))]
    model.train_on_batch(x_next, [y_next[0], y_next[1].astype(np.float32)])
    after = {f"weights_next/{i}": w for i, w in enumerate(model.get_weights())}
    save_npz("nested", x=xs, y0=y0, y1=y1, x_next=x_next, y_next0=y_next[0], y_next1=y_next[1], **after)
    manifest["nested.keras"] = {"optimizer_variables": optimizer_paths(model)}

    seq = keras.Sequential(
        [
            keras.Input((6, 6, 1)),
            layers.Conv2D(3, 3),
            keras.Sequential([layers.Flatten(), layers.Dense(4, activation="relu")], name="inner"),
            layers.Dense(2, activation="softmax"),
        ]
    )
    seq.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="categorical_crossentropy")
    for _ in range(2):
        seq.train_on_batch(images(rng, 8, 6, 6, 1), one_hot(rng, 8, 2))
    seq.save(OUT / "sequential_nested.keras")
    xs = images(rng, 3, 6, 6, 1)
    save_npz("sequential_nested", x=xs, y=seq.predict(xs, verbose=0))
    manifest["sequential_nested.keras"] = {"optimizer_variables": optimizer_paths(seq)}

    k2 = tf_keras
    inp = k2.Input((6,))
    inner = k2.Sequential([k2.layers.Dense(5, activation="relu", input_shape=(6,)), k2.layers.Dense(6)])
    out = k2.layers.Dense(3, activation="softmax")(k2.layers.Add()([inner(inp), inp]))
    legacy_model = k2.Model(inp, out)
    legacy_model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    for _ in range(2):
        legacy_model.train_on_batch(rng.normal(size=(8, 6)).astype(np.float32), one_hot(rng, 8, 3))
    legacy_model.save(OUT / "keras2_functional.h5")
    xs = rng.normal(size=(4, 6)).astype(np.float32)
    save_npz("keras2_functional", x=xs, y=legacy_model.predict(xs, verbose=0))
    manifest["keras2_functional.h5"] = {"optimizer_variables": [v.name for v in legacy_model.optimizer.variables()]}


def layer_models():
    """One small model per layer type numcnn has: (stem, input shape, layers)."""
    init = {"kernel_initializer": "he_uniform", "bias_initializer": keras.initializers.Constant(0.1)}
    return [
        ("input_layer", (5, 5, 2), [layers.Activation("linear")]),
        ("conv2d_same_strided", (7, 7, 2), [layers.Conv2D(3, (3, 2), strides=(2, 1), padding="same", **init)]),
        ("conv2d_valid_relu", (6, 6, 1), [layers.Conv2D(2, 3, activation="relu", use_bias=False)]),
        ("dense", (4,), [layers.Dense(3, activation="tanh", **init)]),
        ("flatten", (3, 2, 2), [layers.Flatten()]),
        ("max_pooling2d", (5, 5, 2), [layers.MaxPooling2D((2, 2), strides=1, padding="same")]),
        ("average_pooling2d", (5, 5, 2), [layers.AveragePooling2D(pool_size=3, strides=2)]),
        ("global_average_pooling2d", (4, 3, 2), [layers.GlobalAveragePooling2D()]),
        ("global_max_pooling2d", (4, 3, 2), [layers.GlobalMaxPooling2D(keepdims=True)]),
        ("batch_normalization", (3, 3, 2), [layers.BatchNormalization(momentum=0.8, epsilon=1e-4)]),
        ("dropout", (6,), [layers.Dropout(0.4, seed=7)]),
        ("activation", (6,), [layers.Activation("softmax")]),
        ("reshape", (2, 6), [layers.Reshape((3, -1))]),
        ("zero_padding2d", (3, 3, 1), [layers.ZeroPadding2D(((1, 0), (2, 1)))]),
    ]


def layer_fixtures(rng, manifest):
    (OUT / "layers").mkdir(exist_ok=True)
    for stem, shape, stack in layer_models():
        model = keras.Sequential([keras.Input(shape), *stack])
        x = images(rng, 3, *shape) if len(shape) == 3 else rng.normal(size=(3, *shape)).astype(np.float32)
        if stem == "batch_normalization":  # move the moving statistics off their initial values
            for _ in range(3):
                model(x + rng.normal(size=x.shape).astype(np.float32), training=True)
        model.save(OUT / "layers" / f"{stem}.keras")
        save_npz(f"layers/{stem}", x=x, y=model.predict(x, verbose=0))
        manifest[f"layers/{stem}.keras"] = {"optimizer_variables": []}


def optimizer_list():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=2, decay_rate=0.5)
    o = keras.optimizers
    return [
        ("sgd_momentum", o.SGD(learning_rate=0.05, momentum=0.9, nesterov=True)),
        ("sgd", o.SGD()),
        ("rmsprop_centered", o.RMSprop(momentum=0.5, centered=True)),
        ("rmsprop", o.RMSprop()),
        ("adagrad", o.Adagrad(learning_rate=0.05)),
        ("adam", o.Adam(learning_rate=0.01)),
        ("adam_amsgrad", o.Adam(learning_rate=0.01, amsgrad=True)),
        ("adam_schedule", o.Adam(learning_rate=schedule, clipnorm=1.0)),
        ("adamw", o.AdamW(learning_rate=0.01, weight_decay=0.1)),
        ("adadelta", o.Adadelta(learning_rate=1.0)),
        ("nadam", o.Nadam(learning_rate=0.01)),
        ("adamax", o.Adamax(learning_rate=0.01)),
        ("lion", o.Lion(learning_rate=0.001)),
        ("ftrl", o.Ftrl(learning_rate=0.05, l1_regularization_strength=0.01)),
    ]


def optimizer_fixtures(rng, manifest):
    """Two Dense layers (4 trainable variables of distinct shapes), a few steps of each optimizer."""
    (OUT / "optimizers").mkdir(exist_ok=True)
    x, y = rng.normal(size=(8, 3)).astype(np.float32), one_hot(rng, 8, 2)
    x_next, y_next = rng.normal(size=(8, 3)).astype(np.float32), one_hot(rng, 8, 2)
    for stem, optimizer in optimizer_list():
        model = keras.Sequential(
            [keras.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(2, activation="softmax")]
        )
        model.compile(optimizer=optimizer, loss="categorical_crossentropy")
        fit_steps(model, x, y, 3)
        model.save(OUT / "optimizers" / f"{stem}.keras")
        if stem == "adam":  # a standalone .weights.h5 with optimizer state (the same layout as inside .keras)
            model.save_weights(OUT / "optimizers" / "adam.weights.h5")
        prediction = model.predict(x, verbose=0)
        model.train_on_batch(x_next, y_next)
        after = {f"weights_next/{i}": w for i, w in enumerate(model.get_weights())}
        save_npz(f"optimizers/{stem}", x=x, y=prediction, x_next=x_next, y_next=y_next, **after)
        manifest[f"optimizers/{stem}.keras"] = {
            "optimizer_variables": optimizer_paths(model),
            "optimizer_variable_shapes": [list(v.shape) for v in model.optimizer.variables],
        }


def keras_configs():
    """Keras' serialized form of each built-in object the config mapping names, at its defaults (and a few
    numcnn lacks, which the mapping must refuse by name)."""
    ser = keras.saving.serialize_keras_object
    i, lo, me, o = keras.initializers, keras.losses, keras.metrics, keras.optimizers
    initializers = [i.GlorotUniform(), i.GlorotNormal(), i.HeNormal(), i.HeUniform(), i.LecunNormal()]
    initializers += [i.LecunUniform(), i.Zeros(), i.Ones(), i.Constant(0.5), i.RandomNormal(), i.RandomUniform()]
    initializers += [i.TruncatedNormal(), i.VarianceScaling(), i.Orthogonal(), i.Identity()]
    losses = [lo.CategoricalCrossentropy(), lo.SparseCategoricalCrossentropy(), lo.BinaryCrossentropy()]
    losses += [lo.MeanSquaredError(), lo.Huber()]
    metrics = [me.CategoricalAccuracy(), me.SparseCategoricalAccuracy(), me.BinaryAccuracy(), me.AUC()]
    optimizers = [o.SGD(), o.RMSprop(), o.Adagrad(), o.Adam(), o.AdamW(), o.Adadelta(), o.Nadam(), o.Adamax()]
    optimizers += [o.Lion(), o.Ftrl()]
    return {
        "initializers": [ser(x) for x in initializers],
        "losses": [ser(x) for x in losses],
        "metrics": [ser(x) for x in metrics],
        "optimizers": [ser(x) for x in optimizers],
        "activations": [ser(keras.activations.get(n)) for n in ("relu", "softmax", "linear", "tanh", "swish")],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--only", nargs="*", metavar="GROUP", help="remake these groups only, e.g. --only nested")
    args = parser.parse_args()
    tf.config.experimental.enable_op_determinism()
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((OUT / "manifest.json").read_text())["files"] if args.only else {}
    groups = (notebook, bn_dropout, residual, legacy, layer_fixtures, optimizer_fixtures, nested)
    for index, make in enumerate(groups):
        if args.only and make.__name__ not in args.only:
            continue
        # Each group seeded on its own, so that one group's files do not depend on what the others drew.
        keras.utils.set_random_seed(args.seed + index)
        tf_keras.utils.set_random_seed(args.seed + index)
        keras.backend.clear_session()  # layer names restart at conv2d, dense, … in every group
        make(np.random.default_rng([args.seed, index]), manifest)
    versions = {
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "tf_keras": tf_keras.__version__,
        "h5py": h5py.__version__,
        "hdf5": h5py.version.hdf5_version,
        "numpy": np.__version__,
        "backend": keras.backend.backend(),
    }
    (OUT / "manifest.json").write_text(
        json.dumps({"versions": versions, "seed": args.seed, "files": manifest}, indent=1) + "\n"
    )
    if not args.only:  # its default names count the objects made before, in this process
        (OUT / "configs.json").write_text(json.dumps(keras_configs(), indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {sum(1 for p in OUT.rglob('*') if p.is_file())} files, {total / 1e6:.2f} MB, to {OUT}")


if __name__ == "__main__":
    main()
