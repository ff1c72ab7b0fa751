"""Search spaces for an ImageAugmenter + CNNClassifier pipeline, from pyBIA's switches.

``inject=True`` adds the dimensions of a LensInjector step in front of them.
"""

from __future__ import annotations

import inspect
import math
import numbers
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from skopt.space import Categorical, Dimension, Integer, Real

from skbia.utils import is_integer, is_real

OPTIMIZERS = ("sgd", "adam", "rmsprop", "adagrad", "adadelta", "adamax", "nadam")
LOSSES = ("binary_crossentropy", "weighted_binary_crossentropy", "focal")
ACTIVATIONS = ("relu", "elu", "selu", "tanh", "sigmoid")
INITIALIZERS = (
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
)
POOLINGS = ("max", "average", "min")
REGULARIZERS = ("batch_norm", "local_response")

# Per-layer keywords of an architecture builder that ``limit_search=False`` tunes.
_LAYER_KNOB = re.compile(r"^(filters|kernel_size|strides)_\d+$")
_LAYER_POOLING = re.compile(r"^pooling_\d+$")


def _check_range(name: str, bounds: Any, *, low: float, integer: bool) -> tuple:
    """Validate a (min, max) pair and return it."""
    if (
        not isinstance(bounds, (tuple, list))
        or len(bounds) != 2
        or not all(isinstance(b, numbers.Real) and not isinstance(b, bool) for b in bounds)
    ):
        raise ValueError(f"{name} must be a (min, max) pair of numbers; got {bounds!r}.")
    lo, hi = bounds
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"{name} must be a (min, max) pair of finite numbers; got {bounds!r}.")
    if integer and not all(float(b).is_integer() for b in bounds):
        raise ValueError(f"{name} must hold integers; got {bounds!r}.")
    if lo < low:
        raise ValueError(f"{name} must start at {low} or more; got {bounds!r}.")
    if lo > hi:
        raise ValueError(f"{name} is inverted (min > max): {bounds!r}.")
    return (int(lo), int(hi)) if integer else (float(lo), float(hi))


def _integer(name: str, bounds: Any, low: int = 0) -> Dimension:
    lo, hi = _check_range(name, bounds, low=low, integer=True)
    return Categorical([lo]) if lo == hi else Integer(lo, hi)


def _choices(name: str, values: Sequence[Any]) -> Categorical:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ValueError(
            f"{name} must be a list of choices, e.g. [{values!r}]; got {values!r}."
        )
    values = list(values)
    if not values:
        raise ValueError(f"{name} must list at least one value.")
    return Categorical(values)


def _layer_knobs(arch: str | Callable) -> dict[str, Any]:
    """Per-layer keyword -> default of an architecture builder."""
    if callable(arch):
        builder = arch
    else:
        from skbia.architectures import get_architecture  # imports Keras

        builder = get_architecture(arch)
    return {
        name: param.default
        for name, param in inspect.signature(builder).parameters.items()
        if param.kind is inspect.Parameter.KEYWORD_ONLY
        and (_LAYER_KNOB.match(name) or _LAYER_POOLING.match(name))
    }


