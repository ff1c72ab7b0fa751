"""``score_files``: score many image files in bounded memory, resumably, locally or on Dask."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from skbia.scoring._chunks import Chunk, Part, chunk_ranges, plan_parts, prefetch, read_chunk
from skbia.scoring._inputs import resolve_inputs
from skbia.scoring._model import (
    cached_model,
    check_streamable,
    model_input_shape,
    score_chunk,
    score_columns,
    set_batch_size,
)
from skbia.scoring._progress import Progress
from skbia.scoring._sources import SourceOptions, open_source
from skbia.scoring._top import iter_scores, top_candidates, write_top
from skbia.scoring._writers import (
    MANIFEST,
    CsvAppender,
    build_rows,
    check_pyarrow,
    part_path,
    read_csv_position,
    read_manifest,
    read_skipped,
    skipped_part_path,
    write_manifest,
    write_part,
    write_skipped,
)

__all__ = ["ScoringSummary", "score_files"]


@dataclass
class ScoringSummary:
    """What a call of :func:`score_files` did.

    Attributes
    ----------
    output : Path
        The CSV file, or the folder of part files.
    skipped_file : Path
        The side file of skipped images and unreadable files.
    n_files : int
        Input files.
    n_images : int
        Images in the input files that could be opened.
    n_scored : int
        Rows in the output, from this run and any earlier one it continued.
    n_scored_now : int
        Rows written by this call.
    n_skipped : int
        Images left out (unreadable chunks, NaN or infinite pixels), listed in
        ``skipped_file``.
    n_unreadable_files : int
        Files that could not be opened, listed in ``skipped_file``.
    resumed : bool
        Whether an earlier run's output was continued.
    seconds : float
        Duration of the scoring (not counting model loading).
    images_per_second : float
        Images read and scored per second by this call.
    top_files : list of Path
        The ``--top`` files (``.top.npy``, ``.top.csv``, ``.top.png``), if asked.
    """

    output: Path
    skipped_file: Path
    n_files: int
    n_images: int
    n_scored: int
    n_scored_now: int
    n_skipped: int
    n_unreadable_files: int
    resumed: bool
    seconds: float
    images_per_second: float
    top_files: list[Path] = field(default_factory=list)

    def report(self) -> str:
        """Return a one-paragraph summary for people."""
        parts = [f"{self.n_scored} of {self.n_images} images in {self.n_files} file(s) scored"]
        if self.n_skipped:
            parts.append(f"{self.n_skipped} skipped")
        if self.n_unreadable_files:
            parts.append(f"{self.n_unreadable_files} file(s) unreadable")
        text = ", ".join(parts)
        if self.n_skipped or self.n_unreadable_files:
            text += f" (listed in {self.skipped_file})"
        if self.resumed:
            text += f"; continued an earlier run ({self.n_scored_now} rows added)"
        return (f"{text}; {self.images_per_second:.0f} images/s; scores in {self.output}")


@dataclass(frozen=True)
class _Settings:
    """Everything a worker needs to score a part (picklable)."""

    model_path: str | None
    files: tuple[str, ...]
    options: SourceOptions
    chunk_size: int
    batch_size: int
    fill_value: float | None
    folder: str
    fmt: str
    score_names: tuple[str, ...]
    positive: int | None
    with_ids: bool
    prefetch: int
    label_dtype: str


def score_files(
    model: Any,
    inputs: str | Path | Iterable[str | Path],
    output: str | Path,
    *,
    client: Any = None,
    chunk_size: int = 1024,
    batch_size: int = 64,
    part_size: int = 65536,
    fill_value: float | None = None,
    overwrite: bool = False,
    hdu: int | str | None = None,
    dataset: str | None = None,
    id_column: str | None = None,
    id_dataset: str | None = None,
    channels_first: bool = False,
    top: int | None = None,
    progress: bool = True,
    stream: TextIO | None = None,
    prefetch_depth: int = 2,
) -> ScoringSummary:
    """Score image files a chunk at a time and write the scores as they come.

    Memory holds a few chunks of ``chunk_size`` images whatever the number of
    images: ``.npy`` files are memory-mapped, FITS cubes read by section and
    HDF5 datasets by slice, and the next chunk is read in a thread while the
    current one is scored. Each output row names its source file and the
    image's index in it (and its ID with ``id_column`` or ``id_dataset``).

    A ``.csv`` output (without ``client``) is one file appended to and
    flushed after every chunk; a ``.parquet`` output (and any output with
    ``client``) is a folder of part files of ``part_size`` images, readable
    whole with ``pandas.read_parquet(folder)`` or ``pyarrow.dataset``.
    Calling again with the same arguments after an interruption continues
    after the last completed row or part (the output's file names and row
    counts are checked against the inputs); ``overwrite=True`` starts again.

    Images that cannot be read, and images with NaN or infinite pixels
    (unless ``fill_value`` is given), are skipped and listed with the reason
    in ``<output stem>.skipped.csv``; a file that cannot be opened is listed
    there too and the run goes on.

    Parameters
    ----------
    model : str, Path, CNNClassifier or FoldEnsembleClassifier
        The saved model (a ``.keras`` file or an ensemble folder), or a fitted
        model (local runs only). Ensembles must average by mean.
    inputs : str, Path or iterable of them
        Image files, glob patterns, folders or text files listing files
        (see :func:`skbia.scoring.resolve_inputs`).
    output : str or Path
        ``scores.csv`` or ``scores.parquet``; its folder must exist.
    client : distributed.Client, optional
        Spread the parts over a Dask cluster: each worker process loads the
        model once and writes its own part files (the output folder must be
        reachable by every worker, e.g. a shared file system).
    chunk_size : int, default=1024
        Images read and scored at a time; bounds the memory.
    batch_size : int, default=64
        Images per forward pass of the network.
    part_size : int, default=65536
        Images per part file (and per Dask task).
    fill_value : float, optional
        Replace NaN or infinite pixels by this finite value instead of
        skipping those images.
    overwrite : bool, default=False
        Replace an earlier output instead of continuing it.
    hdu : int or str, optional
        FITS: the HDU of the image cube.
    dataset : str, optional
        HDF5: the dataset of images.
    id_column : str, optional
        FITS: a table column of image IDs, written as an ``id`` column.
    id_dataset : str, optional
        HDF5: a 1-d dataset of image IDs, written as an ``id`` column.
    channels_first : bool, default=False
        The files hold ``(n, bands, height, width)`` arrays.
    top : int, optional
        Also write the ``top`` highest-scoring images (binary models):
        ``<stem>.top.npy`` (their cutouts), ``<stem>.top.csv`` and a picture
        ``<stem>.top.png``.
    progress : bool, default=True
        Report progress (a bar on a terminal, plain lines otherwise).
    stream : file-like, optional
        Where progress goes (default: standard output).
    prefetch_depth : int, default=2
        Chunks read ahead of the one being scored.

    Returns
    -------
    summary : ScoringSummary

    Raises
    ------
    ValueError
        Bad parameters, an empty glob, no readable image, images whose shape
        differs from the model's, a rank-averaged ensemble; all before any
        scoring.
    FileExistsError
        If ``output`` exists but is not an earlier run of the same inputs and
        model (and ``overwrite`` is False).
    FileNotFoundError
        If the model, an input or the output's folder does not exist.

    Examples
    --------
    >>> from skbia.scoring import score_files
    >>> summary = score_files("model.keras", "cutouts/*.npy", "scores.csv")  # doctest: +SKIP
    >>> print(summary.report())  # doctest: +SKIP
    """
    for name, value in (("chunk_size", chunk_size), ("batch_size", batch_size),
                        ("part_size", part_size), ("prefetch_depth", prefetch_depth)):
        _check_positive(name, value)
    if top is not None:
        _check_positive("top", top)
    from skbia.utils._validation import check_fill_value  # (skbia.utils imports scikit-learn)

    check_fill_value(fill_value)
    output = Path(output)
    fmt = _output_format(output)
    parted = fmt == "parquet" or client is not None
    if fmt == "parquet":
        check_pyarrow()
    if client is not None and not isinstance(model, (str, Path)):
        raise TypeError("With a Dask client, give the model as the path of its saved file, so "
                        "that each worker loads it.")
    _check_output_place(output, parted)
    files = resolve_inputs(inputs)
    options = SourceOptions(hdu=hdu, dataset=dataset, id_column=id_column,
                            id_dataset=id_dataset, channels_first=channels_first)
    names = [str(path) for path in files]
    _check_not_outputs(files, output, top)
    n_images, shapes, unreadable = _open_headers(files, options)
    if not any(n_images):
        first = unreadable[0][2].removeprefix("unreadable file: ") if unreadable else "no images."
        raise ValueError(f"None of the {len(files)} input file(s) could be read; the first "
                         f"problem: {first}")
    model_path = str(model) if isinstance(model, (str, Path)) else None
    loaded = cached_model(model, batch_size) if model_path else model
    if model_path is None:
        set_batch_size(loaded, batch_size)
    check_streamable(loaded)
    _check_shapes(loaded, names, shapes, model_path or "the model", channels_first)
    score_names, positive = score_columns(loaded)
    if top is not None and positive is None:
        raise ValueError("top needs a binary model (one score per image); this model has "
                         f"{len(score_names)} classes.")
    with_ids = id_column is not None or id_dataset is not None
    header = ["source", "index"] + (["id"] if with_ids else []) + ["predicted", *score_names]
    stem = output.with_name(output.name[: -len(output.suffix)])
    skipped_file = stem.with_name(stem.name + ".skipped.csv")
    if overwrite:
        _remove_outputs(output, parted, skipped_file, stem)
    settings = _Settings(model_path, tuple(names), options, chunk_size, batch_size, fill_value,
                         str(output), "parquet" if fmt == "parquet" else "csv",
                         tuple(score_names), positive, with_ids, prefetch_depth,
                         np.asarray(loaded.classes_).dtype.str)
    start = time.perf_counter()
    if parted:
        resumed, n_scored, n_scored_now, done_now, skipped_rows = _run_parts(
            loaded, settings, n_images, header, part_size, client, progress, stream)
        parts = sorted(output.glob(f"part-*.{settings.fmt}"))
    else:
        resumed, n_scored, n_scored_now, done_now, skipped_rows = _run_csv(
            loaded, settings, n_images, header, skipped_file, progress, stream)
        parts = []
    seconds = time.perf_counter() - start
    unreadable_rows = [list(map(str, (s, "", reason))) for s, _, reason in unreadable]
    write_skipped(skipped_file, unreadable_rows + skipped_rows)
    summary = ScoringSummary(
        output=output, skipped_file=skipped_file, n_files=len(files),
        n_images=int(sum(n_images)), n_scored=n_scored, n_scored_now=n_scored_now,
        n_skipped=len(skipped_rows), n_unreadable_files=len(unreadable), resumed=resumed,
        seconds=seconds, images_per_second=done_now / seconds if seconds > 0 else 0.0,
    )
    if top is not None:
        best = top_candidates(iter_scores(output, parts, score_names[0], with_ids), top)
        summary.top_files = write_top(best, stem, options, score_names[0], with_ids)
    return summary


def _check_positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")


def _output_format(output: Path) -> str:
    """Return ``"csv"`` or ``"parquet"`` from the output's suffix."""
    suffix = output.suffix.lower()
    if suffix not in (".csv", ".parquet") or output.name.lower() == suffix:
        raise ValueError(f"The output {str(output)!r} must end in '.csv' or '.parquet'.")
    return suffix[1:]


