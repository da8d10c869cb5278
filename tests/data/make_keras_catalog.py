"""Write ``tests/data/keras/catalog.json``: how Keras 3 serializes every built-in object a model file can name,
at its defaults and with other arguments, so that numcnn's mapping can be tested against Keras' own spelling
without Keras.

Run once in the side virtualenv (Keras is never a numcnn dependency)::

    /work/side/bin/python tests/data/make_keras_catalog.py

The catalog holds, per family (``initializers``, ``regularizers``, ``constraints``, ``activations``,
``losses``, ``metrics``, ``optimizers``, ``schedules``), ``keras.saving.serialize_keras_object`` of each object;
``layers``: each layer's spec as it appears in a ``.keras`` config (with ``build_config``), built on a fixed
input shape (recorded beside it), for the layers numcnn has and for those it is getting (merge, activation,
preprocessing, convolution, resampling, shape layers), so that entries added later are checked against
Keras as soon as numcnn has the class; ``compile``: ``get_compile_config()`` of models compiled with strings,
objects, functions, several outputs; ``names``: the strings Keras' ``losses.get``/``metrics.get`` resolve.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
from keras import layers as L  # noqa: E402

OUT = Path(__file__).resolve().parent / "keras" / "catalog.json"
ser = keras.saving.serialize_keras_object


def objects():
    i, r, c, lo, me, o = (
        keras.initializers,
        keras.regularizers,
        keras.constraints,
        keras.losses,
        keras.metrics,
        keras.optimizers,
    )
    s = o.schedules
    return {
        "initializers": [
            i.GlorotUniform(),
            i.GlorotNormal(seed=3),
            i.HeNormal(),
            i.HeUniform(seed=1),
            i.LecunNormal(),
            i.LecunUniform(),
            i.Zeros(),
            i.Ones(),
            i.Constant(0.25),
            i.RandomNormal(mean=1.0, stddev=0.5, seed=2),
            i.RandomUniform(minval=-1.0, maxval=2.0),
            i.TruncatedNormal(stddev=0.2),
            i.VarianceScaling(scale=2.0, mode="fan_avg", distribution="uniform", seed=4),
            i.Orthogonal(),
            i.Identity(),
        ],
        "regularizers": [
            r.L1(),
            r.L1(0.5),
            r.L2(),
            r.L2(0.25),
            r.L1L2(l1=0.1, l2=0.2),
            r.OrthogonalRegularizer(),
            r.OrthogonalRegularizer(factor=0.5, mode="columns"),
        ],
        "constraints": [
            c.MaxNorm(),
            c.MaxNorm(3.0, axis=[0, 1]),
            c.NonNeg(),
            c.UnitNorm(axis=1),
            c.MinMaxNorm(),
            c.MinMaxNorm(0.5, 2.0, rate=0.5, axis=1),
        ],
        "activations": [
            keras.activations.get(n)
            for n in (
                "linear",
                "relu",
                "softmax",
                "sigmoid",
                "tanh",
                "leaky_relu",
                "elu",
                "gelu",
                "softplus",
                "selu",
                "silu",
                "swish",
                "hard_sigmoid",
                "hard_silu",
                "hard_swish",
                "mish",
                "log_softmax",
                "relu6",
                "softsign",
                "exponential",
                "celu",
                "hard_tanh",
                "log_sigmoid",
                "tanh_shrink",
                "sparse_plus",
                "sparse_sigmoid",
                "squareplus",
                "glu",
                "threshold",
            )
        ],
        "losses": [
            lo.CategoricalCrossentropy(),
            lo.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
            lo.SparseCategoricalCrossentropy(),
            lo.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
            lo.BinaryCrossentropy(),
            lo.BinaryCrossentropy(from_logits=True, label_smoothing=0.2),
            lo.MeanSquaredError(),
            lo.MeanAbsoluteError(),
            lo.MeanAbsolutePercentageError(),
            lo.MeanSquaredLogarithmicError(),
            lo.Huber(),
            lo.LogCosh(),
            lo.KLDivergence(),
            lo.Poisson(),
            lo.CosineSimilarity(),
            lo.Hinge(),
            lo.SquaredHinge(),
            lo.CategoricalHinge(),
            lo.MeanSquaredError(name="my_mse", reduction="sum"),
            lo.BinaryFocalCrossentropy(),
            lo.Dice(),
        ],
        "metrics": [
            me.Accuracy(),
            me.BinaryAccuracy(),
            me.BinaryAccuracy(threshold=0.3),
            me.CategoricalAccuracy(),
            me.SparseCategoricalAccuracy(),
            me.TopKCategoricalAccuracy(),
            me.TopKCategoricalAccuracy(k=3),
            me.SparseTopKCategoricalAccuracy(k=2),
            me.AUC(),
            me.AUC(num_thresholds=50, curve="PR"),
            me.Precision(),
            me.Precision(thresholds=0.3, class_id=1),
            me.Recall(top_k=2),
            me.TruePositives(),
            me.FalsePositives(thresholds=[0.2, 0.7]),
            me.TrueNegatives(),
            me.FalseNegatives(),
            me.MeanSquaredError(),
            me.MeanAbsoluteError(),
            me.MeanAbsolutePercentageError(),
            me.MeanSquaredLogarithmicError(),
            me.RootMeanSquaredError(),
            me.LogCoshError(),
            me.CosineSimilarity(),
            me.BinaryCrossentropy(),
            me.CategoricalCrossentropy(from_logits=True),
            me.SparseCategoricalCrossentropy(),
            me.KLDivergence(),
            me.Poisson(),
            me.Hinge(),
            me.SquaredHinge(),
            me.CategoricalHinge(),
            me.Mean(),
            me.Sum(name="total"),
            me.MeanMetricWrapper(me.top_k_categorical_accuracy, name="top3", k=3),
            me.F1Score(),
            me.R2Score(),
        ],
        "optimizers": [
            o.SGD(),
            o.SGD(learning_rate=0.1, momentum=0.9, nesterov=True, clipnorm=1.0),
            o.RMSprop(),
            o.RMSprop(rho=0.8, momentum=0.1, centered=True, global_clipnorm=2.0),
            o.Adagrad(),
            o.Adam(),
            o.Adam(beta_1=0.8, amsgrad=True, clipvalue=0.5, weight_decay=0.01),
            o.AdamW(),
            o.Adadelta(),
            o.Nadam(),
            o.Adamax(),
            o.Lion(),
            o.Ftrl(l1_regularization_strength=0.1, beta=0.5),
            o.Adam(learning_rate=s.CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=10)),
            o.Adafactor(),
        ],
        "schedules": [
            s.ExponentialDecay(0.1, 10, 0.5),
            s.ExponentialDecay(0.1, 10, 0.5, staircase=True, name="decay"),
            s.PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001]),
            s.InverseTimeDecay(0.1, 10, 0.5),
            s.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0, cycle=True),
            s.CosineDecay(0.1, 10),
            s.CosineDecay(0.1, 10, alpha=0.1, warmup_target=0.2, warmup_steps=5),
            s.CosineDecayRestarts(0.1, 10),
        ],
    }


def layer_cases():
    """(input shape without the batch axis, layer): numcnn's layers with their arguments, then the others."""
    reg = {
        "kernel_regularizer": keras.regularizers.L2(0.01),
        "bias_regularizer": keras.regularizers.L1(0.02),
        "activity_regularizer": keras.regularizers.L2(0.03),
        "kernel_constraint": keras.constraints.MaxNorm(2.0),
        "bias_constraint": keras.constraints.NonNeg(),
    }
    img = (6, 6, 2)
    return [
        (img, L.Conv2D(3, 3)),
        (img, L.Conv2D(3, (3, 2), strides=2, padding="same", activation="relu", **reg)),
        (img, L.Conv2D(2, 1, data_format="channels_first", use_bias=False, kernel_initializer="he_normal")),
        ((4,), L.Dense(3)),
        ((4,), L.Dense(3, activation="softmax", **reg)),
        ((5, 4), L.Dense(2, use_bias=False, bias_initializer="ones")),
        (img, L.MaxPooling2D()),
        (img, L.MaxPooling2D(3, strides=1, padding="same")),
        (img, L.AveragePooling2D(pool_size=(2, 3))),
        (img, L.GlobalAveragePooling2D()),
        (img, L.GlobalMaxPooling2D(keepdims=True)),
        (img, L.Flatten()),
        (img, L.Flatten(data_format="channels_first")),
        (img, L.BatchNormalization()),
        (img, L.BatchNormalization(momentum=0.9, epsilon=1e-2, center=False, scale=False)),
        (
            img,
            L.BatchNormalization(
                beta_regularizer="l2",
                gamma_constraint="non_neg",
                gamma_regularizer=keras.regularizers.L1(0.1),
                beta_constraint="max_norm",
            ),
        ),
        ((6,), L.Dropout(0.3)),
        ((6,), L.Dropout(0.5, noise_shape=(None, 1), seed=3)),
        ((6,), L.Activation("tanh")),
        ((2, 6), L.Reshape((3, -1))),
        (img, L.ZeroPadding2D()),
        (img, L.ZeroPadding2D(((1, 0), (2, 1)))),
        # layers numcnn is getting (checked once it has them, refused by name until then)
        ((6,), L.ReLU()),
        ((6,), L.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5)),
        ((6,), L.LeakyReLU()),
        ((6,), L.LeakyReLU(negative_slope=0.1)),
        ((3, 4), L.PReLU()),
        ((3, 4), L.PReLU(shared_axes=[1])),
        ((6,), L.ELU()),
        ((6,), L.ELU(alpha=0.5)),
        ((3, 4), L.Softmax()),
        ((3, 4), L.Softmax(axis=1)),
        (img, L.Rescaling(1.0 / 255)),
        (img, L.Rescaling(2.0, offset=-1.0)),
        ((4,), L.Normalization()),
        ((3, 4), L.Normalization(axis=-1, mean=[0.0, 1.0, 2.0, 3.0], variance=[1.0, 2.0, 3.0, 4.0])),
        ((8, 3), L.SpatialDropout1D(0.3)),
        (img, L.RandomFlip()),
        (img, L.RandomFlip("horizontal", seed=3)),
        (img, L.RandomTranslation(0.1, 0.2)),
        (img, L.RandomRotation(0.1)),
        (img, L.RandomZoom(0.2)),
        (img, L.RandomContrast(0.3)),
        (img, L.Conv2DTranspose(3, 3)),
        (img, L.Conv2DTranspose(2, 3, strides=2, padding="same", **reg)),
        (img, L.UpSampling2D()),
        (img, L.UpSampling2D((2, 3), interpolation="bilinear")),
        (img, L.DepthwiseConv2D(3)),
        (img, L.DepthwiseConv2D(3, depth_multiplier=2, padding="same")),
        (img, L.SeparableConv2D(4, 3)),
        ((8, 3), L.Conv1D(4, 3)),
        ((8, 3), L.Conv1D(2, 2, padding="causal")),
        ((8, 3), L.MaxPooling1D()),
        ((8, 3), L.AveragePooling1D(2)),
        ((8, 3), L.GlobalAveragePooling1D()),
        ((8, 3), L.GlobalMaxPooling1D()),
        (img, L.SpatialDropout2D(0.2)),
        ((6,), L.GaussianNoise(0.1)),
        ((6,), L.GaussianDropout(0.2)),
        ((3, 4), L.LayerNormalization()),
        ((3, 4), L.LayerNormalization(epsilon=1e-5, center=False)),
        (img, L.Cropping2D(1)),
        (img, L.Cropping2D(((1, 0), (0, 2)))),
        ((3, 4), L.Permute((2, 1))),
        ((4,), L.RepeatVector(3)),
        ((8, 3), L.ZeroPadding1D(2)),
        ((8, 3), L.Cropping1D((1, 2))),
        ((4,), L.Embedding(10, 3)),
    ]


