"""Checking where the subcommands write, before they read data or train.

One policy for every subcommand: an output file or folder may be new; its
parent folder must exist (only the output folder itself is created); a file
is never written where a folder is, nor a folder where a file is; and
nothing the command would write is replaced unless ``--overwrite`` is given.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

OVERWRITE_HELP = (
    "replace outputs that already exist (without it, an existing output is an error "
    "before any work)"
)

# file formats matplotlib's Agg/PDF/SVG/PS backends write, by suffix
PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".svgz", ".eps", ".ps", ".jpg", ".jpeg", ".tif",
                 ".tiff", ".webp")


def check_parent(path: Path, flag: str) -> None:
    """Check that the folder ``path`` goes into exists and can be written to.

    Parameters
    ----------
    path : Path
        The output file or folder.
    flag : str
        The option that named it, for the error message.

    Raises
    ------
    FileNotFoundError
        If the parent folder does not exist.
    NotADirectoryError
        If the parent is a file.
    PermissionError
        If the parent folder cannot be written to.
    """
    parent = path.parent
    if not parent.exists():
        raise FileNotFoundError(f"{flag}: the folder {str(parent)!r} for {str(path)!r} does "
                                "not exist; create it first.")
    if not parent.is_dir():
        raise NotADirectoryError(f"{flag}: {str(parent)!r} (the parent of {str(path)!r}) is a "
                                 "file, not a folder.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"{flag}: the folder {str(parent)!r} is not writable.")


def check_output_file(
    path: str | Path, *, flag: str, suffixes: Iterable[str], overwrite: bool,
    ignore_case: bool = True,
) -> Path:
    """Check that a command may write the file ``path``.

    Parameters
    ----------
    path : str or Path
        The file to be written.
    flag : str
        The option that named it (e.g. ``"--output"``), for error messages.
    suffixes : iterable of str
        Allowed suffixes, e.g. ``(".csv",)``.
    overwrite : bool
        Whether an existing file may be replaced.
    ignore_case : bool, default=True
        Compare the suffix case-insensitively (``suffixes`` in lower case);
        False for ``.keras``, which Keras requires in lower case.

    Returns
    -------
    path : Path

    Raises
    ------
    ValueError
        If the suffix is not one of ``suffixes``.
    FileNotFoundError, NotADirectoryError, PermissionError
        See :func:`check_parent`.
    IsADirectoryError
        If ``path`` is a folder.
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    """
    path = Path(path)
    allowed = tuple(suffixes)
    if path.is_dir():
        raise IsADirectoryError(f"{flag}: {str(path)!r} is a folder; give a file name.")
    name = path.name.lower() if ignore_case else path.name
    if not name.endswith(allowed) or name in allowed:
        raise ValueError(f"{flag}: {str(path)!r} must end in {_either(allowed)}.")
    check_parent(path, flag)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{flag}: {str(path)!r} already exists; pass --overwrite to "
                              "replace it.")
    return path


def check_output_folder(
    path: str | Path, *, flag: str, writes: Iterable[str], overwrite: bool
) -> Path:
    """Check that a command may write its files into the folder ``path``.

    The folder may be new (its parent must exist) or exist already; other
    files in it are left alone.

    Parameters
    ----------
    path : str or Path
        The output folder.
    flag : str
        The option that named it, for error messages.
    writes : iterable of str
        Names of the files the command writes into the folder.
    overwrite : bool
        Whether those files may be replaced when they exist.

    Returns
    -------
    path : Path

    Raises
    ------
    NotADirectoryError
        If ``path`` is a file.
    FileNotFoundError, PermissionError
        See :func:`check_parent`.
    FileExistsError
        If the folder holds one of ``writes`` and ``overwrite`` is False.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{flag}: {str(path)!r} is a file; give a folder name.")
    check_parent(path, flag)
    if path.is_dir():
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError(f"{flag}: the folder {str(path)!r} is not writable.")
        existing = sorted(name for name in writes if (path / name).exists())
        if existing and not overwrite:
            shown = ", ".join(existing[:3]) + (", ..." if len(existing) > 3 else "")
            raise FileExistsError(
                f"{flag}: the folder {str(path)!r} already holds output of an earlier run "
                f"({shown}); pass --overwrite to replace it, or choose another folder."
            )
    return path


def _either(suffixes: tuple[str, ...]) -> str:
    """Return ``'.a'``, ``'.a' or '.b'``, ... for an error message."""
    quoted = [repr(s) for s in suffixes]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
