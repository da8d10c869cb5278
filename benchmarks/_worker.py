"""Child process of the benchmarks: runs one task for one framework and writes its result as JSON.

Started by ``_common.run_worker`` (one fresh interpreter per framework, so thread pools, imports and memory never
mix); not meant to be run by hand:

    python benchmarks/_worker.py '{"mode": "train", "framework": "torch", "data": "mnist.npz", ...}'

Modes: ``gemm`` (numpy SGEMM rates) and ``train`` (the notebook's model: build, optional warm-up, timed ``fit``,
optional standalone validation pass, optional test evaluation). Every framework gets the same data, model,
initialisation (glorot_uniform kernels, zero biases), Adam (lr 1e-3, β 0.9/0.999, ε 1e-7), batch 256 and
``validation_split=0.2`` semantics (the first 80 % train, shuffled each epoch; the last 20 % validate).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from _common import BATCH, VALIDATION_SPLIT, load_mnist, one_hot, rss_mib, sgemm_rates, split_sizes

WARMUP_SAMPLES = 800  # with validation_split 0.2: 2 full training batches, 1 half batch, 160 validation samples


class NumcnnBench:
    """The notebook verbatim on numcnn (and, through ``lib``, on Keras: the API is the same)."""

    def __init__(self, threads: int, seed: int):
        import numcnn

        numcnn.utils.set_random_seed(seed)
        self.lib = numcnn
        self.version = numcnn.__version__

    def build(self):
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

    def compile(self, model):
        model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

    def prepare(self, x, labels):
        return x, one_hot(labels)

    def fit(self, model, x, y, epochs: int) -> dict:
        history = model.fit(x, y, batch_size=BATCH, epochs=epochs, validation_split=VALIDATION_SPLIT, verbose=0)
        return {key: float(values[-1]) for key, values in history.history.items()}

    def evaluate(self, model, x, y) -> tuple[float, float]:
        loss, accuracy = model.evaluate(x, y, batch_size=BATCH, verbose=0)
        return float(loss), float(accuracy)

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
    """The same model in PyTorch (CPU, eager): NCHW convolutions, CrossEntropyLoss on logits (= softmax + CCE).

    Flatten runs over (C, H, W) instead of Keras' (H, W, C): a permutation of dense_1's rows, same work.
    Adam is PyTorch's formula (ε added to the bias-corrected √v), with Keras' ε = 1e-7.
    """

    def __init__(self, threads: int, seed: int):
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        self.torch = torch
        self.generator = torch.Generator().manual_seed(seed)
        self.version = torch.__version__

    def build(self):
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
        for module in net:
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(module.weight)  # glorot_uniform: same fans as Keras for conv and dense
                nn.init.zeros_(module.bias)
        return SimpleNamespace(net=net, optimizer=self._adam(net))

    def _adam(self, net):
        return self.torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)

    def prepare(self, x, labels):
        images = self.torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()  # NHWC → NCHW
        return images, self.torch.from_numpy(labels)

    def fit(self, model, x, y, epochs: int) -> dict:
        torch, net, optimizer = self.torch, model.net, model.optimizer
        n_train, _ = split_sizes(x.shape[0])
        x_train, y_train, x_val, y_val = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
        loss_fn = torch.nn.CrossEntropyLoss()
        logs = {}
        for _ in range(epochs):
            net.train()
            order = torch.randperm(n_train, generator=self.generator)
            loss_sum, correct = 0.0, 0
            for start in range(0, n_train, BATCH):
                index = order[start : start + BATCH]
                xb, yb = x_train[index], y_train[index]
                logits = net(xb)
                loss = loss_fn(logits, yb)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                loss_sum += loss.item() * yb.shape[0]  # running epoch metrics, as Keras and numcnn keep them
                correct += int((logits.argmax(1) == yb).sum())
            val_loss, val_accuracy = self.evaluate(model, x_val, y_val)
            logs = {
                "loss": loss_sum / n_train,
                "accuracy": correct / n_train,
                "val_loss": val_loss,
                "val_accuracy": val_accuracy,
            }
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

    def snapshot(self, model):
        return {key: value.clone() for key, value in model.net.state_dict().items()}

    def restore(self, model, weights) -> None:
        model.net.load_state_dict(weights)
        model.optimizer = self._adam(model.net)


BENCHES = {"numcnn": NumcnnBench, "torch": TorchBench, "keras": KerasBench}


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


def gemm(task: dict) -> dict:
    return {"rates": sgemm_rates(task.get("repeats", 5))}


def main() -> None:
    task = json.loads(sys.argv[1])
    result = {"train": train, "gemm": gemm}[task["mode"]](task)
    Path(task["result"]).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