def _check_output_place(output: Path, parted: bool) -> None:
    """Check that the output's folder exists and the output is of the right kind."""
    parent = output.parent
    if not parent.is_dir():
        raise FileNotFoundError(f"The folder {str(parent)!r} for the output {str(output)!r} "
                                "does not exist; create it first.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"The folder {str(parent)!r} is not writable.")
    if parted and output.exists() and not output.is_dir():
        raise FileExistsError(f"{str(output)!r} is a file, but this run writes a folder of part "
                              "files there (a .parquet output, or any output with a Dask "
                              "cluster); choose another name or remove it.")
    if not parted and output.is_dir():
        raise IsADirectoryError(f"{str(output)!r} is a folder (of part files from a Dask run?); "
                                "a .csv output of a local run is one file: choose another "
                                "name.")


def _check_not_outputs(files: list[Path], output: Path, top: int | None) -> None:
    """Refuse inputs that are this run's own outputs (a glob matching ``<stem>.top.npy``)."""
    stem = output.name[: -len(output.suffix)]
    ours = {output.resolve(), output.with_name(stem + ".top.npy").resolve()}
    for path in files:
        if path.resolve() in ours:
            raise ValueError(f"The input {path} is an output of this command (the --top "
                             "cutouts or the scores); write the outputs elsewhere or narrow "
                             "the input pattern.")


def _open_headers(files: list[Path], options: SourceOptions
                  ) -> tuple[list[int], list[tuple[int, ...] | None], list[tuple]]:
    """Open every input's header: image counts, shapes and the files that cannot be read."""
    n_images, shapes, unreadable = [], [], []
    for path in files:
        try:
            with open_source(path, options) as source:
                n_images.append(source.n_images)
                shapes.append(source.image_shape)
        except (ValueError, OSError) as error:
            n_images.append(0)
            shapes.append(None)
            unreadable.append((str(path), None, f"unreadable file: {_one_line(error)}"))
    return n_images, shapes, unreadable


def _one_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _check_shapes(model: Any, names: list[str], shapes: list, model_name: str,
                  channels_first: bool) -> None:
    """Raise ``ValueError`` naming the first file whose images do not fit the model."""
    expected = model_input_shape(model)
    if expected is None:
        return
    for name, shape in zip(names, shapes, strict=True):
        if shape is None or tuple(shape) == expected:
            continue
        hint = ""
        if not channels_first and shape[0] == expected[2] and shape[1:] == expected[:2]:
            hint = " (are they stored bands first? then pass --channels-first)"
        raise ValueError(
            f"{name} holds {shape[0]}x{shape[1]}-pixel images with {shape[2]} band(s), but "
            f"{model_name} was trained on {expected[0]}x{expected[1]}-pixel images with "
            f"{expected[2]} band(s){hint}; nothing was scored."
        )


def _remove_outputs(output: Path, parted: bool, skipped_file: Path, stem: Path) -> None:
    """Remove an earlier run's files (only the files this function writes)."""
    for suffix in (".top.npy", ".top.csv", ".top.png"):
        stem.with_name(stem.name + suffix).unlink(missing_ok=True)
    skipped_file.unlink(missing_ok=True)
    if output.is_dir():
        for path in output.iterdir():
            if path.name.startswith(("part-", "_skipped-", ".part-")) or path.name == MANIFEST:
                path.unlink()
    elif output.exists() and not parted:
        output.unlink()


# --------------------------------------------------------------------------- local CSV


def _run_csv(model: Any, settings: _Settings, n_images: list[int], header: list[str],
             skipped_file: Path, progress: bool, stream: TextIO | None):
    """Score into one growing CSV file, continuing an earlier run's file if there is one."""
    output = Path(settings.folder)
    positions = {name: file for file, name in enumerate(settings.files)}
    last, n_rows = None, 0
    resumed = output.exists()
    if resumed:
        last, n_rows = read_csv_position(output, header, positions, n_images)
    # an earlier run's skipped images up to its last row stay; later ones are read again
    kept = [row for row in read_skipped(skipped_file) if row[1] and row[0] in positions
            and last is not None and (positions[row[0]], int(row[1])) <= last] if resumed else []
    write_skipped(skipped_file, kept)
    requests = list(_csv_requests(n_images, last, settings.chunk_size))
    total = sum(stop - start for _, start, stop in requests)
    report = Progress(total, stream=stream, enabled=progress)
    if progress and resumed:
        print(f"continuing {output}: {n_rows} rows already written, {total} images left",
              file=report.stream, flush=True)
    writer = CsvAppender(output, header)
    n_now = 0
    try:
        for chunk in prefetch(lambda: _read_requests(requests, settings), settings.prefetch):
            name = settings.files[chunk.file]
            skipped = [[name, index, reason] for index, reason in chunk.skipped]
            if skipped:
                write_skipped(skipped_file, skipped, append=True)
                kept.extend(map(lambda r: list(map(str, r)), skipped))
            if len(chunk.images):
                columns = _score(model, settings, name, chunk)
                writer.write(columns)
                n_now += len(chunk.indices)
            report.update(chunk.stop - chunk.start)
    finally:
        writer.close()
        report.close()
    return resumed, n_rows + n_now, n_now, total, kept


def _csv_requests(n_images: list[int], last: tuple[int, int] | None, chunk_size: int
                  ) -> Iterator[tuple[int, int, int]]:
    """Yield ``(file, start, stop)`` chunks of every image after ``last``."""
    for file, count in enumerate(n_images):
        begin = 0
        if last is not None:
            if file < last[0]:
                continue
            if file == last[0]:
                begin = last[1] + 1
        for start, stop in chunk_ranges(begin, count, chunk_size):
            yield file, start, stop


def _read_requests(requests: list[tuple[int, int, int]], settings: _Settings):
    """Read the requested chunks in order, each file opened once (runs in the reader thread)."""
    source, current, failure = None, None, ""
    try:
        for file, start, stop in requests:
            if file != current:
                if source is not None:
                    source.close()
                source, current, failure = None, file, ""
                try:
                    source = open_source(settings.files[file], settings.options)
                except (ValueError, OSError) as error:  # gone or damaged since the start
                    failure = f"unreadable file: {_one_line(error)}"
            if source is None:
                yield Chunk(file, start, stop, np.empty((0, 1, 1, 1), dtype=np.float32),
                            np.empty(0, dtype=np.int64),
                            skipped=[(index, failure) for index in range(start, stop)])
                continue
            yield read_chunk(source, file, start, stop, settings.fill_value)
    finally:
        if source is not None:
            source.close()


def _score(model: Any, settings: _Settings, name: str, chunk) -> dict[str, np.ndarray]:
    """Score a chunk's images and return its output columns."""
    proba, predicted = score_chunk(model, chunk.images)
    scores = proba[:, [settings.positive]] if settings.positive is not None else proba
    return build_rows(name, chunk.indices, chunk.ids, predicted, scores, settings.score_names,
                      settings.with_ids)


# --------------------------------------------------------------------------- folders of parts


def _run_parts(model: Any, settings: _Settings, n_images: list[int], header: list[str],
               part_size: int, client: Any, progress: bool, stream: TextIO | None):
    """Score into a folder of part files, locally or on a Dask cluster."""
    folder = Path(settings.folder)
    manifest = {"format": "skbia scores", "version": 1, "inputs": list(settings.files),
                "n_images": n_images, "part_size": part_size, "columns": header,
                "file_format": settings.fmt}
    found = read_manifest(folder) if folder.is_dir() else None
    existing_parts = sorted(folder.glob("part-*")) if folder.is_dir() else []
    if found is not None and found != manifest:
        raise FileExistsError(_manifest_difference(folder, found, manifest))
    if found is None and existing_parts:
        raise FileExistsError(f"{folder} holds part files but no {MANIFEST}: not an output of "
                              "this command; pass --overwrite to replace them.")
    folder.mkdir(exist_ok=True)
    write_manifest(folder, manifest)
    parts = plan_parts(n_images, part_size)
    todo = [p for p in parts if not part_path(folder, p.number, settings.fmt).exists()]
    resumed = len(todo) < len(parts) and found is not None
    total = sum(p.stop - p.start for p in todo)
    report = Progress(total, stream=stream, enabled=progress)
    if progress and resumed:
        print(f"continuing {folder}: {len(parts) - len(todo)} of {len(parts)} parts already "
              f"written, {total} images left", file=report.stream, flush=True)
    n_now = 0
    try:
        if client is None:
            n_now = _parts_locally(model, settings, todo, report)
        else:
            from distributed import as_completed

            futures = [client.submit(_score_part, part, settings, pure=False,
                                     key=f"skbia-score-part-{part.number}-{time.time_ns()}")
                       for part in todo]
            for future in as_completed(futures):
                n_rows, n_done = future.result()
                n_now += n_rows
                report.update(n_done)
    finally:
        report.close()
    skipped_rows: list[list[str]] = []
    n_scored = 0
    for part in parts:
        skipped_rows.extend(read_skipped(skipped_part_path(folder, part.number)))
        n_scored += _count_rows(part_path(folder, part.number, settings.fmt))
    return resumed, n_scored, n_now, total, skipped_rows


def _manifest_difference(folder: Path, found: dict, manifest: dict) -> str:
    """Say why an existing folder of parts is not an earlier run of this command."""
    for key, what in (("inputs", "input files"), ("n_images", "image counts"),
                      ("columns", "columns (another model?)"), ("part_size", "part size"),
                      ("file_format", "file format")):
        if found.get(key) != manifest.get(key):
            return (f"{folder} holds scores of an earlier run with other {what}: it is not an "
                    "earlier run of this command; pass --overwrite to replace it.")
    return f"{folder} holds another run's scores; pass --overwrite to replace them."


def _count_rows(path: Path) -> int:
    """Return the rows of a part file (0 if it does not exist)."""
    if not path.exists():
        return 0
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.read_metadata(path).num_rows)
    with open(path, "rb") as handle:
        return max(0, sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
                   - 1)


