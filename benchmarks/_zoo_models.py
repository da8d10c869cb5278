"""The models of ``bench_zoo.py`` and ``bench_overhead.py``, each written once for Keras' API and once for PyTorch.

A Keras-API builder takes the module (``keras``, ``numcnn``, or ``_flops``' counter) and writes the model as the
script it comes from does, so numcnn runs the very code a Keras user brings. A PyTorch builder takes ``torch.nn``
and returns a module that outputs logits (the loss applies the softmax), with the same layers, shapes and
parameter counts: NCHW, ``padding="same"`` where Keras has 'same' at stride 1, ``BatchNorm2d(eps=1e-3,
momentum=0.01)`` for Keras' (epsilon 1e-3, momentum 0.99). Every zoo model ends in Dense(10, softmax) and
trains on 10 classes with Adam, whatever optimizer its script uses, so that the frameworks, not the recipes,
differ. Shapes in the comments are per sample, channels last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial


@dataclass(frozen=True)
class ZooModel:
    title: str
    batch: int
    input_shape: tuple[int, ...]
    keras: Callable  # builder(keras) -> an uncompiled Keras (or numcnn) model
    torch: Callable  # builder(torch.nn) -> nn.Module with logits out
    loss: str = "categorical_crossentropy"
    functional: bool = False  # needs the functional API (keras.Model on tensors)

    def builder(self, api: str) -> Callable:
        return self.keras if api == "keras" else self.torch


# -- keras.io "Simple MNIST convnet" (examples/vision/mnist_convnet.py), batch 128 ---------------------------------
def keras_convnet(keras):
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),  # 26×26×32
            layers.MaxPooling2D(pool_size=(2, 2)),  # 13×13×32
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),  # 11×11×64
            layers.MaxPooling2D(pool_size=(2, 2)),  # 5×5×64
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def torch_convnet(nn):
    return nn.Sequential(
        *(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2)),
        *(nn.Flatten(), nn.Dropout(0.5), nn.Linear(5 * 5 * 64, 10)),
    )


# -- Keras 2's examples/mnist_cnn.py (Adadelta there), batch 128 -----------------------------------------------------
def keras_mnist_cnn(keras):
    layers = keras.layers
    model = keras.models.Sequential()
    model.add(layers.Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)))  # 26×26×32
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))  # 24×24×64
    model.add(layers.MaxPooling2D(pool_size=(2, 2)))  # 12×12×64
    model.add(layers.Dropout(0.25))
    model.add(layers.Flatten())
    model.add(layers.Dense(128, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(10, activation="softmax"))
    return model


def torch_mnist_cnn(nn):
    return nn.Sequential(
        *(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25)),
        *(nn.Flatten(), nn.Linear(12 * 12 * 64, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10)),
    )


# -- LeNet-5 as Keras tutorials write it for MNIST (ReLU, max-pools), batch 64 ---------------------------------------
def keras_lenet5(keras):
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(6, kernel_size=(5, 5), padding="same", activation="relu"),  # 28×28×6
            layers.MaxPooling2D(pool_size=(2, 2)),  # 14×14×6
            layers.Conv2D(16, kernel_size=(5, 5), activation="relu"),  # 10×10×16
            layers.MaxPooling2D(pool_size=(2, 2)),  # 5×5×16
            layers.Flatten(),
            layers.Dense(120, activation="relu"),
            layers.Dense(84, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def torch_lenet5(nn):
    return nn.Sequential(
        *(nn.Conv2d(1, 6, 5, padding="same"), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU()),
        *(nn.MaxPool2d(2), nn.Flatten(), nn.Linear(5 * 5 * 16, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU()),
        nn.Linear(84, 10),
    )


# -- Keras 2's examples/mnist_mlp.py (RMSprop there), batch 128 ------------------------------------------------------
def keras_mlp(keras):
    layers = keras.layers
    model = keras.models.Sequential()
    model.add(layers.Dense(512, activation="relu", input_shape=(784,)))
    model.add(layers.Dropout(0.2))
    model.add(layers.Dense(512, activation="relu"))
    model.add(layers.Dropout(0.2))
    model.add(layers.Dense(10, activation="softmax"))
    return model


def torch_mlp(nn):
    return nn.Sequential(
        *(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 512), nn.ReLU(), nn.Dropout(0.2)),
        nn.Linear(512, 10),
    )


# -- a CIFAR-sized VGG-style net: pools after conv32-conv32, after conv64-conv64, after conv128; batch 64 ------------
def keras_vgg(keras):
    layers = keras.layers
    conv = partial(layers.Conv2D, kernel_size=(3, 3), padding="same", activation="relu")
    return keras.Sequential(
        [
            keras.Input(shape=(32, 32, 3)),
            conv(32),
            layers.BatchNormalization(),
            conv(32),
            layers.BatchNormalization(),
            layers.MaxPooling2D((2, 2)),  # 16×16×32
            conv(64),
            layers.BatchNormalization(),
            conv(64),
            layers.BatchNormalization(),
            layers.MaxPooling2D((2, 2)),  # 8×8×64
            conv(128),
            layers.BatchNormalization(),
            layers.MaxPooling2D((2, 2)),  # 4×4×128
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def torch_vgg(nn):
    def conv(c_in, c_out):
        return nn.Conv2d(c_in, c_out, 3, padding="same"), nn.ReLU(), nn.BatchNorm2d(c_out, eps=1e-3, momentum=0.01)

    return nn.Sequential(
        *conv(3, 32),
        *conv(32, 32),
        nn.MaxPool2d(2),
        *conv(32, 64),
        *conv(64, 64),
        nn.MaxPool2d(2),
        *conv(64, 128),
        nn.MaxPool2d(2),
        *(nn.Flatten(), nn.Linear(4 * 4 * 128, 128), nn.ReLU(), nn.Linear(128, 10)),
    )


# -- a strided all-convolutional net (Springenberg et al.'s idea, small), batch 64 -----------------------------------
def keras_allconv(keras):
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input(shape=(32, 32, 3)),
            layers.Conv2D(48, (3, 3), strides=(2, 2), padding="same", activation="relu"),  # 16×16×48
            layers.Conv2D(96, (3, 3), strides=(2, 2), padding="same", activation="relu"),  # 8×8×96
            layers.Conv2D(96, (3, 3), padding="same", activation="relu"),  # 8×8×96
            layers.GlobalAveragePooling2D(),
            layers.Dense(10, activation="softmax"),
        ]
    )


def torch_allconv(nn):
    # PyTorch has no padding="same" at stride 2: padding=1 gives the same 16×16 and 8×8 outputs and the same work,
    # with the window grid shifted by one pixel (Keras pads 0 before and 1 after; this pads 1 on both sides)
    return nn.Sequential(
        *(nn.Conv2d(3, 48, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(48, 96, 3, stride=2, padding=1), nn.ReLU()),
        *(nn.Conv2d(96, 96, 3, padding="same"), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(96, 10)),
    )


# -- Géron, "Hands-On Machine Learning with Scikit-Learn, Keras and TensorFlow" (2nd ed.), chapter 14, notebook
#    14_deep_computer_vision_with_cnns.ipynb: the Fashion-MNIST CNN (Nadam, sparse crossentropy, fit's default
#    batch 32; the 3rd edition adds kernel_initializer="he_normal") ------------------------------------------------
def keras_fashion(keras):
    DefaultConv2D = partial(keras.layers.Conv2D, kernel_size=3, activation="relu", padding="SAME")  # noqa: N806
    return keras.models.Sequential(
        [
            DefaultConv2D(filters=64, kernel_size=7, input_shape=[28, 28, 1]),  # 28×28×64
            keras.layers.MaxPooling2D(pool_size=2),  # 14×14×64
            DefaultConv2D(filters=128),
            DefaultConv2D(filters=128),
            keras.layers.MaxPooling2D(pool_size=2),  # 7×7×128
            DefaultConv2D(filters=256),
            DefaultConv2D(filters=256),
            keras.layers.MaxPooling2D(pool_size=2),  # 3×3×256
            keras.layers.Flatten(),
            keras.layers.Dense(units=128, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(units=64, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(units=10, activation="softmax"),
        ]
    )


def torch_fashion(nn):
    def conv(c_in, c_out, k=3):
        return nn.Conv2d(c_in, c_out, k, padding="same"), nn.ReLU()

    return nn.Sequential(
        *conv(1, 64, 7),
        nn.MaxPool2d(2),
        *conv(64, 128),
        *conv(128, 128),
        nn.MaxPool2d(2),
        *conv(128, 256),
        *conv(256, 256),
        nn.MaxPool2d(2),
        *(nn.Flatten(), nn.Linear(3 * 3 * 256, 128), nn.ReLU(), nn.Dropout(0.5)),
        *(nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 10)),
    )


# -- the "toy ResNet" of the Keras functional API guide (CIFAR-10, batch 64). The guide ends in Dense(10) with
#    CategoricalCrossentropy(from_logits=True) and writes layers.add([...]); the zoo uses Dense(10, softmax) and
#    Add(), the same arithmetic, so that the row measures the graph, not from_logits -------------------------------
def keras_resnet(keras):
    layers = keras.layers
    inputs = keras.Input(shape=(32, 32, 3), name="img")
    x = layers.Conv2D(32, 3, activation="relu")(inputs)  # 30×30×32
    x = layers.Conv2D(64, 3, activation="relu")(x)  # 28×28×64
    block_1_output = layers.MaxPooling2D(3)(x)  # 9×9×64
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_2_output = layers.Add()([x, block_1_output])
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_3_output = layers.Add()([x, block_2_output])
    x = layers.Conv2D(64, 3, activation="relu")(block_3_output)  # 7×7×64
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="toy_resnet")


def torch_resnet(nn):
    relu = nn.functional.relu

    class ToyResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(3))
            self.convs = nn.ModuleList(nn.Conv2d(64, 64, 3, padding="same") for _ in range(4))
            self.head = nn.Sequential(
                *(nn.Conv2d(64, 64, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()),
                *(nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10)),
            )

        def forward(self, x):
            block_1 = self.stem(x)
            block_2 = relu(self.convs[1](relu(self.convs[0](block_1)))) + block_1
            block_3 = relu(self.convs[3](relu(self.convs[2](block_2)))) + block_2
            return self.head(block_3)

    return ToyResNet()


# -- a two-branch functional model: 3×3 and 5×5 'same' convolutions side by side, concatenated; batch 128 ------------
def keras_branches(keras):
    layers = keras.layers
    inputs = keras.Input(shape=(28, 28, 1))
    small = layers.Conv2D(32, (3, 3), padding="same", activation="relu")(inputs)  # 28×28×32
    large = layers.Conv2D(32, (5, 5), padding="same", activation="relu")(inputs)  # 28×28×32
    x = layers.Concatenate()([small, large])  # 28×28×64
    x = layers.MaxPooling2D((2, 2))(x)  # 14×14×64
    x = layers.Conv2D(64, (3, 3), activation="relu")(x)  # 12×12×64
    x = layers.MaxPooling2D((2, 2))(x)  # 6×6×64
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def torch_branches(nn):
    import torch

    class TwoBranches(nn.Module):
        def __init__(self):
            super().__init__()
            self.small = nn.Sequential(nn.Conv2d(1, 32, 3, padding="same"), nn.ReLU())
            self.large = nn.Sequential(nn.Conv2d(1, 32, 5, padding="same"), nn.ReLU())
            self.rest = nn.Sequential(
                *(nn.MaxPool2d(2), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten()),
                *(nn.Linear(6 * 6 * 64, 128), nn.ReLU(), nn.Linear(128, 10)),
            )

        def forward(self, x):
            return self.rest(torch.cat([self.small(x), self.large(x)], dim=1))

    return TwoBranches()


ZOO = {
    "convnet": ZooModel("keras.io convnet", 128, (28, 28, 1), keras_convnet, torch_convnet),
    "mnist_cnn": ZooModel("Keras 2 mnist_cnn", 128, (28, 28, 1), keras_mnist_cnn, torch_mnist_cnn),
    "lenet5": ZooModel("LeNet-5", 64, (28, 28, 1), keras_lenet5, torch_lenet5),
    "mlp": ZooModel("MLP 784-512-512-10", 128, (784,), keras_mlp, torch_mlp),
    "vgg": ZooModel("CIFAR VGG-style + BN", 64, (32, 32, 3), keras_vgg, torch_vgg),
    "allconv": ZooModel("strided all-conv", 64, (32, 32, 3), keras_allconv, torch_allconv),
    "fashion": ZooModel(
        "Géron Fashion CNN (7×7)", 32, (28, 28, 1), keras_fashion, torch_fashion, "sparse_categorical_crossentropy"
    ),
    "resnet": ZooModel("toy ResNet (functional)", 64, (32, 32, 3), keras_resnet, torch_resnet, functional=True),
    "branches": ZooModel("two-branch Concatenate", 128, (28, 28, 1), keras_branches, torch_branches, functional=True),
}


# -- bench_overhead.py's tiny stacks: (per-sample input shape = target shape, Keras layer, PyTorch layer) ----------
STACKS = {
    "empty": ((1,), lambda keras: keras.layers.Dense(1), lambda nn: (nn.Linear(1, 1),)),
    "dense": (
        (16,),
        lambda keras: keras.layers.Dense(16, activation="relu"),
        lambda nn: (nn.Linear(16, 16), nn.ReLU()),
    ),
    "conv": (
        (8, 8, 4),
        lambda keras: keras.layers.Conv2D(4, (3, 3), padding="same", activation="relu"),
        lambda nn: (nn.Conv2d(4, 4, 3, padding="same"), nn.ReLU()),
    ),
}


def stack_builder(kind: str, depth: int, api: str) -> Callable:
    """A builder of ``depth`` of ``STACKS[kind]``'s layers, for ``api`` ('keras' or 'torch')."""
    shape, keras_layer, torch_layer = STACKS[kind]
    if api == "torch":
        return lambda nn: nn.Sequential(*(module for _ in range(depth) for module in torch_layer(nn)))
    return lambda keras: keras.Sequential([keras.Input(shape=shape), *(keras_layer(keras) for _ in range(depth))])
