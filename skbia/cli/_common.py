"""Helpers shared by the subcommands of the ``skbia`` command: data files and estimators."""

from __future__ import annotations

import argparse
import pickle
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from skbia.cli._config import check_config, load_config, parse_assignment
from skbia.cli._injection_flags import add_injector_section, check_injector_section
from skbia.scoring._npy_errors import describe_npy_error

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fts.gz")

# most distinct labels a --labels file may hold: more means it is not a file of class labels
MAX_CLASSES = 10

# most bands an axis may hold for check_axis_order to take it for a band axis
MAX_BANDS = 16

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
        As stored (channels moved last with ``channels_first``); pixel
        validation and conversion happen in the estimators.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    IsADirectoryError
        If the path is a folder.
    ValueError
        If the file cannot be read (unknown suffix, unreadable or truncated),
        or does not hold a numeric 3-d or 4-d stack of images, or its axes
        look swapped (see :func:`check_axis_order`).
    """
    path = Path(path)
    name = path.name.lower()
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not an image file (.npy or FITS).")
    if not path.is_file():
        raise FileNotFoundError(f"Image file not found: {path}")
    if name.endswith(FITS_SUFFIXES):
        from skbia.cli._fits import read_fits_cube

        if isinstance(hdu, str) and hdu.isdigit():
            hdu = int(hdu)
        images = read_fits_cube(path, hdu=hdu)
    else:
        if hdu is not None:
            raise ValueError(f"--hdu only applies to FITS files, not to {path}.")
        if not name.endswith(".npy"):
            raise ValueError(
                f"Cannot read {path}: images must be a .npy file or a FITS file "
                f"({', '.join(FITS_SUFFIXES)})."
            )
        images = load_npy(path, what="image file")
    _check_image_stack(images, path)
    check_axis_order(images.shape, path, channels_first=channels_first)
    if channels_first:
        if images.ndim != 4:
            raise ValueError(
                f"--channels-first needs a 4-d array; {path} holds shape {images.shape}."
            )
        images = np.moveaxis(images, 1, -1)
    return images


def load_npy(path: Path, *, what: str) -> np.ndarray:
    """Read one array from a ``.npy`` file, never unpickling.

    Parameters
    ----------
    path : Path
        The file.
    what : str
        What the file is (``"image file"``, ``"label file"``), for error messages.

    Returns
    -------
    array : ndarray

    Raises
    ------
    ValueError
        If the file is not a readable ``.npy`` array: truncated, corrupt, an
        ``.npz`` archive, or an array of Python objects (which would need
        unpickling, never done here).
    """
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile) as error:
        raise ValueError(f"Cannot read the {what} {path}: {describe_npy_error(error)}") from error
    if isinstance(array, np.lib.npyio.NpzFile):
        keys = list(array.files)
        array.close()
        raise ValueError(
            f"The {what} {path} is an .npz archive ({len(keys)} arrays: {', '.join(keys[:5])}), "
            "not a .npy array; save the one array with numpy.save."
        )
    return array


def _check_image_stack(images: np.ndarray, path: Path) -> None:
    """Check that an array read from ``path`` is a non-empty numeric 3-d or 4-d stack."""
    if images.ndim not in (3, 4):
        hint = " (a label file? give it to --labels)" if images.ndim == 1 else ""
        raise ValueError(
            f"{path} holds an array of shape {images.shape}{hint}; a stack of images must be "
            "3-d (n_images, height, width) or 4-d (n_images, height, width, bands)."
        )
    if images.dtype.kind not in "biuf":
        raise ValueError(f"{path} holds {images.dtype} values, not pixel numbers.")
    if len(images) == 0:
        raise ValueError(f"{path} holds no images (shape {images.shape}).")


def check_axis_order(shape: tuple[int, ...], path: str | Path, *, channels_first: bool) -> None:
    """Refuse a 4-d stack whose band axis is evidently in the other place.

    With ``(n, a, b, c)`` read channels-last, ``a`` and ``b`` are the image's
    height and width and ``c`` its bands. The array looks channels-first when
    its second axis is small (at most :data:`MAX_BANDS`) and smaller than its
    last, while the last is either larger than ``MAX_BANDS`` or equal to the
    third (square images): e.g. ``(n, 3, 64, 64)``, which read channels-last
    would be 3x64-pixel images with 64 bands. The mirror image of that test,
    with ``channels_first``, finds channels-last arrays such as
    ``(n, 64, 64, 3)``.

    Parameters
    ----------
    shape : tuple of int
        The array's shape as stored.
    path : str or Path
        The file, for the error message.
    channels_first : bool
        Whether ``--channels-first`` was given.

    Raises
    ------
    ValueError
        If the axis order looks wrong for the given ``channels_first``.
    """
    if len(shape) != 4:
        return
    _, a, b, c = shape
    if not channels_first and _looks_like_bands_then_pixels(a, b, c):
        raise ValueError(
            f"{path} holds shape {shape}, which read as (n_images, height, width, bands) gives "
            f"{a}x{b}-pixel images with {c} bands; it looks like (n_images, bands, height, "
            f"width): pass --channels-first."
        )
    if channels_first and _looks_like_bands_then_pixels(c, b, a):
        raise ValueError(
            f"{path} holds shape {shape}, which read with --channels-first gives {b}x{c}-pixel "
            f"images with {a} bands; it looks like (n_images, height, width, bands) already: "
            "leave out --channels-first."
        )


def _looks_like_bands_then_pixels(first: int, middle: int, last: int) -> bool:
    """Whether ``first`` looks like a band count and ``last`` like a pixel size."""
    return first < last and first <= MAX_BANDS and (last > MAX_BANDS or middle == last)


def load_labels(path: str | Path, n_images: int, images_path: str | Path) -> np.ndarray:
    """Read the ``--labels`` file and check it holds class labels for the images.

    Parameters
    ----------
    path : str or Path
        The ``.npy`` file.
    n_images : int
        Number of images the labels go with.
    images_path : str or Path
        The images' file, for error messages.

    Returns
    -------
    y : ndarray of shape (n_images,)
        The labels as stored.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it cannot be read, or is not 1-d, or its length differs from
        ``n_images``, or it holds NaN, non-integer numbers, fewer than 2 or
        more than :data:`MAX_CLASSES` distinct labels.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"--labels: {path} is a folder, not a .npy label file.")
    if not path.is_file():
        raise FileNotFoundError(f"Label file not found: {path}")
    if not path.name.lower().endswith(".npy"):
        raise ValueError(f"--labels: {path} must be a .npy file holding a 1-d array.")
    y = load_npy(path, what="label file")
    check_labels(y, n_images, path, images_path)
    return y


