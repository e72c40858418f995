"""Write-then-rename, so that a failed or interrupted write leaves nothing half-written."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dglgene.errors import DglgeneInputError


def check_writable(target: str | os.PathLike) -> None:
    """Fail early, with one line, when ``target`` could not be written: a probe directory
    is made (and removed) in its nearest existing ancestor, which is what
    :func:`atomic_path` will need (permission bits alone do not tell, e.g. for root)."""
    target = Path(target)
    parent = target.parent
    while not parent.exists():
        parent = parent.parent
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".dglgene-probe.", dir=parent))
    except OSError as error:
        raise DglgeneInputError(f"cannot write {str(target)!r}: {str(parent)!r} is not a writable "
                                f"directory ({error.strerror}); choose another --out") from None


@contextmanager
def atomic_path(target: str | os.PathLike, directory: bool = False,
                overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` on success.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "result.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("done")
    >>> out.read_text()
    'done'
    """
    target = Path(target)
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists; choose another path or remove it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    staged = tmp / "staged"
    if directory:
        staged.mkdir()
    try:
        yield staged
        if target.exists():
            old = tmp / "old"
            os.replace(target, old)  # keep the old version until the new one is in place
        os.replace(staged, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
