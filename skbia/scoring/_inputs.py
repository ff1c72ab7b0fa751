"""Turning what the user named (files, globs, folders, lists of paths) into image files."""

from __future__ import annotations

import glob
from collections.abc import Iterable
from pathlib import Path

__all__ = ["FITS_SUFFIXES", "HDF5_SUFFIXES", "LIST_SUFFIXES", "file_kind", "resolve_inputs"]

FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fts.gz")
HDF5_SUFFIXES = (".h5", ".hdf5", ".hdf", ".he5")
NPY_SUFFIXES = (".npy",)
# a text file listing one image file per line
LIST_SUFFIXES = (".txt", ".lst", ".list")

_GLOB_CHARACTERS = set("*?[")


def file_kind(path: str | Path) -> str | None:
    """Return ``"npy"``, ``"fits"`` or ``"hdf5"`` from a file's suffix, or None.

    Parameters
    ----------
    path : str or Path
        An image file.

    Returns
    -------
    kind : str or None
        The format the suffix names (case-insensitive); None for any other suffix.
    """
    name = Path(path).name.lower()
    for kind, suffixes in (("npy", NPY_SUFFIXES), ("fits", FITS_SUFFIXES),
                           ("hdf5", HDF5_SUFFIXES)):
        if name.endswith(suffixes):
            return kind
    return None


def resolve_inputs(inputs: str | Path | Iterable[str | Path]) -> list[Path]:
    """Return the image files that ``inputs`` names, in a fixed order.

    Each entry may be an image file (``.npy``, FITS, HDF5), a glob pattern
    (``"cutouts/*.npy"``, sorted by name), a folder (its image files, sorted
    by name, not recursive) or a text file (``.txt``, ``.lst``, ``.list``)
    listing one image file per line (blank lines and lines starting with
    ``#`` are skipped; relative paths are relative to the list's folder).

    Parameters
    ----------
    inputs : str, Path or iterable of them
        What to score.

    Returns
    -------
    files : list of Path
        The image files, duplicates dropped (first occurrence kept).

    Raises
    ------
    FileNotFoundError
        If a named file, folder or listed file does not exist.
    ValueError
        If a glob, folder or list yields no image files, or a file has an
        unknown suffix.
    """
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    files: list[Path] = []
    for entry in inputs:
        files.extend(_resolve_one(str(entry)))
    if not files:
        raise ValueError("No input files were given.")
    unique = list(dict.fromkeys(files))
    return unique


def _resolve_one(entry: str) -> list[Path]:
    """Return the image files of one input entry (see :func:`resolve_inputs`)."""
    path = Path(entry)
    if _GLOB_CHARACTERS & set(entry) and not path.exists():
        matches = sorted(Path(m) for m in glob.glob(entry) if Path(m).is_file())
        if not matches:
            raise ValueError(f"The pattern {entry!r} matches no files.")
        return [_check_kind(m, f"the pattern {entry!r}") for m in matches]
    if path.is_dir():
        matches = sorted(p for p in path.iterdir() if p.is_file() and file_kind(p))
        if not matches:
            raise ValueError(f"The folder {entry} holds no image files (.npy, FITS or HDF5).")
        return matches
    if not path.exists():
        raise FileNotFoundError(f"Image file not found: {path}")
    if path.name.lower().endswith(LIST_SUFFIXES):
        return _read_list(path)
    return [_check_kind(path, None)]


def _read_list(path: Path) -> list[Path]:
    """Return the image files a text file lists, one per line."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    files = []
    for number, line in enumerate(lines, start=1):
        if not line or line.startswith("#"):
            continue
        listed = Path(line)
        if not listed.is_absolute():
            listed = path.parent / listed
        if not listed.is_file():
            raise FileNotFoundError(
                f"{path}, line {number}: image file not found: {listed}"
            )
        files.append(_check_kind(listed, f"{path}, line {number}"))
    if not files:
        raise ValueError(f"The list {path} names no image files.")
    return files


def _check_kind(path: Path, where: str | None) -> Path:
    """Return ``path`` if its suffix is an image format, else raise ``ValueError``."""
    if file_kind(path) is None:
        origin = f" (from {where})" if where else ""
        raise ValueError(
            f"Cannot read {path}{origin}: image files must be .npy, FITS "
            f"({', '.join(FITS_SUFFIXES)}) or HDF5 ({', '.join(HDF5_SUFFIXES)}); a text file "
            f"listing image files must end in {', '.join(LIST_SUFFIXES)}."
        )
    return path
