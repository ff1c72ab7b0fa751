"""Objects pickled by skbia 0.1.0, and by this version, load in a fresh interpreter.

The fixtures in ``tests/fixtures/legacy_0_1_0`` record 0.1.0's flat module
paths (``skbia._search_cv``, ``skbia._geometry``, ...). They are loaded in a
new process with nothing of skbia imported beforehand, as a user's script
would, and must predict exactly what they predicted when written.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import joblib
import numpy as np
import pytest

import skbia
import skbia.tuning
from skbia import _legacy_paths

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "legacy_0_1_0"


def _run_fresh(code: str, *args: str, timeout: float = 600) -> dict:
    """Run ``code`` in a new interpreter (repository on PYTHONPATH); return its JSON output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ the 0.1.0 fixtures
LOAD_LEGACY = """
import json, sys
from pathlib import Path

import joblib
import numpy as np

folder = Path(sys.argv[1])
report = {"skbia_imported_before_load": "skbia" in sys.modules}
images = np.load(folder / "images.npy")
out = {}
for name in ("pipeline", "search", "checkpoint"):
    try:
        out[name] = joblib.load(folder / f"{name}.joblib")
        report[f"{name}_loaded"] = type(out[name]).__module__ + "." + type(out[name]).__name__
    except Exception as error:
        report[f"{name}_loaded"] = f"{type(error).__name__}: {error}"[:2000]

def attempt(key, func):
    try:
        report[key] = func()
    except Exception as error:
        report[key] = f"{type(error).__name__}: {error}"[:2000]

if "pipeline" in out:
    attempt("pipeline_proba", lambda: out["pipeline"].predict_proba(images).tolist())
    attempt("pipeline_params", lambda: sorted(out["pipeline"].get_params(deep=True))[:3])
if "search" in out:
    search = out["search"]
    attempt("search_proba", lambda: search.predict_proba(images).tolist())
    attempt("search_params", lambda: sorted(search.get_params(deep=True))[:3])
    attempt("search_space", lambda: sorted(search.search_spaces))
    attempt("search_trials", lambda: len(search.cv_results_["params"]))

    from skbia.tuning import CNNSearchCV

    def resume(source):
        # every trial of the old search is already there: the error says how many
        again = CNNSearchCV(search.estimator, search.search_spaces, n_iter=search.n_iter)
        try:
            again.fit(images, np.array([0, 1, 0, 1]), resume_from=source)
        except ValueError as error:
            return str(error)
        return "resumed without error"

    attempt("resume_from_search", lambda: resume(search))
    attempt("resume_from_checkpoint", lambda: resume(folder / "checkpoint.joblib"))
if "checkpoint" in out:
    attempt("checkpoint_trials", lambda: len(out["checkpoint"]["x_iters"]))
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def legacy_report() -> dict:
    return _run_fresh(LOAD_LEGACY, str(FIXTURES))


def test_fixtures_load_in_a_fresh_interpreter(legacy_report):
    assert legacy_report["skbia_imported_before_load"] is False
    assert legacy_report["pipeline_loaded"] == "imblearn.pipeline.Pipeline"
    assert legacy_report["search_loaded"] == "skbia.tuning._search_cv.CNNSearchCV"
    assert legacy_report["checkpoint_loaded"] == "builtins.dict"


@pytest.mark.parametrize(("key", "stored"), [("pipeline_proba", "pipeline_proba.npy"),
                                             ("search_proba", "proba.npy")])
def test_fixtures_predict_the_stored_probabilities(legacy_report, key, stored):
    proba = legacy_report.get(key)
    assert isinstance(proba, list), proba
    np.testing.assert_allclose(np.array(proba), np.load(FIXTURES / stored), rtol=0, atol=1e-6)


@pytest.mark.parametrize("key", ["pipeline_params", "search_params"])
def test_loaded_fixtures_have_every_current_parameter(legacy_report, key):
    # get_params (hence clone, repr, refit) needs a value for parameters added since 0.1.0
    assert isinstance(legacy_report.get(key), list), legacy_report.get(key)


def test_old_search_and_checkpoint_are_resumable(legacy_report):
    assert legacy_report["search_space"] == ["cnnclassifier__learning_rate"]
    n_trials = legacy_report["search_trials"]
    assert n_trials == legacy_report["checkpoint_trials"] >= 1
    for key in ("resume_from_search", "resume_from_checkpoint"):
        assert legacy_report[key] == (
            f"The search to resume already ran {n_trials} trials and n_iter={n_trials}; "
            "raise n_iter to run more."
        ), key


# ------------------------------------------------------------------- the module aliases
def test_old_module_name_gives_the_new_objects():
    old = importlib.import_module("skbia._search_cv")
    assert old.CNNSearchCV is skbia.tuning.CNNSearchCV
    assert old.__name__ == "skbia._search_cv"
    # the new module keeps its own identity
    assert skbia.tuning.CNNSearchCV.__module__ == "skbia.tuning._search_cv"
    with pytest.raises(AttributeError):
        old.NoSuchThing  # noqa: B018


@pytest.mark.parametrize(("old", "new"), sorted(_legacy_paths.MOVED_MODULES.items()))
def test_every_moved_module_forwards_to_an_existing_module(old, new):
    target = importlib.import_module(new)
    alias = importlib.import_module(old)
    public = [name for name in vars(target) if not name.startswith("__")]
    assert public, new
    for name in public[:20]:
        assert getattr(alias, name) is getattr(target, name), (old, name)


@pytest.mark.parametrize(
    "name", ["skbia._no_such_module", "skbia._search_cv_v2", "skbia._search_cv.submodule"]
)
def test_unknown_old_looking_names_are_still_missing(name):
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(name)


def test_only_listed_names_are_redirected():
    finder = _legacy_paths.LegacyPathFinder()
    assert finder.find_spec("skbia._search_cv") is not None
    assert finder.find_spec("skbia._classifier") is None
    assert finder.find_spec("skbia.tuning._search_cv") is None
    assert finder.find_spec("sklearn._search_cv") is None
    _legacy_paths.install()  # idempotent
    count = sum(isinstance(f, _legacy_paths.LegacyPathFinder) for f in sys.meta_path)
    assert count == 1


# --------------------------------------------------- objects pickled by this version
LOAD_CURRENT = """
import json, sys
import joblib
import numpy as np

