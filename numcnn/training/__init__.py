"""Training: ``compile``, ``fit``, ``evaluate``, ``predict`` and the ``*_on_batch`` calls, for every model.

- :mod:`numcnn.training.compile`: losses, loss weights and metrics per output;
- :mod:`numcnn.training.data`: arrays, generators and PyDatasets turned into checked batches;
- :mod:`numcnn.training.trainer`: ``compile`` and the steps (``train_step``, ``test_step``, ``predict_step``);
- :mod:`numcnn.training.loops`: the epoch loops, callbacks and progress output.
"""

from numcnn.training.loops import LoopsMixin
from numcnn.training.trainer import StepsMixin, deferred_interrupt


class TrainingMixin(LoopsMixin, StepsMixin):
    """The training API every ``Model`` has."""


__all__ = ["TrainingMixin", "deferred_interrupt"]
