"""Bookkeeping of search results: rows of ``cv_results_``, merging, ranking.

scikit-learn builds ``cv_results_`` column-wise from the trials it ran itself.
A search that was resumed, or that had trials fail before scikit-learn could
record them, needs rows from elsewhere; this module turns results into rows
and back so they can be merged in the order the trials ran.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata

_BAND_KEY = re.compile(r"^(?P<name>.+)\[(?P<index>\d+)\]$")


def pack_band_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Gather ``name[0]``, ``name[1]``, ... entries into one list-valued ``name``.

    skopt dimensions are scalars; a parameter that takes one value per band
    (e.g. ``cnnclassifier__max_pixel``) is searched as one dimension per band
    named ``<param>[<band>]`` and packed back here before ``set_params``.

    Parameters
    ----------
    params : mapping of str to object
        A point of the search space as a parameter dict.

    Returns
    -------
    packed : dict
        The same parameters with each group of indexed keys replaced by a list.

    Raises
    ------
    ValueError
        If the indices of a group are not exactly 0, 1, ..., n-1, or if a
        packed name is also given as a plain key.
    """
    packed: dict[str, Any] = {}
    groups: dict[str, dict[int, Any]] = {}
    for key, value in params.items():
        match = _BAND_KEY.match(key)
        if match is None:
            packed[key] = value
        else:
            groups.setdefault(match["name"], {})[int(match["index"])] = value
    for name, values in groups.items():
        if name in packed:
            raise ValueError(
                f"Search space sets {name!r} both as a whole and per band ({name}[i])."
            )
        indices = sorted(values)
        if indices != list(range(len(indices))):
            raise ValueError(
                f"Per-band dimensions of {name!r} must be numbered 0..n-1 without gaps; "
                f"got indices {indices}."
            )
        packed[name] = [values[i] for i in indices]
    return packed


def results_to_rows(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Split a ``cv_results_``-like dict into one dict per trial (masked entries dropped)."""
    n_rows = len(results["params"])
    rows: list[dict[str, Any]] = [{} for _ in range(n_rows)]
    for key, column in results.items():
        if key.startswith("rank_"):
            continue  # ranks are recomputed after merging
        mask = np.ma.getmaskarray(column) if isinstance(column, np.ma.MaskedArray) else None
        for i in range(n_rows):
            if mask is not None and mask[i]:
                continue
            rows[i][key] = column[i]
    return rows


def failed_rows(
    candidates: Sequence[Mapping[str, Any]],
    *,
    score_names: Iterable[str],
    n_splits: int,
    error_score: float,
    return_train_score: bool,
) -> list[dict[str, Any]]:
    """Rows for trials whose every fit failed (scikit-learn raised before recording them)."""
    std = 0.0 if np.isfinite(error_score) else np.nan
    rows = []
    for params in candidates:
        row: dict[str, Any] = {
            "mean_fit_time": np.nan,
            "std_fit_time": np.nan,
            "mean_score_time": np.nan,
            "std_score_time": np.nan,
            "params": dict(params),
        }
        row.update({f"param_{key}": value for key, value in params.items()})
        kinds = ("test", "train") if return_train_score else ("test",)
        for name in score_names:
            for kind in kinds:
                for split in range(n_splits):
                    row[f"split{split}_{kind}_{name}"] = float(error_score)
                row[f"mean_{kind}_{name}"] = float(error_score)
                row[f"std_{kind}_{name}"] = std
        rows.append(row)
    return rows


def rows_to_results(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Build a ``cv_results_``-like dict from rows, with fresh ``rank_*`` columns.

    ``params`` stays a list of dicts, ``param_*`` columns are masked object
    arrays (masked where a trial did not set the parameter), every other column
    is a float array (NaN where a row lacks it). Ranks treat NaN scores as the
    worst, ties share the lowest rank, as in scikit-learn.
    """
    keys: list[str] = []
    for row in rows:
        keys.extend(key for key in row if key not in keys)
    results: dict[str, Any] = {}
    n_rows = len(rows)
    for key in keys:
        if key == "params":
            results[key] = [dict(row.get("params", {})) for row in rows]
        elif key.startswith("param_"):
            data = np.empty(n_rows, dtype=object)
            mask = np.ones(n_rows, dtype=bool)
            for i, row in enumerate(rows):
                if key in row:
                    data[i] = row[key]
                    mask[i] = False
            results[key] = np.ma.MaskedArray(data, mask=mask)
        else:
            results[key] = np.array([row.get(key, np.nan) for row in rows], dtype=float)
    for key in keys:
        for kind in ("test", "train"):
            prefix = f"mean_{kind}_"
            if key.startswith(prefix):
                scores = np.nan_to_num(results[key], nan=-np.inf)
                results[f"rank_{kind}_{key[len(prefix):]}"] = rankdata(
                    -scores, method="min"
                ).astype(np.int32)
    return results


def score_names(results: Mapping[str, Any]) -> list[str]:
    """Names of the test scores in ``results`` (``score`` for single-metric scoring)."""
    return [key[len("mean_test_") :] for key in results if key.startswith("mean_test_")]
