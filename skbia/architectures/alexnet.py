"""AlexNet (Krizhevsky et al. 2012) as a feature builder, with pyBIA's layer sizes."""

from __future__ import annotations

from typing import Any

from skbia.architectures import _common as c

__all__ = ["build_alexnet"]


def build_alexnet(
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
    filters_1: int = 96,
    kernel_size_1: int = 11,
    strides_1: int = 4,
    pooling_1: str | None = None,
    pool_size_1: int = 3,
    pool_strides_1: int = 2,
    filters_2: int = 256,
    kernel_size_2: int = 5,
    strides_2: int = 1,
    pooling_2: str | None = None,
    pool_size_2: int = 3,
    pool_strides_2: int = 2,
    filters_3: int = 384,
    kernel_size_3: int = 3,
    strides_3: int = 1,
    filters_4: int = 384,
    kernel_size_4: int = 3,
    strides_4: int = 1,
    filters_5: int = 256,
    kernel_size_5: int = 3,
    strides_5: int = 1,
    pooling_5: str | None = None,
    pool_size_5: int = 3,
    pool_strides_5: int = 2,
    dense_units_1: int = 4096,
    dense_units_2: int = 4096,
):
    """Build the AlexNet feature extractor on a preprocessed image tensor.

    Layer layout (all convolutions and poolings use padding ``"same"``)::

        conv_1 -> [conv_1_bn] -> pool_1 -> [lrn_1]
        conv_2 -> [conv_2_bn] -> pool_2 -> [lrn_2]
        conv_3 -> [conv_3_bn]
        conv_4 -> [conv_4_bn]
        conv_5 -> [conv_5_bn] -> pool_5
        flatten -> dense_1 -> [dense_1_bn] -> dense_1_dropout
                -> dense_2 -> [dense_2_bn] -> dense_2_dropout

    ``[..._bn]`` layers exist with ``regularizer="batch_norm"``, ``[lrn_i]``
    with ``regularizer="local_response"``. The default sizes are pyBIA's
    (those of the original AlexNet). The output layer is not included.

    Parameters
    ----------
    inputs : KerasTensor of shape (batch, height, width, channels)
        The preprocessed images (e.g. the output of
        :func:`~skbia.architectures.layers.build_preprocessing`).
    pooling : {"max", "average", "min"}, default="max"
        Pooling type of every pooling layer whose ``pooling_<i>`` is None.
    regularizer : {"batch_norm", "local_response", None}, default="batch_norm"
        Batch normalization after every convolution and dense layer, or
        local response normalization after ``pool_1`` and ``pool_2``
        (AlexNet's original choice), or neither.
    conv_activation, dense_activation : str or callable, default="relu"
        Activations of the convolution and dense layers.
    conv_initializer, dense_initializer : str or keras.initializers.Initializer
        Kernel initializers of the convolution and dense layers
        (default ``"glorot_uniform"``).
    dropout : float, default=0.5
        Dropout rate after each dense layer (0 disables dropout).
    filter_scale : float, default=1.0
        Multiplies every filter count and dense unit count (rounded, at
        least 1); small values build tiny networks for tests and quick trials.
    filters_<i>, kernel_size_<i>, strides_<i> : int
        Filters, kernel side and stride of convolution ``i`` (1 to 5).
    pooling_<i> : {"max", "average", "min"} or None, default=None
        Pooling type of pooling layer ``i`` (1, 2, 5); None uses ``pooling``.
    pool_size_<i>, pool_strides_<i> : int
        Window side and stride of pooling layer ``i`` (1, 2, 5).
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
    convs = [
        (1, filters_1, kernel_size_1, strides_1),
        (2, filters_2, kernel_size_2, strides_2),
        (3, filters_3, kernel_size_3, strides_3),
        (4, filters_4, kernel_size_4, strides_4),
        (5, filters_5, kernel_size_5, strides_5),
    ]
    pools = {
        1: (pooling_1, pool_size_1, pool_strides_1),
        2: (pooling_2, pool_size_2, pool_strides_2),
        5: (pooling_5, pool_size_5, pool_strides_5),
    }
    x = inputs
    for i, filters, kernel_size, strides in convs:
        x = c.conv(
            x,
            c.scaled(filters, filter_scale, f"filters_{i}"),
            c.positive_int(kernel_size, f"kernel_size_{i}"),
            c.positive_int(strides, f"strides_{i}"),
            activation=conv_activation,
            initializer=conv_initializer,
            regularizer=regularizer,
            name=f"conv_{i}",
        )
        if i in pools:
            kind, pool_size, pool_strides = pools[i]
            x = c.pool(
                x,
                c.layer_pooling(kind, pooling, f"pooling_{i}"),
                c.positive_int(pool_size, f"pool_size_{i}"),
                c.positive_int(pool_strides, f"pool_strides_{i}"),
                name=f"pool_{i}",
            )
            if i in (1, 2):
                x = c.local_response(x, regularizer, name=f"lrn_{i}")
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
