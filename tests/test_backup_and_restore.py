"""BackupAndRestore: an interrupted fit resumes where its last backup left it.

Most tests drive the callback with ``fake_fit``, a loop with fit's hook order over ``FakeModel``, whose
``save_weights``/``load_weights`` keep the weights and the optimizer's step count and whose "training"
draws from numcnn's generator like shuffling and dropout do, and which reads ``model._initial_epoch``
after ``on_train_begin`` the way the lead's fit will. The tests at the end use the real Sequential.
"""

import json
import os

import numpy as np
import pytest
from test_models import tiny_data, tiny_model

from numcnn import _files, callbacks
from numcnn import random as nrandom
from numcnn.layers.base import reset_names


class Interrupt(Exception):
    pass


class FakeOptimizer:
    def __init__(self):
        self.iterations = 0
        self.learning_rate = 0.1


class FakeModel:
    def __init__(self):
        self.weights = np.zeros(4)
        self.optimizer = FakeOptimizer()
        self.built = True
        self.stop_training = False
        self._initial_epoch = None

    def save_weights(self, path):
        _files.atomic_write(path, lambda f: np.savez(f, w=self.weights, it=self.optimizer.iterations))

    def load_weights(self, path):
        with np.load(path, allow_pickle=False) as data:
            self.weights, self.optimizer.iterations = data["w"].copy(), int(data["it"])


def fake_fit(model, cbs, epochs=4, steps=3, stop_at=None):
    """fit's hook order; ``stop_at=(epoch, batch)`` raises ``Interrupt`` after that batch's update."""
    cbs = callbacks.CallbackList(cbs, add_history=True, model=model, verbose=0, epochs=epochs, steps=steps)
    model.stop_training = False
    cbs.on_train_begin()
    start = model._initial_epoch or 0
    model._initial_epoch = None
    for epoch in range(start, epochs):
        cbs.on_epoch_begin(epoch)
        order = nrandom.generator().permutation(steps)
        for step in range(steps):
            cbs.on_train_batch_begin(step)
            noise = nrandom.generator().standard_normal(4)  # dropout-like draws
            model.weights = 0.9 * model.weights + order[step] + noise
            model.optimizer.iterations += 1
            if stop_at == (epoch, step):
                raise Interrupt
            cbs.on_train_batch_end(step, {"loss": float(model.weights.sum())})
        cbs.on_epoch_end(epoch, {"loss": float(model.weights.sum())})
    cbs.on_train_end()
    return model.history


def test_a_resumed_run_equals_one_never_interrupted(tmp_path):
    nrandom.set_seed(7)
    whole = FakeModel()
    fake_fit(whole, [callbacks.BackupAndRestore(tmp_path / "a")])
    nrandom.set_seed(7)
    model = FakeModel()
    with pytest.raises(Interrupt):
        fake_fit(model, [callbacks.BackupAndRestore(tmp_path / "b")], stop_at=(2, 1))
    metadata = json.loads((tmp_path / "b" / "training_metadata.json").read_text())
    assert (metadata["epoch"], metadata["batch"]) == (2, 0)
    nrandom.set_seed(99)  # a new process, seeded differently: the backup brings the generator back
    resumed = FakeModel()
    history = fake_fit(resumed, [callbacks.BackupAndRestore(tmp_path / "b")])
    assert history.epoch == [2, 3]  # Keras' count: only the epochs not yet backed up
    np.testing.assert_array_equal(resumed.weights, whole.weights)
    assert resumed.optimizer.iterations == whole.optimizer.iterations == 12
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()  # deleted after a finished run


def test_without_the_random_state_the_resumed_run_would_differ(tmp_path, monkeypatch):
    """The test above fails if the generator is not restored: its equality is not an accident."""
    nrandom.set_seed(7)
    whole = FakeModel()
    fake_fit(whole, [])
    monkeypatch.setattr(callbacks.BackupAndRestore, "_restore_rng", staticmethod(lambda state: None))
    nrandom.set_seed(7)
    with pytest.raises(Interrupt):
        fake_fit(FakeModel(), [callbacks.BackupAndRestore(tmp_path)], stop_at=(2, 1))
    resumed = FakeModel()
    fake_fit(resumed, [callbacks.BackupAndRestore(tmp_path)])
    assert not np.array_equal(resumed.weights, whole.weights)