def _parts_locally(model: Any, settings: _Settings, todo: list[Part], report: Progress) -> int:
    """Score parts one after another in this process, reading ahead across parts."""
    requests = [(part.file, start, stop) for part in todo
                for start, stop in chunk_ranges(part.start, part.stop, settings.chunk_size)]
    n_now = 0
    pending = iter(todo)
    part = next(pending, None)
    collected: list[dict[str, np.ndarray]] = []
    skipped: list[list[Any]] = []
    for chunk in prefetch(lambda: _read_requests(requests, settings), settings.prefetch):
        n_now += _collect(model, settings, chunk, collected, skipped)
        report.update(chunk.stop - chunk.start)
        if part is not None and chunk.stop == part.stop and chunk.file == part.file:
            _finish_part(settings, part, collected, skipped)
            collected, skipped = [], []
            part = next(pending, None)
    return n_now


def _collect(model: Any, settings: _Settings, chunk, collected: list, skipped: list) -> int:
    """Score a chunk into ``collected`` and note its skipped images; return its rows."""
    name = settings.files[chunk.file]
    skipped.extend([name, index, reason] for index, reason in chunk.skipped)
    if not len(chunk.images):
        return 0
    collected.append(_score(model, settings, name, chunk))
    return len(chunk.indices)


def _finish_part(settings: _Settings, part: Part, collected: list, skipped: list) -> None:
    """Write a part's rows (possibly none) and skipped images."""
    if collected:
        columns = {name: np.concatenate([c[name] for c in collected]) for name in collected[0]}
    else:
        columns = _empty_columns(settings)
    write_part(Path(settings.folder), part.number, settings.fmt, columns, skipped)


