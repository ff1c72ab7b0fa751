"""One-file persistence of a fitted classifier: a ``.keras`` archive plus skbia's metadata.

The Keras model is written with ``model.save`` (the native ``.keras`` zip
format) and the estimator's parameters, classes and training history are
added to the same archive as ``skbia.json``. Keras ignores the extra member,
so the file is also a plain Keras model, and skbia can tell its own files
from any other ``.keras`` file.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from skbia.augmentation import ImageAugmenter

METADATA_NAME = "skbia.json"
FORMAT_NAME = "skbia.CNNClassifier"
FORMAT_VERSION = 1


def _callable_path(func: Callable) -> str:
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", None)
    if not module or not qualname or "<" in qualname:
        raise TypeError(
            f"Cannot save the callable {func!r}: only module-level functions or classes can "
            "be recorded by import path (lambdas and nested functions cannot)."
        )
    return f"{module}:{qualname}"


# packages whose callables a saved file may name without the user's say-so: skbia's own
# builders and Keras' activations, initializers and the like (both already imported when a
# model loads); the names are resolved in these packages only, never by a free import
_TRUSTED_PACKAGES = ("skbia", "keras")


class UntrustedCallableError(ValueError):
    """A saved file names a callable outside skbia and Keras that the caller did not trust."""


def _in_trusted_package(module_name: str) -> bool:
    return any(module_name == root or module_name.startswith(root + ".")
               for root in _TRUSTED_PACKAGES)


def resolve_callable(path: Any, name: str, trusted: Iterable[Callable] = ()) -> Callable:
    """Return the callable a saved file names, without running code the file chose.

    A file is untrusted input: it may name callables of skbia or Keras (whose
    modules are part of the installed packages), or one of the ``trusted``
    callables the caller passed. Anything else raises before any import, so a
    crafted file cannot make skbia import (and so run) a module of its choice.

    Parameters
    ----------
    path : str
        ``"module:qualified.name"`` as written by :func:`encode`.
    name : str
        The parameter, for the error message.
    trusted : iterable of callable, default=()
        Callables the caller vouches for; matched by their import path.

    Returns
    -------
    func : callable

    Raises
    ------
    UntrustedCallableError
        If the path is malformed, names a callable outside skbia and Keras that
        is not in ``trusted``, or does not resolve to a callable.
    """
    if not isinstance(path, str) or path.count(":") != 1:
        raise UntrustedCallableError(
            f"The saved parameter {name} names the callable {path!r}, which is not of the "
            "form 'module:name'; the file is malformed."
        )
    module_name, qualname = path.split(":")
    by_path = {}
    for func in trusted:
        if not callable(func):
            raise TypeError(f"trusted must hold callables; got {func!r}.")
        by_path[_callable_path(func)] = func
    if path in by_path:
        return by_path[path]
    if not _in_trusted_package(module_name):
        raise UntrustedCallableError(
            f"The saved parameter {name} names the callable {path!r}. skbia never imports "
            "code that a model file names outside skbia and Keras. If you trust this file, "
            "import that callable yourself and pass it: "
            f"load(path, trusted=[{qualname.rsplit('.', 1)[-1]}])."
        )
    try:
        obj: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            if part.startswith("_") and part != "__call__":
                raise AttributeError(f"{part!r} is private")
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as error:
        raise UntrustedCallableError(
            f"The saved parameter {name} names the callable {path!r}, which does not exist "
            f"in this installation ({error})."
        ) from None
    if not callable(obj):
        raise UntrustedCallableError(
            f"The saved parameter {name} names {path!r}, which is not callable."
        )
    return obj


def encode(value: Any, name: str) -> Any:
    """Return a JSON-compatible form of a parameter value.

    Parameters
    ----------
    value : object
        None, bool, numbers, strings, tuples, lists, dicts with scalar keys,
        NumPy scalars and arrays, an :class:`~skbia.ImageAugmenter` (saved as its
        parameters) and importable callables are supported.
    name : str
        Parameter name for the error message.

    Returns
    -------
    encoded : object

    Raises
    ------
    TypeError
        For values that cannot be stored (the message names the parameter).
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else {"__float__": repr(number)}
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        return encode(value.tolist(), name)
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, name) for v in value]}
    if isinstance(value, list):
        return [encode(v, name) for v in value]
    if isinstance(value, Mapping):
        return {"__dict__": [[encode(k, name), encode(v, name)] for k, v in value.items()]}
    if isinstance(value, ImageAugmenter):
        # an augmenter is saved as its parameters and rebuilt as an ImageAugmenter
        return {"__image_augmenter__": encode(value.get_params(deep=False), name)}
    if callable(value):
        return {"__callable__": _callable_path(value)}
    raise TypeError(
        f"Cannot save parameter {name}={value!r} of type {type(value).__name__}; "
        "set it to a plain value (number, string, list, dict) before saving."
    )


