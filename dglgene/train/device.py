"""The device a training loop was asked for, checked before any work."""

from __future__ import annotations

import torch

from dglgene.errors import DglgeneInputError


def require_device(device: str) -> None:
    """Refuse a CUDA device that torch cannot see (one line; the fix is the CPU).

    >>> require_device("cpu")
    """
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise DglgeneInputError(f"device {device!r} requested but torch sees no CUDA device; "
                                "use --device cpu")
