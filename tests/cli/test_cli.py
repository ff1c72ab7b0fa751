import json
import subprocess
import sys
import time

import numpy as np
import pytest

from skbia.cli import build_parser, main
from skbia.cli._common import gather_config, load_images, load_training_data
from skbia.cli._config import TUNE_SECTIONS, load_config, parse_assignment
from skbia.cli._fits import read_fits_cube

# ----------------------------------------------------------------- parsing (no TensorFlow)


def test_help_is_fast_and_does_not_import_tensorflow():
    code = (
        "import sys, contextlib, io\n"
        "from skbia.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'scikeras', 'sklearn') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert time.perf_counter() - start < 5  # a bare interpreter start plus argparse


def test_python_dash_m_skbia_help():
    out = subprocess.run([sys.executable, "-m", "skbia", "--help"], capture_output=True,
                         text=True, check=True)
    for command in ("demo", "fit", "predict", "tune"):
        assert command in out.stdout


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage: skbia" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["demo", "fit", "predict", "tune"])
def test_subcommand_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: skbia {command}" in capsys.readouterr().out


def test_parse_fit_flags():
    args = build_parser().parse_args(
        ["fit", "--positives", "p.npy", "--negatives", "n.npy", "-o", "m.keras", "--epochs", "3",
         "--max-pixel", "10", "20", "30", "--set", "augmenter.n_copies=4", "--set",
         "filter_scale=0.25"]
    )
    assert (args.command, args.epochs, args.max_pixel) == ("fit", 3, [10.0, 20.0, 30.0])
    config = gather_config(args, ("classifier", "augmenter"))
    assert config == {
        "classifier": {"epochs": 3, "max_pixel": [10.0, 20.0, 30.0], "filter_scale": 0.25},
        "augmenter": {"n_copies": 4},
    }


def test_fit_requires_output(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--positives", "p.npy", "--negatives", "n.npy"])
    assert exit_info.value.code == 2
    assert "--output" in capsys.readouterr().err


# ----------------------------------------------------------------- configuration files


def test_yaml_and_json_configs_agree(tmp_path):
    (tmp_path / "c.yaml").write_text(
        "classifier:\n  arch: alexnet\n  max_pixel: [100, 100, 100]\naugmenter:\n"
        "  zoom_range: [0.9, 1.1]\n  rotation: true\n"
    )
    (tmp_path / "c.json").write_text(json.dumps({
        "classifier": {"arch": "alexnet", "max_pixel": [100, 100, 100]},
        "augmenter": {"zoom_range": [0.9, 1.1], "rotation": True},
    }))
    assert load_config(tmp_path / "c.yaml") == load_config(tmp_path / "c.json")
    assert load_config(tmp_path / "c.yaml")["augmenter"]["rotation"] is True


def test_flags_override_config_and_set_overrides_flags(tmp_path):
    (tmp_path / "c.yml").write_text("classifier:\n  epochs: 10\n  patience: 2\n")
    args = build_parser().parse_args(
        ["fit", "-c", str(tmp_path / "c.yml"), "--epochs", "5", "--set", "patience=7", "-o", "m"]
    )
    assert gather_config(args, ("classifier",))["classifier"] == {"epochs": 5, "patience": 7}


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("c.yaml", "classifer:\n  epochs: 3\n", "unknown section"),
        ("c.yaml", "- 1\n- 2\n", "must be a mapping"),
        ("c.yaml", "classifier: 3\n", "Section 'classifier'"),
        ("c.yaml", "classifier: [unclosed\n", "Cannot parse the YAML"),
        ("c.json", "{nope", "Cannot parse the JSON"),
        ("c.toml", "a = 1", "must end in"),
    ],
)
def test_bad_config(tmp_path, name, text, match):
    (tmp_path / name).write_text(text)
    with pytest.raises(ValueError, match=match):
        load_config(tmp_path / name)


