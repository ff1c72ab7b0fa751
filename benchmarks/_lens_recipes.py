"""Simulator settings and classifier recipes for ``benchmarks/lens_finding.py``.

Settings
--------
A :class:`Setting` is a named set of :func:`skbia.datasets.make_lenses`
arguments (seeing, noise, pixel scale, Einstein radii, source magnitudes). The
training and the test set of a setting are simulated with the same arguments,
so train and test share the pixel scale. Every default setting keeps
``einstein_radius max / pixel_scale <= 15`` pixels so that the arcs fall inside
the 40-pixel central crop the recipes look at (64-pixel images: large enough for
the crop and a sky border, and 2.4 times cheaper to simulate than 100 pixels). ``demo`` (the
make_lenses defaults, which the demo recipe was developed on) is available with
``--settings demo`` but is not in :data:`DEFAULT_SETTINGS`.

Recipes
-------
A recipe is one function ``recipe(seed, setting, *, epochs=None)`` that returns
an *unfitted* scikit-learn-compatible estimator with ``predict_proba``, or a pair
``(estimator, fit_kwargs)``. The benchmark calls ``estimator.fit(X_train, y_train,
**fit_kwargs)`` on the 20 + 500 training images of the setting and scores the
test images with ``estimator.predict_proba(X_test)[:, 1]``. ``epochs`` is the
command line's ``--epochs`` (``None``: the recipe's own number); recipes that do
not train by epochs ignore it. Anything a recipe needs from the training data
(a validation split, noise estimates, ...) must happen inside ``fit``; the
setting may be used for what a survey knows up front (``setting.noise_sigma``,
``setting.pixel_scale``). To add a recipe, write one function and decorate it::

    @register("my-recipe")
    def my_recipe(seed, setting, *, epochs=None):
        return make_pipeline(...), {}

It is then available as ``--recipes my-recipe``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

__all__ = [
    "DEFAULT_SETTINGS", "RECIPES", "SETTINGS", "HoldoutFit", "Setting", "asinh_blocks",
    "register",
]

CROP_SIZE = 40  # pixels: the demo's CNN crop, also used by the logistic recipe


# ----------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Setting:
    """A named simulator configuration.

    ``simulator`` is ``"make_lenses"`` (``kwargs`` are the arguments of
    :func:`skbia.datasets.make_lenses`) or ``"lenstronomy"`` (``kwargs`` are
    those of ``_lenstronomy_sim.simulate``: ``survey``, ``image_size``,
    ``einstein_radius``). ``counterpart`` names the setting of the *other*
    simulator with the same camera (pixel scale, PSF, zero point, noise):
    models trained on this setting are also tested there.
    """

    name: str
    description: str
    kwargs: dict = field(default_factory=dict)
    simulator: str = "make_lenses"
    counterpart: str | None = None
    camera: str | None = None  # make_lenses only: take the camera of this lenstronomy survey

    @property
    def arguments(self) -> dict:
        """The simulator's keyword arguments (a ``camera`` expanded)."""
        if self.simulator == "make_lenses" and self.camera is not None:
            return {**make_lenses_camera(self.camera), **self.kwargs}
        return dict(self.kwargs)

    @property
    def noise_sigma(self) -> np.ndarray:
        """Per-band sky noise of a background-subtracted empty pixel, in counts."""
        if self.simulator == "lenstronomy":
            return np.asarray(_survey(self.kwargs["survey"]).noise_sigma, dtype=float)
        from skbia.datasets._noise import sky_variance

        k = self.arguments
        n_bands = 3
        per_band = [np.broadcast_to(np.asarray(k[name], float), (n_bands,))
                    for name in ("sky_level", "gain", "read_noise")]
        return np.sqrt(sky_variance(*per_band))

    @property
    def pixel_scale(self) -> float:
        if self.simulator == "lenstronomy":
            return float(_survey(self.kwargs["survey"]).pixel_scale)
        return float(self.arguments["pixel_scale"])

    @property
    def psf_fwhm(self) -> list[float]:
        """Per-band (median) PSF FWHM in arcsec: what a survey team knows of its seeing."""
        if self.simulator == "lenstronomy":
            return [float(v) for v in _survey(self.kwargs["survey"]).psf_fwhm]
        return [float(v) for v in np.broadcast_to(self.arguments["psf_fwhm"], (3,))]

    @property
    def einstein_radius(self) -> tuple[float, float]:
        """The Einstein-radius range of the lenses searched for, in arcsec."""
        return tuple(float(v) for v in self.kwargs["einstein_radius"])

    def simulate(self, n_lenses: int, n_others: int, seed: int):
        """Return ``X, y, metadata`` of this setting (metadata: kind, einstein_radius,
        source_brightness; NaN where a field does not apply)."""
        if self.simulator == "lenstronomy":
            from _lenstronomy_sim import simulate

            X, y, meta = simulate(n_lenses, n_others, random_state=seed,
                                  n_jobs=_SIMULATION_JOBS, **self.kwargs)
            brightness = np.asarray(meta["source_snr_optimal"], dtype=float)
        else:
            from skbia.datasets import make_lenses

            arguments = self.arguments
            X, y, meta = make_lenses(n_lenses, n_others, random_state=seed,
                                     return_metadata=True, **arguments)
            # the lensed source's r-band flux in counts (the S/N ranks like it at fixed noise)
            lensed = (np.asarray(meta["source_magnitude"], dtype=float)
                      - 2.5 * np.log10(np.asarray(meta["magnification"], dtype=float)))
            brightness = 10 ** (-0.4 * (lensed - float(arguments.get("zero_point", 30.0))))
        kinds = np.asarray(meta["kind"]).astype(str)
        kinds = np.where(np.asarray(y) == 1, "lens", kinds)
        return X, np.asarray(y), {
            "kind": kinds,
            "einstein_radius": np.asarray(meta["einstein_radius"], dtype=float),
            "source_brightness": brightness,
        }


