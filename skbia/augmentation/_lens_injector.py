"""Synthetic lenses painted into the negatives of a training fold, as an imbalanced-learn sampler.

:class:`LensInjector` runs :func:`skbia.datasets.inject_lenses` on images of
the negative class of the data it is given and appends the results as
positives. As a step of an :class:`imblearn.pipeline.Pipeline` it runs only
when the pipeline is fitted, so in cross-validation only the training fold's
negatives become hosts, and held-out images are never painted into.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from imblearn.base import BaseSampler
from sklearn.utils._param_validation import RealNotInt, StrOptions

from skbia.augmentation._augmenter_params import call_seed, check_class_labels
from skbia.datasets import inject_lenses, select_hosts
from skbia.utils import (
    NumberInterval,
    check_images,
    fill_missing_parameters,
    resolve_positive_label,
)

__all__ = ["LensInjector"]

_NUMBER = NumberInterval(Real, None, None, closed="neither")
_POSITIVE = NumberInterval(Real, 0, None, closed="neither")
_NON_NEGATIVE = NumberInterval(Real, 0, None, closed="left")
_RANGE = [_NUMBER, "array-like"]  # a number or a (min, max) pair, checked by inject_lenses

# the physical settings passed on to inject_lenses as they are
PHYSICS_PARAMETERS = (
    "pixel_scale", "zero_point", "psf_fwhm", "psf", "psf_beta", "psf_kernels",
    "einstein_radius", "source_magnitude", "source_colors", "source_r_eff",
    "source_sersic_index", "source_axis_ratio", "source_offset", "n_clumps",
    "mass_axis_ratio", "shear", "gain", "min_snr", "min_magnification", "min_arc_separation",
    "max_attempts", "oversample", "n_jobs",
)


def _class_labels(y, n_images: int) -> np.ndarray:
    """:func:`check_class_labels`, with messages that name this sampler."""
    try:
        return check_class_labels(y, n_images)
    except ValueError as error:
        raise ValueError(str(error).replace("ImageAugmenter", "LensInjector")) from None


class LensInjector(BaseSampler):
    """Add synthetic lenses painted into the negatives of the data, labelled positive.

    ``fit_resample(X, y)`` draws ``n_injected`` hosts from the images of
    ``X`` that are *not* of the positive class, paints a ray-traced lensed
    source into each with :func:`skbia.datasets.inject_lenses`, and returns
    the original images followed by the injected ones, which get the positive
    label. Known positives are never used as hosts, and inside a pipeline
    only the training fold is seen, so a held-out image never becomes a host.

    Parameters
    ----------
    n_injected : int or float, default=0.2
        Number of injected images: an int is a count, a float a ratio to the
        number of negatives (``round(n_injected * n_negatives)``). Hosts are
        drawn without replacement when there are enough, else with
        replacement (each injection is drawn afresh).
    hosts : {None, "all", "bright_red_centre"}, default=None
        Which negatives may be hosts: None or "all", every one;
        ``"bright_red_centre"``, those with a bright, red central object
        (see :func:`skbia.datasets.select_hosts`; its thresholds are relative
        to the negatives of the fold).
    pixel_scale : float, default=0.263
        Arcsec per pixel. The defaults of the physical settings are those of
        :func:`skbia.datasets.make_lenses` (DECam-like); set them for your
        survey (see the user guide page "Injecting lenses into real images").
    zero_point : float or sequence of float, default=30.0
        Magnitude of 1 flux unit, per band.
    psf_fwhm : float, sequence of float or None, default=1.3
        PSF FWHM in arcsec, per band.
    psf, psf_beta, psf_kernels, einstein_radius, source_magnitude, source_colors, \
