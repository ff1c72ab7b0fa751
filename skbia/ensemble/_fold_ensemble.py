"""``FoldEnsembleClassifier``: one member per stratified fold, their probabilities averaged."""

from __future__ import annotations

import time
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import ClassifierTags, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from skbia.ensemble._averaging import AVERAGES, average_proba, stack_member_proba
from skbia.ensemble._members import check_validation_route, unwrap, validation_fit_params
from skbia.utils import check_labels, resolve_positive_label, seed_from_random_state

__all__ = ["FoldEnsembleClassifier"]


class FoldEnsembleClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Train one classifier per cross-validation fold and average their predictions.

    ``fit(X, y)`` splits the images into ``n_folds`` stratified folds and
    trains one clone of ``estimator`` per fold on the other folds' images
    (pyBIA's one model per fold, used together with ``cv_model='all'``). Each
    member is given its held-out fold as validation data (for early stopping
    on ``val_`` metrics and ``restore_best_weights``), and predicts that fold:
    :attr:`oof_proba_` holds an out-of-fold prediction of every training
    image, for an honest cross-validated score of the ensemble's members.
    ``predict_proba`` averages the members' probabilities.

    scikit-learn's :class:`~sklearn.ensemble.BaggingClassifier` and
    :class:`~sklearn.ensemble.VotingClassifier` reject image arrays; this
    meta-estimator passes ``X`` to its members as it is.

    Parameters
    ----------
    estimator : estimator
        The classifier to train per fold: a :class:`skbia.CNNClassifier`, or a
        scikit-learn or imbalanced-learn pipeline ending in one (e.g. an
        :class:`skbia.ImageAugmenter` followed by a classifier, so that only
        each member's training folds are augmented). It must have
        ``predict_proba``. Members are unfitted clones; they keep the
        estimator's own ``random_state``, so they differ by their training
        images only.
    n_folds : int, default=5
        Number of folds and of members, at least 2. Every class needs at least
        ``n_folds`` images.
    average : {"mean", "rank"}, default="mean"
        How ``predict_proba`` combines the members:

        * ``"mean"``: the mean of the members' class probabilities.
        * ``"rank"``: the mean of the members' rank scores. A member's score
          of an image is the mid-rank percentile ``(r - 0.5) / n`` of its
          probability among the ``n`` images of the call (``r`` = 1 for the
          lowest; ties share their average rank), per class column; with two
          classes the first column is one minus the second. Members whose
          probabilities are scaled differently then weigh equally. These are
          *scores relative to the images scored together*, not calibrated
          probabilities: score a whole candidate list in one call (one image
          alone always scores 0.5), and rank or threshold the scores within
          that list.

        ``predict`` returns the class of highest *mean probability* with both
        settings (for ``"mean"`` that is the argmax of ``predict_proba``).
    validation : {"fold"} or None, default="fold"
        ``"fold"``: each member's ``fit`` gets its held-out fold as
        ``validation_data`` (``<last step>__validation_data`` for a pipeline;
        the steps before the classifier must then be samplers, which do not
        touch the validation images). None: no validation data.
    shuffle : bool, default=True
        Shuffle the images of each class before splitting them into folds.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed of the fold shuffling (only with ``shuffle=True``). It does not
        seed the members' training: set the estimator's ``random_state``.
    verbose : int, default=0
        1 or more prints one line per trained member.

    Attributes
    ----------
    estimators_ : list of estimator
        The fitted members; member ``k`` (0-based) did not see the images
        ``fold_indices_[k][1]``.
    fold_indices_ : list of (ndarray, ndarray)
        ``(train, held_out)`` image indices of each member.
    oof_proba_ : ndarray of shape (n_images, n_classes)
        Out-of-fold class probabilities: row ``i`` is the ``predict_proba`` of
        the one member that did not train on image ``i`` (always
        probabilities, whatever ``average`` is). With ``validation="fold"``
        and early stopping or ``restore_best_weights``, the held-out fold
        also chose when its member stopped, which makes scores computed from
        these predictions slightly optimistic; ``validation=None`` leaves the
        held-out folds untouched by training.
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the column order of :meth:`predict_proba`.
    n_classes_ : int
        Number of classes.
    positive_label_ : label or None
        The members' positive class (binary problems).

    See Also
    --------
    skbia.CNNClassifier : The usual member.
    sklearn.model_selection.cross_val_predict : Out-of-fold predictions alone.

    Notes
    -----
    Members are trained one after another, in this process. A trained
    ensemble is pickled with :mod:`joblib` or saved with :meth:`save` to one
    folder of ``.keras`` files.

    Examples
    --------
    >>> import numpy as np
    >>> from skbia import CNNClassifier
    >>> from skbia.ensemble import FoldEnsembleClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(24, 16, 16, 3)).astype("float32")
    >>> y = np.r_[np.ones(6, int), np.zeros(18, int)]
    >>> member = CNNClassifier(filter_scale=1 / 32, min_pixel=-3, max_pixel=3, epochs=1,
    ...                        random_state=0)
    >>> ensemble = FoldEnsembleClassifier(member, n_folds=3, random_state=0).fit(X, y)
    >>> len(ensemble.estimators_), ensemble.oof_proba_.shape
    (3, (24, 2))
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "n_folds": [Interval(Integral, 2, None, closed="left")],
        "average": [StrOptions(set(AVERAGES))],
        "validation": [StrOptions({"fold"}), None],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator: Any,
        *,
        n_folds: int = 5,
        average: str = "mean",
        validation: str | None = "fold",
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
    ) -> None:
        self.estimator = estimator
        self.n_folds = n_folds
        self.average = average
        self.validation = validation
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self):
        """Declare a classifier on n-d image arrays, with the member's NaN handling."""
        tags = super().__sklearn_tags__()
        tags.classifier_tags = ClassifierTags(poor_score=True, multi_class=True)
        tags.target_tags.required = True
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        if hasattr(self.estimator, "__sklearn_tags__"):
            inner = get_tags(self.estimator)
            tags.input_tags.allow_nan = inner.input_tags.allow_nan
            tags.non_deterministic = inner.non_deterministic
        return tags

    def __sklearn_is_fitted__(self) -> bool:
        """Return whether the members are trained."""
        return hasattr(self, "estimators_")

    # ------------------------------------------------------------- training
    def _check_training_data(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        X = np.asarray(X)
        if X.ndim < 2:
            raise ValueError(
                f"X must be an array of images (n_images, height, width[, channels]); got "
                f"shape {X.shape}."
            )
        if len(X) == 0:
            raise ValueError(f"X contains no images (shape {X.shape}); nothing to train on.")
        self._check_finite(X)
        labels = check_labels(y, len(X), min_classes=2)
        classes, counts = np.unique(labels, return_counts=True)
        if counts.min() < self.n_folds:
            rare = classes[np.argmin(counts)].item()  # 1, not np.int64(1)
            raise ValueError(
                f"n_folds={self.n_folds} needs at least {self.n_folds} images of every class, "
                f"so that every member trains and validates on each class; class {rare!r} has "
                f"{counts.min()}. Lower n_folds or add images."
            )
        return X, labels

    def _check_finite(self, X: np.ndarray) -> None:
        """Reject NaN/inf pixels up front (unless the members fill them), naming them in X."""
        final = unwrap(self.estimator)[1]
        if getattr(final, "fill_value", None) is not None or X.dtype.kind not in "fc":
            return
        bad = np.flatnonzero(~np.isfinite(X.reshape(len(X), -1)).all(axis=1))
        if bad.size:
            shown = bad[:10].tolist()
            raise ValueError(
                f"X has non-finite pixels (NaN or inf) in {bad.size} of {len(X)} images, at "
                f"indices {shown}{' ...' if bad.size > 10 else ''}; remove them, or set the "
                "classifier's fill_value to replace such pixels."
            )

    def _folds(self, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        seed = seed_from_random_state(self.random_state) if self.shuffle else None
        splitter = StratifiedKFold(self.n_folds, shuffle=bool(self.shuffle), random_state=seed)
        return list(splitter.split(np.zeros((len(y), 1)), y))

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y) -> FoldEnsembleClassifier:
        """Train one member per fold and record the out-of-fold predictions.

        Every parameter, the data and the route of the validation data are
        checked before the first member trains.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width[, channels])
            Training images, passed to the members unchanged (indexed by fold).
        y : array-like of shape (n_images,)
            Class labels; every class needs at least ``n_folds`` images.

        Returns
        -------
        self : FoldEnsembleClassifier
            The fitted ensemble.

        Raises
        ------
        ValueError
            For invalid parameters or data, or ``validation="fold"`` with an
            estimator that cannot take validation data.
        Exception
            A member that fails to train raises its error again, of the same
            type where possible, with the fold number in the message.
        """
        X, y = self._check_training_data(X, y)
        if self.validation == "fold":
            check_validation_route(self.estimator)
        classes = np.unique(y)
        folds = self._folds(y)
        oof = np.full((len(y), len(classes)), np.nan)
        members = []
        for number, (train, held_out) in enumerate(folds, start=1):
            start = time.perf_counter()
            member = clone(self.estimator)
            params = {}
            if self.validation == "fold":
                params = validation_fit_params(member, X[held_out], y[held_out])
            try:
                member.fit(X[train], y[train], **params)
                proba = np.asarray(member.predict_proba(X[held_out]), dtype=np.float64)
                _check_member(member, proba, classes, len(held_out))
            except Exception as error:
                raise _member_error(error, number, self.n_folds) from error
            oof[held_out] = proba
            members.append(member)
            if self.verbose:
                print(
                    f"member {number}/{self.n_folds}: trained on {len(train)} images, "
                    f"held out {len(held_out)} ({time.perf_counter() - start:.1f} s)",
                    flush=True,
                )
        self.estimators_ = members
        self.fold_indices_ = folds
        self.oof_proba_ = oof
        self.classes_ = classes
        self.n_classes_ = len(classes)
        return self

    @property
    def positive_label_(self) -> Any:
        """The positive class of a binary ensemble (its members'), None for more classes.

        Its probability is ``predict_proba(X)[:, list(classes_).index(positive_label_)]``.
        """
        check_is_fitted(self, "estimators_")
        final = unwrap(self.estimators_[0])[1]
        if hasattr(final, "positive_label_"):
            return final.positive_label_
        return resolve_positive_label(self.classes_) if self.n_classes_ == 2 else None

    # ------------------------------------------------------------ prediction
    def member_proba(self, X) -> np.ndarray:
        """Return every member's class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width[, channels])
            Images of the training size.

        Returns
        -------
        proba : ndarray of shape (n_members, n_images, n_classes)
            ``proba[k]`` is ``estimators_[k].predict_proba(X)`` as float64.
        """
        check_is_fitted(self)
        return stack_member_proba([member.predict_proba(X) for member in self.estimators_])

    def predict_proba(self, X) -> np.ndarray:
        """Return the members' averaged class probabilities (or rank scores).

        Parameters
        ----------
        X : array-like of shape (n_images, height, width[, channels])
            Images of the training size.

        Returns
        -------
        proba : ndarray of shape (n_images, n_classes)
            ``average="mean"``: the mean of the members' probabilities.
            ``average="rank"``: the mean of their rank scores, which depend on
            the other images of ``X`` (see the class description).
        """
        return average_proba(self.member_proba(X), self.average)

    def predict(self, X) -> np.ndarray:
        """Return the class of highest mean member probability for each image.

        The decision uses the mean probability for both ``average`` settings,
        so it does not depend on which other images are in ``X``.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width[, channels])
            Images of the training size.

        Returns
        -------
        labels : ndarray of shape (n_images,)
            Labels from ``classes_``.
        """
        proba = average_proba(self.member_proba(X), "mean")
        return self.classes_[np.argmax(proba, axis=1)]

    # ------------------------------------------------------------ persistence
    @staticmethod
    def check_save_path(path, *, overwrite: bool = False) -> Path:
        """Check that :meth:`save` can write to ``path``, before training.

        Parameters
        ----------
        path : str or path-like
            The folder to check.
        overwrite : bool, default=False
            Whether a folder holding a saved ensemble may be replaced.

        Returns
        -------
        path : Path

        Raises
        ------
        ValueError
            If ``path`` ends in ``.keras`` (an ensemble is a folder).
        FileExistsError
            If ``path`` is a file, a non-empty folder without a saved
            ensemble, or a saved ensemble and ``overwrite`` is False.
        """
        from skbia.ensemble._persistence import check_folder

        return check_folder(path, overwrite=overwrite)

    def save(self, path, *, overwrite: bool = False) -> Path:
        """Save the fitted ensemble to one folder.

        The folder holds ``ensemble.json`` (a data-only manifest: format name
        and version, number of members, ``average``, ``classes_``, the other
        parameters, the folds and the out-of-fold probabilities) and one
        ``member_<k>.keras`` file per member, written by
        :meth:`skbia.CNNClassifier.save`. Pipeline members are saved as their
        final classifier; that is only done when every step before it is a
        sampler, which does nothing at prediction time.

        Parameters
        ----------
        path : str or path-like
            A new or empty folder (created with its parents if missing).
        overwrite : bool, default=False
            Replace the saved ensemble already in ``path`` (its manifest and
            ``member_<k>.keras`` files; other files are left alone).

        Returns
        -------
        path : Path
            The folder.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the ensemble is not fitted.
        TypeError
            If a member is not a CNNClassifier or a pipeline of samplers ending
            in one (save such an ensemble with :func:`joblib.dump`).
        ValueError, FileExistsError
            See :meth:`check_save_path`.
        """
        from skbia.ensemble._persistence import save_ensemble

        return save_ensemble(self, path, overwrite=overwrite)

    @classmethod
    def load(cls, path, *, trusted=()) -> FoldEnsembleClassifier:
        """Load an ensemble written by :meth:`save`.

        The manifest is read as data only (nothing it names is imported) and
        checked entry by entry; the members are loaded with
        :meth:`skbia.CNNClassifier.load`. The loaded ensemble predicts like the
        saved one. Its members, and its ``estimator`` (an unfitted clone of the
        first member), are the final classifiers: samplers that preceded them
        in a pipeline are not stored, so refitting it trains without them.

        Parameters
        ----------
        path : str or path-like
            A folder written by :meth:`save`.
        trusted : iterable of callable, default=()
            Callables outside skbia and Keras that the members' files may name
            (see :meth:`skbia.CNNClassifier.load`); nothing else they name is
            imported.

        Returns
        -------
        ensemble : FoldEnsembleClassifier
            Fitted.

        Raises
        ------
        FileNotFoundError
            If the folder, its manifest or a member file is missing.
        ValueError
            If the manifest or a member is malformed or inconsistent.
        """
        from skbia.ensemble._persistence import load_ensemble

        return load_ensemble(cls, path, trusted=trusted)


def _check_member(member: Any, proba: np.ndarray, classes: np.ndarray, n_images: int) -> None:
    member_classes = getattr(member, "classes_", None)
    if member_classes is None or not np.array_equal(np.asarray(member_classes), classes):
        raise ValueError(
            f"the member's classes_ {member_classes!r} differ from the training classes "
            f"{classes.tolist()}."
        )
    if proba.shape != (n_images, len(classes)):
        raise ValueError(
            f"the member's predict_proba gave shape {proba.shape} for {n_images} images and "
            f"{len(classes)} classes."
        )


def _member_error(error: Exception, number: int, n_folds: int) -> Exception:
    """Return ``error`` again, of the same type where possible, naming the failed fold."""
    message = f"Member {number} of {n_folds} (trained without fold {number}) failed: {error}"
    try:
        wrapped = type(error)(message)
    except Exception:
        return RuntimeError(message)
    return wrapped if str(wrapped) == message else RuntimeError(message)
