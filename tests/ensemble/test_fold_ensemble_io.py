"""Saving a FoldEnsembleClassifier to a folder and loading it back, safely."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from skbia import CNNClassifier, FoldEnsembleClassifier


def test_save_writes_a_manifest_and_one_keras_file_per_member(saved_ensemble,
                                                               pipeline_ensemble):
    names = sorted(p.name for p in saved_ensemble.iterdir())
    assert names == ["ensemble.json", "member_1.keras", "member_2.keras"]
    manifest = json.loads((saved_ensemble / "ensemble.json").read_text())
    assert manifest["format"] == "skbia.FoldEnsembleClassifier"
    assert manifest["format_version"] == 1
    assert (manifest["n_members"], manifest["average"], manifest["classes"]) == (2, "rank", [0, 1])
    assert manifest["params"]["random_state"] == 1
    np.testing.assert_array_equal(manifest["oof_proba"], pipeline_ensemble.oof_proba_)


def test_load_round_trip(blobs, saved_ensemble, pipeline_ensemble):
    X, _ = blobs
    loaded = FoldEnsembleClassifier.load(saved_ensemble)
    np.testing.assert_allclose(loaded.predict_proba(X), pipeline_ensemble.predict_proba(X),
                               rtol=1e-6)
    np.testing.assert_array_equal(loaded.predict(X), pipeline_ensemble.predict(X))
    np.testing.assert_array_equal(loaded.classes_, pipeline_ensemble.classes_)
    np.testing.assert_array_equal(loaded.oof_proba_, pipeline_ensemble.oof_proba_)
    for (train, test), (train0, test0) in zip(loaded.fold_indices_,
                                              pipeline_ensemble.fold_indices_, strict=True):
        np.testing.assert_array_equal(train, train0)
        np.testing.assert_array_equal(test, test0)
    assert (loaded.average, loaded.n_folds, loaded.random_state) == ("rank", 2, 1)
    # samplers act only in training: the members are the final classifiers
    assert all(isinstance(m, CNNClassifier) for m in loaded.estimators_)
    assert isinstance(loaded.estimator, CNNClassifier)
    assert loaded.estimator.epochs == 1 and not hasattr(loaded.estimator, "model_")


def test_loads_in_a_fresh_process_and_predicts_the_same(blobs, saved_ensemble,
                                                        pipeline_ensemble, tmp_path):
    X, _ = blobs
    np.save(tmp_path / "X.npy", X)
    code = (
        "import sys, numpy as np\n"
        "from skbia import FoldEnsembleClassifier\n"
        "ensemble = FoldEnsembleClassifier.load(sys.argv[1])\n"
        "X = np.load(sys.argv[2])\n"
        "np.save(sys.argv[3], ensemble.member_proba(X))\n"
    )
    subprocess.run([sys.executable, "-c", code, str(saved_ensemble), str(tmp_path / "X.npy"),
                    str(tmp_path / "p.npy")], check=True, capture_output=True, timeout=300)
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), pipeline_ensemble.member_proba(X),
                               rtol=1e-5, atol=1e-7)


def test_save_folder_rules(pipeline_ensemble, saved_ensemble, tmp_path):
    with pytest.raises(ValueError, match="folder, not a .keras file"):
        pipeline_ensemble.save(tmp_path / "model.keras")
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match="is a file"):
        pipeline_ensemble.save(tmp_path / "file")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("x")
    with pytest.raises(FileExistsError, match="holds no saved ensemble"):
        pipeline_ensemble.save(tmp_path / "busy")
    with pytest.raises(FileExistsError, match="already holds a saved ensemble"):
        FoldEnsembleClassifier.check_save_path(saved_ensemble)
    with pytest.raises(NotFittedError):
        FoldEnsembleClassifier(CNNClassifier()).save(tmp_path / "unfitted")
    assert FoldEnsembleClassifier.check_save_path(tmp_path / "new" / "deep") == (
        tmp_path / "new" / "deep")
    assert not (tmp_path / "new").exists()  # checking creates nothing


def test_overwrite_replaces_only_the_ensembles_files(pipeline_ensemble, saved_ensemble,
                                                     tmp_path):
    folder = tmp_path / "ensemble"
    shutil.copytree(saved_ensemble, folder)
    shutil.copy(folder / "member_1.keras", folder / "member_3.keras")  # a stale member
    (folder / "notes.txt").write_text("kept")
    pipeline_ensemble.save(folder, overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == [
        "ensemble.json", "member_1.keras", "member_2.keras", "notes.txt"]


def test_save_refuses_members_with_prediction_time_transformers(pipeline_ensemble, tmp_path):
    ensemble = copy.copy(pipeline_ensemble)
    ensemble.estimators_ = [
        Pipeline([("scale", FunctionTransformer()), ("cnn", member.steps[-1][1])])
        for member in pipeline_ensemble.estimators_
    ]
    with pytest.raises(TypeError, match=r"'scale'.*transform images.*joblib\.dump"):
        ensemble.save(tmp_path / "ensemble")
    assert not (tmp_path / "ensemble").exists()


def _tampered(saved_ensemble, tmp_path, change):
    folder = tmp_path / "tampered"
    shutil.copytree(saved_ensemble, folder)
    manifest = json.loads((folder / "ensemble.json").read_text())
    change(manifest)
    (folder / "ensemble.json").write_text(json.dumps(manifest))
    return folder


def _set(path, value):
    def change(manifest):
        target = manifest
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (_set(["format"], "skbia.CNNClassifier"), "'format' is not"),
        (_set(["format_version"], "1"), "format_version"),
        (_set(["format_version"], True), "format_version"),
        (_set(["n_members"], 1), "n_members"),
        (_set(["n_members"], 3), "n_folds' must equal"),
        (_set(["average"], "max"), "'average'"),
        (_set(["classes"], "01"), "'classes'"),
        (_set(["classes"], [0, 0]), "distinct"),
        (_set(["classes"], [0, {"__callable__": "tabnanny:check"}]), "'classes'"),
        (_set(["classes_dtype"], "O"), "classes_dtype"),
        (_set(["classes_dtype"], "<U"), "distinct labels"),
        (_set(["params", "estimator"], "tabnanny:check"), "'params' must hold exactly"),
        (_set(["params", "random_state"], {"__callable__": "tabnanny:check"}), "random_state"),
        (_set(["params", "validation"], "all"), "validation"),
        (_set(["params", "shuffle"], 1), "shuffle"),
        (_set(["held_out", 0], []), "held_out"),
        (_set(["held_out", 1, 0], 0), "exactly once"),
        (_set(["n_images"], 3), "held_out"),
        (_set(["oof_proba", 0], [0.5]), "oof_proba"),
        (_set(["oof_proba", 0, 0], "0.5"), "oof_proba"),
        (lambda manifest: manifest.pop("held_out"), "missing entries"),
    ],
)
def test_crafted_manifest_is_rejected(saved_ensemble, tmp_path, change, match):
    folder = _tampered(saved_ensemble, tmp_path, change)
    assert "tabnanny" not in sys.modules
    with pytest.raises(ValueError, match=match):
        FoldEnsembleClassifier.load(folder)
    assert "tabnanny" not in sys.modules  # nothing the manifest names is imported


def test_unreadable_or_newer_manifest(saved_ensemble, tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(saved_ensemble, folder)
    for text, match in [("{nope", "unreadable JSON"), ("[1, 2]", "'format' is not"),
                        ('{"a": NaN}', "unreadable JSON")]:
        (folder / "ensemble.json").write_text(text)
        with pytest.raises(ValueError, match=match):
            FoldEnsembleClassifier.load(folder)
    newer = _tampered(saved_ensemble, tmp_path, _set(["format_version"], 99))
    with pytest.raises(ValueError, match="Upgrade skbia"):
        FoldEnsembleClassifier.load(newer)


def test_missing_or_inconsistent_members(saved_ensemble, tmp_path):
    with pytest.raises(FileNotFoundError, match="No saved ensemble"):
        FoldEnsembleClassifier.load(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no ensemble.json"):
        FoldEnsembleClassifier.load(tmp_path / "empty")
    (tmp_path / "f.keras").write_text("x")
    with pytest.raises(ValueError, match="ensembles are folders"):
        FoldEnsembleClassifier.load(tmp_path / "f.keras")
    folder = tmp_path / "members"
    shutil.copytree(saved_ensemble, folder)
    (folder / "member_2.keras").unlink()
    with pytest.raises(FileNotFoundError, match="lacks its member file member_2.keras"):
        FoldEnsembleClassifier.load(folder)
    (folder / "member_2.keras").write_text("not a zip archive")
    with pytest.raises(ValueError, match="Member 2 of the ensemble.*not a saved skbia model"):
        FoldEnsembleClassifier.load(folder)
    relabelled = _tampered(saved_ensemble, tmp_path, _set(["classes"], [0, 2]))
    with pytest.raises(ValueError, match=r"Member 1 .*has classes \[0, 1\]"):
        FoldEnsembleClassifier.load(relabelled)
