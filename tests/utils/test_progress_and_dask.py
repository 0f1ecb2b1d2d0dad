import io

import pytest

from sparseopt.utils import ProgressBar, get_dask_client, parallel_map


def test_progress_bar_writes_every_step():
    stream = io.StringIO()
    bar = ProgressBar(3, stream=stream, width=6)
    for label in ("a", "b", "c"):
        bar.update(label)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3 and lines[-1].startswith("[######] 3/3 c")


def test_parallel_map_without_and_with_cluster():
    assert get_dask_client() is None
    assert parallel_map(abs, [-1, -2]) == [1, 2]
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            assert get_dask_client() is client
            assert parallel_map(abs, [-3, 4, -5]) == [3, 4, 5]