def test_missing_config(tmp_path):
    with pytest.raises(FileNotFoundError, match="Configuration file not found"):
        load_config(tmp_path / "none.yaml")


def test_tune_sections_and_assignments():
    assert parse_assignment("space.image_size=[24, 32]") == ("space", "image_size", [24, 32])
    assert parse_assignment("arch=vgg16") == ("classifier", "arch", "vgg16")
    assert "search" in TUNE_SECTIONS
    with pytest.raises(ValueError, match="name=value"):
        parse_assignment("epochs")


# ----------------------------------------------------------------- data files


def test_fits_cube_round_trip(tmp_path):
    fits = pytest.importorskip("astropy.io.fits")
    cube = np.random.default_rng(0).normal(size=(5, 16, 16, 3)).astype(">f4")
    fits.PrimaryHDU(cube).writeto(tmp_path / "cube.fits")
    data = read_fits_cube(tmp_path / "cube.fits")
    assert data.shape == (5, 16, 16, 3)
    np.testing.assert_array_equal(data, cube)
    # channels-first cube in an extension HDU, picked by name
    hdul = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.moveaxis(cube, -1, 1), name="SCI")])
    hdul.writeto(tmp_path / "cf.fits")
    np.testing.assert_array_equal(
        load_images(tmp_path / "cf.fits", hdu="SCI", channels_first=True), cube
    )
    np.testing.assert_array_equal(load_images(tmp_path / "cf.fits", hdu="1",
                                              channels_first=True), cube)


def test_fits_errors(tmp_path):
    fits = pytest.importorskip("astropy.io.fits")
    fits.PrimaryHDU(np.zeros((4, 4), "f4")).writeto(tmp_path / "flat.fits")
    with pytest.raises(ValueError, match="must be 3-d"):
        read_fits_cube(tmp_path / "flat.fits")
    fits.PrimaryHDU().writeto(tmp_path / "empty.fits")
    with pytest.raises(ValueError, match="no HDU with data"):
        read_fits_cube(tmp_path / "empty.fits")
    with pytest.raises(ValueError, match="no HDU 3"):
        read_fits_cube(tmp_path / "flat.fits", hdu=3)


def test_load_images_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="Image file not found"):
        load_images(tmp_path / "missing.npy")
    (tmp_path / "x.txt").write_text("1")
    with pytest.raises(ValueError, match="must be a .npy file or a FITS file"):
        load_images(tmp_path / "x.txt")
    np.save(tmp_path / "x.npy", np.zeros((2, 4, 4, 3)))
    with pytest.raises(ValueError, match="--hdu only applies to FITS"):
        load_images(tmp_path / "x.npy", hdu=1)


def _data_args(tmp_path, *extra):
    return build_parser().parse_args(["fit", *extra, "-o", str(tmp_path / "m.keras")])


def test_load_training_data_by_class_and_together(tmp_path):
    pos, neg = np.ones((3, 8, 8, 2)), np.zeros((5, 8, 8, 2))
    np.save(tmp_path / "p.npy", pos)
    np.save(tmp_path / "n.npy", neg)
    X, y = load_training_data(_data_args(tmp_path, "--positives", str(tmp_path / "p.npy"),
                                         "--negatives", str(tmp_path / "n.npy")))
    assert X.shape == (8, 8, 8, 2)
    np.testing.assert_array_equal(y, [1, 1, 1, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(X[:3], pos)
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "X.npy", X)
    X2, y2 = load_training_data(_data_args(tmp_path, "-X", str(tmp_path / "X.npy"),
                                           "-y", str(tmp_path / "y.npy")))
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ([], "No training data"),
        (["--positives", "p.npy"], "must be given together"),
        (["--positives", "p.npy", "--negatives", "n.npy", "-X", "X.npy"], "not both"),
    ],
)
def test_load_training_data_errors(tmp_path, extra, match):
    with pytest.raises(ValueError, match=match):
        load_training_data(_data_args(tmp_path, *extra))


