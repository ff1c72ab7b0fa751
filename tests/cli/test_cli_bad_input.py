"""Bad input on the command line: each expected failure is one line, before any work."""

import contextlib
import gzip
import io
import os
import re
from pathlib import Path

import numpy as np
import pytest

from skbia.cli import build_parser, main
from skbia.cli._common import MAX_CLASSES, gather_config, load_images
from skbia.cli._config import TUNE_SECTIONS, load_config, parse_assignment
from tests.cli.conftest import assert_one_line_error, run_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A small two-class image set on disk (16x16 px, 3 bands) plus an empty model file."""
    folder = tmp_path_factory.mktemp("bad_input")
    rng = np.random.default_rng(0)
    positives = rng.normal(5, 1, size=(6, 16, 16, 3)).astype("f4")
    positives[:, 6:10, 6:10, :] += 40
    negatives = rng.normal(5, 1, size=(18, 16, 16, 3)).astype("f4")
    np.save(folder / "p.npy", positives)
    np.save(folder / "n.npy", negatives)
    X = np.concatenate([positives, negatives])
    np.save(folder / "X.npy", X)
    np.save(folder / "y.npy", np.r_[np.ones(6, int), np.zeros(18, int)])
    (folder / "model.keras").write_bytes(b"")  # exists; never loaded by these tests
    return folder


# should a check fail to stop it, the training stays tiny
_TINY = ["--arch", "compact", "--set", "filter_scale=0.125", "--epochs", "1", "--image-size", "12"]


def _training(folder):
    return ["--positives", str(folder / "p.npy"), "--negatives", str(folder / "n.npy")]


# ----------------------------------------------------------------- 1. outputs, checked first


@pytest.mark.parametrize(
    ("output", "extra", "match"),
    [
        ("model.h5", [], "must end in '.keras'"),
        ("model.KERAS", [], "must end in '.keras'"),
        ("missing/model.keras", [], "does not exist; create it first"),
        ("existing.keras", [], "already exists; pass --overwrite"),
        ("a_folder", [], "is a folder"),
        ("m.keras", ["--history-plot", "curves.txt"], "--history-plot: "),
        ("m.keras", ["--history-plot", "existing.png"], "already exists; pass --overwrite"),
        ("m.keras", ["--history-plot", "a_folder"], "--history-plot: "),
        ("ens", ["--ensemble", "2", "--history-plot", "existing.png"], "existing_member1.png"),
    ],
)
def test_fit_outputs_are_checked_before_the_data(tmp_path, capsys, output, extra, match):
    (tmp_path / "existing.keras").write_bytes(b"old model")
    (tmp_path / "existing.png").write_bytes(b"old plot")
    (tmp_path / "existing_member1.png").write_bytes(b"old plot")
    (tmp_path / "a_folder").mkdir()
    extra = [str(tmp_path / e) if e.endswith((".txt", ".png")) or e == "a_folder" else e
             for e in extra]
    # no data files: an output error must come first
    status, out, err = run_cli(["fit", *_training(tmp_path), *extra, "-o", str(tmp_path / output),
                                "-q"], capsys)
    assert_one_line_error(status, err, match)
    assert out == ""
    assert (tmp_path / "existing.keras").read_bytes() == b"old model"


def test_fit_overwrite_lets_the_output_check_pass(tmp_path, capsys):
    (tmp_path / "existing.keras").write_bytes(b"old model")
    status, _, err = run_cli(["fit", *_training(tmp_path), "-o", str(tmp_path / "existing.keras"),
                              "--overwrite", "-q"], capsys)
    assert_one_line_error(status, err, "Image file not found")  # got as far as the data


@pytest.mark.parametrize(
    ("output", "match"),
    [
        ("scores.txt", "must end in '.csv'"),
        ("missing/scores.csv", "does not exist; create it first"),
        ("existing.csv", "already exists; pass --overwrite"),
        ("a_folder", "is a folder"),
    ],
)
def test_predict_output_is_checked_before_the_model_and_images(tmp_path, capsys, output,
                                                               match):
    (tmp_path / "existing.csv").write_text("index,predicted,score_1\n")
    (tmp_path / "a_folder").mkdir()
    # neither the model nor the images exist: the output error must come first
    status, out, err = run_cli(["predict", str(tmp_path / "none.keras"), str(tmp_path / "x.npy"),
                                "-o", str(tmp_path / output)], capsys)
    assert_one_line_error(status, err, "--output", match)
    assert out == "" and (tmp_path / "existing.csv").read_text() == "index,predicted,score_1\n"


@pytest.mark.parametrize(
    ("output", "match"),
    [
        ("a_file.txt", "is a file"),
        ("missing/out", "does not exist; create it first"),
        ("earlier", "already holds output of an earlier run"),
    ],
)
def test_tune_output_is_checked_before_the_data(tmp_path, capsys, output, match):
    (tmp_path / "a_file.txt").write_text("x")
    (tmp_path / "earlier").mkdir()
    (tmp_path / "earlier" / "search.joblib").write_bytes(b"old search")
    (tmp_path / "c.yaml").write_text("search: {n_iter: 1}\n")
    status, out, err = run_cli(["tune", "-c", str(tmp_path / "c.yaml"), *_training(tmp_path),
                                "-o", str(tmp_path / output)], capsys)
    assert_one_line_error(status, err, "--output", match)
    assert out == "" and (tmp_path / "earlier" / "search.joblib").read_bytes() == b"old search"
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    ("output", "match"),
    [("a_file.txt", "is a file"), ("missing/demo", "does not exist; create it first"),
     ("earlier", "already holds output of an earlier run (metrics.json)")],
)
def test_demo_output_is_checked_before_simulating(tmp_path, capsys, output, match):
    (tmp_path / "a_file.txt").write_text("x")
    (tmp_path / "earlier").mkdir()
    (tmp_path / "earlier" / "metrics.json").write_text("{}")
    (tmp_path / "earlier" / "notes.txt").write_text("mine")
    status, out, err = run_cli(["demo", "--fast", "-q", "-o", str(tmp_path / output)], capsys)
    assert_one_line_error(status, err, "--output", match)
    assert out == "" and not (tmp_path / "missing").exists()
    assert (tmp_path / "earlier" / "metrics.json").read_text() == "{}"


def test_every_subcommand_documents_overwrite(capsys):
    for command in ("demo", "fit", "predict", "tune"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "--overwrite" in capsys.readouterr().out, command


# ----------------------------------------------------------------- 2. predict --batch-size


class _FakeClassifier:
    """Stands in for a loaded CNNClassifier: records the size of every predict_proba call."""

    def __init__(self, classes=(0, 1), positive=None, nan_at=None, raises=False, offset=6.0):
        self.classes_ = np.asarray(classes)
        if positive is not None:
            self.positive_label_ = positive
        self.input_shape_ = (16, 16, 3)
        self.batch_size = 32
        self.calls = []
        self.nan_at, self.raises, self.offset = nan_at, raises, offset

    def set_params(self, **params):
        self.__dict__.update(params)
        return self

    def predict_proba(self, X):
        self.calls.append(len(X))
        if self.raises:
            raise FloatingPointError("The network output NaN for 1 of 5 images.")
        score = 1 / (1 + np.exp(-np.asarray(X, dtype=float).mean(axis=(1, 2, 3)) + self.offset))
        if self.nan_at is not None and len(self.calls) == 1:  # in the first chunk only
            score[self.nan_at] = np.nan
        return np.column_stack([1 - score, score])


def _predict(monkeypatch, capsys, data, model, tmp_path, *extra):
    monkeypatch.setattr("skbia.cli._predict.load_model", lambda path: model)
    return run_cli(["predict", str(data / "model.keras"), str(data / "X.npy"),
                    "-o", str(tmp_path / "s.csv"), *extra], capsys)


@pytest.mark.parametrize("value", ["0", "-3"])
def test_predict_refuses_a_batch_size_below_one(value, monkeypatch, capsys, data, tmp_path):
    status, out, err = _predict(monkeypatch, capsys, data, _FakeClassifier(), tmp_path,
                                "--batch-size", value)
    assert_one_line_error(status, err, f"--batch-size must be a positive integer; got {value}")
    assert out == "" and not (tmp_path / "s.csv").exists()


def test_predict_scores_batch_size_images_at_a_time(monkeypatch, capsys, data, tmp_path):
    model = _FakeClassifier()
    status, out, _ = _predict(monkeypatch, capsys, data, model, tmp_path, "--batch-size", "5")
    assert status == 0 and "5 at a time" in out
    assert model.calls == [5, 5, 5, 5, 4] and model.batch_size == 5
    table = np.genfromtxt(tmp_path / "s.csv", delimiter=",", names=True)
    expected = _FakeClassifier().predict_proba(np.load(data / "X.npy"))[:, 1]
    np.testing.assert_allclose(table["score_1"], expected, rtol=1e-5)


def test_chunked_rank_averages_rank_among_all_images(monkeypatch, capsys, data, tmp_path):
    from skbia.ensemble import FoldEnsembleClassifier

    members = [_FakeClassifier(), _FakeClassifier(offset=8.0)]
    ensemble = FoldEnsembleClassifier(None, n_folds=2, average="rank")
    ensemble.estimators_, ensemble.classes_ = members, np.array([0, 1])
    status, out, _ = _predict(monkeypatch, capsys, data, ensemble, tmp_path, "--batch-size", "7")
    assert status == 0 and "not probabilities" in out
    assert members[0].calls == members[1].calls == [7, 7, 7, 3]
    X = np.load(data / "X.npy")
    table = np.genfromtxt(tmp_path / "s.csv", delimiter=",", names=True)
    np.testing.assert_allclose(table["score_1"], ensemble.predict_proba(X)[:, 1], rtol=1e-5)
    np.testing.assert_array_equal(table["predicted"], ensemble.predict(X))


# ----------------------------------------------------------------- 10. score_<label>, NaN


def test_binary_score_column_names_the_positive_class(monkeypatch, capsys, data, tmp_path):
    model = _FakeClassifier(classes=("lens", "other"), positive="lens")
    status, _, _ = _predict(monkeypatch, capsys, data, model, tmp_path)
    assert status == 0
    lines = (tmp_path / "s.csv").read_text().splitlines()
    assert lines[0] == "index,predicted,score_lens"
    proba = _FakeClassifier().predict_proba(np.load(data / "X.npy"))
    # the lens column is the first one of classes_ ("lens" < "other")
    np.testing.assert_allclose([float(line.split(",")[2]) for line in lines[1:]], proba[:, 0],
                               rtol=1e-5)


def test_score_column_without_positive_label_is_the_last_class(monkeypatch, capsys, data,
                                                               tmp_path):
    assert _predict(monkeypatch, capsys, data, _FakeClassifier(), tmp_path)[0] == 0
    assert (tmp_path / "s.csv").read_text().splitlines()[0] == "index,predicted,score_1"


def test_nan_scores_write_no_csv(monkeypatch, capsys, data, tmp_path):
    model = _FakeClassifier(nan_at=3)
    status, _, err = _predict(monkeypatch, capsys, data, model, tmp_path, "--batch-size", "8")
    assert_one_line_error(status, err, "NaN or infinite scores for 1 of 24 images",
                           "index 3", "no CSV written")
    assert list(tmp_path.iterdir()) == []  # neither the CSV nor a partial one


def test_floating_point_error_from_the_model_writes_no_csv(monkeypatch, capsys, data,
                                                           tmp_path):
    status, _, err = _predict(monkeypatch, capsys, data, _FakeClassifier(raises=True), tmp_path)
    assert_one_line_error(status, err, "NaN")
    assert list(tmp_path.iterdir()) == []


def test_predict_names_images_of_the_wrong_size(monkeypatch, capsys, data, tmp_path):
    model = _FakeClassifier()
    model.input_shape_ = (32, 32, 3)
    status, _, err = _predict(monkeypatch, capsys, data, model, tmp_path)
    assert_one_line_error(status, err, "X.npy holds 16x16-pixel images with 3 band(s)",
                           "trained on 32x32-pixel images")
    assert model.calls == []


# ----------------------------------------------------------------- 3. unreadable files


def _npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


_X_BYTES = _npy_bytes(np.zeros((4, 8, 8, 3), "f4"))


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (_X_BYTES[: len(_X_BYTES) // 2], "truncated"),
        (_X_BYTES[:40], "empty or truncated"),
        (b"", "empty or truncated"),
        (os.urandom(300), "not a .npy file"),
        (_npy_bytes(np.array([{"a": 1}, None], dtype=object)), "Python objects"),
    ],
    ids=["half", "header", "empty", "garbage", "objects"],
)
def test_unreadable_npy_is_one_line_naming_the_file(tmp_path, capsys, content, match):
    (tmp_path / "bad.npy").write_bytes(content)
    np.save(tmp_path / "n.npy", np.zeros((4, 8, 8, 3), "f4"))
    status, out, err = run_cli(["fit", "--positives", str(tmp_path / "bad.npy"), "--negatives",
                                str(tmp_path / "n.npy"), "-o", str(tmp_path / "m.keras")], capsys)
    assert_one_line_error(status, err, "bad.npy", match)
    assert "allow_pickle" not in err and out == ""


def test_npz_archive_named_npy(tmp_path):
    with open(tmp_path / "x.npy", "wb") as handle:
        np.savez(handle, images=np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match=r"x.npy is an .npz archive \(1 arrays: images\)"):
        load_images(tmp_path / "x.npy")


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.arange(10.0), r"shape \(10,\) \(a label file\? give it to --labels\)"),
        (np.zeros((0, 8, 8, 3)), "holds no images"),
        (np.array([[["a"]]]), "not pixel numbers"),
    ],
)
def test_npy_that_is_not_an_image_stack(tmp_path, array, match):
    np.save(tmp_path / "x.npy", array)
    with pytest.raises(ValueError, match=match):
        load_images(tmp_path / "x.npy")


def test_fits_cube_in_the_other_axis_order_hints_at_channels_first(tmp_path, capsys):
    fits = pytest.importorskip("astropy.io.fits")
    cube = np.zeros((5, 3, 32, 32), ">f4")  # (n, bands, height, width)
    fits.PrimaryHDU(cube).writeto(tmp_path / "cf.fits")
    (tmp_path / "m.keras").write_bytes(b"")
    status, _, err = run_cli(["predict", str(tmp_path / "m.keras"), str(tmp_path / "cf.fits"),
                              "-o", str(tmp_path / "s.csv")], capsys)
    assert_one_line_error(status, err, "cf.fits holds shape (5, 3, 32, 32)",
                           "pass --channels-first")
    assert load_images(tmp_path / "cf.fits", channels_first=True).shape == (5, 32, 32, 3)
    fits.PrimaryHDU(np.moveaxis(cube, 1, -1)).writeto(tmp_path / "cl.fits")
    with pytest.raises(ValueError, match="leave out --channels-first"):
        load_images(tmp_path / "cl.fits", channels_first=True)
    assert load_images(tmp_path / "cl.fits").shape == (5, 32, 32, 3)
    np.save(tmp_path / "cf.npy", cube)
    with pytest.raises(ValueError, match="pass --channels-first"):
        load_images(tmp_path / "cf.npy")


@pytest.mark.parametrize("name", ["cube.fits", "cube.fits.gz"])
def test_truncated_fits_is_one_line_naming_the_file(tmp_path, capsys, name):
    fits = pytest.importorskip("astropy.io.fits")
    buffer = io.BytesIO()
    fits.PrimaryHDU(np.zeros((20, 16, 16, 3), ">f4")).writeto(buffer)
    content = buffer.getvalue()
    if name.endswith(".gz"):
        content = gzip.compress(content)
    (tmp_path / name).write_bytes(content[: len(content) // 2])
    (tmp_path / "m.keras").write_bytes(b"")
    with pytest.raises(ValueError, match=re.escape(str(tmp_path / name))):
        load_images(tmp_path / name)
    status, _, err = run_cli(["predict", str(tmp_path / "m.keras"), str(tmp_path / name),
                              "-o", str(tmp_path / "s.csv")], capsys)
    assert_one_line_error(status, err, name, "truncated")
    assert "WARNING" not in err


def test_a_folder_given_as_an_input_file_is_named_as_a_folder(data, tmp_path, capsys):
    (tmp_path / "X.npy").mkdir()
    (tmp_path / "y.npy").mkdir()
    (tmp_path / "c.yaml").mkdir()
    status, _, err = run_cli(["fit", "-X", str(tmp_path / "X.npy"), "-y", str(data / "y.npy"),
                              "-o", str(tmp_path / "m.keras")], capsys)
    assert_one_line_error(status, err, "X.npy is a folder, not an image file")
    status, _, err = run_cli(["fit", "-X", str(data / "X.npy"), "-y", str(tmp_path / "y.npy"),
                              "-o", str(tmp_path / "m.keras")], capsys)
    assert_one_line_error(status, err, "y.npy is a folder, not a .npy label file")
    status, _, err = run_cli(["fit", *_training(data), "-c", str(tmp_path / "c.yaml"),
                              "-o", str(tmp_path / "m.keras")], capsys)
    assert_one_line_error(status, err, "c.yaml is a folder, not a configuration file")


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"classifier: [1, 2\n", r"c\.yaml: expected ',' or '\]'.*\(line 2, column 1\)"),
        (b"!!python/object/apply:os.system ['echo hi']\n",
         r"c\.yaml: could not determine a constructor .*\(line 1, column 1\)"),
        (b"\xff\xfeclassifier: {}\n", r"c\.yaml: it is not UTF-8 text"),
    ],
    ids=["unclosed", "python-tag", "not-utf8"],
)
def test_unreadable_config_is_one_line_naming_the_file(data, tmp_path, capsys, content, match):
    (tmp_path / "c.yaml").write_bytes(content)
    status, _, err = run_cli(["fit", *_training(data), "-c", str(tmp_path / "c.yaml"),
                              "-o", str(tmp_path / "m.keras")], capsys)
    assert_one_line_error(status, err)
    assert re.search(match, err), err


def test_a_message_over_several_lines_is_reported_on_one(monkeypatch, tmp_path, capsys):
    def fails(args):
        raise ValueError("All 1 trials failed. First error:\n\nTraceback ...\n  File x\n"
                         "ValueError: the crop is larger than the image.\n")

    monkeypatch.setattr("skbia.cli._predict.run_predict", fails)
    status, _, err = run_cli(["predict", "m.keras", "x.npy"], capsys)
    assert_one_line_error(status, err, "All 1 trials failed. First error: ... ValueError: the "
                           "crop is larger than the image. (--debug shows the whole message)")


# ----------------------------------------------------------------- 4. label files


@pytest.mark.parametrize(
    ("labels", "match"),
    [
        (np.zeros((24, 16, 16, 3)), "labels must be a 1-d array"),
        (np.r_[np.ones(6), np.zeros(18)][:, None], "got shape (24, 1)"),
        (np.random.default_rng(0).normal(100, 300, 24), "non-integer numbers"),
        (np.arange(24), "24 distinct labels"),
        (np.zeros(10, int), "holds 10 labels but"),
        (np.zeros(24, int), "only the label 0"),
        (np.r_[np.ones(6), np.zeros(17), np.nan], "NaN"),
    ],
    ids=["images", "column", "floats", "ids", "short", "one-class", "nan"],
)
def test_bad_labels_fail_before_any_class_summary(data, tmp_path, capsys, labels, match):
    np.save(tmp_path / "labels.npy", labels)
    status, out, err = run_cli(["fit", "-X", str(data / "X.npy"), "-y",
                                str(tmp_path / "labels.npy"), *_TINY, "-o",
                                str(tmp_path / "m.keras"), "-q"], capsys)
    assert_one_line_error(status, err, "--labels", "labels.npy", match)
    assert out == ""  # no "class 439.76: 1" lines


@pytest.mark.parametrize(
    "labels",
    [np.r_[np.ones(6), np.zeros(18)], np.array(["lens"] * 6 + ["other"] * 18),
     np.r_[np.ones(6, bool), np.zeros(18, bool)], np.arange(24) % MAX_CLASSES],
    ids=["whole-floats", "strings", "booleans", "max-classes"],
)
def test_good_labels_pass_unchanged(data, tmp_path, labels):
    np.save(tmp_path / "labels.npy", labels)
    from skbia.cli._common import load_training_data

    args = build_parser().parse_args(["fit", "-X", str(data / "X.npy"), "-y",
                                      str(tmp_path / "labels.npy"), "-o", "m.keras"])
    _, y = load_training_data(args)
    assert y.dtype == labels.dtype
    np.testing.assert_array_equal(y, labels)


def test_labels_help_states_the_class_limit(capsys):
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    assert f"2 to {MAX_CLASSES} distinct values" in " ".join(capsys.readouterr().out.split())


# ----------------------------------------------------------------- 5. tune space vs data


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ("augmenter: {n_copies: 1}\n"
         "space: {tune_augmentation: true, image_size: [8, 40]}\n",
         "space.image_size reaches a 40-pixel crop but the images are 16x16"),
        ("classifier: {arch: compact, filter_scale: 0.125, epochs: 1, image_size: 20}\n"
         "space: {image_size: null}\n",
         "classifier.image_size=20 is larger than the 16x16-pixel images"),
        ("augmenter: {n_copies: 1}\nspace: {tune_augmentation: true, image_size: null, "
         "max_pixel: [10, 100], n_bands: 2}\n",
         "space.n_bands=2 tunes one max_pixel per band, but the images have 3 band(s)"),
        ("augmenter: {n_copies: 1}\nspace: {tune_augmentation: true, image_size: null, "
         "max_mask_size: 9}\n", "space.max_mask_size=9 cannot fit the images"),
        ("search: {n_iter: 1, cv: 8}\n", "search.cv=8 stratified folds need at least 8 images"),
    ],
    ids=["crop-range", "fixed-crop", "bands", "cutouts", "cv"],
)
def test_tune_checks_the_space_against_the_data_before_any_trial(data, tmp_path, capsys,
                                                                  config, match):
    base = ("classifier: {arch: compact, filter_scale: 0.125, epochs: 1, image_size: 12, "
            "verbose: 0}\n")
    if config.startswith("classifier:"):
        base, config = config, ""
    (tmp_path / "c.yaml").write_text(base + config + ("" if "search:" in config else
                                                      "search: {n_iter: 1, cv: 2}\n"))
    out_dir = tmp_path / "search"
    status, out, err = run_cli(["tune", "-c", str(tmp_path / "c.yaml"), *_training(data),
                                "-o", str(out_dir), "-q"], capsys)
    assert_one_line_error(status, err, match)
    assert "trials" not in out and not out_dir.exists()


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ("space: {classifier__image_size: [8, 12]}\n",
         "Section 'space' has no key 'classifier__image_size'. Did you mean 'image_size'?"),
        ("search: {n_iters: 1}\n", "Section 'search' has no key 'n_iters'. Did you mean 'n_iter'?"),
        ("search: {stop_after: 3}\n", "Section 'search' has no key 'stop_after'"),
    ],
)
def test_tune_refuses_an_unknown_space_or_search_key_before_reading_data(tmp_path, capsys,
                                                                          config, match):
    (tmp_path / "c.yaml").write_text(config)
    # the training files do not exist: the key must be reported first
    status, out, err = run_cli(["tune", "-c", str(tmp_path / "c.yaml"), *_training(tmp_path),
                                "-o", str(tmp_path / "search")], capsys)
    assert_one_line_error(status, err, match)
    assert out == "" and not (tmp_path / "search").exists()


# ----------------------------------------------------------------- 6. YAML numbers


def test_scientific_notation_in_a_config_file_is_a_number(tmp_path):
    (tmp_path / "c.yaml").write_text(
        "classifier:\n  learning_rate: 1e-3\n  decay: 1.0e-4\n  epochs: 1E1\n"
        "  name: '1e3'\nspace:\n  learning_rate: [1e-5, 1e-2]\n  max_pixel: [1e1, 1.5e3]\n"
    )
    config = load_config(tmp_path / "c.yaml", TUNE_SECTIONS)
    assert config["classifier"] == {"learning_rate": 1e-3, "decay": 1e-4, "epochs": 10.0,
                                    "name": "1e3"}
    assert config["space"] == {"learning_rate": [1e-5, 1e-2], "max_pixel": [10.0, 1500.0]}
    assert isinstance(config["classifier"]["learning_rate"], float)
    from skbia.tuning import build_search_space

    space = build_search_space(**config["space"], tune_augmentation=True, n_bands=0)
    assert space["cnnclassifier__learning_rate"].low == 1e-5


@pytest.mark.parametrize(
    ("text", "value"),
    [("learning_rate=1e-3", 1e-3), ("learning_rate=5E-4", 5e-4), ("max_pixel=1e3", 1000.0),
     ("max_pixel=[1e2, 2e2]", [100.0, 200.0]), ("name='1e3'", "1e3"), ("name=e3", "e3"),
     ("epochs=10", 10), ("patience=1_0", 10)],
)
def test_scientific_notation_in_set_is_a_number(text, value):
    _, _, parsed = parse_assignment(text)
    assert parsed == value and type(parsed) is type(value)


def test_set_and_config_numbers_reach_the_classifier_section(tmp_path):
    (tmp_path / "c.yaml").write_text("classifier:\n  learning_rate: 1e-2\n")
    args = build_parser().parse_args(["fit", "-c", str(tmp_path / "c.yaml"), "--set",
                                      "positive_weight=2e0", "-o", "m.keras"])
    assert gather_config(args, ("classifier",))["classifier"] == {
        "learning_rate": 0.01, "positive_weight": 2.0}


def test_set_with_an_unknown_section_names_the_assignment():
    args = build_parser().parse_args(["fit", "--set", "model.filter_scale=0.25", "-o", "m.keras"])
    with pytest.raises(ValueError, match=r"--set model.filter_scale=0.25: unknown section "
                                         r"'model'; use one of \['classifier'\]"):
        gather_config(args, ("classifier",))


def test_the_float_rule_does_not_leak_into_pyyaml():
    import yaml

    assert yaml.safe_load("a: 1e3") == {"a": "1e3"}  # other users of PyYAML are unaffected


# ----------------------------------------------------------------- 7. threads


def test_main_makes_idle_openmp_threads_sleep(monkeypatch, tmp_path, capsys):
    (tmp_path / "a_file").write_text("x")
    monkeypatch.setenv("OMP_WAIT_POLICY", "unset-by-the-test")
    monkeypatch.delenv("OMP_WAIT_POLICY")
    assert main(["demo", "-o", str(tmp_path / "a_file")]) == 1
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")  # a user's choice is kept
    assert main(["demo", "-o", str(tmp_path / "a_file")]) == 1
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
    capsys.readouterr()


# ----------------------------------------------------------------- 8. the demo's documented sizes


def _words(path):
    return " ".join((ROOT / path).read_text(encoding="utf-8").split())


def _number(pattern, text):
    found = re.search(pattern, text)
    assert found, pattern
    return [int(group) for group in found.groups()]


def test_getting_started_quotes_the_demo_settings():
    from skbia.cli._demo import DemoSettings

    settings = DemoSettings()
    text = _words("docs/getting_started.rst")
    demo = text[text.index("The demo ---"):text.index("The same thing in Python")]
    assert _number(r"(\d+) strong-lens candidates and (\d+) other objects, (\d+)x(\d+) pixels",
                   demo) == [settings.n_lenses, settings.n_others, settings.simulated_size,
                             settings.simulated_size]
    assert _number(r"test set of (\d+) lenses and (\d+) others", demo) == [
        settings.n_test_lenses, settings.n_test_others]
    assert _number(r"on all (\d+) training images", demo) == [
        settings.n_lenses + settings.n_others]
    assert _number(r"(\d+)-pixel centre crop", demo) == [settings.crop_size]
    assert _number(r"(\d+) epochs", demo) == [settings.epochs]
    assert _number(r"shift of up to (\d+) pixels", demo) == [settings.shift]
    assert not re.search(r"\b64\b", demo)  # the crop the docs once quoted


def test_readme_and_demo_help_quote_the_demo_settings(capsys):
    from skbia.cli._demo import DemoSettings

    settings = DemoSettings()
    readme = _words("README.md")
    assert _number(r"`skbia demo` simulates (\d+) lenses and (\d+) other objects", readme) == [
        settings.n_lenses, settings.n_others]
    assert _number(r"a (\d+)-pixel crop", readme) == [settings.crop_size]
    with contextlib.suppress(SystemExit):
        main(["demo", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert _number(r"Simulate (\d+) lenses and (\d+) other objects", help_text) == [
        settings.n_lenses, settings.n_others]


# ----------------------------------------------------------------- 9. trusted pickles


def test_tune_help_and_docs_say_joblib_files_must_be_trusted(capsys):
    with pytest.raises(SystemExit):
        main(["tune", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "search.joblib" in help_text and "source you trust" in help_text
    for page in ("docs/tuning.rst", "docs/user_guide/command_line.rst"):
        text = _words(page)
        assert "checkpoint.joblib" in text and "source you trust" in text, page
