"""Training the classifier: ``fit``, ``partial_fit`` and the call of ``keras.Model.fit``.

Every parameter is validated before any work; the model is then built
(unless warm-starting) and trained under the device scope and the seed of
``random_state``, with skbia's callbacks (divergence guard, early stopping,
metric thresholds) after the user's.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Self

import keras
import numpy as np
from scikeras.wrappers import BaseWrapper
from sklearn.utils.class_weight import compute_sample_weight

from skbia.callbacks import StopOnNonFiniteLoss, make_callbacks
from skbia.classifier._batch_norm import recalibrate_batch_norm
from skbia.classifier._convergence import attempt_seed, report_attempt, training_auc
from skbia.classifier._devices import device_scope
from skbia.classifier._params import check_monitored, check_params
from skbia.classifier._seeding import seeded
from skbia.classifier._tta import check_tta_images
from skbia.classifier._warm_start import apply_warm_start_changes
from skbia.utils import (
    check_training_finite,
    estimate_background_noise,
    resolve_positive_label,
    seed_from_random_state,
)

__all__ = ["_TrainingMixin"]


class _TrainingMixin:
    """``fit``, ``partial_fit`` and scikeras' training hook (``CNNClassifier`` uses them)."""

    def fit(self, X, y, sample_weight=None, *, validation_data=None) -> Self:
        """Build the model (unless warm-starting) and train it on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width, channels) or (n_images, height, width)
            Raw training images of any real dtype (converted to native float32).
        y : array-like of shape (n_images,)
            Class labels.
        sample_weight : array-like of shape (n_images,), default=None
            Per-image weights (multiplied by ``class_weight`` weights if both
            are given): finite, non-negative, not all zero.
        validation_data : (X_val, y_val), default=None
            Raw validation images and labels; overrides the ``validation_data``
            parameter for this call.

        Returns
        -------
        self : CNNClassifier
            The fitted classifier.

        Raises
        ------
        sklearn.utils._param_validation.InvalidParameterError
            If a parameter has an invalid type or value (a ``ValueError``).
        ValueError
            If the images, labels or ``sample_weight`` are invalid (see the
            user guide's list).
        FloatingPointError
            If the training loss became NaN or infinite (training stops at
            that batch; the weights are not usable).
        """
        check_params(self)
        seed = seed_from_random_state(self.random_state)
        warm = bool(self.warm_start) and self.__sklearn_is_fitted__()
        if validation_data is None:
            validation_data = self.validation_data
        if validation_data is not None and self.validation_split:
            raise ValueError(
                "Give either validation_data or validation_split, not both "
                f"(validation_split={self.validation_split!r})."
            )
        if not warm:
            self.classes_ = None
        # validate here too so class weights see clean labels; fit re-validates cheaply
        images, labels = self._validate_data(X, y, reset=not warm)
        if warm:
            self._check_known_labels(labels, "y")
        self._resolve_positive_label(self.classes_ if warm else np.unique(labels))
        if warm:
            apply_warm_start_changes(self)
        if not warm:
            self._fit_softening(images)
        if self.tta is not None:
            check_tta_images(self.tta, images.shape)
        n_classes = len(self.classes_) if warm else len(np.unique(labels))
        check_monitored(self, n_classes, validation_data is not None or bool(self.validation_split))
        if sample_weight is not None:
            sample_weight = _checked_sample_weight(sample_weight, len(labels))
        if self.class_weight is not None:
            weights = compute_sample_weight(self.class_weight, labels)
            if sample_weight is not None:
                weights = weights * np.asarray(sample_weight, dtype=float)
            sample_weight = weights
        self._pending_validation = validation_data
        initial_epoch = self.current_epoch if warm else 0
        n_attempts = 1 if warm or self.min_training_auc is None else 1 + int(self.retries)
        self.fit_attempts_ = []
        best = None
        try:
            for attempt in range(n_attempts):
                self._training_seed = attempt_seed(seed, attempt)
                with device_scope(self, building=True, continuing=warm), seeded(
                    self._training_seed
                ):
                    BaseWrapper.fit(
                        self,
                        images,
                        labels,
                        sample_weight=sample_weight,
                        epochs=self.epochs,
                        initial_epoch=initial_epoch,
                    )
                auc = self._training_auc(images, labels)
                self.fit_attempts_.append({"random_state": self._training_seed,
                                           "training_auc": auc})
                if best is None or (auc is not None and auc > best[0]):
                    best = (auc, self.model_, self.history_)
                if self.min_training_auc is None or auc is None or auc >= self.min_training_auc:
                    break
                last = attempt + 1 == n_attempts
                report_attempt(attempt, n_attempts, auc, self.min_training_auc, len(labels),
                               retrying=not last, best=best[0])
        finally:
            self._pending_validation = None
            self._training_seed = None
        self.training_auc_, self.model_, self.history_ = best
        return self

    def _training_auc(self, images, labels) -> float | None:
        """ROC AUC of the trained network (inference mode, one view) on its training images."""
        if self.min_training_auc is None:
            return None
        outputs = self._predict_once(images)
        return training_auc(outputs, labels, self.classes_, self.positive_label_)

    def _resolve_positive_label(self, classes=None) -> None:
        """Set ``positive_label_`` from ``positive_label`` and the classes (skbia's one rule)."""
        classes = self.classes_ if classes is None else classes
        if len(classes) != 2:
            if self.positive_label is not None:
                raise ValueError(
                    f"positive_label={self.positive_label!r} only applies to two classes; "
                    f"y has {len(classes)}."
                )
            self.positive_label_ = None
            return
        loss = self.loss if isinstance(self.loss, str) else None
        weighted = (loss == "weighted_binary_crossentropy" and self.positive_weight != 1) or (
            loss == "focal" and self.focal_alpha not in (None, 0.5)
        )
        needed = f"loss={loss!r}, which weights the positive class" if weighted else None
        self.positive_label_ = resolve_positive_label(
            classes, self.positive_label, required_for=needed
        )

    def _fit_softening(self, images: np.ndarray) -> None:
        """Set ``softening_``, the per-band noise level of the stretch (before building)."""
        if self.scaling not in ("asinh", "sqrt"):
            self.softening_ = None
            return
        n_bands = images.shape[-1]
        if self.softening is None:
            self.softening_ = estimate_background_noise(images).astype(float).tolist()
            return
        softening = np.ravel(np.asarray(self.softening, dtype=float))
        if softening.size not in (1, n_bands):
            raise ValueError(
                f"softening has {softening.size} values but the images have {n_bands} bands; "
                "give one value, or one per band."
            )
        self.softening_ = np.broadcast_to(softening, (n_bands,)).tolist()

    def partial_fit(
        self, X, y, classes=None, sample_weight=None, *, validation_data=None
    ) -> Self:
        """Train for one epoch, continuing from the current model (built on the first call).

        Parameters
        ----------
        X : array-like of shape (n_images, height, width, channels) or (n_images, height, width)
            Raw training images.
        y : array-like of shape (n_images,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            All class labels. The network's output size is fixed by the first
            call, so its ``y`` must contain every class; ``classes`` is checked
            against it (and later labels against ``classes_``).
        sample_weight : array-like of shape (n_images,), default=None
            Per-image weights.
        validation_data : (X_val, y_val), default=None
            Raw validation images and labels.

        Returns
        -------
        self : CNNClassifier
            The classifier, trained one more epoch.
        """
        self._validate_params()  # before epochs and warm_start are overridden below
        if classes is not None:
            expected = np.unique(np.asarray(classes))
            seen = self.classes_ if self.__sklearn_is_fitted__() else np.unique(np.asarray(y))
            if not np.array_equal(np.sort(seen), expected):
                raise ValueError(
                    f"classes={expected.tolist()} differs from the classes "
                    f"{np.sort(seen).tolist()} the network is built for; the first partial_fit "
                    "call must contain every class."
                )
        saved = self.warm_start, self.epochs
        self.warm_start, self.epochs = True, 1
        try:
            return self.fit(X, y, sample_weight=sample_weight, validation_data=validation_data)
        finally:
            self.warm_start, self.epochs = saved

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        """Train the built model with skbia's callbacks after the user's."""
        validation = self._pending_validation
        training_images = X
        if self.batch_size is not None and self.batch_size != -1:
            kwargs["batch_size"] = int(self.batch_size)  # PyTorch's loader takes Python ints only
        if validation is not None:
            kwargs["validation_data"] = self._encode_validation(validation)
        if self.augmentation is not None:
            # Keras takes the data as one PyDataset: no separate targets or weights
            X = self._online_dataset(X, y, sample_weight, initial_epoch)
            y, sample_weight = None, None
            kwargs["shuffle"] = False  # the dataset shuffles images; Keras would reorder batches
        user_callbacks = self._fit_callbacks
        self._fit_callbacks = [
            *user_callbacks,
            StopOnNonFiniteLoss(),
            *make_callbacks(
                patience=self.patience,
                monitor=self.monitor,
                thresholds=self.stop_thresholds,
                restore_best_weights=self.restore_best_weights,
            ),
        ]
        if initial_epoch > 0 and hasattr(self, "history_"):
            # scikeras appends to history_ when continuing; keep its defaultdict form
            self.history_ = defaultdict(list, self.history_)
        try:
            super()._fit_keras_model(
                X,
                y,
                sample_weight=sample_weight,
                warm_start=warm_start,
                epochs=epochs,
                initial_epoch=initial_epoch,
                **kwargs,
            )
        except RuntimeError as error:
            if _torch_refused_non_finite_outputs(error):
                raise FloatingPointError(
                    "Training diverged: the network's outputs became NaN during training "
                    "(PyTorch's cross-entropy refused them), so its weights are no longer "
                    "finite. Lower learning_rate, pick another optimizer, or check the pixel "
                    "scaling (normalize, min_pixel, max_pixel)."
                ) from error
            raise
        finally:
            self._fit_callbacks = user_callbacks
        self.history_ = dict(self.history_)
        check_training_finite(self.history_)
        if self.recalibrate_batch_norm:
            self._recalibrate_batch_norm(X, training_images, initial_epoch + int(epochs))
        _check_model_finite(self.model_, training_images, len(self.history_.get("loss", ())))

    def _recalibrate_batch_norm(self, data, images: np.ndarray, next_epoch: int) -> None:
        """Recompute the batch-norm statistics for the final weights from one more epoch.

        With online augmentation the batches are one more epoch of the same
        dataset (fresh transforms, the same class balance); otherwise the
        training images in batches of ``batch_size``, shuffled when
        ``shuffle`` is set.
        """
        with device_scope(self):
            if hasattr(data, "get_batch"):
                batches = (data.get_batch(i, epoch=next_epoch)[0] for i in range(len(data)))
            else:
                step = len(images) if self.batch_size in (None, -1) else int(self.batch_size)
                order = np.arange(len(images))
                if self.shuffle:
                    seed = getattr(self, "_training_seed", None)
                    order = np.random.default_rng(seed).permutation(len(images))
                batches = (images[order[start:start + step]]
                           for start in range(0, len(images), step))
            recalibrate_batch_norm(self.model_, batches)


    def _online_dataset(self, X, y, sample_weight, initial_epoch: int):
        """Wrap the training images in an :class:`OnlineAugmentationDataset` for ``Model.fit``.

        Its seed comes from ``random_state`` and the epoch training starts
        at, so a warm start draws new transforms instead of repeating the
        first epochs' ones.
        """
        from skbia.augmentation import OnlineAugmentationDataset

        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            labels = self.classes_[np.argmax(y, axis=1)]
        else:
            labels = self.classes_[np.asarray(y).reshape(-1).astype(int)]
        seed = getattr(self, "_training_seed", None)
        if seed is None:
            seed = seed_from_random_state(self.random_state)
        if seed is not None:
            seed = int(np.random.SeedSequence([seed, initial_epoch]).generate_state(1)[0])
        return OnlineAugmentationDataset(
            X,
            y,
            self.augmentation,
            batch_size=int(self.batch_size),
            sample_weight=sample_weight,
            labels=labels,
            balance_ratio=self.balance_ratio,
            shuffle=bool(self.shuffle),
            seed=seed,
        )


