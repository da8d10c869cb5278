"""The learning-rate schedules under their earlier path: see :mod:`numcnn.optimizers.schedules` (Keras' path)."""

from numcnn.optimizers.schedules import *  # noqa: F403
from numcnn.optimizers.schedules import __all__  # noqa: F401
