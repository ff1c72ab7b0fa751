"""ImageAugmenter's parameter constraints, checks against the data, and per-call seeding."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import type_of_target

from skbia.augmentation._blending import BLENDING_FUNCTIONS
from skbia.augmentation._cutouts import disc_offsets
from skbia.augmentation._geometry import FILL_MODES, INTERPOLATIONS, GeometrySettings
from skbia.utils import (
    NumberInterval,
    check_count,
    check_labels,
    is_integer,
    is_real,
    resolve_positive_label,
)

# Zoom factors outside [0.1, 10] shrink the content to a tenth of the frame or show
# a tenth of it: no longer a perturbation of the same object.
ZOOM_BOUNDS = (0.1, 10.0)
# Shear angles along x and y of up to s degrees give det = 1 - tan(a) tan(b) >= 1 - tan(s)**2:
# at 45 degrees the warp can be singular (the image collapses onto a line), beyond it flips.
MAX_SKEW_ANGLE = 45.0
_FLOAT32_MAX = float(np.finfo(np.float32).max)
# Targets of one class label per image (scikit-learn's type_of_target).
CLASS_TARGETS = ("binary", "multiclass")
_TARGET_HINTS = {
    "continuous": "float values that are not all whole numbers",
    "unknown": "values scikit-learn cannot read as labels, e.g. a mix of strings, numbers and None",
}

PARAMETER_CONSTRAINTS: dict = {
    "n_copies": [NumberInterval(Integral, 0, None, closed="left"), Mapping],
    "n_copies_other": [NumberInterval(Integral, 0, None, closed="left")],
    # a (rows, columns) pair is checked by hand against the image size
    "shift": [NumberInterval(Integral, 0, None, closed="left"), "array-like"],
    "horizontal": ["boolean"],
    "vertical": ["boolean"],
    "rotation": ["boolean", StrOptions({"90"})],
    "dihedral": ["boolean"],
    "zoom_range": [None, "array-like"],
    "skew_angle": [NumberInterval(Real, 0, MAX_SKEW_ANGLE, closed="left")],
    "fill": [StrOptions(set(FILL_MODES))],
    # finite in float32, the dtype of the output (1e40 would become inf); open, so that
    # scikit-learn's check_param_validation can make an invalid value (max + 1e-6 == max)
    "fill_value": [NumberInterval(Real, -_FLOAT32_MAX, _FLOAT32_MAX, closed="neither")],
    "interpolation": [StrOptions(set(INTERPOLATIONS))],
    "blend_multiplier": [NumberInterval(Real, 0, None, closed="left"), Mapping],
    "blend_other": [NumberInterval(Real, 0, None, closed="left")],
    "blending_func": [StrOptions(set(BLENDING_FUNCTIONS))],
    "num_images_to_blend": [NumberInterval(Integral, 2, None, closed="left")],
    "mask_size": [NumberInterval(Integral, 1, None, closed="left"), None],
    "num_masks": [NumberInterval(Integral, 1, None, closed="left")],
    "balance": ["boolean"],
    "positive_label": "no_validation",  # any label; checked against y
    "random_state": ["random_state"],
}


def check_class_labels(y, n_images: int) -> np.ndarray:
    """Validate ``y`` as one class label per image and return it as a 1-d array.

    Parameters
    ----------
    y : array-like of shape (n_images,) or (n_images, 1)
        Class labels.
    n_images : int
        Number of images.

    Returns
    -------
    labels : ndarray of shape (n_images,)

    Raises
    ------
    ValueError
        If ``y`` is 2-d with several columns (multilabel or multi-output), if
        scikit-learn's :func:`~sklearn.utils.multiclass.type_of_target` does
        not read it as binary or multiclass (e.g. continuous values), or for
        the checks of :func:`skbia.utils.check_labels`.
    """
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]  # a column: one label per image
    if labels.ndim == 2 and labels.shape[1] > 1:
        raise ValueError(
            f"ImageAugmenter needs one class label per image (a 1-d y); y has shape "
            f"{labels.shape}, a {_target_type(labels) or 'multi-output'} target. Multilabel and "
            f"multi-output targets are not supported; for one-hot rows pass y.argmax(axis=1)."
        )
    if labels.ndim == 1 and not (labels.dtype.kind == "f" and not np.isfinite(labels).all()):
        _check_target_type(labels)  # (NaN labels are left to check_labels, which names them)
    return check_labels(labels, n_images)


def _check_target_type(labels: np.ndarray) -> None:
    """Raise unless scikit-learn reads 1-d ``labels`` as binary or multiclass."""
    target = type_of_target(labels, input_name="y")
    if target not in CLASS_TARGETS:
        hint = _TARGET_HINTS.get(target, "not one class label per image")
        raise ValueError(
            f"ImageAugmenter needs class labels; y looks {target} (type_of_target(y) is "
            f"{target!r}: {hint}), not {' or '.join(CLASS_TARGETS)}. Turn it into classes "
            f"first, e.g. with a threshold."
        )


def _target_type(labels: np.ndarray) -> str | None:
    """Return scikit-learn's name for the kind of target ``labels`` is; None if it has none."""
    try:
        return type_of_target(labels, input_name="y")
    except ValueError:
        return None


