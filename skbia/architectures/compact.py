"""A compact CNN for training sets with a few dozen positives."""

from __future__ import annotations

from typing import Any

import keras

from skbia.architectures import _common as c

__all__ = ["build_compact"]


def _conv_norm_act(x, filters, kernel_size, strides, *, activation, initializer, batch_norm, name):
    """Conv2D (no bias before batch norm) -> [batch norm] -> activation."""
    x = keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=not batch_norm,
        kernel_initializer=initializer,
        name=name,
    )(x)
    if batch_norm:
        x = c.batch_normalization(f"{name}_bn")(x)
    x = keras.layers.Activation(activation, name=f"{name}_act")(x)
    c.check_spatial(x, name)
    return x


def build_compact(
    inputs,
    *,
    pooling: str = "max",
    regularizer: str | None = "batch_norm",
    conv_activation: Any = "relu",
    dense_activation: Any = "relu",
    conv_initializer: Any = "glorot_uniform",
    dense_initializer: Any = "glorot_uniform",
    dropout: float = 0.3,
    filter_scale: float = 1.0,
    filters_1: int = 16,
    kernel_size_1: int = 3,
    strides_1: int = 1,
    convs_1: int = 2,
    pooling_1: str | None = None,
    pool_size_1: int = 2,
    pool_strides_1: int = 2,
    filters_2: int = 32,
    kernel_size_2: int = 3,
    strides_2: int = 1,
    convs_2: int = 2,
    pooling_2: str | None = None,
    pool_size_2: int = 2,
    pool_strides_2: int = 2,
    filters_3: int = 64,
    kernel_size_3: int = 3,
    strides_3: int = 1,
    convs_3: int = 2,
    pooling_3: str | None = None,
    pool_size_3: int = 2,
    pool_strides_3: int = 2,
    filters_4: int = 128,
    kernel_size_4: int = 3,
    strides_4: int = 1,
    convs_4: int = 2,
    pooling_4: str | None = None,
    pool_size_4: int = 2,
    pool_strides_4: int = 2,
    dense_units_1: int = 0,
):
    """Build a compact CNN feature extractor on a preprocessed image tensor.

    AlexNet and VGG16 have tens of millions of weights, far more than a
    training set of a few dozen positives can constrain. This network has
    four blocks of two 3x3 convolutions (16, 32, 64 and 128 filters by
    default), each block ending in a pooling layer, then global average
    pooling, so the weight count (about 0.3 million by default) does not
    depend on the image size. All convolutions and poolings use padding
    ``"same"``, so images of any size (16 pixels and more is sensible) build::

        block<i>_conv<j> -> [block<i>_conv<j>_bn] -> block<i>_conv<j>_act
                                                      (j = 1 .. convs_<i>)
        block<i>_pool -> [block<i>_lrn]               (i = 1 .. 4)
        avg_pool -> [dense_1 -> [dense_1_bn]] -> [dropout]

    With ``regularizer="batch_norm"`` every convolution (which then has no
    bias) and the dense layer are followed by batch normalization, before
    the activation for the convolutions; with ``"local_response"`` a local
    response normalization follows every block's pooling. The output layer
    is not included.

    Parameters
    ----------
    inputs : KerasTensor of shape (batch, height, width, channels)
        The preprocessed images.
    pooling : {"max", "average", "min"}, default="max"
        Pooling type of every block whose ``pooling_<i>`` is None.
    regularizer : {"batch_norm", "local_response", None}, default="batch_norm"
        See above.
    conv_activation, dense_activation : str or callable, default="relu"
        Activations of the convolutions and of the optional dense layer.
    conv_initializer, dense_initializer : str or keras.initializers.Initializer
        Kernel initializers (default ``"glorot_uniform"``).
    dropout : float, default=0.3
        Dropout rate applied to the features (0 disables dropout).
    filter_scale : float, default=1.0
        Multiplies every filter count and the dense unit count (rounded, at
        least 1).
    filters_<i>, kernel_size_<i> : int
        Filters and kernel side of every convolution of block ``i`` (1 to 4;
        default filters 16, 32, 64, 128 and kernel 3).
    strides_<i> : int, default=1
        Stride of the first convolution of block ``i`` (the others use 1).
    convs_<i> : int, default=2
        Number of convolutions of block ``i``.
    pooling_<i> : {"max", "average", "min"} or None, default=None
        Pooling type closing block ``i``; None uses ``pooling``.
    pool_size_<i>, pool_strides_<i> : int, default=2
        Window side and stride of the pooling closing block ``i``.
    dense_units_1 : int, default=0
        Units of an optional dense layer after the global pooling; 0 means none.

    Returns
    -------
    features : KerasTensor of shape (batch, n_features)
        ``filters_4 * filter_scale`` pooled features, or
        ``dense_units_1 * filter_scale`` with the dense layer.

    Raises
    ------
    ValueError
        If a keyword has an invalid value (the message names it).

    Examples
    --------
    >>> import keras
    >>> from skbia.architectures import build_compact
    >>> inputs = keras.Input((64, 64, 3))
    >>> features = build_compact(inputs)
    >>> tuple(features.shape)
    (None, 128)
    """
    c.check_generic(
        pooling=pooling, regularizer=regularizer, dropout=dropout, filter_scale=filter_scale
    )
    c.check_input(inputs)
    batch_norm = regularizer == "batch_norm"
    blocks = [
        (1, filters_1, kernel_size_1, strides_1, convs_1, pooling_1, pool_size_1, pool_strides_1),
        (2, filters_2, kernel_size_2, strides_2, convs_2, pooling_2, pool_size_2, pool_strides_2),
        (3, filters_3, kernel_size_3, strides_3, convs_3, pooling_3, pool_size_3, pool_strides_3),
        (4, filters_4, kernel_size_4, strides_4, convs_4, pooling_4, pool_size_4, pool_strides_4),
    ]
    x = inputs
    for i, filters, kernel_size, strides, n_convs, kind, pool_size, pool_strides in blocks:
        n_filters = c.scaled(filters, filter_scale, f"filters_{i}")
        kernel_size = c.positive_int(kernel_size, f"kernel_size_{i}")
        strides = c.positive_int(strides, f"strides_{i}")
        for j in range(1, c.positive_int(n_convs, f"convs_{i}") + 1):
            x = _conv_norm_act(
                x,
                n_filters,
                kernel_size,
                strides if j == 1 else 1,
                activation=conv_activation,
                initializer=conv_initializer,
                batch_norm=batch_norm,
                name=f"block{i}_conv{j}",
            )
        x = c.pool(
            x,
            c.layer_pooling(kind, pooling, f"pooling_{i}"),
            c.positive_int(pool_size, f"pool_size_{i}"),
            c.positive_int(pool_strides, f"pool_strides_{i}"),
            name=f"block{i}_pool",
        )
        x = c.local_response(x, regularizer, name=f"block{i}_lrn")
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if c.positive_int(dense_units_1, "dense_units_1", minimum=0) > 0:
        x = keras.layers.Dense(
            c.scaled(dense_units_1, filter_scale, "dense_units_1"),
            activation=dense_activation,
            kernel_initializer=dense_initializer,
            name="dense_1",
        )(x)
        if batch_norm:
            x = c.batch_normalization("dense_1_bn")(x)
    if dropout > 0:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    return x
