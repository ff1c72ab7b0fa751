"""The K highest-scoring candidates of a run, with their cutouts, for visual inspection."""

from __future__ import annotations

import csv
import heapq
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from skbia.scoring._sources import SourceOptions, open_source

__all__ = ["top_candidates", "write_top"]


def iter_scores(output: Path, parts: list[Path], score_name: str,
                with_ids: bool) -> Iterator[tuple[float, str, int, str]]:
    """Yield ``(score, source, index, id)`` of every row of a run's output, in order.

    Parameters
    ----------
    output : Path
        The CSV file (when ``parts`` is empty).
    parts : list of Path
        The part files of a folder of parts, in order.
    score_name : str
        The score column.
    with_ids : bool
        Whether the rows have an ``id`` column.

    Yields
    ------
    row : (float, str, int, str)
    """
    files = parts or [output]
    for path in files:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            names = ["source", "index", score_name] + (["id"] if with_ids else [])
            table = pq.read_table(path, columns=names)
            ids = table.column("id").to_pylist() if with_ids else [""] * table.num_rows
            yield from zip(table.column(score_name).to_pylist(),
                           table.column("source").to_pylist(),
                           table.column("index").to_pylist(), ids, strict=True)
            continue
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                yield (float(row[score_name]), row["source"], int(row["index"]),
                       row.get("id", "") or "")


def top_candidates(rows: Iterator[tuple[float, str, int, str]], k: int
                   ) -> list[tuple[float, str, int, str]]:
    """Return the ``k`` rows of highest score, highest first (ties: earlier rows first).

    Parameters
    ----------
    rows : iterator of (score, source, index, id)
        Scores, e.g. from :func:`iter_scores`.
    k : int
        How many to keep; memory holds only ``k`` rows.

    Returns
    -------
    best : list of (score, source, index, id)
    """
    heap: list[tuple[float, int, tuple]] = []
    for order, row in enumerate(rows):
        item = (row[0], -order, row)
        if len(heap) < k:
            heapq.heappush(heap, item)
        elif item > heap[0]:
            heapq.heapreplace(heap, item)
    return [row for _, _, row in sorted(heap, reverse=True)]


def write_top(best: list[tuple[float, str, int, str]], stem: Path, options: SourceOptions,
              score_name: str, with_ids: bool) -> list[Path]:
    """Write the top candidates' cutouts (``.npy``), table (``.csv``) and picture (``.png``).

    Parameters
    ----------
    best : list of (score, source, index, id)
        From :func:`top_candidates`.
    stem : Path
        The output's path without suffix: writes ``<stem>.top.npy``,
        ``<stem>.top.csv`` and ``<stem>.top.png``.
    options : SourceOptions
        How the inputs are read.
    score_name : str
        The score column's name.
    with_ids : bool
        Whether the table gets an ``id`` column.

    Returns
    -------
    paths : list of Path
        The files written.
    """
    cutouts = _read_cutouts(best, options)
    npy = stem.with_name(stem.name + ".top.npy")
    table = stem.with_name(stem.name + ".top.csv")
    picture = stem.with_name(stem.name + ".top.png")
    np.save(npy, cutouts)
    with open(table, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["rank", "source", "index"] + (["id"] if with_ids else []) + [score_name])
        for rank, (score, source, index, ident) in enumerate(best, start=1):
            writer.writerow([rank, source, index] + ([ident] if with_ids else [])
                            + [f"{score:.8g}"])
    _plot(cutouts, best, picture)
    return [npy, table, picture]


def _read_cutouts(best: list[tuple[float, str, int, str]], options: SourceOptions) -> np.ndarray:
    """Read the candidates' images from their files (one open per file)."""
    by_source: dict[str, list[int]] = {}
    for position, (_, source, _, _) in enumerate(best):
        by_source.setdefault(source, []).append(position)
    images: list[Any] = [None] * len(best)
    for source, positions in by_source.items():
        with open_source(source, options) as opened:
            for position in positions:
                index = best[position][2]
                images[position] = opened.read(index, index + 1)[0]
    if not images:
        return np.empty((0, 0, 0, 0), dtype=np.float32)
    return np.stack(images).astype(np.float32, copy=False)


def _plot(cutouts: np.ndarray, best: list[tuple[float, str, int, str]], path: Path) -> None:
    """Save a grid of the candidates, each titled with its rank and score."""
    if not len(cutouts):
        return
    from skbia.plotting import plot_images

    labels = [f"#{rank} {score:.3f}" for rank, (score, *_) in enumerate(best, start=1)]
    figure = plot_images(cutouts, labels, ncols=min(5, len(cutouts)))
    figure.savefig(path, dpi=80)
