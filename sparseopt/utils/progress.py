"""A dependency-free text progress bar and verbose printer."""

import sys
import time

__all__ = ["ProgressBar"]


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
        self.total = max(int(total), 1)
        self.stream = sys.stderr if stream is None else stream
        self.width = width
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
