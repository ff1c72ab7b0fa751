"""The classifier's handling of images and labels: validation and label encoding.

scikit-learn's validators reject 4-d image arrays, so the classifier replaces
scikeras' ``_validate_data`` with skbia's image and label checks, and encodes
labels as one 0/1 column for two classes (a sigmoid output) or one-hot
columns for more (a softmax output).
"""

from __future__ import annotations

import warnings

import numpy as np
from scikeras.utils.transformers import ClassifierLabelEncoder
from scipy import sparse
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import type_of_target

from skbia.utils import check_images, check_labels

__all__ = ["_DataMixin"]


class _DataMixin:
    """Validation of images and labels and the label encoder (``CNNClassifier`` uses them)."""

    @property
    def target_encoder(self):
        """Encoder of the labels: 0/1 column for two classes, one-hot for more.

        Returns
        -------
        encoder : scikeras.utils.transformers.ClassifierLabelEncoder
            Unfitted.
        """
        classes = getattr(self, "classes_", None)
        categories = "auto" if classes is None else [classes]
        # "categorical_crossentropy" makes the encoder one-hot encode multi-class
        # targets; binary targets stay one 0/1 column for the sigmoid output.
        return ClassifierLabelEncoder(loss="categorical_crossentropy", categories=categories)

    def _validate_data(self, X=None, y=None, reset: bool = False, y_numeric: bool = False):
        """Validate images (and labels) with skbia's checks; record shapes when ``reset``."""
        images = labels = None
        if X is not None:
            if sparse.issparse(X):
                raise TypeError(
                    "Sparse input is not supported: give the images as a dense array of "
                    "shape (n_images, height, width[, channels])."
                )
            images = check_images(
                X,
                fill_value=self.fill_value,
                n_channels=None if reset else self.input_shape_[-1],
                min_size=self.image_size,
            )
            if reset:
                self.input_shape_ = tuple(int(d) for d in images.shape[1:])
                self.X_shape_ = images.shape
                self.X_dtype_ = images.dtype
            elif images.shape[1:3] != self.input_shape_[:2]:
                raise ValueError(
                    f"X holds {images.shape[1]}x{images.shape[2]} pixel images but the "
                    f"classifier was fitted on {self.input_shape_[0]}x{self.input_shape_[1]} "
                    "images; give images of the training size (the model crops them itself)."
                )
        if y is not None:
            y = np.asarray(y)
            n_samples = len(images) if images is not None else len(y)
            if y.ndim == 2 and y.shape[1] == 1:
                warnings.warn(
                    "A column-vector y was passed when a 1d array was expected; it is "
                    "used as y.ravel().",
                    DataConversionWarning,
                    stacklevel=3,
                )
            labels = check_labels(y, n_samples, min_classes=2 if reset else 1)
            if reset:
                self.target_type_ = type_of_target(labels)
                self.y_dtype_ = labels.dtype
                self.y_ndim_ = 1
        return images, labels

    def _check_known_labels(self, labels: np.ndarray, where: str) -> None:
        """Raise if ``labels`` hold a class the classifier was not fitted on."""
        unknown = np.setdiff1d(np.unique(labels), self.classes_)
        if len(unknown):
            raise ValueError(
                f"{where} has labels {unknown.tolist()} that are not among the classes "
                f"{self.classes_.tolist()} the classifier was fitted on."
            )

    def _encode_validation(self, validation_data) -> tuple[np.ndarray, np.ndarray]:
        """Validate raw validation images and labels and encode the labels like ``y``."""
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError(
                "validation_data must be a pair (X_val, y_val) of raw images and labels."
            ) from None
        images = check_images(
            X_val,
            name="validation_data X_val",
            fill_value=self.fill_value,
            n_channels=self.input_shape_[-1],
        )
        if images.shape[1:3] != self.input_shape_[:2]:
            raise ValueError(
                f"validation_data holds {images.shape[1]}x{images.shape[2]} pixel images but "
                f"the training images are {self.input_shape_[0]}x{self.input_shape_[1]}."
            )
        labels = check_labels(y_val, len(images), min_classes=1)
        self._check_known_labels(labels, "validation_data y_val")
        return images, self.target_encoder_.transform(labels)
