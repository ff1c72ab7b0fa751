"""``skbia predict`` streaming: globs, lists, Parquet, --top, resume, bad files, errors."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from tests.cli.conftest import assert_one_line_error, run_cli


def _one_line_error(status, err, *fragments):
    assert_one_line_error(status, err, *fragments, command="predict")


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    """A saved tiny 16x16x3 model and a folder of three .npy tiles (12, 9 and 5 cutouts)."""
    from skbia import CNNClassifier

    folder = tmp_path_factory.mktemp("survey")
    rng = np.random.default_rng(3)
    X = rng.normal(size=(26, 16, 16, 3)).astype(np.float32)
    X[:8, 6:10, 6:10] += 5
    y = (np.arange(26) < 8).astype(int)
    model = CNNClassifier(arch="compact", filter_scale=1 / 32, epochs=1, random_state=0,
                          verbose=0).fit(X, y)
    model.save(folder / "model.keras")
    tiles = folder / "tiles"
    tiles.mkdir()
    for name, part in (("t1", X[:12]), ("t2", X[12:21]), ("t3", X[21:])):
        np.save(tiles / f"{name}.npy", part)
    return folder, X, model.predict_proba(X)[:, 1]


def test_a_glob_streams_into_a_csv_naming_file_and_index(survey, tmp_path, capsys):
    folder, _, expected = survey
    status, out, _ = run_cli(["predict", str(folder / "model.keras"), str(folder / "tiles/*.npy"),
                              "-o", str(tmp_path / "s.csv"), "--chunk-size", "5"], capsys)
    assert status == 0
    assert "26 of 26 images in 3 file(s) scored" in out and "26/26 images (100%)" in out
    rows = _rows(tmp_path / "s.csv")
    assert list(rows[0]) == ["source", "index", "predicted", "score_1"]
    assert [(Path(r["source"]).name, int(r["index"])) for r in rows] == (
        [("t1.npy", i) for i in range(12)] + [("t2.npy", i) for i in range(9)]
        + [("t3.npy", i) for i in range(5)])
    np.testing.assert_allclose([float(r["score_1"]) for r in rows], expected, rtol=1e-5)


def test_rerunning_continues_an_interrupted_csv(survey, tmp_path, capsys):
    folder, _, expected = survey
    argv = ["predict", str(folder / "model.keras"), str(folder / "tiles"), "-o",
            str(tmp_path / "s.csv"), "-q"]
    assert run_cli(argv, capsys)[0] == 0
    lines = (tmp_path / "s.csv").read_text().splitlines(keepends=True)
    (tmp_path / "s.csv").write_text("".join(lines[:15]) + lines[15][:9])  # killed mid-line
    status, out, _ = run_cli(argv, capsys)
    assert status == 0 and "continued an earlier run (12 rows added)" in out
    rows = _rows(tmp_path / "s.csv")
    assert len(rows) == 26
    np.testing.assert_allclose([float(r["score_1"]) for r in rows], expected, rtol=1e-5)
    status, out, _ = run_cli(argv + ["--overwrite"], capsys)
    assert status == 0 and "continued" not in out and len(_rows(tmp_path / "s.csv")) == 26


def test_a_list_with_a_broken_file_is_reported_and_skipped(survey, tmp_path, capsys):
    folder, _, expected = survey
    (tmp_path / "broken.npy").write_bytes(b"not an array")
    (tmp_path / "files.txt").write_text(f"{folder / 'tiles/t1.npy'}\nbroken.npy\n"
                                        f"{folder / 'tiles/t3.npy'}\n")
    status, out, err = run_cli(["predict", str(folder / "model.keras"),
                                str(tmp_path / "files.txt"), "-o", str(tmp_path / "s.csv"), "-q"],
                            capsys)
    assert status == 0 and err == ""
    assert "17 of 17 images in 3 file(s) scored, 1 file(s) unreadable" in out
    assert len(_rows(tmp_path / "s.csv")) == 17
    skipped = _rows(tmp_path / "s.skipped.csv")
    assert [(Path(r["source"]).name, r["index"]) for r in skipped] == [("broken.npy", "")]


def test_a_run_that_scores_no_image_fails_and_says_why(survey, tmp_path, capsys):
    folder, X, _ = survey
    for name in ("a", "b"):
        tile = X[:5].copy()
        tile[:, 0, 0, 0] = np.nan
        np.save(tmp_path / f"{name}.npy", tile)
    status, out, err = run_cli(["predict", str(folder / "model.keras"), str(tmp_path / "*.npy"),
                                "-o", str(tmp_path / "s.csv"), "-q"], capsys)
    assert "0 of 10 images in 2 file(s) scored, 10 skipped" in out
    _one_line_error(status, err, "no image was scored: all 10 were skipped",
                    "s.skipped.csv", "--fill-value V")
    assert len(_rows(tmp_path / "s.skipped.csv")) == 10  # the reasons stay on disk
    status, out, _ = run_cli(["predict", str(folder / "model.keras"), str(tmp_path / "*.npy"),
                              "-o", str(tmp_path / "s.csv"), "--fill-value", "0", "--overwrite",
                              "-q"], capsys)
    assert status == 0 and len(_rows(tmp_path / "s.csv")) == 10


def test_parquet_output_and_top_candidates(survey, tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet")
    folder, X, expected = survey
    status, out, _ = run_cli(["predict", str(folder / "model.keras"), str(folder / "tiles"),
                              "-o", str(tmp_path / "s.parquet"), "--part-size", "10", "--top", "4",
                              "-q"], capsys)
    assert status == 0 and "top 4 candidates" in out
    table = pq.read_table(tmp_path / "s.parquet")
    assert table.num_rows == 26
    np.testing.assert_allclose(table.column("score_1").to_numpy(), expected, rtol=1e-5)
    assert len(list((tmp_path / "s.parquet").glob("part-*.parquet"))) == 4  # 10+2, 9, 5
    best = np.argsort(-expected, kind="stable")[:4]
    np.testing.assert_array_equal(np.load(tmp_path / "s.top.npy"), X[best])
    assert (tmp_path / "s.top.png").stat().st_size > 0


def test_one_file_with_chunk_size_streams_but_plain_predict_does_not(survey, tmp_path, capsys):
    folder, _, expected = survey
    tile = str(folder / "tiles/t2.npy")
    assert run_cli(["predict", str(folder / "model.keras"), tile, "-o", str(tmp_path / "a.csv"),
                    "--chunk-size", "4", "-q"], capsys)[0] == 0
    assert list(_rows(tmp_path / "a.csv")[0])[:2] == ["source", "index"]
    assert run_cli(["predict", str(folder / "model.keras"), tile, "-o", str(tmp_path / "b.csv")],
                capsys)[0] == 0
    plain = _rows(tmp_path / "b.csv")
    assert list(plain[0]) == ["index", "predicted", "score_1"]
    np.testing.assert_allclose([float(r["score_1"]) for r in plain], expected[12:21], rtol=1e-5)


def test_expected_failures_are_one_line_before_any_work(survey, tmp_path, capsys):
    folder, X, _ = survey
    model = str(folder / "model.keras")
    output = str(tmp_path / "s.csv")
    _one_line_error(*run_cli(["predict", model, str(tmp_path / "*.npy"), "-o", output],
                             capsys)[::2], "matches no files")
    np.save(tmp_path / "small.npy", X[:3, :12, :12])
    _one_line_error(*run_cli(["predict", model, str(folder / "tiles"), str(tmp_path / "small.npy"),
                              "-o", output], capsys)[::2], "small.npy holds 12x12-pixel images")
    _one_line_error(*run_cli(["predict", model, str(folder / "tiles"), "-o",
                              str(tmp_path / "s.json")], capsys)[::2],
                    "--output", "must end in '.csv' or '.parquet'")
    _one_line_error(*run_cli(["predict", model, str(folder / "tiles"), "-o", output,
                              "--scheduler", "local:0"], capsys)[::2], "local:N")
    assert not (tmp_path / "s.csv").exists()


def test_hdf5_and_fits_inputs_with_id_columns(survey, tmp_path, capsys):
    h5py = pytest.importorskip("h5py")
    fits = pytest.importorskip("astropy.io.fits")
    folder, X, expected = survey
    with h5py.File(tmp_path / "tile.h5", "w") as handle:
        handle["cutouts"] = X[:10]
        handle["objid"] = np.arange(500, 510)
        handle["other"] = X[:2]
    status, _, err = run_cli(["predict", str(folder / "model.keras"), str(tmp_path / "tile.h5"),
                              "-o", str(tmp_path / "h.csv"), "-q"], capsys)
    _one_line_error(status, err, "name the one holding the images with --dataset")
    assert run_cli(["predict", str(folder / "model.keras"), str(tmp_path / "tile.h5"), "--dataset",
                    "cutouts", "--id-dataset", "objid", "-o", str(tmp_path / "h.csv"), "-q",
                    "--chunk-size", "3"], capsys)[0] == 0
    rows = _rows(tmp_path / "h.csv")
    assert list(rows[0]) == ["source", "index", "id", "predicted", "score_1"]
    assert [r["id"] for r in rows] == [str(i) for i in range(500, 510)]
    np.testing.assert_allclose([float(r["score_1"]) for r in rows], expected[:10], rtol=1e-5)
    table = fits.BinTableHDU.from_columns(
        [fits.Column(name="NAME", format="8A", array=[f"lens{i}" for i in range(6)])])
    fits.HDUList([fits.PrimaryHDU(X[10:16].astype(">f4")), table]).writeto(tmp_path / "t.fits")
    assert run_cli(["predict", str(folder / "model.keras"), str(tmp_path / "t.fits"),
                    "--id-column", "NAME", "-o", str(tmp_path / "f.csv"), "-q"], capsys)[0] == 0
    rows = _rows(tmp_path / "f.csv")
    assert [r["id"] for r in rows] == [f"lens{i}" for i in range(6)]
    np.testing.assert_allclose([float(r["score_1"]) for r in rows], expected[10:16], rtol=1e-5)


@pytest.mark.slow
def test_scheduler_local_workers_give_the_same_scores(survey, tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet")
    pytest.importorskip("distributed")
    folder, _, expected = survey
    status, out, _ = run_cli(["predict", str(folder / "model.keras"), str(folder / "tiles"),
                              "-o", str(tmp_path / "s.parquet"), "--part-size", "5",
                              "--scheduler", "local:2", "-q"], capsys)
    assert status == 0 and "26 of 26 images in 3 file(s) scored" in out
    table = pq.read_table(tmp_path / "s.parquet")
    np.testing.assert_allclose(table.column("score_1").to_numpy(), expected, rtol=1e-5)
