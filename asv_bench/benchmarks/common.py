"""Shared pieces of the benchmark suite.

Every benchmark class times sparseopt and its anchors side by side in one run
(parametrised by ``implementation``) on one thread; numba is warmed up in
``setup()`` so timings never include compilation. Implementations that are
not installed are skipped (``NotImplementedError`` in ``setup``).
"""

import importlib.util

from threadpoolctl import threadpool_limits


def is_installed(module):
    """Whether an optional anchor library can be imported."""
    return importlib.util.find_spec(module) is not None


class Benchmark:
    """Base class: one thread for BLAS/OpenMP, a generous timeout.

    Subclasses call :meth:`single_thread` at the start of ``setup`` and
    :meth:`skip_unless_installed` for optional anchors.
    """

    timeout = 600
    # asv: repeat a few times, take the median (the machines are noisy)
    repeat = (3, 7, 60.0)
    number = 1

    def single_thread(self):
        self._thread_limits = threadpool_limits(limits=1)

    @staticmethod
    def skip_unless_installed(module):
        if not is_installed(module):
            raise NotImplementedError(f"{module} is not installed")

    def teardown(self, *args):
        limits = getattr(self, "_thread_limits", None)
        if limits is not None:
            limits.unregister()
