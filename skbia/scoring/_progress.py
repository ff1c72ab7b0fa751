"""Progress of a scoring run: images done, images per second, time left."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


def _duration(seconds: float) -> str:
    """Return ``1h02m``, ``3m05s`` or ``12s``."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class Progress:
    """Report progress: a bar redrawn in place on a terminal, plain lines otherwise.

    Parameters
    ----------
    total : int
        Images to score in this run (not counting those done by an earlier run).
    stream : file-like, optional
        Where to write (default: standard output).
    interval : float, default=10.0
        Seconds between plain lines (a terminal is redrawn every 0.5 s).
    enabled : bool, default=True
        False writes nothing.
    """

    def __init__(self, total: int, *, stream: TextIO | None = None, interval: float = 10.0,
                 enabled: bool = True) -> None:
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stdout
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = 0.5 if self.tty else interval
        self.start = time.perf_counter()
        self._last = self.start

    @property
    def rate(self) -> float:
        """Images per second so far."""
        elapsed = time.perf_counter() - self.start
        return self.done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        """Return the progress text: images done, images/s and time left."""
        rate = self.rate
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        percent = 100.0 * self.done / self.total if self.total else 100.0
        eta = _duration(left) if left == left else "?"
        return (f"{self.done}/{self.total} images ({percent:.0f}%), {rate:.0f} images/s, "
                f"{eta} left")

    def update(self, n: int) -> None:
        """Count ``n`` more images done and report if it is time to."""
        self.done += n
        now = time.perf_counter()
        if self.enabled and (now - self._last >= self.interval or self.done >= self.total):
            self._last = now
            self._write()

    def _write(self) -> None:
        if self.tty:
            width = 24
            filled = int(width * self.done / self.total) if self.total else width
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r[{bar}] {self.line()}   ")
        else:
            self.stream.write(f"  {self.line()}\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line on a terminal."""
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()
