"""Custom Keras layers used by the skbia architectures.

Every layer here is registered with Keras under the ``skbia`` package and has
a complete ``get_config``, so a model that uses them saves and loads with
``keras.saving.load_model(path, safe_mode=True)``. They are written with
``keras.ops`` only and therefore work with any Keras backend. No ``Lambda``
layer is used anywhere in skbia.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

__all__ = [
    "SCALINGS",
    "AsinhStretch",
    "LocalResponseNormalization",
    "MinMaxScaling",
    "MinPooling2D",
    "SqrtStretch",
    "build_preprocessing",
]

#: Pixel scalings :func:`build_preprocessing` can put at the start of a model.
SCALINGS: tuple[str, ...] = ("minmax", "asinh", "sqrt", "none")


def _as_float_list(value: float | Sequence[float], name: str) -> float | list[float]:
    """Return ``value`` as a float or a list of floats, or raise a clear error."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number or a sequence of numbers; got {value!r}.")
    if np.ndim(value) == 0:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be a number or a sequence of numbers (one per band); got {value!r}."
            ) from None
    try:
        values = [float(v) for v in np.asarray(value, dtype=float).ravel()]
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a number or a sequence of numbers (one per band); got {value!r}."
        ) from None
    if np.ndim(value) != 1 or len(values) == 0:
        raise ValueError(
            f"{name} must be a number or a 1-d sequence with one value per band; got {value!r}."
        )
    return values


def _check_band_count(value: float | list[float], name: str, n_channels: int | None) -> None:
    """Raise if a per-band list does not have one value per channel."""
    if isinstance(value, list) and len(value) != 1 and n_channels is not None:
        if len(value) != n_channels:
            raise ValueError(
                f"{name} has {len(value)} values but the images have {n_channels} "
                f"channel(s); give one value per channel or a single number."
            )


def _positive_float(value: Any, name: str) -> float:
    """Return ``value`` as a float if it is a finite positive number, else raise."""
    if isinstance(value, (bool, np.bool_)) or np.ndim(value) != 0:
        raise ValueError(f"{name} must be a finite positive number; got {value!r}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite positive number; got {value!r}.") from None
    if not (np.isfinite(number) and number > 0):
        raise ValueError(f"{name} must be a finite positive number; got {value!r}.")
    return number


