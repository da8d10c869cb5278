"""The three frameworks behind one interface, for the benchmark children (``_worker.py``) and ``bench_layers.py``.

Each class sets up its framework (thread pools, seeds) and builds, compiles, trains and predicts the same way in
every benchmark: glorot_uniform kernels, zero biases, Adam (lr 1e-3, β 0.9/0.999, ε 1e-7). numcnn and Keras share
one class body because their API is the same (``self.lib`` is ``numcnn`` or ``keras``); PyTorch mirrors it in
eager mode. Importing this module costs only numpy: each framework is imported when its class is instantiated.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from _common import BATCH, VALIDATION_SPLIT, one_hot, split_sizes


class NumcnnBench:
    """numcnn with Keras' API (and, through ``lib``, Keras itself: ``KerasBench`` only changes the set-up)."""

    api = "keras"  # which of a zoo model's builders this framework runs

    def __init__(self, threads: int, seed: int):
        import numcnn

        numcnn.utils.set_random_seed(seed)
        self.lib = numcnn
        self.version = numcnn.__version__

    def build(self):
        """The MNIST notebook's model, compiled."""
        layers = self.lib.layers
        model = self.lib.models.Sequential()
        model.add(
            layers.Convolution2D(
                filters=32, kernel_size=(3, 3), padding="valid", activation="relu", input_shape=(28, 28, 1)
            )
        )
        model.add(layers.Convolution2D(filters=64, kernel_size=(3, 3), activation="relu"))
        model.add(layers.MaxPooling2D(pool_size=(2, 2)))
        model.add(layers.Flatten())
        model.add(layers.Dense(128, activation="relu"))
        model.add(layers.Dense(128, activation="relu"))
        model.add(layers.Dense(10, activation="softmax"))
        self.compile(model)
        return model

    def build_from(self, builder, loss: str, metrics=("accuracy",)):
        """``builder(keras_like_module)`` (a Keras script's model code), compiled with Adam and ``loss``."""
        model = builder(self.lib)
        self.compile(model, loss, metrics)
        return model

    def compile(self, model, loss: str = "categorical_crossentropy", metrics=("accuracy",)):
        model.compile(loss=loss, optimizer="adam", metrics=list(metrics))

    def prepare(self, x, labels, sparse: bool = False):
        """Inputs and targets as this framework takes them: integer labels, or one-hot for categorical losses."""
        return x, labels if sparse else one_hot(labels)

    def tensor(self, array: np.ndarray):
        """An array as this framework's input or regression target (NHWC stays NHWC)."""
        return array

    def fit(self, model, x, y, epochs: int, batch_size: int = BATCH, validation_split: float = VALIDATION_SPLIT):
        history = model.fit(x, y, batch_size=batch_size, epochs=epochs, validation_split=validation_split, verbose=0)
        return {key: float(values[-1]) for key, values in history.history.items()}

    def evaluate(self, model, x, y) -> tuple[float, float]:
        loss, accuracy = model.evaluate(x, y, batch_size=BATCH, verbose=0)
        return float(loss), float(accuracy)

    def predict(self, model, x, batch_size: int):
        return model.predict(x, batch_size=batch_size, verbose=0)

    def train_on_batch(self, model, x, y):
        return model.train_on_batch(x, y)

    def predict_on_batch(self, model, x):
        return model.predict_on_batch(x)

    def trainable_count(self, model) -> int:
        """Trainable parameters (BatchNormalization's moving statistics excluded, as PyTorch's buffers are)."""
        weights = getattr(model, "trainable_weights", None)  # Keras' name; numcnn has only trainable_params yet
        if weights is None:
            weights = model.trainable_params()[0].values()
        return sum(int(np.prod(w.shape)) for w in weights)

    def snapshot(self, model):
        return model.get_weights()

    def restore(self, model, weights) -> None:
        """The initial weights back and a fresh optimizer (Adam's step and moments at zero)."""
        model.set_weights(weights)
        self.compile(model)


class KerasBench(NumcnnBench):
    """Keras 3 on TensorFlow (CPU), the notebook verbatim (default ``jit_compile``: no XLA on a CPU-only machine)."""

    def __init__(self, threads: int, seed: int):
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
        import keras

        keras.utils.set_random_seed(seed)
        self.lib = keras
        self.version = f"keras {keras.__version__}, tensorflow {tf.__version__}"

    def restore(self, model, weights) -> None:
        """Zero the optimizer's iteration count and moments in place: recompiling would retrace tf.functions."""
        model.set_weights(weights)
        for variable in model.optimizer.variables:
            if variable.name != "learning_rate":
                variable.assign(self.lib.ops.zeros_like(variable))