def test_fit_missing_file_reports_error(tmp_path, capsys):
    status = main(["fit", "--positives", str(tmp_path / "p.npy"), "--negatives",
                   str(tmp_path / "n.npy"), "-o", str(tmp_path / "m.keras")])
    assert status == 1
    assert "Image file not found" in capsys.readouterr().err


def test_predict_missing_model_reports_error(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((2, 8, 8, 3)))
    status = main(["predict", str(tmp_path / "none.keras"), str(tmp_path / "x.npy")])
    assert status == 1
    assert "Model not found" in capsys.readouterr().err


# ----------------------------------------------------------------- end to end (TensorFlow)

_TINY = ["--arch", "alexnet", "--epochs", "1", "--batch-size", "16", "--image-size", "12",
         "--random-state", "0"]


@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    positives = rng.normal(5, 1, size=(6, 16, 16, 3)).astype("f4")
    positives[:, 6:10, 6:10, :] += 40  # a bright core
    negatives = rng.normal(5, 1, size=(18, 16, 16, 3)).astype("f4")
    np.save(folder / "p.npy", positives)
    np.save(folder / "n.npy", negatives)
    return folder, positives, negatives


@pytest.fixture(scope="module")
def fitted_model(tiny_files):
    folder, _, _ = tiny_files
    config = folder / "fit.json"
    config.write_text(json.dumps({
        "classifier": {"filter_scale": 0.0625, "max_pixel": [50, 50, 50], "epochs": 3},
        "augmenter": {"n_copies": 2, "horizontal": True},
    }))
    model = folder / "model.keras"
    status = main(["fit", "--positives", str(folder / "p.npy"), "--negatives",
                   str(folder / "n.npy"), "-c", str(config), *_TINY,
                   "--validation-fraction", "0.25", "--history-plot",
                   str(folder / "history.png"), "-o", str(model), "-q"])
    assert status == 0
    return model


def test_fit_writes_model_and_history(fitted_model):
    assert fitted_model.is_file()
    assert (fitted_model.parent / "history.png").stat().st_size > 0
    from skbia import CNNClassifier

    loaded = CNNClassifier.load(fitted_model)
    # from the configuration file, the flags overriding it (epochs) and their defaults
    assert (loaded.image_size, loaded.epochs, loaded.filter_scale) == (12, 1, 0.0625)
    assert list(loaded.max_pixel) == [50, 50, 50] and loaded.random_state == 0
    assert len(loaded.history_["val_loss"]) == 1


