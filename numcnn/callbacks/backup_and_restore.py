"""``BackupAndRestore``: resume an interrupted ``fit`` where its last backup left it."""

from __future__ import annotations

import contextlib
import json
import os
import warnings

from numcnn import _files
from numcnn import random as nrandom
from numcnn._checks import file_path, flag, invalid, is_int
from numcnn.callbacks.callback import Callback
from numcnn.callbacks.model_checkpoint import BatchCounter, check_save_freq

_FORMAT, _VERSION = "numcnn.backup", 1
_METADATA = "training_metadata.json"
_SLOTS = tuple(f"backup-{i}.weights.npz" for i in range(3))
_MAX_METADATA_BYTES = 1 << 20


class BackupAndRestore(Callback):
    """Back up the training state to ``backup_dir`` and restore it when ``fit`` is run again after an
    interruption, so the run continues from its last backup instead of from scratch.

    Keras 3's semantics: at train begin, if a backup exists, the model's weights and optimizer state are
    loaded from it and ``fit`` resumes at the epoch after the last one backed up (via
    ``model._initial_epoch``). A backup is written at each epoch's end (``save_freq='epoch'``) or every
    ``save_freq`` batches; a mid-epoch backup resumes at the start of that epoch, with the weights it had.
    When ``fit`` ends normally (also by ``EarlyStopping``) the backup is deleted if ``delete_checkpoint``.
    ``double_checkpoint=True`` keeps the previous backup too and falls back on it when the latest one
    cannot be read.

    numcnn adds: the backup also holds numcnn's random generator (shuffling, dropout), restored with the
    weights, so a run resumed from an epoch-end backup is bitwise identical to one never interrupted. Each
    write is atomic and the metadata names its weights file, so a crash mid-backup leaves the previous
    backup usable. Only the files this callback writes are deleted (Keras removes the whole folder); the
    folder goes too once empty.

    The folder belongs to this one training run: do not share it with another run or another callback.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        self.backup_dir = file_path("backup_dir", backup_dir)
        if os.path.exists(self.backup_dir) and not os.path.isdir(self.backup_dir):
            raise invalid("backup_dir", "a folder path", f"a file {self.backup_dir!r}")
        self.save_freq = check_save_freq(save_freq)
        self.double_checkpoint = flag("double_checkpoint", double_checkpoint)
        self.delete_checkpoint = flag("delete_checkpoint", delete_checkpoint)
        self._counter = None if self.save_freq == "epoch" else BatchCounter(self.save_freq)
        self._current_epoch = 0
        self._epoch_rng = None
        self._latest = None  # the metadata entry written last: {"epoch", "batch", "weights", "rng", "previous"}

    @property
    def _metadata_path(self) -> str:
        return os.path.join(self.backup_dir, _METADATA)

    # -- restore ----------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        if not getattr(self.model, "built", True):
            raise ValueError(
                "To use the BackupAndRestore callback, you model must be built before you call `fit()`. "
                f"Model {self.model} is unbuilt. You can build it beforehand by calling it on a batch of data."
            )
        self._latest = None
        metadata = self._read_metadata()
        if metadata is None:
            return
        entries = [metadata]
        if self.double_checkpoint and metadata.get("previous") is not None:
            entries.append(metadata["previous"])
        for i, entry in enumerate(entries):
            try:
                self.model.load_weights(os.path.join(self.backup_dir, entry["weights"]))
            except (OSError, ValueError) as err:
                if i == len(entries) - 1:
                    raise
                warnings.warn(
                    f"BackupAndRestore: the latest backup cannot be read ({err}); using the previous one", stacklevel=2
                )
                continue
            self._restore_rng(entry.get("rng"))
            self.model._initial_epoch = entry["epoch"]
            self._current_epoch = entry["epoch"]
            self._latest = entry
            return

    def _read_metadata(self):
        path = self._metadata_path
        if not os.path.isfile(path):
            return None
        try:
            with open(path, "rb") as f:
                raw = f.read(_MAX_METADATA_BYTES + 1)
            if len(raw) > _MAX_METADATA_BYTES:
                raise ValueError(f"it is larger than {_MAX_METADATA_BYTES} bytes")
            metadata = json.loads(raw)
            _check_entry(metadata)
            if metadata.get("format") != _FORMAT or metadata.get("version") != _VERSION:
                raise ValueError(f"unknown format {metadata.get('format')!r} version {metadata.get('version')!r}")
            if metadata.get("previous") is not None:
                _check_entry(metadata["previous"])
        except (ValueError, RecursionError) as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise ValueError(f"Cannot restore from '{path}': it is not a BackupAndRestore backup ({err})") from None
        return metadata

    @staticmethod
    def _restore_rng(state):
        generator = nrandom.generator()
        if not isinstance(state, dict) or state.get("bit_generator") != type(generator.bit_generator).__name__:
            return  # a backup from another generator type: shuffling continues from the current state
        try:
            generator.bit_generator.state = state
        except (TypeError, ValueError, KeyError) as err:
            warnings.warn(f"BackupAndRestore: the backed-up random state cannot be restored ({err})", stacklevel=3)

    # -- back up ----------------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        self._epoch_rng = nrandom.generator().bit_generator.state  # fit draws this epoch's shuffle after this

    def on_train_batch_end(self, batch, logs=None):
        if self._counter is not None and self._counter.due(batch):
            self._save(self._current_epoch, batch, self._epoch_rng)

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        if self._counter is None:
            self._save(epoch + 1, 0, nrandom.generator().bit_generator.state)

    def _save(self, epoch, batch, rng):
        os.makedirs(self.backup_dir, exist_ok=True)
        latest = self._latest
        keep = [] if latest is None else [latest, *([latest["previous"]] if latest.get("previous") else [])]
        in_use = {entry["weights"] for entry in keep}
        slot = next(name for name in _SLOTS if name not in in_use)
        self.model.save_weights(os.path.join(self.backup_dir, slot))
        previous = None
        if self.double_checkpoint and latest is not None:
            previous = {key: value for key, value in latest.items() if key != "previous"}
        entry = {"epoch": int(epoch), "batch": int(batch), "weights": slot, "rng": rng, "previous": previous}
        text = json.dumps({"format": _FORMAT, "version": _VERSION, **entry})
        _files.atomic_write(self._metadata_path, text.encode("utf-8"))
        self._latest = entry
        referenced = {slot, *([previous["weights"]] if previous else [])}
        for name in in_use - referenced:
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(self.backup_dir, name))

    # -- clean up ---------------------------------------------------------------------------------
    def on_train_end(self, logs=None):
        if not self.delete_checkpoint or not os.path.isdir(self.backup_dir):
            return
        for name in (_METADATA, *_SLOTS):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(self.backup_dir, name))
        with contextlib.suppress(OSError):  # still holds files of someone else's: leave it
            os.rmdir(self.backup_dir)
        self._latest = None


def _check_entry(entry) -> None:
    if not isinstance(entry, dict):
        raise ValueError(f"expected a JSON object, found a {type(entry).__name__}")
    epoch, batch = entry.get("epoch"), entry.get("batch")
    if not (is_int(epoch) and is_int(batch) and epoch >= 0 and batch >= 0):
        raise ValueError("its 'epoch' and 'batch' are not non-negative integers")
    if entry.get("weights") not in _SLOTS:  # never a path of the file's choosing
        raise ValueError(f"its 'weights' is not one of {list(_SLOTS)}")
