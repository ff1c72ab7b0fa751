"""Malformed inputs against every public entry point: a clear error, and the caller's input intact.

Each table below lists bad inputs (arrays, labels, files, settings) with the
exception the entry point documents and a regex its message must match: the
message has to name the problem, not just fail somewhere inside numpy or
Keras. After every call the arrays, labels and files the test passed are
compared with copies taken before (files byte for byte): a failed call must
not change its input. Files holding pickles carry an object whose unpickling
would create a marker file, so the tests also see that nothing is unpickled.

Cases marked ``xfail(strict=True)`` are problems in code this module's author
could not change at the time (their reason says what is wrong); they turn
into failures when fixed, so that the mark is removed.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import re
import shutil
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from skopt.space import Categorical, Integer, Real

from skbia import (
    CNNClassifier,
    CNNSearchCV,
    FoldEnsembleClassifier,
    ImageAugmenter,
    LensInjector,
    MetricThresholdStop,
    WeightedBinaryCrossentropy,
    build_search_space,
    evaluate_scores,
    inject_lenses,
    make_lens_finder,
    make_lenses,
    plot_history,
    plot_images,
    plot_roc_pr,
    plot_tsne,
)
from skbia.architectures import get_architecture
from skbia.augmentation import OnlineAugmentationDataset, dihedral_view
from skbia.cli import main
from skbia.datasets import select_hosts
from skbia.evaluation import format_metrics, recall_at_fpr
from skbia.plotting import penultimate_features
from skbia.tuning import (
    NoImprovementStopper,
    ScoreThresholdStopper,
    plot_search,
    search_summary,
    tensorflow_thread_env,
)

N_IMAGES, SIZE, BANDS = 12, 16, 3


def xfail(reason: str):
    """Mark a case that fails today because of code outside this module's reach."""
    return pytest.mark.xfail(strict=True, reason=reason)


def make_data() -> tuple[np.ndarray, np.ndarray]:
    """12 float32 16x16x3 noise images, the 4 positives with a bright blob; labels 1/0."""
    rng = np.random.default_rng(0)
    X = rng.normal(0.0, 1.0, size=(N_IMAGES, SIZE, SIZE, BANDS)).astype(np.float32)
    yy, xx = np.mgrid[:SIZE, :SIZE] - (SIZE - 1) / 2
    X[:4] += (6.0 * np.exp(-(xx**2 + yy**2) / 8.0)).astype(np.float32)[None, :, :, None]
    y = np.r_[np.ones(4, int), np.zeros(N_IMAGES - 4, int)]
    order = rng.permutation(N_IMAGES)
    return X[order], y[order]


def tiny_cnn(**params) -> CNNClassifier:
    defaults = dict(arch="compact", filter_scale=0.25, epochs=1, batch_size=16, verbose=0,
                    min_pixel=-3.0, max_pixel=8.0, random_state=0)
    return CNNClassifier(**{**defaults, **params})


def call_keeping_inputs(func, *arrays, error, match):
    """Call ``func(*arrays)``, expect ``error`` matching ``match``; check the arrays are intact."""
    before = [copy.deepcopy(a) for a in arrays]
    with pytest.raises(error, match=match):
        func(*arrays)
    for original, after in zip(before, arrays, strict=True):
        assert type(after) is type(original)
        if isinstance(original, np.ndarray):
            assert after.dtype == original.dtype and after.shape == original.shape
        np.testing.assert_array_equal(after, original)


def snapshot(path: Path) -> dict[str, bytes] | bytes | None:
    """The bytes of a file, of every file under a folder, or None if nothing is there."""
    if path.is_dir():
        return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
                if p.is_file()}
    return path.read_bytes() if path.is_file() else None


