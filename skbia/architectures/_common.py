"""Checks and small layer stacks shared by the architecture builders."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from skbia.architectures.layers import LocalResponseNormalization, MinPooling2D

POOLINGS = ("max", "average", "min")
REGULARIZERS = ("batch_norm", "local_response", None)


def batch_normalization(name: str) -> keras.layers.BatchNormalization:
    """Return a batch normalization layer, synchronized across replicas when distributed.

    Built under a TensorFlow distribution strategy (``device="mirrored"``),
    every replica would otherwise normalize with the statistics of its own
    share of the batch and keep its own moving averages, so predictions
    would depend on which replica's copy is read (a saved model differs
    from the one in memory).
    """
    synchronized = False
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        synchronized = tf.distribute.has_strategy()
    return keras.layers.BatchNormalization(name=name, synchronized=synchronized)


def check_generic(
    *, pooling: str, regularizer: str | None, dropout: float, filter_scale: float
) -> None:
    """Validate the keywords every builder shares."""
    check_pooling(pooling, "pooling")
    if regularizer not in REGULARIZERS:
        raise ValueError(f"regularizer must be one of {REGULARIZERS}; got {regularizer!r}.")
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float, np.number)) or not (
        0 <= dropout < 1
    ):
        raise ValueError(f"dropout must be a number in [0, 1); got {dropout!r}.")
    if (
        isinstance(filter_scale, bool)
        or not isinstance(filter_scale, (int, float, np.number))
        or not 0 < filter_scale < float("inf")
    ):
        raise ValueError(f"filter_scale must be a positive number; got {filter_scale!r}.")


def check_pooling(value: str, name: str) -> str:
    """Return ``value`` if it is a valid pooling type, else raise naming ``name``."""
    if value not in POOLINGS:
        raise ValueError(f"{name} must be one of {POOLINGS}; got {value!r}.")
    return value


def layer_pooling(value: str | None, default: str, name: str) -> str:
    """Resolve a per-layer pooling keyword (None means the generic ``pooling``)."""
    return default if value is None else check_pooling(value, name)


def positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise a ValueError naming the keyword."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer, float, np.floating))
        or not float(value).is_integer()
        or value < minimum
    ):
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def scaled(value: Any, filter_scale: float, name: str) -> int:
    """Return a validated filter or unit count multiplied by ``filter_scale`` (at least 1)."""
    return max(1, round(positive_int(value, name) * filter_scale))


def check_input(inputs) -> None:
    """Check that the tensor is a batch of images with known channels."""
    shape = tuple(inputs.shape)
    if len(shape) != 4:
        raise ValueError(
            f"Architectures take 4-d image tensors (batch, height, width, channels); "
            f"got shape {shape}."
        )
    check_spatial(inputs, "the input")


def check_spatial(x, where: str) -> None:
    """Raise if a spatial dimension of ``x`` dropped below 1."""
    height, width = x.shape[1], x.shape[2]
    if (height is not None and height < 1) or (width is not None and width < 1):
        raise ValueError(
            f"The feature map after {where} has spatial size {height}x{width}; the input "
            "images are too small for these kernel, stride and pooling settings."
        )


def conv(
    x,
    filters: int,
    kernel_size: int,
    strides: int,
    *,
    activation: Any,
    initializer: Any,
    regularizer: str | None,
    name: str,
):
    """Conv2D (padding "same") followed by batch normalization if asked for."""
    x = keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        activation=activation,
        kernel_initializer=initializer,
        name=name,
    )(x)
    if regularizer == "batch_norm":
        x = batch_normalization(f"{name}_bn")(x)
    check_spatial(x, name)
    return x


def pool(x, kind: str, pool_size: int, strides: int, *, name: str):
    """Max, average or min pooling with padding "same"."""
    layer = {
        "max": keras.layers.MaxPooling2D,
        "average": keras.layers.AveragePooling2D,
        "min": MinPooling2D,
    }[kind]
    x = layer(pool_size=pool_size, strides=strides, padding="same", name=name)(x)
    check_spatial(x, name)
    return x


def local_response(x, regularizer: str | None, *, name: str):
    """Local response normalization if ``regularizer == "local_response"``."""
    if regularizer == "local_response":
        x = LocalResponseNormalization(name=name)(x)
    return x


def dense_head(
    x,
    units: list[tuple[int, str]],
    *,
    activation: Any,
    initializer: Any,
    regularizer: str | None,
    dropout: float,
):
    """Flatten, then Dense -> (batch norm) -> dropout for each ``(units, name)``."""
    x = keras.layers.Flatten(name="flatten")(x)
    for n_units, name in units:
        x = keras.layers.Dense(
            n_units, activation=activation, kernel_initializer=initializer, name=name
        )(x)
        if regularizer == "batch_norm":
            x = batch_normalization(f"{name}_bn")(x)
        if dropout > 0:
            x = keras.layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return x