def positive_class(augmenter, classes: np.ndarray, counts: np.ndarray, *, online: bool = False):
    """Return the positive class by skbia's rule (:func:`skbia.utils.resolve_positive_label`).

    ``positive_label`` if set; for binary 0/1 (or -1/1, False/True) labels the
    class 1; other binary labels need ``positive_label`` whenever the positive
    class changes the result (see :func:`positive_class_matters`), and are
    otherwise resolved as scikit-learn does (the sorted-last class); with more
    classes the least frequent one.
    """
    matters = positive_class_matters(augmenter, online=online)
    return resolve_positive_label(
        classes,
        augmenter.positive_label,
        counts=counts,
        required_for="ImageAugmenter (the class to augment)" if matters else None,
    )


def positive_class_matters(augmenter, *, online: bool = False) -> bool:
    """Tell whether the positive class changes what the augmenter makes.

    It does when an amount given as one number differs between the positive
    class and the others (``n_copies`` vs ``n_copies_other``,
    ``blend_multiplier`` vs ``blend_other``; dicts name their classes) or
    with ``balance``. Online augmentation (:class:`OnlineAugmentationDataset`)
    uses only the blending: every class gets the same transforms otherwise.
    """
    blending = _differs(augmenter.blend_multiplier, augmenter.blend_other)
    if online:
        return blending
    return blending or bool(augmenter.balance) or _differs(
        augmenter.n_copies, augmenter.n_copies_other
    )


def _differs(value, other) -> bool:
    return not isinstance(value, Mapping) and value != other


def geometry_settings(augmenter, image_size: tuple[int, int]) -> GeometrySettings:
    """Check what the declared constraints cannot: pairs, and sizes against the images."""
    height, width = image_size
    shift = augmenter.shift
    if is_integer(shift):
        pair = (shift, shift)
    elif isinstance(shift, Mapping | str | bytes) or np.ndim(shift) != 1:
        pair = ()
    else:
        pair = tuple(shift)  # the elements as given, so that booleans stay booleans
    if len(pair) != 2 or not all(is_integer(s) and s >= 0 for s in pair):
        raise ValueError(
            f"shift must be a non-negative integer or a (rows, columns) pair of them; "
            f"got {shift!r}."
        )
    if pair[0] >= height or pair[1] >= width:
        raise ValueError(
            f"shift={shift!r} would move {height}x{width} pixel images out of the frame; "
            f"it must be smaller than the image height and width."
        )
    if augmenter.rotation == "90" and height != width:
        raise ValueError(
            f'rotation="90" needs square images (quarter turns of a {height}x{width} '
            f"image do not fit its frame); use rotation=True."
        )
    if augmenter.dihedral and height != width:
        raise ValueError(
            f"dihedral=True needs square images: the quarter turns of the dihedral group "
            f"would change the shape of {height}x{width} pixel images (shape "
            f"{(height, width)}); crop them square or use dihedral=False."
        )
    zoom = None if augmenter.zoom_range is None else _zoom_pair(augmenter.zoom_range)
    return GeometrySettings(
        shift=(int(pair[0]), int(pair[1])),
        horizontal=bool(augmenter.horizontal),
        vertical=bool(augmenter.vertical),
        rotation="90" if augmenter.rotation == "90" else bool(augmenter.rotation),
        zoom_range=zoom,
        skew_angle=float(augmenter.skew_angle),
    )


