"""Online augmentation: fresh random transforms of the training images in every epoch.

:class:`OnlineAugmentationDataset` is a :class:`keras.utils.PyDataset` that
serves batches of training images, each image through newly drawn random
transforms of an :class:`~skbia.ImageAugmenter` (the same warp, symmetries,
blending and cutouts as its ``fit_resample``), optionally oversampling the
smaller classes. Everything it draws is a function of its seed, the epoch
number and the batch index, so runs repeat exactly, in any batch order and
with any number of worker threads or processes.

This module imports Keras; :mod:`skbia.augmentation` itself does not import it.
"""

from __future__ import annotations

import math

import numpy as np
from keras.utils import PyDataset
from sklearn.base import clone

from skbia.augmentation._image_augmenter import ImageAugmenter, _key
from skbia.utils import (
    check_count,
    check_images,
    check_labels,
    check_positive_int,
    is_integer,
    is_real,
    seed_sequence,
)

__all__ = ["OnlineAugmentationDataset"]

# Roles in the spawn key (epoch, role, index) of every seed the dataset derives.
_PLAN = 0
_BATCH = 1


class OnlineAugmentationDataset(PyDataset):
    """Batches of freshly augmented training images, for ``keras.Model.fit``.

    Every epoch serves every training image (and, with ``balance_ratio``,
    extra images of the smaller classes), each through random transforms
    drawn anew for that epoch by ``augmenter``'s settings. Epoch ``e`` is a
    function of ``seed`` and ``e`` alone: two datasets with the same seed
    serve the same sequence of epochs, while two epochs differ. Give it the
    training images only; validation and prediction images are passed to
    Keras separately and are never augmented.

    Parameters
    ----------
    X : array-like of shape (n_images, height, width[, channels])
        Training images, any real dtype, all pixels finite. 3-d input gets one
        channel.
    y : array-like of shape (n_images,) or (n_images, n_outputs)
        Targets, already encoded as the Keras model expects (integer codes,
        0/1 values, one-hot rows, ...). They are served as given, row by row.
    augmenter : ImageAugmenter
        Its transform settings define the random transforms: ``shift``,
        ``horizontal``, ``vertical``, ``rotation``, ``dihedral``,
        ``zoom_range``, ``skew_angle``, ``fill``, ``fill_value``,
        ``interpolation``, blending (on for a class whose multiplier is > 0;
        see ``ImageAugmenter._augment``), ``blending_func``,
        ``num_images_to_blend``, ``mask_size`` and ``num_masks``. The amounts
        (``n_copies``, ``n_copies_other``, ``balance``) and ``random_state``
        are not used: ``balance_ratio`` and ``seed`` take their place. A fitted
        clone is kept; ``augmenter`` itself is not modified. Its positive class
        (the one ``blend_multiplier`` applies to) follows
        :func:`skbia.utils.resolve_positive_label`: with two labels other than
        0/1, e.g. ``"lens"`` and ``"other"``, and ``blend_multiplier`` differing
        from ``blend_other``, set its ``positive_label``.
    batch_size : int, default=32
        Images per batch; the last batch of an epoch may be smaller.
    sample_weight : array-like of shape (n_images,) or None, default=None
        Non-negative finite weights, served (as float32) with their images as
        the third element of every batch. None: batches are ``(images, targets)``.
    labels : array-like of shape (n_images,) or None, default=None
        The class of each image, in the labels that ``augmenter``'s per-class
        settings (dicts, ``positive_label``) use. None: ``y`` itself when it is
        1-d (or has one column), else the index of the largest entry of each
        row (one-hot rows).
    balance_ratio : float in (0, 1] or None, default=None
        None: every epoch serves every image once. A ratio ``r``: every class
        with fewer than ``t = max(1, round(r * n_majority))`` images is served
        ``t`` images per epoch (each of its images ``t // n`` times, and
        ``t % n`` of them, drawn anew each epoch without repeats, once more),
        so that its ratio to the largest class is ``r``; larger classes serve
        every image once. Every served image is transformed independently.
    shuffle : bool, default=True
        Serve each epoch's images in a new random order; otherwise in the
        order of ``X`` (repeats next to each other). Keras' own ``shuffle``
        only permutes whole batches, so pass ``shuffle=False`` to ``fit``.
    seed : int, numpy.random.Generator, numpy.random.RandomState or None, default=None
        Seed of every draw. None draws fresh entropy once, when the dataset is
        made (its epochs are still a function of the epoch number).
    workers : int, default=1
        Worker threads (or processes) that Keras uses to prepare batches.
    use_multiprocessing : bool, default=False
        Prepare batches in processes instead of threads.
    max_queue_size : int, default=10
        Batches Keras keeps prepared ahead.

    Attributes
    ----------
    augmenter_ : ImageAugmenter
        The clone of ``augmenter`` fitted on ``X`` and ``labels``.
    epoch : int
        The epoch served by ``self[i]``; starts at 0 and grows by one at every
        :meth:`on_epoch_end`. Keras calls that after each epoch, once its
        workers have stopped, and also once when ``fit`` starts, so a fit
        serves epochs 1, 2, ... (a second ``fit`` continues the count). Set it
        to serve another epoch.
    epoch_size : int
        Images served per epoch.
    epoch_class_counts : dict
        Images of each class served per epoch.

    Raises
    ------
    TypeError
        If ``augmenter`` is not an :class:`~skbia.ImageAugmenter`.
    ValueError
        For bad images, targets, weights, labels, or a parameter out of range;
        ``augmenter``'s own checks run on the images too.

    Notes
    -----
    The random draws of batch ``i`` of epoch ``e`` come from a generator
    seeded by ``numpy.random.SeedSequence(entropy, spawn_key=(e, 1, i))``, and
    the epoch's sample and order from ``spawn_key=(e, 0)``. No generator is
    shared between batches, so concurrent workers never interact and the
    order in which batches are made does not matter.
    """

    def __init__(
        self,
        X,
        y,
        augmenter: ImageAugmenter,
        *,
        batch_size: int = 32,
        sample_weight=None,
        labels=None,
        balance_ratio: float | None = None,
        shuffle: bool = True,
        seed: int | np.random.Generator | np.random.RandomState | None = None,
        workers: int = 1,
        use_multiprocessing: bool = False,
        max_queue_size: int = 10,
    ):
        for name, value in (("shuffle", shuffle), ("use_multiprocessing", use_multiprocessing)):
            if not isinstance(value, bool | np.bool_):
                raise ValueError(f"{name} must be True or False; got {value!r}.")
        super().__init__(
            workers=check_positive_int("workers", workers),
            use_multiprocessing=bool(use_multiprocessing),
            max_queue_size=check_positive_int("max_queue_size", max_queue_size),
        )
        if not isinstance(augmenter, ImageAugmenter):
            raise TypeError(f"augmenter must be an ImageAugmenter; got {type(augmenter).__name__}.")
        images = check_images(X)
        n = len(images)
        targets = _check_targets(y, n)
        classes = check_labels(_default_labels(targets) if labels is None else labels, n)
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.balance_ratio = _check_ratio(balance_ratio)
        self.shuffle = bool(shuffle)
        self.augmenter_ = clone(augmenter)._fit_online(images, classes)
        self._images = images
        self._targets = targets
        self._labels = classes
        self._weights = None if sample_weight is None else _check_weights(sample_weight, n)
        self._entropy = seed_sequence(seed).entropy
        self._members, self._served = self._class_plan()
        self.epoch_size = int(sum(self._served))
        self.epoch_class_counts = {
            _key(classes[members[0]]): int(served)
            for members, served in zip(self._members, self._served, strict=True)
        }
        self.epoch = 0
        self._cached_plan: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        """Return the number of batches per epoch."""
        return math.ceil(self.epoch_size / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        """Batch ``index`` of the current :attr:`epoch`; see :meth:`get_batch`."""
        return self.get_batch(index, epoch=self.epoch)

    def on_epoch_end(self) -> None:
        """Move on to the next epoch, so that its images get fresh transforms."""
        self.epoch += 1

    def get_batch(self, index: int, *, epoch: int) -> tuple[np.ndarray, ...]:
        """Return batch ``index`` of epoch ``epoch``.

        Parameters
        ----------
        index : int
            Batch number, ``0 <= index < len(self)``.
        epoch : int
            Epoch number, >= 0.

        Returns
        -------
        images : ndarray of shape (batch, height, width, channels), float32
            Freshly augmented images; the same for the same seed, epoch and index.
        targets : ndarray of shape (batch,) or (batch, n_outputs)
            Their rows of ``y``.
        weights : ndarray of shape (batch,), float32
            Their sample weights; only when ``sample_weight`` was given.

        Raises
        ------
        TypeError
            If ``index`` is not an integer.
        IndexError
            If ``index`` is out of range.
        ValueError
            If ``epoch`` is not a non-negative integer.
        """
        epoch = check_count("epoch", epoch)
        if not is_integer(index):
            raise TypeError(f"batch index must be an integer; got {index!r}.")
        if not 0 <= index < len(self):
            raise IndexError(f"batch index {index} is out of range for {len(self)} batches.")
        index = int(index)
        sources = self.epoch_indices(epoch)[index * self.batch_size : (index + 1) * self.batch_size]
        rng = np.random.default_rng(self._seed(epoch, _BATCH, index))
        images = self.augmenter_._augment(self._images[sources], self._labels[sources], rng)
        if self._weights is None:
            return images, self._targets[sources]
        return images, self._targets[sources], self._weights[sources]

    def epoch_indices(self, epoch: int) -> np.ndarray:
        """Return the index (into ``X``) of every image served in epoch ``epoch``, in order.

        Parameters
        ----------
        epoch : int
            Epoch number, >= 0.

        Returns
        -------
        indices : ndarray of shape (epoch_size,), int64
            Batch ``i`` serves ``indices[i * batch_size : (i + 1) * batch_size]``.
        """
        epoch = check_count("epoch", epoch)
        cached = self._cached_plan  # one read: safe while other threads replace it
        if cached is None or cached[0] != epoch:
            cached = (epoch, self._draw_epoch(epoch))
            self._cached_plan = cached
        return cached[1]

    def _draw_epoch(self, epoch: int) -> np.ndarray:
        """Sample (with ``balance_ratio``) and order the images of one epoch."""
        rng = np.random.default_rng(self._seed(epoch, _PLAN))
        parts = []
        for members, served in zip(self._members, self._served, strict=True):
            repeats, extra = divmod(served, len(members))
            parts.append(np.repeat(members, repeats))
            if extra:
                parts.append(rng.choice(members, size=extra, replace=False))
        indices = np.sort(np.concatenate(parts))
        return rng.permutation(indices) if self.shuffle else indices

    def _class_plan(self) -> tuple[list[np.ndarray], list[int]]:
        """Images of each class and how many of that class each epoch serves."""
        _, codes, counts = np.unique(self._labels, return_inverse=True, return_counts=True)
        members = [np.flatnonzero(codes == code) for code in range(len(counts))]
        if self.balance_ratio is None:
            return members, [int(count) for count in counts]
        target = max(1, math.floor(self.balance_ratio * int(counts.max()) + 0.5))
        return members, [max(int(count), target) for count in counts]

    def _seed(self, *key: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(self._entropy, spawn_key=tuple(int(k) for k in key))


def _check_targets(y, n: int) -> np.ndarray:
    targets = np.asarray(y)
    if targets.ndim not in (1, 2) or len(targets) != n:
        raise ValueError(
            f"y must have shape (n_images,) or (n_images, n_outputs) with n_images={n}; "
            f"got shape {targets.shape}."
        )
    return targets


def _default_labels(targets: np.ndarray) -> np.ndarray:
    if targets.ndim == 1 or targets.shape[1] == 1:
        return targets.reshape(len(targets))
    return np.argmax(targets, axis=1)


def _check_weights(sample_weight, n: int) -> np.ndarray:
    weights = np.asarray(sample_weight)
    if weights.shape != (n,) or weights.dtype.kind not in "iuf":
        raise ValueError(
            f"sample_weight must be a 1-d array of {n} numbers; got shape {weights.shape} "
            f"and dtype {weights.dtype}."
        )
    weights = weights.astype(np.float32)
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("sample_weight must be finite and non-negative.")
    return weights


def _check_ratio(balance_ratio) -> float | None:
    if balance_ratio is None:
        return None
    if not is_real(balance_ratio) or not 0 < balance_ratio <= 1:
        raise ValueError(
            f"balance_ratio must be None or a number in (0, 1]; got {balance_ratio!r}."
        )
    return float(balance_ratio)