@keras.saving.register_keras_serializable(package="skbia")
class MinMaxScaling(keras.layers.Layer):
    """Clip every band to ``[min_pixel, max_pixel]`` and scale it to ``[0, 1]``.

    ``output = (clip(x, min_pixel, max_pixel) - min_pixel) / (max_pixel - min_pixel)``,
    computed per band (last axis). This is pyBIA's min-max normalization,
    applied inside the model so that training, validation and prediction
    inputs all receive the same scaling.

    Parameters
    ----------
    min_pixel : float or sequence of float, default=0.0
        Lower clip value: one number for all bands, or one value per band.
    max_pixel : float or sequence of float, default=100.0
        Upper clip value: one number for all bands, or one value per band.
        Must be strictly greater than ``min_pixel`` in every band.
    **kwargs
        Standard Keras layer arguments (``name``, ``dtype``, ...).

    Raises
    ------
    ValueError
        If a value is not finite, if ``max_pixel <= min_pixel`` in some band,
        or (at build time) if a per-band sequence does not have one value per
        input channel.

    Examples
    --------
    >>> import numpy as np
    >>> from skbia.architectures.layers import MinMaxScaling
    >>> layer = MinMaxScaling(min_pixel=0, max_pixel=[10, 100])
    >>> np.asarray(layer(np.array([[[[5.0, 500.0]]]], dtype="float32"))).ravel().tolist()
    [0.5, 1.0]
    """

    def __init__(
        self,
        min_pixel: float | Sequence[float] = 0.0,
        max_pixel: float | Sequence[float] = 100.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.min_pixel = _as_float_list(min_pixel, "min_pixel")
        self.max_pixel = _as_float_list(max_pixel, "max_pixel")
        low = np.atleast_1d(np.asarray(self.min_pixel, dtype=float))
        high = np.atleast_1d(np.asarray(self.max_pixel, dtype=float))
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise ValueError(
                f"min_pixel and max_pixel must be finite; got min_pixel={self.min_pixel!r}, "
                f"max_pixel={self.max_pixel!r}."
            )
        if low.size > 1 and high.size > 1 and low.size != high.size:
            raise ValueError(
                f"min_pixel has {low.size} values but max_pixel has {high.size}; per-band "
                "values must have the same length (one per band)."
            )
        if np.any(high <= low):
            raise ValueError(
                f"max_pixel must be greater than min_pixel in every band; got "
                f"min_pixel={self.min_pixel!r}, max_pixel={self.max_pixel!r}."
            )

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Check that per-band values match the number of channels."""
        for name, value in (("min_pixel", self.min_pixel), ("max_pixel", self.max_pixel)):
            _check_band_count(value, name, input_shape[-1])
        super().build(input_shape)

    def call(self, inputs):
        """Clip and scale ``inputs`` band by band."""
        low = ops.convert_to_tensor(self.min_pixel, dtype=self.compute_dtype)
        high = ops.convert_to_tensor(self.max_pixel, dtype=self.compute_dtype)
        inputs = ops.cast(inputs, self.compute_dtype)
        return (ops.clip(inputs, low, high) - low) / (high - low)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """Return ``input_shape`` (the scaling is element-wise)."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """Return the layer configuration."""
        config = super().get_config()
        config.update({"min_pixel": self.min_pixel, "max_pixel": self.max_pixel})
        return config


class _Stretch(keras.layers.Layer):
    """Base of the noise-aware stretches: per-band ``softening``, ``factor``, ``normalizer``."""

    def __init__(
        self,
        softening: float | Sequence[float] = 1.0,
        factor: float = 1.0,
        normalizer: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.softening = _as_float_list(softening, "softening")
        values = np.atleast_1d(np.asarray(self.softening, dtype=float))
        if not (np.all(np.isfinite(values)) and np.all(values > 0)):
            raise ValueError(
                f"softening must be finite and positive in every band; got {self.softening!r}."
            )
        self.factor = _positive_float(factor, "factor")
        self.normalizer = _positive_float(normalizer, "normalizer")

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Check that the per-band softening matches the number of channels."""
        _check_band_count(self.softening, "softening", input_shape[-1])
        super().build(input_shape)

    def _scaled(self, inputs):
        """Return ``inputs / (factor * softening)``, band by band."""
        softening = ops.convert_to_tensor(self.softening, dtype=self.compute_dtype)
        inputs = ops.cast(inputs, self.compute_dtype)
        return inputs / (softening * self.factor)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """Return ``input_shape`` (the stretch is element-wise)."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """Return the layer configuration."""
        config = super().get_config()
        config.update(
            {"softening": self.softening, "factor": self.factor, "normalizer": self.normalizer}
        )
        return config


@keras.saving.register_keras_serializable(package="skbia")
class AsinhStretch(_Stretch):
    """Noise-aware inverse hyperbolic sine stretch, band by band.

    ``output = asinh(x / (factor * softening)) / normalizer``, with one
    ``softening`` value per band (last axis). The stretch is linear,
    ``output ~ x / (factor * softening * normalizer)``, for pixels within
    the noise and logarithmic for bright ones, so a faint arc a few times the
    sky noise and a galaxy core thousands of times brighter both stay
    visible (Lupton, Gunn & Szalay 1999). With ``softening`` the background
    noise of each band (see :func:`skbia.utils.estimate_background_noise`),
    noise pixels map to about ``[-1, 1]`` and a core at ``10**4`` times the
    noise to about 10. The images should be background subtracted (sky level
    near 0).

    The function is strictly increasing, odd (``f(-x) = -f(x)``), finite for
    every finite input (negative and zero pixels included) and shape-preserving.

    Parameters
    ----------
    softening : float or sequence of float, default=1.0
        The pixel value (in input units) where the stretch turns from linear
        to logarithmic: one number for all bands, or one value per band.
        Must be finite and positive.
    factor : float, default=1.0
        Multiplies ``softening`` (the ``k`` of ``asinh(x / (k * sigma))``).
    normalizer : float, default=1.0
        Divides the output, e.g. to bring typical values to order 1.
    **kwargs
        Standard Keras layer arguments (``name``, ``dtype``, ...).

    Raises
    ------
    ValueError
        If a value is not finite and positive, or (at build time) if a
        per-band ``softening`` does not have one value per input channel.

    Examples
    --------
    >>> import numpy as np
    >>> from skbia.architectures.layers import AsinhStretch
    >>> layer = AsinhStretch(softening=[1.0, 10.0])
    >>> out = np.asarray(layer(np.array([[[[0.0, 10.0]]]], dtype="float32"))).ravel()
    >>> [round(float(v), 4) for v in out]
    [0.0, 0.8814]
    """

    def call(self, inputs):
        """Stretch ``inputs`` band by band."""
        return ops.arcsinh(self._scaled(inputs)) / self.normalizer


@keras.saving.register_keras_serializable(package="skbia")
class SqrtStretch(_Stretch):
    """Noise-aware signed square-root stretch, band by band.

    ``output = 2 * sign(x) * (sqrt(1 + |x| / s) - 1) / normalizer`` with
    ``s = factor * softening`` (one ``softening`` value per band, last axis).
    Like :class:`AsinhStretch` it is linear near zero, ``output ~ x / s``
    for ``|x| << s``, so the noise is not amplified and the derivative is
    finite at 0; for ``|x| >> s`` it grows as ``2 * sqrt(|x| / s)``, a
    gentler compression of bright pixels than the logarithm.

    The function is strictly increasing, odd, finite for every finite input
    (negative and zero pixels included) and shape-preserving.

    Parameters
    ----------
    softening : float or sequence of float, default=1.0
        The pixel value (in input units) where the stretch turns from linear
        to square root: one number for all bands, or one value per band,
        typically the background noise
        (:func:`skbia.utils.estimate_background_noise`). Finite and positive.
    factor : float, default=1.0
        Multiplies ``softening``.
    normalizer : float, default=1.0
        Divides the output.
    **kwargs
        Standard Keras layer arguments (``name``, ``dtype``, ...).

    Raises
    ------
    ValueError
        If a value is not finite and positive, or (at build time) if a
        per-band ``softening`` does not have one value per input channel.

    Examples
    --------
    >>> import numpy as np
    >>> from skbia.architectures.layers import SqrtStretch
    >>> layer = SqrtStretch(softening=1.0)
    >>> np.asarray(layer(np.array([[[[-3.0, 0.0, 8.0]]]], dtype="float32"))).ravel().tolist()
    [-2.0, 0.0, 4.0]
    """

    def call(self, inputs):
        """Stretch ``inputs`` band by band."""
        scaled = self._scaled(inputs)
        # 2 * (sqrt(1 + u) - 1) written as 2u / (sqrt(1 + u) + 1): no cancellation for small u
        magnitude = 2.0 * ops.abs(scaled) / (ops.sqrt(1.0 + ops.abs(scaled)) + 1.0)
        return ops.sign(scaled) * magnitude / self.normalizer


@keras.saving.register_keras_serializable(package="skbia")
class MinPooling2D(keras.layers.MaxPooling2D):
    """Min pooling for 2-D images: the minimum over each pooling window.

    Computed as ``-max_pool(-x)``, so it takes the same arguments as
    :class:`keras.layers.MaxPooling2D`. pyBIA offers min pooling next to max
    and average pooling.

    Parameters
    ----------
    pool_size : int or (int, int), default=2
        Size of the pooling window.
    strides : int, (int, int) or None, default=None
        Step of the window; None means ``pool_size``.
    padding : {"valid", "same"}, default="valid"
        Keras padding mode. With ``"same"``, windows that overhang the border
        take the minimum of the pixels they cover (padding is ignored).
    **kwargs
        Standard Keras layer arguments (``name``, ``data_format``, ...).
    """

    def call(self, inputs):
        """Return the minimum of each pooling window."""
        return -super().call(-inputs)


@keras.saving.register_keras_serializable(package="skbia")
class LocalResponseNormalization(keras.layers.Layer):
    """Local response normalization across channels (AlexNet's LRN).

    The same definition as ``tf.nn.local_response_normalization``::

        sqr_sum[..., d] = sum(x[..., d - depth_radius : d + depth_radius + 1] ** 2)
        output = x / (bias + alpha * sqr_sum) ** beta

    The defaults are the values pyBIA uses. Krizhevsky et al. (2012) used
    ``depth_radius=2`` (a window of 5 channels) with the same bias, alpha and beta.

    Parameters
    ----------
    depth_radius : int, default=5
        Half-width of the channel window (non-negative).
    bias : float, default=2.0
        Additive constant (positive, to avoid division by zero).
    alpha : float, default=1e-4
        Scale of the sum of squares (non-negative).
    beta : float, default=0.75
        Exponent (non-negative).
    **kwargs
        Standard Keras layer arguments (``name``, ``dtype``, ...).

    Raises
    ------
    ValueError
        If a parameter is out of its range.
    """

    def __init__(
        self,
        depth_radius: int = 5,
        bias: float = 2.0,
        alpha: float = 1e-4,
        beta: float = 0.75,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(depth_radius, bool) or int(depth_radius) != depth_radius or depth_radius < 0:
            raise ValueError(f"depth_radius must be a non-negative integer; got {depth_radius!r}.")
        if not bias > 0:
            raise ValueError(f"bias must be positive; got {bias!r}.")
        if not alpha >= 0:
            raise ValueError(f"alpha must be non-negative; got {alpha!r}.")
        if not beta >= 0:
            raise ValueError(f"beta must be non-negative; got {beta!r}.")
        self.depth_radius = int(depth_radius)
        self.bias = float(bias)
        self.alpha = float(alpha)
        self.beta = float(beta)

    def call(self, inputs):
        """Normalize ``inputs`` (channels last) by its local channel energy."""
        n_channels = inputs.shape[-1]
        index = ops.arange(n_channels)
        # band[i, j] = 1 where |i - j| <= depth_radius: one matmul sums each channel window.
        band = ops.cast(
            ops.abs(ops.expand_dims(index, 1) - ops.expand_dims(index, 0)) <= self.depth_radius,
            inputs.dtype,
        )
        sqr_sum = ops.matmul(ops.square(inputs), band)
        return inputs / ops.power(self.bias + self.alpha * sqr_sum, self.beta)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """Return ``input_shape`` (the normalization is shape-preserving)."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """Return the layer configuration."""
        config = super().get_config()
        config.update(
            {
                "depth_radius": self.depth_radius,
                "bias": self.bias,
                "alpha": self.alpha,
                "beta": self.beta,
            }
        )
        return config


def _crop_size(image_size: int | Sequence[int]) -> tuple[int, int]:
    """Return ``image_size`` as ``(height, width)`` or raise a clear error."""
    sizes = (image_size, image_size) if np.ndim(image_size) == 0 else tuple(image_size)
    if len(sizes) != 2 or any(
        isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in sizes
    ):
        raise ValueError(
            f"image_size must be a positive integer, a pair of positive integers or None; "
            f"got {image_size!r}."
        )
    return int(sizes[0]), int(sizes[1])


def build_preprocessing(
    inputs,
    *,
    image_size: int | Sequence[int] | None = None,
    normalize: bool = True,
    min_pixel: float | Sequence[float] = 0.0,
    max_pixel: float | Sequence[float] = 100.0,
    scaling: str = "minmax",
    softening: float | Sequence[float] | None = None,
):
    """Apply skbia's in-model preprocessing: centre crop, then pixel scaling.

    Parameters
    ----------
    inputs : KerasTensor of shape (batch, H, W, C)
        Raw images, e.g. ``keras.Input((100, 100, 3))``.
    image_size : int, (int, int) or None, default=None
        Side (or height and width) of the centre crop
        (:class:`keras.layers.CenterCrop`, layer name ``"center_crop"``).
        None keeps the full image. The crop must not be larger than the input.
    normalize : bool, default=True
        Whether to scale the pixels at all. ``False`` adds no scaling layer
        (and then ``scaling`` must be ``"minmax"`` or ``"none"``).
    min_pixel, max_pixel : float or sequence of float
        Clip limits of :class:`MinMaxScaling`, one number or one per band.
        Used only by ``scaling="minmax"``.
    scaling : {"minmax", "asinh", "sqrt", "none"}, default="minmax"
        The pixel scaling:

        - ``"minmax"``: per-band clip to ``[min_pixel, max_pixel]`` and scale
          to [0, 1] (:class:`MinMaxScaling`, layer name ``"min_max_scaling"``);
        - ``"asinh"``: ``asinh(x / softening)`` per band
          (:class:`AsinhStretch`, layer name ``"asinh_stretch"``);
        - ``"sqrt"``: softened signed square root per band
          (:class:`SqrtStretch`, layer name ``"sqrt_stretch"``);
        - ``"none"``: no scaling layer.

        The two stretches keep faint features a few times the noise visible
        next to bright cores, which a linear scaling compresses to nearly 0.
    softening : float, sequence of float or None, default=None
        Softening of ``"asinh"`` and ``"sqrt"``, one number or one per band,
        typically :func:`skbia.utils.estimate_background_noise` of the
        training images. Required by those two scalings, ignored by the others.

    Returns
    -------
    outputs : KerasTensor
        The preprocessed tensor (``inputs`` itself if nothing is applied).

    Raises
    ------
    ValueError
        If ``image_size`` is invalid or larger than the (known) input size,
        if the pixel limits or the softening are invalid, if ``scaling`` is
        unknown, if ``"asinh"`` or ``"sqrt"`` is asked for without
        ``softening`` or together with ``normalize=False``.

    Examples
    --------
    >>> import keras
    >>> from skbia.architectures.layers import build_preprocessing
    >>> inputs = keras.Input((100, 100, 3))
    >>> x = build_preprocessing(inputs, image_size=64, scaling="asinh",
    ...                         softening=[0.02, 0.03, 0.05])
    >>> tuple(x.shape)
    (None, 64, 64, 3)
    """
    if not isinstance(scaling, str) or scaling not in SCALINGS:
        raise ValueError(f"scaling must be one of {SCALINGS}; got {scaling!r}.")
    if not normalize and scaling not in ("minmax", "none"):
        raise ValueError(
            f"normalize=False turns pixel scaling off, which contradicts scaling={scaling!r}; "
            "pass normalize=True to use it, or scaling='none'."
        )
    stretch = {"asinh": AsinhStretch, "sqrt": SqrtStretch}.get(scaling)
    if stretch is not None and softening is None:
        raise ValueError(
            f"scaling={scaling!r} needs softening: the background noise of each band, e.g. "
            "skbia.utils.estimate_background_noise(X_train)."
        )
    x = inputs
    if image_size is not None:
        height, width = _crop_size(image_size)
        in_height, in_width = inputs.shape[1], inputs.shape[2]
        if (in_height is not None and in_height < height) or (
            in_width is not None and in_width < width
        ):
            raise ValueError(
                f"image_size={image_size!r} is larger than the input images "
                f"({in_height}x{in_width}); the centre crop cannot enlarge images."
            )
        x = keras.layers.CenterCrop(height, width, name="center_crop")(x)
    if normalize and scaling == "minmax":
        x = MinMaxScaling(min_pixel=min_pixel, max_pixel=max_pixel, name="min_max_scaling")(x)
    elif stretch is not None:
        x = stretch(softening=softening, name=f"{scaling}_stretch")(x)
    return x