_SIMULATION_JOBS = 2  # worker processes of the lenstronomy simulator (identical output)


def _survey(name: str):
    from _lenstronomy_sim import SURVEYS

    return SURVEYS[name]


def _setting(name: str, description: str, **kwargs) -> Setting:
    return Setting(name, description, dict(kwargs))


def make_lenses_camera(survey_name: str) -> dict:
    """``make_lenses`` arguments reproducing a lenstronomy survey's camera.

    Same pixel scale, per-band median seeing, sky counts, gain and read
    noise (so the same per-band sky noise), and the r band's zero point
    (make_lenses has one zero point for all bands; the surveys' g and i
    zero points differ from r's by up to 0.2 mag).
    """
    survey = _survey(survey_name)
    counts = np.asarray(survey.counts_at_mag0, dtype=float)
    read_noise = np.sqrt(np.asarray(survey.read_variance, dtype=float)) * survey.gain
    return dict(pixel_scale=float(survey.pixel_scale),
                psf_fwhm=tuple(float(v) for v in survey.psf_fwhm),
                sky_level=tuple(float(v) for v in survey.sky_level), gain=float(survey.gain),
                read_noise=tuple(float(v) for v in read_noise),
                zero_point=float(2.5 * np.log10(counts[1])))


SETTINGS: dict[str, Setting] = {s.name: s for s in [
    _setting(
        "ground-good", "DES-like pixels, good seeing (~1.0\"), arcs 0.8-2.5\", fainter sources",
        image_size=64, pixel_scale=0.263, psf_fwhm=(1.1, 1.0, 0.9),
        sky_level=(2.0, 4.0, 6.5), gain=30.0, read_noise=5.0,
        einstein_radius=(0.8, 2.5), source_magnitude=(21.5, 24.0),
        lens_magnitude=(17.5, 22.0)),
    _setting(
        "ground-poor", "DES-like pixels, poor seeing (~1.7\"), 2x brighter sky, shallower "
        "(gain 15, read noise 8), small arcs 0.8-2.0\"",
        image_size=64, pixel_scale=0.263, psf_fwhm=(1.8, 1.7, 1.5),
        sky_level=(5.0, 9.0, 14.0), gain=15.0, read_noise=8.0,
        einstein_radius=(0.8, 2.0), source_magnitude=(21.0, 23.5),
        lens_magnitude=(17.5, 22.0)),
    _setting(
        "hsc-like", "0.168\"/px, seeing ~0.7\", deep (gain 60), arcs 0.6-2.2\", "
        "faint sources 22-25",
        image_size=64, pixel_scale=0.168, psf_fwhm=(0.8, 0.7, 0.6),
        sky_level=(1.5, 3.0, 5.0), gain=60.0, read_noise=4.5,
        einstein_radius=(0.6, 2.2), source_magnitude=(22.0, 25.0),
        lens_magnitude=(18.0, 22.5)),
    _setting(
        "deep-space-like", "0.1\"/px, FWHM ~0.2\", dark sky, read-noise limited, "
        "small arcs 0.4-1.4\", faint sources 22.5-25.5",
        image_size=64, pixel_scale=0.1, psf_fwhm=(0.18, 0.2, 0.22),
        sky_level=(0.15, 0.3, 0.5), gain=10.0, read_noise=4.0,
        einstein_radius=(0.4, 1.4), source_magnitude=(22.5, 25.5),
        lens_magnitude=(18.5, 23.0)),
    _setting(
        "demo", "make_lenses defaults (the demo's data; not a default benchmark setting)",
        image_size=64, pixel_scale=0.263, psf_fwhm=(1.5, 1.55, 1.2),
        sky_level=(2.0, 4.0, 6.5), gain=30.0, read_noise=5.0,
        einstein_radius=(1.0, 3.0), source_magnitude=(21.0, 23.5),
        lens_magnitude=(17.5, 22.0)),
]}