def _layer_dimension(name: str, default: Any) -> Dimension:
    """Range searched for one per-layer knob, around the builder's default."""
    if name.startswith("filters_"):
        default = int(default)
        return Integer(max(1, default // 4), max(2, default * 2))
    if name.startswith("kernel_size_"):
        return Integer(1, max(5, int(default)))
    return Integer(1, max(2, int(default)))  # strides


def build_search_space(
    *,
    classifier: str = "cnnclassifier",
    augmenter: str | None = "imageaugmenter",
    tune_augmentation: bool = False,
    tune_model: bool = False,
    limit_search: bool = True,
    arch: str | Callable = "alexnet",
    learning_rate: tuple[float, float] = (1e-5, 1e-2),
    decay: tuple[float, float] = (0.0, 0.1),
    optimizers: Sequence[str] = OPTIMIZERS,
    losses: Sequence[str] = LOSSES,
    activations: Sequence[str] = ACTIVATIONS,
    initializers: Sequence[str] = INITIALIZERS,
    batch_size: tuple[int, int] = (16, 64),
    n_copies: tuple[int, int] = (2, 25),
    n_copies_other: tuple[int, int] | None = None,
    image_size: tuple[int, int] | None = (50, 100),
    max_pixel: tuple[float, float] | None = None,
    n_bands: int | None = None,
    max_shift: int | None = 10,
    blend_max: float = 0.0,
    blend_other: tuple[float, float] | None = None,
    max_mask_size: int | None = None,
    max_num_masks: int | None = None,
    poolings: Sequence[str] = POOLINGS,
    regularizers: Sequence[str] = REGULARIZERS,
    inject: bool = False,
    injector: str = "lensinjector",
    injected_einstein_radius: tuple[float, float] = (0.8, 3.0),
    injected_source_magnitude: tuple[float, float] = (20.5, 24.0),
    n_injected: tuple[int, int] | None = None,
) -> dict[str, Dimension]:
    """Build the search space of an ImageAugmenter + CNNClassifier pipeline.

    The result is an ordinary dict (pipeline parameter name -> skopt
    dimension): edit it freely before passing it to
    :class:`~skbia.tuning.CNNSearchCV`. Keys use the pipeline's step names,
    ``<classifier>__<param>`` and ``<augmenter>__<param>``.

    Parameters
    ----------
    classifier : str, default="cnnclassifier"
        Step name of the :class:`~skbia.CNNClassifier` in the pipeline
        (``make_pipeline`` names it ``"cnnclassifier"``).
    augmenter : str or None, default="imageaugmenter"
        Step name of the :class:`~skbia.ImageAugmenter`; None if the pipeline
        has none (then ``tune_augmentation`` only tunes the classifier's
        image size and normalization).
    tune_augmentation : bool, default=False
        pyBIA's ``opt_aug``: also tune the augmentation amounts, shift,
        blending and cutouts, the crop size and the normalization maximum.
    tune_model : bool, default=False
        pyBIA's ``opt_model``: also tune the pooling types and the block
        regularizer (batch normalization or local response normalization).
    limit_search : bool, default=True
        pyBIA's ``limit_search``: with ``tune_model=True`` and
        ``limit_search=False``, also tune every per-layer filter count, kernel
        size and stride of ``arch`` (routed ``<classifier>__model__*`` params).
    arch : str or callable, default="alexnet"
        The architecture whose per-layer keywords are tuned (only used when
        ``limit_search=False`` or for per-layer pooling).
    learning_rate : (float, float), default=(1e-5, 1e-2)
        Range of the learning rate (searched on a log scale).
    decay : (float, float), default=(0.0, 0.1)
        Range of the learning-rate decay.
    optimizers, losses, activations, initializers : sequence of str
        Choices for the optimizer, the loss, the conv and dense activations
        and the conv and dense initializers.
    batch_size : (int, int), default=(16, 64)
        pyBIA's ``batch_size_min`` / ``batch_size_max``.
    n_copies : (int, int), default=(2, 25)
        pyBIA's ``batch_min`` / ``batch_max``: augmented copies per image of
        the positive (minority) class.
    n_copies_other : (int, int) or None, default=None
        Range of copies per image of the other class(es); None leaves the
        augmenter's own value (pyBIA's fixed ``batch_other``).
    image_size : (int, int) or None, default=(50, 100)
        pyBIA's ``image_size_min`` / ``image_size_max``: the classifier's
        centre-crop size; None does not tune it.
    max_pixel : (float, float) or None, default=None
        pyBIA's ``opt_max_min_pix`` / ``opt_max_max_pix``: range of the
        normalization maximum, one dimension per band named
        ``<classifier>__max_pixel[<band>]`` (packed into the list-valued
        ``max_pixel`` by :class:`~skbia.tuning.CNNSearchCV`). The classifier
        must have ``normalize=True``.
    n_bands : int or None, default=None
        Number of bands; required with ``max_pixel``. ``n_bands=0`` tunes one
        scalar ``max_pixel`` shared by all bands (usable with plain
        :class:`skopt.BayesSearchCV`).
    max_shift : int or None, default=10
        pyBIA's ``shift``: the augmenter's maximum shift is tuned in
        ``[0, max_shift]`` pixels, the same for both axes. None does not tune it.
    blend_max : float, default=0.0
        pyBIA's ``blend_max``: if >= 1.1, the positive class's blending
        multiplier is tuned in ``[1, blend_max]``; below 1.1 blending is not tuned.
    blend_other : (float, float) or None, default=None
        Range of the other classes' blending multiplier; None leaves the
        augmenter's own value (pyBIA's fixed ``blend_other``).
    max_mask_size, max_num_masks : int or None, default=None
        pyBIA's ``mask_size`` / ``num_masks``: cutout size and count tuned in
        ``[1, max]``; None does not tune them.
    poolings : sequence of str, default=("max", "average", "min")
        Pooling choices (``tune_model``).
    regularizers : sequence of str, default=("batch_norm", "local_response")
        Block regularizer choices (``tune_model``).
    inject : bool, default=False
        Also tune the :class:`~skbia.augmentation.LensInjector` step: the
        range of Einstein radii and of source magnitudes it draws from (and
        with ``n_injected`` how many lenses it paints). A range ``(lo, hi)``
        is tuned as two dimensions, ``<injector>__<param>[0]`` in
        ``[lo, mid]`` and ``<injector>__<param>[1]`` in ``[mid, hi]``
        (``mid`` the midpoint), so the pair is never inverted;
        :class:`~skbia.tuning.CNNSearchCV` packs them into the ``(min, max)``
        list the injector takes.
    injector : str, default="lensinjector"
        Step name of the :class:`~skbia.augmentation.LensInjector`
        (``make_pipeline`` names it ``"lensinjector"``).
    injected_einstein_radius : (float, float), default=(0.8, 3.0)
        Einstein radii (arcsec) between which the injector's
        ``einstein_radius`` range is tuned (``inject``).
    injected_source_magnitude : (float, float), default=(20.5, 24.0)
        Unlensed source magnitudes between which the injector's
        ``source_magnitude`` range is tuned (``inject``): the bright end in
        the brighter half, the faint end in the fainter half.
    n_injected : (int, int) or None, default=None
        Range of the number of injected lenses (``inject``); None leaves the
        injector's own value.

    Returns
    -------
    space : dict of str to skopt.space.Dimension
        The search space.

    Raises
    ------
    ValueError
        Bounds that are not a pair of finite numbers, inverted or out of
        range; choice lists that are empty or a single string instead of a
        list; ``max_pixel`` without a non-negative integer ``n_bands``; a
        ``blend_max`` that is not a finite number >= 0; a non-positive
        ``injected_einstein_radius``.

    Examples
    --------
    >>> from skbia.tuning import build_search_space
    >>> space = build_search_space(tune_augmentation=True, max_pixel=(10, 1500), n_bands=3)
    >>> sorted(space)[:2]
    ['cnnclassifier__batch_size', 'cnnclassifier__conv_activation']
    """
    c = f"{classifier}__"
    lr_lo, lr_hi = _check_range("learning_rate", learning_rate, low=0, integer=False)
    if lr_lo <= 0:
        raise ValueError(f"learning_rate must be positive; got {learning_rate!r}.")
    decay_lo, decay_hi = _check_range("decay", decay, low=0, integer=False)
    space: dict[str, Dimension] = {
        c + "learning_rate": Real(lr_lo, lr_hi, prior="log-uniform"),
        c + "decay": Real(decay_lo, decay_hi) if decay_hi > decay_lo else Categorical([decay_lo]),
        c + "optimizer": _choices("optimizers", optimizers),
        c + "loss": _choices("losses", losses),
        c + "conv_activation": _choices("activations", activations),
        c + "dense_activation": _choices("activations", activations),
        c + "conv_initializer": _choices("initializers", initializers),
        c + "dense_initializer": _choices("initializers", initializers),
        c + "batch_size": _integer("batch_size", batch_size, low=1),
    }

    if tune_augmentation:
        if image_size is not None:
            space[c + "image_size"] = _integer("image_size", image_size, low=1)
        if max_pixel is not None:
            lo, hi = _check_range("max_pixel", max_pixel, low=-float("inf"), integer=False)
            if not is_integer(n_bands) or n_bands < 0:
                raise ValueError(
                    "n_bands (a number >= 1, or 0 for one max_pixel shared by all bands) is "
                    f"needed to tune max_pixel; got n_bands={n_bands!r}."
                )
            keys = [c + "max_pixel"] if n_bands == 0 else [
                f"{c}max_pixel[{band}]" for band in range(n_bands)
            ]
            for key in keys:
                space[key] = Real(lo, hi)
        if augmenter is not None:
            space.update(
                _augmentation_space(
                    f"{augmenter}__",
                    n_copies=n_copies,
                    n_copies_other=n_copies_other,
                    max_shift=max_shift,
                    blend_max=blend_max,
                    blend_other=blend_other,
                    max_mask_size=max_mask_size,
                    max_num_masks=max_num_masks,
                )
            )

    if inject:
        space.update(
            _injection_space(
                f"{injector}__",
                einstein_radius=injected_einstein_radius,
                source_magnitude=injected_source_magnitude,
                n_injected=n_injected,
            )
        )

    if tune_model:
        knobs = _layer_knobs(arch)
        layer_poolings = sorted(name for name in knobs if _LAYER_POOLING.match(name))
        if layer_poolings:
            for name in layer_poolings:
                space[f"{c}model__{name}"] = _choices("poolings", poolings)
        else:
            space[c + "pooling"] = _choices("poolings", poolings)
        space[c + "regularizer"] = _choices("regularizers", regularizers)
        if not limit_search:
            for name, default in sorted(knobs.items()):
                if _LAYER_KNOB.match(name):
                    space[f"{c}model__{name}"] = _layer_dimension(name, default)
    return space


def _augmentation_space(
    a: str,
    *,
    n_copies: tuple[int, int],
    n_copies_other: tuple[int, int] | None,
    max_shift: int | None,
    blend_max: float,
    blend_other: tuple[float, float] | None,
    max_mask_size: int | None,
    max_num_masks: int | None,
) -> dict[str, Dimension]:
    """Dimensions of the augmenter (pyBIA's ``opt_aug``)."""
    if not is_real(blend_max) or not math.isfinite(blend_max):
        raise ValueError(f"blend_max must be a finite number >= 0; got {blend_max!r}.")
    space: dict[str, Dimension] = {a + "n_copies": _integer("n_copies", n_copies, low=0)}
    if n_copies_other is not None:
        space[a + "n_copies_other"] = _integer("n_copies_other", n_copies_other, low=0)
    if max_shift is not None:
        space[a + "shift"] = _integer("max_shift", (0, max_shift), low=0)
    if blend_max >= 1.1:
        space[a + "blend_multiplier"] = Real(1.0, float(blend_max))
    elif blend_max < 0:
        raise ValueError(f"blend_max must be >= 0; got {blend_max!r}.")
    if blend_other is not None:
        lo, hi = _check_range("blend_other", blend_other, low=0, integer=False)
        space[a + "blend_other"] = Real(lo, hi) if hi > lo else Categorical([lo])
    if max_mask_size is not None:
        space[a + "mask_size"] = _integer("max_mask_size", (1, max_mask_size), low=1)
    if max_num_masks is not None:
        space[a + "num_masks"] = _integer("max_num_masks", (1, max_num_masks), low=1)
    return space


def _split_range(key: str, name: str, bounds: Any, low: float) -> dict[str, Dimension]:
    """Tune a (min, max) range as ``key[0]`` in [lo, mid] and ``key[1]`` in [mid, hi]."""
    lo, hi = _check_range(name, bounds, low=low, integer=False)
    if lo == hi:
        return {f"{key}[0]": Categorical([lo]), f"{key}[1]": Categorical([hi])}
    mid = (lo + hi) / 2.0
    return {f"{key}[0]": Real(lo, mid), f"{key}[1]": Real(mid, hi)}


def _injection_space(
    i: str,
    *,
    einstein_radius: tuple[float, float],
    source_magnitude: tuple[float, float],
    n_injected: tuple[int, int] | None,
) -> dict[str, Dimension]:
    """Dimensions of the lens injector: Einstein radius and source magnitude ranges."""
    radius = _split_range(i + "einstein_radius", "injected_einstein_radius", einstein_radius,
                          low=0.0)
    if _check_range("injected_einstein_radius", einstein_radius, low=0, integer=False)[0] <= 0:
        raise ValueError(
            f"injected_einstein_radius must be positive (arcsec); got {einstein_radius!r}."
        )
    space = {**radius, **_split_range(i + "source_magnitude", "injected_source_magnitude",
                                      source_magnitude, low=-float("inf"))}
    if n_injected is not None:
        space[i + "n_injected"] = _integer("n_injected", n_injected, low=0)
    return space