source_r_eff, source_sersic_index, source_axis_ratio, source_offset, n_clumps, \
mass_axis_ratio, shear, gain, min_snr, min_magnification, min_arc_separation, max_attempts, \
oversample, n_jobs
        As in :func:`skbia.datasets.inject_lenses`, with its defaults.
    positive_label : label or None, default=None
        The class of the injected images (and whose images are never hosts).
        None applies :func:`skbia.utils.resolve_positive_label`: 1 for 0/1
        labels; other binary labels (``"lens"``/``"other"``) need it; with
        more classes, the least frequent class.
    random_state : int, RandomState instance or None, default=None
        Seed. With an int, the draws of a call depend on the seed *and* on
        the input images and labels (a digest of their bytes), so the same
        fold gives the same injections and different folds different ones.
        None draws fresh randomness on every call.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in the last call.
    positive_label_ : label
        The class given to the injected images.
    n_injected_ : int
        Number of injections asked for in the last call.
    host_indices_ : ndarray of int
        For each injected image (in output order), the index of its host in
        the ``X`` given to the last :meth:`fit_resample`.
    injection_metadata_ : dict
        The metadata of :func:`~skbia.datasets.inject_lenses` for those
        images, with "host_index" and "failed_hosts" as indices into ``X``.
    rejected_fraction_ : float
        Fraction of the draws of the last call that failed the quality cut.

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        Before any work, when a parameter has the wrong type or is out of
        range (a ``ValueError`` and a ``TypeError``).
    ValueError
        For labels that are not one class per image, binary labels other than
        0/1 without ``positive_label``, data without negatives or without a
        selected host, and (in :meth:`fit_resample`, before any injection)
        every error of :func:`~skbia.datasets.inject_lenses`.

    See Also
    --------
    skbia.datasets.inject_lenses : The injection itself.
    skbia.augmentation.ImageAugmenter : Augmented copies; put it after this step.

    Notes
    -----
    Hosts whose draws all fail the quality cut are dropped (with a warning),
    so up to ``n_injected_`` images are added. Put the injector first in a
    pipeline, before an :class:`~skbia.augmentation.ImageAugmenter`, so that
    the injected lenses are augmented like the real ones.

    Examples
    --------
    >>> import numpy as np
    >>> from skbia.augmentation import LensInjector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(0.0, 0.05, size=(12, 48, 48, 3)).astype("float32")
    >>> y = np.array([1, 1] + [0] * 10)
    >>> injector = LensInjector(n_injected=4, pixel_scale=0.2, zero_point=27.0,
    ...                         psf_fwhm=0.8, einstein_radius=(1.0, 2.0), random_state=0)
    >>> X_res, y_res = injector.fit_resample(X, y)
    >>> X_res.shape, int(y_res.sum()), bool((y[injector.host_indices_] == 0).all())
    ((16, 48, 48, 3), 6, True)
    """

    _parameter_constraints: dict = {
        "n_injected": [NumberInterval(Integral, 0, None, closed="left"),
                       NumberInterval(RealNotInt, 0, None, closed="neither")],
        "hosts": [None, StrOptions({"all", "bright_red_centre"})],
        "pixel_scale": [_POSITIVE],
        "zero_point": [_NUMBER, "array-like"],
        "psf_fwhm": [_POSITIVE, "array-like", None],
        "psf": [StrOptions({"moffat", "gaussian"})],
        "psf_beta": [NumberInterval(Real, 1, None, closed="neither")],
        "psf_kernels": [None, "array-like"],
        "einstein_radius": _RANGE,
        "source_magnitude": _RANGE,
        "source_colors": [None, "array-like"],
        "source_r_eff": _RANGE,
        "source_sersic_index": _RANGE,
        "source_axis_ratio": _RANGE,
        "source_offset": _RANGE,
        "n_clumps": [NumberInterval(Integral, 0, None, closed="left"), "array-like"],
        "mass_axis_ratio": _RANGE,
        "shear": _RANGE,
        "gain": [None, _POSITIVE, "array-like"],
        "min_snr": [_NON_NEGATIVE],
        "min_magnification": [_NON_NEGATIVE],
        "min_arc_separation": [_NON_NEGATIVE],
        "max_attempts": [NumberInterval(Integral, 1, None, closed="left")],
        "oversample": [NumberInterval(Integral, 1, None, closed="left")],
        "n_jobs": [None, NumberInterval(Integral, None, None, closed="neither")],
        "positive_label": "no_validation",  # any label; checked against y
        "random_state": ["random_state"],
    }

    def __setstate__(self, state: dict) -> None:
        """Unpickle, giving parameters added since the pickle was written their defaults."""
        super().__setstate__(fill_missing_parameters(type(self), state))

    def __init__(
        self,
        *,
        n_injected: int | float = 0.2,
        hosts: str | None = None,
        pixel_scale: float = 0.263,
        zero_point=30.0,
        psf_fwhm=1.3,
        psf: str = "moffat",
        psf_beta: float = 3.5,
        psf_kernels=None,
        einstein_radius=(1.0, 3.0),
        source_magnitude=(21.0, 23.5),
        source_colors=None,
        source_r_eff=(0.1, 0.5),
        source_sersic_index=(0.5, 1.5),
        source_axis_ratio=(0.4, 1.0),
        source_offset=(0.0, 0.6),
        n_clumps=(0, 3),
        mass_axis_ratio=(0.5, 1.0),
        shear=(0.0, 0.08),
        gain=None,
        min_snr: float = 20.0,
        min_magnification: float = 3.0,
        min_arc_separation: float = 0.5,
        max_attempts: int = 20,
        oversample: int = 4,
        n_jobs: int | None = None,
        positive_label=None,
        random_state: int | np.random.RandomState | None = None,
    ):
        self.n_injected = n_injected
        self.hosts = hosts
        self.pixel_scale = pixel_scale
        self.zero_point = zero_point
        self.psf_fwhm = psf_fwhm
        self.psf = psf
        self.psf_beta = psf_beta
        self.psf_kernels = psf_kernels
        self.einstein_radius = einstein_radius
        self.source_magnitude = source_magnitude
        self.source_colors = source_colors
        self.source_r_eff = source_r_eff
        self.source_sersic_index = source_sersic_index
        self.source_axis_ratio = source_axis_ratio
        self.source_offset = source_offset
        self.n_clumps = n_clumps
        self.mass_axis_ratio = mass_axis_ratio
        self.shear = shear
        self.gain = gain
        self.min_snr = min_snr
        self.min_magnification = min_magnification
        self.min_arc_separation = min_arc_separation
        self.max_attempts = max_attempts
        self.oversample = oversample
        self.n_jobs = n_jobs
        self.positive_label = positive_label
        self.random_state = random_state

    def fit(self, X, y) -> LensInjector:
        """Check the parameters and the data, and find the positive class and the hosts.

        The physical settings are checked against the images by
        :meth:`fit_resample`, before any injection; a pipeline calls it.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width[, bands])
            Training images.
        y : array-like of shape (n_images,)
            Class labels.

        Returns
        -------
        self : LensInjector
        """
        self._prepare(X, y)
        return self

    def fit_resample(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """Return the images followed by lenses injected into their negatives, with labels.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width) or (n_images, height, width, bands)
            Training images, background subtracted, all pixels finite.
        y : array-like of shape (n_images,)
            Class labels (at least two classes).

        Returns
        -------
        X_resampled : ndarray of shape (n_images + n_added, height, width, bands), float32
            The originals, then the injected images (``n_added <= n_injected_``).
        y_resampled : ndarray of shape (n_images + n_added,)
            Their labels: the positive class for the injected images.
        """
        images, labels = self._prepare(X, y)
        return self._fit_resample(images, labels)

    def _fit_resample(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inject into validated images; see :meth:`fit_resample`."""
        images, labels, candidates = X, y, self._candidates
        rng = np.random.default_rng(call_seed(self.random_state, images, labels))
        n = self.n_injected_
        empty = {"host_index": np.zeros(0, dtype=np.int64)}
        if n == 0:
            self.host_indices_, self.injection_metadata_ = np.zeros(0, dtype=np.intp), empty
            self.rejected_fraction_ = 0.0
            return images, labels
        chosen = rng.choice(candidates, size=n, replace=n > len(candidates))
        params = {name: getattr(self, name) for name in PHYSICS_PARAMETERS}
        injected, meta = inject_lenses(images[chosen], random_state=rng, return_metadata=True,
                                       **params)
        meta["host_index"] = chosen[meta["host_index"]].astype(np.int64)
        meta["failed_hosts"] = chosen[meta["failed_hosts"]].astype(np.int64)
        self.host_indices_ = meta["host_index"].astype(np.intp)
        self.injection_metadata_ = meta
        self.rejected_fraction_ = meta["rejected_fraction"]
        y_new = np.full(len(injected), self.positive_label_, dtype=labels.dtype)
        return np.concatenate([images, injected]), np.concatenate([labels, y_new])

    def _prepare(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """Validate parameters, then data; set the positive class and the candidate hosts."""
        self._validate_params()
        images = check_images(X)
        labels = _class_labels(y, len(images))
        classes, counts = np.unique(labels, return_counts=True)
        positive = resolve_positive_label(
            classes, self.positive_label, counts=counts,
            required_for="LensInjector (the class of the injected lenses)")
        negatives = np.flatnonzero(labels != positive)
        if not len(negatives):
            raise ValueError(f"LensInjector paints lenses into negatives, but every image is of "
                             f"the positive class {positive!r}.")
        if self.hosts == "bright_red_centre":
            candidates = negatives[select_hosts(images[negatives], "bright_red_centre")]
            if not len(candidates):
                raise ValueError("hosts='bright_red_centre' selected none of the negatives.")
        else:
            candidates = negatives
        ratio = self.n_injected
        n = int(ratio) if isinstance(ratio, Integral) else int(round(ratio * len(negatives)))
        self.classes_ = classes
        self.positive_label_ = positive
        self.n_injected_ = n
        self._candidates = candidates
        return images, labels

    def __sklearn_tags__(self):
        """Images are n-d arrays of finite numbers: no 2-d tables, sparse data or NaN."""
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        tags.input_tags.sparse = False
        tags.input_tags.dataframe = False
        tags.input_tags.allow_nan = False
        return tags
