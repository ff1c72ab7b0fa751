"""``skbia inject`` and ``skbia fit --inject``: synthetic lenses from the command line."""

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from skbia.cli import build_parser, main
from skbia.cli._common import build_estimator, gather_config
from skbia.cli._config import FIT_SECTIONS, TUNE_SECTIONS
from skbia.cli._injection_flags import parse_inject_count
from tests.cli.conftest import assert_one_line_error, run_cli

# a camera for 32x32 px stamps of 0.2"/px (6.4" across): Einstein radii up to 3.2" fit
CAMERA = ["--pixel-scale", "0.2", "--zeropoint", "27", "--psf-fwhm", "0.8", "0.75", "0.7",
          "--einstein-radius", "1.0", "1.6"]


def _hosts(n=12, size=32, seed=0):
    """Noisy cutouts with a red elliptical-like galaxy in the centre, background subtracted."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] - (size - 1) / 2
    galaxy = np.exp(-np.hypot(xx, yy) / 2.0)
    colours = np.array([0.5, 1.0, 1.4])
    X = rng.normal(0.0, 0.05, size=(n, size, size, 3))
    X += 3.0 * galaxy[None, :, :, None] * colours
    return X.astype(np.float32)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inject")
    hosts = _hosts()
    np.save(folder / "hosts.npy", hosts)
    lenses = _hosts(4, seed=1)
    lenses[:, 4:8, 10:22, :] += 1.0  # a bright arc-like bar
    np.save(folder / "lenses.npy", lenses)
    return folder, hosts


def _inject(folder, out, *extra):
    return ["inject", str(folder / "hosts.npy"), *CAMERA, "-o", str(out), *extra]


def _metadata(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# ----------------------------------------------------------------- skbia inject


def test_inject_writes_images_hosts_metadata_and_picture(files, tmp_path, capsys):
    folder, hosts = files
    status, out, _ = run_cli(_inject(folder, tmp_path / "out", "-n", "6"), capsys)
    assert status == 0
    injected = np.load(tmp_path / "out" / "injected.npy")
    used_hosts = np.load(tmp_path / "out" / "hosts.npy")
    rows = _metadata(tmp_path / "out" / "metadata.csv")
    assert injected.shape == (6, 32, 32, 3) and injected.dtype == np.float32
    assert used_hosts.shape == injected.shape
    assert len(rows) == 6 and [int(r["image"]) for r in rows] == list(range(6))
    host_index = np.array([int(r["host_index"]) for r in rows])
    assert len(set(host_index)) == 6 and host_index.min() >= 0 and host_index.max() < 12
    np.testing.assert_array_equal(used_hosts, hosts[host_index])  # each image's own host
    # the lensed source adds flux to every image, mostly away from the centre pixel
    added = (injected - used_hosts).sum(axis=(1, 2, 3))
    assert (added > 0).all()
    for column in ("einstein_radius", "magnification", "center_row", "center_col",
                   "source_magnitude_band0", "source_magnitude_band2", "source_snr_band1"):
        assert column in rows[0]
    radii = np.array([float(r["einstein_radius"]) for r in rows])
    assert ((radii >= 1.0) & (radii <= 1.6)).all()
    assert all(float(r["magnification"]) >= 3.0 for r in rows)  # the default quality cut
    assert (tmp_path / "out" / "injected.png").stat().st_size > 10_000
    assert "6 of 6 hosts got a detectable lensed source" in out


def test_inject_is_reproducible_with_its_seed(files, tmp_path, capsys):
    folder, _ = files
    arrays = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        status, _, _ = run_cli(_inject(folder, tmp_path / name, "-n", "4", "--random-state",
                                    str(seed), "--plot-count", "0"), capsys)
        assert status == 0
        assert not (tmp_path / name / "injected.png").exists()
        arrays.append(np.load(tmp_path / name / "injected.npy"))
    np.testing.assert_array_equal(arrays[0], arrays[1])
    assert not np.array_equal(arrays[0], arrays[2])


def test_inject_without_count_uses_every_selected_host_and_indices_select(files, tmp_path,
                                                                          capsys):
    folder, _ = files
    assert run_cli(_inject(folder, tmp_path / "all", "--plot-count", "0"), capsys)[0] == 0
    rows = _metadata(tmp_path / "all" / "metadata.csv")
    assert [int(r["host_index"]) for r in rows] == list(range(12))
    mask = np.zeros(12, bool)
    mask[[2, 7, 9]] = True
    np.save(tmp_path / "mask.npy", mask)
    status, out, _ = run_cli(_inject(folder, tmp_path / "mask", "--indices",
                                  str(tmp_path / "mask.npy"), "--plot-count", "0"), capsys)
    assert status == 0 and "3 of 12 images selected" in out
    rows = _metadata(tmp_path / "mask" / "metadata.csv")
    assert [int(r["host_index"]) for r in rows] == [2, 7, 9]


def test_inject_reuses_hosts_when_more_injections_than_hosts(files, tmp_path, capsys):
    folder, _ = files
    np.save(tmp_path / "two.npy", np.array([0, 5]))
    status, out, _ = run_cli(_inject(folder, tmp_path / "out", "--indices",
                                  str(tmp_path / "two.npy"), "-n", "5", "--plot-count", "0"),
                          capsys)
    assert status == 0 and "hosts are reused" in out
    injected = np.load(tmp_path / "out" / "injected.npy")
    rows = _metadata(tmp_path / "out" / "metadata.csv")
    assert len(injected) == 5 and {int(r["host_index"]) for r in rows} <= {0, 5}
    # a reused host gets a new source each time
    assert len({injected[i].tobytes() for i in range(5)}) == 5


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        (("--zeropoint", "27"), "give --zeropoint"),
        (("--pixel-scale", "0.2"), "give --pixel-scale"),
    ],
)
def test_inject_requires_the_camera_settings(files, tmp_path, capsys, drop, message):
    folder, _ = files
    camera = list(CAMERA)
    start = camera.index(drop[0])
    del camera[start:start + 2]
    argv = ["inject", str(folder / "hosts.npy"), *camera, "-o", str(tmp_path / "out")]
    status, _, err = run_cli(argv, capsys)
    assert_one_line_error(status, err, message)
    assert not (tmp_path / "out").exists()


# settings that inject_lenses checks against the images: refused before any work
_SETTINGS_AGAINST_THE_IMAGES = [
    (["--pixel-scale", "-1"], "pixel_scale must be > 0"),
    (["--zeropoint", "27", "27"], "zero_point must have one value per band"),
    (["--einstein-radius", "1", "9"], "is larger than the stamp"),
    (["--min-snr", "nan"], "min_snr"),
]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--psf-fwhm", "0.8", "0.7"], "psf_fwhm must have one value per band"),
        (["--einstein-radius", "1", "2", "3"], "--einstein-radius takes one value or LOW HIGH"),
        (["--einstein-radius", "5"], "einstein_radius"),  # larger than half the stamp
        (["-n", "0"], "--n-injected must be at least 1"),
        (["--plot-count", "-1"], "--plot-count must be 0 or more"),
        (["--n-jobs", "0"], "--n-jobs must be a positive number"),
        *_SETTINGS_AGAINST_THE_IMAGES,
    ],
)
def test_inject_bad_settings_are_one_line(files, tmp_path, capsys, extra, message):
    folder, _ = files
    status, out, err = run_cli(_inject(folder, tmp_path / "out", *extra), capsys)
    assert_one_line_error(status, err, message)
    assert "painting" not in out  # refused before the work is announced
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("extra", "message"), _SETTINGS_AGAINST_THE_IMAGES)
def test_fit_inject_settings_are_checked_before_training(files, tmp_path, capsys, extra,
                                                          message):
    folder, _ = files
    argv = ["fit", "--positives", str(folder / "lenses.npy"), "--negatives",
            str(folder / "hosts.npy"), "--inject", "8", *CAMERA, *extra, "--arch", "compact",
            "--epochs", "1", "-q", "-o", str(tmp_path / "model.keras")]
    status, out, err = run_cli(argv, capsys)
    assert_one_line_error(status, err, message)
    assert "training" not in out and not (tmp_path / "model.keras").exists()


def test_inject_refuses_select_and_indices_together(files, tmp_path, capsys):
    folder, _ = files
    np.save(tmp_path / "indices.npy", np.array([0, 1]))
    with pytest.raises(SystemExit) as stopped:
        main(_inject(folder, tmp_path / "out", "--select", "bright_red_centre", "--indices",
                     str(tmp_path / "indices.npy")))
    assert stopped.value.code == 2
    assert "--indices: not allowed with argument --select" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_inject_bad_indices_file(files, tmp_path, capsys):
    folder, _ = files
    np.save(tmp_path / "grid.npy", np.zeros((2, 2), int))
    status, _, err = run_cli(_inject(folder, tmp_path / "out", "--indices",
                                  str(tmp_path / "grid.npy")), capsys)
    assert_one_line_error(status, err, "--indices", "1-d array of integer indices")
    np.save(tmp_path / "far.npy", np.array([3, 40]))
    status, _, err = run_cli(_inject(folder, tmp_path / "out", "--indices",
                                  str(tmp_path / "far.npy")), capsys)
    assert status == 1 and "40" in err


def test_inject_outputs_are_checked_before_the_images_are_read(files, tmp_path, capsys):
    folder, _ = files
    out = tmp_path / "out"
    out.mkdir()
    (out / "metadata.csv").write_text("earlier run\n")
    argv = ["inject", str(tmp_path / "missing.npy"), *CAMERA, "-o", str(out)]
    status, _, err = run_cli(argv, capsys)
    assert_one_line_error(status, err, "already holds output", "--overwrite")
    assert (out / "metadata.csv").read_text() == "earlier run\n"  # left alone
    status, _, _ = run_cli(_inject(folder, out, "-n", "2", "--overwrite"), capsys)
    assert status == 0 and len(_metadata(out / "metadata.csv")) == 2


def test_inject_does_not_import_keras(files, tmp_path):
    folder, _ = files
    code = (
        "import sys\n"
        "from skbia.cli import main\n"
        f"status = main({_inject(folder, tmp_path / 'out', '-n', '2', '--plot-count', '0')!r})\n"
        "print(status, 'keras' in sys.modules, 'tensorflow' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 False False"


# ----------------------------------------------------------------- fit --inject: parameters


@pytest.mark.parametrize(("text", "value"), [("500", 500), ("0", 0), ("0.5", 0.5),
                                             ("2.0", 2.0), ("1e-1", 0.1)])
def test_inject_count_or_ratio(text, value):
    parsed = parse_inject_count(text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize("text", ["abc", "-3", "-0.5", "inf", "nan", "0.0"])
def test_inject_count_rejects(text):
    with pytest.raises(ValueError, match="--inject must be a count"):
        parse_inject_count(text)


def _fit_args(*extra):
    return build_parser().parse_args(
        ["fit", "--positives", "p.npy", "--negatives", "n.npy", "-o", "m.keras", *extra])


def test_fit_inject_flags_become_the_injector_section():
    config = gather_config(_fit_args("--inject", "40", *CAMERA, "--inject-hosts",
                                     "bright_red_centre", "--source-magnitude", "20", "22",
                                     "--gain", "4", "--min-snr", "10", "--random-state", "7"),
                           FIT_SECTIONS)
    assert config["injector"] == {
        "n_injected": 40, "pixel_scale": 0.2, "zero_point": 27.0, "psf_fwhm": [0.8, 0.75, 0.7],
        "einstein_radius": (1.0, 1.6), "source_magnitude": (20.0, 22.0), "gain": 4.0,
        "min_snr": 10.0, "hosts": "bright_red_centre", "random_state": 7,
    }
    estimator = build_estimator(config, verbose=0)
    assert [name for name, _ in estimator.steps] == ["lensinjector", "cnnclassifier"]
    assert estimator.steps[0][1].get_params()["psf_fwhm"] == [0.8, 0.75, 0.7]


def test_fit_injector_comes_before_the_augmenter_and_set_overrides(tmp_path):
    config_file = tmp_path / "fit.json"
    config_file.write_text(json.dumps({
        "injector": {"n_injected": 10, "pixel_scale": 0.2, "zero_point": 27, "psf_fwhm": 0.8},
        "augmenter": {"n_copies": 2},
    }))
    config = gather_config(_fit_args("-c", str(config_file), "--zeropoint", "28",
                                     "--set", "injector.n_injected=0.25"), FIT_SECTIONS)
    assert config["injector"]["zero_point"] == 28.0  # the flag overrides the file
    assert config["injector"]["n_injected"] == 0.25  # --set overrides both
    estimator = build_estimator(config, verbose=0)
    assert [name for name, _ in estimator.steps] == [
        "lensinjector", "imageaugmenter", "cnnclassifier"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--pixel-scale", "0.2"], "--pixel-scale applies only to lens injection"),
        (["--psf-fwhm", "1", "--inject-hosts", "all"], "--psf-fwhm, --inject-hosts apply only"),
        (["--inject", "10", "--pixel-scale", "0.2"], "give --zeropoint, --psf-fwhm"),
        (["--inject", "ten"], "--inject must be a count"),
    ],
)
def test_fit_injection_flag_errors(extra, message):
    with pytest.raises(ValueError, match=message):
        gather_config(_fit_args(*extra), FIT_SECTIONS)


def test_tune_configuration_accepts_an_injector_section(tmp_path):
    config_file = tmp_path / "tune.yaml"
    config_file.write_text("injector:\n  pixel_scale: 0.2\n  zero_point: 27\n  psf_fwhm: 0.8\n"
                           "space:\n  inject: true\n")
    args = build_parser().parse_args(["tune", "-c", str(config_file), "--positives", "p.npy",
                                      "--negatives", "n.npy", "-o", str(tmp_path / "s")])
    config = gather_config(args, TUNE_SECTIONS)
    assert build_estimator(config, verbose=0).steps[0][0] == "lensinjector"
    config_file.write_text("injector:\n  pixel_scale: 0.2\n")
    with pytest.raises(ValueError, match="give --zeropoint, --psf-fwhm"):
        gather_config(args, TUNE_SECTIONS)


# ----------------------------------------------------------------- fit --inject: training


def test_fit_with_injection_trains_on_injected_negatives(files, tmp_path, capsys):
    folder, _ = files
    model = tmp_path / "model.keras"
    argv = ["fit", "--positives", str(folder / "lenses.npy"), "--negatives",
            str(folder / "hosts.npy"), "--inject", "8", *CAMERA, "--arch", "compact",
            "--set", "filter_scale=0.125", "--epochs", "1", "--random-state", "0", "-q",
            "-o", str(model)]
    status, out, _ = run_cli(argv, capsys)
    assert status == 0, out
    assert "lens injection: 8 of 8 lenses painted into training negatives" in out
    from skbia import CNNClassifier

    loaded = CNNClassifier.load(model)
    proba = loaded.predict_proba(np.load(folder / "hosts.npy"))
    assert proba.shape == (12, 2) and np.isfinite(proba).all()
