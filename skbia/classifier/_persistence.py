"""Saving a fitted classifier to one ``.keras`` file and loading it back.

The file format (a Keras archive with skbia's metadata added) is
:mod:`skbia.classifier._saving`'s; this module turns a classifier into that
metadata and rebuilds the fitted state from it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Self

import keras
import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.multiclass import type_of_target

from skbia.classifier import _saving
from skbia.classifier._devices import device_scope, loading_device
from skbia.classifier._params import check_params
from skbia.classifier._warm_start import model_params
from skbia.training_metrics import get_metrics
from skbia.utils import seed_from_random_state

__all__ = ["_PersistenceMixin"]

# parameters that are never written by ``save`` (data and live objects)
_NOT_SAVED = ("validation_data", "callbacks")


class _PersistenceMixin:
    """``save``, ``load`` and the rebuilding of the fitted state (``CNNClassifier`` uses them)."""

    def save(self, path) -> None:
        """Save the fitted classifier to one ``.keras`` file.

        The file is a Keras archive (model, weights, optimizer state,
        preprocessing layers) with the estimator's parameters, ``classes_``
        and ``history_`` added as ``skbia.json``. ``validation_data`` and
        ``callbacks`` are not saved (they load as None); a ``RandomState``
        ``random_state`` is saved as the integer seed it gave.

        Parameters
        ----------
        path : str or path-like
            Destination, ending in ``.keras``, in an existing folder; an
            existing file is overwritten.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            If the classifier is not fitted.
        TypeError
            If a parameter cannot be stored (e.g. a lambda as ``arch``).
        ValueError
            If ``path`` does not end in ``.keras``, is a folder, or lies under
            a file.
        FileNotFoundError
            If the folder of ``path`` does not exist.
        """
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; nothing to save.")
        params = {}
        for name, value in self.get_params(deep=False).items():
            if name in _NOT_SAVED:
                continue
            if name == "random_state" and isinstance(value, np.random.RandomState):
                value = seed_from_random_state(value)
            params[name] = _saving.encode(value, name)
        from skbia import __version__

        metadata = {
            "skbia_version": __version__,
            "params": params,
            "classes": _saving.encode(self.classes_.tolist(), "classes_"),
            "classes_dtype": self.classes_.dtype.str if self.classes_.dtype != object else "O",
            "input_shape": list(self.input_shape_),
            "history": {k: [float(v) for v in vals] for k, vals in self.history_.items()},
            "softening": getattr(self, "softening_", None),
            # Keras does not save its layers' random-generator states (dropout masks, ...);
            # keeping them lets a loaded model continue training as the saved one would
            "seed_states": [np.asarray(v).tolist() for v in _seed_states(self.model_)],
        }
        _saving.write_model(self.model_, metadata, path)

    @classmethod
    def load(cls, path, *, trusted: Iterable[Callable] = ()) -> Self:
        """Load a classifier written by :meth:`save`.

        A model file is untrusted input: the Keras model is loaded with
        ``safe_mode=True``, and loading never imports a module the file names.
        Parameters saved as callables (``arch``, ``loss``, activations, ...)
        may name skbia's and Keras' own callables; any other callable (your
        own network builder, say) loads only if you pass it in ``trusted``,
        and otherwise raises before anything is imported. The result predicts
        like the saved classifier and, with ``warm_start=True``, trains further
        from the saved weights and optimizer state.

        Parameters
        ----------
        path : str or path-like
            A ``.keras`` file written by :meth:`save`.
        trusted : iterable of callable, default=()
            Callables outside skbia and Keras that the file may name, e.g.
            ``trusted=[my_network]`` for a model fitted with
            ``arch=my_network``; matched by import path (``module:name``).

        Returns
        -------
        classifier : CNNClassifier
            A fitted classifier.

        Raises
        ------
        FileNotFoundError
            If the file does not exist.
        ValueError
            If the file is not a saved skbia classifier, holds a parameter
            that is unknown or breaks its constraint, or names a callable
            that is neither skbia's, Keras' nor in ``trusted``.

        Warns
        -----
        UserWarning
            If the file was saved with a GPU ``device`` that this machine
            lacks: it loads with ``device=None`` (so a model trained on a GPU
            scores on a CPU).
        """
        metadata = _saving.read_metadata(path)
        trusted = tuple(trusted)
        params = {name: _saving.decode(value, name, trusted)
                  for name, value in metadata["params"].items()}
        classifier = _checked_classifier(cls, params, path)
        with device_scope(classifier, building=True):  # a mirrored model loads mirrored
            model = _saving.read_model(path)
            classifier._restore(model, metadata)  # recompiles: in the same scope
        return classifier

    def _restore(self, model: keras.Model, metadata: Mapping[str, Any]) -> None:
        """Rebuild the fitted state around a loaded Keras model."""
        classes = np.asarray(_saving.decode(metadata["classes"]), dtype=metadata["classes_dtype"])
        self.model_ = model
        self.input_shape_ = tuple(int(d) for d in metadata["input_shape"])
        self.X_shape_ = (0, *self.input_shape_)
        self.X_dtype_ = np.dtype(np.float32)
        self.classes_ = classes
        self.target_type_ = type_of_target(classes)
        self.y_dtype_ = classes.dtype
        self.y_ndim_ = 1
        self.target_encoder_ = self.target_encoder.fit(classes)
        vars(self).update(self.target_encoder_.get_metadata())
        self.classes_ = classes  # the encoder keeps explicit categories as objects
        self.feature_encoder_ = FunctionTransformer().fit(np.zeros((1, *self.input_shape_)))
        self.history_ = {key: list(values) for key, values in metadata["history"].items()}
        softening = metadata.get("softening")  # absent in files of skbia 0.1.0
        self.softening_ = None if softening is None else [float(v) for v in softening]
        self._random_state = seed_from_random_state(self.random_state)
        self._initialize_callbacks()
        self._resolve_positive_label()
        self._model_params = model_params(self)  # the saved parameters describe the model
        _restore_seed_states(model, metadata.get("seed_states"))
        _recompile_for_this_backend(model, len(classes), bool(self.run_eagerly))


def _checked_classifier(cls: type, params: Mapping[str, Any], path: Any) -> Any:
    """Build the classifier from saved parameters, refusing unknown or invalid ones.

    A file's parameters are checked as a user's would be before ``fit``
    (a saved GPU this machine lacks gives device=None, with a warning: a model
    trained on a GPU loads for scoring on a CPU), so a tampered or corrupt
    file fails here, not at a later ``fit``.
    """
    classifier = cls(**params)  # takes routed keywords: unknown names fail in check_params
    try:
        check_params(classifier, device=False)
        device, reason = loading_device(classifier.device)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{str(path)!r} holds an invalid saved parameter: {error}") from None
    if reason is not None:
        warnings.warn(f"{str(path)!r} was saved with {reason}", UserWarning, stacklevel=3)
        classifier.set_params(device=device)
    return classifier


def _recompile_for_this_backend(model: keras.Model, n_classes: int, run_eagerly: bool) -> None:
    """Compile the loaded model again with the same optimizer (its state kept), loss, metrics.

    The file's compile settings carry the writing backend's choices, e.g. XLA
    compilation from JAX, which TensorFlow's deterministic CPU kernels cannot
    run; compiling here lets this backend choose as it does for a new model.
    """
    if model.optimizer is None:
        return
    model.compile(optimizer=model.optimizer, loss=model.loss, metrics=get_metrics(n_classes),
                  run_eagerly=run_eagerly)


def _seed_states(model: keras.Model) -> list:
    """Return the state variables of the model's random seed generators, in model order."""
    return [v for v in model.variables if v.path.endswith("seed_generator_state")]


def _restore_seed_states(model: keras.Model, saved: Any) -> None:
    """Put back the seed-generator states written by ``save`` (absent in older files)."""
    variables = _seed_states(model)
    if not isinstance(saved, list) or len(saved) != len(variables):
        return  # a file without them (older skbia) continues from fresh generator states
    for variable, state in zip(variables, saved, strict=True):
        value = np.asarray(state)
        if value.shape != tuple(variable.shape) or value.dtype.kind not in "iu":
            raise ValueError(
                f"The saved seed-generator state {state!r} does not fit the model's "
                f"{variable.path} of shape {tuple(variable.shape)}; the file is malformed."
            )
        variable.assign(value.astype(variable.dtype))
