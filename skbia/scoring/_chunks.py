"""Cutting files into parts and chunks, reading chunks ahead in a thread, checking pixels."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Chunk", "Part", "chunk_ranges", "plan_parts", "prefetch", "read_chunk"]

NON_FINITE = "non-finite pixels (NaN or inf)"


@dataclass(frozen=True)
class Part:
    """A range of images of one file: the unit a Dask task scores and a part file holds.

    Parameters
    ----------
    number : int
        Position in the run's list of parts (names the part file).
    file : int
        Position of the file in the run's list of input files.
    start, stop : int
        The images ``[start, stop)`` of that file.
    """

    number: int
    file: int
    start: int
    stop: int


@dataclass
class Chunk:
    """Images read from one file, checked, ready to score.

    Parameters
    ----------
    file : int
        Position of the file in the run's inputs.
    start, stop : int
        The range of images read.
    images : ndarray of shape (n_kept, height, width, bands), float32
        The images kept (finite, or filled), channels last.
    indices : ndarray of int
        Their indices in the file.
    ids : ndarray or None
        Their IDs, when the input has an ID column.
    skipped : list of (int or None, str)
        ``(index in the file, reason)`` of every image left out; index None
        means the whole range.
    """

    file: int
    start: int
    stop: int
    images: np.ndarray
    indices: np.ndarray
    ids: np.ndarray | None = None
    skipped: list[tuple[int | None, str]] = field(default_factory=list)


def plan_parts(n_images: list[int], part_size: int) -> list[Part]:
    """Cut every file into parts of at most ``part_size`` images, in input order.

    Parameters
    ----------
    n_images : list of int
        Images in each input file (0 for a file that could not be opened).
    part_size : int
        Most images per part.

    Returns
    -------
    parts : list of Part
    """
    parts = []
    for file, count in enumerate(n_images):
        for start in range(0, count, part_size):
            parts.append(Part(len(parts), file, start, min(start + part_size, count)))
    return parts


def chunk_ranges(start: int, stop: int, chunk_size: int) -> Iterator[tuple[int, int]]:
    """Yield ``(begin, end)`` ranges of at most ``chunk_size`` images covering ``[start, stop)``."""
    for begin in range(start, stop, chunk_size):
        yield begin, min(begin + chunk_size, stop)


def read_chunk(source: Any, file: int, start: int, stop: int,
               fill_value: float | None) -> Chunk:
    """Read images ``[start, stop)`` of ``source`` and check their pixels.

    A read failure skips the whole range; without ``fill_value`` an image
    with a NaN or infinite pixel is skipped, with it such pixels are replaced
    by ``fill_value`` (in the copy read, never in the file).

    Parameters
    ----------
    source : ImageSource
        The open file.
    file : int
        Its position in the run's inputs.
    start, stop : int
        The range to read.
    fill_value : float or None
        Replacement of non-finite pixels; None skips such images.

    Returns
    -------
    chunk : Chunk
    """
    try:
        raw = source.read(start, stop)
        ids = source.ids(start, stop)
    except (OSError, ValueError, EOFError, TypeError, KeyError, RuntimeError) as error:
        text = str(error).strip().splitlines()
        reason = f"unreadable: {text[0] if text else type(error).__name__}"
        empty = np.empty((0, *source.image_shape), dtype=np.float32)
        return Chunk(file, start, stop, empty, np.empty(0, dtype=np.int64),
                     skipped=[(index, reason) for index in range(start, stop)])
    images = raw.astype(np.float32, copy=False)
    indices = np.arange(start, stop, dtype=np.int64)
    finite = np.isfinite(images).all(axis=(1, 2, 3))
    skipped: list[tuple[int | None, str]] = []
    if not finite.all():
        if fill_value is None:
            skipped = [(int(index), NON_FINITE) for index in indices[~finite]]
            images, indices = images[finite], indices[finite]
            ids = None if ids is None else ids[finite]
        else:
            images = np.where(np.isfinite(images), images, np.float32(fill_value))
    return Chunk(file, start, stop, images, indices, ids, skipped)


_DONE = object()


def prefetch(produce: Callable[[], Iterable[Any]], depth: int = 2) -> Iterator[Any]:
    """Iterate over ``produce()`` computed in a thread, up to ``depth`` items ahead.

    Reading the next chunk (disk, decompression, pixel checks, all of which
    release the GIL in NumPy and the file libraries) thus overlaps scoring
    the current one. An error in the thread is raised here, in order.

    Parameters
    ----------
    produce : callable
        Returns the iterable to run in the thread.
    depth : int, default=2
        Items read ahead; memory holds at most ``depth + 1`` chunks (plus
        the one being scored).

    Yields
    ------
    item
        The items of ``produce()``, in order.
    """
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in produce():
                while not stop.is_set():
                    try:
                        items.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put((_DONE, None))
        except BaseException as error:  # handed to the consumer
            items.put((_DONE, error))

    thread = threading.Thread(target=work, name="skbia-scoring-reader", daemon=True)
    thread.start()
    try:
        while True:
            item, error = items.get()
            if item is _DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a put waiting on a full queue
            try:
                items.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()
