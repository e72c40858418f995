"""Reading a torch file that says what it is: ``{"format": ..., "version": ..., ...}``.

Training checkpoints (:mod:`dglgene.train.checkpoint`) and saved models
(:func:`dglgene.models.load`) are such files. A file that cannot be read (missing,
truncated, corrupt), that is something else, or that is of another format version is
refused with one :class:`~dglgene.errors.DglgeneInputError` line naming the file, the
problem and the fix.

>>> import tempfile, pathlib, torch
>>> path = pathlib.Path(tempfile.mkdtemp()) / "thing.pt"
>>> torch.save({"format": "demo", "version": 2}, path)
>>> try:
...     load_versioned(path, "demo", 1, what="demo file", foreign="not a demo file",
...                    unreadable_fix="write it again", version_fix="write it again")
... except ValueError as error:
...     print(str(error).split(": ", 1)[1])
demo file format version 2, but this dglgene reads version 1; write it again
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import torch

from dglgene.errors import DglgeneInputError


def load_versioned(path: str | os.PathLike, format: str, version: int, *, what: str,
                   foreign: str | Callable[[Any], str], unreadable_fix: str, version_fix: str,
                   map_location: str | torch.device = "cpu",
                   weights_only: bool = False) -> dict:
    """The dict stored at ``path``, checked to be ``format`` at ``version``.

    ``what`` names the kind of file in the messages ("checkpoint", "saved model");
    ``foreign`` is the message for a readable file of other content, or a function that
    makes it from what the file holds (to say what it is instead); ``unreadable_fix`` and
    ``version_fix`` end the other two. ``weights_only=True`` unpickles nothing but tensors
    and plain containers (a file of unknown origin runs no code).
    """
    try:
        state = torch.load(path, map_location=map_location, weights_only=weights_only)
    except Exception as error:  # torch raises many kinds for a damaged file
        detail = str(error).splitlines()[0] if str(error) else "no detail"
        raise DglgeneInputError(f"{path}: not a readable {what} ({type(error).__name__}: "
                                f"{detail}); {unreadable_fix}") from None
    if not isinstance(state, dict) or state.get("format") != format:
        message = foreign(state) if callable(foreign) else foreign
        raise DglgeneInputError(f"{path}: {message}")
    if state.get("version") != version:
        raise DglgeneInputError(f"{path}: {what} format version {state.get('version')}, but "
                                f"this dglgene reads version {version}; {version_fix}")
    return state
