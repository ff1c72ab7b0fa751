"""The recommended starting point for a lens finder trained from a few dozen examples.

Every choice is measured in ``benchmarks/lens_finding.py`` on two independent
simulators (skbia's own :func:`skbia.datasets.make_lenses` and a lenstronomy
simulator with its own lens and look-alike population), trained on one and
tested on the other as well as on itself (results in ``benchmarks/RESULTS.md``
and the guide "Training a lens finder from 20 examples"). A choice is kept only
if it helps on both simulators.
"""

from __future__ import annotations

import math
from numbers import Integral
from typing import Any

from skbia.augmentation import ImageAugmenter
from skbia.utils import is_integer, is_real

__all__ = [
    "LENS_FINDER_AUGMENTATION",
    "LENS_FINDER_DEFAULTS",
    "LENS_FINDER_MEMBERS",
    "lens_finder_image_size",
    "make_lens_finder",
]

#: Parameters of every network of :func:`make_lens_finder` (``augmentation`` and
#: ``image_size`` are added: an ImageAugmenter and :func:`lens_finder_image_size`).
LENS_FINDER_DEFAULTS: dict[str, Any] = {
    "arch": "compact",
    "scaling": "asinh",
    "balance_ratio": 0.5,
    "tta": "dihedral",
    "epochs": 30,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "min_training_auc": 0.9,
    "retries": 2,
    "recalibrate_batch_norm": True,
}

#: Online augmentation of :func:`make_lens_finder`: exact symmetries and small shifts.
LENS_FINDER_AUGMENTATION: dict[str, Any] = {"dihedral": True, "shift": 4}

#: Members of the fold ensemble :func:`make_lens_finder` returns by default.
LENS_FINDER_MEMBERS: int = 5

# without a pixel scale the crop is sized for the finest ground-based pixels: coarser pixels
# put the same arcs at fewer pixels from the centre, so nothing is cut, only computed in vain
_DEFAULT_PIXEL_SCALE = 0.2
_DEFAULT_EINSTEIN_RADIUS = 3.0  # arcsec: the largest galaxy-scale Einstein radii searched for
_DEFAULT_PSF_FWHM = 1.0  # arcsec: ground-based seeing
_DEFAULT_CENTRING = 3  # pixels: how far a cutout's lens galaxy may sit from the stamp centre
# arcsec: the radial half-width of an arc beyond the PSF's, about a faint source's half-light
# radius (radially an arc keeps roughly the source's size)
_ARC_HALF_WIDTH = 0.25


