"""ImageAugmenter's parameter constraints, checks against the data, and per-call seeding."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions

from skbia.augmentation._blending import BLENDING_FUNCTIONS
from skbia.augmentation._geometry import FILL_MODES, INTERPOLATIONS, GeometrySettings
from skbia.utils import NumberInterval, check_count, is_integer, is_real

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
    "skew_angle": [NumberInterval(Real, 0, 90, closed="left")],
    "fill": [StrOptions(set(FILL_MODES))],
    "fill_value": [NumberInterval(Real, None, None, closed="neither")],
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


def positive_class(augmenter, classes: np.ndarray, counts: np.ndarray):
    """Return the positive class: ``positive_label`` or the least frequent class."""
    if augmenter.positive_label is not None:
        if augmenter.positive_label not in set(classes.tolist()):
            raise ValueError(
                f"positive_label={augmenter.positive_label!r} is not one of the classes in y "
                f"({', '.join(map(repr, classes.tolist()))})."
            )
        return augmenter.positive_label
    return classes[np.flatnonzero(counts == counts.min())[-1]].item()


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
    zoom = augmenter.zoom_range
    if zoom is not None:
        values = np.asarray(zoom, dtype=float) if _is_pair(zoom) else None
        if values is None or not np.isfinite(values).all() or not 0 < values[0] <= values[1]:
            raise ValueError(
                f"zoom_range must be None or a (min_zoom, max_zoom) pair with "
                f"0 < min_zoom <= max_zoom; got {zoom!r}."
            )
        zoom = (float(values[0]), float(values[1]))
    return GeometrySettings(
        shift=(int(pair[0]), int(pair[1])),
        horizontal=bool(augmenter.horizontal),
        vertical=bool(augmenter.vertical),
        rotation="90" if augmenter.rotation == "90" else bool(augmenter.rotation),
        zoom_range=zoom,
        skew_angle=float(augmenter.skew_angle),
    )


def check_cutouts_fit(augmenter, image_size: tuple[int, int]) -> None:
    """Check that the cutout discs fit inside the images."""
    if augmenter.mask_size is None:
        return
    height, width = image_size
    if 2 * augmenter.mask_size >= min(height, width):
        raise ValueError(
            f"mask_size={augmenter.mask_size} is too large for {height}x{width} pixel images: "
            f"a cutout disc of radius {augmenter.mask_size} spans {2 * augmenter.mask_size + 1} "
            f"pixels and must fit inside the image."
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
        unknown = [key for key in value if key not in set(labels)]
        if unknown:
            raise ValueError(
                f"{name} names labels that are not in y: {unknown!r}; the classes are {labels!r}."
            )
        return {
            label: check(f"{name}[{label!r}]", value[label]) if label in value else other
            for label in labels
        }
    value = check(name, value)
    return {label: value if label == positive else other for label in labels}