# the cross-simulator pairs: one camera, two simulators with their own lens and look-alike
# populations (make_lenses' is its own; the lenstronomy one is in _lenstronomy_sim)
_ML_POPULATION = dict(image_size=64, source_magnitude=(21.5, 24.5), lens_magnitude=(17.5, 22.0))
SETTINGS.update({s.name: s for s in [
    Setting("ml-lsst", "make_lenses, LSST-like camera (0.2\"/px, seeing ~0.75\"), arcs "
            "0.8-3.0\"", dict(_ML_POPULATION, einstein_radius=(0.8, 3.0)),
            simulator="make_lenses", counterpart="lt-lsst", camera="lsst-like"),
    Setting("lt-lsst", "lenstronomy, LSST-like camera (0.2\"/px, seeing ~0.75\"), arcs "
            "0.8-3.0\"", dict(survey="lsst-like", image_size=64, einstein_radius=(0.8, 3.0)),
            simulator="lenstronomy", counterpart="ml-lsst"),
    Setting("ml-space", "make_lenses, space-like camera (0.1\"/px, FWHM ~0.17\"), arcs "
            "0.4-1.6\"", dict(_ML_POPULATION, einstein_radius=(0.4, 1.6),
                               source_magnitude=(22.5, 25.5)),
            simulator="make_lenses", counterpart="lt-space", camera="space-like"),
    Setting("lt-space", "lenstronomy, space-like camera (0.1\"/px, FWHM ~0.17\"), arcs "
            "0.4-1.6\"", dict(survey="space-like", image_size=64, einstein_radius=(0.4, 1.6)),
            simulator="lenstronomy", counterpart="ml-space"),
]})

DEFAULT_SETTINGS: tuple[str, ...] = ("ml-lsst", "lt-lsst", "ml-space", "lt-space")


# ----------------------------------------------------------------------------- recipes

Recipe = Callable[..., object]
RECIPES: dict[str, Recipe] = {}


def register(name: str) -> Callable[[Recipe], Recipe]:
    """Decorator adding ``recipe(seed, setting, *, epochs=None)`` to :data:`RECIPES`."""
    def add(recipe: Recipe) -> Recipe:
        if name in RECIPES:
            raise ValueError(f"recipe {name!r} is already registered")
        RECIPES[name] = recipe
        return recipe
    return add