def _checked_sample_weight(sample_weight, n_images: int) -> np.ndarray:
    """Return ``sample_weight`` as float64, or raise naming what is wrong with it.

    Weights must be finite, non-negative (a negative weight makes training
    push that image's loss up) and not all zero; the caller's array is not changed.
    """
    try:
        weights = np.asarray(sample_weight, dtype=float)
    except (TypeError, ValueError):
        raise TypeError("sample_weight must hold real numbers, one per image; got "
                        f"{type(sample_weight).__name__}.") from None
    if weights.shape != (n_images,):
        raise ValueError(f"sample_weight must have shape ({n_images},), one weight per image; "
                         f"got shape {weights.shape}.")
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        raise ValueError(f"sample_weight must be finite and non-negative; {int(bad.sum())} "
                         f"weight(s) are not, first at index {int(np.argmax(bad))} "
                         f"({weights[np.argmax(bad)]}).")
    if not weights.any():
        raise ValueError("sample_weight is zero for every image: nothing would be learned.")
    return weights


# images of the training set run through the trained model to check its outputs
_FINITE_CHECK_IMAGES = 64
# no trained network has weights near this (float32 overflows at 3e38): it has blown up
_EXPLODED_WEIGHT = 1e20
_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


def _check_model_finite(model, images: np.ndarray, n_epochs: int) -> None:
    """Raise when training left non-finite or exploded weights, or non-finite outputs.

    The loss Keras logs is computed before each update, so a step that sends
    the weights to NaN or 1e30 in the last batch leaves a finite history; the
    weights and the outputs on a few training images tell.
    """
    detail = None
    for weight in model.weights:
        if 0 in weight.shape or weight.dtype not in _FLOAT_DTYPES:
            continue  # e.g. a seed generator's integer state
        # reduced on the backend: converting a variable itself warns on TensorFlow and JAX
        values = keras.ops.abs(weight)
        if not bool(keras.ops.convert_to_numpy(keras.ops.all(keras.ops.isfinite(values)))):
            detail = f"weights are NaN or infinite (first: {weight.path})"
            break
        largest = float(keras.ops.convert_to_numpy(keras.ops.max(values)))
        if largest > _EXPLODED_WEIGHT:
            detail = f"weights reached {largest:.3g} (first: {weight.path})"
            break
    if detail is None:
        sample = images[:_FINITE_CHECK_IMAGES]
        outputs = keras.ops.convert_to_numpy(model(sample, training=False))
        if np.isfinite(outputs).all():
            return
        n_bad = int((~np.isfinite(outputs)).any(axis=-1).sum())
        detail = f"the network outputs NaN or infinity for {n_bad} of {len(sample)} training images"
    raise FloatingPointError(
        f"Training diverged in the last update of epoch {n_epochs}: {detail}, although the "
        "logged loss is finite. Lower learning_rate, pick another optimizer, or check the "
        "pixel scaling (normalize, min_pixel, max_pixel)."
    )


def _torch_refused_non_finite_outputs(error: RuntimeError) -> bool:
    """Whether PyTorch's binary cross-entropy stopped training because outputs were NaN.

    On TensorFlow and JAX a diverged network gives a NaN loss, which
    :class:`~skbia.callbacks.StopOnNonFiniteLoss` and the history check report;
    PyTorch's kernel raises instead.
    """
    return (keras.backend.backend() == "torch"
            and "input should be between 0 and 1" in str(error))