MERGE = [L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum, L.Minimum, L.Concatenate]


def layer_specs():
    out = []
    for shape, layer in layer_cases():
        keras.Sequential([keras.Input(shape), layer])  # builds it
        out.append({"input_shape": [None, *shape], "spec": ser(layer)})
    for cls in MERGE:
        layer = cls() if cls is not L.Concatenate else cls(axis=1)
        a, b = keras.Input((3, 4)), keras.Input((3, 4))
        layer([a, b])
        out.append({"input_shape": [[None, 3, 4], [None, 3, 4]], "spec": ser(layer)})
    return out


def compile_configs():
    def model(outputs=1):
        x = keras.Input((4,))
        heads = [L.Dense(3, activation="softmax", name=f"out{i}")(x) for i in range(outputs)]
        return keras.Model(x, heads if outputs > 1 else heads[0])

    me, lo = keras.metrics, keras.losses
    cases = [
        (model(), {"optimizer": "adam", "loss": "categorical_crossentropy", "metrics": ["accuracy"]}),
        (model(), {"optimizer": "sgd", "loss": "mse", "metrics": ["mae", "acc"]}),
        (
            model(),
            {
                "optimizer": keras.optimizers.RMSprop(0.01),
                "loss": lo.CategoricalCrossentropy(label_smoothing=0.1),
                "metrics": [me.AUC(), me.TopKCategoricalAccuracy(k=2), "accuracy"],
            },
        ),
        (
            model(),
            {
                "optimizer": "adam",
                "loss": keras.losses.categorical_crossentropy,
                "metrics": [keras.metrics.categorical_accuracy],
            },
        ),
        (
            model(2),
            {
                "optimizer": "adam",
                "loss": ["categorical_crossentropy", "mse"],
                "loss_weights": [1.0, 0.5],
                "metrics": [["accuracy"], ["mae"]],
            },
        ),
        (
            model(2),
            {
                "optimizer": "adam",
                "loss": {"out0": "categorical_crossentropy", "out1": "mse"},
                "metrics": {"out0": ["accuracy"]},
                "weighted_metrics": {"out1": ["mae"]},
            },
        ),
        (model(), {"optimizer": None, "loss": "categorical_crossentropy"}),
    ]
    out = []
    for m, kwargs in cases:
        m.compile(**kwargs)
        out.append(m.get_compile_config())
    return out


def main():
    from keras.src.losses import ALL_OBJECTS_DICT as LOSSES
    from keras.src.metrics import ALL_OBJECTS_DICT as METRICS

    catalog = {
        "versions": {"keras": keras.__version__, "backend": keras.backend.backend()},
        "objects": {family: [ser(x) for x in items] for family, items in objects().items()},
        "layers": layer_specs(),
        "compile": compile_configs(),
        "names": {"losses": sorted(LOSSES), "metrics": sorted(METRICS)},
    }
    OUT.write_text(json.dumps(catalog, indent=1) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.1f} KB)")


if __name__ == "__main__":
    main()
