"""score_files on one machine: chunked, incremental, resumable, skipping bad input."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from skbia.scoring import load_model, score_files
from tests.scoring.conftest import CountingModel


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def expected(scoring_data):
    folder, X = scoring_data
    return load_model(folder / "model.keras").predict_proba(X)[:, 1]


def test_csv_rows_name_file_and_index_with_in_memory_scores(scoring_data, expected, tmp_path):
    folder, _ = scoring_data
    model = CountingModel(load_model(folder / "model.keras"))
    summary = score_files(model, str(folder / "*.npy"), tmp_path / "s.csv", chunk_size=8,
                          progress=False)
    rows = _rows(tmp_path / "s.csv")
    assert list(rows[0]) == ["source", "index", "predicted", "score_1"]
    assert [(r["source"].rsplit("/", 1)[-1], int(r["index"])) for r in rows] == (
        [("a.npy", i) for i in range(30)] + [("b.npy", i) for i in range(20)])
    np.testing.assert_allclose([float(r["score_1"]) for r in rows], expected, rtol=1e-6)
    # 30 = 8+8+8+6 and 20 = 8+8+4: never more than a chunk at a time
    assert model.calls == [8, 8, 8, 6, 8, 8, 4]
    assert (summary.n_scored, summary.n_skipped, summary.n_files) == (50, 0, 2)
    assert _rows(tmp_path / "s.skipped.csv") == []


def test_an_interrupted_run_continues_after_its_last_row(scoring_data, expected, tmp_path):
    folder, _ = scoring_data
    output = tmp_path / "s.csv"
    inputs = [folder / "a.npy", folder / "b.npy"]
    first = CountingModel(load_model(folder / "model.keras"), stop_after=3)
    with pytest.raises(KeyboardInterrupt):
        score_files(first, inputs, output, chunk_size=8, progress=False)
    assert len(_rows(output)) == 24
    with open(output, "a") as handle:  # killed in the middle of a line
        handle.write(f"{folder / 'a.npy'},24,0,0.12")
    second = CountingModel(load_model(folder / "model.keras"))
    summary = score_files(second, inputs, output, chunk_size=8, progress=False)
    assert second.calls == [6, 8, 8, 4]  # only the images after row 24
    assert summary.resumed and (summary.n_scored, summary.n_scored_now) == (50, 26)
    rows = _rows(output)
    assert [int(r["index"]) for r in rows] == list(range(30)) + list(range(20))
    np.testing.assert_allclose([float(r["score_1"]) for r in rows], expected, rtol=1e-6)
    # a finished run: nothing left to do
    third = CountingModel(load_model(folder / "model.keras"))
    assert score_files(third, inputs, output, progress=False).n_scored_now == 0
    assert third.calls == [] and len(_rows(output)) == 50
    # --overwrite starts again
    fourth = CountingModel(load_model(folder / "model.keras"))
    score_files(fourth, inputs, output, chunk_size=25, overwrite=True, progress=False)
    assert fourth.calls == [25, 5, 20] and len(_rows(output)) == 50


def test_an_output_of_other_inputs_is_not_continued(scoring_data, tmp_path):
    folder, _ = scoring_data
    output = tmp_path / "s.csv"
    output.write_text("source,index,predicted,score_1\nother.npy,0,1,0.5\n")
    with pytest.raises(FileExistsError, match="'other.npy', which is not among the inputs"):
        score_files(folder / "model.keras", folder / "a.npy", output, progress=False)
    output.write_text("index,predicted,score_1\n0,1,0.5\n")
    with pytest.raises(FileExistsError, match="columns index,predicted,score_1 instead"):
        score_files(folder / "model.keras", folder / "a.npy", output, progress=False)


def test_bad_files_and_nan_images_are_listed_and_skipped(scoring_data, expected, tmp_path):
    folder, X = scoring_data
    bad = X[:10].copy()
    bad[3, 2, 2, 1] = np.nan
    bad[7, 0, 0, 0] = np.inf
    np.save(tmp_path / "1_nan.npy", bad)
    (tmp_path / "2_broken.npy").write_bytes(b"\x93NUMPY\x01\x00garbage")
    np.save(tmp_path / "3_good.npy", X[10:20])
    summary = score_files(folder / "model.keras", tmp_path / "*.npy", tmp_path / "s.csv",
                          chunk_size=4, progress=False)
    rows = _rows(tmp_path / "s.csv")
    assert [(r["source"][-10:], r["index"]) for r in rows][:3] == [
        ("/1_nan.npy", "0"), ("/1_nan.npy", "1"), ("/1_nan.npy", "2")]
    assert len(rows) == 8 + 10
    assert {int(r["index"]) for r in rows if r["source"].endswith("1_nan.npy")} == (
        set(range(10)) - {3, 7})
    np.testing.assert_allclose([float(r["score_1"]) for r in rows[-10:]], expected[10:20],
                               rtol=1e-6)
    skipped = _rows(tmp_path / "s.skipped.csv")
    assert [(Path(r["source"]).name, r["index"]) for r in skipped] == [
        ("2_broken.npy", ""), ("1_nan.npy", "3"), ("1_nan.npy", "7")]
    assert skipped[0]["reason"].startswith("unreadable file: Cannot read the image file")
    assert skipped[1]["reason"] == "non-finite pixels (NaN or inf)"
    assert (summary.n_skipped, summary.n_unreadable_files, summary.n_scored) == (2, 1, 18)
    assert "2 skipped, 1 file(s) unreadable" in summary.report()
    # with a fill value the NaN images are scored (the file is never changed)
    score_files(folder / "model.keras", tmp_path / "1_nan.npy", tmp_path / "f.csv",
                fill_value=0.0, progress=False)
    assert len(_rows(tmp_path / "f.csv")) == 10
    assert np.isnan(np.load(tmp_path / "1_nan.npy")[3]).any()


def test_errors_before_any_work(scoring_data, tmp_path):
    folder, X = scoring_data
    np.save(tmp_path / "big.npy", np.zeros((3, 20, 20, 3), np.float32))
    with pytest.raises(ValueError, match=r"big.npy holds 20x20-pixel images with 3 band\(s\), "
                                         r"but .* trained on 16x16-pixel"):
        score_files(folder / "model.keras", tmp_path / "big.npy", tmp_path / "s.csv")
    np.save(tmp_path / "cf.npy", np.moveaxis(X[:3], -1, 1))
    with pytest.raises(ValueError, match="pass --channels-first"):
        score_files(folder / "model.keras", tmp_path / "cf.npy", tmp_path / "s.csv")
    with pytest.raises(ValueError, match="matches no files"):
        score_files(folder / "model.keras", str(tmp_path / "*.fits"), tmp_path / "s.csv")
    with pytest.raises(ValueError, match="must end in '.csv' or '.parquet'"):
        score_files(folder / "model.keras", folder / "a.npy", tmp_path / "s.txt")
    with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
        score_files(folder / "model.keras", folder / "a.npy", tmp_path / "s.csv", chunk_size=0)
    assert not (tmp_path / "s.csv").exists()


def test_parquet_parts_match_csv_and_resume_by_part(scoring_data, expected, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    folder, _ = scoring_data
    output = tmp_path / "s.parquet"
    inputs = [folder / "a.npy", folder / "b.npy"]
    first = CountingModel(load_model(folder / "model.keras"), stop_after=3)
    with pytest.raises(KeyboardInterrupt):  # parts of 16: a[0:16], a[16:30], b[0:16], b[16:20]
        score_files(first, inputs, output, chunk_size=8, part_size=16, progress=False)
    assert sorted(p.name for p in output.glob("part-*")) == ["part-000000.parquet"]
    second = CountingModel(load_model(folder / "model.keras"))
    summary = score_files(second, inputs, output, chunk_size=8, part_size=16, progress=False)
    assert second.calls == [8, 6, 8, 8, 4] and summary.resumed
    table = pq.read_table(output)
    assert table.column_names == ["source", "index", "predicted", "score_1"]
    assert table.column("index").to_pylist() == list(range(30)) + list(range(20))
    np.testing.assert_allclose(table.column("score_1").to_numpy(), expected, rtol=1e-6)
    with pytest.raises(FileExistsError, match="other part size"):
        score_files(folder / "model.keras", inputs, output, part_size=10, progress=False)


def test_top_candidates_with_their_cutouts(scoring_data, expected, tmp_path):
    folder, X = scoring_data
    summary = score_files(folder / "model.keras", [folder / "a.npy", folder / "b.npy"],
                          tmp_path / "s.csv", top=3, progress=False)
    assert [p.name for p in summary.top_files] == ["s.top.npy", "s.top.csv", "s.top.png"]
    best = np.argsort(-expected, kind="stable")[:3]
    np.testing.assert_array_equal(np.load(tmp_path / "s.top.npy"), X[best])
    table = _rows(tmp_path / "s.top.csv")
    assert [int(r["rank"]) for r in table] == [1, 2, 3]
    np.testing.assert_allclose([float(r["score_1"]) for r in table], expected[best], rtol=1e-6)
    assert (tmp_path / "s.top.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_progress_lines_without_a_terminal(scoring_data, tmp_path):
    folder, _ = scoring_data
    stream = io.StringIO()
    score_files(folder / "model.keras", folder / "a.npy", tmp_path / "s.csv", chunk_size=10,
                stream=stream)
    last = stream.getvalue().splitlines()[-1]
    assert last.startswith("  30/30 images (100%), ") and "images/s, 0s left" in last


class _RankEnsemble(CountingModel):
    average = "rank"


def test_a_rank_averaged_ensemble_is_refused_before_scoring(scoring_data, tmp_path):
    folder, _ = scoring_data
    model = _RankEnsemble(load_model(folder / "model.keras"))
    with pytest.raises(ValueError, match="averages its members by rank"):
        score_files(model, folder / "a.npy", tmp_path / "s.csv", progress=False)
    assert model.calls == [] and not (tmp_path / "s.csv").exists()


def test_a_chunk_that_fails_to_read_is_listed_and_the_run_goes_on(scoring_data, expected,
                                                                   tmp_path, monkeypatch):
    from skbia.scoring._sources import ImageSource

    folder, _ = scoring_data
    original = ImageSource.read

    def flaky(self, start, stop):
        if self.path.name == "a.npy" and start == 10:
            raise OSError("Input/output error")
        return original(self, start, stop)

    monkeypatch.setattr(ImageSource, "read", flaky)
    summary = score_files(folder / "model.keras", [folder / "a.npy", folder / "b.npy"],
                          tmp_path / "s.csv", chunk_size=10, progress=False)
    rows = _rows(tmp_path / "s.csv")
    assert [int(r["index"]) for r in rows] == [*range(10), *range(20, 30), *range(20)]
    skipped = _rows(tmp_path / "s.skipped.csv")
    assert [int(r["index"]) for r in skipped] == list(range(10, 20))
    assert skipped[0]["reason"] == "unreadable: Input/output error"
    assert summary.n_skipped == 10 and summary.n_scored == 40