def _empty_columns(settings: _Settings) -> dict[str, np.ndarray]:
    """Return the columns of a part without rows (every image of it skipped)."""
    columns = {"source": np.empty(0, dtype=object), "index": np.empty(0, dtype=np.int64)}
    if settings.with_ids:
        columns["id"] = np.empty(0, dtype=object)
    columns["predicted"] = np.empty(0, dtype=np.dtype(settings.label_dtype))
    for name in settings.score_names:
        columns[name] = np.empty(0, dtype=np.float64)
    return columns


def _score_part(part: Part, settings: _Settings) -> tuple[int, int]:
    """Score one part on a Dask worker (the model is loaded once per worker process).

    Returns
    -------
    n_rows, n_images : int, int
        Rows written and images read.
    """
    model = cached_model(settings.model_path, settings.batch_size)
    requests = [(part.file, start, stop)
                for start, stop in chunk_ranges(part.start, part.stop, settings.chunk_size)]
    collected: list[dict[str, np.ndarray]] = []
    skipped: list[list[Any]] = []
    n_rows = 0
    for chunk in prefetch(lambda: _read_requests(requests, settings), settings.prefetch):
        n_rows += _collect(model, settings, chunk, collected, skipped)
    _finish_part(settings, part, collected, skipped)
    return n_rows, part.stop - part.start