def _zoom_pair(zoom) -> tuple[float, float]:
    """Check ``zoom_range``: a pair of factors ``0.1 <= min_zoom <= max_zoom <= 10``."""
    values = np.asarray(zoom, dtype=float) if _is_pair(zoom) else None
    if values is None or not np.isfinite(values).all():
        raise ValueError(
            f"zoom_range must be None or a (min_zoom, max_zoom) pair of finite numbers; "
            f"got {zoom!r}."
        )
    low, high = ZOOM_BOUNDS
    if not values[0] <= values[1]:
        raise ValueError(f"zoom_range must have min_zoom <= max_zoom; got {zoom!r}.")
    if values[0] < low or values[1] > high:
        raise ValueError(
            f"zoom_range factors must lie in [{low:g}, {high:g}] (a zoom of {low:g} shrinks "
            f"the content {1 / low:g}-fold, one of {high:g} shows a {high:g}th of the image "
            f"width); got {zoom!r}."
        )
    return float(values[0]), float(values[1])


def check_cutouts_fit(augmenter, image_size: tuple[int, int]) -> None:
    """Check that the cutout discs fit inside the images and leave some of them uncovered."""
    if augmenter.mask_size is None:
        return
    height, width = image_size
    radius, num_masks = augmenter.mask_size, augmenter.num_masks
    if 2 * radius >= min(height, width):
        raise ValueError(
            f"mask_size={radius} is too large for {height}x{width} pixel images: "
            f"a cutout disc of radius {radius} spans {2 * radius + 1} "
            f"pixels and must fit inside the image."
        )
    disc = len(disc_offsets(radius)[0])
    if num_masks * disc > height * width:
        raise ValueError(
            f"num_masks={num_masks} discs of radius {radius} ({disc} pixels each) add up to "
            f"{num_masks * disc} pixels, more than the {height * width} of a {height}x{width} "
            f"pixel image: the copies would be mostly zeros. Use num_masks <= "
            f"{height * width // disc} or a smaller mask_size."
        )


def copies_per_class(augmenter, classes, positive) -> dict:
    """Resolve ``n_copies`` and ``n_copies_other`` into copies per class."""
    return _per_class(
        "n_copies",
        augmenter.n_copies,
        "n_copies_other",
        augmenter.n_copies_other,
        classes,
        positive,
        check_count,
    )


def multipliers_per_class(augmenter, classes, positive) -> dict:
    """Resolve ``blend_multiplier`` and ``blend_other`` into a multiplier per class."""
    return _per_class(
        "blend_multiplier",
        augmenter.blend_multiplier,
        "blend_other",
        augmenter.blend_other,
        classes,
        positive,
        _check_multiplier,
    )


def blended_count(multiplier: float, n_copies: int) -> int:
    """Return the number of blends made from ``n_copies`` copies: ``floor(multiplier * n_copies)``.

    The product is rounded to 9 decimals first, so that e.g. ``0.29 * 100``
    gives 29 blends despite its binary representation.
    """
    return math.floor(round(multiplier * n_copies, 9))


def check_blending(augmenter, labels: np.ndarray) -> None:
    """Check, before any image work, that every blending class makes blends from enough copies.

    Parameters
    ----------
    augmenter : ImageAugmenter
        With ``n_copies_``, ``blend_multiplier_`` and ``positive_label_`` resolved.
    labels : ndarray of shape (n_images,)
        The validated class labels.

    Raises
    ------
    ValueError
        If a class's multiplier is > 0 but too small to make one blend of its
        copies, or the class has fewer copies than ``num_images_to_blend``.
    """
    classes, counts = np.unique(labels, return_counts=True)
    for label, count in zip(classes, counts, strict=True):
        key = _key(label)
        multiplier, n_copies = augmenter.blend_multiplier_[key], augmenter.n_copies_[key]
        copies = int(count) * n_copies
        if not multiplier or not copies:
            continue  # blending off, or nothing to blend
        if blended_count(multiplier, copies) == 0:
            name = _blend_parameter(augmenter, key)
            raise ValueError(
                f"{name}={multiplier:g} makes no blended image of class {key!r}: its "
                f"{int(count)} image(s) with {n_copies} copy(ies) each give {copies} copies to "
                f"blend, and floor({multiplier:g} * {copies}) = 0. Use {name} >= 1/{copies} (about "
                f"{_round_up(1 / copies):g}) for at least one blended image, or 0 to disable "
                f"blending."
            )
        if copies < augmenter.num_images_to_blend:
            raise ValueError(
                f"Class {key!r} has {copies} augmented copies to blend, fewer "
                f"than num_images_to_blend={augmenter.num_images_to_blend}; raise its number of "
                f"copies or lower num_images_to_blend."
            )


