"""Former home of the result plots; kept so that 0.1.0 imports keep working.

Use :mod:`skbia.plotting`, which holds every plotting function.
"""

from __future__ import annotations

from skbia.plotting import penultimate_features, plot_history, plot_roc_pr, plot_tsne

__all__ = ["penultimate_features", "plot_history", "plot_roc_pr", "plot_tsne"]
