"""Keras-style progress lines.

``verbose=1``: ``188/188 [==============================] - 20s 107ms/step - accuracy: 0.9220 - loss: 0.2676``,
redrawn in place on a terminal; when stdout is not a terminal (a log file, CI) only the finished line is
printed, so logs hold no carriage-return spam. ``verbose=2``: ``188/188 - 20s - 107ms/step - …`` once.
"""

from __future__ import annotations

import sys
import time

import numpy as np

_WIDTH = 30
_REDRAW_SECONDS = 0.1


def format_logs(logs) -> str:
    """``" - accuracy: 0.9220 - loss: 0.2676"`` with keys sorted like Keras 3."""
    # a per-class result (an array) shows as its mean, as Keras' bar shows it
    return "".join(f" - {key}: {float(np.mean(value)):.4f}" for key, value in sorted((logs or {}).items()))


def _format_seconds(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{seconds:.0f}s"


def _per_step(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class Progbar:
    """Progress over ``target`` steps; ``update(step, logs)`` per step, ``finish(logs)`` once."""

    def __init__(self, target: int, verbose: int = 1, stream=None):
        self.target = target
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._live = verbose == 1 and getattr(self.stream, "isatty", lambda: False)()

    def _bar(self, step: int) -> str:
        done = int(_WIDTH * step / max(self.target, 1))
        arrow = ">" if done < _WIDTH else "="
        return "[" + "=" * max(done - 1, 0) + (arrow if done else "") + "." * (_WIDTH - done) + "]"

    def update(self, step: int, logs=None) -> None:
        if not self._live:
            return
        now = time.perf_counter()
        if now - self._last_draw < _REDRAW_SECONDS and step < self.target:
            return
        self._last_draw = now
        elapsed = now - self.start
        eta = elapsed / step * (self.target - step) if step else 0.0
        width = len(str(self.target))
        line = f"{step:>{width}}/{self.target} {self._bar(step)} - ETA: {_format_seconds(eta)}{format_logs(logs)}"
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()

    def finish(self, logs=None) -> None:
        if self.verbose == 0:
            return
        elapsed = time.perf_counter() - self.start
        per_step = _per_step(elapsed / max(self.target, 1))
        head = f"{self.target}/{self.target}"
        if self.verbose == 1:
            line = f"{head} {self._bar(self.target)} {_format_seconds(elapsed)} {per_step}{format_logs(logs)}"
        else:
            line = f"{head} - {_format_seconds(elapsed)} - {per_step}{format_logs(logs)}"
        self.stream.write(("\r" if self._live else "") + line + ("\x1b[K" if self._live else "") + "\n")
        self.stream.flush()
