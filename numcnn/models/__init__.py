"""Models, as in ``keras.models``: ``Model`` (functional or subclassed), ``Sequential``, and loading and
rebuilding them: ``load_model``, ``save_model``, ``model_from_config``, ``model_from_json``, ``clone_model``."""

from numcnn.layers import base as _layer_base
from numcnn.models.call_layer import traced_layer_class
from numcnn.models.config import clone_model, model_from_config, model_from_json
from numcnn.models.files import load_model
from numcnn.models.functional import Functional
from numcnn.models.model import Model
from numcnn.models.sequential import Sequential
from numcnn.saving import save_model

_layer_base.call_layer_factory = traced_layer_class

__all__ = [
    "Functional",
    "Model",
    "Sequential",
    "clone_model",
    "load_model",
    "model_from_config",
    "model_from_json",
    "save_model",
]
