"""VGG16 (Simonyan & Zisserman 2014) as a feature builder, with pyBIA's layer sizes."""

from __future__ import annotations

from typing import Any

from skbia.architectures import _common as c

__all__ = ["build_vgg16"]

#: Number of convolutions in each of the five VGG16 blocks.
_CONVS_PER_BLOCK = (2, 2, 3, 3, 3)


def build_vgg16(
    inputs,
    *,
    pooling: str = "max",
    regularizer: str | None = "batch_norm",
    conv_activation: Any = "relu",
    dense_activation: Any = "relu",
    conv_initializer: Any = "glorot_uniform",
    dense_initializer: Any = "glorot_uniform",
    dropout: float = 0.5,
    filter_scale: float = 1.0,
    filters_1: int = 64,
    kernel_size_1: int = 3,
    strides_1: int = 1,
    pooling_1: str | None = None,
    pool_size_1: int = 2,
    pool_strides_1: int = 2,
    filters_2: int = 128,
    kernel_size_2: int = 3,
    strides_2: int = 1,
    pooling_2: str | None = None,
    pool_size_2: int = 2,
    pool_strides_2: int = 2,
    filters_3: int = 256,
    kernel_size_3: int = 3,
    strides_3: int = 1,
    pooling_3: str | None = None,
    pool_size_3: int = 2,
    pool_strides_3: int = 2,
    filters_4: int = 512,
    kernel_size_4: int = 3,
    strides_4: int = 1,
    pooling_4: str | None = None,
    pool_size_4: int = 2,
    pool_strides_4: int = 2,
    filters_5: int = 512,
    kernel_size_5: int = 3,
    strides_5: int = 1,
    pooling_5: str | None = None,
    pool_size_5: int = 2,
    pool_strides_5: int = 2,
    dense_units_1: int = 4096,
    dense_units_2: int = 4096,
):
    """Build the VGG16 feature extractor on a preprocessed image tensor.

    Five blocks of 2, 2, 3, 3 and 3 convolutions, each block ending in a
    pooling layer, then two dense layers (all padding ``"same"``)::

        block<i>_conv<j> -> [block<i>_conv<j>_bn]     (j = 1 .. 2 or 3)
        block<i>_pool -> [block<i>_lrn]               (i = 1 .. 5)
        flatten -> dense_1 -> [dense_1_bn] -> dense_1_dropout
                -> dense_2 -> [dense_2_bn] -> dense_2_dropout

    ``[..._bn]`` layers exist with ``regularizer="batch_norm"``,
    ``[block<i>_lrn]`` with ``regularizer="local_response"``. The default
    sizes are pyBIA's (those of the original VGG16). The output layer is not
    included.

    Parameters
    ----------
    inputs : KerasTensor of shape (batch, height, width, channels)
        The preprocessed images.
    pooling : {"max", "average", "min"}, default="max"
        Pooling type of every block whose ``pooling_<i>`` is None.
    regularizer : {"batch_norm", "local_response", None}, default="batch_norm"
        Batch normalization after every convolution and dense layer, or
        local response normalization after every block's pooling, or neither.
    conv_activation, dense_activation : str or callable, default="relu"
        Activations of the convolution and dense layers.
    conv_initializer, dense_initializer : str or keras.initializers.Initializer
        Kernel initializers (default ``"glorot_uniform"``).
    dropout : float, default=0.5
        Dropout rate after each dense layer (0 disables dropout).
    filter_scale : float, default=1.0
        Multiplies every filter count and dense unit count (rounded, at least 1).
    filters_<i>, kernel_size_<i> : int
        Filters and kernel side of every convolution of block ``i`` (1 to 5).
    strides_<i> : int, default=1
        Stride of the first convolution of block ``i`` (the others use 1).
    pooling_<i> : {"max", "average", "min"} or None, default=None
        Pooling type closing block ``i``; None uses ``pooling``.
    pool_size_<i>, pool_strides_<i> : int, default=2
        Window side and stride of the pooling closing block ``i``.
    dense_units_1, dense_units_2 : int, default=4096
        Units of the two dense layers.

    Returns
    -------
    features : KerasTensor of shape (batch, dense_units_2 * filter_scale)
        The features after the last dense layer and its dropout.

    Raises
    ------
    ValueError
        If a keyword has an invalid value (the message names it).
    """
    c.check_generic(
        pooling=pooling, regularizer=regularizer, dropout=dropout, filter_scale=filter_scale
    )
    c.check_input(inputs)
    blocks = [
        (1, filters_1, kernel_size_1, strides_1, pooling_1, pool_size_1, pool_strides_1),
        (2, filters_2, kernel_size_2, strides_2, pooling_2, pool_size_2, pool_strides_2),
        (3, filters_3, kernel_size_3, strides_3, pooling_3, pool_size_3, pool_strides_3),
        (4, filters_4, kernel_size_4, strides_4, pooling_4, pool_size_4, pool_strides_4),
        (5, filters_5, kernel_size_5, strides_5, pooling_5, pool_size_5, pool_strides_5),
    ]
    x = inputs
    for (i, filters, kernel_size, strides, kind, pool_size, pool_strides), n_convs in zip(
        blocks, _CONVS_PER_BLOCK, strict=True
    ):
        n_filters = c.scaled(filters, filter_scale, f"filters_{i}")
        kernel_size = c.positive_int(kernel_size, f"kernel_size_{i}")
        strides = c.positive_int(strides, f"strides_{i}")
        for j in range(1, n_convs + 1):
            x = c.conv(
                x,
                n_filters,
                kernel_size,
                strides if j == 1 else 1,
                activation=conv_activation,
                initializer=conv_initializer,
                regularizer=regularizer,
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
    units = [
        (c.scaled(dense_units_1, filter_scale, "dense_units_1"), "dense_1"),
        (c.scaled(dense_units_2, filter_scale, "dense_units_2"), "dense_2"),
    ]
    return c.dense_head(
        x,
        units,
        activation=dense_activation,
        initializer=dense_initializer,
        regularizer=regularizer,
        dropout=dropout,
    )
