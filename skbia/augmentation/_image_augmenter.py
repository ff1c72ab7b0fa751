"""Offline image augmentation as an imbalanced-learn sampler.

:class:`ImageAugmenter` adds randomly transformed copies of the training
images. As a step of an :class:`imblearn.pipeline.Pipeline` it runs only while
the pipeline is fitted, so in cross-validation and hyper-parameter searches
only the training folds are augmented; held-out images and ``predict`` inputs
pass through untouched.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
from imblearn.base import BaseSampler

from skbia.augmentation._augmenter_params import (
    PARAMETER_CONSTRAINTS,
    _key,
    _Streams,
    call_seed,
    check_cutouts_fit,
    copies_per_class,
    geometry_settings,
    multipliers_per_class,
    positive_class,
)
from skbia.augmentation._blending import blend
from skbia.augmentation._cutouts import apply_cutouts
from skbia.augmentation._dihedral import random_dihedral
from skbia.augmentation._geometry import inverse_maps, random_linear_parts, warp_images
from skbia.utils import check_images, check_labels, fill_missing_parameters

__all__ = ["ImageAugmenter"]


class ImageAugmenter(BaseSampler):
    """Add randomly shifted, flipped, rotated, zoomed, skewed, blended and cut-out copies.

    ``fit_resample(X, y)`` returns the original images followed by augmented
    copies, with their labels. The minority ("positive") class and the other
    classes get different amounts of augmentation, as in pyBIA's
    ``augment_positive`` / ``augment_negative``. Every transform is off by
    default; with nothing enabled the copies are exact duplicates.

    Each augmented image is made in these steps:

    1. **Geometry**, one resampling pass: flips, skew, zoom and rotation about
       the image centre, then the shift, composed into one affine matrix and
       applied once to all channels together (every band gets the same
       geometry).
    2. **Symmetry** (if ``dihedral``): one of the 8 symmetries of the square,
       drawn uniformly, applied as an exact pixel permutation.
    3. **Blending** (if the class's blending multiplier is > 0): the class's
       geometric copies are replaced by blends of ``num_images_to_blend``
       distinct copies each.
    4. **Cutouts** (if ``mask_size`` is set): ``num_masks`` discs per image set
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
    dihedral : bool, default=False
        Apply to each copy, after the geometry, a uniformly drawn element of
        the dihedral group D4: one of the 4 quarter turns, each optionally
        flipped left-right. These exact symmetries of the square move whole
        pixels (no interpolation, no fill), independently of ``rotation``.
        Square images only: quarter turns would change the shape of others.
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

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        From :meth:`fit` and :meth:`fit_resample`, before any work, when a
        parameter has the wrong type or is out of range; the message names the
        parameter. It is both a ``ValueError`` and a ``TypeError``.
    ValueError
        For values that are only invalid together or for the data: a shift or
        cutout too large for the images, ``rotation="90"`` or
        ``dihedral=True`` with non-square images, per-class dicts naming
        unknown labels, an unknown ``positive_label``.

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

    _parameter_constraints: dict = dict(PARAMETER_CONSTRAINTS)

    def __setstate__(self, state: dict) -> None:
        """Unpickle, giving parameters added since the pickle was written their defaults."""
        super().__setstate__(fill_missing_parameters(type(self), state))

    def __init__(
        self,
        *,
        n_copies: int | Mapping = 1,
        n_copies_other: int = 0,
        shift: int | tuple[int, int] = 0,
        horizontal: bool = False,
        vertical: bool = False,
        rotation: bool | str = False,
        dihedral: bool = False,
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
        self.dihedral = dihedral
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
        """Validate the parameters, then the input; set the fitted attributes."""
        self._validate_params()  # declared constraints, before any work on the data
        images = check_images(X)
        labels = check_labels(y, len(images))
        settings = geometry_settings(self, images.shape[1:3])
        check_cutouts_fit(self, images.shape[1:3])
        classes, counts = np.unique(labels, return_counts=True)
        positive = positive_class(self, classes, counts)
        self.classes_ = classes
        self.positive_label_ = positive
        self.n_copies_ = copies_per_class(self, classes, positive)
        self.blend_multiplier_ = multipliers_per_class(self, classes, positive)
        self._settings = settings
        return images, labels

    def _fit_resample(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Augment validated images; see :meth:`fit_resample`."""
        streams = _Streams.spawn(call_seed(self.random_state, X, y))
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
            self._augment_class(X, sources, label, streams, out=X_out[start : start + n_made])
            start += n_made
        self._cutouts(X_out[len(X) :], streams.cutout)

        if self.balance:
            keep = self._balanced_subset(y_out, streams.balance)
            X_out, y_out = X_out[keep], y_out[keep]
        labels, counts = np.unique(y_out, return_counts=True)
        self.class_counts_ = {
            _key(label): int(count) for label, count in zip(labels, counts, strict=True)
        }
        return X_out, y_out

    def _augment(
        self, images: np.ndarray, labels: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Return one freshly augmented version of each image, for online augmentation.

        The same steps as the copies of :meth:`fit_resample` (geometry,
        symmetry, blending, cutouts), drawn from ``rng`` alone, so that the
        result depends only on the inputs and the generator's state and
        concurrent calls with their own generators never interact. The
        fitted attributes (per-class blending, geometry settings) must be set
        by :meth:`fit`; nothing of the augmenter is modified.

        Parameters
        ----------
        images : ndarray of shape (n, H, W, C), float32
            Images of the size seen by :meth:`fit`.
        labels : ndarray of shape (n,)
            Their classes, all among ``classes_``.
        rng : numpy.random.Generator
            Source of every random draw of this call.

        Returns
        -------
        augmented : ndarray of shape (n, H, W, C), float32
            Row ``i`` is made from ``images[i]``; for a class with a blending
            multiplier > 0 the rows of that class are instead blends of
            ``num_images_to_blend`` distinct augmented images of that class in
            this batch (only when it holds at least that many; the value of the
            multiplier, which sets counts offline, does not matter here).

        Raises
        ------
        ValueError
            If a label is not one of ``classes_``.
        """
        labels = np.asarray(labels)
        unknown = ~np.isin(labels, self.classes_)
        if unknown.any():
            raise ValueError(
                f"labels holds classes the augmenter was not fitted on: "
                f"{sorted({_key(label) for label in labels[unknown]})!r}."
            )
        streams = _Streams.spawn(rng)
        out = np.empty(images.shape, dtype=np.float32)
        for label in self.classes_:
            rows = np.flatnonzero(labels == label)
            if not rows.size:
                continue
            block = np.empty((rows.size, *images.shape[1:]), dtype=np.float32)
            blend_it = rows.size >= self.num_images_to_blend
            self._augment_class(images, rows, label, streams, out=block, blend_copies=blend_it)
            out[rows] = block
        self._cutouts(out, streams.cutout)
        return out

    def _augment_class(
        self,
        X: np.ndarray,
        sources: np.ndarray,
        label,
        streams: _Streams,
        *,
        out: np.ndarray,
        blend_copies: bool = True,
    ) -> None:
        """Fill ``out`` with augmented images of one class made from ``X[sources]``.

        Geometric copies (one warp each, then the symmetry), or, when the
        class blends and ``blend_copies``, ``len(out)`` blends of them.
        """
        if not len(out):
            return
        if blend_copies and self.blend_multiplier_[_key(label)]:
            copies = self._copies(X, sources, streams)
            self._blend(copies, label, streams.blend, out=out)
        else:
            self._copies(X, sources, streams, out=out)

    def _copies(
        self,
        X: np.ndarray,
        sources: np.ndarray,
        streams: _Streams,
        out: np.ndarray | None = None,
    ) -> np.ndarray:
        """Geometric copies of ``X[sources]``, then (if ``dihedral``) their symmetries."""
        copies = self._geometry(X, sources, streams.geometry, out=out)
        if self.dihedral:
            random_dihedral(copies, streams.dihedral)
        return copies

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

    def _cutouts(self, images: np.ndarray, rng: np.random.Generator) -> None:
        """Cut ``num_masks`` discs out of each of ``images`` in place, if ``mask_size`` is set."""
        if self.mask_size is not None and len(images):
            apply_cutouts(images, rng, radius=self.mask_size, num_masks=self.num_masks)

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

    def __sklearn_tags__(self):
        """Images are n-d arrays of finite numbers: no 2-d tables, sparse data or NaN."""
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.sparse = False
        tags.input_tags.dataframe = False
        tags.input_tags.allow_nan = False
        return tags