class HoldoutFit(ClassifierMixin, BaseEstimator):
    """Fit ``factory(X_val, y_val)`` on the rest after a stratified hold-out split.

    Reproduces the demo: a stratified fifth of the training images (seeded) is
    kept aside as validation data, never augmented, and handed to the estimator
    the factory builds (for Keras' validation metrics and early stopping).
    """

    def __init__(self, factory: Callable | None = None, test_size: float = 0.2,
                 random_state: int | None = None):
        self.factory = factory
        self.test_size = test_size
        self.random_state = random_state

    def fit(self, X, y, **fit_params):
        from sklearn.model_selection import train_test_split

        X_train, X_val, y_train, y_val = train_test_split(
            X, y, test_size=self.test_size, stratify=y, random_state=self.random_state)
        self.estimator_ = self.factory(X_val, y_val)
        self.estimator_.fit(X_train, y_train, **fit_params)
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return self.estimator_.predict_proba(X)

    def predict(self, X):
        return self.estimator_.predict(X)


@register("baseline")
def baseline(seed: int, setting: Setting, *, epochs: int | None = None):
    """The ``skbia demo`` recipe of skbia 0.1.0 (frozen here, so later demos do not move it).

    ImageAugmenter (25 copies of each lens, shifts, flips, rotations, zoom, cutouts;
    one copy of each other image) then CNNClassifier (AlexNet, filter_scale 0.25,
    40-px crop, min-max 0-100 counts, up to 40 epochs, early stopping on the training
    loss with patience 5), with a stratified 20% validation split of the training set.
    """
    return _with_holdout(seed, epochs)


def asinh_blocks(X, *, sigma, crop: int = CROP_SIZE, grid: int = 8) -> np.ndarray:
    """Features: asinh(x / (3 sigma_band)) of the central crop, block-averaged per band.

    Parameters
    ----------
    X : ndarray of shape (n, H, W, B)
        Images in counts.
    sigma : array-like of shape (B,)
        Per-band noise of an empty pixel, in counts.
    crop : int
        Side of the central crop in pixels.
    grid : int
        The crop is averaged down to ``grid x grid`` blocks per band.

    Returns
    -------
    features : ndarray of shape (n, grid * grid * B)
    """
    X = np.asarray(X, dtype=np.float32)
    n, height, width, bands = X.shape
    top, left = (height - crop) // 2, (width - crop) // 2
    block = crop // grid
    side = block * grid
    X = X[:, top:top + side, left:left + side, :]
    Z = np.arcsinh(X / (3.0 * np.asarray(sigma, dtype=np.float32)))
    Z = Z.reshape(n, grid, block, grid, block, bands).mean(axis=(2, 4))
    return Z.reshape(n, -1)


@register("logistic")
def logistic(seed: int, setting: Setting, *, epochs: int | None = None):
    """Logistic regression (balanced class weights) on 8x8x3 asinh-stretched block means.

    The stretch uses the setting's known sky noise per band (what a survey's
    weight maps give); the standardisation and the regression are fitted on
    the training images only.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    features = FunctionTransformer(
        asinh_blocks, kw_args={"sigma": setting.noise_sigma, "crop": CROP_SIZE, "grid": 8})
    model = LogisticRegression(class_weight="balanced", C=1.0, max_iter=5000,
                               random_state=seed)
    return make_pipeline(features, StandardScaler(), model), {}


# ------------------------------------------------------- the pieces of the new recipe
#
# Each "+piece" recipe is the baseline with one change, so its row shows what that
# change does on its own; "recommended" combines the pieces that helped.

# the sizes of the 0.1.0 demo recipe (DemoSettings of skbia 0.1.0)
_DEMO_0_1_0 = dict(crop_size=40, n_copies=25, shift=10, filter_scale=0.25, epochs=40,
                   batch_size=32, patience=5)


def _demo_classifier(seed: int, epochs: int | None, X_val, y_val, **changes):
    """The 0.1.0 demo's CNNClassifier (AlexNet at a quarter of the filters) with ``changes``."""
    from skbia import CNNClassifier

    demo = _DEMO_0_1_0
    params = dict(
        arch="alexnet", filter_scale=demo["filter_scale"], image_size=demo["crop_size"],
        normalize=True, min_pixel=0.0, max_pixel=[100.0, 100.0, 100.0],
        epochs=demo["epochs"] if epochs is None else epochs, batch_size=demo["batch_size"],
        patience=demo["patience"], monitor="loss", random_state=seed, verbose=0,
    )
    if X_val is not None:
        params["validation_data"] = (X_val, y_val)
    params.update(changes)
    return CNNClassifier(**params)


