"""Reading a finished search: a text table of the best trials and skopt's plots."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

_PLOT_KINDS = ("convergence", "objective", "evaluations")


def _format_value(value: Any) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_format_value(v) for v in value) + "]"
    if isinstance(value, (bool, np.bool_)) or value is None:
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if value != 0 and not 1e-3 <= abs(value) < 1e4:
            return f"{value:.3g}"
        return f"{value:.4g}"
    return str(value)


def search_summary(search, top: int = 5, metric: str | None = None) -> str:
    """Plain-text table of the best trials of a fitted search.

    One column per trial (best first), one row per score and parameter, so
    that long parameter names stay readable.

    Parameters
    ----------
    search : fitted BayesSearchCV, CNNSearchCV or any scikit-learn search
        A search with ``cv_results_``.
    top : int, default=5
        Number of trials to show.
    metric : str or None, default=None
        Score to rank by (``"score"`` for single-metric searches); None uses
        the only one or the search's ``refit`` metric.

    Returns
    -------
    table : str
        The table; ``print`` it.

    Raises
    ------
    ValueError
        If ``search`` is not fitted, ``top`` < 1, or ``metric`` is unknown.
    """
    results = getattr(search, "cv_results_", None)
    if results is None:
        raise ValueError("The search is not fitted yet (it has no cv_results_).")
    if not isinstance(top, numbers.Integral) or top < 1:
        raise ValueError(f"top must be a positive integer; got {top!r}.")
    names = [key[len("mean_test_") :] for key in results if key.startswith("mean_test_")]
    if metric is None:
        refit = getattr(search, "refit", None)
        metric = refit if isinstance(refit, str) and refit in names else names[0]
    if metric not in names:
        raise ValueError(f"Unknown metric {metric!r}; the search has {names}.")
    ranks = np.asarray(results[f"rank_test_{metric}"])
    order = np.argsort(ranks, kind="stable")[:top]
    params = [results["params"][i] for i in order]
    keys: list[str] = []
    for p in params:
        keys.extend(key for key in p if key not in keys)

    rows = [["trial", *(f"#{i}" for i in order)]]
    rows.append(["rank", *(str(int(ranks[i])) for i in order)])
    mean = np.asarray(results[f"mean_test_{metric}"], dtype=float)
    std = np.asarray(results[f"std_test_{metric}"], dtype=float)
    rows.append([f"mean_test_{metric}", *(f"{mean[i]:.4f}" for i in order)])
    rows.append([f"std_test_{metric}", *(f"{std[i]:.4f}" for i in order)])
    if "mean_fit_time" in results:
        fit_time = np.asarray(results["mean_fit_time"], dtype=float)
        rows.append(["mean_fit_time (s)", *(f"{fit_time[i]:.2f}" for i in order)])
    for key in keys:
        rows.append([key, *(_format_value(p[key]) if key in p else "-" for p in params)])

    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("-" * len(lines[0]))
    header = (
        f"Best {len(order)} of {len(results['params'])} trials by mean_test_{metric} "
        f"(trial numbers in the order they ran)"
    )
    return "\n".join([header, *lines])


def plot_search(search, kind: str = "convergence", **kwargs):
    """Plot a fitted search with :mod:`skopt.plots`.

    Parameters
    ----------
    search : fitted BayesSearchCV or CNNSearchCV
        The search; its ``optimizer_results_[0]`` is plotted.
    kind : {"convergence", "objective", "evaluations"}, default="convergence"
        ``"convergence"``: best objective (minus the CV score) after each trial
        (:func:`skopt.plots.plot_convergence`). ``"objective"``: partial
        dependence of the objective on each parameter and pair, from the
        surrogate model (:func:`skopt.plots.plot_objective`; needs more trials
        than the optimizer's ``n_initial_points``). ``"evaluations"``: where the
        trials sampled each parameter (:func:`skopt.plots.plot_evaluations`).
    **kwargs : dict
        Passed to the skopt plotting function.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure (save it with ``figure.savefig(path)``).

    Raises
    ------
    ValueError
        Unknown ``kind``, a search that is not fitted, or ``"objective"``
        before the optimizer fitted a surrogate model.
    """
    if kind not in _PLOT_KINDS:
        raise ValueError(f"kind must be one of {_PLOT_KINDS}; got {kind!r}.")
    if not hasattr(search, "cv_results_"):
        raise ValueError("The search is not fitted yet.")
    from skopt import plots

    result = search.optimizer_results_[0]
    if kind == "convergence":
        ax = plots.plot_convergence(result, **kwargs)
        ax.set_ylabel("best objective so far (minus CV score)")
        return ax.figure
    if kind == "objective":
        if not result.models:
            raise ValueError(
                "The optimizer has not fitted a surrogate model yet (the search ran no more "
                "trials than optimizer_kwargs['n_initial_points']); plot 'evaluations' "
                "instead or run more trials."
            )
        axes = plots.plot_objective(result, **kwargs)
    else:
        axes = plots.plot_evaluations(result, **kwargs)
    return np.ravel(axes)[0].figure