def check_labels(y: np.ndarray, n_images: int, path: str | Path,
                 images_path: str | Path) -> None:
    """Check that ``y`` (read from ``path``) holds one class label per image.

    Parameters
    ----------
    y : ndarray
        The labels as read.
    n_images : int
        Number of images.
    path, images_path : str or Path
        The label and image files, for error messages.

    Raises
    ------
    ValueError
        See :func:`load_labels`.
    """
    flag = f"--labels {path}"
    if y.ndim != 1:
        hint = (" (an image file? give it to --images)" if y.ndim >= 3
                else " (a column: save it 1-d, e.g. numpy.save(path, y.ravel()))"
                if y.ndim == 2 and y.shape[1] == 1 else "")
        raise ValueError(f"{flag}: labels must be a 1-d array, one label per image; got shape "
                         f"{y.shape}{hint}.")
    if len(y) != n_images:
        raise ValueError(f"{flag} holds {len(y)} labels but {images_path} holds {n_images} "
                         "images; there must be one label per image.")
    if y.dtype.kind not in "biufUS":
        raise ValueError(f"{flag}: labels must be integers, booleans or strings; got {y.dtype}.")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all():
            raise ValueError(f"{flag} holds {int((~np.isfinite(y)).sum())} NaN or infinite "
                             "labels.")
        fractional = y[y != np.round(y)]
        if fractional.size:
            raise ValueError(f"{flag} holds non-integer numbers (e.g. {fractional[0]:g}), not "
                             "class labels: is it the right file?")
    classes = np.unique(y)
    if len(classes) > MAX_CLASSES:
        raise ValueError(f"{flag} holds {len(classes)} distinct labels; the command line takes "
                         f"at most {MAX_CLASSES} classes: is it the right file?")
    if len(classes) < 2:
        raise ValueError(f"{flag} holds only the label {classes.tolist()[0]!r}; training needs "
                         "at least two classes.")


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
        the labels file as given, checked by :func:`check_labels`).
    """
    by_class = args.positives is not None or args.negatives is not None
    together = args.images is not None or args.labels is not None
    if by_class and together:
        raise ValueError("Give either --positives/--negatives or --images/--labels, not both.")
    options = {"hdu": args.hdu, "channels_first": args.channels_first}
    if by_class:
        if args.positives is None or args.negatives is None:
            raise ValueError("--positives and --negatives must be given together.")
        if _same_file(args.positives, args.negatives):
            raise ValueError(f"--positives and --negatives name the same file ({args.positives}): "
                             "every image would be labelled both 1 and 0.")
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
    y = load_labels(args.labels, len(X), args.images)
    return X, y


def check_crop(image_size: Any, shape: tuple[int, ...], source: str) -> None:
    """Check that a centre crop fits in images of ``shape``, before any training.

    Parameters
    ----------
    image_size : int, (int, int) or None
        The crop (None: no crop). Malformed values are left to the
        classifier's own parameter check.
    shape : tuple of int
        The images' shape, ``(n, height, width[, bands])``.
    source : str
        Where the crop was set, for the error message.

    Raises
    ------
    ValueError
        If the crop is larger than the images.
    """
    if image_size is None or len(shape) < 3:
        return
    sizes = np.ravel(image_size).tolist()
    if len(sizes) == 1:
        sizes *= 2
    if len(sizes) != 2 or not all(isinstance(v, (int, float)) for v in sizes):
        return
    height, width = shape[1:3]
    if sizes[0] > height or sizes[1] > width:
        raise ValueError(f"{source}={image_size!r} is larger than the {height}x{width}-pixel "
                         "images: the centre crop cannot be larger than the image.")


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
    add_injector_section(args, config)
    if getattr(args, "random_state", None) is not None:
        config["classifier"]["random_state"] = args.random_state
        for section in ("augmenter", "injector"):
            if section in config:
                config[section]["random_state"] = args.random_state
        if "online_augmentation" in config:  # seeded by the classifier's random_state
            config["online_augmentation"].pop("random_state", None)
    for text in args.assignments:
        section, name, value = parse_assignment(text)
        if section not in sections:
            raise ValueError(f"--set {text}: unknown section {section!r}; use one of "
                             f"{list(sections)}, or no section for a classifier parameter.")
        config.setdefault(section, {})[name] = value
    config = check_config(config, sections, source="the combined configuration")
    check_injector_section(config)
    if getattr(args, "recipe", None) == "lens-finder":
        set_recipe_crop(args, config)
    return config


def set_recipe_crop(args: argparse.Namespace, config: dict[str, dict[str, Any]]) -> None:
    """Size the lens-finder recipe's crop from the camera flags, unless a crop is set.

    ``--pixel-scale``, the largest ``--einstein-radius`` and the largest
    ``--psf-fwhm`` (each with the recipe's default when absent) give
    :func:`skbia.lens_finder_image_size`; ``--image-size`` or an
    ``image_size`` in the configuration wins.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed ``skbia fit`` or ``skbia tune`` arguments.
    config : dict of str to dict
        The merged configuration; its ``classifier`` section is updated in place.
    """
    if "image_size" in config["classifier"]:
        return
    from skbia.classifier import lens_finder_image_size

    camera = {}  # what is not given keeps the recipe's default (0.2"/px, 3", 1")
    if getattr(args, "pixel_scale", None) is not None:
        camera["pixel_scale"] = args.pixel_scale
    if getattr(args, "einstein_radius", None):
        camera["einstein_radius"] = max(args.einstein_radius)
    if getattr(args, "psf_fwhm", None):
        camera["psf_fwhm"] = max(args.psf_fwhm)
    config["classifier"]["image_size"] = lens_finder_image_size(**camera)


def _same_file(first: Any, second: Any) -> bool:
    """Whether two paths name one existing file (links and relative paths included)."""
    try:
        return Path(first).samefile(second)
    except OSError:  # a missing file is reported when it is read
        return False


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
    """Build a CNNClassifier, preceded by a LensInjector and an ImageAugmenter if configured.

    An ``online_augmentation`` section becomes the classifier's
    ``augmentation`` (an ImageAugmenter whose transforms are drawn anew every
    epoch); an ``augmenter`` section a sampler step before it (fixed copies);
    an ``injector`` section a LensInjector step first, so that injected
    lenses are augmented like the real ones.

    Parameters
    ----------
    config : dict of str to dict
        ``classifier`` (and optionally ``injector``, ``augmenter`` and
        ``online_augmentation``) parameters.
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
    samplers = []
    if "injector" in config:
        from skbia.augmentation import LensInjector

        samplers.append(LensInjector(**config["injector"]))
    if "augmenter" in config:
        samplers.append(ImageAugmenter(**config["augmenter"]))
    if not samplers:
        return classifier
    from imblearn.pipeline import make_pipeline

    return make_pipeline(*samplers, classifier)


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