def _demo_augmenter(seed: int, **changes):
    """The 0.1.0 demo's ImageAugmenter with ``changes``."""
    from skbia import ImageAugmenter

    demo = _DEMO_0_1_0
    params = dict(n_copies=demo["n_copies"], shift=demo["shift"], horizontal=True, vertical=True,
                  rotation=True, zoom_range=(0.9, 1.1), mask_size=5, num_masks=5,
                  n_copies_other=1, random_state=seed)
    params.update(changes)
    return ImageAugmenter(**params)


def _with_holdout(seed: int, epochs: int | None, *, augmenter_changes=None, **changes):
    """Baseline pipeline (fixed augmented copies) with classifier ``changes``."""
    from imblearn.pipeline import make_pipeline

    def factory(X_val, y_val):
        return make_pipeline(_demo_augmenter(seed, **(augmenter_changes or {})),
                             _demo_classifier(seed, epochs, X_val, y_val, **changes))

    return HoldoutFit(factory, test_size=0.2, random_state=seed), {}


@register("+asinh")
def plus_asinh(seed: int, setting: Setting, *, epochs: int | None = None):
    """Baseline with the noise-aware asinh stretch instead of min-max 0-100 counts."""
    return _with_holdout(seed, epochs, scaling="asinh")


@register("+compact")
def plus_compact(seed: int, setting: Setting, *, epochs: int | None = None):
    """Baseline with the compact network (295k weights) instead of AlexNet/4."""
    return _with_holdout(seed, epochs, arch="compact", filter_scale=1.0)


@register("+tta")
def plus_tta(seed: int, setting: Setting, *, epochs: int | None = None):
    """Baseline whose predictions average the 8 exact dihedral views."""
    return _with_holdout(seed, epochs, tta="dihedral")


@register("+online")
def plus_online(seed: int, setting: Setting, *, epochs: int | None = None):
    """Baseline with fresh transforms every epoch (lenses balanced to half the others)."""

    def factory(X_val, y_val):
        return _demo_classifier(
            seed, epochs, X_val, y_val, augmentation=_demo_augmenter(seed), balance_ratio=0.5)

    return HoldoutFit(factory, test_size=0.2, random_state=seed), {}


@register("+ensemble")
def plus_ensemble(seed: int, setting: Setting, *, epochs: int | None = None):
    """Five baseline models, one per stratified fold (validated on it), averaged."""
    from imblearn.pipeline import make_pipeline

    from skbia import FoldEnsembleClassifier

    member = make_pipeline(_demo_augmenter(seed), _demo_classifier(seed, epochs, None, None))
    return FoldEnsembleClassifier(member, n_folds=5, random_state=seed), {}


def _recommended_classifier(seed: int, epochs: int | None, **changes):
    """The single network the recipe recommended until 2026-12-04 (kept as it was).

    :func:`skbia.make_lens_finder` with one member, the fixed 40-pixel crop and
    no training-set check, unless ``changes`` say otherwise.
    """
    from skbia import make_lens_finder

    params = dict(n_members=1, image_size=CROP_SIZE, min_training_auc=None)
    if epochs is not None:
        params["epochs"] = epochs
    params.update(changes)
    return make_lens_finder(random_state=seed, verbose=0, **params)


def _camera(setting: Setting) -> dict:
    """What a survey team knows up front: pixel scale, seeing, the Einstein radii it targets."""
    return dict(pixel_scale=setting.pixel_scale, psf_fwhm=setting.psf_fwhm,
                einstein_radius=setting.einstein_radius)


