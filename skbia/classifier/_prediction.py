"""Prediction: ``predict_proba`` and ``predict``, and the direct path for small inputs.

``keras.Model.predict`` traces a graph the first time it runs on a model,
which costs more than the whole prediction for the few hundred images a
cross-validation fold holds (0.39 s against 0.11 s for 73 images of a small
AlexNet). Up to :data:`_DIRECT_PREDICT_MAX_IMAGES` images are therefore
predicted by calling the model batch by batch while it has no traced predict
function yet; that runs eagerly, at about 40% of the traced graph's speed, so
larger inputs and a model already traced go through ``Model.predict``.

With ``tta`` set, the outputs are averaged over exact symmetric views of the
images (:mod:`skbia.classifier._tta`).
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator

import keras
import numpy as np
from sklearn.exceptions import NotFittedError

from skbia.classifier._devices import DATA_PARALLEL, check_device, device_scope
from skbia.classifier._tta import average_over_views

__all__ = ["_PredictionMixin"]

# up to this many images, predictions call the model directly (see _direct_predict_applies)
_DIRECT_PREDICT_MAX_IMAGES = 512

# a memory-mapped X is predicted in chunks of about this many bytes of float32 images, so that
# it is never copied whole (see _stream_chunks)
_STREAM_CHUNK_BYTES = 256 * 2**20


def _stream_chunks(X) -> Iterator | None:
    """Return the chunks to predict ``X`` in, or None to predict it in one call.

    A memory-mapped array (``numpy.load(path, mmap_mode="r")``) larger than
    :data:`_STREAM_CHUNK_BYTES` as float32 is cut into slices of the map
    (read from the file one at a time, never copied whole); an iterator (a
    generator of arrays, ``iter(list_of_arrays)``) is taken as its chunks.
    """
    if isinstance(X, Iterator):
        return X
    if isinstance(X, np.memmap) and X.ndim >= 3:
        per_image = 4 * int(np.prod(X.shape[1:]))
        step = max(1, _STREAM_CHUNK_BYTES // max(per_image, 1))
        if len(X) > step:
            return _memmap_chunks(X, step)
    return None


def _memmap_chunks(X: np.memmap, step: int) -> Iterator[np.ndarray]:
    """Yield slices of a memory map, dropping the pages read from the process after each.

    Pages of a memory map that have been read stay resident until the map
    is closed, so without ``madvise(MADV_DONTNEED)`` (a read-only map's pages
    stay in the page cache, and are read back if touched again) memory would
    grow to the size of the whole file.
    """
    for start in range(0, len(X), step):
        yield X[start:start + step]
        mapped = getattr(X, "_mmap", None)
        if mapped is not None and hasattr(mmap, "MADV_DONTNEED") and X.mode == "r":
            try:
                mapped.madvise(mmap.MADV_DONTNEED)
            except (OSError, ValueError):  # pragma: no cover - platform dependent
                pass


class _PredictionMixin:
    """``predict_proba``, ``predict`` and scikeras' prediction hook of ``CNNClassifier``."""

    def _predict_raw(self, X, **kwargs):
        """Return the model's outputs for raw images, on the classifier's device."""
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit before predicting."
            )
        if self.tta is None:
            return self._predict_once(X, **kwargs)
        images, _ = self._validate_data(X=X, y=None)
        return average_over_views(
            lambda view: self._predict_once(view, **kwargs), images, self.tta
        )

    def _predict_once(self, X, **kwargs):
        """Return the model's outputs for one view of the images, on the classifier's device."""
        with device_scope(self):
            if kwargs or not self._direct_predict_applies(X):
                return super()._predict_raw(X, **kwargs)
            return self._predict_directly(X)

    def _direct_predict_applies(self, X) -> bool:
        """Whether to call the model directly instead of ``keras.Model.predict``.

        Only while the model has no traced predict function yet, for up to
        ``_DIRECT_PREDICT_MAX_IMAGES`` images, and when no ``predict__``
        parameter or callback asks for ``Model.predict`` (see the module
        docstring).
        """
        if getattr(self.model_, "predict_function", None) is not None:
            return False
        if check_device(self.device) == DATA_PARALLEL:  # Model.predict spreads over replicas
            return False
        if getattr(self, "_predict_callbacks", None):
            return False
        if any(name.startswith("predict__") for name in self.get_params(deep=False)):
            return False
        return np.ndim(X) > 0 and len(X) <= _DIRECT_PREDICT_MAX_IMAGES

    def _predict_directly(self, X) -> np.ndarray:
        """Call the model batch by batch (eagerly) and return its stacked outputs."""
        images, _ = self._validate_data(X=X, y=None)
        images = self.feature_encoder_.transform(images)
        batch_size = self.batch_size or 32
        step = len(images) if batch_size == -1 else int(batch_size)
        outputs = [
            keras.ops.convert_to_numpy(self.model_(images[start : start + step], training=False))
            for start in range(0, len(images), step)
        ]
        return np.concatenate(outputs, axis=0)

    def predict_proba(self, X) -> np.ndarray:
        """Return class probabilities for raw, full-size images.

        A memory-mapped array (``numpy.load(path, mmap_mode="r")``) is read and
        predicted a chunk at a time (about 256 MB of float32 images), never
        copied whole; an iterator of arrays (e.g. a generator of chunks) is
        predicted chunk by chunk and the probabilities concatenated in order.
        For many files at once see :func:`skbia.scoring.score_files`.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width, channels) or (n_images, height, width)
            Images of the training size and channel count, or an iterator of
            such arrays.

        Returns
        -------
        proba : ndarray of shape (n_images, n_classes)
            Probabilities in the column order of ``classes_``.

        Raises
        ------
        FloatingPointError
            If the network outputs NaN or infinity for any image (diverged
            weights); NaN is never returned as a probability.
        ValueError
            If an iterator yields no chunks.
        """
        chunks = _stream_chunks(X)
        if chunks is not None:
            parts = [self.predict_proba(chunk) for chunk in chunks]
            if not parts:
                raise ValueError("X is an iterator that yielded no chunks of images.")
            return np.concatenate(parts, axis=0)
        proba = np.asarray(super().predict_proba(X)).reshape(-1, len(self.classes_))
        finite = np.isfinite(proba).all(axis=1)
        if not finite.all():
            bad = np.flatnonzero(~finite)
            raise FloatingPointError(
                f"The network output NaN or infinity for {bad.size} of {len(proba)} images "
                f"(indices {bad[:10].tolist()}{', ...' if bad.size > 10 else ''}): its weights "
                "have diverged or hold extreme values. Retrain with a lower learning_rate; "
                "the probabilities are not returned because they are not probabilities."
            )
        return proba

    def predict(self, X) -> np.ndarray:
        """Return the most probable class of each image.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width, channels) or (n_images, height, width)
            Images of the training size and channel count.

        Returns
        -------
        labels : ndarray of shape (n_images,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]
