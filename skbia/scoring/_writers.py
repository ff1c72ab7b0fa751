"""Writing scores as they come: one growing CSV file, or a folder of part files.

A CSV file is appended to and flushed after every chunk, so an interrupted
run leaves every completed row in place (a half-written last line is cut off
when the run is resumed). A folder of parts (Parquet, or CSV from a Dask run)
gets one file per :class:`~skbia.scoring._chunks.Part`, written under a
temporary name and renamed when complete, so a part file that exists is
whole. Skipped images go to a side CSV file ``source,index,reason``.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CsvAppender",
    "build_rows",
    "read_csv_position",
    "part_path",
    "write_part",
    "write_skipped",
]

SKIPPED_HEADER = ["source", "index", "reason"]
MANIFEST = "_manifest.json"
_PARQUET_HINT = ("Writing Parquet needs pyarrow: install it with pip install pyarrow (or pip "
                 "install 'skbia[parquet]'), or write a .csv file.")


def build_rows(source: str, indices: np.ndarray, ids: np.ndarray | None, predicted: np.ndarray,
               scores: np.ndarray, score_names: Sequence[str], with_ids: bool,
               ) -> dict[str, np.ndarray]:
    """Return the output columns of one scored chunk.

    Parameters
    ----------
    source : str
        The file the images come from.
    indices : ndarray of int
        Their indices in the file.
    ids : ndarray or None
        Their IDs (written as text), if the input has an ID column.
    predicted : ndarray
        Predicted labels.
    scores : ndarray of shape (n, len(score_names))
        The score columns.
    score_names : sequence of str
        Their names.
    with_ids : bool
        Whether the run has an ``id`` column.

    Returns
    -------
    columns : dict of str to ndarray
        ``source``, ``index``, (``id``), ``predicted`` and the score columns.
    """
    n = len(indices)
    columns: dict[str, np.ndarray] = {
        "source": np.full(n, source, dtype=object),
        "index": np.asarray(indices, dtype=np.int64),
    }
    if with_ids:
        columns["id"] = (np.full(n, "", dtype=object) if ids is None
                         else np.array([str(v) for v in ids], dtype=object))
    columns["predicted"] = np.asarray(predicted)
    for position, name in enumerate(score_names):
        columns[name] = np.asarray(scores[:, position], dtype=np.float64).reshape(n)
    return columns


def _csv_lines(columns: dict[str, np.ndarray]) -> Iterator[list[str]]:
    """Yield the CSV rows of ``columns`` (scores with 8 significant digits)."""
    names = list(columns)
    formatted = []
    for name in names:
        values = columns[name]
        if values.dtype.kind == "f":
            formatted.append([f"{v:.8g}" for v in values])
        else:
            formatted.append([str(v) for v in values])
    yield from zip(*formatted, strict=True)


class CsvAppender:
    """A CSV file of scores that grows by one flushed block of rows per chunk.

    Parameters
    ----------
    path : Path
        The file.
    header : list of str
        Its columns; written when the file is new.
    """

    def __init__(self, path: Path, header: list[str]) -> None:
        new = not path.exists() or path.stat().st_size == 0
        self._handle = open(path, "a", newline="", encoding="utf-8")  # noqa: SIM115
        self._writer = csv.writer(self._handle)
        if new:
            self._writer.writerow(header)
            self._handle.flush()

    def write(self, columns: dict[str, np.ndarray]) -> None:
        """Append rows and flush them to the file."""
        self._writer.writerows(_csv_lines(columns))
        self._handle.flush()

    def close(self) -> None:
        """Close the file."""
        self._handle.close()


def read_csv_position(path: Path, header: list[str], files: dict[str, int],
                      n_images: Sequence[int]) -> tuple[tuple[int, int] | None, int]:
    """Check a CSV file of an earlier run and return where it stops.

    A half-written last line (a run killed mid-write) is cut off the file.

    Parameters
    ----------
    path : Path
        The CSV file.
    header : list of str
        The columns this run writes.
    files : dict of str to int
        Each input file's name (as written in ``source``) and position.
    n_images : sequence of int
        Images in each input file.

    Returns
    -------
    last : (int, int) or None
        ``(file position, index)`` of the last row, or None if there is none.
    n_rows : int
        Rows in the file.

    Raises
    ------
    FileExistsError
        If the file holds other columns, names files that are not among the
        inputs, or rows out of the inputs' order: it is not an earlier run of
        the same command (``--overwrite`` starts again).
    """
    _cut_partial_line(path)
    last: tuple[int, int] | None = None
    n_rows = 0
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        found = next(reader, None)
        if found is None:
            return None, 0
        if found != header:
            raise FileExistsError(
                f"{path} already exists with the columns {','.join(found)} instead of "
                f"{','.join(header)}: it is not an earlier run of this command (another model?); "
                "pass --overwrite to replace it."
            )
        for number, row in enumerate(reader, start=2):
            position = _position(row, files, n_images, path, number)
            if last is not None and position <= last:
                raise FileExistsError(f"{path}, line {number}: rows are not in the order of the "
                                      "inputs; pass --overwrite to start again.")
            last = position
            n_rows += 1
    return last, n_rows


def _position(row: list[str], files: dict[str, int], n_images: Sequence[int], path: Path,
              number: int) -> tuple[int, int]:
    """Return ``(file position, index)`` of a CSV row of an earlier run."""
    source = row[0] if row else ""
    if source not in files:
        raise FileExistsError(
            f"{path}, line {number}: scores of {source!r}, which is not among the inputs: it "
            "is not an earlier run of this command; pass --overwrite to replace it."
        )
    file = files[source]
    try:
        index = int(row[1])
    except (IndexError, ValueError):
        raise FileExistsError(f"{path}, line {number}: not a row of scores; pass --overwrite "
                              "to replace the file.") from None
    if not 0 <= index < n_images[file]:
        raise FileExistsError(
            f"{path}, line {number}: index {index} of {source}, which holds {n_images[file]} "
            "images now; pass --overwrite to start again."
        )
    return file, index


def _cut_partial_line(path: Path) -> None:
    """Remove a last line that has no line break (written by a run killed mid-write)."""
    size = path.stat().st_size
    if size == 0:
        return
    with open(path, "rb+") as handle:
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        block = 1 << 16
        end = size
        while end > 0:
            begin = max(0, end - block)
            handle.seek(begin)
            data = handle.read(end - begin)
            cut = data.rfind(b"\n")
            if cut >= 0:
                handle.truncate(begin + cut + 1)
                return
            end = begin
        handle.truncate(0)


def read_skipped(path: Path) -> list[list[str]]:
    """Return the rows of a side file of skipped images (without its header)."""
    if not path.exists():
        return []
    _cut_partial_line(path)
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return [row for row in rows[1:] if len(row) == 3]


def write_skipped(path: Path, rows: Sequence[Sequence[Any]], *, append: bool = False) -> None:
    """Write (or append to) a side file ``source,index,reason`` of skipped images.

    Parameters
    ----------
    path : Path
        The file.
    rows : sequence of (source, index or None, reason)
        Skipped images; index None (written empty) means the whole file.
    append : bool, default=False
        Add to an existing file instead of replacing it (atomically).
    """
    if append and path.exists():
        with open(path, "a", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(_skipped_rows(rows))
        return
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SKIPPED_HEADER)
        writer.writerows(_skipped_rows(rows))
    os.replace(partial, path)


def _skipped_rows(rows: Sequence[Sequence[Any]]) -> Iterator[list[str]]:
    for source, index, reason in rows:
        yield [str(source), "" if index is None or index == "" else str(index), str(reason)]


def part_path(folder: Path, number: int, fmt: str) -> Path:
    """Return the path of part ``number`` in a folder of parts (``part-000012.parquet``)."""
    return folder / f"part-{number:06d}.{fmt}"


def skipped_part_path(folder: Path, number: int) -> Path:
    """Return the path of the skipped images of part ``number`` (ignored by Parquet readers)."""
    return folder / f"_skipped-{number:06d}.csv"


def write_part(folder: Path, number: int, fmt: str, columns: dict[str, np.ndarray],
               skipped: Sequence[Sequence[Any]]) -> Path:
    """Write one part file (and its skipped images), each complete or not at all.

    The skipped images are written first: a part file that exists is a part
    that was completed, with its side file.

    Parameters
    ----------
    folder : Path
        The folder of parts.
    number : int
        The part's number.
    fmt : {"parquet", "csv"}
        File format.
    columns : dict of str to ndarray
        The rows (see :func:`build_rows`).
    skipped : sequence of (source, index, reason)
        Images of the part that were left out.

    Returns
    -------
    path : Path
        The part file.
    """
    write_skipped(skipped_part_path(folder, number), skipped)
    path = part_path(folder, number, fmt)
    partial = folder / f".{path.name}.partial"
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(to_arrow(columns), partial)
        else:
            with open(partial, "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(list(columns))
                writer.writerows(_csv_lines(columns))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def to_arrow(columns: dict[str, np.ndarray]) -> Any:
    """Return the columns as a ``pyarrow.Table`` (text as strings, scores as float64)."""
    import pyarrow as pa

    arrays = {}
    for name, values in columns.items():
        if values.dtype == object or values.dtype.kind in "US":
            arrays[name] = pa.array([str(v) for v in values], type=pa.string())
        else:
            arrays[name] = pa.array(values)
    return pa.table(arrays)


def check_pyarrow() -> None:
    """Raise ``ImportError`` with the install command if pyarrow is missing."""
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError as error:
        raise ImportError(_PARQUET_HINT) from error


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """Return the manifest of a folder of parts, or None if it has none."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest of a folder of parts (what inputs and parts it holds)."""
    partial = folder / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(partial, folder / MANIFEST)