@register("previous")
def previous(seed: int, setting: Setting, *, epochs: int | None = None):
    """The recipe recommended until 2026-12-04: one compact network on a fixed 40-px crop,
    asinh stretch, online dihedral + shift augmentation (lenses balanced to half the
    others), dihedral TTA, 30 epochs on all 520 images, no training-set check."""
    return _recommended_classifier(seed, epochs), {}


@register("recommended")
def recommended(seed: int, setting: Setting, *, epochs: int | None = None):
    """:func:`skbia.make_lens_finder` as recommended now: the crop from the camera and the
    targeted Einstein radii, the training-set check with retries, and 5 fold members."""
    from skbia import make_lens_finder

    changes = {} if epochs is None else {"epochs": epochs}
    return make_lens_finder(random_state=seed, verbose=0, **_camera(setting), **changes), {}


@register("+crop")
def plus_crop(seed: int, setting: Setting, *, epochs: int | None = None):
    """``previous`` with the crop from the physics (one network, no check)."""
    from skbia import lens_finder_image_size

    crop = lens_finder_image_size(setting.pixel_scale, setting.einstein_radius,
                                  setting.psf_fwhm)
    return _recommended_classifier(seed, epochs, image_size=crop), {}


@register("+crop+check")
def plus_crop_check(seed: int, setting: Setting, *, epochs: int | None = None):
    """``+crop`` with the training-set check and up to 2 retries: the recommended recipe's
    single network (``n_members=1``), trained on all 520 images."""
    from skbia import make_lens_finder

    changes = {} if epochs is None else {"epochs": epochs}
    return make_lens_finder(random_state=seed, verbose=0, n_members=1, **_camera(setting),
                            **changes), {}


@register("recommended-no-tta")
def recommended_no_tta(seed: int, setting: Setting, *, epochs: int | None = None):
    """``recommended`` without test-time averaging (what the symmetry averaging adds)."""
    return _recommended_classifier(seed, epochs, tta=None), {}


@register("recommended-ensemble")
def recommended_ensemble(seed: int, setting: Setting, *, epochs: int | None = None):
    """Three ``recommended`` networks, one per stratified fold, probabilities averaged."""
    from skbia import FoldEnsembleClassifier

    member = _recommended_classifier(seed, epochs)
    return FoldEnsembleClassifier(member, n_folds=3, validation=None, random_state=seed), {}


def _survey_injector(seed: int, setting: Setting, n_injected: int):
    """A :class:`skbia.LensInjector` told only what a survey team knows of its camera.

    The instrument (pixel scale, per-band PSF FWHM, zero point, gain) is the
    setting's; the lens population is *not*: every setting gets the same broad
    Einstein-radius and source-magnitude ranges, so the injected lenses are not
    drawn from the test set's distribution.
    """
    from skbia import LensInjector

    k = setting.arguments
    return LensInjector(
        n_injected=n_injected, pixel_scale=setting.pixel_scale,
        zero_point=float(k.get("zero_point", 30.0)), psf_fwhm=list(k["psf_fwhm"]),
        gain=float(k["gain"]), einstein_radius=(0.5, 2.5), source_magnitude=(21.0, 24.5),
        random_state=seed,
    )


@register("recommended-inject")
def recommended_inject(seed: int, setting: Setting, *, epochs: int | None = None):
    """``recommended`` behind a LensInjector painting 500 simulated lenses into the
    training negatives (camera settings of the survey, a broad lens population)."""
    from imblearn.pipeline import make_pipeline

    return make_pipeline(_survey_injector(seed, setting, 500),
                         _recommended_classifier(seed, epochs)), {}


@register("recommended-inject-1000")
def recommended_inject_1000(seed: int, setting: Setting, *, epochs: int | None = None):
    """``recommended-inject`` with 1,000 injected lenses (each negative hosts two)."""
    from imblearn.pipeline import make_pipeline

    return make_pipeline(_survey_injector(seed, setting, 1000),
                         _recommended_classifier(seed, epochs)), {}
