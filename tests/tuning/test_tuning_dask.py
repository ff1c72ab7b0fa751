"""The same search on a dask.distributed cluster, through joblib's dask backend."""

from __future__ import annotations

import os

import numpy as np
import pytest
from joblib import parallel_config
from skopt.space import Real
from test_tuning_search import RecordingClassifier

from skbia.tuning import CNNSearchCV, tensorflow_thread_env

distributed = pytest.importorskip("dask.distributed")


class WorkerScoringClassifier(RecordingClassifier):
    """Scores pid + thread limit / 10, to see where each fit ran and with what limits."""

    def score(self, X, y):
        threads = float(os.environ.get("TF_NUM_INTRAOP_THREADS", -1))
        return float(os.getpid()) + threads / 10


def test_search_runs_on_local_dask_cluster():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    y = (X[:, 0] > 0.4).astype(int)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env=tensorflow_thread_env(1),
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        worker_pids = set(client.run(os.getpid).values())
        with parallel_config(backend="dask"):
            search = CNNSearchCV(
                WorkerScoringClassifier(),
                {"C": Real(1e-3, 10.0, prior="log-uniform")},
                n_iter=3,
                cv=3,
                n_jobs=2,
                random_state=0,
            ).fit(X, y)
    scores = np.concatenate([search.cv_results_[f"split{i}_test_score"] for i in range(3)])
    assert len(scores) == 9
    fit_pids = set(np.floor(scores).astype(int).tolist())
    assert fit_pids <= worker_pids and os.getpid() not in fit_pids
    np.testing.assert_allclose(scores % 1, 0.1, atol=1e-6)  # TF_NUM_INTRAOP_THREADS=1
    assert search.best_estimator_.C == search.best_params_["C"]  # refitted locally