def decode(value: Any, name: str = "value", trusted: Iterable[Callable] = ()) -> Any:
    """Invert :func:`encode`, resolving callables safely (see :func:`resolve_callable`).

    Parameters
    ----------
    value : object
        A value produced by :func:`encode` (after a JSON round trip).
    name : str, default="value"
        The parameter, for error messages.
    trusted : iterable of callable, default=()
        Callables outside skbia and Keras that the file may name.

    Returns
    -------
    decoded : object

    Raises
    ------
    UntrustedCallableError
        If the value names a callable that may not be loaded.
    """
    trusted = tuple(trusted)
    if isinstance(value, list):
        return [decode(v, name, trusted) for v in value]
    if isinstance(value, dict):
        if "__tuple__" in value:
            return tuple(decode(v, name, trusted) for v in value["__tuple__"])
        if "__dict__" in value:
            return {decode(k, name, trusted): decode(v, name, trusted)
                    for k, v in value["__dict__"]}
        if "__callable__" in value:
            return resolve_callable(value["__callable__"], name, trusted)
        if "__float__" in value:
            return float(value["__float__"])
        if "__image_augmenter__" in value:
            params = decode(value["__image_augmenter__"], name, trusted)
            if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
                raise ValueError("A saved augmenter must be a dict of parameters.")
            return ImageAugmenter(**params)
    return value


def _check_keras_suffix(path: Path) -> None:
    if path.suffix != ".keras":
        raise ValueError(
            f"Model files must end in '.keras' (the Keras archive format); got {str(path)!r}."
        )


def _check_destination(path: Path) -> None:
    """Refuse a folder, a missing folder or a file in a folder's place before writing."""
    if path.is_dir():
        raise ValueError(f"{str(path)!r} is a folder; give the name of a .keras file to write.")
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise ValueError(f"{str(path)!r} cannot be written: {str(parent)!r} is a file, "
                         "not a folder.")
    if not parent.exists():
        raise FileNotFoundError(f"The folder {str(parent)!r} for {str(path)!r} does not exist; "
                                "create it first.")