def _positive(value: Any, name: str) -> float:
    if not is_real(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number; got {value!r}.")
    return float(value)


def _largest_radius(einstein_radius: Any) -> float:
    """Return the largest Einstein radius of a number or a (low, high) range, checked."""
    if is_real(einstein_radius):
        return _positive(einstein_radius, "einstein_radius")
    try:
        low, high = einstein_radius
    except (TypeError, ValueError):
        raise ValueError("einstein_radius must be a positive number or a (low, high) pair "
                         f"of them, in arcsec; got {einstein_radius!r}.") from None
    low = _positive(low, "einstein_radius (low)")
    high = _positive(high, "einstein_radius (high)")
    if low > high:
        raise ValueError(f"einstein_radius range must be (low, high) with low <= high; "
                         f"got {einstein_radius!r}.")
    return high


def _largest_fwhm(psf_fwhm: Any) -> float:
    """Return the largest PSF FWHM of a number or a per-band list, checked."""
    if is_real(psf_fwhm):
        return _positive(psf_fwhm, "psf_fwhm")
    try:
        values = [_positive(v, "psf_fwhm") for v in psf_fwhm]
    except TypeError:
        raise ValueError("psf_fwhm must be a positive number or one per band, in arcsec; "
                         f"got {psf_fwhm!r}.") from None
    if not values:
        raise ValueError("psf_fwhm must be a positive number or one per band; got an empty list.")
    return max(values)


def lens_finder_image_size(
    pixel_scale: float = _DEFAULT_PIXEL_SCALE,
    einstein_radius: float | tuple[float, float] = _DEFAULT_EINSTEIN_RADIUS,
    psf_fwhm: float | list[float] = _DEFAULT_PSF_FWHM,
    centring_tolerance: int = _DEFAULT_CENTRING,
) -> int:
    """Return the centre crop (pixels) that holds the arcs of the largest lenses searched for.

    An arc lies at the Einstein radius from the lens galaxy; radially it is
    about as wide as the source (half-width 0.25") blurred by the PSF (half
    its FWHM), and the lens galaxy itself may sit a few pixels from the
    stamp's centre. The crop's half side is therefore::

        half = (einstein_radius_max + psf_fwhm_max / 2 + 0.25") / pixel_scale
               + centring_tolerance

    and the side is ``2 * ceil(half)``. Examples: 0.2"/px with Einstein radii
    up to 3" and 0.8" seeing gives 44 px; 0.263"/px, 3" and 1.55" seeing 38
    px; 0.1"/px, 1.6" and 0.18" 46 px. More margin did not pay in the
    lens-finding benchmark at 0.2"/px: among single networks that learned
    their training set, a 52-px crop (a margin of a whole FWHM and 0.5")
    scored a lower test ROC AUC than a 40-px one on both simulators (see
    ``benchmarks/RESULTS.md``, "Crop size and failed fits").

    Parameters
    ----------
    pixel_scale : float, default=0.2
        Arcsec per pixel of the images.
    einstein_radius : float or (float, float), default=3.0
        The largest Einstein radius (arcsec) the finder must see whole, or
        the ``(low, high)`` range searched for (its ``high`` counts).
    psf_fwhm : float or list of float, default=1.0
        PSF full width at half maximum in arcsec, one value or one per band
        (the largest counts).
    centring_tolerance : int, default=3
        How many pixels the lens galaxy may sit from the stamp's centre.

    Returns
    -------
    side : int
        The crop side in pixels (even).

    Raises
    ------
    ValueError
        If a value is not positive and finite (``centring_tolerance`` may be 0).

    Examples
    --------
    >>> from skbia import lens_finder_image_size
    >>> lens_finder_image_size(0.2, einstein_radius=(0.8, 3.0), psf_fwhm=0.8)
    44
    >>> lens_finder_image_size(0.263, einstein_radius=3.0, psf_fwhm=[1.5, 1.55, 1.2])
    38
    """
    scale = _positive(pixel_scale, "pixel_scale")
    radius = _largest_radius(einstein_radius)
    fwhm = _largest_fwhm(psf_fwhm)
    if not is_integer(centring_tolerance) or centring_tolerance < 0:
        raise ValueError("centring_tolerance must be a whole number of pixels >= 0; got "
                         f"{centring_tolerance!r}.")
    half = (radius + fwhm / 2 + _ARC_HALF_WIDTH) / scale + int(centring_tolerance)
    return int(2 * math.ceil(half - 1e-9))


def make_lens_finder(
    *,
    pixel_scale: float | None = None,
    einstein_radius: float | tuple[float, float] = _DEFAULT_EINSTEIN_RADIUS,
    psf_fwhm: float | list[float] = _DEFAULT_PSF_FWHM,
    centring_tolerance: int = _DEFAULT_CENTRING,
    n_members: int = LENS_FINDER_MEMBERS,
    random_state: Any = None,
    positive_label: Any = None,
    **overrides: Any,
):
    """Return the recommended lens finder, unfitted: a fold ensemble of compact CNNs.

    Each network is the compact architecture (about 300k weights, global
    average pooling) behind a per-band asinh stretch whose softening is the
    training images' sky noise, on a centre crop sized from the physics
    (:func:`lens_finder_image_size`: pixel scale, largest Einstein radius,
    PSF, centring tolerance). Every epoch serves each training image through
    a fresh exact symmetry of the square and a shift of up to 4 pixels, with
    the lenses oversampled to half the number of other images; predictions
    average the 8 symmetric views. A network that ends training without
    having learned its own training images (ROC AUC below 0.9 on them,
    un-augmented) is retrained from a new seed, up to twice, with a
    :class:`~sklearn.exceptions.ConvergenceWarning` (``min_training_auc``).

    By default ``n_members=5`` such networks are trained, one per stratified
    fold, each on the other four fifths, and their probabilities averaged
    (:class:`~skbia.ensemble.FoldEnsembleClassifier`, without validation on
    the held-out fold so that its out-of-fold scores ``oof_proba_`` stay an
    honest estimate of how well the finder ranks lenses it has not seen).

    Parameters
    ----------
    pixel_scale : float or None, default=None
        Arcsec per pixel of the images. None sizes the crop for 0.2"/px, the
        finest ground-based pixels (a coarser survey loses nothing; give the
        pixel scale of finer, space-based imaging).
    einstein_radius : float or (float, float), default=3.0
        Einstein radius (arcsec) of the largest lenses searched for, or the
        ``(low, high)`` range.
    psf_fwhm : float or list of float, default=1.0
        PSF FWHM in arcsec (one value or one per band).
    centring_tolerance : int, default=3
        Pixels the lens galaxy may sit from the stamp's centre.
    n_members : int, default=5
        Networks in the ensemble (one per fold); 1 returns a single
        :class:`~skbia.CNNClassifier` trained on all images.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed of the networks, the augmentation, the sampling and the folds.
    positive_label : label or None, default=None
        The lens class, given to the classifier and its augmenter (so they
        agree; see :func:`skbia.utils.resolve_positive_label`). None: 1 for
        0/1 labels.
    **overrides
        Any :class:`~skbia.CNNClassifier` parameter, replacing the recipe's
        (e.g. ``image_size=64`` instead of the physics crop, ``epochs=40``).

    Returns
    -------
    finder : FoldEnsembleClassifier or CNNClassifier
        An ensemble of ``n_members`` classifiers, or one classifier with
        ``n_members=1``.

    Raises
    ------
    ValueError
        If a physical setting or ``n_members`` is out of range.

    Examples
    --------
    >>> from skbia import make_lens_finder
    >>> finder = make_lens_finder(pixel_scale=0.2, einstein_radius=(0.8, 3.0), psf_fwhm=0.8,
    ...                           random_state=0)
    >>> type(finder).__name__, finder.n_folds
    ('FoldEnsembleClassifier', 5)
    >>> clf = finder.estimator
    >>> clf.arch, clf.image_size, clf.scaling, clf.tta, clf.augmentation.dihedral
    ('compact', 44, 'asinh', 'dihedral', True)
    >>> make_lens_finder(n_members=1).image_size
    44
    """
    from skbia.classifier._classifier import CNNClassifier

    if not isinstance(n_members, Integral) or isinstance(n_members, bool) or n_members < 1:
        raise ValueError(f"n_members must be a whole number >= 1; got {n_members!r}.")
    image_size = lens_finder_image_size(
        _DEFAULT_PIXEL_SCALE if pixel_scale is None else pixel_scale,
        einstein_radius, psf_fwhm, centring_tolerance,
    )
    params: dict[str, Any] = {
        **LENS_FINDER_DEFAULTS,
        "image_size": image_size,
        "augmentation": ImageAugmenter(**LENS_FINDER_AUGMENTATION,
                                       positive_label=positive_label),
        "random_state": random_state,
        "positive_label": positive_label,
    }
    params.update(overrides)
    classifier = CNNClassifier(**params)
    if n_members == 1:
        return classifier
    from skbia.ensemble import FoldEnsembleClassifier

    return FoldEnsembleClassifier(classifier, n_folds=int(n_members), validation=None,
                                  random_state=random_state)
