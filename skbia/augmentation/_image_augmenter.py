"""Offline image augmentation as an imbalanced-learn sampler.

:class:`ImageAugmenter` adds randomly transformed copies of the training
images. As a step of an :class:`imblearn.pipeline.Pipeline` it runs only while
the pipeline is fitted, so in cross-validation and hyper-parameter searches
only the training folds are augmented; held-out images and ``predict`` inputs
pass through untouched.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from imblearn.base import BaseSampler

from skbia.augmentation._augmenter_params import (
    PARAMETER_CONSTRAINTS,
    _key,
    _Streams,
    blended_count,
    call_seed,
    check_blending,
    check_class_labels,
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
from skbia.utils import check_images, fill_missing_parameters

__all__ = ["ImageAugmenter"]


class ImageAugmenter(BaseSampler):
    """Add randomly shifted, flipped, rotated, zoomed, skewed, blended and cut-out copies.

    ``fit_resample(X, y)`` returns the original images followed by augmented
    copies, with their labels. The positive class and the other classes get
    different amounts of augmentation, as in pyBIA's ``augment_positive`` /
    ``augment_negative`` (``positive_label`` says which class is positive).
    Every transform is off by default; with nothing enabled the copies are
    exact duplicates.

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
        above 1 enlarge the content. None disables zoom. Both factors must lie
        in [0.1, 10] (``0.1 <= min_zoom <= max_zoom <= 10``): beyond, the
        content shrinks to a tenth of the frame or a tenth of it fills the
        frame, which is no longer a copy of the same object.
    skew_angle : float, default=0.0
        Maximum absolute shear angle in degrees, ``0 <= skew_angle < 45``;
        the shear angles ``a`` (along x) and ``b`` (along y) are drawn
        independently and uniformly from ``[-skew_angle, skew_angle]``. The
        shear changes areas by the factor ``1 - tan(a) tan(b)``, between
        ``1 - tan(skew_angle)**2`` and ``1 + tan(skew_angle)**2`` (0.67 to
        1.33 at 30 degrees). At 45 degrees that factor can reach 0 (the image
        collapses onto a line) and beyond it turns negative (the image is
        mirrored), so 45 degrees and more are rejected rather than warned
        about: no such copy is a plausible view of the object.
    fill : {"nearest", "constant", "reflect", "mirror", "wrap"}, default="nearest"
        How the geometry fills pixels that come from outside the image, named
        as in :mod:`scipy.ndimage`: "nearest" repeats the edge pixel,
        "constant" uses ``fill_value``, "reflect" mirrors about the pixel edge
        (``d c b a | a b c d``), "mirror" about the edge pixel's centre
        (``d c b | a b c d``), "wrap" tiles the image (period = image size,
        scipy's "grid-wrap").
    fill_value : float, default=0.0
        Value of the pixels filled in when ``fill="constant"``; finite and
        within the float32 range of the output (``abs(fill_value) <= 3.4e38``).
    interpolation : {"bilinear", "nearest", "bicubic"}, default="bilinear"
        Resampling kernel of the geometric step. Flips, integer shifts and
        multiples of 90 degrees are exact with any kernel.
    blend_multiplier : float or dict, default=0.0
        Blending for the positive class: 0 disables it; a value ``m > 0``
        replaces the class's ``C`` geometric copies by ``floor(m * C)`` blended
        images (pyBIA's ``blend_multiplier``). A dict ``{label: m}`` sets it
        per class; classes not in it get ``blend_other``. A multiplier above 0
        must make at least one blend (``m >= 1 / C``) of a class that has
        copies: :meth:`fit_resample` raises otherwise, rather than dropping
        all of the class's copies.
    blend_other : float, default=0.0
        Blending multiplier of every other class (pyBIA's ``blend_other``).
    blending_func : {"mean", "max", "min", "random"}, default="mean"
        Pixel-wise combination of the blended images; "random" picks one of
        the three for each blended image.
    num_images_to_blend : int, default=2
        Distinct copies (of the same class) combined into each blended image;
        a class that blends needs at least that many copies.
    mask_size : int or None, default=None
        Radius in pixels of the circular cutouts; None disables cutouts. A
        pixel is cut out when its distance to the disc centre is at most
        ``mask_size``; discs lie wholly inside the image.
    num_masks : int, default=1
        Cutouts per augmented image (they may overlap). Together the discs
        may cover at most the image's area (``num_masks`` times the pixels of
        one disc at most ``height * width``); more would leave mostly zeros.
    balance : bool, default=False
        After augmentation, randomly drop images (originals or copies) of
        every class that has more images than the positive class, down to the
        positive class's count.
    positive_label : label or None, default=None
        The class that gets ``n_copies`` and ``blend_multiplier`` (and whose
        count ``balance`` trims to). It must be one of the classes of ``y``
        (``"1"`` does not name the class ``1``). None applies skbia's rule,
        :func:`skbia.utils.resolve_positive_label`, the same as
        :class:`~skbia.CNNClassifier`'s: with binary 0/1 (or -1/1,
        False/True) labels the positive class is 1, whichever class is
        smaller; other binary labels (``"lens"``/``"other"``) raise a
        ``ValueError`` asking for ``positive_label``, since nothing says which
        of them is positive, whenever that matters: when ``n_copies`` differs
        from ``n_copies_other`` or ``blend_multiplier`` from ``blend_other``
        (numbers, not dicts), or with ``balance`` (when both classes are
        treated alike the sorted-last class is taken, as scikit-learn does);
        with more than two classes it is the least frequent class (ties go to
        the last in sorted order).
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
        For values that are only invalid together or for the data, before any
        work on the images: a shift or cutout too large for the images, more
        cutout area than the image has, a ``zoom_range`` that is not a pair
        of factors in [0.1, 10], ``rotation="90"`` or ``dihedral=True`` with
        non-square images, per-class dicts naming unknown labels, an unknown
        ``positive_label`` or none for binary labels other than 0/1 that are
        augmented differently; a ``y``
        that is not one class label per image (continuous, multilabel or
        multi-output, by scikit-learn's ``type_of_target``); in
        :meth:`fit_resample` a blending multiplier that makes no blend, or
        a blending class with fewer copies than ``num_images_to_blend``.

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
            Class labels (at least two classes; binary or multiclass in
            scikit-learn's sense, not continuous values).

        Returns
        -------
        X_resampled : ndarray of shape (n_out, height, width, channels), float32
            The originals followed by the augmented images (see Notes of
            :class:`ImageAugmenter` for ``n_out``). 3-d input gets one channel.
        y_resampled : ndarray of shape (n_out,)
            Their labels.
        """
        images, labels = self._prepare(X, y)
        check_blending(self, labels)  # still before any image work
        return self._fit_resample(images, labels)

    def _fit_online(self, X, y) -> ImageAugmenter:
        """Fit for online augmentation, where only blending differs between classes.

        As :meth:`fit`, except that binary labels other than 0/1 need
        ``positive_label`` only when the positive class blends differently
        from the others (used by :class:`OnlineAugmentationDataset`).
        """
        self._prepare(X, y, online=True)
        return self

    def _prepare(self, X, y, *, online: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Validate the parameters, then the input; set the fitted attributes."""
        self._validate_params()  # declared constraints, before any work on the data
        images = check_images(X)
        labels = check_class_labels(y, len(images))
        settings = geometry_settings(self, images.shape[1:3])
        check_cutouts_fit(self, images.shape[1:3])
        classes, counts = np.unique(labels, return_counts=True)
        positive = positive_class(self, classes, counts, online=online)
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
            n_made = blended_count(multiplier, len(sources)) if multiplier else len(sources)
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
            self._blend(copies, streams.blend, out=out)
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

    def _blend(self, copies, rng, out) -> None:
        """Fill ``out`` with blends of one class's geometric ``copies``.

        Offline, :func:`check_blending` has made sure that there are at least
        ``num_images_to_blend`` copies; online, only such batches are blended.
        """
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
