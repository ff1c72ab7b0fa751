"""Fold ensembles: one classifier per cross-validation fold, their predictions averaged.

:class:`FoldEnsembleClassifier` trains a clone of a classifier (a
:class:`skbia.CNNClassifier` or a pipeline ending in one) on each stratified
fold's training part, validates it on the held-out part, and averages the
members' probabilities (or their rank scores); the out-of-fold predictions of
the training images give an honest cross-validated score. A trained ensemble
is saved to one folder of ``.keras`` files with a data-only manifest. Importing
this subpackage does not import Keras.
"""

from __future__ import annotations

from skbia.ensemble._fold_ensemble import FoldEnsembleClassifier

__all__ = ["FoldEnsembleClassifier"]
