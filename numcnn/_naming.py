"""Keras' rule for the names it derives from class names, in one place: layer names (``conv2d``), metric and
loss names (``mean_squared_error``) and weight paths in Keras' files (``max_pooling2d``)."""

from __future__ import annotations

import re


def snake_case(name: str) -> str:
    """Keras' ``naming.to_snake_case``: ``'MaxPooling2D'`` → ``'max_pooling2d'``, ``'Conv2DTranspose'`` →
    ``'conv2d_transpose'``, ``'ReLU'`` → ``'re_lu'``, ``'RMSprop'`` → ``'rm_sprop'``, ``'AUC'`` → ``'auc'``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
