"""Training callbacks, at Keras 3's path ``keras.callbacks``: ``Callback`` (the base for your own),
``CallbackList``, ``History``, ``ProgbarLogger``, ``EarlyStopping``, ``ModelCheckpoint``, ``BackupAndRestore``,
``ReduceLROnPlateau``, ``LearningRateScheduler``, ``CSVLogger``, ``LambdaCallback`` and ``TerminateOnNaN``.

``TensorBoard``, ``RemoteMonitor``, ``SwapEMAWeights`` and ``OrbaxCheckpoint`` exist so that Keras scripts
fail clearly: building one raises ``NotImplementedError`` saying what to use instead.
"""

from numcnn.callbacks.backup_and_restore import BackupAndRestore
from numcnn.callbacks.callback import Callback
from numcnn.callbacks.callback_list import CallbackList, check_callbacks
from numcnn.callbacks.csv_logger import CSVLogger
from numcnn.callbacks.early_stopping import EarlyStopping
from numcnn.callbacks.history import History
from numcnn.callbacks.lambda_callback import LambdaCallback
from numcnn.callbacks.learning_rate_scheduler import LearningRateScheduler
from numcnn.callbacks.model_checkpoint import ModelCheckpoint
from numcnn.callbacks.progbar_logger import ProgbarLogger
from numcnn.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from numcnn.callbacks.terminate_on_nan import TerminateOnNaN
from numcnn.callbacks.unavailable import OrbaxCheckpoint, RemoteMonitor, SwapEMAWeights, TensorBoard

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "OrbaxCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "RemoteMonitor",
    "SwapEMAWeights",
    "TensorBoard",
    "TerminateOnNaN",
    "check_callbacks",
]
