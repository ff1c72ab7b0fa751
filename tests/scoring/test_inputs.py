"""resolve_inputs: files, globs, folders and lists of paths; clear errors for empty ones."""

from __future__ import annotations

import numpy as np
import pytest

from skbia.scoring import resolve_inputs


@pytest.fixture
def files(tmp_path):
    for name in ("b.npy", "a.npy", "c.fits", "notes.md"):
        (tmp_path / name).write_bytes(b"x")
    return tmp_path


def test_a_glob_is_sorted(files):
    assert [p.name for p in resolve_inputs(str(files / "*.npy"))] == ["a.npy", "b.npy"]


def test_a_folder_gives_its_image_files_only(files):
    assert [p.name for p in resolve_inputs(files)] == ["a.npy", "b.npy", "c.fits"]


def test_a_list_file_is_read_relative_to_its_folder(files):
    (files / "list.txt").write_text("# survey tile 1\nb.npy\n\na.npy\nb.npy\n")
    assert [p.name for p in resolve_inputs(files / "list.txt")] == ["b.npy", "a.npy"]


def test_several_entries_keep_their_order(files):
    got = resolve_inputs([files / "c.fits", str(files / "*.npy")])
    assert [p.name for p in got] == ["c.fits", "a.npy", "b.npy"]


@pytest.mark.parametrize(
    ("entry", "error", "match"),
    [
        ("*.h5", ValueError, "matches no files"),
        ("missing.npy", FileNotFoundError, "not found"),
        ("notes.md", ValueError, "must be .npy, FITS"),
    ],
)
def test_errors_name_the_entry(files, entry, error, match):
    with pytest.raises(error, match=match):
        resolve_inputs(str(files / entry))


def test_a_list_naming_a_missing_file_names_the_line(files):
    (files / "list.txt").write_text("a.npy\nnone.npy\n")
    with pytest.raises(FileNotFoundError, match=r"list.txt, line 2"):
        resolve_inputs(files / "list.txt")


def test_an_empty_folder_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no image files"):
        resolve_inputs(tmp_path / "empty")
    np.save(tmp_path / "empty" / "x.npy", np.zeros((1, 2, 2)))
    assert len(resolve_inputs(tmp_path / "empty")) == 1
