"""Eleven small models in the shapes of tests/scripts/, written once against Keras' API so that the same code
builds them in Keras 3 (tests/fixtures/make_keras_oracle.py, in the side environment) and in numcnn
(tests/test_keras_oracle.py), with the data they are run on. ``K`` is the ``keras`` or ``numcnn`` module.

Convolutions and Dense layers that feed a BatchNormalization have no bias, as Keras' ResNet guides write them:
a bias before a BatchNormalization has a gradient that is exactly zero in exact arithmetic, so both frameworks
only update it by float32 rounding noise, which Adam then scales up to a learning-rate-sized step — a
difference between any two implementations, not a finding."""

from __future__ import annotations

import numpy as np


def data() -> dict[str, np.ndarray]:
    """Digit-like images (a bar whose row is the label, speckle; 14×14), colour images, their targets."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 64)
    digits = np.zeros((64, 14, 14), np.float32)
    for i, label in enumerate(labels):
        digits[i, 1 + label : 3 + label, 2:12] = 1.0
    digits = np.maximum(digits, rng.integers(0, 60, digits.shape) * (rng.random(digits.shape) < 0.1) / 255.0)
    digits = digits.astype(np.float32)
    colour = rng.random((64, 16, 16, 3)).astype(np.float32)
    wide_deep = (rng.normal(size=(64, 8)) * 3 + 1).astype(np.float32)
    return {
        "digits": digits,
        "labels": labels,
        "colour": colour,
        "colour_labels": (rng.random((64, 1)) < 0.4).astype(np.float32),
        "wide_deep": wide_deep,
        "sample_weight": np.where(labels == 5, 2.0, 1.0),
    }


def cnn(K, d):
    layers = K.layers
    model = K.Sequential([K.Input((14, 14, 1)), layers.Conv2D(8, 3, activation="relu"),
                          layers.Conv2D(16, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
                          layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax")])  # fmt: skip
    model.compile(loss="categorical_crossentropy", optimizer=K.optimizers.Adadelta(learning_rate=1.0),
                  metrics=["accuracy"])  # fmt: skip
    return model, d["digits"][..., None], K.utils.to_categorical(d["labels"], 10)


def mlp(K, d):
    model = K.Sequential([K.Input((196,)), K.layers.Dense(32, activation="relu"),
                          K.layers.Dense(10, activation="softmax")])  # fmt: skip
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, d["digits"].reshape(-1, 196), d["labels"]


def functional_logits(K, d):
    layers = K.layers
    inputs = K.Input((14, 14, 1))
    x = layers.MaxPooling2D(2)(layers.Conv2D(8, 3, activation="relu")(inputs))
    x = layers.GlobalAveragePooling2D()(layers.Conv2D(16, 3, activation="relu")(x))
    model = K.Model(inputs, layers.Dense(10)(layers.Dense(32, activation="relu")(x)))
    model.compile(loss=K.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer=K.optimizers.RMSprop(),
                  metrics=[K.metrics.SparseCategoricalAccuracy()])  # fmt: skip
    return model, d["digits"][..., None], d["labels"]


def batchnorm_selu(K, d):
    layers = K.layers
    model = K.Sequential([K.Input((14, 14)), layers.Flatten(), layers.BatchNormalization(),
                          layers.Dense(32, kernel_initializer="he_normal", use_bias=False),
                          layers.BatchNormalization(), layers.LeakyReLU(negative_slope=0.2),
                          layers.Dense(16, activation="selu", kernel_initializer="lecun_normal"),
                          layers.Dense(10, activation="softmax")])  # fmt: skip
    optimizer = K.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True, clipvalue=1.0)
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"], optimizer=optimizer)
    return model, d["digits"], d["labels"]


def l2_binary_logits(K, d):
    schedule = K.optimizers.schedules.InverseTimeDecay(0.001, decay_steps=3, decay_rate=1, staircase=False)
    model = K.Sequential([K.Input((196,)),
                          K.layers.Dense(16, activation="elu", kernel_regularizer=K.regularizers.l2(0.001)),
                          K.layers.Dense(1)])  # fmt: skip
    crossentropy = K.metrics.BinaryCrossentropy(from_logits=True, name="binary_crossentropy")
    model.compile(optimizer=K.optimizers.Adam(schedule), loss=K.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[crossentropy, "accuracy"])  # fmt: skip
    return model, d["digits"].reshape(-1, 196), (d["labels"] < 5).astype(np.float32).reshape(-1, 1)


def separable_residual(K, d):
    layers = K.layers
    inputs = K.Input((16, 16, 3))
    x = layers.Rescaling(1.0 / 2)(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization()(layers.Conv2D(8, 3, strides=2, padding="same",
                                                                            use_bias=False)(x)))  # fmt: skip
    previous = x
    x = layers.BatchNormalization()(layers.SeparableConv2D(8, 3, padding="same", use_bias=False)(x))
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = layers.add([x, layers.Conv2D(8, 1, strides=2, padding="same")(previous)])
    model = K.Model(inputs, layers.Dense(1)(layers.GlobalAveragePooling2D()(x)))
    model.compile(optimizer=K.optimizers.Adam(3e-3), loss=K.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[K.metrics.BinaryAccuracy(name="acc")])  # fmt: skip
    return model, d["colour"], d["colour_labels"]


def precision_recall_auc(K, d):
    model = K.Sequential([K.Input((196,)), K.layers.Dense(16, activation="relu"),
                          K.layers.Dense(1, activation="sigmoid")])  # fmt: skip
    model.compile(optimizer=K.optimizers.Adam(1e-2), loss="binary_crossentropy",
                  metrics=["acc", K.metrics.Precision(name="precision"), K.metrics.Recall(name="recall"),
                           K.metrics.AUC(name="auc")])  # fmt: skip
    return model, d["digits"].reshape(-1, 196), (d["labels"] == 3).astype(np.float32).reshape(-1, 1)


def wide_deep(K, d):
    layers = K.layers
    wide, deep = K.Input((5,)), K.Input((6,))
    norm_wide, norm_deep = layers.Normalization(), layers.Normalization()
    hidden = layers.Dense(8, activation="relu")(layers.Dense(8, activation="relu")(norm_deep(deep)))
    main = layers.Dense(1, name="main")(layers.concatenate([norm_wide(wide), hidden]))
    model = K.Model([wide, deep], [main, layers.Dense(1, name="aux")(hidden)])
    model.compile(loss=("mse", "mse"), loss_weights=(0.9, 0.1), optimizer=K.optimizers.Adam(1e-3),
                  metrics=["RootMeanSquaredError", "RootMeanSquaredError"])  # fmt: skip
    x = d["wide_deep"]
    norm_wide.adapt(x[:, :5])
    norm_deep.adapt(x[:, 2:])
    return model, [x[:, :5], x[:, 2:]], [x[:, :1] * 0.5, x[:, :1] * 0.5]


def resizing(K, d):
    model = K.Sequential([K.Input((16, 16, 3)), K.layers.Resizing(10, 12), K.layers.Conv2D(4, 3, activation="relu"),
                          K.layers.Flatten(), K.layers.Dense(1)])  # fmt: skip
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model, d["colour"], d["colour_labels"]


def resizing_crop_nearest(K, d):
    model = K.Sequential([K.Input((16, 12, 3)),
                          K.layers.Resizing(6, 9, interpolation="nearest", crop_to_aspect_ratio=True),
                          K.layers.Flatten(), K.layers.Dense(1)])  # fmt: skip
    model.compile(optimizer="adam", loss="mse")
    return model, d["colour"][:, :, :12], d["colour_labels"]


def weighted_metrics(K, d):
    model = K.Sequential([K.Input((196,)), K.layers.Dense(16, activation="relu"),
                          K.layers.Dense(10, activation="softmax")])  # fmt: skip
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])  # fmt: skip
    return model, d["digits"].reshape(-1, 196), d["labels"]


MODELS = [cnn, mlp, functional_logits, batchnorm_selu, l2_binary_logits, separable_residual, precision_recall_auc,
          wide_deep, resizing, resizing_crop_nearest, weighted_metrics]  # fmt: skip


def run(model, x, y, sample_weight) -> dict[str, np.ndarray]:
    """predict, evaluate (with sample weights too), one train_on_batch step (its logs, and the weights after
    it through ``summary_of``) and a 2-epoch unshuffled fit."""
    out = {}
    for i, p in enumerate(_listed(model.predict(x, verbose=0))):
        out[f"predict/{i}"] = np.asarray(p)
    for key, value in model.evaluate(x, y, verbose=0, return_dict=True).items():
        out[f"evaluate/{key}"] = np.float64(value)
    for key, value in model.evaluate(x, y, sample_weight=sample_weight, verbose=0, return_dict=True).items():
        out[f"evaluate_weighted/{key}"] = np.float64(value)
    for key, value in model.train_on_batch(x, y, return_dict=True).items():
        out[f"train_on_batch/{key}"] = np.float64(value)
    for i, w in enumerate(model.get_weights()):
        out[f"after_step/{i}"] = summary_of(np.asarray(w))
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for key, values in history.history.items():
        out[f"fit/{key}"] = np.asarray(values, np.float64)
    for i, p in enumerate(_listed(model.predict(x, verbose=0))):
        out[f"after_fit/{i}"] = np.asarray(p)
    return out


def summary_of(weight: np.ndarray) -> np.ndarray:
    """A small weight as it is; a large one (to keep the fixture small) as 8 seeded random projections,
    ``P·w/√n``, which any changed entry moves."""
    if weight.size <= 1024:
        return weight
    projections = np.random.default_rng(weight.size).standard_normal((8, weight.size))
    return projections @ weight.ravel().astype(np.float64) / np.sqrt(weight.size)


def _listed(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]
