"""Ctrl-C for solvers whose Python loop calls compiled kernels.

A SIGINT that arrives while a numba kernel runs is turned by Python's default
handler into a ``KeyboardInterrupt`` raised *inside* the dispatcher's return,
which surfaces as ``SystemError: CPUDispatcher(...) returned a result with an
exception set`` and escapes ``except KeyboardInterrupt``. :class:`DeferredInterrupt`
records the signal instead and raises a clean ``KeyboardInterrupt`` at the
solver's next check; the solver must call :meth:`DeferredInterrupt.check`
at bounded intervals (every iteration, and between chunks of long kernels).
"""

import signal
import threading

__all__ = ["DeferredInterrupt"]


class DeferredInterrupt:
    """Context manager deferring SIGINT to the solver's :meth:`check` calls.

    In the main thread it installs a handler that only records the signal
    (restored on exit); elsewhere (signals only reach the main thread) it
    does nothing. :meth:`check` raises ``KeyboardInterrupt`` when a signal
    was recorded, unless the handler it replaced was a user's own Python
    handler, which is then called, or ``SIG_IGN``. A signal recorded but not
    yet checked when the block ends is raised on exit.

    Examples
    --------
    >>> from sparseopt.utils import DeferredInterrupt
    >>> with DeferredInterrupt() as interrupt:
    ...     for _ in range(3):
    ...         interrupt.check()  # after each call of a compiled kernel
    """

    def __init__(self):
        self._pending = False
        self._installed = False
        self._previous = None

    def __enter__(self):
        self._pending = False
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.getsignal(signal.SIGINT)
                signal.signal(signal.SIGINT, self._record)
                self._installed = True
            except ValueError:  # e.g. an embedded interpreter without signals
                self._installed = False
        return self

    def _record(self, signum, frame):
        self._pending = True

    def check(self):
        """Raise ``KeyboardInterrupt`` if Ctrl-C was pressed since the last check
        (here or in an enclosing :class:`DeferredInterrupt` that recorded it)."""
        outer = getattr(self._previous, "__self__", None)
        if not self._pending and isinstance(outer, DeferredInterrupt) and outer._pending:
            outer._pending = False
            raise KeyboardInterrupt
        if not self._pending:
            return
        self._pending = False
        previous = self._previous
        if previous == signal.SIG_IGN:
            return
        owner = getattr(previous, "__self__", None)
        if (callable(previous) and previous is not signal.default_int_handler
                and not isinstance(owner, DeferredInterrupt)):
            previous(signal.SIGINT, None)
            return
        raise KeyboardInterrupt

    def __exit__(self, exc_type, exc, traceback):
        if self._installed:
            signal.signal(signal.SIGINT, self._previous)
            self._installed = False
        if exc_type is None:
            self.check()
        return False
