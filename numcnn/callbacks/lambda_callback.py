"""``LambdaCallback``: a callback built from plain functions."""

from __future__ import annotations

from numcnn._checks import invalid
from numcnn.callbacks.callback import HOOKS, Callback


class LambdaCallback(Callback):
    """Run the given functions at the matching hooks; they are called as Keras calls them:
    ``on_epoch_begin(epoch, logs)``, ``on_epoch_end(epoch, logs)``, ``on_train_begin(logs)``,
    ``on_train_end(logs)``, ``on_train_batch_begin(batch, logs)``, ``on_train_batch_end(batch, logs)``
    (``logs`` by keyword for the batch hooks).

    Any other hook goes by keyword, e.g. ``LambdaCallback(on_test_end=fn)`` or Keras 2's
    ``on_batch_end=fn``. Each value must be callable and each name a hook (Keras 3 silently sets any keyword
    as an attribute; a misspelt hook would never run).

    ``LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs['loss']))``
    """

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        unknown = sorted(set(kwargs) - set(HOOKS))
        if unknown:
            raise TypeError(
                f"LambdaCallback() got unexpected keyword argument(s): {', '.join(unknown)}. "
                f"Expected hook names among: {', '.join(HOOKS)}"
            )
        named = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
            **kwargs,
        }
        for hook, fn in named.items():
            if fn is None:
                continue
            if not callable(fn):
                raise invalid(hook, "a function or None", fn, TypeError)
            setattr(self, hook, fn)  # an instance attribute shadows the do-nothing method
