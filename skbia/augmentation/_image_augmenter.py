"""Offline image augmentation as an imbalanced-learn sampler.

:class:`ImageAugmenter` adds randomly transformed copies of the training
images. As a step of an :class:`imblearn.pipeline.Pipeline` it runs only while
the pipeline is fitted, so in cross-validation and hyper-parameter searches
only the training folds are augmented; held-out images and ``predict`` inputs
pass through untouched.
"""

from __future__ import annotations

import hashlib
import math
import numbers
from collections.abc import Mapping

import numpy as np
from imblearn.base import BaseSampler
from sklearn.utils import check_random_state

from skbia.augmentation._blending import BLENDING_FUNCTIONS, blend
from skbia.augmentation._cutouts import apply_cutouts
from skbia.augmentation._geometry import (
    FILL_MODES,
    INTERPOLATIONS,
    GeometrySettings,
    inverse_maps,
    random_linear_parts,
    warp_images,
)
from skbia.utils import check_images, check_labels

__all__ = ["ImageAugmenter"]


class ImageAugmenter(BaseSampler):
    """Add randomly shifted, flipped, rotated, zoomed, skewed, blended and cut-out copies.

    ``fit_resample(X, y)`` returns the original images followed by augmented
    copies, with their labels. The minority ("positive") class and the other
    classes get different amounts of augmentation, as in pyBIA's
    ``augment_positive`` / ``augment_negative``. Every transform is off by
    default; with nothing enabled the copies are exact duplicates.

    Each augmented image is made in three steps:

    1. **Geometry**, one resampling pass: flips, skew, zoom and rotation about
       the image centre, then the shift, composed into one affine matrix and
       applied once to all channels together (every band gets the same
       geometry).
    2. **Blending** (if the class's blending multiplier is > 0): the class's
       geometric copies are replaced by blends of ``num_images_to_blend``
       distinct copies each.
    3. **Cutouts** (if ``mask_size`` is set): ``num_masks`` discs per image set
       to zero in every channel.

    Original images are never modified. Images keep their full size: crop
    them inside the classifier (``CNNClassifier(image_size=...)``), which
    removes the border that the geometry filled in.

    Parameters
    ----------
    n_copies : int or dict, default=1
        Augmented copies made of each image of the positive class (pyBIA's
        ``batch``). A dict ``{label: copies}`` sets the amount per class;
        classes not in it get ``n_copies_other``.
    n_copies_other : int, default=0
        Augmented copies made of each image of every other class (pyBIA's
        ``batch_other``).
    shift : int or (int, int), default=0
        Maximum shift in pixels, the same for rows and columns, or a
        ``(rows, columns)`` pair (pyBIA's ``height_shift``, ``width_shift``).
        Integer shifts are drawn uniformly from ``[-shift, shift]``.
    horizontal : bool, default=False
        Flip left-right with probability 1/2.
    vertical : bool, default=False
        Flip up-down with probability 1/2.
    rotation : bool or "90", default=False
        True: rotate by an angle drawn uniformly from [0, 360) degrees.
        ``"90"``: rotate by a random multiple of 90 degrees, an exact pixel
        permutation (square images only).
    zoom_range : (float, float) or None, default=None
        Magnification drawn uniformly from ``(min_zoom, max_zoom)``; values
        above 1 enlarge the content. None disables zoom.
    skew_angle : float, default=0.0
        Maximum absolute shear angle in degrees (0 <= skew_angle < 90); the
        shear angles along x and y are drawn independently and uniformly from
        ``[-skew_angle, skew_angle]``.
    fill : {"nearest", "constant", "reflect", "mirror", "wrap"}, default="nearest"
        How the geometry fills pixels that come from outside the image, named
        as in :mod:`scipy.ndimage`: "nearest" repeats the edge pixel,
        "constant" uses ``fill_value``, "reflect" mirrors about the pixel edge
        (``d c b a | a b c d``), "mirror" about the edge pixel's centre
        (``d c b | a b c d``), "wrap" tiles the image (period = image size,
        scipy's "grid-wrap").
    fill_value : float, default=0.0
        Value of the pixels filled in when ``fill="constant"``.
    interpolation : {"bilinear", "nearest", "bicubic"}, default="bilinear"
        Resampling kernel of the geometric step. Flips, integer shifts and
        multiples of 90 degrees are exact with any kernel.
    blend_multiplier : float or dict, default=0.0
        Blending for the positive class: 0 disables it; a value ``m > 0``
        replaces the class's ``C`` geometric copies by ``floor(m * C)`` blended
        images (pyBIA's ``blend_multiplier``). A dict ``{label: m}`` sets it
        per class; classes not in it get ``blend_other``.
    blend_other : float, default=0.0
        Blending multiplier of every other class (pyBIA's ``blend_other``).
    blending_func : {"mean", "max", "min", "random"}, default="mean"
        Pixel-wise combination of the blended images; "random" picks one of
        the three for each blended image.
    num_images_to_blend : int, default=2
        Distinct copies (of the same class) combined into each blended image.
    mask_size : int or None, default=None
        Radius in pixels of the circular cutouts; None disables cutouts. A
        pixel is cut out when its distance to the disc centre is at most
        ``mask_size``; discs lie wholly inside the image.
    num_masks : int, default=1
        Cutouts per augmented image (they may overlap).
    balance : bool, default=False
        After augmentation, randomly drop images (originals or copies) of
        every class that has more images than the positive class, down to the
        positive class's count.
    positive_label : label or None, default=None
        The class that gets ``n_copies`` and ``blend_multiplier``. None means
        the least frequent class in ``y``; ties go to the largest label (so
        balanced binary 0/1 labels make 1 positive).
    random_state : int, RandomState instance or None, default=None
        Seed of the random draws. With an int, the draws of a call depend on
        the seed *and* on the input images and labels, so the same data give
        the same output, while different cross-validation folds get different
        draws. None draws fresh randomness on every call.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in the last call.
    positive_label_ : label
        The positive class used.
    n_copies_ : dict
        Geometric copies per image, per class.
    blend_multiplier_ : dict
        Blending multiplier per class.
    class_counts_ : dict
        Number of images of each class returned by the last ``fit_resample``.

    See Also
    --------
    skbia.CNNClassifier : Crops to ``image_size`` and normalizes inside the model.
    skbia.plot_images : Look at the augmented images.

    Notes
    -----
    Number of images returned for a class with ``n`` images, ``k`` copies per
    image and blending multiplier ``m``: ``n + n * k`` without blending,
    ``n + floor(m * n * k)`` with it (``m > 0``); then ``balance`` may trim
    the classes larger than the positive one. Originals come first, in input
    order, then the augmented images class by class (the order of
    ``classes_``); cutouts are applied to augmented images only, so give the
    other classes copies too (``n_copies_other >= 1``) when using cutouts or
    blending, or the network may learn that cut-out or blended images are
    positives. Do not take a validation set from the output (e.g. Keras'
    ``validation_split``): it would hold copies of training images.

    Examples
    --------
    >>> import numpy as np
    >>> from skbia import ImageAugmenter
    >>> X = np.random.default_rng(0).normal(size=(12, 32, 32, 3)).astype("float32")
    >>> y = np.array([1, 1] + [0] * 10)
    >>> augmenter = ImageAugmenter(n_copies=4, shift=3, horizontal=True, rotation=True,
    ...                            random_state=0)
    >>> X_res, y_res = augmenter.fit_resample(X, y)
    >>> X_res.shape, int((y_res == 1).sum())
    ((20, 32, 32, 3), 10)
    """

    def __init__(
        self,
        *,
        n_copies: int | Mapping = 1,
        n_copies_other: int = 0,
        shift: int | tuple[int, int] = 0,
        horizontal: bool = False,
        vertical: bool = False,
        rotation: bool | str = False,
        zoom_range: tuple[float, float] | None = None,
        skew_angle: float = 0.0,
        fill: str = "nearest",
        fill_value: float = 0.0,
        interpolation: str = "bilinear",
        blend_multiplier: float | Mapping = 0.0,
        blend_other: float = 0.0,
        blending_func: str = "mean",
        num_images_to_blend: int = 2,
        mask_size: int | None = None,
        num_masks: int = 1,
        balance: bool = False,
        positive_label=None,
        random_state: int | np.random.RandomState | None = None,
    ):
        self.n_copies = n_copies
        self.n_copies_other = n_copies_other
        self.shift = shift
        self.horizontal = horizontal
        self.vertical = vertical
        self.rotation = rotation
        self.zoom_range = zoom_range
        self.skew_angle = skew_angle
        self.fill = fill
        self.fill_value = fill_value
        self.interpolation = interpolation
        self.blend_multiplier = blend_multiplier
        self.blend_other = blend_other
        self.blending_func = blending_func
        self.num_images_to_blend = num_images_to_blend
        self.mask_size = mask_size
        self.num_masks = num_masks
        self.balance = balance
        self.positive_label = positive_label
        self.random_state = random_state

    def fit(self, X, y) -> ImageAugmenter:
        """Check the parameters and the data, and resolve the per-class amounts.

        Use :meth:`fit_resample` to augment; a pipeline calls it for you.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width[, channels])
            Training images.
        y : array-like of shape (n_images,)
            Class labels.

        Returns
        -------
        self : ImageAugmenter
        """
        self._prepare(X, y)
        return self

    def fit_resample(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """Return the images and their augmented copies, with labels.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width) or (n_images, height, width, channels)
            Training images, any real dtype or byte order, all pixels finite.
        y : array-like of shape (n_images,)
            Class labels (at least two classes).

        Returns
        -------
        X_resampled : ndarray of shape (n_out, height, width, channels), float32
            The originals followed by the augmented images (see Notes of
            :class:`ImageAugmenter` for ``n_out``). 3-d input gets one channel.
        y_resampled : ndarray of shape (n_out,)
            Their labels.
        """
        images, labels = self._prepare(X, y)
        return self._fit_resample(images, labels)

    def _prepare(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """Validate the input and parameters; set the fitted attributes."""
        images = check_images(X)
        labels = check_labels(y, len(images))
        check_random_state(self.random_state)  # fail early on an unusable seed
        settings = self._geometry_settings(images.shape[1:3])
        self._check_blending_and_cutouts(images.shape[1:3])
        classes, counts = np.unique(labels, return_counts=True)
        positive = self._positive(classes, counts)
        self.classes_ = classes
        self.positive_label_ = positive
        self.n_copies_ = _per_class(
            "n_copies",
            self.n_copies,
            "n_copies_other",
            self.n_copies_other,
            classes,
            positive,
            _check_count,
        )
        self.blend_multiplier_ = _per_class(
            "blend_multiplier",
            self.blend_multiplier,
            "blend_other",
            self.blend_other,
            classes,
            positive,
            _check_multiplier,
        )
        self._settings = settings
        return images, labels

    def _fit_resample(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Augment validated images; see :meth:`fit_resample`."""
        geometry_rng, blend_rng, cutout_rng, balance_rng = (
            np.random.default_rng(seed) for seed in self._call_seed(X, y).spawn(4)
        )
        plan = []  # (label, source images of its copies, number of augmented images)
        for label in self.classes_:
            sources = np.repeat(np.flatnonzero(y == label), self.n_copies_[_key(label)])
            multiplier = self.blend_multiplier_[_key(label)]
            n_made = math.floor(round(multiplier * len(sources), 9)) if multiplier else len(sources)
            plan.append((label, sources, n_made))

        # One output array: the originals, then each class's augmented images.
        n_total = len(X) + sum(n_made for *_, n_made in plan)
        X_out = np.empty((n_total, *X.shape[1:]), dtype=np.float32)
        X_out[: len(X)] = X
        y_out = np.concatenate([y, *(np.repeat(y[sources[:1]], n) for _, sources, n in plan)])
        start = len(X)
        for label, sources, n_made in plan:
            block = X_out[start : start + n_made]
            if n_made and self.blend_multiplier_[_key(label)]:
                copies = self._geometry(X, sources, geometry_rng)
                self._blend(copies, label, blend_rng, out=block)
            elif n_made:
                self._geometry(X, sources, geometry_rng, out=block)
            start += n_made
        if self.mask_size is not None and n_total > len(X):
            apply_cutouts(
                X_out[len(X) :], cutout_rng, radius=self.mask_size, num_masks=self.num_masks
            )

        if self.balance:
            keep = self._balanced_subset(y_out, balance_rng)
            X_out, y_out = X_out[keep], y_out[keep]
        labels, counts = np.unique(y_out, return_counts=True)
        self.class_counts_ = {
            _key(label): int(count) for label, count in zip(labels, counts, strict=True)
        }
        return X_out, y_out

    def _geometry(self, X, sources, rng, out=None) -> np.ndarray:
        """Geometric copies of ``X[sources]``, each through its own random affine warp."""
        if not self._settings.enabled:
            # mode="clip" (indices are valid anyway) lets numpy write into ``out`` unbuffered
            return np.take(X, sources, axis=0, out=out, mode="clip")
        linear, shifts = random_linear_parts(rng, len(sources), self._settings)
        maps = inverse_maps(linear, shifts, *X.shape[1:3])
        return warp_images(
            X,
            sources,
            maps,
            fill=self.fill,
            fill_value=self.fill_value,
            interpolation=self.interpolation,
            out=out,
        )

    def _blend(self, copies, label, rng, out) -> None:
        """Fill ``out`` with blends of one class's geometric ``copies``."""
        if len(copies) < self.num_images_to_blend:
            raise ValueError(
                f"Class {_key(label)!r} has {len(copies)} augmented copies to blend, fewer "
                f"than num_images_to_blend={self.num_images_to_blend}; raise its number of "
                f"copies or lower num_images_to_blend."
            )
        blend(copies, len(out), rng, func=self.blending_func, k=self.num_images_to_blend, out=out)

    def _balanced_subset(self, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Return indices that trim every class larger than the positive class to its size."""
        target = int(np.sum(y == self.positive_label_))
        keep = []
        for label in self.classes_:
            index = np.flatnonzero(y == label)
            if len(index) > target:
                index = np.sort(rng.choice(index, size=target, replace=False))
            keep.append(index)
        return np.sort(np.concatenate(keep))

    def _call_seed(self, X: np.ndarray, y: np.ndarray) -> np.random.SeedSequence:
        """Seed of one call: ``random_state`` combined with a digest of the data."""
        if self.random_state is None:
            return np.random.SeedSequence()
        if isinstance(self.random_state, numbers.Integral) and not isinstance(
            self.random_state, bool
        ):
            check_random_state(self.random_state)
            base = int(self.random_state)
        else:
            base = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        digest = hashlib.sha1(usedforsecurity=False)
        digest.update(repr(X.shape).encode())
        classes, codes = np.unique(y, return_inverse=True)
        digest.update(repr(classes.tolist()).encode())
        digest.update(codes.astype(np.int64).tobytes())
        digest.update(np.ascontiguousarray(X).data)
        words = np.frombuffer(digest.digest()[:16], dtype=np.uint32)
        return np.random.SeedSequence([base, *words.tolist()])

    def _positive(self, classes: np.ndarray, counts: np.ndarray):
        """Return the positive class: ``positive_label`` or the least frequent class."""
        if self.positive_label is not None:
            if self.positive_label not in set(classes.tolist()):
                raise ValueError(
                    f"positive_label={self.positive_label!r} is not one of the classes in y "
                    f"({', '.join(map(repr, classes.tolist()))})."
                )
            return self.positive_label
        return classes[np.flatnonzero(counts == counts.min())[-1]].item()

    def _geometry_settings(self, image_size: tuple[int, int]) -> GeometrySettings:
        """Validate the geometric parameters against the image size."""
        height, width = image_size
        shift = self.shift
        pair = (shift, shift) if _is_int(shift) else tuple(np.atleast_1d(np.asarray(shift)))
        if len(pair) != 2 or not all(_is_int(s) and s >= 0 for s in pair):
            raise ValueError(
                f"shift must be a non-negative integer or a (rows, columns) pair of them; "
                f"got {shift!r}."
            )
        if pair[0] >= height or pair[1] >= width:
            raise ValueError(
                f"shift={shift!r} would move {height}x{width} pixel images out of the frame; "
                f"it must be smaller than the image height and width."
            )
        for name in ("horizontal", "vertical", "balance"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise TypeError(f"{name} must be True or False; got {getattr(self, name)!r}.")
        if not (isinstance(self.rotation, bool | np.bool_) or self.rotation == "90"):
            raise ValueError(f'rotation must be True, False or "90"; got {self.rotation!r}.')
        if self.rotation == "90" and height != width:
            raise ValueError(
                f'rotation="90" needs square images (quarter turns of a {height}x{width} '
                f"image do not fit its frame); use rotation=True."
            )
        zoom = self.zoom_range
        if zoom is not None:
            values = np.asarray(zoom, dtype=float) if _is_pair(zoom) else None
            if values is None or not np.isfinite(values).all() or not 0 < values[0] <= values[1]:
                raise ValueError(
                    f"zoom_range must be None or a (min_zoom, max_zoom) pair with "
                    f"0 < min_zoom <= max_zoom; got {zoom!r}."
                )
            zoom = (float(values[0]), float(values[1]))
        if not _is_real(self.skew_angle) or not 0 <= self.skew_angle < 90:
            raise ValueError(f"skew_angle must be in [0, 90) degrees; got {self.skew_angle!r}.")
        if self.fill not in FILL_MODES:
            raise ValueError(
                f"fill must be one of {', '.join(map(repr, FILL_MODES))}; got {self.fill!r}."
            )
        if not _is_real(self.fill_value) or not np.isfinite(self.fill_value):
            raise ValueError(f"fill_value must be a finite number; got {self.fill_value!r}.")
        if self.interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"interpolation must be one of {', '.join(map(repr, INTERPOLATIONS))}; "
                f"got {self.interpolation!r}."
            )
        return GeometrySettings(
            shift=(int(pair[0]), int(pair[1])),
            horizontal=bool(self.horizontal),
            vertical=bool(self.vertical),
            rotation="90" if self.rotation == "90" else bool(self.rotation),
            zoom_range=zoom,
            skew_angle=float(self.skew_angle),
        )

    def _check_blending_and_cutouts(self, image_size: tuple[int, int]) -> None:
        """Validate the blending and cutout parameters against the image size."""
        if self.blending_func not in BLENDING_FUNCTIONS:
            raise ValueError(
                f"blending_func must be one of {', '.join(map(repr, BLENDING_FUNCTIONS))}; "
                f"got {self.blending_func!r}."
            )
        if not _is_int(self.num_images_to_blend) or self.num_images_to_blend < 2:
            raise ValueError(
                f"num_images_to_blend must be an integer >= 2; got {self.num_images_to_blend!r}."
            )
        if self.mask_size is None:
            return
        if not _is_int(self.mask_size) or self.mask_size < 1:
            raise ValueError(
                f"mask_size must be None or a positive integer (the cutout radius in pixels); "
                f"got {self.mask_size!r}."
            )
        if not _is_int(self.num_masks) or self.num_masks < 1:
            raise ValueError(f"num_masks must be a positive integer; got {self.num_masks!r}.")
        height, width = image_size
        if 2 * self.mask_size >= min(height, width):
            raise ValueError(
                f"mask_size={self.mask_size} is too large for {height}x{width} pixel images: "
                f"a cutout disc of radius {self.mask_size} spans {2 * self.mask_size + 1} "
                f"pixels and must fit inside the image."
            )

    def __sklearn_tags__(self):
        """Images are n-d arrays of finite numbers: no 2-d tables, sparse data or NaN."""
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.sparse = False
        tags.input_tags.dataframe = False
        tags.input_tags.allow_nan = False
        return tags


def _key(label):
    """Return a plain Python scalar for a numpy label, for dict keys and messages."""
    return label.item() if isinstance(label, np.generic) else label


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _is_pair(value) -> bool:
    return (
        not isinstance(value, str | bytes | Mapping)
        and np.ndim(value) == 1
        and len(value) == 2
        and all(_is_real(v) for v in value)
    )


def _check_count(name: str, value) -> int:
    if not _is_int(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer; got {value!r}.")
    return int(value)


def _check_multiplier(name: str, value) -> float:
    if not _is_real(value) or not np.isfinite(value) or value < 0:
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