def write_model(model, metadata: Mapping[str, Any], path: str | os.PathLike) -> Path:
    """Save a Keras model and add skbia's metadata to the archive.

    Parameters
    ----------
    model : keras.Model
        The fitted model.
    metadata : mapping
        JSON-compatible metadata (see :func:`encode`).
    path : str or path-like
        Destination ending in ``.keras``; overwritten if it exists.

    Returns
    -------
    path : Path
    """
    path = Path(path)
    _check_keras_suffix(path)
    _check_destination(path)
    text = json.dumps(
        {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **metadata}, indent=1
    )
    model.save(path, overwrite=True)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(METADATA_NAME, text)
    return path


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """Read skbia's metadata from a saved model, or raise a clear error.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`write_model`.

    Returns
    -------
    metadata : dict

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is not a ``.keras`` archive written by skbia, or was written
        by a newer format version.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No saved model at {str(path)!r}.")
    if not path.is_file() or not zipfile.is_zipfile(path):
        raise ValueError(
            f"{str(path)!r} is not a saved skbia model: skbia models are single '.keras' "
            "files written by CNNClassifier.save."
        )
    with zipfile.ZipFile(path) as archive:
        if METADATA_NAME not in archive.namelist():
            raise ValueError(
                f"{str(path)!r} is not a saved skbia model: it has no {METADATA_NAME} entry "
                "(a plain Keras model file, or another archive). Load plain Keras models with "
                "keras.saving.load_model."
            )
        try:
            metadata = json.loads(archive.read(METADATA_NAME).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{str(path)!r} has unreadable skbia metadata: {error}.") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise ValueError(f"{str(path)!r} is not a saved {FORMAT_NAME} model.")
    version = metadata.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{str(path)!r} was written in format version {version!r}; this skbia reads "
            f"versions up to {FORMAT_VERSION}. Upgrade skbia to load it."
        )
    _check_metadata_structure(path, metadata)
    return metadata


# entry -> (accepted JSON types, what it must be), checked before anything is rebuilt
_METADATA_ENTRIES = {
    "params": (dict, "a mapping of parameter names to values"),
    "classes": ((list, dict), "a list of class labels"),
    "classes_dtype": (str, "a NumPy dtype string"),
    "input_shape": (list, "a list of three positive integers"),
    "history": (dict, "a mapping of metric names to lists of numbers"),
}


def _check_metadata_structure(path, metadata: Mapping[str, Any]) -> None:
    """Raise a ValueError naming the first malformed entry of skbia's metadata."""
    def bad(entry: str, expected: str) -> ValueError:
        return ValueError(
            f"{str(path)!r} has malformed skbia metadata: {entry!r} must be {expected}; "
            f"got {metadata.get(entry)!r:.80}."
        )

    for entry, (types, expected) in _METADATA_ENTRIES.items():
        if not isinstance(metadata.get(entry), types):
            raise bad(entry, expected)
    shape = metadata["input_shape"]
    if len(shape) != 3 or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0
                                  for d in shape):
        raise bad("input_shape", _METADATA_ENTRIES["input_shape"][1])
    try:
        np.dtype(metadata["classes_dtype"])
    except TypeError:
        raise bad("classes_dtype", _METADATA_ENTRIES["classes_dtype"][1]) from None
    if not all(isinstance(v, list) and all(isinstance(x, int | float) for x in v)
               for v in metadata["history"].values()):
        raise bad("history", _METADATA_ENTRIES["history"][1])
    softening = metadata.get("softening")
    if softening is not None and not (
            isinstance(softening, list) and all(isinstance(v, int | float) for v in softening)):
        raise bad("softening", "None or a list of numbers")


def read_model(path: str | os.PathLike):
    """Load the Keras model of a saved skbia file with ``safe_mode=True``.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`write_model`.

    Returns
    -------
    model : keras.Model
        Compiled, with its optimizer state.
    """
    import keras

    # importing these modules registers skbia's custom layers, losses and metrics
    import skbia.architectures.layers  # noqa: F401
    import skbia.losses  # noqa: F401

    with zipfile.ZipFile(path) as archive:
        missing = {"config.json", "model.weights.h5"} - set(archive.namelist())
    if missing:
        raise ValueError(
            f"{str(path)!r} is not a saved skbia model: it holds skbia's metadata but no "
            f"Keras model (it lacks "
            f"{', '.join(sorted(missing))}); the file is damaged or was not written by "
            "CNNClassifier.save."
        )
    try:
        return keras.saving.load_model(Path(path), safe_mode=True, compile=True)
    except (KeyError, OSError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"{str(path)!r} holds a Keras model that cannot be read ({type(error).__name__}: "
            f"{error}); the file is damaged."
        ) from None
