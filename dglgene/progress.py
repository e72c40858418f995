"""Progress for people and for logs: a tqdm bar on a terminal, plain lines off one.

Off a terminal (a batch job's log, a pipe), :func:`progress` writes one line to stderr for
the first item, the last, and any item at least :data:`LOG_INTERVAL_S` after the previous
line, with the elapsed time and an ETA; :class:`Stages` times a run's stages and writes
one line as each ends:

.. code-block:: text

    dglgene | MuSe-GNN training | 12/100 (12%) | 0:00:34 elapsed | ETA 0:04:09
    dglgene | training done in 0:02:51
    dglgene | writing done in 4.2 s

Every line starts with :data:`PREFIX`, so a log can be filtered for them.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")

#: what every plain progress line starts with
PREFIX = "dglgene | "
#: off a terminal, the least time between two progress lines of one loop
LOG_INTERVAL_S = 10.0


def on_terminal() -> bool:
    """Whether stderr is a terminal (then tqdm draws bars; else plain lines)."""
    return sys.stderr.isatty()


def clock(seconds: float) -> str:
    """Seconds under a minute, else ``h:mm:ss``.

    >>> clock(12.34), clock(3725.4)
    ('12.3 s', '1:02:05')
    """
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def log_line(text: str) -> None:
    """One plain progress line on stderr."""
    print(PREFIX + text, file=sys.stderr, flush=True)


def progress(iterable: Iterable[T], desc: str, total: int | None = None) -> Iterable[T]:
    """``iterable`` with progress: a tqdm bar on a terminal, else plain lines
    (see the module docstring)."""
    if on_terminal():
        return tqdm(iterable, desc=desc, total=total, leave=False)
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    return _logged(iterable, desc, total)


def _logged(iterable: Iterable[T], desc: str, total: int | None) -> Iterator[T]:
    start = last = time.perf_counter()
    for done, item in enumerate(iterable, start=1):
        yield item
        now = time.perf_counter()
        if done == 1 or done == total or now - last >= LOG_INTERVAL_S:
            last = now
            elapsed = now - start
            if total:
                eta = elapsed / done * (total - done)
                log_line(f"{desc} | {done}/{total} ({100 * done // total}%) | "
                         f"{clock(elapsed)} elapsed | ETA {clock(eta)}")
            else:
                log_line(f"{desc} | {done} | {clock(elapsed)} elapsed")


class Stages:
    """Wall time of a run's stages, in the order they ran.

    >>> stages = Stages(quiet=True)
    >>> with stages("graphs"):
    ...     pass
    >>> list(stages.seconds)
    ['graphs']

    Parameters
    ----------
    quiet
        Write no line as a stage ends (by default one is written, see the module docstring).
    """

    def __init__(self, quiet: bool = False) -> None:
        self.seconds: dict[str, float] = {}
        self.quiet = quiet

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        """Time the block as stage ``name`` (a repeated name adds up)."""
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        if not self.quiet:
            log_line(f"{name} done in {clock(seconds)}")

    def summary(self) -> str:
        """``"graphs 12.0 s, training 0:02:51, ..."``."""
        return ", ".join(f"{name} {clock(s)}" for name, s in self.seconds.items())