def _blend_parameter(augmenter, label) -> str:
    """Return the name of the parameter that sets the blending multiplier of ``label``."""
    if isinstance(augmenter.blend_multiplier, Mapping):
        named = label in augmenter.blend_multiplier
        return f"blend_multiplier[{label!r}]" if named else "blend_other"
    return "blend_multiplier" if label == augmenter.positive_label_ else "blend_other"


def _round_up(value: float, digits: int = 4) -> float:
    """Round ``value > 0`` up to ``digits`` significant digits."""
    scale = 10.0 ** (digits - 1 - math.floor(math.log10(value)))
    return math.ceil(value * scale) / scale


def call_seed(random_state, X: np.ndarray, y: np.ndarray) -> np.random.SeedSequence:
    """Seed of one call: ``random_state`` combined with a digest of the data."""
    if random_state is None:
        return np.random.SeedSequence()
    if is_integer(random_state):
        base = int(random_state)
    else:
        base = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(repr(X.shape).encode())
    classes, codes = np.unique(y, return_inverse=True)
    digest.update(repr(classes.tolist()).encode())
    digest.update(codes.astype(np.int64).tobytes())
    digest.update(np.ascontiguousarray(X).data)
    words = np.frombuffer(digest.digest()[:16], dtype=np.uint32)
    return np.random.SeedSequence([base, *words.tolist()])


@dataclass(frozen=True)
class _Streams:
    """Independent random streams of the steps of one augmentation call."""

    geometry: np.random.Generator
    blend: np.random.Generator
    cutout: np.random.Generator
    balance: np.random.Generator
    dihedral: np.random.Generator

    @classmethod
    def spawn(cls, seed: np.random.SeedSequence | np.random.Generator) -> _Streams:
        """Spawn one child stream per step from a seed sequence or a generator."""
        if isinstance(seed, np.random.Generator):
            return cls(*seed.spawn(5))
        return cls(*(np.random.default_rng(child) for child in seed.spawn(5)))


def _key(label):
    """Return a plain Python scalar for a numpy label, for dict keys and messages."""
    return label.item() if isinstance(label, np.generic) else label


def _is_pair(value) -> bool:
    return (
        not isinstance(value, str | bytes | Mapping)
        and np.ndim(value) == 1
        and len(value) == 2
        and all(is_real(v) for v in value)
    )


def _check_multiplier(name: str, value) -> float:
    if not is_real(value) or not np.isfinite(value) or value < 0:
        raise ValueError(
            f"{name} must be a finite number >= 0 (0 disables blending); got {value!r}."
        )
    return float(value)


def _per_class(name, value, other_name, other, classes, positive, check) -> dict:
    """Resolve a per-class amount: a dict by label, or one value for the positive class."""
    other = check(other_name, other)
    labels = [_key(label) for label in classes]
    if isinstance(value, Mapping):
        by_label, unknown = {}, []
        for key, amount in value.items():
            label = _class_named(classes, key)
            if label is None:
                unknown.append(key)
            else:
                by_label[label] = check(f"{name}[{key!r}]", amount)
        if unknown:
            raise ValueError(
                f"{name} names labels that are not in y: {unknown!r}; the classes are {labels!r}."
            )
        return {label: by_label.get(label, other) for label in labels}
    value = check(name, value)
    return {label: value if label == positive else other for label in labels}


def _class_named(classes: np.ndarray, key):
    """Return the class that a dict key names, matched as ``positive_label`` is; None if none."""
    if key is None:
        return None
    try:
        return resolve_positive_label(classes, key)
    except ValueError:
        return None
