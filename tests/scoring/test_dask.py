"""score_files on a real Dask LocalCluster of 2 worker processes: same scores as one process."""

from __future__ import annotations

import numpy as np
import pytest

from skbia.scoring import score_files

distributed = pytest.importorskip("distributed")
pq = pytest.importorskip("pyarrow.parquet")


def _loads_in_this_process():
    import skbia.scoring._model as model_module

    return model_module.LOADS["count"]


@pytest.mark.slow
def test_dask_parts_equal_a_local_run_and_each_worker_loads_the_model_once(scoring_data,
                                                                            tmp_path):
    folder, _ = scoring_data
    inputs = [folder / "a.npy", folder / "b.npy"]
    local = score_files(folder / "model.keras", inputs, tmp_path / "local.parquet",
                        part_size=8, chunk_size=4, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        summary = score_files(str(folder / "model.keras"), inputs, tmp_path / "dask.parquet",
                              client=client, part_size=8, chunk_size=4, progress=False)
        loads = client.run(lambda: _loads_in_this_process())
        # a second call finds every part written: nothing is scored again
        again = score_files(str(folder / "model.keras"), inputs, tmp_path / "dask.parquet",
                            client=client, part_size=8, chunk_size=4, progress=False)
        csv_parts = score_files(str(folder / "model.keras"), inputs, tmp_path / "dask.csv",
                                client=client, part_size=20, progress=False)
        loads_after = client.run(lambda: _loads_in_this_process())
    assert (summary.n_scored, summary.n_scored_now) == (50, 50) and local.n_scored == 50
    assert again.n_scored_now == 0 and again.n_scored == 50
    assert sorted(loads.values()) in ([0, 1], [1, 1])  # once per worker process, not per part
    assert loads_after == loads
    expected = pq.read_table(tmp_path / "local.parquet")
    got = pq.read_table(tmp_path / "dask.parquet")
    assert len(list((tmp_path / "dask.parquet").glob("part-*.parquet"))) == 7  # 4 + 3 parts
    assert got.column("source").to_pylist() == expected.column("source").to_pylist()
    assert got.column("index").to_pylist() == expected.column("index").to_pylist()
    np.testing.assert_allclose(got.column("score_1").to_numpy(),
                               expected.column("score_1").to_numpy(), rtol=1e-6)
    assert csv_parts.n_scored == 50
    assert sorted(p.name for p in (tmp_path / "dask.csv").glob("part-*")) == [
        "part-000000.csv", "part-000001.csv", "part-000002.csv"]
