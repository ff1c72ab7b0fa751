"""ResNet-18 (He et al. 2015) as a feature builder."""

from __future__ import annotations

from typing import Any

import keras

from skbia.architectures import _common as c

__all__ = ["build_resnet18"]


def _conv_norm(x, filters, kernel_size, strides, *, initializer, batch_norm, name):
    """Conv2D without activation (no bias before batch norm), then batch norm."""
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
    c.check_spatial(x, name)
    return x


def _basic_block(x, filters, kernel_size, strides, *, activation, initializer, batch_norm, name):
    """Two convolutions with an identity (or 1x1 projection) shortcut."""
    shortcut = x
    y = _conv_norm(
        x,
        filters,
        kernel_size,
        strides,
        initializer=initializer,
        batch_norm=batch_norm,
        name=f"{name}_conv1",
    )
    y = keras.layers.Activation(activation, name=f"{name}_act1")(y)
    y = _conv_norm(
        y,
        filters,
        kernel_size,
        1,
        initializer=initializer,
        batch_norm=batch_norm,
        name=f"{name}_conv2",
    )
    if strides != 1 or x.shape[-1] != filters:
        shortcut = _conv_norm(
            x,
            filters,
            1,
            strides,
            initializer=initializer,
            batch_norm=batch_norm,
            name=f"{name}_shortcut",
        )
    y = keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return keras.layers.Activation(activation, name=f"{name}_out")(y)


def build_resnet18(
    inputs,
    *,
    pooling: str = "max",
    regularizer: str | None = "batch_norm",
    conv_activation: Any = "relu",
    dense_activation: Any = "relu",
    conv_initializer: Any = "glorot_uniform",
    dense_initializer: Any = "glorot_uniform",
    dropout: float = 0.0,
    filter_scale: float = 1.0,
    filters_1: int = 64,
    kernel_size_1: int = 7,
    strides_1: int = 1,
    pooling_1: str | None = None,
    pool_size_1: int = 3,
    pool_strides_1: int = 2,
    filters_2: int = 64,
    kernel_size_2: int = 3,
    strides_2: int = 1,
    blocks_2: int = 2,
    filters_3: int = 128,
    kernel_size_3: int = 3,
    strides_3: int = 2,
    blocks_3: int = 2,
    filters_4: int = 256,
    kernel_size_4: int = 3,
    strides_4: int = 2,
    blocks_4: int = 2,
    filters_5: int = 512,
    kernel_size_5: int = 3,
    strides_5: int = 2,
    blocks_5: int = 2,
    dense_units_1: int = 0,
):
    """Build the ResNet-18 feature extractor on a preprocessed image tensor.

    A stem (``conv_1``, as He et al.'s "conv1") then four stages of basic
    residual blocks (``stage<i>``, i = 2 .. 5, He et al.'s "conv2_x" to
    "conv5_x"), then global average pooling (padding ``"same"`` throughout)::

        conv_1 -> [conv_1_bn] -> pool_1 -> [lrn_1]
        stage<i>_block<b>:  conv1 -> [bn] -> act -> conv2 -> [bn]
                            + shortcut (identity, or 1x1 conv -> [bn] when the
                              stride or filter count changes) -> act
        avg_pool -> [dense_1 -> [dense_1_bn]] -> [dropout]

    With ``regularizer="batch_norm"`` every convolution is followed by batch
    normalization; with ``"local_response"`` one LRN follows the stem pooling
    (as in pyBIA) and the blocks have no normalization. The stem uses stride 1
    by default (pyBIA's choice for small astronomical cutouts; the ImageNet
    ResNet uses 2). Unlike the other builders, dropout defaults to 0 and
    there is no dense layer unless ``dense_units_1 > 0``, as in the original
    ResNet. The output layer is not included.

    Parameters
    ----------
    inputs : KerasTensor of shape (batch, height, width, channels)
        The preprocessed images.
    pooling : {"max", "average", "min"}, default="max"
        Pooling type of the stem pooling when ``pooling_1`` is None.
    regularizer : {"batch_norm", "local_response", None}, default="batch_norm"
        See above.
    conv_activation, dense_activation : str or callable, default="relu"
        Activations of the convolutions and of the optional dense layer.
    conv_initializer, dense_initializer : str or keras.initializers.Initializer
        Kernel initializers (default ``"glorot_uniform"``).
    dropout : float, default=0.0
        Dropout rate applied to the features (0 disables dropout).
    filter_scale : float, default=1.0
        Multiplies every filter count and dense unit count (rounded, at least 1).
    filters_1, kernel_size_1, strides_1 : int, default=64, 7, 1
        Stem convolution.
    pooling_1 : {"max", "average", "min"} or None, default=None
        Stem pooling type; None uses ``pooling``.
    pool_size_1, pool_strides_1 : int, default=3, 2
        Stem pooling window and stride.
    filters_<i>, kernel_size_<i> : int
        Filters and kernel side of every convolution of stage ``i`` (2 to 5;
        default filters 64, 128, 256, 512 and kernel 3).
    strides_<i> : int
        Stride of the first block of stage ``i`` (default 1, 2, 2, 2).
    blocks_<i> : int, default=2
        Number of residual blocks of stage ``i`` (2 each gives ResNet-18).
    dense_units_1 : int, default=0
        Units of an optional dense layer after the global pooling; 0 means none.

    Returns
    -------
    features : KerasTensor of shape (batch, n_features)
        ``filters_5 * filter_scale`` pooled features, or
        ``dense_units_1 * filter_scale`` with the dense layer.

    Raises
    ------
    ValueError
        If a keyword has an invalid value (the message names it).
    """
    c.check_generic(
        pooling=pooling, regularizer=regularizer, dropout=dropout, filter_scale=filter_scale
    )
    c.check_input(inputs)
    batch_norm = regularizer == "batch_norm"
    x = c.conv(
        inputs,
        c.scaled(filters_1, filter_scale, "filters_1"),
        c.positive_int(kernel_size_1, "kernel_size_1"),
        c.positive_int(strides_1, "strides_1"),
        activation=conv_activation,
        initializer=conv_initializer,
        regularizer="batch_norm" if batch_norm else None,
        name="conv_1",
    )
    x = c.pool(
        x,
        c.layer_pooling(pooling_1, pooling, "pooling_1"),
        c.positive_int(pool_size_1, "pool_size_1"),
        c.positive_int(pool_strides_1, "pool_strides_1"),
        name="pool_1",
    )
    x = c.local_response(x, regularizer, name="lrn_1")
    stages = [
        (2, filters_2, kernel_size_2, strides_2, blocks_2),
        (3, filters_3, kernel_size_3, strides_3, blocks_3),
        (4, filters_4, kernel_size_4, strides_4, blocks_4),
        (5, filters_5, kernel_size_5, strides_5, blocks_5),
    ]
    for i, filters, kernel_size, strides, n_blocks in stages:
        n_filters = c.scaled(filters, filter_scale, f"filters_{i}")
        kernel_size = c.positive_int(kernel_size, f"kernel_size_{i}")
        strides = c.positive_int(strides, f"strides_{i}")
        for b in range(1, c.positive_int(n_blocks, f"blocks_{i}") + 1):
            x = _basic_block(
                x,
                n_filters,
                kernel_size,
                strides if b == 1 else 1,
                activation=conv_activation,
                initializer=conv_initializer,
                batch_norm=batch_norm,
                name=f"stage{i}_block{b}",
            )
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