def test_a_batch_backup_resumes_that_epoch_with_its_weights(tmp_path):
    model = FakeModel()
    seen = []
    keep = callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(model.weights.copy()))
    with pytest.raises(Interrupt):
        fake_fit(model, [callbacks.BackupAndRestore(tmp_path, save_freq=4), keep], stop_at=(2, 0))
    # the 4th batch counted across epochs is epoch 1's first; epoch 2 is interrupted before its 8th
    metadata = json.loads((tmp_path / "training_metadata.json").read_text())
    assert (metadata["epoch"], metadata["batch"]) == (1, 0)
    resumed = FakeModel()
    starts = []
    probe = callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: starts.append((epoch, resumed.weights.copy())))
    fake_fit(resumed, [callbacks.BackupAndRestore(tmp_path, save_freq=4), probe], epochs=2)
    assert starts[0][0] == 1 and len(starts) == 1
    np.testing.assert_array_equal(starts[0][1], seen[3])  # the weights after that 4th batch
    assert resumed.optimizer.iterations == 4 + 3  # 4 steps restored, then all of epoch 1 again (Keras' way)


def test_a_crash_between_the_weights_and_the_metadata_keeps_the_last_backup(tmp_path, monkeypatch):
    model = FakeModel()
    with pytest.raises(Interrupt):
        fake_fit(model, [callbacks.BackupAndRestore(tmp_path)], stop_at=(1, 2))
    before = sorted(os.listdir(tmp_path))
    original = _files.atomic_write

    def crash_on_metadata(path, data):
        if str(path).endswith(".json"):
            raise Interrupt
        original(path, data)

    monkeypatch.setattr(_files, "atomic_write", crash_on_metadata)
    with pytest.raises(Interrupt):
        fake_fit(FakeModel(), [callbacks.BackupAndRestore(tmp_path)])  # epoch 1's backup dies half way
    monkeypatch.setattr(_files, "atomic_write", original)
    assert len(os.listdir(tmp_path)) == len(before) + 1  # a new weights slot, not yet named by the metadata
    resumed = FakeModel()
    restore = callbacks.BackupAndRestore(tmp_path)
    restore.set_model(resumed)
    restore.on_train_begin()
    assert resumed._initial_epoch == 1 and resumed.optimizer.iterations == 3  # the epoch-0 backup, intact


def test_double_checkpoint_falls_back_on_the_previous_backup(tmp_path):
    with pytest.raises(Interrupt):
        fake_fit(FakeModel(), [callbacks.BackupAndRestore(tmp_path, double_checkpoint=True)], stop_at=(2, 0))
    metadata = json.loads((tmp_path / "training_metadata.json").read_text())
    assert metadata["epoch"] == 2 and metadata["previous"]["epoch"] == 1
    (tmp_path / metadata["weights"]).write_bytes(b"not a weights file")
    model = FakeModel()
    restore = callbacks.BackupAndRestore(tmp_path, double_checkpoint=True)
    restore.set_model(model)
    with pytest.warns(UserWarning, match="latest backup cannot be read"):
        restore.on_train_begin()
    assert model._initial_epoch == 1 and model.optimizer.iterations == 3
    single = callbacks.BackupAndRestore(tmp_path)
    single.set_model(FakeModel())
    with pytest.raises(ValueError):  # without double_checkpoint the broken backup is an error
        single.on_train_begin()


