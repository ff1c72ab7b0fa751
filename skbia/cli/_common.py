"""Helpers shared by the subcommands of the ``skbia`` command: data files and estimators."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from skbia.cli._config import check_config, load_config, parse_assignment

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fts.gz")

# command-line flag -> CNNClassifier parameter
_CLASSIFIER_FLAGS = {
    "arch": "arch",
    "epochs": "epochs",
    "batch_size": "batch_size",
    "learning_rate": "learning_rate",
    "image_size": "image_size",
    "min_pixel": "min_pixel",
    "max_pixel": "max_pixel",
    "patience": "patience",
}


def load_images(path: str | Path, *, hdu: Any = None, channels_first: bool = False) -> np.ndarray:
    """Load a stack of images from a ``.npy`` or FITS file.

    Parameters
    ----------
    path : str or Path
        The file; FITS files are recognised by their suffix.
    hdu : int, str or None, default=None
        FITS only: the HDU (a string of digits is taken as an index).
    channels_first : bool, default=False
        The array is ``(n, channels, height, width)``: move the channels last.

    Returns
    -------
    images : ndarray
        As stored; validation and conversion happen in the estimators.
    """
    path = Path(path)
    name = path.name.lower()
    if not path.is_file():
        raise FileNotFoundError(f"Image file not found: {path}")
    if name.endswith(FITS_SUFFIXES):
        from skbia.cli._fits import read_fits_cube

        if isinstance(hdu, str) and hdu.isdigit():
            hdu = int(hdu)
        return read_fits_cube(path, hdu=hdu, channels_first=channels_first)
    if hdu is not None:
        raise ValueError(f"--hdu only applies to FITS files, not to {path}.")
    if not name.endswith(".npy"):
        raise ValueError(
            f"Cannot read {path}: images must be a .npy file or a FITS file "
            f"({', '.join(FITS_SUFFIXES)})."
        )
    images = np.load(path, allow_pickle=False)
    if channels_first:
        if images.ndim != 4:
            raise ValueError(
                f"--channels-first needs a 4-d array; {path} holds shape {images.shape}."
            )
        images = np.moveaxis(images, 1, -1)
    return images


def load_training_data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    """Read the training images and labels named on the command line.

    Parameters
    ----------
    args : argparse.Namespace
        With ``positives``/``negatives`` or ``images``/``labels``, ``hdu`` and
        ``channels_first``.

    Returns
    -------
    X, y : ndarray, ndarray
        The images (positives first) and labels (1 positive, 0 negative, or
        the labels file as given).
    """
    by_class = args.positives is not None or args.negatives is not None
    together = args.images is not None or args.labels is not None
    if by_class and together:
        raise ValueError("Give either --positives/--negatives or --images/--labels, not both.")
    options = {"hdu": args.hdu, "channels_first": args.channels_first}
    if by_class:
        if args.positives is None or args.negatives is None:
            raise ValueError("--positives and --negatives must be given together.")
        positives = load_images(args.positives, **options)
        negatives = load_images(args.negatives, **options)
        if positives.shape[1:] != negatives.shape[1:]:
            raise ValueError(
                f"Positive and negative images differ in shape: {positives.shape[1:]} "
                f"and {negatives.shape[1:]}."
            )
        X = np.concatenate([positives, negatives])
        y = np.r_[np.ones(len(positives), dtype=int), np.zeros(len(negatives), dtype=int)]
        return X, y
    if args.images is None or args.labels is None:
        raise ValueError(
            "No training data: give --positives and --negatives, or --images and --labels."
        )
    X = load_images(args.images, **options)
    labels_path = Path(args.labels)
    if not labels_path.is_file():
        raise FileNotFoundError(f"Label file not found: {labels_path}")
    y = np.load(labels_path, allow_pickle=False)
    return X, y


def gather_config(
    args: argparse.Namespace, sections: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """Merge the configuration file, the parameter flags and ``--set`` assignments.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments (``config``, ``assignments`` and optional flags).
    sections : tuple of str
        Allowed sections.

    Returns
    -------
    config : dict of str to dict
        One dict of parameters per section (``classifier`` always present).
    """
    config = _recipe_config(getattr(args, "recipe", None))
    if args.config:
        for section, params in load_config(args.config, sections).items():
            config.setdefault(section, {}).update(params)
    config.setdefault("classifier", {})
    for flag, param in _CLASSIFIER_FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            if flag == "max_pixel" and len(value) == 1:
                value = value[0]
            config["classifier"][param] = value
    if getattr(args, "random_state", None) is not None:
        config["classifier"]["random_state"] = args.random_state
        if "augmenter" in config:
            config["augmenter"]["random_state"] = args.random_state
        if "online_augmentation" in config:  # seeded by the classifier's random_state
            config["online_augmentation"].pop("random_state", None)
    for text in args.assignments:
        section, name, value = parse_assignment(text)
        config.setdefault(section, {})[name] = value
    return check_config(config, sections, source="the parameters")


def _recipe_config(recipe: str | None) -> dict[str, dict[str, Any]]:
    """Return the configuration sections a ``--recipe`` starts from (empty without one)."""
    if recipe is None:
        return {}
    from skbia.classifier import LENS_FINDER_AUGMENTATION, LENS_FINDER_DEFAULTS

    return {
        "classifier": dict(LENS_FINDER_DEFAULTS),
        "online_augmentation": dict(LENS_FINDER_AUGMENTATION),
    }


def build_estimator(config: dict[str, dict[str, Any]], *, verbose: int) -> Any:
    """Build a CNNClassifier, preceded by an ImageAugmenter if configured.

    An ``online_augmentation`` section becomes the classifier's
    ``augmentation`` (an ImageAugmenter whose transforms are drawn anew every
    epoch); an ``augmenter`` section a sampler step before it (fixed copies).

    Parameters
    ----------
    config : dict of str to dict
        ``classifier`` (and optionally ``augmenter``) parameters.
    verbose : int
        Keras verbosity used unless the configuration sets ``verbose``.

    Returns
    -------
    estimator : CNNClassifier or imblearn.pipeline.Pipeline
        Unfitted.
    """
    from skbia import CNNClassifier, ImageAugmenter

    params = {"verbose": verbose, **config.get("classifier", {})}
    if "online_augmentation" in config:
        params["augmentation"] = ImageAugmenter(**config["online_augmentation"])
    classifier = CNNClassifier(**params)
    if "augmenter" not in config:
        return classifier
    from imblearn.pipeline import make_pipeline

    return make_pipeline(ImageAugmenter(**config["augmenter"]), classifier)


def final_classifier(estimator: Any) -> Any:
    """Return the CNNClassifier at the end of a pipeline (or the estimator itself)."""
    return estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator


class Timer:
    """Print a step's name when it starts and its duration when it ends."""

    def __init__(self, message: str, enabled: bool = True) -> None:
        self.message = message
        self.enabled = enabled

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        if self.enabled:
            print(f"{self.message} ...", flush=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
        if self.enabled and exc[0] is None:
            print(f"  done in {self.seconds:.1f} s", flush=True)
