"""Tiny trained ensembles shared by the ensemble tests (built once per session)."""

from __future__ import annotations

import pytest
from imblearn.pipeline import make_pipeline

from skbia import CNNClassifier, FoldEnsembleClassifier, ImageAugmenter


def tiny_cnn(**params) -> CNNClassifier:
    defaults = dict(arch="alexnet", filter_scale=1 / 32, min_pixel=-3.0, max_pixel=8.0,
                    epochs=2, batch_size=8, run_eagerly=True, random_state=0, verbose=0)
    return CNNClassifier(**{**defaults, **params})


@pytest.fixture(scope="session")
def cnn_ensemble(blobs):
    """Three CNN members that stop early on their held-out fold's loss."""
    X, y = blobs
    member = tiny_cnn(epochs=3, patience=1, monitor="val_loss", restore_best_weights=True)
    return FoldEnsembleClassifier(member, n_folds=3, random_state=0).fit(X, y)


@pytest.fixture(scope="session")
def pipeline_ensemble(blobs):
    """Two members, each an ImageAugmenter followed by a CNN; rank-averaged."""
    X, y = blobs
    pipeline = make_pipeline(ImageAugmenter(n_copies=1, horizontal=True, random_state=0),
                             tiny_cnn(epochs=1))
    return FoldEnsembleClassifier(pipeline, n_folds=2, average="rank", random_state=1).fit(X, y)


@pytest.fixture(scope="session")
def saved_ensemble(pipeline_ensemble, tmp_path_factory):
    """The pipeline ensemble saved to a folder."""
    folder = tmp_path_factory.mktemp("saved") / "ensemble"
    pipeline_ensemble.save(folder)
    return folder