def test_only_its_own_files_are_deleted(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    fake_fit(FakeModel(), [callbacks.BackupAndRestore(tmp_path)])
    assert os.listdir(tmp_path) == ["notes.txt"]
    kept = tmp_path / "kept"
    fake_fit(FakeModel(), [callbacks.BackupAndRestore(kept, delete_checkpoint=False)])
    assert sorted(os.listdir(kept)) == ["backup-1.weights.npz", "training_metadata.json"]  # slots alternate


@pytest.mark.parametrize(
    "metadata",
    [
        "{not json",
        json.dumps({"format": "numcnn.backup", "version": 1, "epoch": 1, "batch": 0, "weights": "../../etc/x"}),
        json.dumps(
            {"format": "numcnn.backup", "version": 1, "epoch": -1, "batch": 0, "weights": "backup-0.weights.npz"}
        ),
        json.dumps({"format": "other", "version": 1, "epoch": 1, "batch": 0, "weights": "backup-0.weights.npz"}),
        json.dumps([1, 2]),
    ],
)
def test_a_foreign_or_broken_metadata_file_is_refused(tmp_path, metadata):
    (tmp_path / "training_metadata.json").write_text(metadata)
    model = FakeModel()
    restore = callbacks.BackupAndRestore(tmp_path)
    restore.set_model(model)
    with pytest.raises(ValueError, match="Cannot restore from .*training_metadata.json"):
        restore.on_train_begin()
    assert model._initial_epoch is None and model.optimizer.iterations == 0


def test_arguments_and_an_unbuilt_model(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="'backup_dir'"):
        callbacks.BackupAndRestore(tmp_path / "file")
    with pytest.raises(ValueError, match="'backup_dir'"):
        callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="'save_freq'"):
        callbacks.BackupAndRestore(tmp_path, save_freq=0)
    with pytest.raises(TypeError, match="'delete_checkpoint'"):
        callbacks.BackupAndRestore(tmp_path, delete_checkpoint="no")
    model = FakeModel()
    model.built = False
    restore = callbacks.BackupAndRestore(tmp_path)
    restore.set_model(model)
    with pytest.raises(ValueError, match="must be built before you call `fit\\(\\)`"):
        restore.on_train_begin()


# -- the real Sequential -----------------------------------------------------------------------------
class StopAt(callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Interrupt


def test_sequential_backs_up_each_epoch_and_cleans_up(tmp_path):
    tmp_path = tmp_path / "backup"
    x, y, _ = tiny_data(20)
    model = tiny_model()
    seen = []
    record = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(model.get_weights()))
    with pytest.raises(Interrupt):
        model.fit(x, y, epochs=4, callbacks=[callbacks.BackupAndRestore(tmp_path), record, StopAt(2)], verbose=0)
    fresh = tiny_model()
    fresh.build((None, 8, 8, 1))
    fresh.load_weights(tmp_path / "backup-1.weights.npz")  # epoch 0 went to slot 0, epoch 1 to slot 1
    for a, b in zip(fresh.get_weights(), seen[1]):
        np.testing.assert_array_equal(a, b)
    model.fit(x, y, epochs=3, callbacks=[callbacks.BackupAndRestore(tmp_path)], verbose=0)
    assert not tmp_path.exists()


def test_sequential_resumed_equals_never_interrupted(tmp_path):
    x, y, _ = tiny_data(20)
    nrandom.set_seed(3)
    reset_names()  # each run as in a fresh process: same layer names, so the optimizer state lines up
    whole = tiny_model()
    whole.fit(x, y, batch_size=5, epochs=4, callbacks=[callbacks.BackupAndRestore(tmp_path / "a")], verbose=0)
    nrandom.set_seed(3)
    reset_names()  # each run as in a fresh process: same layer names, so the optimizer state lines up
    model = tiny_model()
    with pytest.raises(Interrupt):
        model.fit(
            x, y, batch_size=5, epochs=4, callbacks=[callbacks.BackupAndRestore(tmp_path / "b"), StopAt(2)], verbose=0
        )
    nrandom.set_seed(3)
    reset_names()  # each run as in a fresh process: same layer names, so the optimizer state lines up
    resumed = tiny_model()
    history = resumed.fit(
        x, y, batch_size=5, epochs=4, callbacks=[callbacks.BackupAndRestore(tmp_path / "b")], verbose=0
    )
    assert len(history.history["loss"]) == 2
    assert resumed.optimizer.iterations == whole.optimizer.iterations == 16
    for a, b in zip(resumed.get_weights(), whole.get_weights()):
        np.testing.assert_array_equal(a, b)
