"""A dependency-free text progress bar and verbose printer."""

import sys
import time

from sparseopt.utils.validation import check_integer, check_scalar

__all__ = ["IterationPrinter", "ProgressBar"]


class ProgressBar:
    """Text progress bar for long loops (the ``tour`` command, paths, CV).

    Writes ``[#####.....] 3/7 label (12.3 s)`` on one line, rewritten in place
    when the stream is a terminal and one line per step otherwise.

    Parameters
    ----------
    total : int
        Number of steps.
    stream : file-like, optional
        Where to write (default ``sys.stderr``).
    width : int, default=30
        Number of characters of the bar.

    Examples
    --------
    >>> import io
    >>> from sparseopt.utils import ProgressBar
    >>> stream = io.StringIO()
    >>> bar = ProgressBar(2, stream=stream)
    >>> bar.update("first"); bar.update("second"); bar.close()
    >>> "2/2 second" in stream.getvalue()
    True
    """

    def __init__(self, total, *, stream=None, width=30):
        self.total = max(check_integer(total, "total", lower=0), 1)
        self.stream = sys.stderr if stream is None else stream
        self.width = check_integer(width, "width", lower=1)
        self.done = 0
        self._start = time.perf_counter()
        self._interactive = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, label=""):
        """Advance by one step and redraw.

        Parameters
        ----------
        label : str, default=""
            Text shown after the counter.
        """
        self.done = min(self.done + 1, self.total)
        filled = self.width * self.done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.perf_counter() - self._start
        line = f"[{bar}] {self.done}/{self.total} {label} ({elapsed:.1f} s)"
        end = "\r" if self._interactive and self.done < self.total else "\n"
        self.stream.write(("\r" if self._interactive else "") + line + end)
        self.stream.flush()

    def close(self):
        """Finish the bar (moves to a new line on a terminal)."""
        if self._interactive and self.done < self.total:
            self.stream.write("\n")
        self.stream.flush()


class IterationPrinter:
    """The verbose printer of every iterative solver, at a bounded rate.

    ``verbose=0`` prints nothing; ``verbose=1`` prints the first iteration,
    then at most one line every ``min_interval`` seconds, and every line
    marked ``force=True`` (the last one, a stage change); ``verbose >= 2``
    prints every call. A line reads
    ``[name] iter 12  objective 1.234567e+00  criterion 3.2e-06  0.8 s``
    followed by any extra ``key=value`` pairs.

    Parameters
    ----------
    name : str
        The solver's name, printed in brackets.
    verbose : int or bool
        Verbosity level (see above).
    min_interval : float, default=1.0
        Seconds between two lines at ``verbose=1``.
    stream : file-like, optional
        Where to write (default ``sys.stdout``, as scikit-learn's solvers).

    Examples
    --------
    >>> import io
    >>> from sparseopt.utils import IterationPrinter
    >>> stream = io.StringIO()
    >>> printer = IterationPrinter("demo", verbose=2, stream=stream)
    >>> printer(1, objective=2.0, criterion=1e-3, stage=1)
    >>> "[demo] iter 1  objective 2.000000e+00  criterion 1.00e-03" in stream.getvalue()
    True
    """

    def __init__(self, name, verbose, *, min_interval=1.0, stream=None):
        self.name = name
        self.verbose = check_integer(int(verbose) if isinstance(verbose, bool) else verbose,
                                     "verbose", lower=0)
        self.min_interval = check_scalar(min_interval, "min_interval", lower=0.0)
        self.stream = stream
        self._start = time.perf_counter()
        self._last = None

    def __call__(self, iteration, *, objective=None, criterion=None, force=False, **extra):
        """Print one line if the verbosity and the rate allow it.

        Parameters
        ----------
        iteration : int
            Iteration (or epoch, step) number.
        objective : float, optional
            Objective value.
        criterion : float, optional
            The stopping criterion's value.
        force : bool, default=False
            Print whatever the rate (at ``verbose >= 1``).
        **extra
            Further ``key=value`` pairs to print.
        """
        if self.verbose <= 0:
            return
        now = time.perf_counter()
        due = self._last is None or now - self._last >= self.min_interval
        if not (force or due or self.verbose >= 2):
            return
        self._last = now
        parts = [f"[{self.name}] iter {iteration}"]
        if objective is not None:
            parts.append(f"objective {objective:.6e}")
        if criterion is not None:
            parts.append(f"criterion {criterion:.2e}")
        parts.append(f"{now - self._start:.1f} s")
        parts += [f"{key}={_short(value)}" for key, value in extra.items()]
        stream = sys.stdout if self.stream is None else self.stream
        stream.write("  ".join(parts) + "\n")
        stream.flush()


def _short(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)
