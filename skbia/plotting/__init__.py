"""Figures: image grids and the plots of training and evaluation results.

:func:`plot_images` shows images band by band or as colour composites;
:func:`plot_history`, :func:`plot_roc_pr` and :func:`plot_tsne` show a training
history, ROC and precision-recall curves and a t-SNE map of a network's
features. Every function returns a :class:`matplotlib.figure.Figure` without
touching pyplot's global state.
"""

from __future__ import annotations

from skbia.plotting._images import plot_images
from skbia.plotting._results import penultimate_features, plot_history, plot_roc_pr, plot_tsne

__all__ = ["penultimate_features", "plot_history", "plot_images", "plot_roc_pr", "plot_tsne"]