class _Unpickled:
    """Unpickling this creates the file ``marker``: proof that a loader unpickled it."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def data():
    return make_data()


@pytest.fixture(scope="module")
def fitted(data):
    """One tiny fitted classifier, shared: tests must not change it."""
    X, y = data
    return tiny_cnn().fit(X, y)


@pytest.fixture(scope="module")
def files(fitted, tmp_path_factory):
    """A saved model, its metadata, and an ensemble folder of two copies of it (valid)."""
    folder = tmp_path_factory.mktemp("saved")
    model = folder / "model.keras"
    fitted.save(model)
    with zipfile.ZipFile(model) as archive:
        metadata = json.loads(archive.read("skbia.json"))
    ensemble = folder / "ensemble"
    ensemble.mkdir()
    for number in (1, 2):
        shutil.copy(model, ensemble / f"member_{number}.keras")
    manifest = {
        "format": "skbia.FoldEnsembleClassifier", "format_version": 1, "skbia_version": "0.1.0",
        "n_members": 2, "average": "mean", "classes": [0, 1],
        "classes_dtype": fitted.classes_.dtype.str,
        "params": {"n_folds": 2, "validation": "fold", "shuffle": True, "random_state": 0,
                   "verbose": 0},
        "n_images": 4, "held_out": [[0, 1], [2, 3]], "oof_proba": [[0.5, 0.5]] * 4,
    }
    (ensemble / "ensemble.json").write_text(json.dumps(manifest), encoding="utf-8")
    return {"model": model, "metadata": metadata, "ensemble": ensemble, "manifest": manifest}


@pytest.fixture(scope="module")
def ensemble(files):
    return FoldEnsembleClassifier.load(files["ensemble"])


def test_the_valid_files_load_and_predict(files, ensemble, data):
    """The corrupt variants below differ from these files by one defect each."""
    X, _ = data
    assert CNNClassifier.load(files["model"]).predict(X).shape == (N_IMAGES,)
    assert ensemble.predict_proba(X).shape == (N_IMAGES, 2)


# ------------------------------------------------------------------- bad image arrays

def _nan_in_every_image(X):
    X = X.copy()
    X[:, 3, 3, 0] = np.nan
    return X


def _inf_in_every_image(X):
    X = X.copy()
    X[:, 5, 5, 1] = np.inf
    return X


# name -> (make the images from good ones, make the labels, error, message)
BAD_IMAGES = {
    "NaN pixels": (_nan_in_every_image, None, ValueError, r"non-finite pixels \(NaN or inf\)"),
    "inf pixels": (_inf_in_every_image, None, ValueError, r"non-finite pixels \(NaN or inf\)"),
    "2-d array": (lambda X: X[..., 0].reshape(len(X), -1), None, ValueError,
                  r"must be a 3-d .* or 4-d .*ndim=2"),
    "5-d array": (lambda X: X[:, None], None, ValueError, r"must be a 3-d .* or 4-d .*ndim=5"),
    "zero images": (lambda X: X[:0], lambda y: y[:0], ValueError, r"no images"),
    "object dtype": (lambda X: X.astype(object), None, TypeError,
                     r"real numeric pixel values; got dtype object"),
    "str dtype": (lambda X: X.astype(str), None, TypeError, r"real numeric pixel values.*<U"),
    "complex dtype": (lambda X: X + 1j, None, TypeError,
                      r"real numeric pixel values.*complex"),
}



def _fit_entry_points():
    return {
        "CNNClassifier.fit": lambda X, y: tiny_cnn().fit(X, y),
        "make_lens_finder.fit": lambda X, y: make_lens_finder(
            n_members=1, image_size=None, epochs=1).fit(X, y),
        "ImageAugmenter.fit_resample": lambda X, y: ImageAugmenter(
            n_copies=1, horizontal=True, random_state=0).fit_resample(X, y),
        "FoldEnsembleClassifier.fit": lambda X, y: FoldEnsembleClassifier(
            tiny_cnn(), n_folds=2, random_state=0).fit(X, y),
        "CNNSearchCV.fit": lambda X, y: CNNSearchCV(
            tiny_cnn(), {"learning_rate": Real(1e-3, 1e-2, prior="log-uniform")},
            n_iter=1, cv=2, random_state=0).fit(X, y),
        "LensInjector.fit_resample": lambda X, y: LensInjector(
            n_injected=2, einstein_radius=(0.5, 1.0), random_state=0).fit_resample(X, y),
    }


FIT_XFAILS: dict = {}


def _cross(entries, cases, xfails):
    params = []
    for entry in entries:
        for case in cases:
            reason = xfails.get((entry, case))
            marks = [xfail(reason)] if reason else []
            params.append(pytest.param(entry, case, marks=marks, id=f"{entry}-{case}"))
    return params


@pytest.mark.parametrize(("entry", "case"), _cross(_fit_entry_points(), BAD_IMAGES, FIT_XFAILS))
def test_fit_rejects_bad_images(entry, case, data):
    make_X, make_y, error, match = BAD_IMAGES[case]
    X, y = data
    X, y = make_X(X), (make_y or (lambda labels: labels.copy()))(y)
    call_keeping_inputs(_fit_entry_points()[entry], X, y, error=error, match=match)


@pytest.mark.parametrize("case", BAD_IMAGES)
def test_online_augmentation_rejects_bad_images(case, data):
    # its targets may be one-hot (n_images, n_classes): only the images are checked here
    make_X, make_y, error, match = BAD_IMAGES[case]
    X, y = data
    call_keeping_inputs(
        lambda X, y: OnlineAugmentationDataset(X, y, ImageAugmenter(n_copies=1, horizontal=True)),
        make_X(X), (make_y or (lambda labels: labels.copy()))(y), error=error, match=match)


# injection paints into (n_images, height, width, bands) hosts: no 3-d single-band stacks
_HOST_MESSAGES = {
    "2-d array": r"hosts must be a 4-d \(n_images, height, width, bands\) array; got ndim=2",
    "5-d array": r"hosts must be a 4-d \(n_images, height, width, bands\) array; got ndim=5",
    "zero images": r"hosts holds no pixels",
    "NaN pixels": r"hosts has non-finite pixels \(NaN or inf\)",
    "inf pixels": r"hosts has non-finite pixels \(NaN or inf\)",
}


def _host_entry_points():
    return {
        "inject_lenses": lambda X: inject_lenses(X, pixel_scale=0.263, zero_point=30.0,
                                                 psf_fwhm=1.3, einstein_radius=(0.5, 1.0),
                                                 random_state=0),
        "select_hosts": lambda X: select_hosts(X),
    }


@pytest.mark.parametrize(("entry", "case"), _cross(_host_entry_points(), BAD_IMAGES, {}))
def test_injection_rejects_bad_host_images(entry, case, data):
    make_X, _, error, match = BAD_IMAGES[case]
    call_keeping_inputs(_host_entry_points()[entry], make_X(data[0]), error=error,
                        match=_HOST_MESSAGES.get(case, match.replace("X must", "hosts must")))


def test_ensemble_names_the_bad_image_by_its_index_in_X(data):
    X, y = data
    X = X.copy()
    X[N_IMAGES - 1, 0, 0, 0] = np.nan
    before = X.copy()
    try:
        with pytest.raises(ValueError, match=r"non-finite pixels.*indices \[11\]"):
            FoldEnsembleClassifier(tiny_cnn(), n_folds=2, random_state=0).fit(X, y)
    finally:
        np.testing.assert_array_equal(X, before)


# ------------------------------------------------------------------------- bad labels

# name -> (make the labels from good ones, error, message)
BAD_LABELS = {
    "continuous floats": (lambda y: np.linspace(0.05, 0.95, len(y)), ValueError,
                          r"y (looks|holds) .*(continuous|non-integer)"),
    "2-d labels": (lambda y: np.c_[y, 1 - y], ValueError, r"1-d|one class label per image"),
    "one class only": (lambda y: np.ones_like(y), ValueError, r"has 1 class\(es\)"),
    "NaN label": (lambda y: np.where(np.arange(len(y)) == 0, np.nan, y), ValueError,
                  r"NaN or infinite labels"),
    "fewer labels than images": (lambda y: y[:-2], ValueError,
                                 r"inconsistent (lengths|numbers of samples)"),
}

LABEL_XFAILS: dict = {}


@pytest.mark.parametrize(("entry", "case"),
                         _cross(_fit_entry_points(), BAD_LABELS, LABEL_XFAILS))
def test_fit_rejects_bad_labels(entry, case, data):
    make_y, error, match = BAD_LABELS[case]
    X, y = data
    X, y = X.copy(), make_y(y)
    call_keeping_inputs(_fit_entry_points()[entry], X, y, error=error, match=match)


@pytest.mark.parametrize("entry", list(_fit_entry_points()))
def test_fit_rejects_a_single_image(entry, data):
    X, y = data
    call_keeping_inputs(_fit_entry_points()[entry], X[:1].copy(), y[:1].copy(),
                        error=ValueError, match=r"has 1 class\(es\)")


@pytest.mark.parametrize(
    ("weights", "error", "match"),
    [
        (lambda n: -np.ones(n), ValueError, r"finite and non-negative; 12 weight\(s\)"),
        (lambda n: np.where(np.arange(n) == 5, np.nan, 1.0), ValueError,
         r"finite and non-negative; 1 weight\(s\) are not, first at index 5"),
        (lambda n: np.ones(3), ValueError, r"shape \(12,\), one weight per image; got shape"),
        (lambda n: np.ones((n, 2)), ValueError, r"got shape \(12, 2\)"),
        (lambda n: np.zeros(n), ValueError, r"zero for every image"),
        (lambda n: np.array(["a"] * n), TypeError, r"sample_weight must hold real numbers"),
    ],
    ids=["negative", "NaN", "too short", "2-d", "all zero", "strings"],
)
def test_fit_rejects_bad_sample_weights(data, weights, error, match):
    X, y = data
    call_keeping_inputs(lambda X, y, w: tiny_cnn().fit(X, y, sample_weight=w), X, y,
                        weights(len(y)), error=error, match=match)


def test_fit_rejects_mismatched_validation_data(data):
    X, y = data
    X_val = _nan_in_every_image(X)
    call_keeping_inputs(lambda X, y, X_val: tiny_cnn().fit(X, y, validation_data=(X_val, y)),
                        X.copy(), y.copy(), X_val, error=ValueError,
                        match=r"validation_data X_val has non-finite pixels")


@pytest.mark.parametrize(
    "entry",
    [
        "CNNClassifier.fit",
        "make_lens_finder.fit",
        "CNNSearchCV.fit",
    ],
)
def test_images_smaller_than_the_crop(entry, data):
    X, y = data
    fit = {
        "CNNClassifier.fit": lambda X, y: tiny_cnn(image_size=32).fit(X, y),
        "make_lens_finder.fit": lambda X, y: make_lens_finder(
            n_members=1, epochs=1).fit(X, y),  # crop 44
        "CNNSearchCV.fit": lambda X, y: CNNSearchCV(
            tiny_cnn(image_size=32), {"learning_rate": Real(1e-3, 1e-2)}, n_iter=1, cv=2
        ).fit(X, y),
    }[entry]
    call_keeping_inputs(fit, X.copy(), y.copy(), error=ValueError,
                        match=r"16x16 pixel images, smaller than image_size=(32|44)")


# ------------------------------------------------------------- prediction on bad images

# name -> (make the images from good ones, error, message)
BAD_PREDICT_IMAGES = {
    **{name: (make, error, match) for name, (make, _, error, match) in BAD_IMAGES.items()},
    "wrong channel count": (lambda X: X[..., :2], ValueError,
                            r"2 channel\(s\) but 3 were expected"),
    "wrong image size": (lambda X: X[:, :12, :12], ValueError,
                         r"12x12 pixel images but the classifier"),
    "one image without the batch axis": (lambda X: X[0], ValueError,
                                         r"1 channel\(s\) but 3 were expected"),
}


def _predict_entry_points(fitted, ensemble):
    return {
        "CNNClassifier.predict": fitted.predict,
        "CNNClassifier.predict_proba": fitted.predict_proba,
        "FoldEnsembleClassifier.predict": ensemble.predict,
        "FoldEnsembleClassifier.member_proba": ensemble.member_proba,
        "penultimate_features": lambda X: penultimate_features(fitted, X),
    }


_PREDICT_ENTRIES = ["CNNClassifier.predict", "CNNClassifier.predict_proba",
                    "FoldEnsembleClassifier.predict", "FoldEnsembleClassifier.member_proba",
                    "penultimate_features"]


@pytest.mark.parametrize(("entry", "case"), _cross(_PREDICT_ENTRIES, BAD_PREDICT_IMAGES, {}))
def test_predict_rejects_bad_images(entry, case, fitted, ensemble, data):
    make_X, error, match = BAD_PREDICT_IMAGES[case]
    X = make_X(data[0])
    if case == "wrong image size" and entry == "penultimate_features":
        match = r"12x12 pixel images but the classifier's model takes 16x16"
    call_keeping_inputs(_predict_entry_points(fitted, ensemble)[entry], X,
                        error=error, match=match)


@pytest.mark.parametrize("entry", _PREDICT_ENTRIES)
def test_predict_takes_a_single_image(entry, fitted, ensemble, data):
    X = data[0][:1].copy()
    before = X.copy()
    out = _predict_entry_points(fitted, ensemble)[entry](X)
    assert np.shape(out)[-2 if entry == "FoldEnsembleClassifier.member_proba" else 0] == 1
    np.testing.assert_array_equal(X, before)


def test_fill_value_leaves_the_callers_nan_pixels_alone(fitted, data):
    X = _nan_in_every_image(data[0])
    before = X.copy()
    clean = fitted.predict_proba(np.nan_to_num(X, nan=0.0))
    fitted.set_params(fill_value=0.0)
    try:
        proba = fitted.predict_proba(X)
    finally:
        fitted.set_params(fill_value=None)
    np.testing.assert_allclose(proba, clean, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(X, before)  # still NaN: only a copy was filled


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 1e39, "0", True])
def test_a_fill_value_that_is_not_a_finite_number_is_refused(value, files, data, tmp_path):
    # replacing NaN pixels by NaN (or by what float32 makes infinite) would change nothing
    from skbia import score_files
    from skbia.utils import check_images

    X = _nan_in_every_image(data[0])
    call_keeping_inputs(lambda X: check_images(X, fill_value=value), X, error=ValueError,
                        match=r"fill_value must be a finite number")
    path = tmp_path / "nan.npy"
    np.save(path, X)
    with pytest.raises(ValueError, match=r"fill_value must be a finite number"):
        score_files(files["model"], path, tmp_path / "scores.csv", fill_value=value,
                    progress=False)
    assert not (tmp_path / "scores.csv").exists()


def test_plot_tsne_rejects_bad_inputs(fitted, data):
    X, y = data
    call_keeping_inputs(lambda X, y: plot_tsne(fitted, X, y), X[..., :2], y.copy(),
                        error=ValueError, match=r"2 channel\(s\) but 3 were expected")
    call_keeping_inputs(lambda X, y: plot_tsne(fitted, X, y), X.copy(), y[:-2],
                        error=ValueError, match=r"inconsistent lengths: 12 images but 10")
    call_keeping_inputs(lambda X, y: plot_tsne(fitted, X, y), X.copy(), np.c_[y, y],
                        error=ValueError, match=r"y must be 1-d")


# ----------------------------------------------------------------- unfitted estimators


def _unfitted_calls(tmp_path, X):
    return {
        "CNNClassifier.predict": lambda: tiny_cnn().predict(X),
        "CNNClassifier.predict_proba": lambda: tiny_cnn().predict_proba(X),
        "CNNClassifier.save": lambda: tiny_cnn().save(tmp_path / "unfitted.keras"),
        "FoldEnsembleClassifier.predict": lambda: FoldEnsembleClassifier(tiny_cnn()).predict(X),
        "FoldEnsembleClassifier.predict_proba":
            lambda: FoldEnsembleClassifier(tiny_cnn()).predict_proba(X),
        "FoldEnsembleClassifier.save":
            lambda: FoldEnsembleClassifier(tiny_cnn()).save(tmp_path / "unfitted_ensemble"),
        "CNNSearchCV.predict": lambda: CNNSearchCV(tiny_cnn(), {"epochs": [1]}).predict(X),
    }


UNFITTED_VALUE_ERRORS = {
    "CNNSearchCV.save": (lambda tmp_path: CNNSearchCV(tiny_cnn(), {"epochs": [1]}).save(
        tmp_path / "search.joblib"), r"not fitted yet"),
    "search_summary": (lambda _: search_summary(CNNSearchCV(tiny_cnn(), {"epochs": [1]})),
                       r"not fitted yet"),
    "plot_search": (lambda _: plot_search(CNNSearchCV(tiny_cnn(), {"epochs": [1]})),
                    r"not fitted yet"),
    "penultimate_features": (lambda _: penultimate_features(tiny_cnn(), make_data()[0]),
                             r"needs a fitted CNNClassifier"),
    "plot_history": (lambda _: plot_history(tiny_cnn()), r"must be a fitted classifier"),
}


@pytest.mark.parametrize("entry", list(_unfitted_calls(Path("."), None)))
def test_unfitted_estimators_raise_not_fitted(entry, tmp_path, data):
    X = data[0].copy()
    before = X.copy()
    with pytest.raises(NotFittedError, match=r"not fitted yet"):
        _unfitted_calls(tmp_path, X)[entry]()
    np.testing.assert_array_equal(X, before)
    assert list(tmp_path.iterdir()) == []  # nothing saved


@pytest.mark.parametrize("entry", list(UNFITTED_VALUE_ERRORS))
def test_unfitted_searches_and_plots_raise(entry, tmp_path):
    call, match = UNFITTED_VALUE_ERRORS[entry]
    with pytest.raises(ValueError, match=match):
        call(tmp_path)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------- .keras model files


def _write_zip(path: Path, members: dict[str, str | bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)


def _model_variants(files) -> dict:
    """name -> writer(path) of a malformed model file, with the error and message it must give."""
    good = files["model"].read_bytes()
    metadata = files["metadata"]

    def with_metadata(**changes):
        return lambda p: _write_zip(p, {"skbia.json": json.dumps({**metadata, **changes})})

    return {
        "empty file": (lambda p: p.write_bytes(b""), ValueError, r"is not a saved skbia model"),
        "truncated": (lambda p: p.write_bytes(good[: len(good) // 2]), ValueError,
                      r"is not a saved skbia model"),
        "last bytes cut": (lambda p: p.write_bytes(good[:-16]), ValueError,
                           r"is not a saved skbia model"),
        "text, not a zip": (lambda p: p.write_text("not a model\n"), ValueError,
                            r"is not a saved skbia model"),
        "zip without skbia.json": (lambda p: _write_zip(p, {"config.json": "{}"}), ValueError,
                                   r"has no skbia\.json entry"),
        "skbia.json not JSON": (lambda p: _write_zip(p, {"skbia.json": "{not json"}),
                                ValueError, r"unreadable skbia metadata"),
        "another format": (with_metadata(format="something.else"), ValueError,
                           r"not a saved skbia\.CNNClassifier model"),
        "newer format version": (with_metadata(format_version=99), ValueError,
                                 r"format version 99.*Upgrade skbia"),
        "callable outside skbia": (
            with_metadata(params={**metadata["params"], "arch": {"__callable__": "os:system"}}),
            ValueError, r"names the callable 'os:system'.*never imports"),
        "metadata without a Keras model": (
            lambda p: _write_zip(p, {"skbia.json": json.dumps(metadata)}), ValueError,
            r"not a saved skbia model|no Keras model|malformed"),
        "params not a mapping": (with_metadata(params=[1, 2]), ValueError, r"params|malformed"),
    }


_MODEL_CASES = ["empty file", "truncated", "last bytes cut", "text, not a zip",
                "zip without skbia.json", "skbia.json not JSON", "another format",
                "newer format version", "callable outside skbia",
                "metadata without a Keras model", "params not a mapping"]


def _model_params():
    params = []
    for name in _MODEL_CASES:
        marks = []
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.mark.parametrize("case", _model_params())
def test_load_rejects_malformed_model_files(case, files, tmp_path):
    write, error, match = _model_variants(files)[case]
    path = tmp_path / "model.keras"
    write(path)
    before = snapshot(path)
    with pytest.raises(error, match=match):
        CNNClassifier.load(path)
    assert snapshot(path) == before


@pytest.mark.parametrize(
    ("kind", "error", "match"),
    [
        pytest.param("missing", FileNotFoundError, r"No saved model at", id="missing file"),
        pytest.param("folder", ValueError, r"is not a saved skbia model", id="a folder"),
    ],
)
def test_load_rejects_missing_files_and_folders(kind, error, match, tmp_path):
    path = tmp_path / "model.keras"
    if kind == "folder":
        path.mkdir()
    with pytest.raises(error, match=match):
        CNNClassifier.load(path)
    assert path.is_dir() == (kind == "folder")


@pytest.mark.parametrize(
    ("target", "error", "match"),
    [
        ("model.h5", ValueError, r"must end in '\.keras'"),
        ("folder.keras", ValueError, r"is a folder; give the name of a \.keras file"),
        ("missing/model.keras", FileNotFoundError, r"folder '.*missing' .* does not exist"),
        ("a_file/model.keras", ValueError, r"'.*a_file' is a file, not a folder"),
    ],
)
def test_save_refuses_a_destination_it_cannot_write(fitted, tmp_path, target, error, match):
    (tmp_path / "folder.keras").mkdir()
    (tmp_path / "a_file").write_text("x")
    before = snapshot(tmp_path)
    with pytest.raises(error, match=match):
        fitted.save(tmp_path / target)
    assert snapshot(tmp_path) == before and (tmp_path / "folder.keras").is_dir()


# ------------------------------------------------------------------ ensemble folders


def _manifest_variants(manifest: dict) -> dict:
    """name -> (change the folder, error, message)."""

    def rewrite(**changes):
        def change(folder: Path) -> None:
            text = json.dumps({**manifest, **changes})
            (folder / "ensemble.json").write_text(text, encoding="utf-8")
        return change

    def raw(content: bytes):
        return lambda folder: (folder / "ensemble.json").write_bytes(content)

    def without(key):
        return lambda folder: (folder / "ensemble.json").write_text(
            json.dumps({k: v for k, v in manifest.items() if k != key}), encoding="utf-8")

    def truncate_member(folder: Path) -> None:
        member = folder / "member_2.keras"
        member.write_bytes(member.read_bytes()[:1000])

    bad_manifest = r"is not a valid ensemble manifest"
    return {
        "not JSON": (raw(b"{"), ValueError, bad_manifest + r": unreadable JSON"),
        "empty manifest": (raw(b""), ValueError, bad_manifest + r": unreadable JSON"),
        "not UTF-8": (raw(b"\xff\xfe{}"), ValueError, bad_manifest + r": unreadable JSON"),
        "a list, not a mapping": (raw(b"[1, 2]"), ValueError, bad_manifest + r": its 'format'"),
        "NaN probability": (rewrite(oof_proba=[[float("nan"), 0.5]] * 4), ValueError,
                            r"NaN is not allowed"),
        "another format": (rewrite(format="x"), ValueError, bad_manifest + r": its 'format'"),
        "newer format version": (rewrite(format_version=99), ValueError,
                                 r"ensemble format version 99.*Upgrade skbia"),
        "entry missing": (without("held_out"), ValueError, r"missing entries \['held_out'\]"),
        "n_members not an integer": (rewrite(n_members="2"), ValueError,
                                     r"'n_members' must be an integer >= 2"),
        "unknown average": (rewrite(average="median"), ValueError, r"'average' must be one of"),
        "classes a string": (rewrite(classes="01"), ValueError,
                             r"'classes' must be a list of at least two labels"),
        "held_out overlapping": (rewrite(held_out=[[0, 1], [1, 2]]), ValueError,
                                 r"every image index exactly once"),
        "oof_proba too short": (rewrite(oof_proba=[[0.5, 0.5]]), ValueError,
                                r"'oof_proba' must hold one row"),
        "n_folds differs": (rewrite(params={**manifest["params"], "n_folds": 3}), ValueError,
                            r"'params.n_folds' must equal 'n_members'"),
        "member file missing": (lambda folder: (folder / "member_2.keras").unlink(),
                                FileNotFoundError, r"lacks its member file member_2\.keras"),
        "member file truncated": (truncate_member, ValueError,
                                  r"Member 2 of the ensemble: .* is not a saved skbia model"),
        "manifest missing": (lambda folder: (folder / "ensemble.json").unlink(),
                             FileNotFoundError, r"has no ensemble\.json"),
    }


_MANIFEST_CASES = list(_manifest_variants({"params": {}}))


@pytest.mark.parametrize("case", _MANIFEST_CASES)
def test_ensemble_load_rejects_corrupt_folders(case, files, tmp_path):
    change, error, match = _manifest_variants(files["manifest"])[case]
    folder = tmp_path / "ensemble"
    shutil.copytree(files["ensemble"], folder)
    change(folder)
    before = snapshot(folder)
    with pytest.raises(error, match=match):
        FoldEnsembleClassifier.load(folder)
    assert snapshot(folder) == before


def test_ensemble_load_rejects_files_and_missing_folders(files, tmp_path):
    before = snapshot(files["model"])
    with pytest.raises(ValueError, match=r"is not a saved ensemble: ensembles are folders"):
        FoldEnsembleClassifier.load(files["model"])
    assert snapshot(files["model"]) == before
    with pytest.raises(FileNotFoundError, match=r"No saved ensemble at"):
        FoldEnsembleClassifier.load(tmp_path / "nowhere")


# -------------------------------------------------------- saved searches (joblib files)


def _search_file_variants(tmp_path: Path) -> dict:
    good = tmp_path / "dict.joblib"
    joblib.dump({"format": "something else"}, good, compress=3)
    whole = good.read_bytes()
    return {
        "empty file": (b"", ValueError, r"Cannot read .* the file is empty, truncated"),
        "text file": (b"hello, world\n", ValueError, r"Cannot read .* the file is empty"),
        "truncated": (whole[: len(whole) // 2], ValueError,
                      r"Cannot read .* the file is empty, truncated"),
        "another object": (whole, ValueError, r"does not hold a saved CNNSearchCV|resume_from"),
    }


@pytest.mark.parametrize("case", ["empty file", "text file", "truncated", "another object"])
@pytest.mark.parametrize("entry", ["CNNSearchCV.load", "CNNSearchCV.fit(resume_from=...)"])
def test_search_files_that_are_not_saved_searches(entry, case, tmp_path, data):
    content, error, match = _search_file_variants(tmp_path)[case]
    path = tmp_path / "search.joblib"
    path.write_bytes(content)
    X, y = data[0].copy(), data[1].copy()
    if entry == "CNNSearchCV.load":
        call = lambda X, y: CNNSearchCV.load(path)  # noqa: E731
    else:
        call = lambda X, y: CNNSearchCV(  # noqa: E731
            tiny_cnn(), {"learning_rate": Real(1e-3, 1e-2)}, n_iter=2, cv=2
        ).fit(X, y, resume_from=path)
    call_keeping_inputs(call, X, y, error=error, match=match)
    assert path.read_bytes() == content


@pytest.mark.parametrize(
    ("kind", "error", "match"),
    [
        pytest.param("missing", FileNotFoundError, r"No saved CNNSearchCV at", id="missing"),
        pytest.param("folder", IsADirectoryError, r"is a folder", id="a folder"),
    ],
)
def test_search_load_missing_files_and_folders(kind, error, match, tmp_path):
    path = tmp_path / "search.joblib"
    if kind == "folder":
        path.mkdir()
    with pytest.raises(error, match=match):
        CNNSearchCV.load(path)


def _search_destinations(tmp_path):
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "a_file").write_text("not a folder")
    return {"a folder": (tmp_path / "a_folder", r"is a folder; give the name of a file"),
            "under a file": (tmp_path / "a_file" / "ck.joblib",
                             r"cannot be written: .*a_file' is a file, not a folder")}


@pytest.mark.parametrize("case", ["a folder", "under a file"])
def test_search_checkpoint_that_cannot_be_written_fails_before_any_trial(case, tmp_path, data):
    path, match = _search_destinations(tmp_path)[case]
    search = CNNSearchCV(tiny_cnn(), {"learning_rate": Real(1e-3, 1e-2, prior="log-uniform")},
                         n_iter=1, cv=2, random_state=0, checkpoint=path)
    with pytest.raises(ValueError, match=f"checkpoint=.*{match}"):
        search.fit(*data)
    assert not hasattr(search, "cv_results_") and not hasattr(search, "optimizers_")
    assert list(tmp_path.rglob("*.tmp")) == []


@pytest.mark.parametrize("case", ["a folder", "under a file"])
def test_search_save_to_a_folder_or_under_a_file_names_the_path(case, tmp_path, data):
    path, match = _search_destinations(tmp_path)[case]
    search = CNNSearchCV(tiny_cnn(), {"learning_rate": Real(1e-3, 1e-2, prior="log-uniform")},
                         n_iter=1, cv=2, random_state=0, refit=False).fit(*data)
    with pytest.raises(ValueError, match=f"path=.*{match}"):
        search.save(path)
    assert list(tmp_path.rglob("*.tmp")) == []


@pytest.mark.parametrize(
    ("space", "augmented", "match"),
    [
        ({"optimizer": Categorical(["adam", "nope"])}, False,
         r"search_spaces\['optimizer'\] can take the value 'nope'.*must be a str among"),
        ({"learning_rate": Real(-1e-3, 1e-2)}, False,
         r"search_spaces\['learning_rate'\] can take the value -0\.001"),
        ({"learnin_rate": Real(1e-3, 1e-2)}, False, r"Invalid parameter learnin_rate"),
        ({"imageaugmenter__n_copies": Integer(-2, 3)}, True,
         r"'imageaugmenter__n_copies'\] can take the value -2.*ImageAugmenter"),
        ({"imageaugmenter__skew_angle": (0.0, 80.0)}, True,
         r"'imageaugmenter__skew_angle'\] can take the value 80\.0"),
    ],
    ids=["category", "range bound", "unknown name", "augmenter bound", "tuple bounds"],
)
def test_search_space_values_are_checked_before_any_trial(space, augmented, match, data, tmp_path):
    from imblearn.pipeline import make_pipeline

    estimator = make_pipeline(ImageAugmenter(), tiny_cnn()) if augmented else tiny_cnn()
    search = CNNSearchCV(estimator, space, n_iter=2, cv=2, random_state=0,
                         checkpoint=tmp_path / "ck.joblib")
    call_keeping_inputs(search.fit, *data, error=ValueError, match=match)
    assert not (tmp_path / "ck.joblib").exists()  # no trial ran


# ----------------------------------------------------------------- scores and metrics


def _score_inputs():
    y = np.array([0, 0, 1, 1, 0, 1])
    s = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.7])
    return y, s


# name -> (labels, scores) from good ones, error, message
BAD_SCORES = {
    "NaN score": (lambda y, s: (y, np.where(np.arange(len(s)) == 1, np.nan, s)), ValueError,
                  r"y_score contains NaN or infinite"),
    "inf score": (lambda y, s: (y, np.where(np.arange(len(s)) == 1, np.inf, s)), ValueError,
                  r"y_score contains NaN or infinite"),
    "string scores": (lambda y, s: (y, s.astype(str)), TypeError,
                      r"y_score must hold real numbers"),
    "complex scores": (lambda y, s: (y, s + 1j), TypeError, r"y_score must hold real numbers"),
    "object scores": (lambda y, s: (y, np.array([None, *s[1:]], dtype=object)), TypeError,
                      r"y_score must hold real numbers"),
    "2-d scores": (lambda y, s: (y, np.c_[1 - s, s]), ValueError, r"must be 1-d"),
    "one class only": (lambda y, s: (np.ones_like(y), s), ValueError,
                       r"must contain both positives"),
    "NaN label": (lambda y, s: (np.where(np.arange(len(y)) == 0, np.nan, y), s), ValueError,
                  r"y_true contains 1 NaN"),
    "continuous labels": (lambda y, s: (s, s), ValueError,
                          r"y_true holds non-integer numbers, not class labels"),
    "2-d labels": (lambda y, s: (y[:, None], s), ValueError, r"must be 1-d"),
    "mismatched lengths": (lambda y, s: (y, s[:-1]), ValueError, r"inconsistent lengths"),
    "no samples": (lambda y, s: (y[:0], s[:0]), ValueError, r"must contain both positives"),
}

SCORE_ENTRIES = {
    "evaluate_scores": evaluate_scores,
    "recall_at_fpr": lambda y, s: recall_at_fpr(y, s, 0.1),
    "plot_roc_pr": plot_roc_pr,
}


@pytest.mark.parametrize(("entry", "case"), _cross(SCORE_ENTRIES, BAD_SCORES, {}))
def test_metrics_reject_bad_scores_and_labels(entry, case):
    make, error, match = BAD_SCORES[case]
    y, s = make(*_score_inputs())
    call_keeping_inputs(SCORE_ENTRIES[entry], y, s, error=error, match=match)


@pytest.mark.parametrize(
    ("entry", "kwargs", "match"),
    [
        pytest.param("evaluate_scores", {"fpr_levels": (1.5,)}, r"fpr_levels must hold .*1\.5",
                     id="evaluate_scores-level above 1"),
        pytest.param("evaluate_scores", {"fpr_levels": "0.05"}, r"fpr_levels must be a sequence",
                     id="evaluate_scores-levels as a string"),
        pytest.param("evaluate_scores", {"low_fpr_levels": (float("nan"),)},
                     r"low_fpr_levels must hold .*nan", id="evaluate_scores-NaN low level"),
        pytest.param("evaluate_scores", {"prevalence": 2.0}, r"prevalence must be a number in",
                     id="evaluate_scores-prevalence above 1"),
        pytest.param("recall_at_fpr", {"max_fpr": "low"}, r"max_fpr must be between 0 and 1",
                     id="recall_at_fpr-max_fpr a string"),
        pytest.param("recall_at_fpr", {"max_fpr": -0.1}, r"max_fpr must be between 0 and 1",
                     id="recall_at_fpr-negative max_fpr"),
        pytest.param("plot_roc_pr", {"fpr_levels": (2.0,)}, r"fpr_levels must hold .*2\.0",
                     id="plot_roc_pr-level above 1"),
    ],
)
def test_metrics_reject_nonsense_settings(entry, kwargs, match):
    y, s = _score_inputs()
    func = {"evaluate_scores": evaluate_scores, "plot_roc_pr": plot_roc_pr,
            "recall_at_fpr": lambda y, s, max_fpr: recall_at_fpr(y, s, max_fpr)}[entry]
    call_keeping_inputs(lambda y, s: func(y, s, **kwargs), y, s, error=ValueError, match=match)


@pytest.mark.parametrize("metrics", [{}, [("roc_auc", 0.5)]], ids=["empty dict", "a list"])
def test_format_metrics_rejects_what_is_not_a_metrics_dict(metrics):
    with pytest.raises(ValueError, match=r"metrics must be a non-empty dict"):
        format_metrics(metrics)


# --------------------------------------------------------------------------- make_lenses

BAD_LENS_SETTINGS = {
    "negative n_lenses": ({"n_lenses": -1}, r"n_lenses must be a non-negative integer; got -1"),
    "negative n_others": ({"n_others": -5}, r"n_others must be a non-negative integer; got -5"),
    "fractional count": ({"n_lenses": 2.5}, r"n_lenses must be a non-negative integer; got 2\.5"),
    "boolean count": ({"n_lenses": True}, r"n_lenses must be a non-negative integer; got True"),
    "count as a string": ({"n_others": "5"}, r"n_others must be a non-negative integer"),
    "no images at all": ({"n_lenses": 0, "n_others": 0}, r"must be at least 1; both are 0"),
    "image_size below 16": ({"image_size": 8}, r"image_size must be at least 16 pixels"),
    "bands a string": ({"bands": "gri"}, r"bands must be a sequence of band names"),
    "bands a number": ({"bands": 3}, r"bands must be a sequence of band names"),
    "unknown band": ({"bands": ("g", "u")}, r"Unknown band\(s\) \['u'\]"),
    "repeated band": ({"bands": ("g", "g")}, r"bands must not repeat a band"),
    "inverted einstein_radius": ({"einstein_radius": (3.0, 1.0)}, r"einstein_radius must be"
                                 r" \(min, max\) with min <= max"),
    "negative einstein_radius": ({"einstein_radius": -1.0}, r"einstein_radius min must be > 0"),
    "NaN source_magnitude": ({"source_magnitude": float("nan")},
                             r"source_magnitude min must be finite"),
    "unknown psf": ({"psf": "airy"}, r"psf must be 'moffat' or 'gaussian'"),
    "psf_fwhm of the wrong length": ({"psf_fwhm": [1.0, 1.2]},
                                     r"psf_fwhm must be a number or one value per band"),
    "zero gain": ({"gain": 0}, r"gain \(g\) must be > 0"),
    "negative sky_level": ({"sky_level": -1.0}, r"sky_level \(g\) must be >= 0"),
    "other_mix a list": ({"other_mix": [0.5, 0.5]}, r"other_mix must be a mapping"),
    "other_mix a string": ({"other_mix": "disk"}, r"other_mix must be a mapping"),
    "unknown kind in other_mix": ({"other_mix": {"spiral": 1.0}},
                                  r"Unknown kind\(s\) of other objects \['spiral'\]"),
    "all-zero other_mix": ({"other_mix": {"disk": 0.0}},
                           r"other_mix needs at least one positive proportion"),
    "oversample 0": ({"oversample": 0}, r"oversample must be at least 1"),
    "noise a string": ({"noise": "yes"}, r"noise must be True or False"),
    "random_state a string": ({"random_state": "seed"}, r"random_state must be None, an int"),
}


@pytest.mark.parametrize("case", list(BAD_LENS_SETTINGS))
def test_make_lenses_rejects_nonsense_settings(case):
    settings, match = BAD_LENS_SETTINGS[case]
    kwargs = {"n_lenses": 1, "n_others": 1, "image_size": 16, **settings}
    before = copy.deepcopy(kwargs)
    with pytest.raises(ValueError, match=match):
        make_lenses(**kwargs)
    assert repr(kwargs) == repr(before)  # mutable settings (lists, dicts) left as given


# --------------------------------------------------------------------------- plot_images

BAD_PLOT_IMAGES = {
    "1-d array": (lambda: np.ones(8), {}, ValueError, r"images must be an \(n, H, W\)"),
    "5-d array": (lambda: np.zeros((2, 8, 8, 3, 1)), {}, ValueError,
                  r"images must be an \(n, H, W\).*shape \(2, 8, 8, 3, 1\)"),
    "zero images": (lambda: np.zeros((0, 8, 8, 3)), {}, ValueError, r"no empty dimension"),
    "empty image axis": (lambda: np.zeros((2, 0, 8, 3)), {}, ValueError, r"no empty dimension"),
    "ragged list": (lambda: [np.zeros((8, 8)), np.zeros((4, 4))], {}, ValueError,
                    r"differently shaped images"),
    "str dtype": (lambda: np.zeros((2, 8, 8)).astype(str), {}, TypeError,
                  r"real numeric pixel values"),
    "complex dtype": (lambda: np.zeros((2, 8, 8)) + 1j, {}, TypeError,
                      r"real numeric pixel values"),
    "labels of the wrong length": (lambda: np.zeros((3, 8, 8, 3)), {"labels": [1, 0]},
                                   ValueError, r"one label per image \(3\); got shape \(2,\)"),
    "vmin a string": (lambda: np.zeros((2, 8, 8, 3)), {"vmin": "low"}, ValueError,
                      r"vmin must be one finite number"),
    "vmin above vmax": (lambda: np.zeros((2, 8, 8, 3)), {"vmin": 5.0, "vmax": 1.0}, ValueError,
                        r"vmin must be below vmax"),
    "negative panel_size": (lambda: np.zeros((2, 8, 8, 3)), {"panel_size": -1.0}, ValueError,
                            r"panel_size must be a positive number"),
    "panel_size a string": (lambda: np.zeros((2, 8, 8, 3)), {"panel_size": "big"}, ValueError,
                            r"panel_size must be a positive number"),
}


@pytest.mark.parametrize("case", list(BAD_PLOT_IMAGES))
def test_plot_images_rejects_wrong_arrays(case):
    make, kwargs, error, match = BAD_PLOT_IMAGES[case]
    images = make()
    before = copy.deepcopy(images)
    with pytest.raises(error, match=match):
        plot_images(images, **kwargs)
    if isinstance(images, list):
        for now, then in zip(images, before, strict=True):
            np.testing.assert_array_equal(now, then)
    else:
        np.testing.assert_array_equal(images, before)


@pytest.mark.parametrize(
    ("history", "kwargs", "match"),
    [
        pytest.param({"loss": ["a", "b"]}, {}, r"history\['loss'\] must be a sequence of numbers",
                     id="values not numbers"),
        pytest.param({"loss": [[1.0, 2.0], [3.0]]}, {}, r"history\['loss'\] must be a sequence",
                     id="ragged values"),
        pytest.param({"loss": [1.0, 0.5]}, {"metrics": "loss"},
                     r"metrics must be a sequence of metric names", id="metrics a string"),
        pytest.param({"loss": [1.0, 0.5]}, {"metrics": ["accuracy"]},
                     r"history has no metric\(s\) \['accuracy'\]", id="unknown metric"),
        pytest.param([0.5, 0.4], {}, r"non-empty dict", id="a list"),
    ],
)
def test_plot_history_rejects_malformed_histories(history, kwargs, match):
    before = copy.deepcopy(history)
    with pytest.raises(ValueError, match=match):
        plot_history(history, **kwargs)
    assert history == before


# ------------------------------------------------------------ tuning and small helpers

BAD_SPACE_SETTINGS = {
    "inverted learning_rate": ({"learning_rate": (1e-2, 1e-5)}, r"learning_rate is inverted"),
    "NaN learning_rate": ({"learning_rate": (float("nan"), 1e-2)},
                          r"learning_rate must be a \(min, max\) pair of finite numbers"),
    "infinite learning_rate": ({"learning_rate": (1e-5, float("inf"))},
                               r"learning_rate must be a \(min, max\) pair of finite numbers"),
    "learning_rate a string": ({"learning_rate": "fast"}, r"learning_rate must be a \(min, max\)"),
    "fractional batch_size": ({"batch_size": (1.5, 8)}, r"batch_size must hold integers"),
    "optimizers a string": ({"optimizers": "adam"}, r"optimizers must be a list of choices"),
    "no optimizers": ({"optimizers": []}, r"optimizers must list at least one value"),
    "max_pixel without n_bands": ({"tune_augmentation": True, "max_pixel": (10, 100)},
                                  r"n_bands .* is needed to tune max_pixel"),
    "n_bands a boolean": ({"tune_augmentation": True, "max_pixel": (10, 100), "n_bands": True},
                          r"n_bands .* is needed to tune max_pixel; got n_bands=True"),
    "blend_max a string": ({"tune_augmentation": True, "blend_max": "2"},
                           r"blend_max must be a finite number"),
    "negative blend_max": ({"tune_augmentation": True, "blend_max": -1.0},
                           r"blend_max must be >= 0"),
    "unknown arch": ({"tune_model": True, "arch": "lenet"}, r"Unknown architecture 'lenet'"),
}


@pytest.mark.parametrize("case", list(BAD_SPACE_SETTINGS))
def test_build_search_space_rejects_nonsense(case):
    settings, match = BAD_SPACE_SETTINGS[case]
    before = copy.deepcopy(settings)
    with pytest.raises(ValueError, match=match):
        build_search_space(**settings)
    assert repr(settings) == repr(before)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        pytest.param(lambda: tensorflow_thread_env(0), r"n_threads must be an integer >= 1",
                     id="tensorflow_thread_env-0"),
        pytest.param(lambda: tensorflow_thread_env(1.5), r"n_threads must be an integer >= 1",
                     id="tensorflow_thread_env-1.5"),
        pytest.param(lambda: tensorflow_thread_env("2"), r"n_threads must be an integer >= 1",
                     id="tensorflow_thread_env-string"),
        pytest.param(lambda: NoImprovementStopper(0), r"n_trials must be a positive integer",
                     id="NoImprovementStopper-0"),
        pytest.param(lambda: ScoreThresholdStopper(float("nan")), r"score must be a finite",
                     id="ScoreThresholdStopper-NaN"),
        pytest.param(lambda: get_architecture("lenet"), r"Unknown architecture 'lenet'",
                     id="get_architecture-unknown name"),
        pytest.param(lambda: get_architecture(5), r"Unknown architecture 5",
                     id="get_architecture-a number"),
        pytest.param(lambda: MetricThresholdStop("loss", 0.1, mode="sideways"),
                     r"mode must be one of", id="MetricThresholdStop-unknown mode"),
        pytest.param(lambda: MetricThresholdStop("loss", float("nan")),
                     r"threshold must be finite", id="MetricThresholdStop-NaN threshold"),
        pytest.param(lambda: MetricThresholdStop("loss", "high"), r"threshold must be",
                     id="MetricThresholdStop-threshold a string"),
        pytest.param(lambda: WeightedBinaryCrossentropy(-1.0),
                     r"positive_weight must be a positive finite number",
                     id="WeightedBinaryCrossentropy-negative weight"),
        pytest.param(lambda: WeightedBinaryCrossentropy("heavy"),
                     r"positive_weight must be a positive finite number",
                     id="WeightedBinaryCrossentropy-weight a string"),
        pytest.param(lambda: WeightedBinaryCrossentropy(1.0, weighted_label=2),
                     r"weighted_label must be 0 or 1", id="WeightedBinaryCrossentropy-label 2"),
    ],
)
def test_small_constructors_reject_nonsense(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(
    ("images", "element", "match"),
    [
        pytest.param(np.zeros((2, 8, 8, 1)), 9, r"element", id="element out of range"),
        pytest.param(np.zeros((2, 8, 6, 1)), 1, r"square", id="non-square images"),
    ],
)
def test_dihedral_view_rejects_invalid_input(images, element, match):
    call_keeping_inputs(lambda images: dihedral_view(images, element), images,
                        error=ValueError, match=match)


# ------------------------------------------------------------------ the skbia command


def _one_line_error(capsys, command: str) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"skbia {command}: error: "), err
    return lines[0]


def _npy_variants(folder: Path, X: np.ndarray, marker: Path) -> dict:
    """name -> (path of a malformed image file, what the one-line error must say)."""
    good = folder / "good.npy"
    np.save(good, X)
    whole = good.read_bytes()
    out = {}

    def put(name, content, match, suffix=".npy"):
        path = folder / f"{name.replace(' ', '_').replace(',', '')}{suffix}"
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content == "folder":
            path.mkdir()
        out[name] = (path, match)

    put("empty file", b"", r"empty or truncated")
    put("truncated", whole[: len(whole) // 2], r"truncated")
    put("header only", whole[:60], r"empty or truncated")
    put("text with a .npy suffix", b"1 2 3\n4 5 6\n", r"not a \.npy file")
    put("pickled object", pickle.dumps(_Unpickled(marker)), r"not a \.npy file.*never done")
    objects = folder / "objects.npy"
    np.save(objects, np.array([_Unpickled(marker), 1], dtype=object), allow_pickle=True)
    out["object array"] = (objects, r"Python objects, which are never unpickled")
    npz = folder / "arrays.npz"
    np.savez(npz, X=X)
    out["npz archive"] = (npz, r"must be a \.npy file or a FITS file")
    # fit wants a file; predict reads every image file in a folder, and this one has none
    put("a folder", "folder", r"(is a|not a) (folder|directory|file)|holds no image files")
    out["missing file"] = (folder / "missing.npy", r"Image file not found")
    np.save(folder / "nan.npy", _nan_in_every_image(X))
    out["NaN pixels"] = (folder / "nan.npy", r"non-finite pixels")
    np.save(folder / "complex.npy", X + 1j)
    out["complex pixels"] = (folder / "complex.npy", r"holds complex64 values, not pixel numbers")
    np.save(folder / "flat.npy", X[..., 0].reshape(len(X), -1))
    out["2-d array"] = (folder / "flat.npy", r"holds an array of shape \(12, 256\)")
    np.save(folder / "five_d.npy", X[:, None])
    out["5-d array"] = (folder / "five_d.npy", r"holds an array of shape \(12, 1, 16, 16, 3\)")
    np.save(folder / "zero.npy", X[:0])
    out["zero images"] = (folder / "zero.npy", r"holds no images")
    np.save(folder / "bands.npy", X[..., :2])
    out["wrong channel count"] = (folder / "bands.npy", r"2 band\(s\), but the model")
    return out


_NPY_CASES = ["empty file", "truncated", "header only", "text with a .npy suffix",
              "pickled object", "object array", "npz archive", "a folder", "missing file",
              "NaN pixels", "complex pixels", "2-d array", "5-d array", "zero images",
              "wrong channel count"]


def _npy_params(command):
    params = []
    for case in _NPY_CASES:
        if command == "fit" and case == "wrong channel count":
            continue
        marks = []
        params.append(pytest.param(case, marks=marks, id=f"{command}-{case}"))
    return params


def _run_cli(argv, capsys, command, inputs):
    before = {path: snapshot(path) for path in inputs}
    assert main([str(a) for a in argv]) == 1
    line = _one_line_error(capsys, command)
    for path, content in before.items():
        assert snapshot(path) == content, f"{path} changed"
    return line


@pytest.mark.parametrize("case", _npy_params("predict"))
def test_cli_predict_rejects_malformed_image_files(case, files, data, tmp_path, capsys):
    marker = tmp_path / "UNPICKLED"
    path, match = _npy_variants(tmp_path, data[0], marker)[case]
    output = tmp_path / "scores.csv"
    line = _run_cli(["predict", files["model"], path, "-o", output], capsys, "predict",
                    [path, files["model"]])
    assert re.search(match, line), line
    assert not output.exists() and not marker.exists()


@pytest.mark.parametrize("case", _npy_params("fit"))
def test_cli_fit_rejects_malformed_image_files(case, data, tmp_path, capsys):
    marker = tmp_path / "UNPICKLED"
    path, match = _npy_variants(tmp_path, data[0], marker)[case]
    negatives = tmp_path / "negatives.npy"
    np.save(negatives, data[0])
    output = tmp_path / "model.keras"
    line = _run_cli(["fit", "--positives", path, "--negatives", negatives, "-o", output,
                     "--arch", "compact", "--epochs", "1", "-q"], capsys, "fit",
                    [path, negatives])
    assert re.search(match, line), line
    assert not output.exists() and not marker.exists()


@pytest.mark.parametrize("case", [c for c in _NPY_CASES if c != "wrong channel count"])
def test_cli_inject_rejects_malformed_image_files(case, data, tmp_path, capsys):
    marker = tmp_path / "UNPICKLED"
    path, match = _npy_variants(tmp_path, data[0], marker)[case]
    match = match.replace("non-finite pixels", "hosts has non-finite pixels")
    output = tmp_path / "injected"
    line = _run_cli(["inject", path, "-o", output, "--pixel-scale", "0.263", "--zeropoint", "30",
                     "--psf-fwhm", "1.3", "--einstein-radius", "0.5", "1.0"], capsys, "inject",
                    [path])
    assert re.search(match, line), line
    assert not output.exists() and not marker.exists()


# score_files reads .npy files memory-mapped (and HDF5 too): where its words differ from the CLI's
_SCORE_FILES_MATCHES = {
    "npz archive": (ValueError, r"image files must be \.npy, FITS .* or HDF5"),
    "missing file": (FileNotFoundError, r"Image file not found"),
    "wrong channel count": (ValueError, r"2 band\(s\), but .*model\.keras was trained on"),
}


@pytest.mark.parametrize("case", [c for c in _NPY_CASES if c != "NaN pixels"])
def test_score_files_rejects_malformed_image_files(case, files, data, tmp_path):
    from skbia import score_files

    marker = tmp_path / "UNPICKLED"
    path, match = _npy_variants(tmp_path, data[0], marker)[case]
    error, match = _SCORE_FILES_MATCHES.get(case, (ValueError, match))
    before = snapshot(path)
    output = tmp_path / "scores.csv"
    with pytest.raises(error, match=match):
        score_files(files["model"], path, output, progress=False)
    assert snapshot(path) == before
    assert not output.exists() and not marker.exists()


def test_score_files_lists_images_with_nan_pixels_as_skipped(files, data, tmp_path):
    # a stream of files is not stopped by bad images: each is listed with its reason
    from skbia import score_files

    path = tmp_path / "nan.npy"
    np.save(path, _nan_in_every_image(data[0]))
    summary = score_files(files["model"], path, tmp_path / "scores.csv", progress=False)
    assert (summary.n_scored, summary.n_skipped) == (0, N_IMAGES)
    skipped = summary.skipped_file.read_text()
    assert len(skipped.strip().splitlines()) == N_IMAGES + 1 and "non-finite" in skipped


@pytest.mark.parametrize("spelling", ["same", "./same"])
def test_cli_fit_refuses_one_file_as_positives_and_negatives(spelling, data, tmp_path, capsys,
                                                             monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "same.npy", data[0])
    line = _run_cli(["fit", "--positives", "same.npy", "--negatives", f"{spelling}.npy", "-o",
                     "model.keras", "-q"], capsys, "fit", [tmp_path / "same.npy"])
    assert "name the same file" in line and "labelled both 1 and 0" in line
    assert not (tmp_path / "model.keras").exists()


def _label_variants(folder: Path, y: np.ndarray, marker: Path) -> dict:
    variants = {
        "continuous floats": (np.linspace(0.05, 0.95, len(y)), r"non-integer numbers"),
        "2-d labels": (np.c_[y, y], r"labels must be a 1-d array"),
        "one class only": (np.ones_like(y), r"holds only the label 1"),
        "NaN label": (np.where(np.arange(len(y)) == 0, np.nan, y), r"1 NaN or infinite labels"),
        "fewer labels than images": (y[:-2], r"holds 10 labels but .* holds 12 images"),
    }
    out = {}
    for name, (labels, match) in variants.items():
        path = folder / f"labels_{len(out)}.npy"
        np.save(path, labels)
        out[name] = (path, match)
    pickled = folder / "labels_pickle.npy"
    pickled.write_bytes(pickle.dumps(_Unpickled(marker)))
    out["pickled object"] = (pickled, r"not a \.npy file.*never done")
    return out


@pytest.mark.parametrize("case", [*BAD_LABELS, "pickled object"])
def test_cli_fit_rejects_malformed_label_files(case, data, tmp_path, capsys):
    marker = tmp_path / "UNPICKLED"
    X, y = data
    images = tmp_path / "images.npy"
    np.save(images, X)
    path, match = _label_variants(tmp_path, y, marker)[case]
    output = tmp_path / "model.keras"
    line = _run_cli(["fit", "--images", images, "--labels", path, "-o", output, "-q"], capsys,
                    "fit", [images, path])
    assert re.search(match, line), line
    assert not output.exists() and not marker.exists()


_CONFIGS = {
    "a list, not a mapping": ("c.yaml", b"- classifier\n- augmenter\n",
                              r"must be a mapping of sections"),
    "a number, not a mapping": ("c.yaml", b"42\n", r"must be a mapping of sections"),
    "a JSON list": ("c.json", b"[1, 2]", r"must be a mapping of sections"),
    "unknown section": ("c.yaml", b"classifer:\n  epochs: 2\n",
                        r"unknown section\(s\) \['classifer'\]"),
    "section not a mapping": ("c.yaml", b"classifier: [1, 2]\n",
                              r"Section 'classifier' .* must be a mapping"),
    "invalid YAML": ("c.yaml", b"classifier: [1, 2\n", r"Cannot parse the YAML file"),
    "invalid JSON": ("c.json", b"{", r"Cannot parse the JSON file"),
    "python object tag": ("c.yaml", b"!!python/object/apply:os.system ['echo hi']\n",
                          r"Cannot parse the YAML file .*could not determine a constructor"),
    "unknown suffix": ("c.txt", b"classifier: {}\n", r"must end in \.yaml, \.yml or \.json"),
    "not UTF-8": ("c.yaml", b"\xff\xfeclassifier: {}\n", r"c\.yaml"),
    "missing file": ("missing.yaml", None, r"Configuration file not found"),
    "a folder": ("folder.yaml", "folder", r"(is a|not a) (folder|directory|file)"),
}
_CONFIG_XFAILS: dict = {}


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=[xfail(_CONFIG_XFAILS[c])] if c in _CONFIG_XFAILS else [], id=c)
     for c in _CONFIGS],
)
@pytest.mark.parametrize("command", ["fit", "tune"])
def test_cli_rejects_malformed_configs(command, case, data, tmp_path, capsys):
    name, content, match = _CONFIGS[case]
    config = tmp_path / name
    if content == "folder":
        config.mkdir()
    elif content is not None:
        config.write_bytes(content)
    X, y = data
    images, labels = tmp_path / "images.npy", tmp_path / "labels.npy"
    np.save(images, X)
    np.save(labels, y)
    output = tmp_path / ("model.keras" if command == "fit" else "search")
    line = _run_cli([command, "--images", images, "--labels", labels, "--config", config,
                     "-o", output, "-q"], capsys, command, [config, images, labels])
    assert re.search(match, line), line
    assert not output.exists()


@pytest.mark.parametrize(
    "case",
    [
        "truncated", "text, not a zip", "zip without skbia.json", "newer format version",
        "metadata without a Keras model",
    ],
)
def test_cli_predict_rejects_malformed_model_files(case, files, data, tmp_path, capsys):
    write = _model_variants(files)[case][0]
    model = tmp_path / "model.keras"
    write(model)
    images = tmp_path / "images.npy"
    np.save(images, data[0])
    output = tmp_path / "scores.csv"
    line = _run_cli(["predict", model, images, "-o", output], capsys, "predict", [model, images])
    assert str(model) in line and re.search(r"not a saved skbia|format version|no skbia", line)
    assert not output.exists()


@pytest.mark.parametrize("case", ["not JSON", "member file truncated", "manifest missing"])
def test_cli_predict_rejects_corrupt_ensemble_folders(case, files, data, tmp_path, capsys):
    change, _, match = _manifest_variants(files["manifest"])[case]
    folder = tmp_path / "ensemble"
    shutil.copytree(files["ensemble"], folder)
    change(folder)
    images = tmp_path / "images.npy"
    np.save(images, data[0])
    output = tmp_path / "scores.csv"
    line = _run_cli(["predict", folder, images, "-o", output], capsys, "predict",
                    [folder, images])
    assert re.search(match, line), line
    assert not output.exists()


def test_python_dash_m_skbia_exits_1_with_one_line(tmp_path, files):
    """The real process: exit status 1, one line on stderr, no traceback, nothing unpickled."""
    import subprocess
    import sys

    marker = tmp_path / "UNPICKLED"
    images = tmp_path / "images.npy"
    images.write_bytes(pickle.dumps(_Unpickled(marker)))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-m", "skbia", "predict", str(files["model"]), str(images),
         "-o", str(tmp_path / "scores.csv")],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skbia predict: error: "), result.stderr
    assert "not a .npy file" in lines[0]
    assert not marker.exists() and not (tmp_path / "scores.csv").exists()
