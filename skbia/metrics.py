"""Former name of :mod:`skbia.training_metrics`; kept so that 0.1.0 imports keep working.

The Keras metrics a network is compiled with live in :mod:`skbia.training_metrics`;
the scikit-learn-style evaluation of scores (ROC AUC, recall at a fixed
false-positive rate, ...) is :mod:`skbia.evaluation`.
"""

from __future__ import annotations

from skbia.training_metrics import get_metrics

__all__ = ["get_metrics"]