def test_predict_npy_and_fits_agree(fitted_model, tiny_files, tmp_path, capsys):
    fits = pytest.importorskip("astropy.io.fits")
    folder, positives, negatives = tiny_files
    X = np.concatenate([positives, negatives])
    np.save(tmp_path / "X.npy", X)
    fits.PrimaryHDU(X.astype(">f4")).writeto(tmp_path / "X.fits")
    assert main(["predict", str(fitted_model), str(tmp_path / "X.npy"),
                 "-o", str(tmp_path / "a.csv")]) == 0
    assert main(["predict", str(fitted_model), str(tmp_path / "X.fits"),
                 "-o", str(tmp_path / "b.csv")]) == 0
    a = np.genfromtxt(tmp_path / "a.csv", delimiter=",", names=True)
    b = np.genfromtxt(tmp_path / "b.csv", delimiter=",", names=True)
    assert a.dtype.names == ("index", "predicted", "score_1")
    np.testing.assert_array_equal(a["index"], np.arange(len(X)))
    assert np.all((a["score_1"] >= 0) & (a["score_1"] <= 1))
    assert set(np.unique(a["predicted"])) <= {0, 1}
    np.testing.assert_allclose(a["score_1"], b["score_1"], rtol=1e-5)
    from skbia import CNNClassifier

    expected = CNNClassifier.load(fitted_model).predict_proba(X)[:, 1]
    np.testing.assert_allclose(a["score_1"], expected, rtol=1e-4, atol=1e-6)
    # scored 5 at a time: the same scores
    assert main(["predict", str(fitted_model), str(tmp_path / "X.npy"), "--batch-size", "5",
                 "-o", str(tmp_path / "c.csv")]) == 0
    assert "5 at a time" in capsys.readouterr().out
    c = np.genfromtxt(tmp_path / "c.csv", delimiter=",", names=True)
    np.testing.assert_allclose(c["score_1"], a["score_1"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(c["predicted"], a["predicted"])


def test_predict_nan_pixels(fitted_model, tiny_files, tmp_path, capsys):
    _, positives, _ = tiny_files
    X = positives.copy()
    X[2, 0, 0, 1] = np.nan
    np.save(tmp_path / "nan.npy", X)
    assert main(["predict", str(fitted_model), str(tmp_path / "nan.npy"),
                 "-o", str(tmp_path / "s.csv")]) == 1
    assert "non-finite" in capsys.readouterr().err
    assert main(["predict", str(fitted_model), str(tmp_path / "nan.npy"), "--fill-value", "0",
                 "-o", str(tmp_path / "s.csv")]) == 0
    assert len(np.genfromtxt(tmp_path / "s.csv", delimiter=",", names=True)) == len(X)


def test_fit_unknown_parameter_is_reported(tiny_files, tmp_path, capsys):
    folder, _, _ = tiny_files
    status = main(["fit", "--positives", str(folder / "p.npy"), "--negatives",
                   str(folder / "n.npy"), "--set", "no_such_param=1", "-o",
                   str(tmp_path / "m.keras"), "-q"])
    assert status == 1
    assert "no_such_param" in capsys.readouterr().err


def test_demo_fast_writes_everything(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--fast", "--output", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "ROC AUC" in text and "recall at 5% false-positive rate" in text
    # every step that can take a while says so, even with --quiet
    for step in ("simulating", "plotting sample images", "training the recommended",
                 "painting synthetic lenses", "scoring the 40 test images",
                 "plotting the training history", "t-SNE map"):
        assert f"{step}" in text, step
    assert text.count("  done in ") == 7
    expected = {"model.keras", "metrics.txt", "metrics.json", "sample_images.png",
                "augmented_lenses.png", "injected_lenses.png", "training_history.png",
                "roc_pr_curves.png", "tsne.png", "top_false_positives.png", "missed_lenses.png"}
    assert expected <= {p.name for p in out.iterdir()}
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0 <= metrics["roc_auc"] <= 1 and metrics["n_positive"] == 10
    assert {"tpr0", "tpr10", "purity_at_fpr=0.01"} <= set(metrics)
    for name in expected - {"model.keras", "metrics.txt", "metrics.json"}:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    from skbia.cli._demo import DEMO_OUTPUTS

    assert set(DEMO_OUTPUTS) == {p.name for p in out.iterdir()}  # what --overwrite guards
    before = (out / "metrics.json").stat().st_mtime_ns
    assert main(["demo", "--fast", "--output", str(out), "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "pass --overwrite" in captured.err and captured.err.count("\n") == 1
    assert captured.out == "" and (out / "metrics.json").stat().st_mtime_ns == before


def test_tune_from_config(tiny_files, tmp_path, capsys):
    folder, _, _ = tiny_files
    config = tmp_path / "tune.yaml"
    config.write_text(
        "classifier:\n  arch: alexnet\n  filter_scale: 0.0625\n  epochs: 1\n  image_size: 12\n"
        "  max_pixel: 50\n  verbose: 0\n"
        "space:\n  batch_size: [8, 16]\n  image_size: null\n  learning_rate: [0.0001, 0.01]\n"
        "search:\n  n_iter: 1\n  cv: 2\n  scoring: roc_auc\n  random_state: 0\n"
        "  optimizer_kwargs: {n_initial_points: 1}\n"
    )
    out = tmp_path / "search"
    assert main(["tune", "-c", str(config), "--positives", str(folder / "p.npy"),
                 "--negatives", str(folder / "n.npy"), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "trials 1/1" in text
    assert {"search.joblib", "best_model.keras", "summary.txt", "convergence.png"} <= {
        p.name for p in out.iterdir()}


# ----------------------------------------------------------------- fold ensembles and --debug


def test_parse_ensemble_flags():
    args = build_parser().parse_args(
        ["fit", "--positives", "p.npy", "--negatives", "n.npy", "--ensemble", "3",
         "--ensemble-average", "rank", "--overwrite", "-o", "model_dir"]
    )
    assert (args.ensemble, args.ensemble_average, args.overwrite) == (3, "rank", True)
    plain = build_parser().parse_args(["fit", "-o", "m.keras"])
    assert (plain.ensemble, plain.ensemble_average, plain.overwrite) == (None, "mean", False)


def test_debug_flag_before_or_after_the_command():
    parser = build_parser()
    assert parser.parse_args(["--debug", "predict", "m", "x"]).debug is True
    assert parser.parse_args(["predict", "m", "x", "--debug"]).debug is True
    assert parser.parse_args(["predict", "m", "x"]).debug is False


def test_debug_raises_instead_of_one_line(tmp_path, capsys):
    args = ["predict", str(tmp_path / "none.keras"), str(tmp_path / "x.npy")]
    with pytest.raises(FileNotFoundError, match="Model not found"):
        main([*args, "--debug"])
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("extra", "output", "match"),
    [
        (["--ensemble", "3"], "model.keras", "folder, not a .keras file"),
        (["--ensemble", "3"], "busy", "not empty and holds no saved ensemble"),
        (["--ensemble", "3"], "file.txt", "is a file"),
        (["--ensemble", "3"], "missing/model_dir", "does not exist; create it first"),
        (["--ensemble", "0"], "model_dir", "--ensemble must be at least 1"),
        (["--recipe", "lens-finder"], "model.keras",
         "the lens-finder recipe trains an ensemble of 5 networks"),
        (["--ensemble", "3", "--validation-fraction", "0.2"], "model_dir",
         "--validation-fraction does not apply"),
        (["--recipe", "lens-finder", "--validation-fraction", "0.2"], "model_dir",
         "--validation-fraction does not apply to an ensemble"),
        ([], "model.h5", "must end in '.keras'"),
        ([], "busy", "is a folder"),
        (["--history-plot", "missing/h.png"], "m.keras", "--history-plot: the folder"),
    ],
)
def test_fit_output_is_checked_before_reading_data_or_training(tmp_path, capsys, extra, output,
                                                               match):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("x")
    (tmp_path / "file.txt").write_text("x")
    if output == "busy" and not extra:
        (tmp_path / "busy.keras").mkdir()
        output = "busy.keras"
    # the data files do not exist: the output error must come first
    status = main(["fit", "--positives", str(tmp_path / "p.npy"), "--negatives",
                   str(tmp_path / "n.npy"), *extra, "-o", str(tmp_path / output), "-q"])
    captured = capsys.readouterr()
    assert status == 1
    assert match in captured.err and captured.err.count("\n") == 1
    assert "training" not in captured.out


@pytest.fixture(scope="module")
def fitted_ensemble(tiny_files):
    folder, _, _ = tiny_files
    config = folder / "ensemble.json"
    config.write_text(json.dumps({
        "classifier": {"filter_scale": 0.0625, "max_pixel": [50, 50, 50], "run_eagerly": True},
        "augmenter": {"n_copies": 1, "horizontal": True},
    }))
    output = folder / "model_dir"
    status = main(["fit", "--positives", str(folder / "p.npy"), "--negatives",
                   str(folder / "n.npy"), "-c", str(config), *_TINY, "--ensemble", "2",
                   "--history-plot", str(folder / "curves.png"), "-o", str(output), "-q"])
    assert status == 0
    return output


def test_fit_ensemble_writes_a_folder(fitted_ensemble, capsys):
    from skbia import FoldEnsembleClassifier

    assert {p.name for p in fitted_ensemble.iterdir()} == {
        "ensemble.json", "member_1.keras", "member_2.keras"}
    for number in (1, 2):
        png = fitted_ensemble.parent / f"curves_member{number}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    loaded = FoldEnsembleClassifier.load(fitted_ensemble)
    assert loaded.n_folds == 2 and loaded.random_state == 0 and loaded.average == "mean"
    member = loaded.estimators_[0]
    assert (member.image_size, member.epochs, member.filter_scale) == (12, 1, 0.0625)
    assert "val_loss" in member.history_  # validated on its held-out fold
    assert loaded.oof_proba_.shape == (24, 2)


def test_fit_ensemble_prints_the_out_of_fold_score(tiny_files, tmp_path, capsys):
    folder, _, _ = tiny_files
    status = main(["fit", "--positives", str(folder / "p.npy"), "--negatives",
                   str(folder / "n.npy"), *_TINY, "--set", "filter_scale=0.0625",
                   "--set", "max_pixel=50", "--set", "run_eagerly=true",
                   "--ensemble", "2", "--ensemble-average", "rank", "-o",
                   str(tmp_path / "e")])
    out = capsys.readouterr().out
    assert status == 0
    assert "member 1/2: trained on 12 images, held out 12" in out
    assert "out-of-fold accuracy" in out and "ROC AUC" in out
    assert json.loads((tmp_path / "e" / "ensemble.json").read_text())["average"] == "rank"


def test_fit_refuses_an_existing_ensemble_without_overwrite(fitted_ensemble, tiny_files,
                                                            capsys):
    folder, _, _ = tiny_files
    args = ["fit", "--positives", str(folder / "p.npy"), "--negatives", str(folder / "n.npy"),
            "--ensemble", "2", "-o", str(fitted_ensemble), "-q"]
    assert main(args) == 1
    assert "already holds a saved ensemble" in capsys.readouterr().err


def test_predict_with_an_ensemble_folder(fitted_ensemble, tiny_files, tmp_path):
    from skbia import FoldEnsembleClassifier

    _, positives, negatives = tiny_files
    X = np.concatenate([positives, negatives])
    np.save(tmp_path / "X.npy", X)
    assert main(["predict", str(fitted_ensemble), str(tmp_path / "X.npy"),
                 "-o", str(tmp_path / "s.csv")]) == 0
    table = np.genfromtxt(tmp_path / "s.csv", delimiter=",", names=True)
    assert table.dtype.names == ("index", "predicted", "score_1")
    loaded = FoldEnsembleClassifier.load(fitted_ensemble)
    np.testing.assert_allclose(table["score_1"], loaded.predict_proba(X)[:, 1], rtol=1e-4,
                               atol=1e-6)
    np.testing.assert_array_equal(table["predicted"], loaded.predict(X))


def test_predict_with_a_rank_averaged_ensemble(fitted_ensemble, tiny_files, tmp_path, capsys):
    import shutil

    from skbia import FoldEnsembleClassifier

    _, positives, negatives = tiny_files
    X = np.concatenate([positives, negatives])
    np.save(tmp_path / "X.npy", X)
    ranked = tmp_path / "ranked"
    shutil.copytree(fitted_ensemble, ranked)
    manifest = json.loads((ranked / "ensemble.json").read_text())
    manifest["average"] = "rank"
    (ranked / "ensemble.json").write_text(json.dumps(manifest))
    assert main(["predict", str(ranked), str(tmp_path / "X.npy"),
                 "-o", str(tmp_path / "r.csv")]) == 0
    assert "not probabilities" in capsys.readouterr().out
    table = np.genfromtxt(tmp_path / "r.csv", delimiter=",", names=True)
    loaded = FoldEnsembleClassifier.load(ranked)
    np.testing.assert_allclose(table["score_1"], loaded.predict_proba(X)[:, 1], rtol=1e-5)
    # every member's mid-rank scores of 24 images average to exactly 0.5
    assert np.isclose(table["score_1"].mean(), 0.5, atol=1e-5)
    np.testing.assert_array_equal(table["predicted"], loaded.predict(X))


def test_predict_with_a_folder_that_is_not_an_ensemble(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((2, 8, 8, 3)))
    (tmp_path / "folder").mkdir()
    assert main(["predict", str(tmp_path / "folder"), str(tmp_path / "x.npy")]) == 1
    assert "no ensemble.json" in capsys.readouterr().err


def test_fit_with_the_lens_finder_recipe_and_online_augmentation(tiny_files, tmp_path):
    from skbia import CNNClassifier

    folder, _, _ = tiny_files
    out = tmp_path / "model.keras"
    assert main(["fit", "--recipe", "lens-finder", "--positives", str(folder / "p.npy"),
                 "--negatives", str(folder / "n.npy"), "--epochs", "1", "--image-size", "12",
                 "--set", "filter_scale=0.125", "--set", "online_augmentation.shift=1",
                 "--ensemble", "1", "-o", str(out), "--quiet"]) == 0
    model = CNNClassifier.load(out)
    assert (model.arch, model.scaling, model.tta, model.image_size) == (
        "compact", "asinh", "dihedral", 12)
    assert model.augmentation.dihedral and model.augmentation.shift == 1
    assert len(model.softening_) == 3


def test_fit_recipe_trains_the_ensemble_with_the_physics_crop_and_predicts_it(
        tiny_files, tmp_path, capsys):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from skbia.ensemble import FoldEnsembleClassifier

    folder, positives, negatives = tiny_files
    out = tmp_path / "finder"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert main(["fit", "--recipe", "lens-finder", "--positives", str(folder / "p.npy"),
                     "--negatives", str(folder / "n.npy"), "--epochs", "1",
                     "--pixel-scale", "0.8", "--einstein-radius", "1", "2", "--psf-fwhm", "1",
                     "--set", "filter_scale=0.125", "--set", "retries=0",
                     "--random-state", "0", "-o", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "ensemble of 5 members saved" in printed
    assert printed.count("training-set ROC AUC") == 5
    ensemble = FoldEnsembleClassifier.load(out)
    assert len(ensemble.estimators_) == 5 and ensemble.validation is None
    # (2" + 1" / 2 + 0.25") / 0.8"/px + 3 px = 6.4 -> 14 px
    assert {member.image_size for member in ensemble.estimators_} == {14}
    assert {member.min_training_auc for member in ensemble.estimators_} == {0.9}
    images = np.concatenate([positives, negatives])
    np.save(tmp_path / "x.npy", images)
    assert main(["predict", str(out), str(tmp_path / "x.npy"), "-o",
                 str(tmp_path / "s.csv")]) == 0
    rows = (tmp_path / "s.csv").read_text().splitlines()
    assert len(rows) == 1 + len(images)
    expected = ensemble.predict_proba(images)[:, 1]
    written = np.array([float(row.split(",")[-1]) for row in rows[1:]])
    np.testing.assert_allclose(written, expected, rtol=1e-5, atol=1e-6)


def test_crop_flags_without_the_recipe_or_injection_are_refused(tiny_files, tmp_path, capsys):
    folder, _, _ = tiny_files
    assert main(["fit", "--positives", str(folder / "p.npy"), "--negatives",
                 str(folder / "n.npy"), "--pixel-scale", "0.2", "-o",
                 str(tmp_path / "m.keras")]) == 1
    err = capsys.readouterr().err
    assert "--pixel-scale applies only to lens injection" in err
    assert "also size the crop of --recipe lens-finder" in err
    assert not (tmp_path / "m.keras").exists()
