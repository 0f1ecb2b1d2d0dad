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


def test_iteration_printer_levels_and_rate():
    import io

    from sparseopt.utils import IterationPrinter

    silent = io.StringIO()
    printer = IterationPrinter("s", 0, stream=silent)
    printer(1, objective=1.0, force=True)
    assert silent.getvalue() == ""

    stream = io.StringIO()
    printer = IterationPrinter("rate", 1, min_interval=60.0, stream=stream)
    for iteration in range(100):
        printer(iteration, objective=1.0 / (iteration + 1), criterion=1e-3)
    printer(100, objective=0.01, criterion=1e-9, force=True, stage=3)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2  # the first line, then only the forced last one
    assert lines[0].startswith("[rate] iter 0  objective 1.000000e+00  criterion 1.00e-03")
    assert lines[1].startswith("[rate] iter 100") and lines[1].endswith("stage=3")

    every = io.StringIO()
    printer = IterationPrinter("all", 2, min_interval=60.0, stream=every)
    for iteration in range(5):
        printer(iteration)
    assert len(every.getvalue().splitlines()) == 5