class TorchBench:
    """The same models in PyTorch (CPU, eager): NCHW convolutions, CrossEntropyLoss on logits (= softmax + CCE).

    Flatten runs over (C, H, W) instead of Keras' (H, W, C): a permutation of the next Dense layer's rows, same
    work. Adam is PyTorch's formula (ε added to the bias-corrected √v), with Keras' ε = 1e-7.
    """

    api = "torch"

    def __init__(self, threads: int, seed: int):
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.torch = torch
        self.generator = torch.Generator().manual_seed(seed)
        self.version = torch.__version__

    def build(self):
        """The MNIST notebook's model."""
        nn = self.torch.nn
        net = nn.Sequential(
            nn.Conv2d(1, 32, 3),
            nn.ReLU(),
            nn.Conv2d(32, 64, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(9216, 128),
            nn.ReLU(),
            nn.Linear(128, 128),
            nn.ReLU(),
            nn.Linear(128, 10),
        )
        return self._model(net, "categorical_crossentropy")

    def build_from(self, builder, loss: str, metrics=("accuracy",)):
        """``builder(torch.nn)`` → an ``nn.Module`` that outputs logits; ``loss`` as Keras names it."""
        return self._model(builder(self.torch.nn), loss)

    def _model(self, net, loss: str):
        nn = self.torch.nn
        for module in net.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(module.weight)  # glorot_uniform: same fans as Keras for conv and dense
                nn.init.zeros_(module.bias)
        # CrossEntropyLoss takes integer labels: the categorical and sparse crossentropies are the same here
        loss_fn = nn.MSELoss() if loss in ("mse", "mean_squared_error") else nn.CrossEntropyLoss()
        return SimpleNamespace(net=net, optimizer=self._adam(net), loss_fn=loss_fn)

    def _adam(self, net):
        return self.torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)

    def prepare(self, x, labels, sparse: bool = False):
        return self.tensor(x), self.torch.from_numpy(labels)

    def tensor(self, array: np.ndarray):
        """NHWC → NCHW (converted once, outside any timing); other ranks as they are."""
        out = self.torch.from_numpy(array)
        return out.permute(0, 3, 1, 2).contiguous() if out.ndim == 4 else out

    def _step(self, model, xb, yb):
        """One update; returns the logits and the loss tensor."""
        logits = model.net(xb)
        loss = model.loss_fn(logits, yb)
        model.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        model.optimizer.step()
        return logits, loss

    def fit(self, model, x, y, epochs: int, batch_size: int = BATCH, validation_split: float = VALIDATION_SPLIT):
        """Keras' ``fit`` in eager PyTorch: shuffled batches of the first part, running loss/accuracy, validation."""
        torch = self.torch
        n_train, n_val = split_sizes(x.shape[0], validation_split)
        x_train, y_train, x_val, y_val = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
        logs = {}
        for _ in range(epochs):
            model.net.train()
            order = torch.randperm(n_train, generator=self.generator)
            loss_sum, correct = 0.0, 0
            for start in range(0, n_train, batch_size):
                index = order[start : start + batch_size]
                yb = y_train[index]
                logits, loss = self._step(model, x_train[index], yb)
                loss_sum += loss.item() * yb.shape[0]  # running epoch metrics, as Keras and numcnn keep them
                correct += int((logits.argmax(1) == yb).sum())
            logs = {"loss": loss_sum / n_train, "accuracy": correct / n_train}
            if n_val:
                logs["val_loss"], logs["val_accuracy"] = self.evaluate(model, x_val, y_val)
        return logs

    def evaluate(self, model, x, y) -> tuple[float, float]:
        torch, net = self.torch, model.net
        net.eval()
        loss_sum, correct = 0.0, 0
        with torch.no_grad():
            for start in range(0, x.shape[0], BATCH):
                logits = net(x[start : start + BATCH])
                yb = y[start : start + BATCH]
                loss_sum += float(torch.nn.functional.cross_entropy(logits, yb, reduction="sum"))
                correct += int((logits.argmax(1) == yb).sum())
        return loss_sum / x.shape[0], correct / x.shape[0]

    def predict(self, model, x, batch_size: int):
        """Logits of every sample, batch by batch, as one tensor (Keras' ``predict`` returns one array)."""
        model.net.eval()
        with self.torch.no_grad():
            return self.torch.cat(
                [model.net(x[start : start + batch_size]) for start in range(0, x.shape[0], batch_size)]
            )

    def train_on_batch(self, model, x, y):
        return self._step(model, x, y)[1].item()  # a float, as Keras' train_on_batch returns

    def predict_on_batch(self, model, x):
        with self.torch.no_grad():
            return model.net(x)

    def trainable_count(self, model) -> int:
        return sum(p.numel() for p in model.net.parameters() if p.requires_grad)

    def snapshot(self, model):
        return {key: value.clone() for key, value in model.net.state_dict().items()}

    def restore(self, model, weights) -> None:
        model.net.load_state_dict(weights)
        model.optimizer = self._adam(model.net)


BENCHES = {"numcnn": NumcnnBench, "torch": TorchBench, "keras": KerasBench}
