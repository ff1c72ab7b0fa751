"""Batch-normalization statistics recomputed for the final weights ("precise" statistics).

During training a batch-normalization layer normalizes with the statistics
of the current batch and keeps an exponential moving average of them (Keras'
momentum 0.99: roughly the last 100 steps) for inference. With a few
hundred images the weights still move a lot within those last steps, so the
averaged statistics describe networks that no longer exist, and the network
that predicts (inference mode) can differ from the one that was trained
(training mode). In the lens-finder benchmark one fit ranked its own training
lenses with ROC AUC 0.88 in inference mode but 0.96 with batch statistics.

:func:`recalibrate_batch_norm` replaces every moving mean and variance by the
plain average of the batch statistics of one more pass over training
batches, computed with the final weights (the weights are not changed).
"""

from __future__ import annotations

from collections.abc import Iterable

import keras
import numpy as np

__all__ = ["batch_norm_layers", "recalibrate_batch_norm"]


def batch_norm_layers(model) -> list:
    """Return every BatchNormalization layer of a Keras model, nested models included."""
    return [layer for layer in model._flatten_layers(include_self=False)
            if isinstance(layer, keras.layers.BatchNormalization)]


def recalibrate_batch_norm(model, batches: Iterable[np.ndarray]) -> int:
    """Set the moving statistics of every batch-norm layer to their mean over ``batches``.

    Batch ``k`` (0-based) is run through the model in training mode with each
    layer's momentum set to ``k / (k + 1)``, which makes the moving value the
    running mean of the batches' statistics; the momenta are restored
    afterwards. The trainable weights do not change (no gradient step);
    dropout layers are active during the pass but do not hold state.

    Parameters
    ----------
    model : keras.Model
        A built model.
    batches : iterable of ndarray
        Input batches, as the model was trained on (e.g. one epoch of the
        training data with its augmentation).

    Returns
    -------
    n_batches : int
        Batches used; 0 if the model has no batch normalization (nothing is
        run then).
    """
    layers = batch_norm_layers(model)
    if not layers:
        return 0
    momenta = [layer.momentum for layer in layers]
    n_batches = 0
    try:
        for k, batch in enumerate(batches):
            for layer in layers:
                layer.momentum = k / (k + 1)
            model(batch, training=True)
            n_batches += 1
    finally:
        for layer, momentum in zip(layers, momenta, strict=True):
            layer.momentum = momentum
    return n_batches