estimator = joblib.load(sys.argv[1])
images = np.load(sys.argv[2])
print(json.dumps({"type": type(estimator).__module__ + "." + type(estimator).__name__,
                  "proba": estimator.predict_proba(images).tolist()}))
"""


def _tiny_classifier(**params):
    from skbia import CNNClassifier

    settings = dict(
        arch="alexnet", filter_scale=1 / 32, min_pixel=-3.0, max_pixel=10.0, epochs=1,
        batch_size=16, random_state=0, run_eagerly=True,
    )
    settings.update(params)
    return CNNClassifier(**settings)


def test_classifier_pickled_now_loads_in_a_fresh_interpreter(blobs, tmp_path):
    # skbia's own Keras objects inside: the scaling layer and the weighted loss
    X, y = blobs
    classifier = _tiny_classifier(
        loss="weighted_binary_crossentropy", positive_weight=3.0
    ).fit(X, y)
    joblib.dump(classifier, tmp_path / "classifier.joblib")
    np.save(tmp_path / "images.npy", X[:6])
    report = _run_fresh(LOAD_CURRENT, str(tmp_path / "classifier.joblib"),
                        str(tmp_path / "images.npy"))
    assert report["type"] == "skbia.classifier._classifier.CNNClassifier"
    np.testing.assert_allclose(report["proba"], classifier.predict_proba(X[:6]), atol=1e-6)


def test_pipeline_pickled_now_loads_in_a_fresh_interpreter(blobs, tmp_path):
    from imblearn.pipeline import make_pipeline

    from skbia import ImageAugmenter

    X, y = blobs
    pipeline = make_pipeline(
        ImageAugmenter(n_copies=1, dihedral=True, random_state=0),
        _tiny_classifier(arch="compact", filter_scale=0.25, scaling="asinh", tta="dihedral"),
    ).fit(X, y)
    joblib.dump(pipeline, tmp_path / "pipeline.joblib")
    np.save(tmp_path / "images.npy", X[:6])
    report = _run_fresh(LOAD_CURRENT, str(tmp_path / "pipeline.joblib"),
                        str(tmp_path / "images.npy"))
    assert report["type"] == "imblearn.pipeline.Pipeline"
    np.testing.assert_allclose(report["proba"], pipeline.predict_proba(X[:6]), atol=1e-6)


LOAD_CHECKPOINT = """
import json, sys
import joblib

state = joblib.load(sys.argv[1])
print(json.dumps({"keys": sorted(state), "trials": len(state["x_iters"]),
                  "params": [sorted(p) for p in state["cv_results"]["params"]]}))
"""


@pytest.mark.slow
def test_search_pickled_now_loads_in_a_fresh_interpreter(blobs, tmp_path):
    from imblearn.pipeline import make_pipeline
    from skopt.space import Real

    from skbia import ImageAugmenter
    from skbia.tuning import CNNSearchCV

    X, y = blobs
    pipeline = make_pipeline(ImageAugmenter(n_copies=1, horizontal=True, random_state=0),
                             _tiny_classifier())
    search = CNNSearchCV(
        pipeline, {"cnnclassifier__learning_rate": Real(1e-4, 1e-2, prior="log-uniform")},
        n_iter=1, cv=2, random_state=0, checkpoint=tmp_path / "checkpoint.joblib",
    ).fit(X, y)
    checkpoint = _run_fresh(LOAD_CHECKPOINT, str(tmp_path / "checkpoint.joblib"))
    assert checkpoint["trials"] == 1
    assert checkpoint["params"] == [["cnnclassifier__learning_rate"]]
    search.save(tmp_path / "search.joblib")
    np.save(tmp_path / "images.npy", X[:6])
    report = _run_fresh(LOAD_CURRENT, str(tmp_path / "search.joblib"),
                        str(tmp_path / "images.npy"))
    assert report["type"] == "skbia.tuning._search_cv.CNNSearchCV"
    np.testing.assert_allclose(report["proba"], search.predict_proba(X[:6]), atol=1e-6)
